// The control socket racing the patch window on the hosted hypervisor, whose sysctls run on
// threads that are not pCPUs (issue 11 §1, reproduced before the fix: UNLOAD of a payload that a
// failing REPLACE had reverted inside the window succeeded, the window then re-applied the freed
// payload, and the next REPLACE crashed the process).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/engine/engine.h"
#include "integration/itest_sysctl.h"
#include "integration/runtime.h"
#include "livepatch/errc.h"

using namespace livepatch;
using namespace livepatch::integration;

namespace {

// The address of payload `payload`'s global int `symbol` (read before the window opens).
volatile int* payload_flag(const char* payload, const char* symbol) {
    volatile int* out = nullptr;
    REQUIRE(Engine::instance().with_payload(payload, [&](const Payload& p) {
        const PayloadSymbol* s = p.find_new_symbol(symbol);
        REQUIRE(s);
        out = reinterpret_cast<volatile int*>(s->value);
    }));
    return out;
}

uint32_t state(const std::string& name) {
    xen_livepatch_status st{};
    REQUIRE(sysctl_get(name, &st) == 0);
    return st.state;
}

}  // namespace

TEST_SUITE("control plane races") {

TEST_CASE("UNLOAD of B while a REPLACE by A holds the window for 0.7 s and fails: waits, -EINVAL; then more work") {
    ensure_hosted_runtime();
    REQUIRE(sysctl_upload("compute2", itest_payload("compute2")) == 0);
    REQUIRE(sysctl_upload("compute3", itest_payload("compute3")) == 0);
    REQUIRE(sysctl_upload("slow_fail", itest_payload("slow_fail")) == 0);
    REQUIRE(sysctl_act("compute2", LIVEPATCH_ACTION_APPLY) == 0);
    volatile int* entered = payload_flag("slow_fail", "slow_entered");
    volatile int* left = payload_flag("slow_fail", "slow_left");

    REQUIRE(sysctl_action("slow_fail", LIVEPATCH_ACTION_REPLACE, 1000000000u) == 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!*entered && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    REQUIRE(*entered);

    // A second connection: UNLOAD compute2, which the window has reverted for now.
    std::atomic<int> unload_rc{1};
    std::atomic<int> hook_done_at_return{-1};
    std::thread other([&] {
        const int rc = sysctl_action("compute2", LIVEPATCH_ACTION_UNLOAD);
        hook_done_at_return = *left;
        unload_rc = rc;
    });
    other.join();
    CHECK(hook_done_at_return.load() == 1);  // it returned only once the window had closed
    CHECK(unload_rc.load() == to_xen_rc(Errc::kEINVAL));  // compute2 is applied again
    CHECK(sysctl_wait("slow_fail") == to_xen_rc(Errc::kEINVAL));
    CHECK(state("compute2") == kStateApplied);
    CHECK(state("slow_fail") == kStateChecked);

    // The engine goes on: REPLACE, revert, unload.
    CHECK(sysctl_act("compute3", LIVEPATCH_ACTION_REPLACE) == 0);
    CHECK(state("compute2") == kStateChecked);
    CHECK(state("compute3") == kStateApplied);
    CHECK(sysctl_act("compute3", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(sysctl_act("compute2", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(sysctl_act("compute2", LIVEPATCH_ACTION_REVERT) == 0);
    for (const char* n : {"slow_fail", "compute3", "compute2"})
        CHECK(sysctl_action(n, LIVEPATCH_ACTION_UNLOAD) == 0);
}

}  // TEST_SUITE
