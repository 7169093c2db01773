// The command line as Xen 4.17 defines it: help (equal to docs/xen-livepatch.md), no arguments,
// unknown commands, prefix matching, argument and option errors, the name limit.
#include <doctest/doctest.h>
#include <stdlib.h>

#include "tool_harness.h"

using namespace tooltest;

namespace {

// The fenced block after "<!-- help-text -->" in docs/xen-livepatch.md.
std::string documented_help() {
    const std::string doc = read_file(source_root() + "/docs/xen-livepatch.md");
    const size_t marker = doc.find("<!-- help-text -->");
    REQUIRE(marker != std::string::npos);
    const size_t open = doc.find("```\n", marker);
    REQUIRE(open != std::string::npos);
    const size_t begin = open + 4;
    const size_t close = doc.find("```\n", begin);
    REQUIRE(close != std::string::npos);
    return doc.substr(begin, close - begin);
}

const std::string kUnknown = "Unrecognised command 'frobnicate' -- try 'xen-livepatch help'\n";

}  // namespace

TEST_SUITE("tool cli") {

TEST_CASE("help prints exactly the documented text on stderr and exits 0") {
    const std::string help = documented_help();
    CHECK(help.rfind("xen-livepatch: live patching tool\n", 0) == 0);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"help"}, {}, {"--help"}, {"-h"}, {"h"}, {"hel"}, {""}, {"help", "ignored", "args"}}) {
        INFO("args: " << args.size() << (args.empty() ? "" : " " + args[0]));
        const Run r = run_tool(args);
        CHECK(r.code == 0);
        CHECK(r.out.empty());
        CHECK(r.err == help);
    }
}

TEST_CASE("help needs no hypervisor") {
    const Run r = run_tool({"--socket", "/nonexistent/sock", "help"});
    CHECK(r.code == 0);
    CHECK(r.err == documented_help());
}

TEST_CASE("an unknown command gets Xen's message and exit 1") {
    const Run r = run_tool({"frobnicate"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind(kUnknown, 0) == 0);
    CHECK(r.err.find("xen-livepatch: frobnicate: no command starts with 'frobnicate'") != std::string::npos);
    // A word longer than every command it starts with is no prefix (Xen's strncmp rule).
    CHECK(run_tool({"listing"}).err.rfind("Unrecognised command 'listing'", 0) == 0);
    CHECK(run_tool({"applyx", "a"}).code == 1);
}

TEST_CASE("commands match by prefix in Xen's order") {
    Hypervisor hv;
    CHECK(hv.tool({"l"}).out == "Nothing to list\n");
    CHECK(hv.tool({"li"}).out == "Nothing to list\n");
    CHECK(hv.tool({"list"}).out == "Nothing to list\n");
    const std::string file = payload("extra");
    const Run up = hv.tool({"u", "extra", file});  // u: upload (before unload)
    CHECK(up.code == 0);
    CHECK(up.out == "Uploading " + file + "... completed\n");
    CHECK(hv.tool({"a", "extra"}).out == "Applying extra... completed\n");
    CHECK(hv.tool({"re", "extra"}).out == "Reverting extra... completed\n");  // re: revert
    CHECK(hv.tool({"rep", "extra"}).out == "Replacing all live patches with extra... completed\n");
    CHECK(hv.tool({"s", "extra"}).out.rfind("extra: APPLIED, rc 0 (OK)\n", 0) == 0);  // s: status
    CHECK(hv.tool({"rev", "extra"}).out == "Reverting extra... completed\n");
    CHECK(hv.tool({"un", "extra"}).out == "Unloading extra... completed\n");  // un: unload
    const Run lo = hv.tool({"lo", payload("compute")});  // lo: load
    CHECK(lo.out == "Uploading " + payload("compute") + "... completed\nApplying compute... completed\n");
}

TEST_CASE("wrong argument counts print the help text and exit 1") {
    const std::string help = documented_help();
    struct Case {
        std::vector<std::string> args;
        const char* reason;
    };
    for (const Case& c : {Case{{"upload", "x"}, "upload takes <name> <file> (got 1 argument)"},
                          Case{{"upload", "x", "y", "z"}, "upload takes <name> <file> (got 3 arguments)"},
                          Case{{"list", "extra"}, "list takes no arguments (got 'extra')"},
                          Case{{"apply"}, "apply takes <name>"}, Case{{"revert"}, "revert takes <name>"},
                          Case{{"unload"}, "unload takes <name>"}, Case{{"replace"}, "replace takes <name>"},
                          Case{{"load"}, "load takes <file>"}, Case{{"status"}, "status takes <name>"},
                          Case{{"status", "a", "b"}, "status takes <name>"}, Case{{"info"}, "info takes <file>"},
                          Case{{"check"}, "check takes <file> [--against <image>]"}}) {
        INFO(c.args[0] << " with " << c.args.size() - 1 << " arguments");
        const Run r = run_tool(c.args);
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.rfind(help, 0) == 0);
        CHECK(r.err.substr(help.size()) == "xen-livepatch: " + c.args[0] + ": " + c.reason + "\n");
    }
}

TEST_CASE("flags an action does not take are refused as Xen refuses them") {
    Hypervisor hv;
    const Run bogus = hv.tool({"apply", "x", "--bogus"});
    CHECK(bogus.code == 1);
    CHECK(bogus.err.rfind("Unsupported flag: --bogus.\n", 0) == 0);
    const Run extra_arg = hv.tool({"revert", "x", "y"});
    CHECK(extra_arg.code == 1);
    CHECK(extra_arg.err.rfind("Unsupported flag: y.\n", 0) == 0);
    for (const char* cmd : {"revert", "unload", "replace"}) {
        const Run r = hv.tool({cmd, "x", "--nodeps"});
        CHECK(r.code == 1);
        CHECK(r.err.rfind("Unsupported flag: --nodeps.\n", 0) == 0);
        CHECK(r.err.find("--nodeps applies only to apply and load") != std::string::npos);
    }
    const Run load_extra = hv.tool({"load", payload("extra"), "--bogus"});
    CHECK(load_extra.code == 1);
    CHECK(load_extra.err.rfind("Unsupported flag: --bogus.\n", 0) == 0);
    CHECK(hv.tool({"list"}).out == "Nothing to list\n");  // refused before anything was uploaded
    const Run against = hv.tool({"apply", "x", "--against", "img"});
    CHECK(against.code == 1);
    CHECK(against.err.rfind("Unsupported flag: --against.\n", 0) == 0);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"list", "--nodeps"}, {"status", "x", "--nodeps"}, {"upload", "x", "y", "--nodeps"}}) {
        const Run r = hv.tool(args);
        CHECK(r.code == 1);
        CHECK(r.err.rfind("Unsupported flag: --nodeps.\n", 0) == 0);
        CHECK(r.err.find("--nodeps applies only to apply and load") != std::string::npos);
    }
    CHECK(hv.tool({"help", "--nodeps"}).code == 0);
}

TEST_CASE("bad option values are refused with the reason") {
    struct Case {
        std::vector<std::string> args;
        const char* reason;
    };
    for (const Case& c :
         {Case{{"--backend", "bogus", "list"}, "--backend 'bogus': choose auto, xen or hosted"},
          Case{{"--timeout", "30", "list"}, "--timeout '30' has no unit"},
          Case{{"--timeout", "-5ms", "list"}, "--timeout '-5ms' is not a duration"},
          Case{{"--timeout", "5s", "list"}, "longer than the hypervisor's ABI allows"},
          Case{{"--timeout", "4294967296ns", "list"}, "longer than the hypervisor's ABI allows"},
          Case{{"--wait", "soon", "list"}, "--wait 'soon' has no unit"},
          Case{{"--wait", "1.ms", "list"}, "--wait '1.ms' is not a duration"},
          Case{{"list", "--wait"}, "the required argument for option '--wait' is missing"},
          Case{{"list", "--json=yes"}, "json"}}) {
        INFO(c.args[0] << " " << c.args[1]);
        const Run r = run_tool(c.args);
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.find(c.reason) != std::string::npos);
    }
}

TEST_CASE("--timeout and --wait accept every documented unit") {
    Hypervisor hv;
    for (const char* d : {"0", "30000000ns", "30000us", "30ms", "0.03s", "1.5ms", "4294967295ns", "4.294967295s"}) {
        INFO(d);
        const Run r = hv.tool({"--timeout", d, "--wait", d, "list"});
        CHECK(r.code == 0);
        CHECK(r.out == "Nothing to list\n");
    }
}

TEST_CASE("a name of 128 characters or more is refused by the tool; 127 is accepted") {
    const std::string n128(128, 'n'), n200(200, 'n'), n127(127, 'n');
    // Refused before the hypervisor is asked: no socket is needed.
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"upload", n128, payload("extra")},
                                               {"apply", n128},
                                               {"revert", n200},
                                               {"unload", n128},
                                               {"replace", n128},
                                               {"status", n128}}) {
        INFO(args[0]);
        const Run r = run_tool(args);
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.rfind("ID must be no more than 127 characters.\n", 0) == 0);
        CHECK(r.err.find("characters long; Xen's ABI holds at most 127 (128 bytes with the terminating NUL)") !=
              std::string::npos);
    }
    Hypervisor hv;
    const Run ok = hv.tool({"upload", n127, payload("extra")});
    CHECK(ok.code == 0);
    CHECK(hv.tool({"apply", n127}).out == "Applying " + n127 + "... completed\n");
    const std::string list = hv.tool({"list"}).out;
    CHECK(list.find(n127 + "| APPLIED    | version=1;author=test\n") != std::string::npos);  // wider than 40: no pad
}

TEST_CASE("info and check reach the offline commands with their file, --against and --json") {
    // Their output is theirs (xl-tool/offline/); here only the hand-over is checked.
    const std::string hosted = getenv("LP_HOSTED_BIN");
    const Run info = run_tool({"i", payload("extra")});
    CHECK(info.code == 0);
    CHECK(info.out.find("xen_extra_version") != std::string::npos);
    const Run info_json = run_tool({"--json", "info", payload("extra")});
    CHECK(info_json.code == 0);
    CHECK(info_json.json().is_object());
    const Run check = run_tool({"check", payload("extra"), "--against", hosted});
    CHECK(check.code == 0);
    const Run check_json = run_tool({"--json", "c", payload("extra"), "--against", hosted});
    CHECK(check_json.code == 0);
    CHECK(check_json.json().is_object());
    CHECK(run_tool({"info", hosted + ".missing"}).code != 0);
}

TEST_CASE("a flag given twice counts once, as Xen's get_flags takes it") {
    Hypervisor hv;
    const Run r = hv.tool({"apply", "x", "--nodeps", "--nodeps"});
    CHECK(r.code == 1);
    CHECK(r.err.rfind("Failed to get status of x.\n", 0) == 0);  // the flags passed; the payload is missing
    const Run j = hv.tool({"--json", "list", "--json"});
    CHECK(j.code == 0);
    CHECK(j.json()["command"] == "list");
}

TEST_CASE("an option that cannot be parsed is reported for its command, never an empty one") {
    struct Case {
        std::vector<std::string> args;
        const char* report;
    };
    for (const Case& c : {Case{{"apply", "x", "--timeout"}, "xen-livepatch: apply: the required argument"},
                          Case{{"--timeout", "5", "re", "x"}, "xen-livepatch: revert: --timeout '5' has no unit"},
                          Case{{"--socket", "s", "--", "list", "--wait"}, "xen-livepatch: list: "},
                          Case{{"--wait"}, "xen-livepatch: the required argument for option '--wait'"}}) {
        INFO(c.args[0]);
        const Run r = run_tool(c.args);
        CHECK(r.code == 1);
        CHECK(r.err.find(c.report) != std::string::npos);
        CHECK(r.err.find("xen-livepatch: : ") == std::string::npos);
    }
    const Json j = run_tool({"--json", "status", "--wait"}).json();
    CHECK(j["command"] == "status");
}

TEST_CASE("an unknown option in the command's place is named as an option") {
    const Run r = run_tool({"--jsn", "list"});
    CHECK(r.code == 1);
    CHECK(r.err.rfind("Unrecognised command '--jsn' -- try 'xen-livepatch help'\n", 0) == 0);  // Xen's line
    CHECK(r.err.find("xen-livepatch: --jsn: '--jsn' is not an option of this tool") != std::string::npos);
}

TEST_CASE("an empty name is refused") {
    const Run r = run_tool({"apply", ""});
    CHECK(r.code == 1);
    CHECK(r.err.find("a payload name cannot be empty") != std::string::npos);
}

TEST_CASE("-- ends the options") {
    Hypervisor hv;
    const Run r = hv.tool({"status", "--", "--json"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("Failed to get status of --json.\nError 2: No such file or directory\n", 0) == 0);
}

}  // TEST_SUITE
