// Hypercalls racing the patch window. In Xen every sysctl runs on a CPU that the rendezvous holds,
// so none sees an action half-way; the hosted hypervisor serves sysctls on threads that are not
// CPUs. The engine makes the window own its state: the master holds the engine lock from the
// moment every CPU is held until the outcome is recorded. Here the test thread's "CPU 0" runs the
// window on one thread (its action hook held open by the `gated` fixture) while other threads
// issue sysctls: they must wait for the window and then see its outcome, never a half-way state.
#include <doctest/doctest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "core/engine/engine.h"
#include "livepatch/errc.h"
#include "livepatch/livepatch.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"
#include "unit/core/engine_support.h"

using namespace livepatch;
using namespace livepatch::test;

namespace {

using Clock = std::chrono::steady_clock;

// Waits (up to 20 s, generous for a loaded machine) until *flag is non-zero.
bool wait_flag(volatile int* flag) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!*flag) {
        if (Clock::now() > deadline)
            return false;
        std::this_thread::yield();
    }
    return true;
}

// A sysctl issued from its own thread; done() tells whether it has returned.
struct Concurrent {
    std::atomic<bool> finished{false};
    int32_t rc = 1;
    std::thread thread;
    explicit Concurrent(std::function<int32_t()> call)
        : thread([this, call] {
              rc = call();
              finished.store(true);
          }) {}
    ~Concurrent() {
        if (thread.joinable())
            thread.join();
    }
    bool done() const { return finished.load(); }
    int32_t join() {
        thread.join();
        return rc;
    }
};

// The gated fixture's controls.
struct Gate {
    volatile int* release;
    volatile int* apply_entered;
    volatile int* revert_entered;
    int* rc_apply;
    int* rc_revert;
    explicit Gate(const std::string& payload)
        : release(payload_int(payload, "gate_release")),
          apply_entered(payload_int(payload, "apply_entered")),
          revert_entered(payload_int(payload, "revert_entered")),
          rc_apply(payload_int(payload, "gate_rc_apply")),
          rc_revert(payload_int(payload, "gate_rc_revert")) {}
};

// How long a sysctl must stay blocked while the window is open for the test to call it waiting.
constexpr auto kBlocked = std::chrono::milliseconds(200);

}  // namespace

TEST_SUITE("engine races") {

TEST_CASE("UNLOAD of a payload REPLACE has reverted inside the window waits, then fails: it is applied again") {
    EngineReset reset;
    REQUIRE(upload("statics", fixture("statics")) == 0);
    REQUIRE(upload("gated", fixture("gated")) == 0);
    REQUIRE(run("statics", LIVEPATCH_ACTION_APPLY) == 0);
    const auto applied = text_copy();
    Gate gate("gated");
    *gate.release = 0;
    *gate.rc_apply = to_xen_rc(Errc::kEINVAL);

    // REPLACE: statics is reverted inside the window, then gated's apply hook holds it open.
    REQUIRE(action("gated", LIVEPATCH_ACTION_REPLACE) == 0);
    std::thread cpu0([] { livepatch_check_work(); });
    REQUIRE(wait_flag(gate.apply_entered));

    Concurrent unload([] { return action("statics", LIVEPATCH_ACTION_UNLOAD); });
    Concurrent status([] {
        xen_livepatch_status st{};
        const int32_t rc = get("statics", &st);
        return rc ? rc : static_cast<int32_t>(st.state);
    });
    std::this_thread::sleep_for(kBlocked);
    CHECK_FALSE(unload.done());  // before the fix: UNLOAD freed statics inside the window
    CHECK_FALSE(status.done());  // before the fix: GET saw statics CHECKED, half-way
    *gate.release = 1;
    cpu0.join();

    // The failed REPLACE put statics back: UNLOAD is refused and statics is still there.
    CHECK(unload.join() == to_xen_rc(Errc::kEINVAL));
    CHECK(status.join() == static_cast<int32_t>(kStateApplied));
    CHECK(state_of("statics") == kStateApplied);
    CHECK(state_of("gated") == kStateChecked);
    xen_livepatch_status st{};
    REQUIRE(get("gated", &st) == 0);
    CHECK(st.rc == to_xen_rc(Errc::kEINVAL));
    CHECK(text_copy() == applied);

    // And the engine goes on: a REPLACE that succeeds, a revert, an unload.
    *gate.rc_apply = 0;
    CHECK(run("gated", LIVEPATCH_ACTION_REPLACE) == 0);
    CHECK(state_of("statics") == kStateChecked);
    CHECK(state_of("gated") == kStateApplied);
    CHECK(run("gated", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(action("statics", LIVEPATCH_ACTION_UNLOAD) == 0);
}

TEST_CASE("APPLY racing a REVERT window waits and then checks its dependency against the new top") {
    EngineReset reset;
    REQUIRE(upload("gated", fixture("gated")) == 0);
    REQUIRE(upload("statics", fixture("statics")) == 0);
    Gate gate("gated");
    *gate.release = 1;
    REQUIRE(run("gated", LIVEPATCH_ACTION_APPLY) == 0);

    *gate.release = 0;
    REQUIRE(action("gated", LIVEPATCH_ACTION_REVERT) == 0);
    std::thread cpu0([] { livepatch_check_work(); });
    REQUIRE(wait_flag(gate.revert_entered));

    // statics depends on the hypervisor: with gated on top it is refused, once gated is reverted
    // it is accepted. Inside the window it must wait (before the fix it read the applied tail
    // twice, racing the revert, and could dereference NULL).
    Concurrent apply([] { return action("statics", LIVEPATCH_ACTION_APPLY); });
    std::this_thread::sleep_for(kBlocked);
    CHECK_FALSE(apply.done());
    *gate.release = 1;
    cpu0.join();

    CHECK(apply.join() == 0);
    CHECK(state_of("gated") == kStateChecked);
    livepatch_check_work();
    xen_livepatch_status st{};
    REQUIRE(get("statics", &st) == 0);
    CHECK(st.state == kStateApplied);
    CHECK(st.rc == 0);
}

TEST_CASE("while an action is scheduled: GET reports -EAGAIN, a pre-apply hook is not run, -EBUSY") {
    EngineReset reset;
    REQUIRE(upload("statics", fixture("statics")) == 0);
    REQUIRE(upload("hooked", fixture("hooked")) == 0);
    int* rc_preapply = payload_int("hooked", "hook_rc_preapply");
    *rc_preapply = -1;  // a veto, visible in hooked's status if the hook ran

    REQUIRE(action("statics", LIVEPATCH_ACTION_APPLY) == 0);
    xen_livepatch_status st{};
    REQUIRE(get("statics", &st) == 0);
    CHECK(st.rc == to_xen_rc(Errc::kEAGAIN));  // scheduled, not started (xen-livepatch --wait polls this)
    CHECK(action("hooked", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEBUSY));
    REQUIRE(get("hooked", &st) == 0);
    CHECK(st.rc == 0);  // the pre-apply hook did not run
    livepatch_check_work();
    CHECK(state_of("statics") == kStateApplied);
    *rc_preapply = 0;
}

TEST_CASE("a window that cannot take the engine lock by its deadline fails with -EBUSY and writes nothing") {
    EngineReset reset;
    REQUIRE(upload("statics", fixture("statics")) == 0);
    const auto before = text_copy();

    xen_sysctl_livepatch_op op{};
    op.cmd = XEN_SYSCTL_LIVEPATCH_ACTION;
    const std::string name = "statics";
    set_name(op.u.action.name, name);
    op.u.action.cmd = LIVEPATCH_ACTION_APPLY;
    op.u.action.timeout = 50'000'000;  // 50 ms
    REQUIRE(livepatch_op(&op) == 0);

    // A control thread holds the engine lock across the whole deadline.
    std::atomic<bool> holding{false}, let_go{false};
    std::thread holder([&] {
        Engine::instance().with_payload("statics", [&](const Payload&) {
            holding = true;
            while (!let_go)
                std::this_thread::yield();
        });
    });
    while (!holding)
        std::this_thread::yield();
    std::thread cpu0([] { livepatch_check_work(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well past the deadline
    let_go = true;
    holder.join();
    cpu0.join();

    xen_livepatch_status st{};
    REQUIRE(get("statics", &st) == 0);
    CHECK(st.rc == to_xen_rc(Errc::kEBUSY));
    CHECK(st.state == kStateChecked);
    CHECK(text_copy() == before);
    bool logged = false;
    for (const std::string& l : hv().log())
        logged |= l.find("timed out waiting for the engine lock") != std::string::npos;
    CHECK(logged);
    CHECK(run("statics", LIVEPATCH_ACTION_APPLY) == 0);
}

}  // TEST_SUITE
