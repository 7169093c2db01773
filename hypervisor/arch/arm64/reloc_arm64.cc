#include "arch/arm64/reloc_arm64.h"

#include <elf.h>

#include "arch/arm64/insn_arm64.h"

namespace livepatch::arm64 {
namespace {

// How a relocation computes X (aaelf64 5.7 notation): S + A, S + A - P, Page(S + A) - Page(P).
enum class Op : uint8_t { abs, prel, page };

// Where X goes.
enum class Form : uint8_t {
    unsupported,
    data,    // little-endian data word of `arg` bytes
    mov_k,   // MOVZ/MOVK imm16 = X[arg+15:arg], opcode kept (UABS, PREL _NC)
    mov_nz,  // imm16 of MOVZ when X >= 0, of MOVN with NOT(X) when X < 0 (SABS, PREL)
    adr,     // ADR imm21 = X[20:0]
    adrp,    // ADRP imm21 = X[32:12]
    lo12,    // ADD/LDR/STR imm12 = X[11:arg], X[arg-1:0] must be zero
    br14,    // TBZ/TBNZ imm14 = X[15:2]
    br19,    // B.cond/CBZ/CBNZ imm19 = X[20:2]
    br26,    // B/BL imm26 = X[27:2]
};

struct Spec {
    Form form;
    Op op;
    uint8_t arg;  // data: field bytes; mov_*: lsb of the 16-bit group; lo12: log2 of the access size
    bool check;   // overflow checked (false for the _NC forms and where the ABI says none)
};

// The relocations Xen accepts (xen-livepatch.md section 2) with their aaelf64 5.7 definitions.
constexpr Spec spec_of(uint32_t type) noexcept {
    switch (type) {
    // Static data relocations: ABS/PREL 32 and 16 check -2^(n-1) <= X < 2^n; 64 checks nothing.
    case R_AARCH64_ABS64: return {Form::data, Op::abs, 8, false};
    case R_AARCH64_ABS32: return {Form::data, Op::abs, 4, true};
    case R_AARCH64_ABS16: return {Form::data, Op::abs, 2, true};
    case R_AARCH64_PREL64: return {Form::data, Op::prel, 8, false};
    case R_AARCH64_PREL32: return {Form::data, Op::prel, 4, true};
    case R_AARCH64_PREL16: return {Form::data, Op::prel, 2, true};
    // Group relocations, unsigned: G<n> checks 0 <= X < 2^(16n+16); G3 cannot overflow.
    case R_AARCH64_MOVW_UABS_G0: return {Form::mov_k, Op::abs, 0, true};
    case R_AARCH64_MOVW_UABS_G0_NC: return {Form::mov_k, Op::abs, 0, false};
    case R_AARCH64_MOVW_UABS_G1: return {Form::mov_k, Op::abs, 16, true};
    case R_AARCH64_MOVW_UABS_G1_NC: return {Form::mov_k, Op::abs, 16, false};
    case R_AARCH64_MOVW_UABS_G2: return {Form::mov_k, Op::abs, 32, true};
    case R_AARCH64_MOVW_UABS_G2_NC: return {Form::mov_k, Op::abs, 32, false};
    case R_AARCH64_MOVW_UABS_G3: return {Form::mov_k, Op::abs, 48, false};
    // Group relocations, signed: G<n> checks -2^(16n+16) <= X < 2^(16n+16) and picks MOVZ/MOVN.
    case R_AARCH64_MOVW_SABS_G0: return {Form::mov_nz, Op::abs, 0, true};
    case R_AARCH64_MOVW_SABS_G1: return {Form::mov_nz, Op::abs, 16, true};
    case R_AARCH64_MOVW_SABS_G2: return {Form::mov_nz, Op::abs, 32, true};
    case R_AARCH64_MOVW_PREL_G0: return {Form::mov_nz, Op::prel, 0, true};
    case R_AARCH64_MOVW_PREL_G0_NC: return {Form::mov_k, Op::prel, 0, false};
    case R_AARCH64_MOVW_PREL_G1: return {Form::mov_nz, Op::prel, 16, true};
    case R_AARCH64_MOVW_PREL_G1_NC: return {Form::mov_k, Op::prel, 16, false};
    case R_AARCH64_MOVW_PREL_G2: return {Form::mov_nz, Op::prel, 32, true};
    case R_AARCH64_MOVW_PREL_G2_NC: return {Form::mov_k, Op::prel, 32, false};
    case R_AARCH64_MOVW_PREL_G3: return {Form::mov_nz, Op::prel, 48, false};
    // PC-relative addresses and their low-12-bit partners.
    case R_AARCH64_ADR_PREL_LO21: return {Form::adr, Op::prel, 0, true};
    case R_AARCH64_ADR_PREL_PG_HI21: return {Form::adrp, Op::page, 0, true};
    case R_AARCH64_ADR_PREL_PG_HI21_NC: return {Form::adrp, Op::page, 0, false};
    case R_AARCH64_ADD_ABS_LO12_NC: return {Form::lo12, Op::abs, 0, false};
    case R_AARCH64_LDST8_ABS_LO12_NC: return {Form::lo12, Op::abs, 0, false};
    case R_AARCH64_LDST16_ABS_LO12_NC: return {Form::lo12, Op::abs, 1, false};
    case R_AARCH64_LDST32_ABS_LO12_NC: return {Form::lo12, Op::abs, 2, false};
    case R_AARCH64_LDST64_ABS_LO12_NC: return {Form::lo12, Op::abs, 3, false};
    case R_AARCH64_LDST128_ABS_LO12_NC: return {Form::lo12, Op::abs, 4, false};
    // Control flow: TSTBR14 +-32 KiB, CONDBR19 +-1 MiB, JUMP26/CALL26 +-128 MiB.
    case R_AARCH64_TSTBR14: return {Form::br14, Op::prel, 0, true};
    case R_AARCH64_CONDBR19: return {Form::br19, Op::prel, 0, true};
    case R_AARCH64_JUMP26: return {Form::br26, Op::prel, 0, true};
    case R_AARCH64_CALL26: return {Form::br26, Op::prel, 0, true};
    default: return {Form::unsupported, Op::abs, 0, false};
    }
}

constexpr uint64_t kPageMask = ~uint64_t{0xfff};  // aaelf64: Page(expr) clears the low 12 bits

constexpr int64_t compute_x(Op op, uint64_t place, uint64_t value) noexcept {
    switch (op) {
    case Op::abs: return static_cast<int64_t>(value);
    case Op::prel: return static_cast<int64_t>(value - place);
    case Op::page: return static_cast<int64_t>((value & kPageMask) - (place & kPageMask));
    }
    return 0;
}

// Little-endian access, independent of the host byte order.
uint64_t load_le(const uint8_t* p, uint32_t bytes) noexcept {
    uint64_t v = 0;
    for (uint32_t i = bytes; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

void store_le(uint8_t* p, uint64_t v, uint32_t bytes) noexcept {
    for (uint32_t i = 0; i < bytes; ++i, v >>= 8)
        p[i] = static_cast<uint8_t>(v);
}

// A PC-relative branch: X word aligned, |X| within the word-offset field of `imm_bits` bits.
constexpr RelocStatus branch(int64_t x, uint32_t imm_bits) noexcept {
    if ((x & 3) != 0)
        return RelocStatus::misaligned;
    return branch_offset_ok(x, imm_bits) ? RelocStatus::ok : RelocStatus::overflow;
}

// Encodes X into the instruction word *insn according to `s`; *insn is changed only on ok.
RelocStatus encode_insn(const Spec& s, int64_t x, uint32_t* insn) noexcept {
    const uint64_t ux = static_cast<uint64_t>(x);
    RelocStatus st = RelocStatus::ok;
    switch (s.form) {
    case Form::mov_k: {
        const uint64_t imm = ux >> s.arg;  // a negative X leaves high bits set: overflow if checked
        if (s.check && imm > 0xffff)
            return RelocStatus::overflow;
        *insn = set_imm16(*insn, imm);
        return RelocStatus::ok;
    }
    case Form::mov_nz: {
        // aaelf64 5.7, signed group relocations: X >= 0 gives MOVZ with X, X < 0 gives MOVN with NOT(X).
        const uint64_t imm = (x >= 0 ? ux : ~ux) >> s.arg;
        if (s.check && imm > 0xffff)
            return RelocStatus::overflow;
        *insn = set_imm16(set_mov_opc(*insn, x >= 0 ? kMovOpcZ : kMovOpcN), imm);
        return RelocStatus::ok;
    }
    case Form::adr:
        if (s.check && !fits_signed(x, 21))
            return RelocStatus::overflow;
        *insn = set_adr_imm21(*insn, ux);
        return RelocStatus::ok;
    case Form::adrp:
        if (s.check && !fits_signed(x >> 12, 21))
            return RelocStatus::overflow;
        *insn = set_adr_imm21(*insn, static_cast<uint64_t>(x >> 12));
        return RelocStatus::ok;
    case Form::lo12:
        // The LDST<N> forms scale imm12 by the access size: X must be aligned to it.
        if ((ux & ((uint64_t{1} << s.arg) - 1)) != 0)
            return RelocStatus::misaligned;
        *insn = set_imm12(*insn, (ux & 0xfff) >> s.arg);
        return RelocStatus::ok;
    case Form::br14:
        if ((st = branch(x, 14)) == RelocStatus::ok)
            *insn = set_imm14(*insn, static_cast<uint64_t>(x >> 2));
        return st;
    case Form::br19:
        if ((st = branch(x, 19)) == RelocStatus::ok)
            *insn = set_imm19(*insn, static_cast<uint64_t>(x >> 2));
        return st;
    case Form::br26:
        if ((st = branch(x, 26)) == RelocStatus::ok)
            *insn = set_imm26(*insn, static_cast<uint64_t>(x >> 2));
        return st;
    case Form::unsupported:
    case Form::data:
        break;
    }
    return RelocStatus::unsupported;
}

}  // namespace

RelocStatus apply_reloc(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept {
    // Xen (arch/arm/arm64/livepatch.c:284-289) wants 4 bytes of room for every type, and checks
    // that before the type; the 64-bit data types need 8 (:293, :308).
    if (room < kInsnSize)
        return RelocStatus::out_of_section;
    const Spec s = spec_of(type);
    if (s.form == Form::unsupported)
        return RelocStatus::unsupported;
    const uint32_t size = s.form == Form::data ? s.arg : kInsnSize;
    if (room < size)
        return RelocStatus::out_of_section;
    const int64_t x = compute_x(s.op, place, value);
    if (s.form == Form::data) {
        if (s.check && !fits_signed_or_unsigned(x, size * 8))
            return RelocStatus::overflow;
        store_le(loc, static_cast<uint64_t>(x), size);
        return RelocStatus::ok;
    }
    uint32_t insn = static_cast<uint32_t>(load_le(loc, kInsnSize));
    const RelocStatus st = encode_insn(s, x, &insn);
    if (st == RelocStatus::ok)
        store_le(loc, insn, kInsnSize);
    return st;
}

}  // namespace livepatch::arm64
