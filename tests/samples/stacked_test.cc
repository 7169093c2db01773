// The stacked sample: applies only on top of hello; hello cannot be reverted under it; the revert
// order is top first, and guests see each layer.
#include <doctest/doctest.h>

#include "sample_support.h"

using namespace sampletest;

TEST_SUITE("samples") {

TEST_CASE("stacked: applied on hello, reverted top first") {
    Hypervisor hv;
    ok(hv, {"load", sample("hello")});
    ok(hv, {"load", sample("stacked")});
    CHECK(extraversion(hv) == "-hello+stacked");
    CHECK(detail(hv, "stacked")["depends"] == detail(hv, "hello")["build_id"]);

    // hello is not on top: REVERT is refused (EBUSY, exit 2) and nothing changes.
    const Run refused = hv.tool({"revert", "hello"});
    CHECK(refused.code == 2);
    CHECK(refused.err.find("EBUSY") != std::string::npos);
    CHECK(state_of(hv, "hello") == "APPLIED");
    CHECK(extraversion(hv) == "-hello+stacked");

    ok(hv, {"revert", "stacked"});
    CHECK(extraversion(hv) == "-hello");
    ok(hv, {"revert", "hello"});
    CHECK(extraversion(hv) == "-hosted");
    ok(hv, {"unload", "stacked"});
    ok(hv, {"unload", "hello"});
}

TEST_CASE("stacked: refused without hello under it") {
    Hypervisor hv;
    ok(hv, {"upload", "stacked", sample("stacked")});
    const Run r = hv.tool({"apply", "stacked"});
    CHECK(r.code == 1);
    CHECK(r.err.find("dependency mismatch") != std::string::npos);
    CHECK(state_of(hv, "stacked") == "CHECKED");
    CHECK(extraversion(hv) == "-hosted");
    ok(hv, {"unload", "stacked"});
}

}  // TEST_SUITE
