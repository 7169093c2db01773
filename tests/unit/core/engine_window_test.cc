// W^X: text is writable only inside the patch window. The rendezvous master opens it
// (port::text_write_begin) once every CPU is held with interrupts off, before the action's hooks
// and writes, and closes it (text_write_end) before releasing the CPUs; Xen does the same with
// arch_livepatch_quiesce / arch_livepatch_revive inside apply_payload and revert_payload
// (xen/common/livepatch.c:1355 and :1392, :1413 and :1453 in 4.17.5).
#include <doctest/doctest.h>

#include "core/engine/engine.h"
#include "livepatch/errc.h"
#include "livepatch/livepatch.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"
#include "unit/core/engine_support.h"

using namespace livepatch;
using namespace livepatch::test;

TEST_SUITE("engine") {

TEST_CASE("text is writable only inside the window: never at schedule time, closed before release") {
    EngineReset reset;
    REQUIRE(upload("statics", fixture("statics")) == 0);
    REQUIRE(upload("nop", fixture("nop")) == 0);
    const TestHypervisor::TextWindow& w = hv().text_window;

    // Scheduled, not yet run: nothing is writable.
    REQUIRE(action("statics", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(w.begins == 0);
    CHECK_FALSE(w.open);
    livepatch_check_work();
    CHECK(state_of("statics") == kStateApplied);
    CHECK(w.begins == 1);
    CHECK(w.ends == 1);
    CHECK_FALSE(w.open);

    CHECK(run("nop", LIVEPATCH_ACTION_REPLACE) == 0);
    CHECK(run("nop", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(w.begins == 3);
    CHECK(w.ends == 3);
    // Every open and close came from the master with interrupts off; no write found text closed.
    CHECK(w.outside_rendezvous == 0);
    CHECK(w.writes_while_closed == 0);
    CHECK_FALSE(w.open);
}

TEST_CASE("a text_write_begin failure fails the action with its errno; no hook runs, nothing is written") {
    EngineReset reset;
    const auto before = text_copy();
    REQUIRE(upload("hooked", fixture("hooked")) == 0);
    int* loads = payload_int("hooked", "load_calls");
    int* post_apply = payload_int("hooked", "post_apply_calls");

    hv().fail_text_write_begin = static_cast<int>(Errc::kENOMEM);
    int32_t hrc = 1;
    CHECK(run("hooked", LIVEPATCH_ACTION_APPLY, 0, &hrc) == to_xen_rc(Errc::kENOMEM));
    CHECK(hrc == 0);
    CHECK(state_of("hooked") == kStateChecked);
    CHECK(*loads == 0);
    // As in Xen, where the failed quiesce is still an action that ran: the post hook pairs with it.
    CHECK(*post_apply == 1);
    CHECK(text_copy() == before);
    CHECK(hv().text_window.ends == 0);  // nothing was opened, nothing to close
    CHECK_FALSE(hv().text_window.open);

    hv().fail_text_write_begin = 0;
    CHECK(run("hooked", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(*loads == 1);
    CHECK(*post_apply == 2);
    CHECK(hv().text_window.ends == 1);
}

}  // TEST_SUITE
