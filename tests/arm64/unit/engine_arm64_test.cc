// The engine on AArch64 (built and run by make test-arm64 only): real AArch64 payloads
// (tests/fixtures/payloads, cross-compiled; their relocations ADRP/ADD, CALL26 and ABS64) are
// uploaded, applied and reverted through the sysctl handler on the test port, and the patched
// old function is then called as real code: it must run the replacement while the B is in place
// and its own body again after the revert.
#include <doctest/doctest.h>
#include <string.h>
#include <sys/mman.h>

#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/arm64/insn_arm64.h"
#include "core/engine/engine.h"
#include "livepatch/errc.h"
#include "livepatch/livepatch.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"

#if !defined(__aarch64__)
#error "tests/arm64/unit runs AArch64 code: build it with the AArch64 compiler (make test-arm64)"
#endif

using namespace livepatch;
using livepatch::test::action;
using livepatch::test::fixture;
using livepatch::test::hv;
using livepatch::test::run;
using livepatch::test::upload;

namespace {

uint32_t word_at(const uint8_t* p) {
    return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// xen_extra_version of the fake hypervisor as real AArch64 code: `mov x0, #0; ret`, in a page
// made executable. Returns it as a function.
using ExtraVersion = const char* (*)();
ExtraVersion real_extra_version() {
    uint8_t* xev = hv().text() + test::TestHypervisor::kExtraVersionOff;
    REQUIRE(mprotect(xev, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0);
    const uint8_t code[] = {0x00, 0x00, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6};  // mov x0, #0; ret
    arch::patch_text(reinterpret_cast<uintptr_t>(xev), code, sizeof code);
    return reinterpret_cast<ExtraVersion>(xev);
}

}  // namespace

TEST_SUITE("arm64 engine") {

TEST_CASE("arm64: hello applies as one B to the replacement, runs, and reverts") {
    hv().reset();
    ExtraVersion xev = real_extra_version();
    const uint8_t* site = reinterpret_cast<const uint8_t*>(xev);
    const uint32_t original = word_at(site);
    CHECK(xev() == nullptr);

    REQUIRE(upload("hello", fixture("hello")) == 0);
    uint64_t target = 0;
    REQUIRE(Engine::instance().with_payload("hello", [&](const Payload& p) { target = p.funcs()[0].new_addr; }));
    REQUIRE(run("hello", LIVEPATCH_ACTION_APPLY) == 0);
    uint32_t want = 0;
    REQUIRE(arm64::encode_b(reinterpret_cast<uintptr_t>(site), target, &want));
    CHECK(word_at(site) == want);
    CHECK(word_at(site + 4) == 0xd65f03c0);  // only the first instruction is replaced
    for (int i = 0; i < 3; ++i) {
        const char* s = xev();  // through the B: the payload's code, its relocated string
        REQUIRE(s != nullptr);
        CHECK(std::string(s) == "Hello World");
    }

    REQUIRE(run("hello", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(word_at(site) == original);
    CHECK(xev() == nullptr);
    CHECK(action("hello", LIVEPATCH_ACTION_UNLOAD) == 0);
}

TEST_CASE("arm64: fixtures with statics, hooks and stacking load; a 7-byte NOP patch is refused") {
    hv().reset();
    for (const char* name : {"statics", "hooks", "hello", "stacked"}) {
        hv().clear_log();
        const int32_t rc = upload(name, fixture(name));
        CHECK_MESSAGE(rc == 0, name, ": ", rc, " ", hv().log().empty() ? "" : hv().log().back());
    }
    for (const char* name : {"stacked", "hello", "hooks", "statics"})
        CHECK(action(name, LIVEPATCH_ACTION_UNLOAD) == 0);
    // LP_NOP(xen_extra_version, 7, 64): arm64 NOP patches are whole 4-byte instructions.
    CHECK(upload("nop", fixture("nop")) == to_xen_rc(Errc::kEOPNOTSUPP));
    hv().reset();
}

}  // TEST_SUITE
