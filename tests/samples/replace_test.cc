// The cumulative sample: REPLACE reverts the applied stack (hello, stacked) and applies the
// cumulative payload (its own extra version and the grant-copy fix) in one rendezvous.
#include <doctest/doctest.h>

#include "sample_support.h"

using namespace sampletest;

TEST_SUITE("samples") {

TEST_CASE("cumulative: replace over hello and stacked") {
    Hypervisor hv({"--malicious-guest"});
    ok(hv, {"load", sample("hello")});
    ok(hv, {"load", sample("stacked")});
    ok(hv, {"upload", "cumulative", sample("cumulative")});
    CHECK(extraversion(hv) == "-hello+stacked");
    CHECK(grant_oob(hv)["leaked"] == true);

    const Run r = ok(hv, {"replace", "cumulative"});
    CHECK(r.out == "Replacing all live patches with cumulative... completed\n");
    CHECK(state_of(hv, "hello") == "CHECKED");
    CHECK(state_of(hv, "stacked") == "CHECKED");
    CHECK(state_of(hv, "cumulative") == "APPLIED");
    CHECK(detail(hv, "cumulative")["functions"].size() == 2);
    CHECK(extraversion(hv) == "-cumulative");
    const Json oob = grant_oob(hv);
    CHECK(oob["leaked"] == false);
    CHECK(oob["status"] == -22);
    const uint64_t leaks = counter(hv, "grant_leaks");
    CHECK(wait_for_stats(hv, [&](const Json& s) { return s["grant_refused"].get<uint64_t>() > 100; }));
    CHECK(counter(hv, "grant_leaks") == leaks);

    // The replaced payloads may be unloaded while the cumulative one stays.
    ok(hv, {"unload", "stacked"});
    ok(hv, {"unload", "hello"});
    ok(hv, {"revert", "cumulative"});
    CHECK(extraversion(hv) == "-hosted");
    CHECK(grant_oob(hv)["leaked"] == true);
    ok(hv, {"unload", "cumulative"});
}

}  // TEST_SUITE
