// status: the payload's state and rc, and the hosted backend's detail, for people and as JSON.
#include <doctest/doctest.h>

#include "tool_harness.h"

using namespace tooltest;

TEST_SUITE("tool status") {

TEST_CASE("status of a CHECKED payload: detail without a last action") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "extra", payload("extra")}).code == 0);
    const Run r = hv.tool({"status", "extra"});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    const std::string& t = r.out;
    CHECK(t.rfind("extra: CHECKED, rc 0 (OK)\n", 0) == 0);
    for (const char* line : {"  build-id:     ", "  depends:      ", "  xen-depends:  ",
                             "  reverted:     no (safe to re-apply: yes)\n", "  functions:    1\n",
                             "    xen_extra_version: old 0x", "(5 bytes) -> new 0x", ", not applied\n",
                             "  hooks:        none\n", "  metadata:     version=1; author=test\n",
                             "  last action:  none\n"})
        CHECK_MESSAGE(t.find(line) != std::string::npos, line);
}

TEST_CASE("status after apply: the function applied and the last action's timings") {
    Hypervisor hv;
    REQUIRE(hv.tool({"load", payload("extra")}).code == 0);
    const std::string t = hv.tool({"status", "extra"}).out;
    CHECK(t.rfind("extra: APPLIED, rc 0 (OK)\n", 0) == 0);
    CHECK(t.find(", applied: 5 bytes at +0\n") != std::string::npos);
    CHECK(t.find("  last action:  APPLY, rc 0 (OK), 2 CPUs, gather ") != std::string::npos);
    CHECK(t.find("missing CPUs: none\n") != std::string::npos);
}

TEST_CASE("status of a vetoed payload: the rc and the hook") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "veto", payload("veto")}).code == 0);
    REQUIRE(hv.tool({"apply", "veto"}).code == 1);
    const std::string t = hv.tool({"status", "veto"}).out;
    CHECK(t.rfind("veto: CHECKED, rc -1 (EPERM)\n", 0) == 0);
    CHECK(t.find("  hooks:        preapply\n") != std::string::npos);
    // Vetoed in the hypercall: recorded as the last action, without a rendezvous.
    CHECK(t.find("  last action:  APPLY, rc -1 (EPERM), refused in the hypercall (no rendezvous)\n") !=
          std::string::npos);
    CHECK(t.find("0 CPUs") == std::string::npos);
}

TEST_CASE("status --json: GET's status and the payload's detail") {
    Hypervisor hv;
    REQUIRE(hv.tool({"load", payload("extra")}).code == 0);
    const Json j = hv.tool({"--json", "status", "extra"}).json();
    CHECK(j["command"] == "status");
    CHECK(j["ok"] == true);
    CHECK(j["backend"] == "hosted");
    CHECK(j["name"] == "extra");
    CHECK(j["rc"] == 0);
    CHECK(j["state"] == "APPLIED");
    CHECK(j["status"] == Json{{"state", "APPLIED"}, {"state_code", 2}, {"rc", 0}, {"rc_name", "OK"}});
    const Json& p = j["payload"];
    CHECK(p["name"] == "extra");
    CHECK(p["build_id"].get<std::string>().size() == 40);
    CHECK(p["depends"] == p["xen_depends"]);
    CHECK(p["functions"].size() == 1);
    CHECK(p["functions"][0]["old_size"] == 5);
    CHECK(p["functions"][0]["patch_len"] == 5);
    CHECK(p["last_action"]["cpus"] == 2);
    CHECK(p["last_action"]["missing_cpus"] == Json::array());

    const Run missing = hv.tool({"--json", "status", "nope"});
    CHECK(missing.code == 1);
    const Json m = missing.json();
    CHECK(m["ok"] == false);
    CHECK(m["error"]["step"] == "GET");
    CHECK(m["error"]["rc_name"] == "ENOENT");
    CHECK(m["error"]["errno"] == 2);
}

}  // TEST_SUITE
