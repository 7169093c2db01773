// livepatch-build against the xen-syms-like images (with and without IBT): what it writes.
#include <elf.h>

#include <doctest/doctest.h>

#include "../../payloads/builder/insn_bounds.h"
#include "../../xl-tool/offline/check_runner.h"
#include "../../xl-tool/offline/hypervisor_image.h"
#include "../../xl-tool/offline/payload_info.h"
#include "builder/builder_harness.h"
#include "builder/elf_probe.h"

using namespace buildertest;
namespace offline = livepatch::tool::offline;

namespace {

const offline::FuncInfo* record_named(const offline::PayloadInfo& info, const std::string& name) {
    for (const offline::FuncInfo& f : info.funcs)
        if (f.old_name == name)
            return &f;
    return nullptr;
}

// The engine's own checks (`xen-livepatch check --against`): every failed check, as text.
std::string engine_failures(const std::string& payload, const std::string& image) {
    auto img = offline::HypervisorImage::load(image);
    const offline::CheckReport r = offline::run_checks(payload, *img);
    std::string failed;
    for (const offline::CheckItem& c : r.checks)
        if (c.status == offline::CheckStatus::failed)
            failed += c.name + ": " + c.detail + "\n";
    return failed;
}

bool starts_with_endbr(const std::vector<uint8_t>& b) {
    return b.size() >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa;
}

}  // namespace

TEST_CASE("a payload for xen-syms: records, names, sizes, expectations, notes, statics, hooks") {
    for (const bool ibt : {true, false}) {
        CAPTURE(ibt);
        const std::string image = ibt ? xen_ibt() : xen_plain();
        Scratch dir;
        const std::string out = dir.file("xen_replace.livepatch");
        const Run r = run_builder({"--target", image, "-o", out, "--expect", source("xen_replace.c")});
        INFO(r.err);
        REQUIRE(r.code == 0);
        CHECK(r.out.find("flavour xen, IBT " + std::string(ibt ? "yes" : "no")) != std::string::npos);
        CHECK(r.err.empty());
        CHECK(dir.entries() == std::vector<std::string>{"xen_replace.livepatch"});  // no staging left
        CHECK(engine_failures(out, image).empty());

        const offline::PayloadInfo info = read_info(out);
        REQUIRE(info.funcs.size() == 2);
        // do_compute, a global; pick_next, chosen among two statics with LIVEPATCH_REPLACE_IN.
        for (const std::string target : {"do_compute", "common/sched.c#pick_next"}) {
            CAPTURE(target);
            const offline::FuncInfo* f = record_named(info, target);
            REQUIRE(f != nullptr);
            const auto fn = image_function(image, target);
            REQUIRE(fn.has_value());
            CHECK(f->old_size == fn->size);
            CHECK(f->version == 2);
            CHECK(f->old_addr.null());
            CHECK_FALSE(f->nop());
            CHECK(f->new_size > 0);
            // The expectation: the bytes the jump overwrites, counted from the function's start
            // (ENDBR64 included): 9 after ENDBR64, else 5.
            const unsigned len = starts_with_endbr(fn->first_bytes) ? 9 : 5;
            CHECK(starts_with_endbr(fn->first_bytes) == ibt);
            CHECK(f->expect_enabled());
            CHECK(f->expect_len() == len);
            CHECK(hex(std::vector<uint8_t>(f->expect_data.begin(), f->expect_data.begin() + len)) ==
                  hex(std::vector<uint8_t>(fn->first_bytes.begin(), fn->first_bytes.begin() + len)));
            CHECK((f->expect_flags >> 6) == 0);
        }
        CHECK(record_named(info, "do_compute")->new_function == "do_compute");
        CHECK(record_named(info, "common/sched.c#pick_next")->new_function == "xen_replace.c#pick_next");

        // Build-ids: both depends notes are the image's; the payload's own is its own.
        const std::string image_id = build_id_hex(image);
        REQUIRE(image_id.size() == 40);
        CHECK(build_id_hex(out, ".livepatch.depends") == image_id);
        CHECK(build_id_hex(out, ".livepatch.xen_depends") == image_id);
        CHECK(build_id_hex(out).size() == 40);
        CHECK(build_id_hex(out) != image_id);
        for (const char* note : {".livepatch.depends", ".livepatch.xen_depends", ".note.gnu.build-id"}) {
            CAPTURE(note);
            CHECK(section_flags(out, note) == SHF_ALLOC);
            CHECK(section_type(out, note) == SHT_NOTE);
        }
        // .livepatch.funcs stays writable; hook tables are read-only.
        CHECK(section_flags(out, ".livepatch.funcs") == (SHF_ALLOC | SHF_WRITE));
        CHECK((*section_flags(out, ".livepatch.hooks.load") & SHF_WRITE) == 0);

        // Statics: the payload's are named "<file>#<name>"; the hypervisor's unique static is
        // reached by its full name; no bookkeeping symbol is left.
        const std::set<std::string> defined = defined_symbols(out);
        CHECK(defined.count("xen_replace.c#fix_calls"));
        CHECK(defined.count("xen_replace.c#fix_scale"));
        CHECK(defined.count("xen_replace.c#on_load"));
        CHECK_FALSE(defined.count("fix_calls"));
        for (const std::string& s : defined)
            CHECK(s.find("__livepatch_") == std::string::npos);
        const std::set<std::string> undefined = undefined_symbols(out);
        CHECK(undefined == std::set<std::string>{"common/sched.c#do_schedule", "printk", "xen_data_object"});

        // Hooks: one of each kind used.
        std::map<std::string, uint64_t> hooks;
        for (const offline::HookInfo& h : info.hooks)
            hooks[h.kind] = h.count;
        CHECK(hooks == std::map<std::string, uint64_t>{
                           {"load", 1}, {"unload", 1}, {"preapply", 1}, {"postapply", 1}, {"prerevert", 1},
                           {"postrevert", 1}});
        // Only the relocations Xen accepts.
        for (const auto& [type, n] : info.relocations) {
            CAPTURE(type);
            CHECK((type == "R_X86_64_64" || type == "R_X86_64_PC32" || type == "R_X86_64_PLT32" ||
                   type == "R_X86_64_NONE"));
        }
    }
}

TEST_CASE("without --expect no record carries an expectation; the summary names each target") {
    Scratch dir;
    const std::string out = dir.file("p.livepatch");
    const Run r = run_builder({"--target", xen_ibt(), "-o", out, source("xen_replace.c")});
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (const offline::FuncInfo& f : read_info(out).funcs) {
        CHECK_FALSE(f.expect_enabled());
        CHECK(f.expect_flags == 0);
    }
    const auto fn = image_function(xen_ibt(), "do_compute");
    CHECK(r.out.find("replace  do_compute: old_size " + std::to_string(fn->size)) != std::string::npos);
    CHECK(r.out.find("jump after ENDBR64") != std::string::npos);
    CHECK(r.out.find("uses     " + source("xen_replace.c") + ": do_schedule -> common/sched.c#do_schedule") !=
          std::string::npos);
}

TEST_CASE("NOP patches: the length ends on an instruction and counts ENDBR64") {
    for (const bool ibt : {true, false}) {
        CAPTURE(ibt);
        const std::string image = ibt ? xen_ibt() : xen_plain();
        const auto fn = image_function(image, "do_compute");
        REQUIRE(fn.has_value());
        // The first instruction end past ENDBR64 (if any): a valid NOP length.
        const std::vector<uint32_t> ends = livepatch::build::instruction_ends(fn->first_bytes, 31);
        uint32_t len = 0;
        for (uint32_t e : ends)
            if (!len && e > (starts_with_endbr(fn->first_bytes) ? 4u : 0u))
                len = e;
        REQUIRE(len > 0);
        Scratch dir;
        const std::string out = dir.file("nop.livepatch");
        const Run r = run_builder({"--target", image, "-o", out, "--expect", "-D", "NOP_LEN=" + std::to_string(len),
                                   source("xen_nop.c")});
        INFO(r.err);
        REQUIRE(r.code == 0);
        const offline::PayloadInfo info = read_info(out);
        REQUIRE(info.funcs.size() == 1);
        const offline::FuncInfo& f = info.funcs[0];
        CHECK(f.nop());
        CHECK(f.new_size == len);
        CHECK(f.old_size == fn->size);
        CHECK(f.expect_len() == len);
        CHECK(engine_failures(out, image).empty());
    }
}

TEST_CASE("action hooks, and an ambiguous static chosen with LIVEPATCH_STATIC_SYMBOL") {
    Scratch dir;
    const Run a = run_builder({"--target", xen_plain(), "-o", dir.file("a.livepatch"), source("xen_action_hooks.c")});
    INFO(a.err);
    REQUIRE(a.code == 0);
    std::map<std::string, uint64_t> hooks;
    for (const offline::HookInfo& h : read_info(dir.file("a.livepatch")).hooks)
        hooks[h.kind] = h.count;
    CHECK(hooks == std::map<std::string, uint64_t>{{"apply", 1}, {"revert", 1}});
    // Only .livepatch.funcs is writable: hook tables and the constant table are read-only.
    CHECK(a.out.find("safe to re-apply after a revert: yes") != std::string::npos);
    CHECK(read_info(dir.file("a.livepatch")).safe_to_reapply);

    const Run c = run_builder({"--target", xen_plain(), "-o", dir.file("c.livepatch"), source("chosen_static.c")});
    INFO(c.err);
    REQUIRE(c.code == 0);
    CHECK(undefined_symbols(dir.file("c.livepatch")).count("common/timer.c#pick_next"));
}

TEST_CASE("--flavor overrides the flavour detected from the image") {
    Scratch dir;
    const Run r = run_builder({"--target", xen_plain(), "--flavor", "hosted", "-o", dir.file("p.livepatch"),
                               source("xen_action_hooks.c")});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("flavour hosted") != std::string::npos);
}
