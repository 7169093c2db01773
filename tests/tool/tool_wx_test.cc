// W^X: the hosted hypervisor never asks the kernel for memory that is writable and executable at
// once, checked by intercepting every mmap/mmap64/mprotect/pkey_mprotect it makes (the LD_PRELOAD
// shim tests/tool/wx/wx_shim.c, which aborts the process on such a request) while payloads are
// uploaded, applied, stacked on, reverted, replaced and unloaded with xen-livepatch. The shim's
// own test shows it stops such a request.
#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "tool_harness.h"

using namespace tooltest;

namespace {

std::string env_path(const char* name) {
    const char* v = getenv(name);
    REQUIRE_MESSAGE((v && *v), name, " must name the W^X shim's files (tests/tool/wx/wx.mk)");
    return v;
}

// A hypervisor started with the shim preloaded (only into it: the environment is restored).
struct ShimmedHypervisor {
    std::string log_file;
    Hypervisor* hv = nullptr;
    ShimmedHypervisor() {
        const std::string shim = env_path("LP_WX_SHIM");
        const char* asan = getenv("ASAN_OPTIONS");
        const std::string saved_asan = asan ? asan : "";
        // A sanitizer build wants its runtime first among the libraries; the shim is only there
        // to watch the system calls.
        const std::string with_order = (saved_asan.empty() ? std::string() : saved_asan + ":") + "verify_asan_link_order=0";
        setenv("ASAN_OPTIONS", with_order.c_str(), 1);
        setenv("LD_PRELOAD", shim.c_str(), 1);
        hv = new Hypervisor;
        unsetenv("LD_PRELOAD");
        if (asan)
            setenv("ASAN_OPTIONS", saved_asan.c_str(), 1);
        else
            unsetenv("ASAN_OPTIONS");
        log_file = hv->dir() + "/hypervisor.log";
    }
    ~ShimmedHypervisor() { delete hv; }
};

// Runs the tool until it succeeds; a rendezvous that timed out on a loaded host (exit 2, nothing
// changed) is retried, up to 10 times.
void ok(const Hypervisor& hv, const std::vector<std::string>& args) {
    Run r;
    for (int i = 0; i < 10; ++i) {
        r = hv.tool(args);
        if (r.code != 2)
            break;
    }
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
}

// The counts of the shim's summary line (tests/tool/wx/wx_shim.c).
struct ShimSummary {
    bool found = false;
    unsigned long calls = 0, writable = 0, executable = 0, write_exec = 0;
};

// Parses the last summary line in `log`; found is false when there is none or it does not parse.
ShimSummary shim_summary(const std::string& log) {
    ShimSummary s;
    const size_t at = log.rfind("wx-shim: checked ");
    if (at == std::string::npos)
        return s;
    unsigned long mm = 0, mp = 0, pk = 0, mr = 0;
    s.found = sscanf(log.c_str() + at,
                     "wx-shim: checked %lu calls (mmap %lu, mprotect %lu, pkey_mprotect %lu, mremap %lu; "
                     "%lu writable, %lu executable), %lu write+execute",
                     &s.calls, &mm, &mp, &pk, &mr, &s.writable, &s.executable, &s.write_exec) == 8;
    return s;
}

}  // namespace

TEST_SUITE("tool W^X") {

TEST_CASE("the W^X shim stops every kind of write+execute request (its own test)") {
    if (getenv("LP_HOSTED_RUNNER") && *getenv("LP_HOSTED_RUNNER")) {
        MESSAGE("skipped: the shim is a host library, the hypervisor runs under an emulator");
        return;
    }
    const std::string shim = env_path("LP_WX_SHIM");
    const std::string selftest = env_path("LP_WX_SELFTEST");
    // Without the shim, the kernel grants the request (so the shim is what stops it below).
    const Run plain = run_program(selftest, {"mprotect"});
    INFO(plain.out << plain.err);
    CHECK(plain.code == 0);
    for (const char* how : {"mprotect", "mmap", "mmap64", "pkey_mprotect"}) {
        const Run r = run_program(selftest, {how}, {{"LD_PRELOAD", shim}});
        INFO(how << ": " << r.out << r.err);
        CHECK(r.code != 0);
        CHECK(r.out.find("granted") == std::string::npos);
        CHECK(r.err.find(std::string("wx-shim: ") + how + "(") != std::string::npos);
        CHECK(r.err.find("asks for write and execute together") != std::string::npos);
    }
    // A process that asks for nothing executable-and-writable runs to its end and is summed up.
    const Run quiet = run_program(selftest, {"none"}, {{"LD_PRELOAD", shim}});
    INFO(quiet.err);
    const ShimSummary sum = shim_summary(quiet.err);
    CHECK(sum.found);
    CHECK(sum.write_exec == 0);
}

TEST_CASE("the hosted hypervisor never asks for write and execute: upload, apply, stack, revert, replace, unload") {
    if (getenv("LP_HOSTED_RUNNER") && *getenv("LP_HOSTED_RUNNER")) {
        MESSAGE("skipped: the shim is a host library, the hypervisor runs under an emulator");
        return;
    }
    ShimmedHypervisor s;
    const Hypervisor& hv = *s.hv;
    ok(hv, {"upload", "compute", payload("compute")});
    ok(hv, {"apply", "compute"});
    // Stacked on compute (its .livepatch.depends re-pointed at compute's build-id).
    const std::string stacked = hv.dir() + "/compute_top.livepatch";
    repoint_depends("compute_top", build_id_of(hv, "compute"), stacked);
    ok(hv, {"upload", "compute_top", stacked});
    ok(hv, {"apply", "compute_top"});
    ok(hv, {"revert", "compute_top"});
    ok(hv, {"upload", "extra", payload("extra")});
    ok(hv, {"replace", "extra"});  // reverts compute, applies extra: one window
    ok(hv, {"revert", "extra"});
    ok(hv, {"apply", "extra"});
    ok(hv, {"revert", "extra"});
    for (const char* name : {"compute_top", "extra", "compute"})
        ok(hv, {"unload", name});
    REQUIRE(hv.running());
    s.hv->stop();  // a normal exit: the shim prints its summary
    const std::string log = read_file(s.log_file);
    INFO(log);
    CHECK(log.find("asks for write and execute together") == std::string::npos);
    // The shim sat between this hypervisor and the kernel: it saw the writable requests (the
    // payload images being written) and the executable ones (their text made executable), and
    // none asked for both.
    const ShimSummary sum = shim_summary(log);
    REQUIRE_MESSAGE(sum.found, "no wx-shim summary line: the shim was not preloaded");
    CHECK(sum.calls > 0);
    CHECK(sum.writable > 0);
    CHECK(sum.executable > 0);
    CHECK(sum.write_exec == 0);
}

}  // TEST_SUITE
