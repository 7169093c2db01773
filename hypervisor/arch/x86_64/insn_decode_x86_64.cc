// x86-64 instruction lengths: see insn_decode_x86_64.h. Opcode properties from the Intel SDM
// vol. 2D, appendix A (opcode maps), and the AMD APM vol. 3 for XOP and 3DNow!.
#include "arch/x86_64/insn_decode_x86_64.h"

namespace livepatch::x86_64 {

namespace {

// One opcode's properties: the immediate kind in the low three bits, then flags.
enum : uint8_t {
    I0 = 0,  // no immediate
    IB = 1,  // 1 byte (imm8, rel8)
    IW = 2,  // 2 bytes (RET/RETF imm16)
    IZ = 3,  // 2 bytes with a 66 prefix, else 4
    IV = 4,  // MOV r, imm: 8 bytes with REX.W, else 2 with 66, else 4
    ID = 5,  // 4 bytes whatever the prefixes (rel32)
    IM = 6,  // moffs: 8 bytes, 4 with a 67 prefix
    IE = 7,  // ENTER: imm16, imm8
    M = 8,    // a ModRM byte (with SIB and displacement as it says)
    X = 16,   // invalid in 64-bit mode
    S = 32,   // decoded by a special case (escape, prefix-dependent or group-dependent)
    R = 64,   // ModRM whose mod field is ignored: always a register operand, no SIB or disp
};
constexpr uint8_t kImmMask = 7;

// The one-byte map in 64-bit mode. Prefixes (26 2E 36 3E 40-4F 64-67 F0 F2 F3) never reach it.
constexpr uint8_t kMap0[256] = {
    /* 00 */ M, M, M, M, IB, IZ, X, X, M, M, M, M, IB, IZ, X, S,
    /* 10 */ M, M, M, M, IB, IZ, X, X, M, M, M, M, IB, IZ, X, X,
    /* 20 */ M, M, M, M, IB, IZ, X, X, M, M, M, M, IB, IZ, X, X,
    /* 30 */ M, M, M, M, IB, IZ, X, X, M, M, M, M, IB, IZ, X, X,
    /* 40 */ X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    /* 50 */ I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, I0,
    /* 60 */ X, X, S, M, X, X, X, X, IZ, M | IZ, IB, M | IB, I0, I0, I0, I0,
    /* 70 */ IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB,
    /* 80 */ M | IB, M | IZ, X, M | IB, M, M, M, M, M, M, M, M, M, M, M, S,
    /* 90 */ I0, I0, I0, I0, I0, I0, I0, I0, I0, I0, X, I0, I0, I0, I0, I0,
    /* A0 */ IM, IM, IM, IM, I0, I0, I0, I0, IB, IZ, I0, I0, I0, I0, I0, I0,
    /* B0 */ IB, IB, IB, IB, IB, IB, IB, IB, IV, IV, IV, IV, IV, IV, IV, IV,
    /* C0 */ M | IB, M | IB, IW, I0, S, S, M | IB, M | IZ, IE, I0, IW, I0, I0, IB, X, I0,
    /* D0 */ M, M, M, M, X, X, X, I0, M, M, M, M, M, M, M, M,
    /* E0 */ IB, IB, IB, IB, IB, IB, IB, IB, ID, ID, X, IB, I0, I0, I0, I0,
    /* F0 */ X, I0, X, X, I0, I0, S, S, I0, I0, I0, I0, I0, I0, M, M,
};

// The two-byte map (0F xx) in 64-bit mode.
constexpr uint8_t kMap1[256] = {
    /* 00 */ M, M, M, M, X, I0, I0, I0, I0, I0, X, I0, X, M, I0, S,
    /* 10 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 20 */ R, R, R, R, X, X, X, X, M, M, M, M, M, M, M, M,
    /* 30 */ I0, I0, I0, I0, I0, I0, X, I0, S, X, S, X, X, X, X, X,
    /* 40 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 50 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 60 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 70 */ M | IB, M | IB, M | IB, M | IB, M, M, M, I0, S, M, X, X, M, M, M, M,
    /* 80 */ ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
    /* 90 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* A0 */ I0, I0, I0, M, M | IB, M, X, X, I0, I0, I0, M, M | IB, M, M, M,
    /* B0 */ M, M, M, M, M, M, M, M, S, M, M | IB, M, M, M, M, M,
    /* C0 */ M, M, M | IB, M, M | IB, M | IB, M | IB, M, I0, I0, I0, I0, I0, I0, I0, I0,
    /* D0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* E0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* F0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

// Opcodes of the 0F map (VEX/EVEX map 1) that take an imm8 there: PSHUF*, the shift groups
// 12-14, CMPPS/PD/SS/SD, PINSRW, PEXTRW, SHUFPS/PD.
constexpr bool map1_vex_imm8(uint8_t op) noexcept {
    return (op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6;
}

// A bounded reader: a read past `avail` (or past the 15-byte limit) returns 0 instead of touching
// memory. Every byte read belongs to the instruction, so such a read makes the final length
// exceed `avail` and the result truncated (or invalid, past 15 bytes): decisions taken on the 0
// never reach the caller as a length.
class Reader {
public:
    Reader(const uint8_t* code, size_t avail) noexcept : m_code(code), m_avail(avail) {}
    uint8_t next() noexcept { return at(m_pos++); }
    uint8_t peek(size_t ahead = 0) const noexcept { return at(m_pos + ahead); }
    void skip(size_t n) noexcept { m_pos += n; }
    size_t pos() const noexcept { return m_pos; }

private:
    uint8_t at(size_t i) const noexcept { return i < m_avail && i < kMaxInsnLength ? m_code[i] : 0; }
    const uint8_t* m_code;
    size_t m_avail;
    size_t m_pos = 0;
};

struct Prefixes {
    bool opsize = false;  // 66
    bool adsize = false;  // 67
    bool rep = false;     // F3
    bool repne = false;   // F2
    bool lock = false;    // F0
    uint8_t rex = 0;      // the REX byte right before the opcode, 0 if none
};

bool is_legacy_prefix(uint8_t b) noexcept {
    switch (b) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
        return true;
    default:
        return false;
    }
}

// Consumes a ModRM byte, its SIB and its displacement; `register_only` for the forms whose mod
// field is ignored (MOV to and from control and debug registers).
void skip_modrm(Reader& r, bool register_only) noexcept {
    const uint8_t modrm = r.next();
    const uint8_t mod = modrm >> 6, rm = modrm & 7;
    if (mod == 3 || register_only)
        return;
    if (rm == 4) {
        const uint8_t sib = r.next();
        if (mod == 0 && (sib & 7) == 5)
            r.skip(4);  // no base: disp32
    } else if (mod == 0 && rm == 5) {
        r.skip(4);  // RIP-relative disp32
    }
    if (mod == 1)
        r.skip(1);
    else if (mod == 2)
        r.skip(4);
}

size_t imm_size(uint8_t kind, const Prefixes& p) noexcept {
    switch (kind) {
    case IB: return 1;
    case IW: return 2;
    case IZ: return p.opsize ? 2 : 4;
    case IV: return (p.rex & 8) ? 8 : p.opsize ? 2 : 4;
    case ID: return 4;
    case IM: return p.adsize ? 4 : 8;
    case IE: return 3;
    default: return 0;
    }
}

InsnLength done(const Reader& r, size_t avail) noexcept {
    const size_t len = r.pos();
    if (len > kMaxInsnLength)
        return {avail >= kMaxInsnLength ? InsnStatus::invalid : InsnStatus::truncated, 0};
    if (len > avail)
        return {InsnStatus::truncated, 0};
    return {InsnStatus::ok, static_cast<uint8_t>(len)};
}

InsnLength invalid() noexcept { return {InsnStatus::invalid, 0}; }

enum class Escape : uint8_t { vex, evex, xop };

// Whether `map` is an opcode map that escape selects: VEX 1-3 (0F, 0F38, 0F3A); EVEX 1-3, and
// 5 and 6 (AVX512-FP16); XOP 8-0Ah.
bool known_map(Escape kind, uint8_t map) noexcept {
    switch (kind) {
    case Escape::vex: return map >= 1 && map <= 3;
    case Escape::evex: return (map >= 1 && map <= 3) || map == 5 || map == 6;
    case Escape::xop: return map >= 8 && map <= 0xa;
    }
    return false;
}

// VEX (C4/C5), EVEX (62) and XOP (8F) instructions, after their payload bytes: `map` is the
// opcode map they select.
InsnLength vex_like(Reader& r, size_t avail, const Prefixes& p, uint8_t map, Escape kind) noexcept {
    if (r.pos() > avail)
        return {InsnStatus::truncated, 0};  // the map came from a byte that is not there
    // A legacy 66/F2/F3/F0 or REX prefix before VEX/EVEX/XOP is #UD (SDM vol. 2A, 2.3.2).
    if (p.opsize || p.rep || p.repne || p.lock || p.rex || !known_map(kind, map))
        return invalid();
    const bool evex = kind == Escape::evex;
    const uint8_t op = r.next();
    size_t imm = 0;
    switch (map) {
    case 1:
        if (op == 0x77 && !evex)
            return done(r, avail);  // VZEROUPPER/VZEROALL: no ModRM
        imm = map1_vex_imm8(op) ? 1 : 0;
        break;
    case 2: case 5: case 6: case 9:
        break;
    case 3: case 8:
        imm = 1;
        break;
    case 0xa:
        imm = 4;  // XOP map 0Ah: BEXTR, LWPINS, LWPVAL take an imm32
        break;
    }
    skip_modrm(r, false);
    r.skip(imm);
    return done(r, avail);
}

InsnLength two_byte(Reader& r, size_t avail, const Prefixes& p) noexcept {
    const uint8_t op = r.next();
    const uint8_t e = kMap1[op];
    if (e & X)
        return invalid();
    if (e & S) {
        switch (op) {
        case 0x0f:  // 3DNow!: ModRM, then the opcode suffix byte
            skip_modrm(r, false);
            r.skip(1);
            return done(r, avail);
        case 0x38:  // three-byte map 0F38: ModRM, no immediate
            r.skip(1);
            skip_modrm(r, false);
            return done(r, avail);
        case 0x3a:  // three-byte map 0F3A: ModRM, imm8
            r.skip(1);
            skip_modrm(r, false);
            r.skip(1);
            return done(r, avail);
        case 0x78:  // VMREAD; 66: EXTRQ /0 ib, ib; F2: INSERTQ ib, ib (AMD SSE4a)
            skip_modrm(r, false);
            r.skip(p.opsize || p.repne ? 2 : 0);
            return done(r, avail);
        case 0xb8:  // F3: POPCNT; otherwise JMPE, not in 64-bit mode
            if (!p.rep)
                return invalid();
            skip_modrm(r, false);
            return done(r, avail);
        }
        return invalid();
    }
    if (e & (M | R))
        skip_modrm(r, (e & R) != 0);
    r.skip(imm_size(e & kImmMask, p));
    return done(r, avail);
}

}  // namespace

InsnLength insn_length(const uint8_t* code, size_t avail) noexcept {
    Reader r(code, avail);
    Prefixes p;
    // Legacy prefixes and REX, in any number up to the length limit; a REX counts only when
    // it is the last byte before the opcode.
    for (;;) {
        if (r.pos() >= kMaxInsnLength)
            return invalid();  // 15 prefixes, all present: no room for an opcode
        const uint8_t b = r.peek();
        if (is_legacy_prefix(b)) {
            p.opsize |= b == 0x66;
            p.adsize |= b == 0x67;
            p.rep |= b == 0xf3;
            p.repne |= b == 0xf2;
            p.lock |= b == 0xf0;
            p.rex = 0;
        } else if ((b & 0xf0) == 0x40) {
            p.rex = b;
        } else {
            break;
        }
        r.skip(1);
    }

    const uint8_t op = r.next();
    const uint8_t e = kMap0[op];
    if (e & X)
        return invalid();  // a byte read past `avail` is 0, a valid opcode: this one is real
    if (e & S) {
        switch (op) {
        case 0x0f:
            return two_byte(r, avail, p);
        case 0xc5:  // VEX2: R vvvv L pp, map 0F
            r.skip(1);
            return vex_like(r, avail, p, 1, Escape::vex);
        case 0xc4: {  // VEX3: RXB mmmmm, W vvvv L pp
            const uint8_t map = r.next() & 0x1f;
            r.skip(1);
            return vex_like(r, avail, p, map, Escape::vex);
        }
        case 0x62: {  // EVEX: P0 (RXBR' 0 mmm), P1 (W vvvv 1 pp), P2
            const uint8_t p0 = r.next(), p1 = r.next();
            r.skip(1);
            if (r.pos() <= avail && (!(p1 & 0x04) || (p0 & 0x08)))
                return invalid();  // fixed bits of P0 and P1
            return vex_like(r, avail, p, p0 & 0x07, Escape::evex);
        }
        case 0x8f: {  // POP Ev when ModRM.reg is 0, else XOP: RXB mmmmm, W vvvv L pp
            if (((r.peek() >> 3) & 7) == 0) {
                skip_modrm(r, false);
                return done(r, avail);
            }
            const uint8_t map = r.next() & 0x1f;
            r.skip(1);
            return vex_like(r, avail, p, map, Escape::xop);
        }
        case 0xf6: case 0xf7: {  // group 3: TEST (/0, /1) has an immediate, the others none
            const bool test = ((r.peek() >> 3) & 7) < 2;
            skip_modrm(r, false);
            if (test)
                r.skip(op == 0xf6 ? 1 : imm_size(IZ, p));
            return done(r, avail);
        }
        }
        return invalid();
    }
    if (e & M)
        skip_modrm(r, false);
    r.skip(imm_size(e & kImmMask, p));
    return done(r, avail);
}

Boundary check_boundary(const uint8_t* code, uint32_t size, uint32_t start, uint32_t end) noexcept {
    uint32_t at = start;
    while (at < end) {
        const InsnLength l = insn_length(code + at, size - at);
        if (l.status != InsnStatus::ok)
            return {BoundaryStatus::undecodable, l.status, at, 0};
        if (at + l.len > end)
            return {BoundaryStatus::inside, InsnStatus::ok, at, l.len};
        at += l.len;
    }
    return {BoundaryStatus::ok, InsnStatus::ok, at, 0};
}

}  // namespace livepatch::x86_64
