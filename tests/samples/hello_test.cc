// The hello sample: guests see the patched xen_extra_version while it is applied, and the
// original again after the revert.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "sample_support.h"

using namespace sampletest;

TEST_SUITE("samples") {

TEST_CASE("hello: guests see -hello while it is applied, -hosted after the revert") {
    Hypervisor hv;
    CHECK(extraversion(hv) == "-hosted");
    CHECK(counter(hv, "version_patched") == 0);

    const Run load = ok(hv, {"load", sample("hello")});
    CHECK(load.out == "Uploading " + sample("hello") + "... completed\nApplying hello... completed\n");
    CHECK(extraversion(hv) == "-hello");
    // Every vCPU's own load sees it too.
    CHECK(wait_for_stats(hv, [](const Json& s) { return s["version_patched"].get<uint64_t>() > 100; }));
    const Json d = detail(hv, "hello");
    REQUIRE(d["functions"].size() == 1);
    CHECK(d["functions"][0]["name"] == "xen_extra_version");
    CHECK(d["functions"][0]["applied"] == true);

    ok(hv, {"revert", "hello"});
    CHECK(extraversion(hv) == "-hosted");
    const uint64_t patched = counter(hv, "version_patched");
    const uint64_t original = counter(hv, "version_original");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(counter(hv, "version_patched") == patched);  // nobody sees "-hello" any more
    CHECK(wait_for_stats(hv, [&](const Json& s) { return s["version_original"].get<uint64_t>() > original; }));

    ok(hv, {"unload", "hello"});
    CHECK(ok(hv, {"list"}).out == "Nothing to list\n");
    CHECK(extraversion(hv) == "-hosted");
}

}  // TEST_SUITE
