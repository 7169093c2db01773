// --json on every command: one JSON document on stdout, nothing else there, and its fields.
#include <chrono>
#include <doctest/doctest.h>
#include <unistd.h>

#include "tool_harness.h"

using namespace tooltest;

namespace {

// The fields every document has.
void check_envelope(const Json& j, const char* command, int exit_code) {
    CHECK(j["command"] == command);
    CHECK(j["ok"] == (exit_code == 0));
    CHECK(j["exit_code"] == exit_code);
    CHECK(j.contains("backend"));
    CHECK(j.contains("error"));
    if (exit_code == 0) {
        CHECK(j["error"].is_null());
    } else {
        REQUIRE(j["error"].is_object());
        for (const char* k : {"step", "completion", "rc", "rc_name", "errno", "message", "meaning"})
            CHECK_MESSAGE(j["error"].contains(k), k);
        CHECK(j["error"]["rc"] == -j["error"]["errno"].get<int>());
    }
}

// Runs with --json and checks the exit code and the envelope.
Json json_run(const Hypervisor& hv, std::vector<std::string> args, const char* command, int code) {
    args.insert(args.begin(), "--json");
    const Run r = hv.tool(args, 60000);
    INFO("stderr: " << r.err);
    CHECK(r.code == code);
    const Json j = r.json();
    check_envelope(j, command, code);
    return j;
}

}  // namespace

TEST_SUITE("tool json") {

TEST_CASE("apply, revert, replace, unload: action, flags, states, outcome, timings, detail") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "extra", payload("extra")}).code == 0);
    REQUIRE(hv.tool({"upload", "compute", payload("compute")}).code == 0);

    const Run first = hv.xen_retrying({"--json", "apply", "extra"});  // Xen's timing
    CHECK(first.code == 0);
    Json a = first.json();
    check_envelope(a, "apply", 0);
    CHECK(a["backend"] == "hosted");
    CHECK(a["name"] == "extra");
    CHECK(a["action"] == "APPLY");
    CHECK(a["flags"]["nodeps"] == false);
    CHECK(a["timeout_ns"] == 30000000);
    CHECK(a["wait_ns"].is_null());
    CHECK(a["state_before"] == "CHECKED");
    CHECK(a["outcome"] == "completed");
    CHECK(a["rc"] == 0);
    CHECK(a["rc_name"] == "OK");
    CHECK(a["polls"] == 1);
    CHECK(a["elapsed_us"].get<double>() > 0);
    CHECK(a["state"] == "APPLIED");
    CHECK(a["status"]["state"] == "APPLIED");
    CHECK(a["payload"]["last_action"]["action"] == "APPLY");
    CHECK(a["payload"]["last_action"]["rc_name"] == "OK");
    CHECK(a["payload"]["last_action"]["gather_us"].is_number());
    CHECK(a["payload"]["functions"][0]["applied"] == true);

    Json n = json_run(hv, {"apply", "compute", "--nodeps", "--timeout", "2s", "--wait", "5s"}, "apply", 0);
    CHECK(n["flags"]["nodeps"] == true);
    CHECK(n["timeout_ns"] == 2000000000u);
    CHECK(n["wait_ns"] == 5000000000ull);

    Json again = json_run(hv, {"apply", "extra"}, "apply", 0);
    CHECK(again["outcome"] == "no_action_needed");
    CHECK_FALSE(again.contains("polls"));

    Json busy = json_run(hv, {"revert", "extra"}, "revert", 2);  // compute is on top
    CHECK(busy["outcome"] == "failed");
    CHECK(busy["rc_name"] == "EBUSY");
    CHECK(busy["error"]["step"] == "REVERT");
    CHECK(busy["error"]["completion"] == false);
    CHECK(busy["error"]["meaning"].get<std::string>().find("also applied: compute") != std::string::npos);

    Json r = json_run(hv, {"revert", "compute"}, "revert", 0);
    CHECK(r["action"] == "REVERT");
    CHECK(r["state_before"] == "APPLIED");
    CHECK(r["state"] == "CHECKED");
    CHECK(r["payload"]["reverted"] == true);

    Json wrong = json_run(hv, {"unload", "extra"}, "unload", 1);
    CHECK(wrong["outcome"] == "wrong_state");
    CHECK(wrong["error"]["step"] == "state check");

    Json rep = json_run(hv, {"replace", "compute"}, "replace", 0);
    CHECK(rep["action"] == "REPLACE");
    CHECK(rep["state"] == "APPLIED");
    CHECK(hv.tool({"--json", "status", "extra"}).json()["state"] == "CHECKED");

    Json u = json_run(hv, {"unload", "extra"}, "unload", 0);
    CHECK(u["action"] == "UNLOAD");
    CHECK(u["outcome"] == "completed");
    CHECK(u["state"].is_null());
    CHECK(u["status"].is_null());
    CHECK(u["payload"].is_null());

    Json gone = json_run(hv, {"unload", "extra"}, "unload", 1);
    CHECK(gone["outcome"] == "failed");
    CHECK(gone["error"]["step"] == "GET");
    CHECK(gone["error"]["rc_name"] == "ENOENT");
}

TEST_CASE("an action in progress and one that did not complete") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "slow", payload("slow")}).code == 0);
    // stall keeps every pCPU in a hypercall for 8 s: the APPLY stays scheduled, not started.
    REQUIRE(hv.tool({"upload", "stall", payload("stall")}).code == 0);
    REQUIRE(hv.tool({"apply", "stall", "--timeout", "4s", "--wait", "20s"}, 60000).code == 0);
    Json first = json_run(hv, {"apply", "slow", "--nodeps", "--timeout", "1s", "--wait", "100ms"}, "apply", 2);
    CHECK(first["outcome"] == "not_completed");
    CHECK(first["error"]["completion"] == true);
    CHECK(first["error"]["rc_name"] == "EAGAIN");
    Json second = json_run(hv, {"revert", "slow"}, "revert", 2);
    CHECK(second["outcome"] == "in_progress");
    CHECK(second["status"]["rc_name"] == "EAGAIN");
    CHECK(second["error"]["step"] == "state check");
}

TEST_CASE("help, no command, an unknown command, bad options: JSON too") {
    const Run help = run_tool({"--json", "help"});
    CHECK(help.code == 0);
    CHECK(help.err.empty());
    Json h = help.json();
    check_envelope(h, "help", 0);
    CHECK(h["backend"].is_null());
    CHECK(h["text"].get<std::string>().rfind("xen-livepatch: live patching tool\n", 0) == 0);
    CHECK(run_tool({"--json"}).json()["command"] == "help");

    const Run unknown = run_tool({"--json", "frobnicate"});
    CHECK(unknown.code == 1);
    Json u = unknown.json();
    check_envelope(u, "frobnicate", 1);
    CHECK(u["error"]["step"] == "args");
    CHECK(unknown.err.rfind("Unrecognised command 'frobnicate'", 0) == 0);  // stderr keeps Xen's text

    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"--json", "--timeout", "7", "list"}, {"--json", "list", "--wait"}, {"--json", "--backend=nope", "list"}}) {
        const Run r = run_tool(args);
        CHECK(r.code == 1);
        Json j = r.json();
        CHECK(j["ok"] == false);
        CHECK(j["error"]["step"] == "args");
        CHECK(j["error"]["rc_name"] == "EINVAL");
    }

    const Run usage = run_tool({"--json", "upload", "x"});
    CHECK(usage.code == 1);
    CHECK(usage.err.find("xen-livepatch: upload: upload takes <name> <file>") != std::string::npos);
    CHECK(usage.err.find("Commands:") == std::string::npos);  // no help text on stderr in JSON mode
    check_envelope(usage.json(), "upload", 1);

    const Run name = run_tool({"--json", "apply", std::string(128, 'x')});
    CHECK(name.code == 1);
    CHECK(name.json()["error"]["step"] == "args");
}

TEST_CASE("connection failures in JSON") {
    const Run r = run_tool({"--json", "--socket", "/nonexistent/lp.sock", "status", "x"});
    CHECK(r.code == 1);
    Json j = r.json();
    check_envelope(j, "status", 1);
    CHECK(j["backend"] == "hosted");
    CHECK(j["error"]["step"] == "connect");
    CHECK(j["error"]["rc_name"] == "ENOENT");
    CHECK(j["error"]["meaning"].get<std::string>().find("cannot reach the hosted hypervisor") != std::string::npos);
    CHECK(j["rc"] == -2);  // the command's result is in every document
    CHECK(j["rc_name"] == "ENOENT");

    Hypervisor hv;  // GET failed: the payload's state is not known, and said so
    const Json s = hv.tool({"--json", "status", "x"}).json();
    CHECK(s["status"].is_null());
    CHECK(s["state"].is_null());
    CHECK(s["payload"].is_null());
    const Json a = hv.tool({"--json", "apply", "x"}).json();
    CHECK(a["outcome"] == "failed");
    CHECK(a["status"].is_null());
    CHECK(a["state"].is_null());
    CHECK(a["rc"] == -2);
}

TEST_CASE("info and check: the same envelope as every command") {
    const std::string hosted = getenv("LP_HOSTED_BIN");
    const Run info = run_tool({"--json", "info", payload("extra")});
    Json j = info.json();
    check_envelope(j, "info", 0);
    CHECK(j["backend"].is_null());
    CHECK(j["rc"] == 0);
    CHECK(j["build_id"].is_string());  // the offline document's own fields stay

    j = run_tool({"--json", "info", "/nonexistent.livepatch"}).json();
    check_envelope(j, "info", 1);
    CHECK(j["error"]["step"] == "open");
    CHECK(j["error"]["rc_name"] == "ENOENT");
    CHECK(j["error"]["meaning"].get<std::string>().find("cannot open") != std::string::npos);
    j = run_tool({"--json", "info", source_root() + "/README.md"}).json();  // readable, not ELF: EINVAL
    check_envelope(j, "info", 1);
    CHECK(j["error"]["step"] == "read");
    CHECK(j["error"]["rc_name"] == "EINVAL");

    j = run_tool({"--json", "check", payload("extra"), "--against", hosted}).json();
    check_envelope(j, "check", 0);
    CHECK(j["result"] == "ok");
    j = run_tool({"--json", "check", payload("extra")}, {{"XEN_LIVEPATCH_IMAGE", ""}}).json();
    check_envelope(j, "check", 1);
    CHECK(j["error"]["step"] == "args");
    j = run_tool({"--json", "check", payload("extra"), "--against", "/nonexistent-image"}).json();
    check_envelope(j, "check", 1);
    CHECK(j["error"]["step"] == "open");
    CHECK(j["error"]["rc_name"] == "ENOENT");
    const Run refused = run_tool({"--json", "check", payload("extra"), "--against", "/bin/true"});
    CHECK(refused.code == 1);
    check_envelope(refused.json(), "check", 1);
}

}  // TEST_SUITE
