// livepatch-build against the AArch64 hosted hypervisor (LP_A64_HOSTED_BIN, built by
// tests/arm64/arm64.mk): the cross toolchain, the records completed from an AArch64 image, the
// AArch64 NOP rule, and the engine check's stated scope. Run by `make test-arm64`; skipped (with a
// message) when LP_A64_HOSTED_BIN is not set.
#include <doctest/doctest.h>
#include <elf.h>
#include <stdlib.h>

#include "../../xl-tool/offline/payload_info.h"
#include "builder/builder_harness.h"
#include "builder/elf_probe.h"

using namespace buildertest;
namespace offline = livepatch::tool::offline;

namespace {

// The AArch64 image, or "" when this run has none.
std::string a64_image() {
    const char* p = getenv("LP_A64_HOSTED_BIN");
    if (!p || !*p)
        MESSAGE("LP_A64_HOSTED_BIN is not set: the AArch64 builder tests are skipped (make test-arm64 runs them)");
    return p ? p : "";
}

}  // namespace

TEST_SUITE("aarch64") {

TEST_CASE("an AArch64 payload: cross-compiled, records and expectations from the AArch64 image") {
    const std::string image = a64_image();
    if (image.empty())
        return;
    Scratch dir;
    const std::string out = dir.file("a64.livepatch");
    const Run r = run_builder({"--target", image, "-o", out, "--expect", source("hosted_compute.c")});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("(flavour hosted, AArch64)") != std::string::npos);
    CHECK(r.out.find("  engine   checked here:") != std::string::npos);

    std::string error;
    const std::optional<offline::PayloadInfo> info = offline::read_payload_info(out, &error);
    REQUIRE_MESSAGE(info.has_value(), error);
    CHECK(info->machine == EM_AARCH64);
    REQUIRE(info->funcs.size() == 1);
    const offline::FuncInfo& f = info->funcs[0];
    CHECK(f.old_name == "do_compute");
    const auto fn = image_function(image, "do_compute");
    REQUIRE(fn.has_value());
    CHECK(f.old_size == fn->size);
    CHECK(f.new_function == "do_compute");
    REQUIRE(f.expect_enabled());
    CHECK(f.expect_len() == 4);  // the B overwrites one instruction
    CHECK(hex(std::vector<uint8_t>(f.expect_data.begin(), f.expect_data.begin() + 4)) ==
          hex(std::vector<uint8_t>(fn->first_bytes.begin(), fn->first_bytes.begin() + 4)));
    CHECK(build_id_hex(out, ".livepatch.xen_depends") == build_id_hex(image));
    // Only relocations the engine's arm64 backend applies; no GOT, no x86 types.
    for (const auto& [name, count] : info->relocations) {
        CAPTURE(name);
        CHECK(name.rfind("R_AARCH64_", 0) == 0);
        CHECK(name.find("GOT") == std::string::npos);
    }
    // Mapping symbols keep their names (the loader leaves "$x"/"$d" out by name).
    for (const std::string& s : defined_symbols(out))
        CHECK(s.find("#$") == std::string::npos);
}

TEST_CASE("AArch64: a NOP patch that is not whole instructions is refused, and no file is left") {
    const std::string image = a64_image();
    if (image.empty())
        return;
    Scratch dir;
    const std::string out = dir.file("nop.livepatch");
    const Run r = run_builder({"--target", image, "-o", out, source("a64_nop_bad.c")});
    CHECK(r.code == 1);
    CHECK(r.err.find("LIVEPATCH_NOP(do_trace_event, 6): an AArch64 NOP patch covers whole 4-byte instructions") !=
          std::string::npos);
    CHECK_FALSE(file_exists(out));
    CHECK(dir.entries().empty());
}

}  // TEST_SUITE
