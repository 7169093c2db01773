// livepatch-build's command line: help, missing arguments, bad files.
#include <doctest/doctest.h>
#include <fstream>

#include "builder/builder_harness.h"

using namespace buildertest;

TEST_CASE("--help prints the usage and every option") {
    const Run r = run_builder({"--help"});
    CHECK(r.code == 0);
    for (const char* opt : {"--target", "-o", "--depends", "--expect", "--flavor", "-I", "-D", "--keep-temps", "-v"}) {
        CAPTURE(opt);
        CHECK(r.out.find(opt) != std::string::npos);
    }
}

TEST_CASE("usage errors exit 1 with a message") {
    Scratch dir;
    const std::string out = dir.file("p.livepatch");
    struct Case {
        std::vector<std::string> args;
        std::string message;
    } cases[] = {
        {{"-o", out, source("xen_nop.c")}, "--target IMAGE is required"},
        {{"--target", xen_plain(), source("xen_nop.c")}, "-o OUT.livepatch is required"},
        {{"--target", xen_plain(), "-o", out}, "no SOURCE given"},
        {{"--target", xen_plain(), "-o", out, "--flavor", "kvm", source("xen_nop.c")}, "--flavor 'kvm'"},
        {{"--target", xen_plain(), "-o", out, "--bogus", source("xen_nop.c")}, "unrecognised option '--bogus'"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.message);
        const Run r = run_builder(c.args);
        CHECK(r.code == 1);
        CHECK(r.err.find(c.message) != std::string::npos);
        CHECK_FALSE(file_exists(out));
    }
}

TEST_CASE("bad inputs: not an image, not a source, two sources with one file name") {
    Scratch dir;
    const std::string out = dir.file("p.livepatch");
    std::ofstream(dir.file("image")) << "not an ELF file";
    Run r = run_builder({"--target", dir.file("image"), "-o", out, source("xen_nop.c")});
    CHECK(r.code == 1);
    CHECK(r.err.find(dir.file("image") + ": not an ELF file") != std::string::npos);

    r = run_builder({"--target", xen_plain(), "-o", out, dir.file("nope.c")});
    CHECK(r.code == 1);
    CHECK(r.err.find(dir.file("nope.c") + ": no such source file") != std::string::npos);

    r = run_builder({"--target", xen_plain(), "-o", out, dir.file("image")});
    CHECK(r.code == 1);
    CHECK(r.err.find("not a C (.c) or C++ (.cc, .cpp, .cxx) source") != std::string::npos);

    r = run_builder({"--target", xen_plain(), "-o", out, source("sched.c"), source("sched.c")});
    CHECK(r.code == 1);
    CHECK(r.err.find("has the same file name as") != std::string::npos);

    r = run_builder({"--target", xen_plain(), "-o", dir.file("no/such/dir/p.livepatch"), source("xen_action_hooks.c")});
    CHECK(r.code == 1);
    CHECK(r.err.find("cannot create a directory in " + dir.file("no/such/dir")) != std::string::npos);
    CHECK_FALSE(file_exists(out));
}
