// livepatch-build against the hosted hypervisor binary: C and C++ sources, --depends, the files
// it leaves.
#include <doctest/doctest.h>
#include <filesystem>

#include "../../xl-tool/offline/check_runner.h"
#include "../../xl-tool/offline/hypervisor_image.h"
#include "../../xl-tool/offline/payload_info.h"
#include "builder/builder_harness.h"
#include "builder/elf_probe.h"

using namespace buildertest;
namespace offline = livepatch::tool::offline;

TEST_CASE("a payload for the hosted hypervisor from a C and a C++ source") {
    Scratch dir;
    const std::string out = dir.file("hosted.livepatch");
    const Run r = run_builder({"--target", hosted(), "-o", out, "--expect", source("hosted_compute.c"),
                               source("hosted_version.cc")});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("flavour hosted") != std::string::npos);

    const offline::PayloadInfo info = read_info(out);
    REQUIRE(info.funcs.size() == 2);
    for (const offline::FuncInfo& f : info.funcs) {
        CAPTURE(f.old_name);
        const auto fn = image_function(hosted(), f.old_name);
        REQUIRE(fn.has_value());
        CHECK(f.old_size == fn->size);
        CHECK(f.new_function == f.old_name);  // same name as the function it replaces
        REQUIRE(f.expect_enabled());
        CHECK(hex(std::vector<uint8_t>(f.expect_data.begin(), f.expect_data.begin() + f.expect_len())) ==
              hex(std::vector<uint8_t>(fn->first_bytes.begin(), fn->first_bytes.begin() + f.expect_len())));
    }
    const std::string image_id = build_id_hex(hosted());
    CHECK(build_id_hex(out, ".livepatch.depends") == image_id);
    CHECK(build_id_hex(out, ".livepatch.xen_depends") == image_id);

    // The engine accepts it: `xen-livepatch check --against` semantics.
    auto img = offline::HypervisorImage::load(hosted());
    const offline::CheckReport report = offline::run_checks(out, *img);
    CHECK(report.ok());
    for (const offline::CheckItem& c : report.checks) {
        CAPTURE(c.name);
        CAPTURE(c.detail);
        CHECK(c.status != offline::CheckStatus::failed);
    }
    // The C++ source's statics are named after it (mangled names kept).
    bool cxx_static = false;
    for (const std::string& s : defined_symbols(out))
        cxx_static = cxx_static || s.rfind("hosted_version.cc#", 0) == 0;
    CHECK(cxx_static);
}

TEST_CASE("--depends: the notes name the payload stacked on, whose symbols can be used") {
    Scratch dir;
    const std::string base = dir.file("base.livepatch"), top = dir.file("top.livepatch");
    REQUIRE(run_builder({"--target", hosted(), "-o", base, source("hosted_compute.c")}).code == 0);
    const Run r = run_builder({"--target", hosted(), "-o", top, "--depends", base, source("hosted_stacked.c")});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(build_id_hex(top, ".livepatch.depends") == build_id_hex(base));
    CHECK(build_id_hex(top, ".livepatch.xen_depends") == build_id_hex(hosted()));
    CHECK(undefined_symbols(top).count("compute_calls"));
    CHECK(r.out.find("(" + base + ")") != std::string::npos);

    // --expect cannot hold for a function the payload below patches too: its bytes are that
    // payload's jump at APPLY.
    const Run ex = run_builder({"--target", hosted(), "-o", dir.file("ex.livepatch"), "--depends", base, "--expect",
                                source("hosted_stacked.c")});
    CHECK(ex.code == 1);
    CHECK(ex.err.find("LIVEPATCH_REPLACE(do_compute): --expect: " + base + " patches do_compute too") !=
          std::string::npos);
    CHECK_FALSE(file_exists(dir.file("ex.livepatch")));

    // Without --depends, compute_calls is nowhere to be found.
    const Run alone = run_builder({"--target", hosted(), "-o", dir.file("alone.livepatch"), source("hosted_stacked.c")});
    CHECK(alone.code == 1);
    CHECK(alone.err.find("undefined symbol compute_calls: not in " + hosted()) != std::string::npos);
    CHECK(alone.err.find("--depends") != std::string::npos);
    CHECK_FALSE(file_exists(dir.file("alone.livepatch")));
}

TEST_CASE("--depends refuses a payload built for another hypervisor") {
    Scratch dir;
    const std::string base = dir.file("base.livepatch");
    REQUIRE(run_builder({"--target", xen_plain(), "-o", base, source("xen_action_hooks.c")}).code == 0);
    const Run r = run_builder({"--target", hosted(), "-o", dir.file("top.livepatch"), "--depends", base,
                               source("hosted_stacked.c")});
    CHECK(r.code == 1);
    CHECK(r.err.find("was built for another hypervisor") != std::string::npos);
    CHECK_FALSE(file_exists(dir.file("top.livepatch")));
}

TEST_CASE("--keep-temps keeps the work directory") {
    Scratch dir;
    const Run r = run_builder({"--target", hosted(), "-o", dir.file("p.livepatch"), "--keep-temps",
                               source("hosted_compute.c")});
    REQUIRE(r.code == 0);
    const std::string marker = "work directory kept: ";
    const size_t at = r.out.find(marker);
    REQUIRE(at != std::string::npos);
    const std::string work = r.out.substr(at + marker.size(), r.out.find('\n', at) - at - marker.size());
    CHECK(file_exists(work + "/payload.o"));
    CHECK(file_exists(work + "/0-hosted_compute.c.o"));
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
}
