// x86-64 relocations and patch encodings, checked against Capstone's decoding.
#include <capstone/capstone.h>
#include <doctest/doctest.h>
#include <elf.h>
#include <string.h>

#include <string>

#include "arch/x86_64/insn_x86_64.h"
#include "arch/x86_64/reloc_x86_64.h"

using namespace livepatch;

namespace {

// Decodes one instruction at `addr`; returns "mnemonic op_str" and its length.
std::string decode(const uint8_t* code, size_t len, uint64_t addr, size_t* insn_len = nullptr) {
    csh h;
    REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK);
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(h, code, len, addr, 1, &insn);
    std::string out;
    if (n == 1) {
        out = std::string(insn[0].mnemonic) + " " + insn[0].op_str;
        if (insn_len)
            *insn_len = insn[0].size;
    }
    cs_free(insn, n);
    cs_close(&h);
    return out;
}

std::string hex(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

TEST_SUITE("x86-64") {

TEST_CASE("R_X86_64_64 writes S+A, 8 bytes, and refuses a field past the section") {
    uint8_t buf[16] = {};
    CHECK(x86_64::apply_reloc(R_X86_64_64, buf + 8, 8, 0x1000, 0x1122334455667788ull) == RelocStatus::ok);
    uint64_t v;
    memcpy(&v, buf + 8, 8);
    CHECK(v == 0x1122334455667788ull);
    uint8_t before[16];
    memcpy(before, buf, 16);
    CHECK(x86_64::apply_reloc(R_X86_64_64, buf + 9, 7, 0x1000, 1) == RelocStatus::out_of_section);
    CHECK(memcmp(before, buf, 16) == 0);  // nothing written
}

TEST_CASE("R_X86_64_PC32 and PLT32: S+A-P, with the signed 32-bit limits exactly") {
    for (uint32_t type : {uint32_t{R_X86_64_PC32}, uint32_t{R_X86_64_PLT32}}) {
        CAPTURE(type);
        uint8_t buf[4] = {};
        const uint64_t place = 0xffff800000001000ull;
        CHECK(x86_64::apply_reloc(type, buf, 4, place, place + 0x7fffffff) == RelocStatus::ok);
        int32_t v;
        memcpy(&v, buf, 4);
        CHECK(v == INT32_MAX);
        CHECK(x86_64::apply_reloc(type, buf, 4, place, place - 0x80000000ull) == RelocStatus::ok);
        memcpy(&v, buf, 4);
        CHECK(v == INT32_MIN);
        memset(buf, 0xaa, 4);
        CHECK(x86_64::apply_reloc(type, buf, 4, place, place + 0x80000000ull) == RelocStatus::overflow);
        CHECK(x86_64::apply_reloc(type, buf, 4, place, place - 0x80000001ull) == RelocStatus::overflow);
        CHECK(buf[0] == 0xaa);  // nothing written on overflow
        CHECK(x86_64::apply_reloc(type, buf, 3, place, place) == RelocStatus::out_of_section);
    }
}

TEST_CASE("NONE is accepted without writing; every other type is unsupported") {
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(x86_64::apply_reloc(R_X86_64_NONE, buf, 0, 0, 0) == RelocStatus::ok);
    CHECK(buf[0] == 1);
    for (uint32_t type : std::initializer_list<uint32_t>{R_X86_64_32, R_X86_64_32S, R_X86_64_GOTPCREL, R_X86_64_REX_GOTPCRELX,
                          R_X86_64_GOTPCRELX, R_X86_64_PC64, R_X86_64_16, R_X86_64_8, R_X86_64_TPOFF32,
                          R_X86_64_RELATIVE, 0x7fu}) {
        CAPTURE(type);
        CHECK(x86_64::apply_reloc(type, buf, 8, 0, 0) == RelocStatus::unsupported);
    }
}

TEST_CASE("jmp rel32 encodes a jump Capstone decodes to the target, both directions") {
    const uint64_t site = 0xffff82d040200000ull;
    for (uint64_t target : std::initializer_list<uint64_t>{site + 0x1000, site - 0x1000, site + 5 + 0x7fffffff, site + 5 - 0x80000000ull}) {
        uint8_t insn[5];
        REQUIRE(x86_64::encode_jmp_rel32(site, target, insn));
        size_t len = 0;
        CHECK(decode(insn, 5, site, &len) == "jmp " + hex(target));
        CHECK(len == 5);
    }
    uint8_t insn[5];
    CHECK_FALSE(x86_64::encode_jmp_rel32(site, site + 5 + 0x80000000ull, insn));
    CHECK_FALSE(x86_64::encode_jmp_rel32(site, site + 4 - 0x80000000ull, insn));
}

TEST_CASE("NOP fill: every length up to 31 decodes as NOPs covering exactly that length") {
    for (size_t len = 1; len <= x86_64::kMaxNopFill; ++len) {
        CAPTURE(len);
        uint8_t buf[32];
        memset(buf, 0xcc, sizeof buf);
        x86_64::fill_nops(buf, len);
        CHECK(buf[len] == 0xcc);
        size_t off = 0;
        while (off < len) {
            size_t n = 0;
            const std::string text = decode(buf + off, len - off, 0x1000 + off, &n);
            CHECK(text.rfind("nop", 0) == 0);
            REQUIRE(n > 0);
            off += n;
        }
        CHECK(off == len);
    }
}

TEST_CASE("ENDBR64 and its poison are recognised; the patch site moves past them") {
    const uint8_t endbr[] = {0xf3, 0x0f, 0x1e, 0xfa, 0xc3};
    const uint8_t poison[] = {0x66, 0x0f, 0x1f, 0x01, 0xc3};
    const uint8_t plain[] = {0x55, 0x48, 0x89, 0xe5, 0xc3};
    CHECK(decode(endbr, 4, 0) == "endbr64 ");
    CHECK(x86_64::starts_with_endbr64(endbr));
    CHECK(x86_64::starts_with_endbr64(poison));
    CHECK_FALSE(x86_64::starts_with_endbr64(plain));
    CHECK(x86_64::patch_offset(endbr, 9) == 4);
    CHECK(x86_64::patch_offset(plain, 9) == 0);
    static_assert(x86_64::kJmpRel32Size == 5);
    static_assert(x86_64::starts_with_endbr64(x86_64::kEndbr64));
}

}  // TEST_SUITE
