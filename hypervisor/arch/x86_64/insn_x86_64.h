// x86-64 instruction encodings used by the patcher. Pure constexpr functions, tested on any host.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch::x86_64 {

constexpr uint32_t kJmpRel32Size = 5;  // E9 rel32
constexpr uint32_t kEndbr64Size = 4;   // F3 0F 1E FA
constexpr uint32_t kMaxNopFill = 31;   // Xen's insn buffer

// ENDBR64, and the poison Xen writes over ENDBR64 of functions that must not be indirect targets
// (a 4-byte NOP: 66 0F 1F 01).
constexpr uint8_t kEndbr64[kEndbr64Size] = {0xf3, 0x0f, 0x1e, 0xfa};
constexpr uint8_t kEndbr64Poison[kEndbr64Size] = {0x66, 0x0f, 0x1f, 0x01};

// True when the 4 bytes at `code` are ENDBR64 or its poison.
constexpr bool starts_with_endbr64(const uint8_t* code) noexcept {
    bool endbr = true, poison = true;
    for (uint32_t i = 0; i < kEndbr64Size; ++i) {
        endbr = endbr && code[i] == kEndbr64[i];
        poison = poison && code[i] == kEndbr64Poison[i];
    }
    return endbr || poison;
}

// Offset of the patch site inside a function: past ENDBR64 (or its poison), so that the
// function stays a valid indirect-branch target under IBT.
constexpr uint32_t patch_offset(const uint8_t* code, uint32_t old_size) noexcept {
    return old_size >= kEndbr64Size && starts_with_endbr64(code) ? kEndbr64Size : 0;
}

// Encodes `jmp new_addr` at address `site` into out[5]. Returns false when the displacement
// does not fit rel32.
constexpr bool encode_jmp_rel32(uint64_t site, uint64_t new_addr, uint8_t* out) noexcept {
    const int64_t disp = static_cast<int64_t>(new_addr - (site + kJmpRel32Size));
    if (disp < INT32_MIN || disp > INT32_MAX)
        return false;
    const uint32_t d = static_cast<uint32_t>(static_cast<int32_t>(disp));
    out[0] = 0xe9;
    out[1] = static_cast<uint8_t>(d);
    out[2] = static_cast<uint8_t>(d >> 8);
    out[3] = static_cast<uint8_t>(d >> 16);
    out[4] = static_cast<uint8_t>(d >> 24);
    return true;
}

// Fills out[0..len) with the recommended multi-byte NOPs (Intel SDM Vol. 2B, NOP, Table 4-12),
// longest first. len may be up to kMaxNopFill.
constexpr void fill_nops(uint8_t* out, size_t len) noexcept {
    constexpr uint8_t kNops[9][9] = {
        {0x90},
        {0x66, 0x90},
        {0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    };
    while (len) {
        const size_t n = len > 9 ? 9 : len;
        for (size_t i = 0; i < n; ++i)
            out[i] = kNops[n - 1][i];
        out += n;
        len -= n;
    }
}

}  // namespace livepatch::x86_64
