// AArch64 (A64) instruction encodings used by the relocations and the patcher. Pure constexpr
// functions, tested on any host. Field positions are from the Arm ARM (DDI 0487), section C4
// "A64 Instruction Set Encoding"; instruction words are little-endian in memory.
#pragma once

#include <stdint.h>

namespace livepatch::arm64 {

constexpr uint32_t kInsnSize = 4;                    // every A64 instruction is one 32-bit word
constexpr uint32_t kNop = 0xd503201f;                // NOP (HINT #0)
constexpr uint32_t kPatchInsnSize = kInsnSize;       // the patch is one B instruction
constexpr int64_t kPatchRange = int64_t{1} << 27;    // B imm26 reach: [-128 MiB, 128 MiB)

constexpr uint32_t kOpB = 0x14000000;   // B imm26 (no link)
constexpr uint32_t kOpBl = 0x94000000;  // BL imm26

// MOVZ/MOVN/MOVK share one encoding; opc (bits 30:29) selects the operation.
constexpr uint32_t kMovOpcN = 0;  // MOVN
constexpr uint32_t kMovOpcZ = 2;  // MOVZ
constexpr uint32_t kMovOpcK = 3;  // MOVK

// Returns `insn` with bits [lsb, lsb + width) replaced by the low `width` bits of `value`.
constexpr uint32_t insert_field(uint32_t insn, uint32_t lsb, uint32_t width, uint64_t value) noexcept {
    const uint32_t mask = (width >= 32 ? ~uint32_t{0} : ((uint32_t{1} << width) - 1)) << lsb;
    return (insn & ~mask) | ((static_cast<uint32_t>(value) << lsb) & mask);
}

// True when `v` fits a two's-complement field of `bits` bits: -2^(bits-1) <= v < 2^(bits-1).
constexpr bool fits_signed(int64_t v, uint32_t bits) noexcept {
    const int64_t half = int64_t{1} << (bits - 1);
    return v >= -half && v < half;
}

// True when `v` fits `bits` bits read as signed or as unsigned: -2^(bits-1) <= v < 2^bits
// (the aaelf64 overflow rule of ABS32/ABS16/PREL32/PREL16, bits < 64).
constexpr bool fits_signed_or_unsigned(int64_t v, uint32_t bits) noexcept {
    return v >= -(int64_t{1} << (bits - 1)) && v < (int64_t{1} << bits);
}

// MOVZ/MOVN/MOVK: imm16 in bits [20:5]. hw (bits 22:21) is left as the assembler wrote it.
constexpr uint32_t set_imm16(uint32_t insn, uint64_t imm) noexcept { return insert_field(insn, 5, 16, imm); }

// MOVZ/MOVN/MOVK: replaces opc (bits 30:29) with one of kMovOpc*.
constexpr uint32_t set_mov_opc(uint32_t insn, uint32_t opc) noexcept { return insert_field(insn, 29, 2, opc); }

// ADR/ADRP: imm21 split into immlo (bits 30:29, imm[1:0]) and immhi (bits 23:5, imm[20:2]).
constexpr uint32_t set_adr_imm21(uint32_t insn, uint64_t imm) noexcept {
    return insert_field(insert_field(insn, 29, 2, imm), 5, 19, imm >> 2);
}

// ADD (immediate) and LDR/STR (unsigned offset): imm12 in bits [21:10].
constexpr uint32_t set_imm12(uint32_t insn, uint64_t imm) noexcept { return insert_field(insn, 10, 12, imm); }

// TBZ/TBNZ: imm14 (word offset) in bits [18:5].
constexpr uint32_t set_imm14(uint32_t insn, uint64_t imm) noexcept { return insert_field(insn, 5, 14, imm); }

// B.cond, CBZ/CBNZ: imm19 (word offset) in bits [23:5].
constexpr uint32_t set_imm19(uint32_t insn, uint64_t imm) noexcept { return insert_field(insn, 5, 19, imm); }

// B/BL: imm26 (word offset) in bits [25:0].
constexpr uint32_t set_imm26(uint32_t insn, uint64_t imm) noexcept { return insert_field(insn, 0, 26, imm); }

// True when a PC-relative branch offset `off` (bytes) is word aligned and fits a signed word
// offset field of `imm_bits` bits, i.e. lies in [-2^(imm_bits+1), 2^(imm_bits+1)).
constexpr bool branch_offset_ok(int64_t off, uint32_t imm_bits) noexcept {
    return (off & 3) == 0 && fits_signed(off, imm_bits + 2);
}

// Encodes `B target` placed at address `site` into *out. Returns false (and leaves *out alone)
// when site or target is not 4-byte aligned or target - site is outside [-128 MiB, 128 MiB).
constexpr bool encode_b(uint64_t site, uint64_t target, uint32_t* out) noexcept {
    const int64_t off = static_cast<int64_t>(target - site);
    if (((site | target) & 3) != 0 || !branch_offset_ok(off, 26))
        return false;
    *out = set_imm26(kOpB, static_cast<uint64_t>(off >> 2));
    return true;
}

}  // namespace livepatch::arm64
