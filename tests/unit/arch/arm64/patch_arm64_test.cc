// AArch64 patch rules and planning (arch/arm64/patch_arm64.h): the upload checks of one function
// record and the bytes the patch writes, on any host. Expected words are what
// aarch64-linux-gnu-as + ld -Ttext=0x41000000 produced for `b _start+0x2345678` at 0x41000000,
// `b _start-0x1000` at 0x41000004, and `nop` (aarch64-linux-gnu-objdump -d); Capstone decodes
// the planned bytes as a third check.
#include <capstone/capstone.h>
#include <doctest/doctest.h>
#include <string.h>

#include <string>

#include "arch/arm64/insn_arm64.h"
#include "arch/arm64/patch_arm64.h"

using namespace livepatch;
namespace a64 = livepatch::arm64;

namespace {

livepatch_func record(uint64_t old_addr, uint32_t old_size, uint64_t new_addr, uint32_t new_size) {
    livepatch_func f;
    memset(&f, 0, sizeof f);
    f.old_addr = old_addr;
    f.old_size = old_size;
    f.new_addr = new_addr;
    f.new_size = new_size;
    f.version = kPayloadVersion;
    return f;
}

uint32_t word_at(const uint8_t* p) {
    return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// "mnemonic op_str" of every instruction Capstone decodes in [code, code + len) at `addr`.
std::string decode_all(const uint8_t* code, size_t len, uint64_t addr) {
    csh h;
    REQUIRE(cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) == CS_ERR_OK);
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(h, code, len, addr, 0, &insn);
    std::string out;
    for (size_t i = 0; i < n; ++i)
        out += std::string(out.empty() ? "" : "; ") + insn[i].mnemonic + " " + insn[i].op_str;
    cs_free(insn, n);
    cs_close(&h);
    return out;
}

Errc code_of(const Status& s) { return s.code(); }

}  // namespace

TEST_SUITE("arm64 patching") {

TEST_CASE("arm64: the planned B matches the assembler, forward and backward") {
    struct Known { uint64_t site, target; uint32_t word; };
    for (const Known k : {Known{0x41000000, 0x43345678, 0x148d159e}, Known{0x41000004, 0x40fff000, 0x17fffbff}}) {
        CAPTURE(k.site);
        const livepatch_func f = record(k.site, 16, k.target, 32);
        REQUIRE(a64::verify_func(f).ok());
        FuncState st;
        REQUIRE(a64::plan_patch(f, &st).ok());
        CHECK(st.patch_offset == 0);
        CHECK(st.len == 4);
        CHECK(word_at(st.insn) == k.word);
        char want[64];
        snprintf(want, sizeof want, "b #0x%llx", static_cast<unsigned long long>(k.target));
        CHECK(decode_all(st.insn, st.len, k.site) == std::string(want));
    }
}

TEST_CASE("arm64: B reach is [-128 MiB, 128 MiB) from the patch site, checked at upload") {
    const uint64_t old = 0xffff800008100000;
    const int64_t r = a64::kPatchRange;
    for (const int64_t d : {r - 4, -r + 4, int64_t{4}, int64_t{-4}}) {
        CAPTURE(d);
        const livepatch_func f = record(old, 8, old + d, 8);
        REQUIRE(a64::verify_func(f).ok());
        FuncState st;
        REQUIRE(a64::plan_patch(f, &st).ok());
        char want[64];
        snprintf(want, sizeof want, "b #0x%llx", static_cast<unsigned long long>(old + d));
        CHECK(decode_all(st.insn, 4, old) == std::string(want));
    }
    for (const int64_t d : {r, -r - 4, int64_t{1} << 40}) {
        CAPTURE(d);
        const livepatch_func f = record(old, 8, old + d, 8);
        CHECK(code_of(a64::verify_func(f)) == Errc::kEOVERFLOW);
        FuncState st;
        CHECK(code_of(a64::plan_patch(f, &st)) == Errc::kEOVERFLOW);
        CHECK(st.len == 0);
    }
    // new = old - R: B reaches it, but Xen's generic window (old - new in [-R, R)) does not, and
    // the upload follows Xen (-EOVERFLOW).
    const livepatch_func edge = record(old, 8, old - r, 8);
    CHECK(code_of(a64::verify_func(edge)) == Errc::kEOVERFLOW);
    FuncState st;
    CHECK(a64::plan_patch(edge, &st).ok());
}

TEST_CASE("arm64: old function and alignment rules") {
    const uint64_t old = 0x41000000;
    CHECK(code_of(a64::verify_func(record(old, 3, old + 0x100, 8))) == Errc::kEINVAL);   // < 4 bytes
    CHECK(a64::verify_func(record(old, 4, old + 0x100, 8)).ok());                        // exactly one insn
    CHECK(code_of(a64::verify_func(record(old + 2, 8, old + 0x100, 8))) == Errc::kEINVAL);  // old misaligned
    CHECK(code_of(a64::verify_func(record(old, 8, old + 0x102, 8))) == Errc::kEINVAL);      // new misaligned
}

// Xen 4.17.5's order: arch/arm/livepatch.c:71-73 (NOP limits, -EOPNOTSUPP) before :75-76
// (old_size, -EINVAL); then livepatch_verify_distance (include/xen/livepatch.h:108-121,
// -EOVERFLOW, run by common/livepatch.c:703), which checks no alignment: the engine's alignment
// rules (-EINVAL, beyond Xen) come after it.
TEST_CASE("arm64: Xen's errno order: NOP limits, old_size, distance, then alignment") {
    const uint64_t old = 0x41000000;
    const int64_t r = a64::kPatchRange;
    // A bad NOP length on a too small function: the NOP check first.
    CHECK(code_of(a64::verify_func(record(old, 2, 0, 6))) == Errc::kEOPNOTSUPP);
    CHECK(code_of(a64::verify_func(record(old, 0, 0, 32))) == Errc::kEOPNOTSUPP);
    // Too small and far away: old_size first.
    CHECK(code_of(a64::verify_func(record(old, 2, old + 4 * r, 8))) == Errc::kEINVAL);
    // Out of reach and misaligned (new, old, or both): the distance first.
    CHECK(code_of(a64::verify_func(record(old, 8, old + 2 * r + 2, 8))) == Errc::kEOVERFLOW);
    CHECK(code_of(a64::verify_func(record(old + 2, 8, old - 2 * r, 8))) == Errc::kEOVERFLOW);
    CHECK(code_of(a64::verify_func(record(old + 1, 8, old + 2 * r + 3, 8))) == Errc::kEOVERFLOW);
    // In reach and misaligned: the engine's alignment rule.
    CHECK(code_of(a64::verify_func(record(old + 2, 8, old + 0x100, 8))) == Errc::kEINVAL);
    // Xen's generic window is old - new in [-R, R): new = old - R is out of it (Xen: -EOVERFLOW)
    // even though B could reach it.
    CHECK(code_of(a64::verify_func(record(old + 2 * r, 8, old + r, 8))) == Errc::kEOVERFLOW);
}

TEST_CASE("arm64: NOP patches are whole NOPs, at most 28 bytes, within the old function") {
    const uint64_t old = 0x41000000;
    for (uint32_t n = 0; n <= 28; n += 4) {
        CAPTURE(n);
        const livepatch_func f = record(old, 32, 0, n);
        REQUIRE(a64::verify_func(f).ok());
        FuncState st;
        REQUIRE(a64::plan_patch(f, &st).ok());
        CHECK(st.patch_offset == 0);
        CHECK(st.len == n);
        std::string want;
        for (uint32_t i = 0; i < n; i += 4) {
            CHECK(word_at(st.insn + i) == 0xd503201f);
            want += std::string(want.empty() ? "" : "; ") + "nop ";
        }
        CHECK(decode_all(st.insn, st.len, old) == want);
    }
    for (const uint32_t n : {1u, 2u, 6u, 30u, 31u, 32u, 64u})
        CHECK(code_of(a64::verify_func(record(old, 64, 0, n))) == Errc::kEOPNOTSUPP);
    CHECK(code_of(a64::verify_func(record(old, 8, 0, 12))) == Errc::kEINVAL);  // longer than the function
}

}  // TEST_SUITE
