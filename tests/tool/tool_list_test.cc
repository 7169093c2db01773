// list: Xen 4.17's text byte for byte (golden files), and its JSON.
#include <doctest/doctest.h>

#include "tool_harness.h"

using namespace tooltest;

namespace {

// extra (APPLIED, with metadata), compute (CHECKED), veto (CHECKED, rc -EPERM from its hook).
void load_three(const Hypervisor& hv) {
    for (const char* p : {"extra", "compute", "veto"})
        REQUIRE(hv.tool({"upload", p, payload(p)}).code == 0);
    REQUIRE(hv.tool({"apply", "veto"}).code == 1);  // vetoed by its pre-apply hook
    REQUIRE(hv.tool({"apply", "extra"}).code == 0);
}

}  // namespace

TEST_SUITE("tool list") {

TEST_CASE("nothing loaded: 'Nothing to list'") {
    Hypervisor hv;
    const Run r = hv.tool({"list"});
    CHECK(r.code == 0);
    CHECK(r.out == golden("list_empty.txt"));
    CHECK(r.err.empty());
}

TEST_CASE("header, rule and rows: state, rc suffix, metadata with ';'") {
    Hypervisor hv;
    load_three(hv);
    const Run r = hv.tool({"list"});
    CHECK(r.code == 0);
    CHECK(r.out == golden("list_payloads.txt"));
    CHECK(r.err.empty());
}

TEST_CASE("list --json: every payload with state, rc, metadata and detail") {
    Hypervisor hv;
    load_three(hv);
    const Json j = hv.tool({"--json", "list"}).json();
    CHECK(j["command"] == "list");
    CHECK(j["ok"] == true);
    CHECK(j["exit_code"] == 0);
    CHECK(j["backend"] == "hosted");
    CHECK(j["rc"] == 0);
    CHECK(j["rc_name"] == "OK");
    CHECK(j["error"].is_null());
    const Json& p = j["payloads"];
    REQUIRE(p.size() == 3);
    CHECK(p[0]["name"] == "extra");
    CHECK(p[0]["state"] == "APPLIED");
    CHECK(p[0]["state_code"] == 2);
    CHECK(p[0]["rc"] == 0);
    CHECK(p[0]["metadata"] == Json::array({"version=1", "author=test"}));
    CHECK(p[0]["metadata_text"] == "version=1;author=test");
    CHECK(p[0]["detail"]["functions"][0]["name"] == "xen_extra_version");
    CHECK(p[0]["detail"]["functions"][0]["applied"] == true);
    CHECK(p[0]["detail"]["build_id"].get<std::string>().size() == 40);
    CHECK(p[0]["detail"]["last_action"]["action"] == "APPLY");
    CHECK(p[1]["name"] == "compute");
    CHECK(p[1]["state"] == "CHECKED");
    CHECK(p[1]["metadata"].empty());
    CHECK(p[1]["metadata_text"] == "");
    CHECK(p[1]["detail"]["last_action"].is_null());
    CHECK(p[2]["name"] == "veto");
    CHECK(p[2]["state"] == "CHECKED");
    CHECK(p[2]["rc"] == -1);
    CHECK(p[2]["rc_name"] == "EPERM");
    CHECK(p[2]["detail"]["hooks"]["preapply"] == true);
}

TEST_CASE("list --json with nothing loaded") {
    Hypervisor hv;
    const Json j = hv.tool({"--json", "list"}).json();
    CHECK(j["ok"] == true);
    CHECK(j["payloads"] == Json::array());
}

}  // TEST_SUITE
