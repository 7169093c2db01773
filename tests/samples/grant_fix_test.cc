// The grant-copy fix: the out-of-bounds copy leaks the hypervisor secret before, is refused while
// the fix is applied (in-bounds copies still work), and leaks again after the revert; under a
// malicious guest's load the leak counter stops the moment the fix is applied.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "sample_support.h"

using namespace sampletest;

TEST_SUITE("samples") {

TEST_CASE("grant-fix: the out-of-bounds copy leaks, is refused while applied, leaks after the revert") {
    Hypervisor hv;
    Json oob = grant_oob(hv);
    CHECK(oob["status"] == 0);
    CHECK(oob["leaked"] == true);
    CHECK(oob["bytes"].get<std::string>().find("HYPERVISOR-SECRET") != std::string::npos);

    ok(hv, {"load", sample("grant-fix")});
    oob = grant_oob(hv);
    CHECK(oob["status"] == -22);  // -EINVAL
    CHECK(oob["leaked"] == false);
    CHECK(oob["copied"] == 0);
    const Json in_bounds = guest(hv, "grant-copy");
    CHECK(in_bounds["status"] == 0);
    CHECK(in_bounds["bytes"] == std::string(64, 'a'));  // frame 0 holds 'a'
    CHECK(detail(hv, "grant-fix")["functions"][0]["name"] == "do_grant_table_op");

    ok(hv, {"revert", "grant-fix"});
    oob = grant_oob(hv);
    CHECK(oob["status"] == 0);
    CHECK(oob["leaked"] == true);
    ok(hv, {"unload", "grant-fix"});
}

TEST_CASE("grant-fix under a malicious guest's load: leaks stop, refusals grow") {
    Hypervisor hv({"--malicious-guest"});
    REQUIRE(wait_for_stats(hv, [](const Json& s) { return s["grant_leaks"].get<uint64_t>() > 100; }));
    CHECK(counter(hv, "grant_refused") == 0);

    ok(hv, {"load", sample("grant-fix")});
    // The apply has completed: every vCPU went through the rendezvous, so no copy after it runs
    // the old code.
    const Json before = stats(hv);
    REQUIRE(wait_for_stats(hv, [&](const Json& s) {
        return s["grant_refused"].get<uint64_t>() > before["grant_refused"].get<uint64_t>() + 100;
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const Json after = stats(hv);
    CHECK(after["grant_leaks"] == before["grant_leaks"]);
    CHECK(after["hypercalls"].get<uint64_t>() > before["hypercalls"].get<uint64_t>());

    ok(hv, {"revert", "grant-fix"});
    const uint64_t leaks = counter(hv, "grant_leaks");
    CHECK(wait_for_stats(hv, [&](const Json& s) { return s["grant_leaks"].get<uint64_t>() > leaks; }));
    ok(hv, {"unload", "grant-fix"});
}

}  // TEST_SUITE
