// The NOP sample: the trace hypercall's increment is NOPed out while it is applied (the count
// guests see stops) and comes back with the revert.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "sample_support.h"

using namespace sampletest;

TEST_SUITE("samples") {

TEST_CASE("nop: the trace count stops while the NOP patch is applied") {
    Hypervisor hv;
    CHECK(trace_counts(hv));

    ok(hv, {"load", sample("nop")});
    const Json d = detail(hv, "nop");
    REQUIRE(d["functions"].size() == 1);
    CHECK(d["functions"][0]["name"] == "do_trace_event");
    CHECK(d["functions"][0]["nop"] == true);
    CHECK(d["functions"][0]["applied"] == true);
    CHECK(d["functions"][0]["patch_len"].get<unsigned>() > 0);

    CHECK_FALSE(trace_counts(hv));
    const uint64_t events = counter(hv, "trace_events");
    const uint64_t uncounted = counter(hv, "trace_uncounted");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(counter(hv, "trace_events") == events);
    CHECK(wait_for_stats(hv, [&](const Json& s) { return s["trace_uncounted"].get<uint64_t>() > uncounted + 100; }));

    ok(hv, {"revert", "nop"});
    CHECK(trace_counts(hv));
    CHECK(wait_for_stats(hv, [&](const Json& s) { return s["trace_events"].get<uint64_t>() > events + 100; }));
    ok(hv, {"unload", "nop"});
}

}  // TEST_SUITE
