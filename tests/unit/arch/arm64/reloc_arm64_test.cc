// AArch64 relocations (arch/arm64/reloc_arm64.h) and patch encoders (arch/arm64/insn_arm64.h).
//
// The expected words are not derived from the code under test: each "before" word is what
// aarch64-linux-gnu-as emits for the instruction in a relocatable object (immediate fields zero),
// and each "after" word is what aarch64-linux-gnu-ld wrote at the same offset when linking the
// object with -Ttext=0x40000000 -Tdata=0x40008000 and the symbol values in the tables
// (--defsym). The source was, in order, with X = the symbol in the table row:
//   movz x0,#:abs_g0:X   movk x0,#:abs_g0_nc:X   movz x1,#:abs_g1:X  ... (one line per row)
//   adr x11,X  adrp x12,X  adrp x12,:pg_hi21_nc:X  add x13,x13,:lo12:X  ldrb/ldrh/ldr w/x/q
//   tbz w15,#3,X  tbnz w15,#5,X  b.ne X  cbz x16,X  b X  bl X;  .xword/.word/.hword X and X - .
// Capstone then decodes every patched word at its address, so the mnemonic and the decoded
// immediate or branch target are checked by a third, independent decoder.
#include <capstone/capstone.h>
#include <doctest/doctest.h>
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "arch/arm64/insn_arm64.h"
#include "arch/arm64/reloc_arm64.h"

using livepatch::RelocStatus;
namespace a64 = livepatch::arm64;

namespace {

constexpr uint64_t kText = 0x40000000;
constexpr uint64_t kData = 0x40008000;

struct InsnCase {
    uint32_t type;
    uint64_t place;
    uint64_t value;  // S + A
    uint32_t before, after;
    const char* mnemonic;  // Capstone's mnemonic for `after`
    uint64_t operand;      // Capstone's last operand: imm16 / imm12 / mem disp / target address
};

// clang-format off
constexpr InsnCase kInsnCases[] = {
    {R_AARCH64_MOVW_UABS_G0,        kText + 0x00, 0x1234,             0xd2800000, 0xd2824680, "movz", 0x1234},
    {R_AARCH64_MOVW_UABS_G0_NC,     kText + 0x04, 0x123456789abcdef0, 0xf2800000, 0xf29bde00, "movk", 0xdef0},
    {R_AARCH64_MOVW_UABS_G1,        kText + 0x08, 0x89abcdef,         0xd2a00001, 0xd2b13561, "movz", 0x89ab},
    {R_AARCH64_MOVW_UABS_G1_NC,     kText + 0x0c, 0x123456789abcdef0, 0xf2a00001, 0xf2b35781, "movk", 0x9abc},
    {R_AARCH64_MOVW_UABS_G2,        kText + 0x10, 0x123456789abc,     0xd2c00002, 0xd2c24682, "movz", 0x1234},
    {R_AARCH64_MOVW_UABS_G2_NC,     kText + 0x14, 0x123456789abcdef0, 0xf2c00002, 0xf2cacf02, "movk", 0x5678},
    {R_AARCH64_MOVW_UABS_G3,        kText + 0x18, 0x123456789abcdef0, 0xf2e00003, 0xf2e24683, "movk", 0x1234},
    {R_AARCH64_MOVW_SABS_G0,        kText + 0x1c, 0x7ffe,             0xd2800004, 0xd28fffc4, "movz", 0x7ffe},
    {R_AARCH64_MOVW_SABS_G0,        kText + 0x20, 0xffffffffffffedcb, 0xd2800004, 0x92824684, "movn", 0x1234},
    {R_AARCH64_MOVW_SABS_G1,        kText + 0x24, 0x12340000,         0xd2a00005, 0xd2a24685, "movz", 0x1234},
    {R_AARCH64_MOVW_SABS_G1,        kText + 0x28, 0xffffffffa9880000, 0xd2a00005, 0x92aacee5, "movn", 0x5677},
    {R_AARCH64_MOVW_SABS_G2,        kText + 0x2c, 0x123400000000,     0xd2c00006, 0xd2c24686, "movz", 0x1234},
    {R_AARCH64_MOVW_SABS_G2,        kText + 0x30, 0xffffedcc00000000, 0xd2c00006, 0x92c24666, "movn", 0x1233},
    {R_AARCH64_MOVW_PREL_G0,        kText + 0x34, 0x40004a8c,         0xd2800007, 0xd2894b07, "movz", 0x4a58},
    {R_AARCH64_MOVW_PREL_G0,        kText + 0x38, 0x3fffc3c0,         0xd2800007, 0x92878ee7, "movn", 0x3c77},
    {R_AARCH64_MOVW_PREL_G0_NC,     kText + 0x3c, 0xffffa987a5432110, 0xf2800007, 0xf2841a87, "movk", 0x20d4},
    {R_AARCH64_MOVW_PREL_G1,        kText + 0x40, 0x47654320,         0xd2a00008, 0xd2a0eca8, "movz", 0x0765},
    {R_AARCH64_MOVW_PREL_G1,        kText + 0x44, 0x38012350,         0xd2a00008, 0x92a0ffc8, "movn", 0x07fe},
    {R_AARCH64_MOVW_PREL_G1_NC,     kText + 0x48, 0xffffa987a5432110, 0xf2a00008, 0xf2aca868, "movk", 0x6543},
    {R_AARCH64_MOVW_PREL_G2,        kText + 0x4c, 0x123456789abc,     0xd2c00009, 0xd2c24689, "movz", 0x1234},
    {R_AARCH64_MOVW_PREL_G2,        kText + 0x50, 0xffffa987a5432110, 0xd2c00009, 0x92cacf09, "movn", 0x5678},
    {R_AARCH64_MOVW_PREL_G2_NC,     kText + 0x54, 0xffffa987a5432110, 0xf2c00009, 0xf2d530e9, "movk", 0xa987},
    {R_AARCH64_MOVW_PREL_G3,        kText + 0x58, 0x76543210fedcba98, 0xd2e0000a, 0xd2eeca8a, "movz", 0x7654},
    {R_AARCH64_MOVW_PREL_G3,        kText + 0x5c, 0xedcba987a5432110, 0xd2e0000a, 0x92e2468a, "movn", 0x1234},
    {R_AARCH64_ADR_PREL_LO21,       kText + 0x60, 0x40004a8c,         0x1000000b, 0x1002516b, "adr",  0x40004a8c},
    {R_AARCH64_ADR_PREL_LO21,       kText + 0x64, 0x3fffc3c0,         0x1000000b, 0x10fe1aeb, "adr",  0x3fffc3c0},
    {R_AARCH64_ADR_PREL_PG_HI21,    kText + 0x68, 0x47654320,         0x9000000c, 0x9003b2ac, "adrp", 0x47654000},
    {R_AARCH64_ADR_PREL_PG_HI21,    kText + 0x6c, 0x38012350,         0x9000000c, 0xd0fc008c, "adrp", 0x38012000},
    {R_AARCH64_ADR_PREL_PG_HI21_NC, kText + 0x70, 0x123456789abc,     0x9000000c, 0xb00b3c4c, "adrp", 0x56789000},
    {R_AARCH64_ADD_ABS_LO12_NC,     kText + 0x74, 0x123456789abcdef0, 0x910001ad, 0x913bc1ad, "add",  0xef0},
    {R_AARCH64_LDST8_ABS_LO12_NC,   kText + 0x78, 0x123456789abcdef0, 0x394001ce, 0x397bc1ce, "ldrb", 0xef0},
    {R_AARCH64_LDST16_ABS_LO12_NC,  kText + 0x7c, 0x40208aa6,         0x794001ce, 0x79554dce, "ldrh", 0xaa6},
    {R_AARCH64_LDST32_ABS_LO12_NC,  kText + 0x80, 0x40208ab4,         0xb94001ce, 0xb94ab5ce, "ldr",  0xab4},
    {R_AARCH64_LDST64_ABS_LO12_NC,  kText + 0x84, 0x40208ab8,         0xf94001ce, 0xf9455dce, "ldr",  0xab8},
    {R_AARCH64_LDST128_ABS_LO12_NC, kText + 0x88, 0x40208ac0,         0x3dc001ce, 0x3dc2b1ce, "ldr",  0xac0},
    {R_AARCH64_TSTBR14,             kText + 0x8c, 0x40004a8c,         0x3618000f, 0x361a500f, "tbz",  0x40004a8c},
    {R_AARCH64_TSTBR14,             kText + 0x90, 0x3fffc3c0,         0x3728000f, 0x372e198f, "tbnz", 0x3fffc3c0},
    {R_AARCH64_CONDBR19,            kText + 0x94, 0x40004a8c,         0x54000001, 0x54024fc1, "b.ne", 0x40004a8c},
    {R_AARCH64_CONDBR19,            kText + 0x98, 0x3fffc3c0,         0xb4000010, 0xb4fe1950, "cbz",  0x3fffc3c0},
    {R_AARCH64_JUMP26,              kText + 0x9c, 0x47654320,         0x14000000, 0x15d950a1, "b",    0x47654320},
    {R_AARCH64_CALL26,              kText + 0xa0, 0x38012350,         0x94000000, 0x960048ac, "bl",   0x38012350},
};
// clang-format on

struct DataCase {
    uint32_t type;
    uint64_t place;
    uint64_t value;
    std::vector<uint8_t> bytes;  // from `objdump -s -j .data`
};

const DataCase kDataCases[] = {
    {R_AARCH64_ABS64, kData + 0x00, 0x123456789abcdef0, {0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12}},
    {R_AARCH64_ABS32, kData + 0x08, 0x89abcdef, {0xef, 0xcd, 0xab, 0x89}},
    {R_AARCH64_ABS32, kData + 0x0c, 0x7fffffff, {0xff, 0xff, 0xff, 0x7f}},
    {R_AARCH64_ABS16, kData + 0x10, 0xfedc, {0xdc, 0xfe}},
    {R_AARCH64_ABS16, kData + 0x12, 0x1234, {0x34, 0x12}},
    {R_AARCH64_PREL64, kData + 0x14, 0xffffa987a5432110, {0xfc, 0xa0, 0x42, 0x65, 0x87, 0xa9, 0xff, 0xff}},
    {R_AARCH64_PREL32, kData + 0x1c, 0x3fffc3c0, {0xa4, 0x43, 0xff, 0xff}},
    {R_AARCH64_PREL32, kData + 0x20, 0x47654320, {0x00, 0xc3, 0x64, 0x07}},
    {R_AARCH64_PREL16, kData + 0x24, 0x40004a8c, {0x68, 0xca}},
    {R_AARCH64_PREL16, kData + 0x26, 0x4000fae2, {0xbc, 0x7a}},
};

// Every relocation type Xen accepts on arm64 (xen-livepatch.md section 2).
constexpr uint32_t kXenSet[] = {
    R_AARCH64_ABS64, R_AARCH64_ABS32, R_AARCH64_ABS16, R_AARCH64_PREL64, R_AARCH64_PREL32,
    R_AARCH64_PREL16, R_AARCH64_MOVW_UABS_G0, R_AARCH64_MOVW_UABS_G0_NC, R_AARCH64_MOVW_UABS_G1,
    R_AARCH64_MOVW_UABS_G1_NC, R_AARCH64_MOVW_UABS_G2, R_AARCH64_MOVW_UABS_G2_NC,
    R_AARCH64_MOVW_UABS_G3, R_AARCH64_MOVW_SABS_G0, R_AARCH64_MOVW_SABS_G1, R_AARCH64_MOVW_SABS_G2,
    R_AARCH64_MOVW_PREL_G0, R_AARCH64_MOVW_PREL_G0_NC, R_AARCH64_MOVW_PREL_G1,
    R_AARCH64_MOVW_PREL_G1_NC, R_AARCH64_MOVW_PREL_G2, R_AARCH64_MOVW_PREL_G2_NC,
    R_AARCH64_MOVW_PREL_G3, R_AARCH64_ADR_PREL_LO21, R_AARCH64_ADR_PREL_PG_HI21,
    R_AARCH64_ADR_PREL_PG_HI21_NC, R_AARCH64_ADD_ABS_LO12_NC, R_AARCH64_LDST8_ABS_LO12_NC,
    R_AARCH64_LDST16_ABS_LO12_NC, R_AARCH64_LDST32_ABS_LO12_NC, R_AARCH64_LDST64_ABS_LO12_NC,
    R_AARCH64_LDST128_ABS_LO12_NC, R_AARCH64_TSTBR14, R_AARCH64_CONDBR19, R_AARCH64_JUMP26,
    R_AARCH64_CALL26,
};

// One A64 word decoded by Capstone.
struct Decoded {
    bool ok = false;
    std::string mnemonic;
    uint64_t operand = 0;  // last operand: immediate (unshifted) or memory displacement
};

Decoded disasm(uint32_t word, uint64_t addr) {
    Decoded d;
    csh h;
    if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK)
        return d;
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    uint8_t bytes[4];
    for (int i = 0; i < 4; ++i)
        bytes[i] = static_cast<uint8_t>(word >> (8 * i));
    cs_insn* insn = nullptr;
    if (cs_disasm(h, bytes, sizeof(bytes), addr, 1, &insn) == 1) {
        const cs_arm64& a = insn->detail->arm64;
        d.mnemonic = insn->mnemonic;
        if (a.op_count > 0) {
            const cs_arm64_op& op = a.operands[a.op_count - 1];
            d.ok = op.type == ARM64_OP_IMM || op.type == ARM64_OP_MEM;
            d.operand = op.type == ARM64_OP_MEM ? static_cast<uint64_t>(static_cast<int64_t>(op.mem.disp))
                                                : static_cast<uint64_t>(op.imm);
        }
        cs_free(insn, 1);
    }
    cs_close(&h);
    return d;
}

uint32_t get32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

void put32(uint8_t* p, uint32_t w) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(w >> (8 * i));
}

// Applies `type` to the word `before` in an exactly 4-byte heap buffer (so ASan sees any stray
// access). On failure also checks that nothing was written.
RelocStatus apply_insn(uint32_t type, uint32_t before, uint64_t place, uint64_t value, uint32_t* after) {
    std::vector<uint8_t> buf(4);
    put32(buf.data(), before);
    const RelocStatus st = a64::apply_reloc(type, buf.data(), buf.size(), place, value);
    *after = get32(buf.data());
    if (st != RelocStatus::ok)
        CHECK(*after == before);
    return st;
}

// As apply_insn for a data field of `size` bytes, pre-filled with 0xa5, in a buffer of at least
// 4 bytes (Xen wants 4 bytes of room for every type); *out is the field, and the bytes after it
// must be untouched.
RelocStatus apply_data(uint32_t type, uint32_t size, uint64_t place, uint64_t value, std::vector<uint8_t>* out) {
    const uint32_t room = size < 4 ? 4 : size;
    std::vector<uint8_t> buf(room, 0xa5);
    const RelocStatus st = a64::apply_reloc(type, buf.data(), buf.size(), place, value);
    if (st != RelocStatus::ok)
        CHECK(buf == std::vector<uint8_t>(room, 0xa5));
    for (uint32_t i = size; i < room; ++i)
        CHECK(buf[i] == 0xa5);
    *out = std::vector<uint8_t>(buf.begin(), buf.begin() + size);
    return st;
}

// The room an accepted relocation needs in its section (Xen 4.17.5 arch/arm/arm64/livepatch.c:
// 284-287 wants 4 bytes for every type, :293 and :308 8 for ABS64 and PREL64).
uint32_t room_needed(uint32_t type) {
    switch (type) {
    case R_AARCH64_ABS64: case R_AARCH64_PREL64: return 8;
    default: return 4;
    }
}

}  // namespace

// Compile-time checks of the constexpr encoders (values from aarch64-linux-gnu-as, see below).
static_assert(a64::kNop == 0xd503201f && a64::kPatchInsnSize == 4);
static_assert(a64::kPatchRange == 128 * 1024 * 1024);
static_assert(a64::insert_field(0xffffffff, 5, 16, 0) == 0xffe0001f);
static_assert(a64::set_adr_imm21(0x10000000, 3) == 0x70000000);  // adr x0, .+3
static_assert(a64::fits_signed(-4, 3) && !a64::fits_signed(4, 3));
static_assert([] {
    uint32_t w = 0;
    return a64::encode_b(0x40000000, 0x40001000, &w) && w == 0x14000400;
}());
static_assert([] {
    uint32_t w = 0;
    return a64::encode_b(0x4000000c, 0x3800000c, &w) && w == 0x16000000;
}());
static_assert([] {
    uint32_t w = 7;
    return !a64::encode_b(0x40000000, 0x48000000, &w) && w == 7;
}());

TEST_SUITE("arm64 relocations") {

TEST_CASE("arm64: every accepted type has a linker-checked case") {
    for (uint32_t type : kXenSet) {
        bool found = false;
        for (const InsnCase& c : kInsnCases)
            found = found || c.type == type;
        for (const DataCase& c : kDataCases)
            found = found || c.type == type;
        CAPTURE(type);
        CHECK(found);
    }
}

TEST_CASE("arm64: instruction relocations match the linker and Capstone") {
    for (const InsnCase& c : kInsnCases) {
        CAPTURE(c.type);
        CAPTURE(c.place);
        uint32_t word = 0;
        REQUIRE(apply_insn(c.type, c.before, c.place, c.value, &word) == RelocStatus::ok);
        CHECK(word == c.after);
        const Decoded d = disasm(word, c.place);
        REQUIRE(d.ok);
        CHECK(d.mnemonic == c.mnemonic);
        CHECK(d.operand == c.operand);
    }
}

TEST_CASE("arm64: data relocations match the linker") {
    for (const DataCase& c : kDataCases) {
        CAPTURE(c.type);
        std::vector<uint8_t> out;
        REQUIRE(apply_data(c.type, static_cast<uint32_t>(c.bytes.size()), c.place, c.value, &out) == RelocStatus::ok);
        CHECK(out == c.bytes);
    }
}

TEST_CASE("arm64: data overflow bounds are -2^(n-1) <= X < 2^n") {
    const uint64_t p = kData;
    std::vector<uint8_t> out;
    struct Bound { uint32_t type, size; uint64_t base; };
    for (const Bound b : {Bound{R_AARCH64_ABS32, 4, 0}, Bound{R_AARCH64_PREL32, 4, p},
                          Bound{R_AARCH64_ABS16, 2, 0}, Bound{R_AARCH64_PREL16, 2, p}}) {
        CAPTURE(b.type);
        const uint64_t top = uint64_t{1} << (8 * b.size), half = top / 2;
        const uint64_t place = b.base;  // ABS ignores place; PREL: X = value - place
        CHECK(apply_data(b.type, b.size, place, b.base + top - 1, &out) == RelocStatus::ok);
        CHECK(out == std::vector<uint8_t>(b.size, 0xff));
        CHECK(apply_data(b.type, b.size, place, b.base + top, &out) == RelocStatus::overflow);
        CHECK(apply_data(b.type, b.size, place, b.base - half, &out) == RelocStatus::ok);
        CHECK(out.back() == 0x80);
        CHECK(apply_data(b.type, b.size, place, b.base - half - 1, &out) == RelocStatus::overflow);
        CHECK(apply_data(b.type, b.size, place, b.base - 1, &out) == RelocStatus::ok);  // -1
        CHECK(out == std::vector<uint8_t>(b.size, 0xff));
    }
    // 64-bit data never overflows.
    CHECK(apply_data(R_AARCH64_ABS64, 8, 0, ~uint64_t{0}, &out) == RelocStatus::ok);
    CHECK(apply_data(R_AARCH64_PREL64, 8, ~uint64_t{0}, 0, &out) == RelocStatus::ok);
    CHECK(out == std::vector<uint8_t>{1, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("arm64: MOVW overflow bounds, MOVZ/MOVN selection and _NC forms") {
    const uint64_t p = kText;
    uint32_t w = 0;
    for (uint32_t g = 0; g < 3; ++g) {
        const uint64_t lim = uint64_t{1} << (16 * g + 16);
        const uint32_t movz = 0xd2800000 | g << 21, movk = 0xf2800000 | g << 21;
        CAPTURE(g);
        // Unsigned: 0 <= X < 2^(16g+16).
        const uint32_t uabs = R_AARCH64_MOVW_UABS_G0 + 2 * g;
        CHECK(apply_insn(uabs, movz, p, lim - 1, &w) == RelocStatus::ok);
        CHECK(disasm(w, p).operand == 0xffff);
        CHECK(apply_insn(uabs, movz, p, lim, &w) == RelocStatus::overflow);
        CHECK(apply_insn(uabs, movz, p, ~uint64_t{0}, &w) == RelocStatus::overflow);
        CHECK(apply_insn(uabs + 1, movk, p, lim, &w) == RelocStatus::ok);  // _NC: truncates
        CHECK(w == movk);
        CHECK(apply_insn(uabs + 1, movk, p, ~uint64_t{0}, &w) == RelocStatus::ok);
        CHECK(disasm(w, p).operand == 0xffff);
        // Signed (SABS, PREL): -2^(16g+16) <= X < 2^(16g+16); MOVZ for X >= 0, MOVN for X < 0.
        const uint32_t prel = R_AARCH64_MOVW_PREL_G0 + 2 * g;
        for (const uint32_t type : {R_AARCH64_MOVW_SABS_G0 + g, prel}) {
            const uint64_t base = type == prel ? p : 0;
            CAPTURE(type);
            CHECK(apply_insn(type, movk, p, base + lim - 1, &w) == RelocStatus::ok);
            CHECK(disasm(w, p).mnemonic == "movz");
            CHECK(disasm(w, p).operand == 0xffff);
            CHECK(apply_insn(type, movz, p, base + lim, &w) == RelocStatus::overflow);
            CHECK(apply_insn(type, movz, p, base - lim, &w) == RelocStatus::ok);
            CHECK(disasm(w, p).mnemonic == "movn");
            CHECK(disasm(w, p).operand == 0xffff);
            CHECK(apply_insn(type, movz, p, base - lim - 1, &w) == RelocStatus::overflow);
            CHECK(apply_insn(type, movz, p, base - 1, &w) == RelocStatus::ok);  // -1 = MOVN #0
            CHECK(w == (movz & ~0x60000000u));
        }
        // PREL_G<n>_NC keeps the opcode and takes bits of X, whatever its sign.
        CHECK(apply_insn(prel + 1, movk, p, p - 1, &w) == RelocStatus::ok);
        CHECK(w == (movk | 0xffff << 5));
    }
    // G3 cannot overflow.
    CHECK(apply_insn(R_AARCH64_MOVW_UABS_G3, 0xf2e00000, p, ~uint64_t{0}, &w) == RelocStatus::ok);
    CHECK(w == 0xf2ffffe0);  // movk x0, #0xffff, lsl #48 (as)
    CHECK(apply_insn(R_AARCH64_MOVW_PREL_G3, 0xd2e00000, p, p + (uint64_t{1} << 63), &w) == RelocStatus::ok);
    CHECK(w == 0x92efffe0);  // movn x0, #0x7fff, lsl #48 (as); X = INT64_MIN
}

TEST_CASE("arm64: ADR and ADRP ranges") {
    const uint64_t p = kText + 0x10;
    uint32_t w = 0;
    const uint32_t adr = 0x10000000, adrp = 0x90000000;
    // ADR_PREL_LO21: -2^20 <= X < 2^20, byte granular.
    for (const int64_t x : {int64_t{0xfffff}, int64_t{-0x100000}, int64_t{1}, int64_t{-3}}) {
        CAPTURE(x);
        REQUIRE(apply_insn(R_AARCH64_ADR_PREL_LO21, adr, p, p + x, &w) == RelocStatus::ok);
        CHECK(disasm(w, p).mnemonic == "adr");
        CHECK(disasm(w, p).operand == p + x);
    }
    CHECK(apply_insn(R_AARCH64_ADR_PREL_LO21, adr, p, p + 0x100000, &w) == RelocStatus::overflow);
    CHECK(apply_insn(R_AARCH64_ADR_PREL_LO21, adr, p, p - 0x100001, &w) == RelocStatus::overflow);
    // ADR_PREL_PG_HI21: -2^32 <= Page(S+A) - Page(P) < 2^32.
    const uint64_t page = p & ~uint64_t{0xfff}, g4 = uint64_t{1} << 32;
    for (const uint64_t target : {page + g4 - 0x1000 + 0xfff, page - g4, page + 0x123}) {
        CAPTURE(target);
        REQUIRE(apply_insn(R_AARCH64_ADR_PREL_PG_HI21, adrp, p, target, &w) == RelocStatus::ok);
        CHECK(disasm(w, p).mnemonic == "adrp");
        CHECK(disasm(w, p).operand == (target & ~uint64_t{0xfff}));
    }
    CHECK(apply_insn(R_AARCH64_ADR_PREL_PG_HI21, adrp, p, page + g4, &w) == RelocStatus::overflow);
    CHECK(apply_insn(R_AARCH64_ADR_PREL_PG_HI21, adrp, p, page - g4 - 1, &w) == RelocStatus::overflow);
    // The _NC form keeps bits [32:12] of the page delta without complaint.
    CHECK(apply_insn(R_AARCH64_ADR_PREL_PG_HI21_NC, adrp, p, page + 2 * g4 + 0x5000, &w) == RelocStatus::ok);
    CHECK(disasm(w, p).operand == page + 0x5000);
}

TEST_CASE("arm64: branch ranges and alignment") {
    struct Br { uint32_t type, base; const char* mnemonic; int64_t reach; };
    const Br brs[] = {
        {R_AARCH64_TSTBR14, 0x36180000, "tbz", int64_t{1} << 15},   // tbz w0, #3
        {R_AARCH64_CONDBR19, 0x54000000, "b.eq", int64_t{1} << 20},
        {R_AARCH64_CONDBR19, 0xb4000000, "cbz", int64_t{1} << 20},
        {R_AARCH64_JUMP26, 0x14000000, "b", int64_t{1} << 27},
        {R_AARCH64_CALL26, 0x94000000, "bl", int64_t{1} << 27},
    };
    const uint64_t p = 0xffff800008100000;  // a typical arm64 Xen text address
    uint32_t w = 0;
    for (const Br& b : brs) {
        CAPTURE(b.mnemonic);
        for (const int64_t x : {b.reach - 4, -b.reach, int64_t{0}, int64_t{-4}}) {
            CAPTURE(x);
            REQUIRE(apply_insn(b.type, b.base, p, p + x, &w) == RelocStatus::ok);
            const Decoded d = disasm(w, p);
            CHECK(d.mnemonic == b.mnemonic);
            CHECK(d.operand == p + x);
        }
        CHECK(apply_insn(b.type, b.base, p, p + b.reach, &w) == RelocStatus::overflow);
        CHECK(apply_insn(b.type, b.base, p, p - b.reach - 4, &w) == RelocStatus::overflow);
        CHECK(apply_insn(b.type, b.base, p, p + 2, &w) == RelocStatus::misaligned);
        CHECK(apply_insn(b.type, b.base, p, p - 1, &w) == RelocStatus::misaligned);
    }
}

TEST_CASE("arm64: LDST<N>_ABS_LO12_NC scale and alignment") {
    struct Ld { uint32_t type, base; uint32_t align; };
    const Ld lds[] = {
        {R_AARCH64_LDST8_ABS_LO12_NC, 0x39400000, 1},  {R_AARCH64_LDST16_ABS_LO12_NC, 0x79400000, 2},
        {R_AARCH64_LDST32_ABS_LO12_NC, 0xb9400000, 4}, {R_AARCH64_LDST64_ABS_LO12_NC, 0xf9400000, 8},
        {R_AARCH64_LDST128_ABS_LO12_NC, 0x3dc00000, 16},
    };
    uint32_t w = 0;
    for (const Ld& l : lds) {
        CAPTURE(l.align);
        const uint64_t v = 0xffff000012345000 + 0x1000 - l.align;  // largest offset in the page
        REQUIRE(apply_insn(l.type, l.base, kText, v, &w) == RelocStatus::ok);
        CHECK(disasm(w, kText).operand == 0x1000 - l.align);  // no overflow: only bits [11:0]
        for (uint32_t low = 1; low < l.align; low <<= 1)
            CHECK(apply_insn(l.type, l.base, kText, v + low, &w) == RelocStatus::misaligned);
    }
    // ADD takes any byte offset.
    CHECK(apply_insn(R_AARCH64_ADD_ABS_LO12_NC, 0x91000000, kText, 0x12345fff, &w) == RelocStatus::ok);
    CHECK(disasm(w, kText).operand == 0xfff);
}

TEST_CASE("arm64: a field that does not fit in its section is out_of_section") {
    for (const uint32_t type : kXenSet) {
        CAPTURE(type);
        const uint32_t size = room_needed(type);
        std::vector<uint8_t> buf(size, 0x5a);
        for (uint32_t room = 0; room < size; ++room)
            CHECK(a64::apply_reloc(type, buf.data(), room, kText, kText) == RelocStatus::out_of_section);
        CHECK(buf == std::vector<uint8_t>(size, 0x5a));
    }
    // A 16-bit field needs 4 bytes of room, as in Xen; with them it is fine and writes 2 bytes.
    std::vector<uint8_t> four(4, 0x5a);
    CHECK(a64::apply_reloc(R_AARCH64_ABS16, four.data(), 2, 0, 0x1234) == RelocStatus::out_of_section);
    CHECK(a64::apply_reloc(R_AARCH64_ABS16, four.data(), 3, 0, 0x1234) == RelocStatus::out_of_section);
    CHECK(a64::apply_reloc(R_AARCH64_ABS16, four.data(), 4, 0, 0x1234) == RelocStatus::ok);
    CHECK(four == std::vector<uint8_t>{0x34, 0x12, 0x5a, 0x5a});
}

// Xen 4.17.5 arch/arm/arm64/livepatch.c:285-287 (offset) comes before :289-478 (type): an
// unsupported type past the end of its section is -EINVAL (out_of_section), not -EOPNOTSUPP.
TEST_CASE("arm64: the relocation offset is checked before the type") {
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (const uint32_t type : {uint32_t{R_AARCH64_NONE}, uint32_t{R_AARCH64_GLOB_DAT}, uint32_t{0xffffffff}}) {
        CAPTURE(type);
        for (uint32_t room = 0; room < 4; ++room)
            CHECK(a64::apply_reloc(type, buf, room, kText, kText) == RelocStatus::out_of_section);
        CHECK(a64::apply_reloc(type, buf, 4, kText, kText) == RelocStatus::unsupported);
    }
    CHECK(buf[0] == 1);
}

TEST_CASE("arm64: types outside Xen's set are unsupported") {
    const uint32_t others[] = {
        R_AARCH64_NONE, 256 /* withdrawn NONE */, R_AARCH64_P32_ABS32, 281 /* unallocated */,
        R_AARCH64_LD_PREL_LO19, R_AARCH64_ADR_GOT_PAGE, R_AARCH64_LD64_GOT_LO12_NC,
        R_AARCH64_TLSGD_ADR_PAGE21, R_AARCH64_COPY, R_AARCH64_GLOB_DAT, R_AARCH64_JUMP_SLOT,
        R_AARCH64_RELATIVE, R_AARCH64_IRELATIVE, 0xffffffff,
    };
    for (const uint32_t type : others) {
        CAPTURE(type);
        uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        CHECK(a64::apply_reloc(type, buf, sizeof(buf), kText, kText) == RelocStatus::unsupported);
        CHECK(a64::apply_reloc(type, buf, 4, kText, kText) == RelocStatus::unsupported);
        CHECK(buf[0] == 1);
        CHECK(buf[7] == 8);
    }
}

TEST_CASE("arm64: encode_b matches the assembler and Capstone") {
    // aarch64-linux-gnu-as + ld -Ttext=0x40000000: `b _start+0x1000`, ... (site, target, word).
    struct B { uint64_t site, target; uint32_t word; };
    const B known[] = {
        {0x40000000, 0x40001000, 0x14000400},  // forward
        {0x40000004, 0x3ffffffc, 0x17fffffe},  // backward
        {0x40000008, 0x48000004, 0x15ffffff},  // maximum forward, 128 MiB - 4
        {0x4000000c, 0x3800000c, 0x16000000},  // maximum backward, -128 MiB
        {0x40000010, 0x40000010, 0x14000000},  // to itself
    };
    for (const B& b : known) {
        CAPTURE(b.site);
        uint32_t w = 0;
        REQUIRE(a64::encode_b(b.site, b.target, &w));
        CHECK(w == b.word);
        const Decoded d = disasm(w, b.site);
        CHECK(d.mnemonic == "b");
        CHECK(d.operand == b.target);
        // The JUMP26 relocation produces the same word from an assembled `b`.
        uint32_t r = 0;
        CHECK(apply_insn(R_AARCH64_JUMP26, a64::kOpB, b.site, b.target, &r) == RelocStatus::ok);
        CHECK(r == b.word);
    }
    const uint64_t s = 0x40000000;
    uint32_t w = 0xdeadbeef;
    CHECK_FALSE(a64::encode_b(s, s + a64::kPatchRange, &w));      // just out of range forward
    CHECK_FALSE(a64::encode_b(s, s - a64::kPatchRange - 4, &w));  // just out of range backward
    CHECK_FALSE(a64::encode_b(s, s + 0x102, &w));                 // misaligned target
    CHECK_FALSE(a64::encode_b(s + 2, s + 0x102, &w));             // misaligned site
    CHECK(w == 0xdeadbeef);
    CHECK(disasm(a64::kNop, s).mnemonic == "nop");
}

}  // TEST_SUITE
