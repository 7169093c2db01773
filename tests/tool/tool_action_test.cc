// apply, revert, replace, unload: Xen's text and exit codes for success, "No action needed.",
// the wrong state, a missing payload and every refusal, with this tool's explanations.
#include <chrono>
#include <doctest/doctest.h>
#include <unistd.h>

#include "tool_harness.h"

using namespace tooltest;

namespace {

void upload(const Hypervisor& hv, const std::string& name, const std::string& file) {
    const Run r = hv.tool({"upload", name, file});
    INFO(r.err);
    REQUIRE(r.code == 0);
}

void upload(const Hypervisor& hv, const std::string& name) { upload(hv, name, payload(name)); }

// xen() again (up to 20 times, 100 ms apart) while it exits 2: a rendezvous that timed out, or
// Xen's fixed wait (twice the timeout) too short on a loaded host ("Operation didn't complete.",
// then "already in progress" until the action ends, after which the retry sees its result).
Run settle_retrying(const Hypervisor& hv, const std::vector<std::string>& args) {
    Run r;
    for (int i = 0; i < 20; ++i) {
        r = hv.xen(args);
        if (r.code != 2)
            break;
        usleep(100000);
    }
    return r;
}

}  // namespace

TEST_SUITE("tool actions") {

TEST_CASE("apply, revert, apply again, revert, unload: each 'completed'") {
    Hypervisor hv;
    upload(hv, "extra");
    struct Step {
        const char* cmd;
        const char* out;
    };
    for (const Step& s : {Step{"apply", "Applying extra... completed\n"}, Step{"revert", "Reverting extra... completed\n"},
                          Step{"apply", "Applying extra... completed\n"}, Step{"revert", "Reverting extra... completed\n"},
                          Step{"unload", "Unloading extra... completed\n"}}) {
        const Run r = hv.tool({s.cmd, "extra"});
        INFO(s.cmd << ": " << r.err);
        CHECK(r.code == 0);
        CHECK(r.out == s.out);
        CHECK(r.err.empty());
    }
    CHECK(hv.tool({"list"}).out == "Nothing to list\n");
}

TEST_CASE("'No action needed.' when the payload is already where the action goes") {
    Hypervisor hv;
    upload(hv, "extra");
    const Run revert_checked = hv.tool({"revert", "extra"});
    CHECK(revert_checked.code == 0);
    CHECK(revert_checked.out == "No action needed.\n");
    REQUIRE(hv.tool({"apply", "extra"}).code == 0);
    for (const char* cmd : {"apply", "replace"}) {
        const Run r = hv.tool({cmd, "extra"});
        CHECK(r.code == 0);
        CHECK(r.out == "No action needed.\n");
        CHECK(r.err.empty());
    }
}

TEST_CASE("unload of an applied payload: the wrong-state message, exit 1") {
    Hypervisor hv;
    upload(hv, "extra");
    REQUIRE(hv.tool({"apply", "extra"}).code == 0);
    const Run r = hv.tool({"unload", "extra"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("extra is in the wrong state.\nCurrent state: APPLIED\nExpected state: CHECKED\n", 0) == 0);
    CHECK(r.err.find("extra is APPLIED, and unload needs it CHECKED: revert it first") != std::string::npos);
}

TEST_CASE("a payload that is not loaded: 'Failed to get status', ENOENT, exit 1 (unload too, as Xen)") {
    Hypervisor hv;
    for (const char* cmd : {"apply", "revert", "replace", "unload", "status"}) {
        const Run r = hv.tool({cmd, "nope"});
        INFO(cmd);
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.rfind("Failed to get status of nope.\nError 2: No such file or directory\n", 0) == 0);
        CHECK(r.err.find("GET failed: ENOENT (2, No such file or directory): no payload with this name is loaded") !=
              std::string::npos);
    }
}

TEST_CASE("apply out of order: EINVAL naming both build-ids; --nodeps applies it") {
    Hypervisor hv;
    upload(hv, "extra");
    upload(hv, "compute");
    REQUIRE(hv.tool({"apply", "extra"}).code == 0);
    const std::string extra_id = build_id_of(hv, "extra");
    const Json compute = hv.tool({"--json", "status", "compute"}).json();
    const std::string hv_id = compute["payload"]["xen_depends"].get<std::string>();
    CHECK(compute["payload"]["depends"] == hv_id);

    const Run r = hv.tool({"apply", "compute"});
    CHECK(r.code == 1);
    CHECK(r.out == "Applying compute... failed\n");
    CHECK(r.err.rfind("Error 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("APPLY failed: EINVAL (22, Invalid argument): dependency mismatch: compute depends on build-id " +
                     hv_id + ", but APPLY needs the build-id of extra, the payload on top of the applied stack, " +
                     extra_id) != std::string::npos);
    CHECK(r.err.find("--nodeps") != std::string::npos);

    const Run nodeps = hv.tool({"apply", "compute", "--nodeps"});
    CHECK(nodeps.code == 0);
    CHECK(nodeps.out == "Applying compute... completed\n");
    CHECK(hv.tool({"--json", "status", "compute"}).json()["state"] == "APPLIED");
}

TEST_CASE("a stacked pair: the second applies on the first; revert must go top first (EBUSY, exit 2)") {
    Hypervisor hv;
    upload(hv, "compute");
    REQUIRE(hv.tool({"apply", "compute"}).code == 0);
    const std::string stacked = hv.dir() + "/compute_top.livepatch";
    repoint_depends("compute_top", build_id_of(hv, "compute"), stacked);
    upload(hv, "compute_top", stacked);
    const Run top = hv.tool({"apply", "compute_top"});
    INFO(top.err);
    CHECK(top.code == 0);
    CHECK(top.out == "Applying compute_top... completed\n");

    const Run early = hv.tool({"revert", "compute"});
    CHECK(early.code == 2);
    CHECK(early.out == "Reverting compute... failed\n");
    CHECK(early.err.rfind("Error 16: Device or resource busy\n", 0) == 0);
    CHECK(early.err.find("only the payload on top of the applied stack can be reverted; also applied: compute_top") !=
          std::string::npos);

    CHECK(hv.tool({"revert", "compute_top"}).out == "Reverting compute_top... completed\n");
    CHECK(hv.tool({"revert", "compute"}).out == "Reverting compute... completed\n");
    // Out of order the other way: the top one alone no longer matches (it needs compute on top).
    const Run alone = hv.tool({"apply", "compute_top"});
    CHECK(alone.code == 1);
    CHECK(alone.err.find("compute_top depends on build-id " + build_id_of(hv, "compute") +
                         ", but APPLY needs the hypervisor's build-id") != std::string::npos);
}

TEST_CASE("a pre-apply hook veto: the hypercall fails with the hook's rc, and the hook is named") {
    Hypervisor hv;
    upload(hv, "veto");
    const Run r = hv.tool({"apply", "veto"});
    CHECK(r.code == 1);
    CHECK(r.out == "Applying veto... failed\n");
    CHECK(r.err.rfind("Error 1: Operation not permitted\n", 0) == 0);
    CHECK(r.err.find("APPLY failed: EPERM (1, Operation not permitted): the preapply hook of veto "
                     "vetoed the action with EPERM") != std::string::npos);
}

TEST_CASE("an expectation mismatch: EINVAL, explained as such when the dependency holds") {
    Hypervisor hv;
    upload(hv, "expect_bad");
    const Run r = hv.tool({"apply", "expect_bad"});
    CHECK(r.code == 1);
    CHECK(r.out == "Applying expect_bad... failed\n");
    CHECK(r.err.rfind("Error 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("so an expectation of expect_bad failed") != std::string::npos);
    const Run nodeps = hv.tool({"apply", "expect_bad", "--nodeps"});
    CHECK(nodeps.err.find("an expectation of expect_bad failed") != std::string::npos);
    CHECK(nodeps.err.find("--nodeps skipped the dependency check") != std::string::npos);
}

TEST_CASE("replace: every applied payload reverted, the new one applied") {
    Hypervisor hv;
    upload(hv, "extra");
    upload(hv, "compute");
    REQUIRE(hv.tool({"apply", "extra"}).code == 0);
    const Run r = hv.tool({"replace", "compute"});
    CHECK(r.code == 0);
    CHECK(r.out == "Replacing all live patches with compute... completed\n");
    const Json list = hv.tool({"--json", "list"}).json();
    CHECK(list["payloads"][0]["state"] == "CHECKED");
    CHECK(list["payloads"][1]["state"] == "APPLIED");
}

TEST_CASE("replace with a vetoing hook: EOPNOTSUPP explained") {
    Hypervisor hv;
    upload(hv, "veto");
    const Run r = hv.tool({"replace", "veto"});
    CHECK(r.code == 1);
    CHECK(r.out == "Replacing all live patches with veto... failed\n");
    CHECK(r.err.rfind("Error 95: Operation not supported\n", 0) == 0);
    CHECK(r.err.find("pre- or post-action (vetoing) hooks") != std::string::npos);
}

TEST_CASE("replace of a stacked payload: its depends must be the hypervisor's, both ids named") {
    Hypervisor hv;
    upload(hv, "compute");
    const std::string compute_id = build_id_of(hv, "compute");
    const std::string stacked = hv.dir() + "/top.livepatch";
    repoint_depends("compute_top", compute_id, stacked);
    upload(hv, "top", stacked);
    const Run r = hv.tool({"replace", "top"});
    CHECK(r.code == 1);
    CHECK(r.err.rfind("Error 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("REPLACE needs .livepatch.depends to be the hypervisor's build-id") != std::string::npos);
    CHECK(r.err.find("but top depends on " + compute_id) != std::string::npos);
}

// An open window holds the engine lock, so a GET waits for it and sees the outcome (as on Xen,
// where dom0 is stopped while the window holds every CPU). An action is seen in progress while it
// is scheduled and not started: stall keeps the pCPUs in a hypercall for 8 s, away from safe
// points, long enough for the steps below on a loaded host (none of them is timed).
void stall_cpus(const Hypervisor& hv) {
    upload(hv, "stall");
    REQUIRE(hv.tool({"apply", "stall", "--timeout", "4s", "--wait", "20s"}, 60000).code == 0);
}

TEST_CASE("an action still running after twice the timeout: 'Operation didn't complete.', exit 2; 'in progress'") {
    Hypervisor hv;
    upload(hv, "slow");  // holds the rendezvous window for 1.5 s
    stall_cpus(hv);      // no pCPU reaches a safe point for 8 s
    const Run r = hv.xen({"apply", "slow", "--nodeps", "--timeout", "500ms"});  // Xen's wait: 1 s, then one GET
    CHECK(r.code == 2);
    CHECK(r.out == "Applying slow... failed\n");
    CHECK(r.err.rfind("Operation didn't complete.\n", 0) == 0);
    CHECK(r.err.find("APPLY did not complete: EAGAIN") != std::string::npos);

    const Run busy = hv.tool({"revert", "slow"});
    CHECK(busy.code == 2);
    CHECK(busy.out.empty());
    CHECK(busy.err.rfind("Cannot execute revert.\nOperation already in progress.\n", 0) == 0);

    const Run status = hv.tool({"status", "slow"});
    CHECK(status.out.find("rc -11 (EAGAIN), an action is in progress") != std::string::npos);
    // Once it is done (awaited with a generous deadline, not timed), the apply has nothing left to do.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (hv.tool({"--json", "status", "slow"}).json()["status"]["rc"] == -11 &&
           std::chrono::steady_clock::now() < deadline)
        usleep(50000);
    CHECK(hv.tool({"apply", "slow"}).out == "No action needed.\n");
}

TEST_CASE("--wait polls until the action completes") {
    Hypervisor hv;
    upload(hv, "slow");
    const Run r = hv.tool({"--json", "apply", "slow", "--timeout", "1s", "--wait", "20s"}, 60000);
    CHECK(r.code == 0);
    const Json j = r.json();
    CHECK(j["outcome"] == "completed");
    CHECK(j["wait_ns"] == 20000000000ull);
    CHECK(j["polls"].get<int>() >= 1);  // a GET issued while the window is open waits for it
    CHECK(j["elapsed_us"].get<double>() >= 1400000.0);
    CHECK(j["state"] == "APPLIED");
    CHECK(j["payload"]["last_action"]["window_us"].get<double>() >= 1400000.0);
}

TEST_CASE("--wait shorter than the action: it gives up ('Operation didn't complete.', exit 2) or sees it done") {
    // slow holds the window 1.5 s. Whether the tool's wait ends before the window opens (the APPLY
    // still scheduled: EAGAIN, exit 2) or its GET arrives inside the window and waits for it to
    // close (done, exit 0) depends on when the pCPUs arrive: both are Xen's behaviour. Either way
    // the outcome and the state agree, and a give-up comes before the window closed.
    Hypervisor hv;
    upload(hv, "slow");
    stall_cpus(hv);
    const Run r = hv.tool({"--json", "apply", "slow", "--nodeps", "--timeout", "1s", "--wait", "200ms"});
    CHECK(r.code == 2);
    const Json j = r.json();
    CHECK(j["outcome"] == "not_completed");
    CHECK(j["error"]["rc_name"] == "EAGAIN");
    CHECK(j["elapsed_us"].get<double>() >= 200000.0);
    CHECK(j["elapsed_us"].get<double>() < 8000000.0);  // gave up before the stalled action could start
    CHECK(r.err.rfind("Operation didn't complete.\n", 0) == 0);
}

TEST_CASE("--timeout goes into the action; without --wait the tool waits twice the timeout") {
    // Xen's rule is the property: one GET after twice the timeout. The action completed by then,
    // or, on a loaded host, not yet ("Operation didn't complete.", exit 2); either shows it.
    auto xen_wait = [](const Json& a, uint64_t timeout_ns) {
        INFO(a.dump());
        REQUIRE((a["ok"] == true || a["outcome"] == "not_completed"));
        CHECK(a["timeout_ns"] == timeout_ns);
        CHECK(a["wait_ns"].is_null());
        CHECK(a["polls"] == 1);
        CHECK(a["elapsed_us"].get<double>() >= 2 * (timeout_ns ? timeout_ns : 30000000) / 1000.0);
    };
    Hypervisor hv;
    upload(hv, "extra");
    xen_wait(hv.xen_retrying({"--json", "--timeout", "150ms", "apply", "extra"}).json(), 150000000);
    REQUIRE(settle_retrying(hv, {"apply", "extra"}).code == 0);  // APPLIED once it has finished
    xen_wait(hv.xen_retrying({"--json", "revert", "extra"}).json(), 30000000);  // Xen's default
    REQUIRE(settle_retrying(hv, {"revert", "extra"}).code == 0);
    const Json zero = settle_retrying(hv, {"--json", "--timeout", "0", "apply", "extra"}).json();
    CHECK(zero["ok"] == true);  // 0: the hypervisor's default
    CHECK(zero["timeout_ns"] == 0);
}

TEST_CASE("a rendezvous that times out: EBUSY, exit 2, the missing CPU named") {
    Hypervisor hv;
    upload(hv, "compute");
    bool timed_out = false;
    for (int i = 0; i < 50 && !timed_out; ++i) {
        const Run r = hv.tool({"--timeout", "1ns", "--wait", "5s", "apply", "compute"});
        if (r.code == 0) {  // every CPU made it within 1 ns: try again
            REQUIRE(hv.tool({"revert", "compute"}).code == 0);
            continue;
        }
        timed_out = true;
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK(r.out == "Applying compute... failed\n");
        CHECK(r.err.rfind("Error 16: Device or resource busy\n", 0) == 0);
        CHECK(r.err.find("APPLY did not complete: EBUSY (16, Device or resource busy): the rendezvous timed out "
                         "after 1ns: ") != std::string::npos);
        // The CPU that had not arrived is named; a timeout after both arrived (the IRQ phase) says so.
        const bool named = r.err.find(" of 2 did not reach a quiescent point; nothing was changed") != std::string::npos;
        const bool late = r.err.find("every CPU arrived, but not all of them in time; nothing was changed") !=
                          std::string::npos;
        CHECK((named || late));
    }
    CHECK(timed_out);
    CHECK(hv.tool({"--json", "status", "compute"}).json()["status"]["rc_name"] == "EBUSY");
}

}  // TEST_SUITE
