// livepatch-build refuses sources that cannot be patched safely, with a message naming the
// source, the symbol or function and the rule, and leaves no output file behind.
#include <doctest/doctest.h>
#include <fstream>

#include "builder/builder_harness.h"
#include "builder/elf_probe.h"

using namespace buildertest;

namespace {

// Builds `src` against `image` (with `extra` arguments) and checks the refusal: exit 1, every
// string of `expected` on stderr, no output, nothing else left in the output directory. A stale
// file at the output path is removed too.
void expect_refused(const std::string& image, const std::string& src, const std::vector<std::string>& expected,
                    const std::vector<std::string>& extra = {}) {
    CAPTURE(src);
    Scratch dir;
    const std::string out = dir.file("out.livepatch");
    std::ofstream(out) << "stale payload";
    std::vector<std::string> args = {"--target", image, "-o", out};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(source(src));
    const Run r = run_builder(args);
    INFO(r.err);
    CHECK(r.code == 1);
    for (const std::string& e : expected) {
        CAPTURE(e);
        CHECK(r.err.find(e) != std::string::npos);
    }
    CHECK(r.err.find("livepatch-build: no payload written") != std::string::npos);
    CHECK(r.out.empty());
    CHECK_FALSE(file_exists(out));
    CHECK(dir.entries().empty());
}

std::string size_of(const std::string& image, const std::string& fn) {
    const auto f = image_function(image, fn);
    REQUIRE(f.has_value());
    return std::to_string(f->size);
}

}  // namespace

TEST_CASE("a target function too small for the jump: 5 bytes, or 9 after ENDBR64") {
    expect_refused(xen_plain(), "too_small.c",
                   {source("too_small.c") + ": LIVEPATCH_REPLACE(xen_tiny): xen_tiny is " +
                        size_of(xen_plain(), "xen_tiny") + " bytes, too small for the jump",
                    "at least 5 bytes"});
    const std::string ibt_size = size_of(xen_ibt(), "xen_tiny");
    CHECK(std::stoul(ibt_size) >= 5);  // big enough for a plain jump: ENDBR64 is what forbids it
    expect_refused(xen_ibt(), "too_small.c",
                   {"LIVEPATCH_REPLACE(xen_tiny): xen_tiny is " + ibt_size + " bytes, too small for the jump",
                    "at least 9 bytes (5 for the jump after its 4-byte ENDBR64)"});
}

TEST_CASE("a changed data object: global, and a static of the same source file") {
    expect_refused(xen_ibt(), "changed_data.c",
                   {source("changed_data.c") + ": defines data object xen_data_object, and " + xen_ibt() +
                        " has the data object xen_data_object",
                    "a live patch cannot change an existing data object in place", "`extern`"});
    expect_refused(xen_plain(), "sched.c",
                   {source("sched.c") + ": defines static data object sched_counter, and " + xen_plain() +
                        " has the data object common/sched.c#sched_counter",
                    "cannot change an existing data object in place"});
}

TEST_CASE("a missing target, and a replacement that is not defined") {
    expect_refused(xen_ibt(), "missing_target.c",
                   {source("missing_target.c") + ": LIVEPATCH_REPLACE(no_such_function): no function "
                                                 "no_such_function in " + xen_ibt()});
    expect_refused(xen_ibt(), "not_defined.c",
                   {"LIVEPATCH_REPLACE(schedule): schedule is not defined in the payload's sources"});
}

TEST_CASE("an ambiguous static: referenced, or replaced") {
    expect_refused(xen_plain(), "ambiguous_static.c",
                   {source("ambiguous_static.c") + ": undefined symbol pick_next is ambiguous",
                    "common/sched.c#pick_next, common/timer.c#pick_next", "LIVEPATCH_STATIC_SYMBOL(\"common/sched.c\", pick_next)"});
    expect_refused(xen_plain(), "ambiguous_replace.c",
                   {"LIVEPATCH_REPLACE(pick_next): ambiguous", "common/sched.c#pick_next, common/timer.c#pick_next",
                    "LIVEPATCH_REPLACE_IN(\"common/sched.c\", pick_next)"});
}

TEST_CASE("an undefined symbol") {
    expect_refused(xen_ibt(), "undefined_symbol.c",
                   {source("undefined_symbol.c") + ": undefined symbol not_in_the_hypervisor: not in " + xen_ibt()});
    expect_refused(hosted(), "undefined_symbol.c",
                   {"undefined symbol not_in_the_hypervisor: not in " + hosted()});
}

TEST_CASE("relocations Xen refuses: absolute 32-bit, and through the GOT") {
    expect_refused(xen_ibt(), "abs32.c",
                   {source("abs32.c") + ": section .rodata.abs32: relocation R_X86_64_32 against xen_data_object",
                    "Xen accepts only R_X86_64_NONE, R_X86_64_64, R_X86_64_PC32 and R_X86_64_PLT32"});
    expect_refused(xen_ibt(), "got.c",
                   {source("got.c") + ": function schedule: relocation R_X86_64_REX_GOTPCRELX against xen_data_object",
                    "reached through a GOT"});
}

TEST_CASE("a payload function taking a hypervisor function's name without replacing it") {
    expect_refused(xen_plain(), "clash.c",
                   {source("clash.c") + ": defines function schedule, which " + xen_plain() + " already has"});
}

TEST_CASE("NOP patches that cannot be applied") {
    const std::string ends_inside = "the NOPs would end inside an instruction of do_compute";
    expect_refused(xen_ibt(), "nop_bad.c", {"LIVEPATCH_NOP(do_compute, 6): " + ends_inside}, {"-D", "NOP_LEN=6"});
    expect_refused(xen_ibt(), "nop_bad.c", {"LIVEPATCH_NOP(do_compute, 32): a NOP patch covers 1 to 31 bytes"},
                   {"-D", "NOP_LEN=32"});
    expect_refused(xen_ibt(), "nop_bad.c", {"do_compute starts with ENDBR64, which is kept"}, {"-D", "NOP_LEN=4"});
    expect_refused(xen_plain(), "twice.c", {"do_compute is already patched by LIVEPATCH_", "LIVEPATCH_NOP(do_compute, 5)",
                                            "LIVEPATCH_REPLACE(do_compute)", "a payload patches a function once"});
}

TEST_CASE("hooks and payloads Xen refuses") {
    expect_refused(xen_plain(), "two_preapply.c",
                   {"LIVEPATCH_PREAPPLY_HOOK is used 2 times: Xen allows one preapply hook per payload"});
    expect_refused(xen_plain(), "nothing.c", {"nothing to patch"});
}

TEST_CASE("a source that does not compile") {
    expect_refused(xen_plain(), "broken.c", {source("broken.c") + ": does not compile", "error:"});
}
