// load: the name from the file's base name, upload + apply, unload again when the apply fails.
#include <doctest/doctest.h>

#include <filesystem>

#include "tool_harness.h"

using namespace tooltest;

TEST_SUITE("tool load") {

TEST_CASE("load: upload under the base name without the extension, then apply") {
    Hypervisor hv;
    const std::string file = payload("extra");
    const Run r = hv.tool({"load", file});
    CHECK(r.code == 0);
    CHECK(r.out == "Uploading " + file + "... completed\nApplying extra... completed\n");
    CHECK(r.err.empty());
    CHECK(hv.tool({"list"}).out.find("extra                                   | APPLIED    |") != std::string::npos);
}

TEST_CASE("load: only the last extension goes") {
    Hypervisor hv;
    const std::string file = hv.dir() + "/fix.v2.livepatch";
    std::filesystem::copy_file(payload("extra"), file);
    const Run r = hv.tool({"load", file});
    CHECK(r.code == 0);
    CHECK(r.out == "Uploading " + file + "... completed\nApplying fix.v2... completed\n");
}

TEST_CASE("load: a failed apply is unloaded again, and the apply's failure is the result") {
    Hypervisor hv;
    const std::string file = payload("veto");
    const Run r = hv.tool({"load", file});
    CHECK(r.code == 1);
    CHECK(r.out == "Uploading " + file + "... completed\nApplying veto... failed\nUnloading veto... completed\n");
    CHECK(r.err.rfind("Error 1: Operation not permitted\n", 0) == 0);
    CHECK(hv.tool({"list"}).out == "Nothing to list\n");
}

TEST_CASE("load --nodeps: out of order without the inter-payload check") {
    Hypervisor hv;
    REQUIRE(hv.tool({"load", payload("extra")}).code == 0);
    const Run refused = hv.tool({"load", payload("compute")});
    CHECK(refused.code == 1);
    CHECK(refused.out == "Uploading " + payload("compute") +
                             "... completed\nApplying compute... failed\nUnloading compute... completed\n");
    CHECK(refused.err.find("dependency mismatch: compute depends on build-id") != std::string::npos);
    const Run r = hv.tool({"load", payload("compute"), "--nodeps"});
    CHECK(r.code == 0);
    CHECK(r.out == "Uploading " + payload("compute") + "... completed\nApplying compute... completed\n");
}

TEST_CASE("load: a failed upload stops there") {
    Hypervisor hv;
    const std::string missing = hv.dir() + "/missing.livepatch";
    const Run r = hv.tool({"load", missing});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("Could not open " + missing + ".\nError 2: No such file or directory\n", 0) == 0);
    REQUIRE(hv.tool({"load", payload("extra")}).code == 0);
    const Run again = hv.tool({"load", payload("extra")});  // the name is taken
    CHECK(again.code == 1);
    CHECK(again.out == "Uploading " + payload("extra") + "... failed\n");
}

TEST_CASE("load: a slow apply with --timeout and --wait") {
    Hypervisor hv;
    const Run r = hv.tool({"load", payload("slow"), "--timeout", "1s", "--wait", "20s"}, 60000);
    CHECK(r.code == 0);
    CHECK(r.out == "Uploading " + payload("slow") + "... completed\nApplying slow... completed\n");
}

TEST_CASE("load --json: upload, apply and unload as nested objects") {
    Hypervisor hv;
    const Json ok = hv.tool({"--json", "load", payload("extra")}).json();
    CHECK(ok["command"] == "load");
    CHECK(ok["ok"] == true);
    CHECK(ok["name"] == "extra");
    CHECK(ok["file"] == payload("extra"));
    CHECK(ok["rc"] == 0);
    CHECK(ok["upload"]["rc"] == 0);
    CHECK(ok["upload"]["payload"]["state"] == "CHECKED");
    CHECK(ok["apply"]["outcome"] == "completed");
    CHECK(ok["apply"]["state"] == "APPLIED");
    CHECK(ok["unload"].is_null());
    CHECK(ok["error"].is_null());

    const Run failed = hv.tool({"--json", "load", payload("veto"), "--nodeps"});
    CHECK(failed.code == 1);
    const Json f = failed.json();
    CHECK(f["ok"] == false);
    CHECK(f["rc"] == -1);
    CHECK(f["apply"]["outcome"] == "failed");
    // Xen returns a pre-apply hook's veto from the hypercall itself (common/livepatch.c:2057-2065):
    // the APPLY call failed, not its completion.
    CHECK(f["apply"]["error"]["completion"] == false);
    CHECK(f["unload"]["outcome"] == "completed");
    CHECK(f["unload"]["state"].is_null());  // gone
    CHECK(f["error"]["step"] == "APPLY");
    CHECK(f["error"]["rc_name"] == "EPERM");

    const Json up = hv.tool({"--json", "load", hv.dir() + "/nope.livepatch"}).json();
    CHECK(up["upload"]["error"]["step"] == "open");
    CHECK(up["apply"].is_null());
    CHECK(up["error"]["rc_name"] == "ENOENT");
    CHECK(up["rc"] == -2);

    // A file whose name leaves no payload name: refused as a bad name, EINVAL (not -1, "EPERM").
    write_file(hv.dir() + "/.livepatch", "");
    const Json bad = hv.tool({"--json", "load", hv.dir() + "/.livepatch"}).json();
    CHECK(bad["ok"] == false);
    CHECK(bad["rc"] == -22);
    CHECK(bad["rc_name"] == "EINVAL");
    CHECK(bad["upload"]["rc"] == -22);
    CHECK(bad["error"]["step"] == "args");
}

}  // TEST_SUITE
