// The engine's state machine through the sysctl handler, on the test port's single CPU: a
// rendezvous completes when the test calls livepatch_check_work(), as a CPU at a safe point would.
#include <doctest/doctest.h>
#include <string.h>

#include <string>
#include <vector>

#include "arch/x86_64/insn_x86_64.h"
#include "core/engine/engine.h"
#include "livepatch/livepatch.h"
#include "support/sysctl_ops.h"
#include "unit/core/engine_support.h"
#include "support/test_port.h"

using namespace livepatch;
using livepatch::test::action;
using livepatch::test::EngineReset;
using livepatch::test::payload_int;
using livepatch::test::state_of;
using livepatch::test::text_copy;
using livepatch::test::xev;
using livepatch::test::fixture;
using livepatch::test::get;
using livepatch::test::hv;
using livepatch::test::run;
using livepatch::test::set_name;
using livepatch::test::upload;

namespace {

uint64_t ptr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

}  // namespace

TEST_SUITE("engine") {

TEST_CASE("upload, apply, revert, unload: the jump lands and the old bytes come back") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("hello", fixture("hello")) == 0);
    CHECK(state_of("hello") == kStateChecked);
    CHECK(upload("hello", fixture("hello")) == to_xen_rc(Errc::kEEXIST));

    int32_t hrc = 1;
    CHECK(run("hello", LIVEPATCH_ACTION_APPLY, 0, &hrc) == 0);
    CHECK(hrc == 0);
    CHECK(state_of("hello") == kStateApplied);

    // xen_extra_version now starts with jmp rel32 to the replacement.
    uint64_t target = 0;
    CHECK(Engine::instance().with_payload("hello", [&](const Payload& p) { target = p.funcs()[0].new_addr; }));
    uint8_t want[5];
    REQUIRE(x86_64::encode_jmp_rel32(ptr(xev()), target, want));
    CHECK(memcmp(xev(), want, 5) == 0);
    CHECK(memcmp(xev() + 5, before.data() + test::TestHypervisor::kExtraVersionOff + 5, 64 - 5) == 0);

    // Applying again is a no-op; unloading an applied payload is refused.
    CHECK(action("hello", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK_FALSE(Engine::instance().busy());
    CHECK(action("hello", LIVEPATCH_ACTION_UNLOAD) == to_xen_rc(Errc::kEINVAL));

    CHECK(run("hello", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(state_of("hello") == kStateChecked);
    CHECK(text_copy() == before);
    CHECK(action("hello", LIVEPATCH_ACTION_REVERT) == 0);  // already reverted: no-op

    // hello writes .bss, so it is not safe to re-apply: status rc -EINVAL, hypercall 0.
    CHECK(run("hello", LIVEPATCH_ACTION_APPLY, 0, &hrc) == to_xen_rc(Errc::kEINVAL));
    CHECK(hrc == 0);
    CHECK(text_copy() == before);

    CHECK(action("hello", LIVEPATCH_ACTION_UNLOAD) == 0);
    xen_livepatch_status st{};
    CHECK(get("hello", &st) == to_xen_rc(Errc::kENOENT));
}

TEST_CASE("ENDBR64: the jump goes after the ENDBR64, which survives") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("statics", fixture("statics")) == 0);
    REQUIRE(run("statics", LIVEPATCH_ACTION_APPLY) == 0);
    uint8_t* ibt = hv().text() + test::TestHypervisor::kIbtFunctionOff;
    CHECK(memcmp(ibt, x86_64::kEndbr64, 4) == 0);
    CHECK(ibt[4] == 0xe9);
    REQUIRE(run("statics", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(text_copy() == before);
}

TEST_CASE("NOP patch writes NOPs and reverts") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("nop", fixture("nop")) == 0);
    REQUIRE(run("nop", LIVEPATCH_ACTION_APPLY) == 0);
    uint8_t nops[7];
    x86_64::fill_nops(nops, 7);
    CHECK(memcmp(xev(), nops, 7) == 0);
    CHECK(xev()[7] == before[test::TestHypervisor::kExtraVersionOff + 7]);
    // nop has no writable data: it may be re-applied after a revert.
    REQUIRE(run("nop", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(text_copy() == before);
    CHECK(run("nop", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(memcmp(xev(), nops, 7) == 0);
}

TEST_CASE("dependencies: depends must name the payload below; NODEPS skips it; revert is top-only") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("stacked", fixture("stacked")) == 0);
    REQUIRE(run("hello", LIVEPATCH_ACTION_APPLY) == 0);
    const std::vector<uint8_t> after_hello = text_copy();

    // stacked's .livepatch.depends names the hypervisor, not hello: refused with -EINVAL.
    CHECK(action("stacked", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEINVAL));
    CHECK(state_of("stacked") == kStateChecked);
    // With NODEPS it stacks on hello; its jump replaces hello's.
    CHECK(run("stacked", LIVEPATCH_ACTION_APPLY, LIVEPATCH_ACTION_APPLY_NODEPS) == 0);
    CHECK(text_copy() != after_hello);

    // hello is not on top: -EBUSY, nothing changes.
    const auto stacked_text = text_copy();
    CHECK(action("hello", LIVEPATCH_ACTION_REVERT) == to_xen_rc(Errc::kEBUSY));
    CHECK(text_copy() == stacked_text);

    // LIFO revert restores hello's jump, then the original bytes.
    CHECK(run("stacked", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(text_copy() == after_hello);
    CHECK(run("hello", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(text_copy() == before);
}

TEST_CASE("REPLACE reverts every applied payload and applies the new one in one rendezvous") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("statics", fixture("statics")) == 0);
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    REQUIRE(run("statics", LIVEPATCH_ACTION_APPLY) == 0);
    REQUIRE(run("nop", LIVEPATCH_ACTION_APPLY, LIVEPATCH_ACTION_APPLY_NODEPS) == 0);

    CHECK(run("hello", LIVEPATCH_ACTION_REPLACE) == 0);
    CHECK(state_of("hello") == kStateApplied);
    CHECK(state_of("statics") == kStateChecked);
    CHECK(state_of("nop") == kStateChecked);
    // Only hello's jump remains: ibt_function is back to its original bytes.
    CHECK(memcmp(hv().text() + test::TestHypervisor::kIbtFunctionOff,
                 before.data() + test::TestHypervisor::kIbtFunctionOff, 64) == 0);
    CHECK(xev()[0] == 0xe9);
    CHECK(run("hello", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(text_copy() == before);
}

TEST_CASE("expectations: checked at APPLY; a mismatch is refused and text is untouched") {
    EngineReset reset;
    REQUIRE(upload("nop", fixture("nop")) == 0);
    const auto before = text_copy();
    // The fixture's record lives in writable memory (.livepatch.funcs is SHF_WRITE): set its
    // expectation the way a builder would have.
    livepatch_func* f = nullptr;
    REQUIRE(Engine::instance().with_payload(
        "nop", [&](const Payload& p) { f = const_cast<livepatch_func*>(&p.funcs()[0]); }));
    auto expect = [&](uint8_t len, const uint8_t* data, uint8_t rsv = 0) {
        f->expect.flags = static_cast<uint8_t>(1u | (len << 1) | (rsv << 6));
        memcpy(f->expect.data, data, len);
    };
    uint8_t wrong[4] = {0x90, 0x90, 0x90, 0x90};
    expect(4, wrong);
    CHECK(action("nop", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEINVAL));
    CHECK(text_copy() == before);
    expect(4, xev(), 1);
    CHECK(action("nop", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEINVAL));  // reserved bits
    const uint32_t old_size = f->old_size;
    f->old_size = 3;
    expect(4, xev());
    CHECK(action("nop", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kERANGE));
    f->old_size = old_size;
    CHECK(text_copy() == before);
    CHECK(state_of("nop") == kStateChecked);

    // The live bytes: accepted.
    expect(8, xev());
    CHECK(run("nop", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(state_of("nop") == kStateApplied);
    f->expect.flags = 0;
}

TEST_CASE("hooks: pre-hook vetoes, action hooks that refuse, post hooks, and -EAGAIN while pending") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("hooked", fixture("hooked")) == 0);
    int* rc_preapply = payload_int("hooked", "hook_rc_preapply");
    int* rc_apply = payload_int("hooked", "hook_rc_apply");
    int* rc_prerevert = payload_int("hooked", "hook_rc_prerevert");
    int* rc_revert = payload_int("hooked", "hook_rc_revert");
    int* post_apply = payload_int("hooked", "post_apply_calls");
    int* post_revert = payload_int("hooked", "post_revert_calls");
    int* loads = payload_int("hooked", "load_calls");

    // A pre-apply veto: the hypercall returns the hook's rc, and so does the status; nothing runs
    // (Xen 4.17.5 xen/common/livepatch.c:2057-2065: data->rc = rc; break; then `return rc`).
    *rc_preapply = -1;
    int32_t hrc = 1;
    CHECK(run("hooked", LIVEPATCH_ACTION_APPLY, 0, &hrc) == -1);
    CHECK(hrc == -1);
    xen_livepatch_status vetoed{};
    REQUIRE(get("hooked", &vetoed) == 0);
    CHECK(vetoed.rc == -1);
    CHECK(state_of("hooked") == kStateChecked);
    CHECK(*post_apply == 0);
    CHECK(text_copy() == before);
    // The veto is the payload's last action (for status), with no rendezvous timings.
    REQUIRE(Engine::instance().with_payload("hooked", [](const Payload& pl) {
        CHECK(pl.last_action().cmd == LIVEPATCH_ACTION_APPLY);
        CHECK(pl.last_action().rc == -1);
        CHECK(pl.last_action().vetoed);
        CHECK(pl.last_action().window_ns == 0);
    }));

    // The apply action hook refuses inside the window: no record is patched.
    *rc_preapply = 0;
    *rc_apply = -5;
    CHECK(run("hooked", LIVEPATCH_ACTION_APPLY) == -5);
    CHECK(state_of("hooked") == kStateChecked);
    CHECK(text_copy() == before);

    // Accepted: GET reports -EAGAIN until a CPU reaches its safe point, then 0; post hook ran.
    *rc_apply = 0;
    const int post_before = *post_apply, loads_before = *loads;
    REQUIRE(action("hooked", LIVEPATCH_ACTION_APPLY) == 0);
    xen_livepatch_status st{};
    REQUIRE(get("hooked", &st) == 0);
    CHECK(st.rc == to_xen_rc(Errc::kEAGAIN));
    CHECK(action("hooked", LIVEPATCH_ACTION_REVERT) == to_xen_rc(Errc::kEBUSY));  // work pending on it
    livepatch_check_work();
    REQUIRE(get("hooked", &st) == 0);
    CHECK(st.rc == 0);
    CHECK(st.state == kStateApplied);
    CHECK(*post_apply == post_before + 1);
    CHECK(*loads == loads_before + 1);
    CHECK(xev()[0] == 0xe9);

    // A pre-revert veto, then a refusing revert action hook: still applied, text still patched.
    const auto patched = text_copy();
    // (Xen 4.17.5 xen/common/livepatch.c:2005-2013: the pre-revert veto is the hypercall's rc.)
    *rc_prerevert = -1;
    CHECK(run("hooked", LIVEPATCH_ACTION_REVERT, 0, &hrc) == -1);
    CHECK(hrc == -1);
    REQUIRE(get("hooked", &vetoed) == 0);
    CHECK(vetoed.rc == -1);
    *rc_prerevert = 0;
    *rc_revert = -7;
    CHECK(run("hooked", LIVEPATCH_ACTION_REVERT) == -7);
    CHECK(state_of("hooked") == kStateApplied);
    CHECK(text_copy() == patched);
    *rc_revert = 0;
    CHECK(run("hooked", LIVEPATCH_ACTION_REVERT) == 0);
    // Post hooks pair with pre hooks that let the action run: they ran after the refused revert
    // (its action hook ran and said no) and after this one; never after a veto or a timeout.
    CHECK(*post_revert == 2);
    CHECK(text_copy() == before);
}

TEST_CASE("a failed REPLACE keeps the previous set applied, byte for byte") {
    EngineReset reset;
    REQUIRE(upload("statics", fixture("statics")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    REQUIRE(run("statics", LIVEPATCH_ACTION_APPLY) == 0);
    const auto applied = text_copy();

    // nop's expectation does not match the live bytes: REPLACE fails inside the window.
    livepatch_func* f = nullptr;
    REQUIRE(Engine::instance().with_payload(
        "nop", [&](const Payload& p) { f = const_cast<livepatch_func*>(&p.funcs()[0]); }));
    f->expect.flags = static_cast<uint8_t>(1u | (4u << 1));
    memset(f->expect.data, 0x90, 4);
    int32_t hrc = 1;
    CHECK(run("nop", LIVEPATCH_ACTION_REPLACE, 0, &hrc) == to_xen_rc(Errc::kEINVAL));
    CHECK(hrc == 0);
    CHECK(state_of("statics") == kStateApplied);
    CHECK(state_of("nop") == kStateChecked);
    CHECK(text_copy() == applied);
    f->expect.flags = 0;

    // And a REPLACE that succeeds leaves only the new payload applied.
    CHECK(run("nop", LIVEPATCH_ACTION_REPLACE) == 0);
    CHECK(state_of("statics") == kStateChecked);
    CHECK(state_of("nop") == kStateApplied);
}

TEST_CASE("UNLOAD of a payload another one links against is refused until that one is gone") {
    EngineReset reset;
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("stacked", fixture("stacked")) == 0);  // resolves hello_calls from hello
    CHECK(action("hello", LIVEPATCH_ACTION_UNLOAD) == to_xen_rc(Errc::kEBUSY));
    CHECK(action("stacked", LIVEPATCH_ACTION_UNLOAD) == 0);
    CHECK(action("hello", LIVEPATCH_ACTION_UNLOAD) == 0);
}

TEST_CASE("sysctl argument checks") {
    EngineReset reset;
    xen_sysctl_livepatch_op op{};
    op.cmd = 77;
    CHECK(livepatch_op(&op) == to_xen_rc(Errc::kEOPNOTSUPP));
    op.cmd = XEN_SYSCTL_LIVEPATCH_GET;
    op.pad = 1;
    CHECK(livepatch_op(&op) == to_xen_rc(Errc::kEINVAL));

    // Names: size 0, size 129, missing NUL, non-zero pad.
    xen_livepatch_status st{};
    xen_sysctl_livepatch_op g{};
    g.cmd = XEN_SYSCTL_LIVEPATCH_GET;
    std::string n = "abc";
    set_name(g.u.get.name, n);
    g.u.get.name.size = 0;
    CHECK(livepatch_op(&g) == to_xen_rc(Errc::kEINVAL));
    std::string big(200, 'a');
    set_name(g.u.get.name, big);
    g.u.get.name.size = 129;
    CHECK(livepatch_op(&g) == to_xen_rc(Errc::kEINVAL));
    set_name(g.u.get.name, n);
    g.u.get.name.size = 3;  // "abc" without its NUL
    CHECK(livepatch_op(&g) == to_xen_rc(Errc::kEINVAL));
    set_name(g.u.get.name, n);
    g.u.get.name.pad[1] = 1;
    CHECK(livepatch_op(&g) == to_xen_rc(Errc::kEINVAL));
    set_name(g.u.get.name, n);
    set_xen_guest_handle(g.u.get.name.name, static_cast<char*>(nullptr));
    CHECK(livepatch_op(&g) == to_xen_rc(Errc::kEFAULT));
    CHECK(get("abc", &st) == to_xen_rc(Errc::kENOENT));

    // UPLOAD reports every bad name as -EINVAL (Xen's verify_payload), an unreadable one too.
    {
        xen_sysctl_livepatch_op u{};
        u.cmd = XEN_SYSCTL_LIVEPATCH_UPLOAD;
        std::vector<uint8_t> bytes = fixture("hello");
        set_name(u.u.upload.name, n);
        set_xen_guest_handle(u.u.upload.name.name, static_cast<char*>(nullptr));
        u.u.upload.size = bytes.size();
        set_xen_guest_handle(u.u.upload.payload, bytes.data());
        CHECK(livepatch_op(&u) == to_xen_rc(Errc::kEINVAL));
    }

    // UPLOAD sizes: 0 and over 2 MiB.
    std::vector<uint8_t> none;
    CHECK(upload("x", none) == to_xen_rc(Errc::kEINVAL));
    std::vector<uint8_t> huge(kMaxPayloadSize + 1);
    CHECK(upload("x", huge) == to_xen_rc(Errc::kEINVAL));

    // ACTION: pad, unknown flag, unknown command, unknown payload.
    REQUIRE(upload("hello", fixture("hello")) == 0);
    xen_sysctl_livepatch_op a{};
    a.cmd = XEN_SYSCTL_LIVEPATCH_ACTION;
    const std::string hello = "hello";
    set_name(a.u.action.name, hello);
    a.u.action.cmd = LIVEPATCH_ACTION_APPLY;
    a.u.action.pad = 1;
    CHECK(livepatch_op(&a) == to_xen_rc(Errc::kEINVAL));
    a.u.action.pad = 0;
    a.u.action.cmd = 9;
    CHECK(livepatch_op(&a) == to_xen_rc(Errc::kEOPNOTSUPP));
    CHECK(action("nosuch", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kENOENT));
}

TEST_CASE("LIST: probe, pagination, version changes") {
    EngineReset reset;
    xen_sysctl_livepatch_op probe{};
    probe.cmd = XEN_SYSCTL_LIVEPATCH_LIST;
    CHECK(livepatch_op(&probe) == 0);
    CHECK(probe.u.list.nr == 0);
    const uint32_t v0 = probe.u.list.version;

    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    REQUIRE(upload("statics", fixture("statics")) == 0);

    probe = {};
    probe.cmd = XEN_SYSCTL_LIVEPATCH_LIST;
    CHECK(livepatch_op(&probe) == 0);
    CHECK(probe.u.list.nr == 3);
    CHECK(probe.u.list.version == v0 + 3);
    CHECK(probe.u.list.name_total_size == 6 + 4 + 8);

    // Two per call, from idx 1: gets nop and statics, nothing left.
    std::vector<char> names(64, 'X');
    std::vector<uint32_t> lens(2), mlens(2);
    std::vector<xen_livepatch_status> sts(2);
    std::vector<char> meta(64);
    xen_sysctl_livepatch_op l{};
    l.cmd = XEN_SYSCTL_LIVEPATCH_LIST;
    l.u.list.idx = 1;
    l.u.list.nr = 2;
    set_xen_guest_handle(l.u.list.name, names.data());
    set_xen_guest_handle(l.u.list.len, lens.data());
    set_xen_guest_handle(l.u.list.status, sts.data());
    set_xen_guest_handle(l.u.list.metadata, meta.data());
    set_xen_guest_handle(l.u.list.metadata_len, mlens.data());
    CHECK(livepatch_op(&l) == 2);
    CHECK(std::string(names.data()) == "nop");
    CHECK(std::string(names.data() + 4) == "statics");
    CHECK(lens[0] == 4);
    CHECK(lens[1] == 8);
    CHECK(sts[0].state == kStateChecked);
    CHECK(l.u.list.nr == 0);
    CHECK(l.u.list.name_total_size == 12);

    // idx past the end (with and without entries wanted), nr too large, pad.
    l.u.list.idx = 3;
    l.u.list.nr = 2;
    CHECK(livepatch_op(&l) == to_xen_rc(Errc::kEINVAL));
    l.u.list.nr = 0;
    CHECK(livepatch_op(&l) == to_xen_rc(Errc::kEINVAL));
    l.u.list.idx = 0;
    l.u.list.nr = 1025;
    CHECK(livepatch_op(&l) == to_xen_rc(Errc::kE2BIG));
    l.u.list.nr = 1;
    l.u.list.pad = 1;
    CHECK(livepatch_op(&l) == to_xen_rc(Errc::kEINVAL));
    l.u.list.pad = 0;
    CHECK(livepatch_op(&l) == 1);
    CHECK(l.u.list.nr == 2);  // two left after the first
}

}  // TEST_SUITE
