// Where the engine follows Xen 4.17.5's sysctl handler to the errno (xen/common/livepatch.c,
// cited by line), and the payload quotas that go beyond it.
#include <doctest/doctest.h>
#include <elf.h>
#include <string.h>

#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "livepatch/errc.h"
#include "livepatch/livepatch.h"
#include "support/elf_builder.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"
#include "unit/core/engine_support.h"

using namespace livepatch;
using namespace livepatch::test;

namespace {

// A LIST of `nr` entries from `idx` into buffers the test owns.
struct ListCall {
    std::vector<char> names = std::vector<char>(4096);
    std::vector<uint32_t> lens = std::vector<uint32_t>(16), mlens = std::vector<uint32_t>(16);
    std::vector<xen_livepatch_status> sts = std::vector<xen_livepatch_status>(16);
    std::vector<char> meta = std::vector<char>(4096);
    xen_sysctl_livepatch_op op{};

    ListCall(uint32_t idx, uint32_t nr) {
        op.cmd = XEN_SYSCTL_LIVEPATCH_LIST;
        op.u.list.idx = idx;
        op.u.list.nr = nr;
        set_xen_guest_handle(op.u.list.name, names.data());
        set_xen_guest_handle(op.u.list.len, lens.data());
        set_xen_guest_handle(op.u.list.status, sts.data());
        set_xen_guest_handle(op.u.list.metadata, meta.data());
        set_xen_guest_handle(op.u.list.metadata_len, mlens.data());
    }
    int32_t run() { return livepatch_op(&op); }
};

// Restores the default quotas when a test ends.
struct LimitsGuard {
    ~LimitsGuard() { Engine::instance().set_limits(Engine::Limits{}); }
};

bool logged(const std::string& needle) {
    for (const std::string& l : hv().log()) {
        if (l.find(needle) != std::string::npos)
            return true;
    }
    return false;
}

}  // namespace

TEST_SUITE("engine xen compatibility") {

TEST_CASE("LIST on an empty list with idx > 0: nr is 0, not a wrapped count") {
    // Xen 4.17.5 xen/common/livepatch.c:1246 skips the idx check when payload_cnt is 0, and
    // :1312 sets nr = payload_cnt - i with i = 0 entries stepped over.
    EngineReset reset;
    ListCall l(5, 4);
    CHECK(l.run() == 0);
    CHECK(l.op.u.list.nr == 0);
    ListCall probe(7, 0);
    CHECK(probe.run() == 0);
    CHECK(probe.op.u.list.nr == 0);

    // With entries: two of three from idx 1 leaves none; one from idx 0 leaves two.
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    REQUIRE(upload("statics", fixture("statics")) == 0);
    ListCall two(1, 2);
    CHECK(two.run() == 2);
    CHECK(two.op.u.list.nr == 0);
    ListCall one(0, 1);
    CHECK(one.run() == 1);
    CHECK(one.op.u.list.nr == 2);
}

TEST_CASE("LIST with NULL handles: in range, so empty lists succeed and copies fail -EFAULT") {
    // Xen 4.17.5 guest_handle_okay is an address-range check only, which address 0 passes
    // (x86: xen/arch/x86/include/asm/guest_access.h:41-43, array_access_ok, __addr_ok in
    // x86_64/uaccess.h; Arm: xen/arch/arm/include/asm/guest_access.h:31 is 1). So the range checks
    // of xen/common/livepatch.c:1239-1243 and :1274-1280 pass, an empty list returns 0 with nr 0
    // (:1246, :1312), and a payload's entry fails in __copy_to_guest_offset: -EFAULT (:1284-1293).
    EngineReset reset;
    ListCall empty(0, 2);
    set_xen_guest_handle(empty.op.u.list.len, static_cast<uint32_t*>(nullptr));
    set_xen_guest_handle(empty.op.u.list.status, static_cast<xen_livepatch_status*>(nullptr));
    set_xen_guest_handle(empty.op.u.list.name, static_cast<char*>(nullptr));
    set_xen_guest_handle(empty.op.u.list.metadata, static_cast<char*>(nullptr));
    set_xen_guest_handle(empty.op.u.list.metadata_len, static_cast<uint32_t*>(nullptr));
    CHECK(empty.run() == 0);
    CHECK(empty.op.u.list.nr == 0);

    REQUIRE(upload("hello", fixture("hello")) == 0);
    ListCall no_len(0, 1);
    set_xen_guest_handle(no_len.op.u.list.len, static_cast<uint32_t*>(nullptr));
    CHECK(no_len.run() == to_xen_rc(Errc::kEFAULT));
    ListCall no_status(0, 1);
    set_xen_guest_handle(no_status.op.u.list.status, static_cast<xen_livepatch_status*>(nullptr));
    CHECK(no_status.run() == to_xen_rc(Errc::kEFAULT));
    ListCall no_name(0, 1);
    set_xen_guest_handle(no_name.op.u.list.name, static_cast<char*>(nullptr));
    CHECK(no_name.run() == to_xen_rc(Errc::kEFAULT));
    // A probe (nr = 0) names no buffers: NULL handles are fine.
    ListCall probe(0, 0);
    set_xen_guest_handle(probe.op.u.list.name, static_cast<char*>(nullptr));
    set_xen_guest_handle(probe.op.u.list.len, static_cast<uint32_t*>(nullptr));
    CHECK(probe.run() == 0);
    CHECK(probe.op.u.list.nr == 1);
    // In range but faulting while copied: -EFAULT, as Xen's __copy_to_guest_offset.
    ListCall faulting(0, 1);
    hv().set_guest_fault(reinterpret_cast<uintptr_t>(faulting.lens.data()), 4);
    CHECK(faulting.run() == to_xen_rc(Errc::kEFAULT));
}

TEST_CASE("LIST that fails on an entry: the totals read back include that entry") {
    // Xen 4.17.5 xen/common/livepatch.c:1268-1272 adds an entry's name and metadata lengths to
    // name_total_size/metadata_total_size before its copies (:1284-1293); do_sysctl copies the
    // struct back after an error (xen/common/sysctl.c:479-481, 493). Entries before idx are not
    // counted (:1262-1263).
    EngineReset reset;
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    REQUIRE(upload("statics", fixture("statics")) == 0);
    ListCall ok(1, 2);
    REQUIRE(ok.run() == 2);

    // The second entry's status copy faults: nop is copied, statics fails with -EFAULT.
    ListCall faulting(1, 2);
    hv().set_guest_fault(reinterpret_cast<uintptr_t>(&faulting.sts[1]), sizeof faulting.sts[1]);
    CHECK(faulting.run() == to_xen_rc(Errc::kEFAULT));
    hv().set_guest_fault(0, 0);
    CHECK(faulting.op.u.list.name_total_size == 4 + 8);  // "nop" and "statics", not "hello"
    CHECK(faulting.op.u.list.metadata_total_size == ok.op.u.list.metadata_total_size);
    CHECK(faulting.op.u.list.nr == 0);  // i stepped over hello, nop and the failed statics
    // The first entry faults: its own lengths are in the totals.
    ListCall first(0, 1);
    hv().set_guest_fault(reinterpret_cast<uintptr_t>(first.lens.data()), 4);
    CHECK(first.run() == to_xen_rc(Errc::kEFAULT));
    hv().set_guest_fault(0, 0);
    CHECK(first.op.u.list.name_total_size == 6);
    CHECK(first.op.u.list.nr == 2);
}

TEST_CASE("UPLOAD errno order: out-of-range handle -EFAULT, then a loaded name -EEXIST, then the copy") {
    // Xen 4.17.5 xen/common/livepatch.c:104 (verify_payload: guest_handle_okay, -EFAULT), then
    // :1153-1156 (find_payload under the lock: -EEXIST), and only then :1159 (__copy_from_guest).
    EngineReset reset;
    const std::vector<uint8_t> bytes = fixture("hello");
    REQUIRE(upload("hello", bytes) == 0);

    // Valid (in range) but unreadable buffer: -EEXIST for the loaded name, before any copy.
    hv().set_guest_fault(reinterpret_cast<uintptr_t>(bytes.data()), bytes.size());
    CHECK(upload("hello", bytes) == to_xen_rc(Errc::kEEXIST));
    // ... and -EFAULT for a new name, whose copy faults.
    CHECK(upload("hello2", bytes) == to_xen_rc(Errc::kEFAULT));
    hv().set_guest_fault(0, 0);

    // A NULL buffer is in range (Xen's guest_handle_okay is an address-range check that address 0
    // passes, :104): -EEXIST for a loaded name (:1156), -EFAULT from the copy for a new one (:1159).
    xen_sysctl_livepatch_op op{};
    op.cmd = XEN_SYSCTL_LIVEPATCH_UPLOAD;
    const std::string name = "hello";
    set_name(op.u.upload.name, name);
    op.u.upload.size = bytes.size();
    set_xen_guest_handle(op.u.upload.payload, static_cast<uint8_t*>(nullptr));
    CHECK(livepatch_op(&op) == to_xen_rc(Errc::kEEXIST));
    const std::string fresh = "hello3";
    set_name(op.u.upload.name, fresh);
    CHECK(livepatch_op(&op) == to_xen_rc(Errc::kEFAULT));

    // Out of range (the buffer's end wraps the address space): -EFAULT first, even for a loaded name.
    set_name(op.u.upload.name, name);
    set_xen_guest_handle(op.u.upload.payload, reinterpret_cast<uint8_t*>(~uintptr_t{0} - 8));
    CHECK(livepatch_op(&op) == to_xen_rc(Errc::kEFAULT));
}

namespace {
int32_t g_rc_seen_by_post_hook = 1;  // 1: no post hook has run
void record_payload_rc(void* p) { g_rc_seen_by_post_hook = static_cast<Payload*>(p)->rc(); }
}  // namespace

TEST_CASE("post hooks see the action's final rc, not -EAGAIN") {
    // Xen 4.17.5 sets data->rc at the end of livepatch_do_action (xen/common/livepatch.c:1610),
    // which check_for_livepatch_work runs (:1809) before it calls the post hooks, whose log line
    // prints that rc (:1832, :1842).
    EngineReset reset;
    REQUIRE(upload("hooked", fixture("hooked")) == 0);
    auto** probe = reinterpret_cast<void (**)(void*)>(payload_int("hooked", "post_hook_probe"));
    *probe = record_payload_rc;
    int* rc_revert = payload_int("hooked", "hook_rc_revert");

    g_rc_seen_by_post_hook = 1;
    CHECK(run("hooked", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(g_rc_seen_by_post_hook == 0);

    // A revert action hook that refuses: the post hook sees that rc.
    *rc_revert = -7;
    g_rc_seen_by_post_hook = 1;
    CHECK(run("hooked", LIVEPATCH_ACTION_REVERT) == -7);
    CHECK(g_rc_seen_by_post_hook == -7);

    *rc_revert = 0;
    g_rc_seen_by_post_hook = 1;
    CHECK(run("hooked", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(g_rc_seen_by_post_hook == 0);
    *probe = nullptr;
}

TEST_CASE("quotas: -ENOSPC past the payload count, -ENOMEM past the bytes, with a log line; nothing left behind") {
    EngineReset reset;
    LimitsGuard restore;
    const long zallocs = hv().live_zallocs(), pages = hv().live_payload_allocs();

    Engine::instance().set_limits({2, 0});
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    CHECK(upload("statics", fixture("statics")) == to_xen_rc(Errc::kENOSPC));
    CHECK(logged("statics: refused: 2 payloads are loaded, the limit is 2"));
    xen_livepatch_status st{};
    CHECK(get("statics", &st) == to_xen_rc(Errc::kENOENT));
    // A duplicate name is still -EEXIST (checked first, as Xen does).
    CHECK(upload("nop", fixture("nop")) == to_xen_rc(Errc::kEEXIST));
    REQUIRE(action("nop", LIVEPATCH_ACTION_UNLOAD) == 0);
    CHECK(upload("statics", fixture("statics")) == 0);  // room again

    REQUIRE(action("statics", LIVEPATCH_ACTION_UNLOAD) == 0);
    REQUIRE(action("hello", LIVEPATCH_ACTION_UNLOAD) == 0);
    CHECK(hv().live_zallocs() == zallocs);
    CHECK(hv().live_payload_allocs() == pages);

    // Bytes: one payload's regions fit, the second's do not.
    uint64_t hello_bytes = 0;
    REQUIRE(upload("hello", fixture("hello")) == 0);
    REQUIRE(Engine::instance().with_payload(
        "hello", [&](const Payload& p) { hello_bytes = p.text().size + p.rw().size + p.ro().size; }));
    REQUIRE(hello_bytes > 0);
    Engine::instance().set_limits({0, hello_bytes + 1});
    CHECK(upload("statics", fixture("statics")) == to_xen_rc(Errc::kENOMEM));
    CHECK(logged("statics: refused: its "));
    CHECK(logged("the limit is " + std::to_string(hello_bytes + 1)));
    CHECK(get("statics", &st) == to_xen_rc(Errc::kENOENT));
    REQUIRE(action("hello", LIVEPATCH_ACTION_UNLOAD) == 0);
    CHECK(hv().live_zallocs() == zallocs);
    CHECK(hv().live_payload_allocs() == pages);
    CHECK(upload("hello", fixture("hello")) == 0);  // the unload gave its bytes back

    CHECK(Engine::instance().limits().max_bytes == hello_bytes + 1);
    Engine::instance().set_limits(Engine::Limits{});
    CHECK(Engine::instance().limits().max_payloads == Engine::kDefaultMaxPayloads);
}

TEST_CASE("NULL single hooks are disabled: apply, revert and REPLACE run without them") {
    // Xen 4.17.5 xen/common/livepatch.c:32 (is_hook_enabled) guards every single hook: :1506/:1523
    // (the apply and revert action hooks), :1830/:1840 (post hooks), :2001/:2053 (pre
    // hooks) and :1628-1633 (REPLACE's vetoing-hook test): a NULL pointer in any of the six single
    // hook sections is skipped, so the payload applies, reverts and may REPLACE as one without hooks.
    EngineReset reset;
    static constexpr const char* kSingle[] = {".livepatch.hooks.preapply",  ".livepatch.hooks.apply",
                                              ".livepatch.hooks.postapply", ".livepatch.hooks.prerevert",
                                              ".livepatch.hooks.revert",    ".livepatch.hooks.postrevert"};
    ElfBuilder b = valid_payload_builder(3);
    for (const char* name : kSingle)
        b.add_section(name, SHT_PROGBITS, SHF_ALLOC, 8).data(std::vector<uint8_t>(8, 0));
    const std::vector<uint8_t> bytes = b.build().bytes;
    const std::vector<uint8_t> before = text_copy();

    REQUIRE(upload("null-hooks", bytes) == 0);
    int32_t hypercall = -1;
    CHECK(run("null-hooks", LIVEPATCH_ACTION_APPLY, 0, &hypercall) == 0);
    CHECK(hypercall == 0);
    CHECK(state_of("null-hooks") == LIVEPATCH_STATE_APPLIED);
    CHECK(xev()[0] == 0xe9);  // the jump is in place: the action ran without the NULL hooks
    CHECK(run("null-hooks", LIVEPATCH_ACTION_REVERT, 0, &hypercall) == 0);
    CHECK(hypercall == 0);
    CHECK(state_of("null-hooks") == LIVEPATCH_STATE_CHECKED);
    CHECK(text_copy() == before);

    // Not a payload with vetoing hooks: REPLACE is allowed (Xen: -EOPNOTSUPP only for enabled ones).
    CHECK(action("null-hooks", LIVEPATCH_ACTION_UNLOAD) == 0);
    REQUIRE(upload("null-hooks", bytes) == 0);
    CHECK(run("null-hooks", LIVEPATCH_ACTION_REPLACE, 0, &hypercall) == 0);
    CHECK(hypercall == 0);
    CHECK(state_of("null-hooks") == LIVEPATCH_STATE_APPLIED);
}

}  // TEST_SUITE
