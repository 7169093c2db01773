// The x86-64 instruction-length decoder (arch/x86_64/insn_decode_x86_64.h): hand-written cases
// for the odd encodings (lengths from the Intel SDM vol. 2 and the AMD APM vol. 3), each also
// checked against Capstone where Capstone decodes it, and the instruction-boundary walk.
#include <capstone/capstone.h>
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "arch/x86_64/insn_decode_x86_64.h"

using namespace livepatch::x86_64;

namespace {

struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    int len;  // expected length, or 0: invalid in 64-bit mode
    // Capstone 4 decodes this differently from the CPU (the reason); nullptr when it agrees.
    const char* capstone_differs = nullptr;
};

// Capstone's length for the instruction at code[0..n), 0 when it does not decode one.
size_t capstone_length(const uint8_t* code, size_t n) {
    csh h;
    REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK);
    cs_insn* insn = nullptr;
    const size_t count = cs_disasm(h, code, n, 0x1000, 1, &insn);
    const size_t len = count == 1 ? insn[0].size : 0;
    cs_free(insn, count);
    cs_close(&h);
    return len;
}

using V = std::vector<uint8_t>;

std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::vector<uint8_t> d32 = {0x78, 0x56, 0x34, 0x12};
const std::vector<uint8_t> d64 = {0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12};

std::vector<Case> cases() {
    return {
        // One-byte map basics and immediates.
        {"nop", {0x90}, 1},
        {"ret", {0xc3}, 1},
        {"ret imm16", {0xc2, 0x08, 0x00}, 3},
        {"retf imm16", {0xca, 0x08, 0x00}, 3},
        {"enter imm16, imm8", {0xc8, 0x10, 0x00, 0x01}, 4},
        {"int 0x80", {0xcd, 0x80}, 2},
        {"in al, imm8", {0xe4, 0x60}, 2},
        {"push imm32", V{0x68} + d32, 5},
        {"push imm16 (66)", {0x66, 0x68, 0x34, 0x12}, 4},
        {"push imm8", {0x6a, 0x01}, 2},
        {"imul r, rm, imm32", V{0x69, 0xc0} + d32, 6},
        {"imul r16, rm, imm16", {0x66, 0x69, 0xc0, 0x34, 0x12}, 5},
        {"imul r, rm, imm8", {0x6b, 0xc0, 0x01}, 3},
        {"test al, imm8", {0xa8, 0x01}, 2},
        {"test eax, imm32", V{0xa9} + d32, 5},
        {"test ax, imm16", {0x66, 0xa9, 0x34, 0x12}, 4},
        {"add rm8, imm8 (80)", {0x80, 0xc0, 0x01}, 3},
        {"add rm, imm32 (81)", V{0x81, 0xc0} + d32, 6},
        {"add rm, imm8 (83)", {0x83, 0xc0, 0x01}, 3},
        {"shl rm, imm8", {0xc0, 0xe0, 0x05}, 3},
        {"shl rm, 1", {0xd1, 0xe0}, 2},
        {"fadd st, st(1)", {0xd8, 0xc1}, 2},
        {"fld qword [rip+d32]", V{0xdd, 0x05} + d32, 6},
        // MOV r, imm: REX.W makes it imm64; 66 imm16; a REX not next to the opcode is ignored.
        {"mov eax, imm32", V{0xb8} + d32, 5},
        {"movabs rax, imm64", V{0x48, 0xb8} + d64, 10},
        {"mov ax, imm16", {0x66, 0xb8, 0x34, 0x12}, 4},
        {"mov rax, imm64 (66 then REX.W: REX.W wins)", V{0x66, 0x48, 0xb8} + d64, 11},
        {"mov ax, imm16 (REX.W then 66: REX ignored)", {0x48, 0x66, 0xb8, 0x34, 0x12}, 5},
        {"mov r8b, imm8", {0x41, 0xb0, 0x01}, 3},
        // A0-A3: moffs64, moffs32 with 67.
        {"mov al, moffs64", V{0xa0} + d64, 9},
        {"mov rax, moffs64", V{0x48, 0xa1} + d64, 10},
        {"mov moffs64, ax", V{0x66, 0xa3} + d64, 10},
        {"mov al, moffs32 (67)", V{0x67, 0xa0} + d32, 6},
        // Group 3: TEST (/0 and /1) has an immediate; NOT, NEG, MUL, IMUL, DIV, IDIV none.
        {"test al, imm8 (F6 /0)", {0xf6, 0xc0, 0x01}, 3},
        {"test rm8, imm8 (F6 /1)", {0xf6, 0xc8, 0x01}, 3},
        {"not al (F6 /2)", {0xf6, 0xd0}, 2},
        {"idiv byte [rax] (F6 /7)", {0xf6, 0x38}, 2},
        {"test eax, imm32 (F7 /0)", V{0xf7, 0xc0} + d32, 6},
        {"test ax, imm16 (66 F7 /0)", {0x66, 0xf7, 0xc0, 0x34, 0x12}, 5},
        {"test rax, imm32 (REX.W F7 /0)", V{0x48, 0xf7, 0xc0} + d32, 7},
        {"test [rip+d32], imm32", V{0xf7, 0x05} + d32 + d32, 10},
        {"neg eax (F7 /3)", {0xf7, 0xd8}, 2},
        {"div qword [rsp+8] (F7 /6)", {0x48, 0xf7, 0x74, 0x24, 0x08}, 5},
        // ModRM, SIB and displacements.
        {"mov eax, [rsp]", {0x8b, 0x04, 0x24}, 3},
        {"mov eax, [d32] (SIB, no base)", V{0x8b, 0x04, 0x25} + d32, 7},
        {"mov eax, [rsp+8]", {0x8b, 0x44, 0x24, 0x08}, 4},
        {"mov eax, [rsp+d32]", V{0x8b, 0x84, 0x24} + d32, 7},
        {"mov eax, [rip+d32]", V{0x8b, 0x05} + d32, 6},
        {"mov eax, [rbp+8]", {0x8b, 0x45, 0x08}, 3},
        {"mov eax, [rbp+d32]", V{0x8b, 0x85} + d32, 6},
        {"mov eax, [r12]", {0x41, 0x8b, 0x04, 0x24}, 4},
        {"mov eax, [r13+0]", {0x41, 0x8b, 0x45, 0x00}, 4},
        {"mov eax, [rbp+rax*4] (SIB base 5, mod 1)", {0x8b, 0x44, 0x85, 0x00}, 4},
        {"lea eax, [eax] (67)", {0x67, 0x8d, 0x00}, 3},
        // Branches: rel8, rel32; 66 on a near branch is ignored in 64-bit mode (Intel).
        {"jmp rel8", {0xeb, 0x10}, 2},
        {"jcc rel8", {0x74, 0x10}, 2},
        {"jrcxz rel8", {0xe3, 0x10}, 2},
        {"loop rel8", {0xe2, 0x10}, 2},
        {"call rel32", V{0xe8} + d32, 5},
        {"jmp rel32", V{0xe9} + d32, 5},
        {"jcc rel32", V{0x0f, 0x85} + d32, 6},
        {"call rel32 with 66 (ignored by Intel CPUs)", V{0x66, 0xe8} + d32, 6,
         "Capstone 4.0.2 decodes a rel16, as AMD CPUs do"},
        {"jcc rel32 with 66 (ignored by Intel CPUs)", V{0x66, 0x0f, 0x85} + d32, 7,
         "Capstone 4.0.2 decodes a rel16, as AMD CPUs do"},
        {"bnd jmp rel32", V{0xf2, 0xe9} + d32, 6},
        {"notrack jmp rax", {0x3e, 0xff, 0xe0}, 3},
        {"xbegin rel32", V{0xc7, 0xf8} + d32, 6},
        {"xabort imm8", {0xc6, 0xf8, 0x01}, 3},
        // Invalid in 64-bit mode.
        {"push es", {0x06}, 0},
        {"pop es", {0x07}, 0},
        {"push cs", {0x0e}, 0},
        {"push ss", {0x16}, 0},
        {"pop ss", {0x17}, 0},
        {"push ds", {0x1e}, 0},
        {"pop ds", {0x1f}, 0},
        {"daa", {0x27}, 0},
        {"das", {0x2f}, 0},
        {"aaa", {0x37}, 0},
        {"aas", {0x3f}, 0},
        {"pusha", {0x60}, 0},
        {"popa", {0x61}, 0},
        {"82 (alias of 80)", {0x82, 0xc0, 0x01}, 0},
        {"call far ptr16:32", V{0x9a} + d32 + V{0x08, 0x00}, 0},
        {"into", {0xce}, 0},
        {"aam", {0xd4, 0x0a}, 0},
        {"aad", {0xd5, 0x0a}, 0},
        {"salc", {0xd6}, 0},
        {"jmp far ptr16:32", V{0xea} + d32 + V{0x08, 0x00}, 0},
        {"jmpe (0F B8 without F3)", V{0x0f, 0xb8} + d32, 0},
        {"0F 04", {0x0f, 0x04}, 0},
        {"0F 0A", {0x0f, 0x0a}, 0},
        {"0F 24 (mov from test register)", {0x0f, 0x24, 0xc0}, 0},
        {"0F A6", {0x0f, 0xa6, 0xc0}, 0},
        // The 0F map.
        {"endbr64", {0xf3, 0x0f, 0x1e, 0xfa}, 4},
        {"nop dword [rcx] (ENDBR64 poison)", {0x66, 0x0f, 0x1f, 0x01}, 4},
        {"nop word [rax+rax+d32]", V{0x66, 0x0f, 0x1f, 0x84, 0x00} + d32, 9},
        {"syscall", {0x0f, 0x05}, 2},
        {"ud2", {0x0f, 0x0b}, 2},
        {"xgetbv", {0x0f, 0x01, 0xd0}, 3},
        {"swapgs", {0x0f, 0x01, 0xf8}, 3},
        {"lgdt [rax]", {0x0f, 0x01, 0x10}, 3},
        {"mfence", {0x0f, 0xae, 0xf0}, 3},
        {"clflush [rax+8]", {0x0f, 0xae, 0x78, 0x08}, 4},
        {"wrmsr", {0x0f, 0x30}, 2},
        {"cpuid", {0x0f, 0xa2}, 2},
        {"mov rax, cr0", {0x0f, 0x20, 0xc0}, 3},
        {"mov rax, cr0 (mod 00: still a register, no displacement)", {0x0f, 0x20, 0x00}, 3},
        {"mov cr0, rax (mod 00, rm 101: no RIP displacement)", {0x0f, 0x22, 0x05}, 3},
        {"mov dr7, rax", {0x0f, 0x23, 0xf8}, 3},
        {"bt eax, imm8", {0x0f, 0xba, 0xe0, 0x05}, 4},
        {"shld eax, ecx, imm8", {0x0f, 0xa4, 0xc8, 0x05}, 4},
        {"cmpps xmm0, xmm1, imm8", {0x0f, 0xc2, 0xc1, 0x00}, 4},
        {"pshufd xmm0, xmm1, imm8", {0x66, 0x0f, 0x70, 0xc1, 0x1b}, 5},
        {"psrlq xmm0, imm8 (group 14)", {0x66, 0x0f, 0x73, 0xd0, 0x04}, 5},
        {"pinsrw xmm0, eax, imm8", {0x66, 0x0f, 0xc4, 0xc0, 0x01}, 5},
        {"cmpxchg16b [rdi]", {0x48, 0x0f, 0xc7, 0x0f}, 4},
        {"bswap eax", {0x0f, 0xc8}, 2},
        {"popcnt eax, ecx", {0xf3, 0x0f, 0xb8, 0xc1}, 4},
        {"vmread rax, rcx", {0x0f, 0x78, 0xc8}, 3},
        {"extrq xmm0, imm8, imm8 (66 0F 78 /0)", {0x66, 0x0f, 0x78, 0xc0, 0x04, 0x08}, 6},
        {"insertq xmm0, xmm1, imm8, imm8 (F2 0F 78)", {0xf2, 0x0f, 0x78, 0xc1, 0x04, 0x08}, 6},
        {"extrq xmm0, xmm1 (66 0F 79)", {0x66, 0x0f, 0x79, 0xc1}, 4},
        {"femms", {0x0f, 0x0e}, 2},
        {"prefetchw [rax]", {0x0f, 0x0d, 0x08}, 3},
        // 3DNow!: ModRM, then the opcode suffix.
        {"pfadd mm0, mm1", {0x0f, 0x0f, 0xc1, 0x9e}, 4},
        {"pfadd mm0, [rip+d32]", V{0x0f, 0x0f, 0x05} + d32 + V{0x9e}, 8},
        {"pfmul mm0, [rsp+8]", {0x0f, 0x0f, 0x44, 0x24, 0x08, 0xb4}, 6},
        // Three-byte maps.
        {"pshufb mm0, mm1 (0F38)", {0x0f, 0x38, 0x00, 0xc1}, 4},
        {"crc32 eax, byte [rax] (F2 0F38 F0)", {0xf2, 0x0f, 0x38, 0xf0, 0x00}, 5},
        {"invpcid rax, [rcx] (66 0F38 82)", {0x66, 0x0f, 0x38, 0x82, 0x01}, 5},
        {"palignr xmm0, xmm1, imm8 (0F3A)", {0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08}, 6},
        {"pextrq rax, xmm0, imm8 (0F3A)", {0x66, 0x48, 0x0f, 0x3a, 0x16, 0xc0, 0x01}, 7},
        // VEX.
        {"vzeroupper", {0xc5, 0xf8, 0x77}, 3},
        {"vzeroall", {0xc5, 0xfc, 0x77}, 3},
        {"vmovdqa xmm0, xmm1", {0xc5, 0xf9, 0x6f, 0xc1}, 4},
        {"vpshufd xmm0, xmm1, imm8 (VEX map 1 imm8)", {0xc5, 0xf9, 0x70, 0xc1, 0x1b}, 5},
        {"vmovq rax, xmm0 (VEX3)", {0xc4, 0xe1, 0xf9, 0x7e, 0xc0}, 5},
        {"vpshufb xmm0, xmm0, xmm1 (VEX map 2)", {0xc4, 0xe2, 0x79, 0x00, 0xc1}, 5},
        {"vpalignr xmm0, xmm0, xmm1, imm8 (VEX map 3)", {0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x08}, 6},
        {"vmovdqu ymm0, [rip+d32]", V{0xc5, 0xfe, 0x6f, 0x05} + d32, 8},
        {"andn eax, ecx, edx (BMI1)", {0xc4, 0xe2, 0x70, 0xf2, 0xc2}, 5},
        {"rorx eax, ecx, imm8 (BMI2)", {0xc4, 0xe3, 0x7b, 0xf0, 0xc1, 0x05}, 6},
        {"VEX3 map 0", {0xc4, 0xe0, 0x79, 0x00, 0xc1}, 0},
        {"VEX3 map 4", {0xc4, 0xe4, 0x79, 0x00, 0xc1}, 0},
        {"66 before VEX", {0x66, 0xc5, 0xf9, 0x6f, 0xc1}, 0},
        {"REX before VEX", {0x48, 0xc5, 0xf9, 0x6f, 0xc1}, 0},
        // EVEX.
        {"vmovaps zmm0, zmm1", {0x62, 0xf1, 0x7c, 0x48, 0x28, 0xc1}, 6},
        {"vmovaps zmm0, [rcx+64] (disp8*N)", {0x62, 0xf1, 0x7c, 0x48, 0x28, 0x41, 0x01}, 7},
        {"vmovaps zmm0, [rcx+d32]", V{0x62, 0xf1, 0x7c, 0x48, 0x28, 0x81} + d32, 10},
        {"vpshufd zmm0, zmm1, imm8 (EVEX map 1 imm8)", {0x62, 0xf1, 0x7d, 0x48, 0x70, 0xc1, 0x1b}, 7},
        {"vpermd zmm0, zmm0, zmm1 (EVEX map 2)", {0x62, 0xf2, 0x7d, 0x48, 0x36, 0xc1}, 6},
        {"vextracti32x4 xmm1, zmm0, imm8 (EVEX map 3)", {0x62, 0xf3, 0x7d, 0x48, 0x39, 0xc1, 0x01}, 7},
        {"vpermb zmm0, zmm0, zmm1 (AVX512-VBMI)", {0x62, 0xf2, 0x7d, 0x48, 0x8d, 0xc1}, 6,
         "Capstone 4.0.2 does not decode it (binutils' objdump does)"},
        {"vshuff64x2 zmm0, zmm0, zmm1, imm8", {0x62, 0xf3, 0xfd, 0x48, 0x23, 0xc1, 0x08}, 7,
         "Capstone 4.0.2 does not decode it (binutils' objdump does)"},
        {"EVEX with P1 bit 2 clear", {0x62, 0xf1, 0x78, 0x48, 0x28, 0xc1}, 0},
        {"EVEX map 0", {0x62, 0xf0, 0x7c, 0x48, 0x28, 0xc1}, 0},
        {"F3 before EVEX", {0xf3, 0x62, 0xf1, 0x7c, 0x48, 0x28, 0xc1}, 0},
        // XOP (AMD) and POP Ev, both 8F.
        {"pop rax (8F /0)", {0x8f, 0xc0}, 2},
        {"pop qword [rsp]", {0x8f, 0x04, 0x24}, 3},
        {"vprotb xmm0, xmm1, imm8 (XOP map 8)", {0x8f, 0xe8, 0x78, 0xc0, 0xc1, 0x08}, 6},
        {"vfrczps xmm0, xmm1 (XOP map 9)", {0x8f, 0xe9, 0x78, 0x80, 0xc1}, 5},
        {"bextr eax, ecx, imm32 (XOP map 0Ah)", V{0x8f, 0xea, 0x78, 0x10, 0xc1} + d32, 9},
        {"XOP map 7", {0x8f, 0xe7, 0x78, 0x10, 0xc1}, 0},
        // Prefixes and the 15-byte limit.
        {"lock add [rax], eax", {0xf0, 0x01, 0x00}, 3},
        {"rep movsb", {0xf3, 0xa4}, 2},
        {"fs mov rax, [0]", {0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0}, 9},
        {"14 prefixes and nop: 15 bytes",
         {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e, 0x90}, 15},
        {"15 prefixes and nop: 16 bytes",
         {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e, 0x90}, 0},
        {"12 prefixes, movabs: 22 bytes",
         V{0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8} + d64, 0},
    };
}

}  // namespace

TEST_SUITE("x86-64 decoder") {

TEST_CASE("instruction lengths of the odd encodings, and Capstone agrees where it decodes them") {
    for (const Case& c : cases()) {
        const std::string what = c.what;
        CAPTURE(what);
        const InsnLength l = insn_length(c.bytes.data(), c.bytes.size());
        if (c.len) {
            CHECK(l.status == InsnStatus::ok);
            CHECK(l.len == c.len);
        } else {
            CHECK(l.status == InsnStatus::invalid);
        }
        // Capstone is the second opinion; where Capstone 4 departs from the CPU, the case says so.
        const size_t cs = capstone_length(c.bytes.data(), c.bytes.size());
        if (c.capstone_differs) {
            const std::string reason = c.capstone_differs;
            CAPTURE(reason);
            CHECK(cs != static_cast<size_t>(c.len));
        } else if (c.len) {
            CHECK(cs == static_cast<size_t>(c.len));
        }
    }
}

TEST_CASE("a byte short of any instruction is truncated, and nothing past the end is read") {
    for (const Case& c : cases()) {
        if (!c.len)
            continue;
        const std::string what = c.what;
        CAPTURE(what);
        for (size_t avail = 0; avail < c.bytes.size(); ++avail) {
            CAPTURE(avail);
            // The bytes in a buffer of exactly `avail` bytes, so that ASan sees any read past it.
            std::vector<uint8_t> cut(c.bytes.begin(), c.bytes.begin() + static_cast<long>(avail));
            const InsnLength l = insn_length(cut.data(), cut.size());
            CHECK(l.status == InsnStatus::truncated);
        }
    }
}

TEST_CASE("random bytes: a length depends only on the instruction's own bytes, and no read passes the end") {
    // xorshift64: the same sequence on every run.
    uint64_t x = 0x9e3779b97f4a7c15ull;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    size_t ok = 0, invalid = 0;
    for (int i = 0; i < 200000; ++i) {
        std::vector<uint8_t> buf(kMaxInsnLength);
        for (uint8_t& b : buf) b = static_cast<uint8_t>(next());
        // Favour prefixes and escapes, which random bytes rarely chain.
        static const uint8_t kLeads[] = {0x0f, 0x66, 0xc4, 0xc5, 0x62, 0x8f, 0xf3, 0x48};
        if (i % 2)
            buf[0] = kLeads[i / 2 % 8];
        const InsnLength full = insn_length(buf.data(), buf.size());
        if (full.status != InsnStatus::ok) {
            REQUIRE(full.status == InsnStatus::invalid);  // 15 bytes are enough for anything valid
            ++invalid;
            continue;
        }
        ++ok;
        REQUIRE(full.len >= 1);
        REQUIRE(full.len <= kMaxInsnLength);
        // Exactly the instruction's bytes, in a buffer of that size: the same length.
        std::vector<uint8_t> exact(buf.begin(), buf.begin() + full.len);
        const InsnLength again = insn_length(exact.data(), exact.size());
        REQUIRE(again.status == InsnStatus::ok);
        REQUIRE(again.len == full.len);
        // One byte fewer: truncated.
        exact.pop_back();
        REQUIRE(insn_length(exact.data(), exact.size()).status == InsnStatus::truncated);
    }
    CHECK(ok > 100000);
    CHECK(invalid > 1000);
}

TEST_CASE("check_boundary: walks from the start, finds ends, straddles and undecodable bytes") {
    // endbr64; lea rax, [rip+0]; push rbx; ud2 -> ends at 4, 11, 12, 14.
    const uint8_t code[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8d, 0x05, 0, 0, 0, 0, 0x53, 0x0f, 0x0b, 0x06, 0x90};
    for (uint32_t end : {4u, 11u, 12u, 14u}) {
        CAPTURE(end);
        CHECK(check_boundary(code, sizeof code, 4, end).status == BoundaryStatus::ok);
    }
    CHECK(check_boundary(code, sizeof code, 4, 4).status == BoundaryStatus::ok);  // empty region
    for (uint32_t end = 5; end < 11; ++end) {
        CAPTURE(end);
        const Boundary b = check_boundary(code, sizeof code, 4, end);
        CHECK(b.status == BoundaryStatus::inside);
        CHECK(b.at == 4);
        CHECK(b.len == 7);
    }
    CHECK(check_boundary(code, sizeof code, 4, 13).status == BoundaryStatus::inside);
    // 06 (push es) is invalid in 64-bit mode: nothing past it can be judged.
    const Boundary bad = check_boundary(code, sizeof code, 4, 16);
    CHECK(bad.status == BoundaryStatus::undecodable);
    CHECK(bad.insn == InsnStatus::invalid);
    CHECK(bad.at == 14);
    // The walk stops at `size`: an instruction cut by it does not decode.
    const Boundary cut = check_boundary(code, 8, 4, 6);
    CHECK(cut.status == BoundaryStatus::undecodable);
    CHECK(cut.insn == InsnStatus::truncated);
    CHECK(cut.at == 4);
}

}  // TEST_SUITE
