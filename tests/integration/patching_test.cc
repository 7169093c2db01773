// Live patching of the running hosted hypervisor: pCPU threads keep calling the patched
// hypercalls while payloads are applied, reverted, replaced and unloaded, and every call must
// return the old or the new result. Payloads come from tests/integration/payloads, built against
// this binary's build-id ($LP_ITEST_PAYLOADS).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "core/engine/engine.h"
#include "port/hosted/hosted.h"
#include "port/hosted/hypercalls.h"
#include "port/hosted/server.h"
#include "integration/runtime.h"
#include "livepatch/abi.h"
#include "livepatch/errc.h"

using namespace livepatch;

namespace {

std::vector<uint8_t> payload_file(const std::string& name) {
    const char* dir = getenv("LP_ITEST_PAYLOADS");
    REQUIRE_MESSAGE(dir, "LP_ITEST_PAYLOADS must name the directory of payloads built for this binary");
    std::ifstream in(std::string(dir) + "/" + name + ".livepatch", std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing payload ", name);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One in-process XEN_SYSCTL_livepatch_op through the same path as the control socket.
struct Sysctl {
    xen_sysctl op{};
    std::vector<uint8_t> arena;

    Sysctl(uint32_t sub) {
        op.cmd = XEN_SYSCTL_livepatch_op;
        op.interface_version = kSysctlInterfaceVersion;
        op.u.livepatch.cmd = sub;
    }
    // Appends bytes to the arena; returns the handle (offset + 1).
    uint64_t put(const void* p, size_t n) {
        const uint64_t h = arena.size() + 1;
        arena.insert(arena.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
        return h;
    }
    template <class H>
    static void set(H& handle, uint64_t v) {
        static_assert(sizeof(H) == 8);
        memcpy(&handle, &v, 8);
    }
    void name(xen_livepatch_name& n, const std::string& s) {
        set(n.name, put(s.c_str(), s.size() + 1));
        n.size = static_cast<uint16_t>(s.size() + 1);
    }
    int run() { return hosted::serve_sysctl(&op, arena.data(), arena.size()); }
};

int upload(const std::string& name, const std::vector<uint8_t>& bytes) {
    Sysctl s(XEN_SYSCTL_LIVEPATCH_UPLOAD);
    s.name(s.op.u.livepatch.u.upload.name, name);
    Sysctl::set(s.op.u.livepatch.u.upload.payload, s.put(bytes.data(), bytes.size()));
    s.op.u.livepatch.u.upload.size = bytes.size();
    return s.run();
}

int get(const std::string& name, xen_livepatch_status* st) {
    Sysctl s(XEN_SYSCTL_LIVEPATCH_GET);
    s.name(s.op.u.livepatch.u.get.name, name);
    const int rc = s.run();
    *st = s.op.u.livepatch.u.get.status;
    return rc;
}

int action(const std::string& name, uint32_t cmd, uint32_t timeout_ns = 0, uint32_t flags = 0) {
    Sysctl s(XEN_SYSCTL_LIVEPATCH_ACTION);
    s.name(s.op.u.livepatch.u.action.name, name);
    s.op.u.livepatch.u.action.cmd = cmd;
    s.op.u.livepatch.u.action.timeout = timeout_ns;
    s.op.u.livepatch.u.action.flags = flags;
    return s.run();
}

// Polls GET until the action completes; returns its final rc. The deadline only catches an action
// that never completes: a loaded host (a sanitizer build beside other builds) may take long.
int wait_done(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
        xen_livepatch_status st{};
        REQUIRE(get(name, &st) == 0);
        if (st.rc != to_xen_rc(Errc::kEAGAIN))
            return st.rc;
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "action on ", name, " never completed");
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

// Issues an action and waits for it; returns the hypercall rc if it failed, else the final rc.
int act(const std::string& name, uint32_t cmd, uint32_t timeout_ns = 1000000000u, uint32_t flags = 0) {
    const int rc = action(name, cmd, timeout_ns, flags);
    if (rc)
        return rc;
    return wait_done(name);
}

// act(), issued again (up to 20 times) while the rendezvous timed out (-EBUSY, nothing changed):
// on an oversubscribed, loaded host a descheduled pCPU can miss even a generous timeout, which is
// the documented outcome, not a failure of the action.
int act_retrying(const std::string& name, uint32_t cmd, uint32_t timeout_ns = 1000000000u, uint32_t flags = 0) {
    int rc = act(name, cmd, timeout_ns, flags);
    for (int i = 0; i < 20 && rc == to_xen_rc(Errc::kEBUSY); ++i)
        rc = act(name, cmd, timeout_ns, flags);
    return rc;
}

uint32_t state_of(const std::string& name) {
    xen_livepatch_status st{};
    REQUIRE(get(name, &st) == 0);
    return st.state;
}

std::vector<uint8_t> text_snapshot() {
    const hosted::Image& img = hosted::image();
    const auto* p = reinterpret_cast<const uint8_t*>(img.text_start);
    return std::vector<uint8_t>(p, p + (img.text_end - img.text_start));
}

// Guest load: every pCPU calls do_compute through the hypercall table and classifies the result.
struct ComputeLoad {
    std::atomic<uint64_t> calls{0}, original{0}, plus2{0}, plus3{0}, other{0};
    void reset() { calls = original = plus2 = plus3 = other = 0; }
};
ComputeLoad g_load;

void compute_work(unsigned cpu, void*) {
    thread_local long x = 0;
    x = (x + 7) & 0xffff;
    const long arg = static_cast<long>(cpu) * 100000 + x;
    const long r = hypercall(HYPERVISOR_compute, arg, 0, 0);
    if (r == 2 * arg + 1)
        g_load.original.fetch_add(1, std::memory_order_relaxed);
    else if (r == 2 * arg + 2)
        g_load.plus2.fetch_add(1, std::memory_order_relaxed);
    else if (r == 2 * arg + 3)
        g_load.plus3.fetch_add(1, std::memory_order_relaxed);
    else
        g_load.other.fetch_add(1, std::memory_order_relaxed);
    g_load.calls.fetch_add(1, std::memory_order_relaxed);
}

// Runs the compute load on every pCPU for the scope's lifetime.
struct UnderLoad {
    UnderLoad() {
        g_load.reset();
        integration::set_guest_work(compute_work, nullptr);
        wait_calls(1000);
    }
    ~UnderLoad() { integration::set_guest_work(nullptr, nullptr); }
    static void wait_calls(uint64_t n) {
        const uint64_t target = g_load.calls.load() + n;
        while (g_load.calls.load() < target)
            std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
};

// Uploads the named payloads for a test and unloads everything at the end.
struct Payloads {
    std::vector<std::string> names;
    explicit Payloads(std::initializer_list<const char*> list) {
        integration::ensure_hosted_runtime();
        for (const char* n : list) {
            REQUIRE_MESSAGE(upload(n, payload_file(n)) == 0, "upload ", n);
            names.push_back(n);
        }
    }
    ~Payloads() {
        // Revert whatever is applied (top first), then unload.
        for (int round = 0; round < 8; ++round) {
            for (auto it = names.rbegin(); it != names.rend(); ++it) {
                xen_livepatch_status st{};
                if (get(*it, &st) == 0 && st.state == kStateApplied)
                    (void)act(*it, LIVEPATCH_ACTION_REVERT);
            }
        }
        for (const auto& n : names)
            (void)action(n, LIVEPATCH_ACTION_UNLOAD);
    }
};

}  // namespace

TEST_SUITE("live patching under load") {

TEST_CASE("apply, revert, replace and unload while every pCPU calls the patched function") {
    Payloads p({"compute2", "compute3"});
    const auto before = text_snapshot();
    UnderLoad load;

    CHECK(act_retrying("compute2", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(state_of("compute2") == kStateApplied);
    UnderLoad::wait_calls(2000);
    CHECK(g_load.plus2.load() > 0);

    // REPLACE: compute3 takes over from compute2 in one rendezvous.
    CHECK(act_retrying("compute3", LIVEPATCH_ACTION_REPLACE) == 0);
    CHECK(state_of("compute2") == kStateChecked);
    CHECK(state_of("compute3") == kStateApplied);
    const uint64_t plus3_before = g_load.plus3.load();
    UnderLoad::wait_calls(2000);
    CHECK(g_load.plus3.load() > plus3_before);

    CHECK(act_retrying("compute3", LIVEPATCH_ACTION_REVERT) == 0);
    const uint64_t original_before = g_load.original.load();
    UnderLoad::wait_calls(2000);
    CHECK(g_load.original.load() > original_before);
    CHECK(action("compute3", LIVEPATCH_ACTION_UNLOAD) == 0);

    CHECK(g_load.other.load() == 0);
    CHECK(text_snapshot() == before);
}

TEST_CASE("10,000 apply/revert cycles under load: no fault, no torn call, text restored") {
    Payloads p({"compute2"});
    const auto before = text_snapshot();
    UnderLoad load;
    const char* env = getenv("LP_ITEST_CYCLES");
    const int cycles = env ? atoi(env) : 10000;
    int failures = 0;
    for (int i = 0; i < cycles; ++i) {
        for (uint32_t cmd : {uint32_t{LIVEPATCH_ACTION_APPLY}, uint32_t{LIVEPATCH_ACTION_REVERT}}) {
            const int rc = act_retrying("compute2", cmd);
            if (rc != 0 && failures++ < 5)
                MESSAGE("cycle ", i, ": action ", cmd, " failed with rc ", rc);
        }
    }
    MESSAGE(cycles, " cycles; calls: ", g_load.calls.load(), " original ", g_load.original.load(), " patched ",
            g_load.plus2.load());
    CHECK(failures == 0);
    CHECK(g_load.other.load() == 0);
    CHECK(g_load.plus2.load() > 0);
    CHECK(text_snapshot() == before);
}

TEST_CASE("oversubscribed: 4 pCPUs per host core, apply/revert cycles under load") {
    Payloads p({"compute2"});
    const unsigned host = static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN));
    REQUIRE(integration::set_cpu_count(4 * host) == 4 * host);
    const auto before = text_snapshot();
    {
        UnderLoad load;
        int failures = 0;
        for (int i = 0; i < 100; ++i) {
            // Threads the host has descheduled reach their safe point only when it runs them
            // again: a generous timeout, as an operator of an oversubscribed host would give.
            failures += act_retrying("compute2", LIVEPATCH_ACTION_APPLY, 2'000'000'000u) != 0;
            failures += act_retrying("compute2", LIVEPATCH_ACTION_REVERT, 2'000'000'000u) != 0;
        }
        CHECK(failures == 0);
        CHECK(g_load.other.load() == 0);
        CHECK(g_load.plus2.load() > 0);
    }
    CHECK(text_snapshot() == before);
    integration::set_cpu_count(0);
}

TEST_CASE("a pCPU held away from its safe point: APPLY ends with -EBUSY naming it; text untouched") {
    Payloads p({"compute2"});
    UnderLoad load;
    const unsigned held = hosted::cpu_total() - 1;
    const auto before = text_snapshot();
    hosted::hold_cpu(held, true);
    CHECK(act("compute2", LIVEPATCH_ACTION_APPLY, 5'000'000) == to_xen_rc(Errc::kEBUSY));
    hosted::hold_cpu(held, false);
    CHECK(state_of("compute2") == kStateChecked);
    CHECK(text_snapshot() == before);

    bool named = false;
    uint32_t missing = 0;
    Engine::instance().with_payload("compute2", [&](const Payload& pl) {
        named = pl.last_action().cpu_missing(held);
        missing = pl.last_action().nr_missing;
    });
    CHECK(named);
    CHECK(missing == 1);
    const std::string json = hosted::payload_detail_json("compute2");
    CHECK(json.find("missing_cpus") != std::string::npos);

    // Released, the same APPLY succeeds.
    CHECK(act_retrying("compute2", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(g_load.other.load() == 0);
}

TEST_CASE("refusals keep Xen's rc: expectation, dependency, out-of-order revert, hook veto, safety") {
    Payloads p({"compute2", "compute3", "expect_bad", "veto", "extra"});
    UnderLoad load;
    const auto before = text_snapshot();

    // Expectation mismatch: the hypercall itself fails with -EINVAL.
    CHECK(action("expect_bad", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEINVAL));
    CHECK(state_of("expect_bad") == kStateChecked);

    // Hook veto: the hypercall returns the hook's rc (-EPERM), and so does the status (Xen 4.17.5
    // xen/common/livepatch.c:2057-2065).
    CHECK(action("veto", LIVEPATCH_ACTION_APPLY) == -1);
    xen_livepatch_status st{};
    REQUIRE(get("veto", &st) == 0);
    CHECK(st.rc == -1);
    CHECK(st.state == kStateChecked);
    // REPLACE with a payload that has vetoing hooks is not supported.
    CHECK(action("veto", LIVEPATCH_ACTION_REPLACE) == to_xen_rc(Errc::kEOPNOTSUPP));

    // The safety check (Xen: active waitqueues) fails the apply with -EBUSY.
    hosted::set_safety_failure(true);
    CHECK(act("compute2", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEBUSY));
    hosted::set_safety_failure(false);
    CHECK(text_snapshot() == before);

    // Dependency: compute3 depends on the hypervisor, but compute2 is now on top.
    REQUIRE(act_retrying("compute2", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(action("compute3", LIVEPATCH_ACTION_APPLY) == to_xen_rc(Errc::kEINVAL));
    // NODEPS stacks it anyway; then compute2 is no longer the top: revert refused with -EBUSY.
    REQUIRE(act_retrying("compute3", LIVEPATCH_ACTION_APPLY, 1000000000u, LIVEPATCH_ACTION_APPLY_NODEPS) == 0);
    CHECK(action("compute2", LIVEPATCH_ACTION_REVERT) == to_xen_rc(Errc::kEBUSY));
    CHECK(action("compute2", LIVEPATCH_ACTION_UNLOAD) == to_xen_rc(Errc::kEINVAL));
    CHECK(act_retrying("compute3", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(act_retrying("compute2", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(text_snapshot() == before);
    CHECK(g_load.other.load() == 0);

    // xen_extra_version through XENVER_extraversion, as a guest sees it.
    char buf[16] = {};
    hypercall(HYPERVISOR_xen_version, 1, reinterpret_cast<long>(buf), 0);
    CHECK(std::string(buf) == "-hosted");
    REQUIRE(act_retrying("extra", LIVEPATCH_ACTION_APPLY) == 0);
    hypercall(HYPERVISOR_xen_version, 1, reinterpret_cast<long>(buf), 0);
    CHECK(std::string(buf) == "-patched");
    REQUIRE(act_retrying("extra", LIVEPATCH_ACTION_REVERT) == 0);
    hypercall(HYPERVISOR_xen_version, 1, reinterpret_cast<long>(buf), 0);
    CHECK(std::string(buf) == "-hosted");
}

}  // TEST_SUITE
