// Corruptors of the livepatch contents of the valid payload: required build-id notes, patching
// sections, .livepatch.funcs records, build-id dependencies, new symbols, hooks, special sections
// and the payload size. Each names Xen 4.17's errno (livepatch.c prepare_payload and friends,
// arch/x86/livepatch.c) or, where the loader deliberately checks more than Xen, the loader's.
// loader_malformed_test.cc runs them.
#include <doctest/doctest.h>
#include <elf.h>

#include <vector>

#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "support/elf_builder.h"
#include "support/test_port.h"

namespace livepatch::test {

namespace {

using Naming = MalformedCase::Naming;
using Func = ElfBuilder::Func;

const char* const kFuncs = ".livepatch.funcs";
const char* const kDepends = ".livepatch.depends";
const char* const kXenDepends = ".livepatch.xen_depends";
const char* const kBuildId = ".note.gnu.build-id";

uint64_t xen_extra_version() {
    return hv().text_addr() + TestHypervisor::kExtraVersionOff;
}

MalformedCase with_builder(MalformedCase c, std::function<void(ElfBuilder&)> f) {
    c.edit_builder = std::move(f);
    return c;
}

MalformedCase with_image(MalformedCase c, std::function<void(ElfImage&)> f) {
    c.edit_image = std::move(f);
    return c;
}

// The standard payload, with `funcs` as its records; the error names function `name`.
MalformedCase funcs_case(const char* id, Errc code, const std::string& name, std::vector<Func> funcs) {
    MalformedCase c = expect_case(id, code, Subject::function, Naming::by_name, name);
    c.make_builder = [funcs] { return payload_builder(funcs); };
    return c;
}

// One record replacing hypervisor function `name` (old_size bytes) with the payload's function.
Func replace(const std::string& name, uint32_t old_size) {
    return {.name = name, .new_symbol = "xen_extra_version", .new_size = 16, .old_size = old_size};
}

// Loads `b` into `list` as payload `name`; fails the test when it does not load.
void preload(PayloadList& list, const char* name, const ElfBuilder& b) {
    Result<Owned<Payload>> r = load_payload(name, b.build().span(), list);
    REQUIRE(r.ok());
    list.add(std::move(r).value());
}

// One x86 struct alt_instr (14 bytes: s32 orig_offset, s32 repl_offset, u16 cpuid, u8 orig_len,
// u8 repl_len, u8 pad_len, u8 priv) in .altinstructions, whose original code and replacement are
// relocated (PC32) against the STT_SECTION symbols of `orig` and `repl` plus the addends.
struct Alt {
    uint32_t orig;
    int64_t orig_addend;
    uint32_t repl;
    int64_t repl_addend;
    uint8_t orig_len, repl_len, pad_len;
};
void add_alternative(ElfBuilder& b, const Alt& a) {
    std::vector<uint8_t> entry(14, 0);
    entry[10] = a.orig_len;
    entry[11] = a.repl_len;
    entry[12] = a.pad_len;
    auto alt = b.add_section(".altinstructions", SHT_PROGBITS, SHF_ALLOC, 1).data(entry);
    b.add_rela(alt, 0, b.section_symbol(a.orig), R_X86_64_PC32, a.orig_addend);
    b.add_rela(alt, 4, b.section_symbol(a.repl), R_X86_64_PC32, a.repl_addend);
}

// Adds .text (16 NOPs) and .altinstr_replacement (5 NOPs); returns .text.
uint32_t add_alt_sections(ElfBuilder& b, bool with_replacement) {
    auto text =
        b.add_section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16).data(std::vector<uint8_t>(16, 0x90));
    if (with_replacement)
        b.add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 1)
            .data(std::vector<uint8_t>(5, 0x90));
    return text;
}

void add_note_cases(std::vector<MalformedCase>& v) {
    struct Note {
        const char* section;
        const char* missing;
        const char* empty;
    };
    for (const Note& n : {Note{kDepends, "note-depends-missing", "note-depends-empty"},
                          Note{kXenDepends, "note-xen-depends-missing", "note-xen-depends-empty"},
                          Note{kBuildId, "note-build-id-missing", "note-build-id-empty"}}) {
        const std::string s = n.section;
        v.push_back(with_builder(expect_case(n.missing, Errc::kEINVAL, Subject::section, Naming::by_name, s),
                                 [s](ElfBuilder& b) { b.section(s).rename(s + "x"); }));
        v.push_back(with_builder(expect_case(n.empty, Errc::kEINVAL, Subject::section, Naming::by_name, s),
                                 [s](ElfBuilder& b) { b.section(s).data(std::vector<uint8_t>{}); }));
    }
    // Note header fields: n_namesz @0, n_descsz @4, n_type @8, name @12, desc @16.
    struct Field {
        const char* id;
        const char* section;
        uint64_t off;
        uint32_t value;
    };
    for (const Field& f :
         {Field{"note-build-id-type-1", kBuildId, 8, 1}, Field{"note-xen-depends-type-4", kXenDepends, 8, 4},
          Field{"note-depends-name-gnx", kDepends, 12, 0x00584e47 /* "GNX" */},
          Field{"note-depends-namesz-2", kDepends, 0, 2}, Field{"note-build-id-namesz-huge", kBuildId, 0, 0xffffffffu},
          Field{"note-build-id-descsz-past-end", kBuildId, 4, 40},
          Field{"note-xen-depends-descsz-0", kXenDepends, 4, 0}}) {
        const std::string s = f.section;
        v.push_back(with_image(expect_case(f.id, Errc::kEINVAL, Subject::section, Naming::by_name, s),
                               [s, f](ElfImage& img) { img.poke_value(img.section_index(s), f.off, f.value); }));
    }
    v.push_back(with_image(
        expect_case("note-build-id-header-only", Errc::kEINVAL, Subject::section, Naming::by_name, kBuildId),
        [](ElfImage& img) {
            img.edit_shdr(img.section_index(kBuildId), [](Elf64_Shdr& s) { s.sh_size = sizeof(Elf64_Nhdr); });
        }));
    // Beyond Xen (which would read the note at a null load address): notes must be SHF_ALLOC.
    v.push_back(
        with_builder(expect_case("note-depends-not-alloc", Errc::kEINVAL, Subject::section, Naming::by_name, kDepends),
                     [](ElfBuilder& b) { b.section(kDepends).flags(0); }));
}

void add_patching_cases(std::vector<MalformedCase>& v) {
    v.push_back(with_builder(expect_case("nothing-to-patch", Errc::kEINVAL, Subject::none, Naming::none),
                             [](ElfBuilder& b) { b.section(kFuncs).rename(".livepatch.funcz"); }));
    v.push_back(
        with_builder(expect_case("patching-section-empty", Errc::kEINVAL, Subject::section, Naming::by_name,
                                 ".livepatch.hooks.preapply"),
                     [](ElfBuilder& b) { b.add_section(".livepatch.hooks.preapply", SHT_PROGBITS, SHF_ALLOC, 8); }));
    v.push_back(with_builder(expect_case("funcs-not-alloc", Errc::kEINVAL, Subject::section, Naming::by_name, kFuncs),
                             [](ElfBuilder& b) { b.section(kFuncs).flags(SHF_WRITE); }));
    v.push_back(with_builder(
        expect_case("funcs-size-not-multiple-of-104", Errc::kEINVAL, Subject::section, Naming::by_name, kFuncs),
        [](ElfBuilder& b) {
            const uint64_t pad = 0;
            b.section(kFuncs).append(&pad, sizeof(pad));
        }));
    Func f = replace("xen_extra_version", 64);
    f.version = 1;
    v.push_back(funcs_case("func-version-1", Errc::kEOPNOTSUPP, "xen_extra_version", {f}));
    v.push_back(funcs_case("func-old-size-0", Errc::kEINVAL, "xen_extra_version", {replace("xen_extra_version", 0)}));
    v.push_back(
        funcs_case("func-name-unresolvable", Errc::kENOENT, "no_such_function", {replace("no_such_function", 64)}));
    // The name relocation neutralised, and the name field pointing outside the payload / null.
    for (uint64_t name : {uint64_t{0x1000}, uint64_t{0}}) {
        MalformedCase c = expect_case(name ? "func-name-outside-payload" : "func-no-name-no-old-addr", Errc::kEINVAL,
                                      Subject::function, Naming::literal, "function [0]");
        c.edit_image = [name](ElfImage& img) {
            img.edit_rela(img.section_index(".rela.livepatch.funcs"), 0,
                          [](Elf64_Rela& r) { r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), R_X86_64_NONE); });
            img.poke_value(img.section_index(kFuncs), offsetof(livepatch_func, name), name);
        };
        v.push_back(std::move(c));
    }
    // Beyond Xen: the old function must lie in hypervisor (or loaded payload) text.
    f = replace("xen_extra_version", 64);
    f.old_addr = 0x1000;
    v.push_back(funcs_case("func-old-addr-outside-text", Errc::kEINVAL, "xen_extra_version", {f}));
    MalformedCase c = funcs_case("func-old-addr-past-text-end", Errc::kEINVAL, "xen_extra_version", {});
    c.make_builder = [] {
        Func g = replace("xen_extra_version", 64);
        g.old_addr = hv().text_addr() + TestHypervisor::kTextSize - 8;
        return payload_builder({g});
    };
    v.push_back(std::move(c));
    c = funcs_case("func-old-symbol-outside-text", Errc::kEINVAL, "far_away_function",
                   {replace("far_away_function", 64)});
    c.setup = [](PayloadList&) { hv().add_symbol("far_away_function", 0x10000, 64); };
    v.push_back(std::move(c));
    v.push_back(funcs_case("func-tiny-function", Errc::kEINVAL, "tiny_function", {replace("tiny_function", 4)}));
    for (uint32_t size : {5u, 6u, 7u, 8u}) {
        static const char* const ids[] = {"func-ibt-old-size-5", "func-ibt-old-size-6", "func-ibt-old-size-7",
                                          "func-ibt-old-size-8"};
        v.push_back(funcs_case(ids[size - 5], Errc::kEINVAL, "ibt_function", {replace("ibt_function", size)}));
    }
    v.push_back(funcs_case("func-nop-32-bytes", Errc::kEOPNOTSUPP, "xen_extra_version",
                           {{.name = "xen_extra_version", .new_size = 32, .old_size = 64}}));
    v.push_back(funcs_case("func-nop-longer-than-old", Errc::kEINVAL, "xen_extra_version",
                           {{.name = "xen_extra_version", .new_size = 16, .old_size = 8}}));
    // Beyond Xen: new_addr must be executable.
    c = funcs_case("func-new-addr-not-executable", Errc::kEINVAL, "xen_extra_version",
                   {{.name = "xen_extra_version", .new_symbol = "lp_rodata", .new_size = 16, .old_size = 64}});
    c.make_builder = [] {
        ElfBuilder b = payload_builder({});
        b.add_symbol("lp_rodata").in(b.section(".rodata.str")).size(4).object();
        b.add_func({.name = "xen_extra_version", .new_symbol = "lp_rodata", .new_size = 16, .old_size = 64});
        return b;
    };
    v.push_back(std::move(c));
    // Beyond Xen: targets of one payload must not overlap (-EEXIST).
    v.push_back(
        funcs_case("func-duplicate-target", Errc::kEEXIST, "xen_extra_version", {standard_func(), standard_func()}));
    c = funcs_case("func-overlapping-target", Errc::kEEXIST, "xen_extra_version", {});
    c.make_builder = [] {
        Func g = replace("xen_extra_version", 16);
        g.old_addr = xen_extra_version() + 8;
        return payload_builder({standard_func(), g});
    };
    v.push_back(std::move(c));
    c = funcs_case("func-overlaps-loaded-payload", Errc::kEEXIST, "xen_extra_version", {});
    c.make_builder = [] {
        Func g = replace("xen_extra_version", 16);
        g.old_addr = xen_extra_version() + 16;
        return payload_builder({g});
    };
    c.setup = [](PayloadList& list) { preload(list, "loaded", valid_payload_builder(2)); };
    v.push_back(std::move(c));
}

void add_dependency_cases(std::vector<MalformedCase>& v) {
    v.push_back(
        with_image(expect_case("xen-depends-mismatch", Errc::kEINVAL, Subject::section, Naming::by_name, kXenDepends),
                   [](ElfImage& img) {
                       const uint32_t i = img.section_index(kXenDepends);
                       img.poke_value(i, 16, static_cast<uint8_t>(img.get<uint8_t>(img.data_offset(i) + 16) ^ 1));
                   }));
    v.push_back(
        with_builder(expect_case("xen-depends-short", Errc::kEINVAL, Subject::section, Naming::by_name, kXenDepends),
                     [](ElfBuilder& b) {
                         b.section(kXenDepends).rename(".note.unused");
                         const std::vector<uint8_t>& id = hv().build_id();
                         b.add_note(kXenDepends, std::vector<uint8_t>(id.begin(), id.begin() + 16));
                     }));
    MalformedCase c =
        expect_case("hypervisor-without-build-id", Errc::kENODATA, Subject::section, Naming::by_name, kXenDepends);
    c.setup = [](PayloadList&) { hv().set_build_id({}); };
    v.push_back(std::move(c));
    c = expect_case("duplicate-payload-build-id", Errc::kEEXIST, Subject::section, Naming::by_name, kBuildId);
    c.setup = [](PayloadList& list) { preload(list, "first", valid_payload_builder(1)); };
    v.push_back(std::move(c));
    v.push_back(with_builder(
        expect_case("new-symbol-in-hypervisor", Errc::kEEXIST, Subject::symbol, Naming::by_name, "xen_data_object"),
        [](ElfBuilder& b) { b.add_symbol("xen_data_object").in(b.section(".rodata.str")).size(8).object(); }));
    c = with_builder(expect_case("new-symbol-in-loaded-payload", Errc::kEEXIST, Subject::symbol, Naming::by_name,
                                 "lp_shared_helper"),
                     [](ElfBuilder& b) {
                         b.add_symbol("lp_shared_helper").in(b.section(".text.xen_extra_version")).value(14).func();
                     });
    c.setup = [](PayloadList& list) {
        ElfBuilder a = valid_payload_builder(2);
        a.add_symbol("lp_shared_helper").in(a.section(".text.xen_extra_version")).value(14).func();
        preload(list, "provider", a);
    };
    v.push_back(std::move(c));
}

void add_hook_and_special_cases(std::vector<MalformedCase>& v) {
    const uint32_t pad = 0;
    for (const char* s : {".livepatch.hooks.load", ".livepatch.hooks.unload", ".livepatch.hooks.apply"}) {
        static const char* const ids[] = {"hooks-load-size-12", "hooks-unload-size-12", "hooks-apply-size-12"};
        const std::string name = s;
        const char* id = ids[name == ".livepatch.hooks.load" ? 0 : name == ".livepatch.hooks.unload" ? 1 : 2];
        v.push_back(with_builder(
            expect_case(id, Errc::kEINVAL, Subject::section, Naming::by_name, name),
            [name, pad](ElfBuilder& b) { b.add_hook(name, "xen_extra_version").append(&pad, sizeof(pad)); }));
    }
    v.push_back(with_builder(expect_case("hooks-preapply-two-pointers", Errc::kEINVAL, Subject::section,
                                         Naming::by_name, ".livepatch.hooks.preapply"),
                             [](ElfBuilder& b) {
                                 b.add_hook(".livepatch.hooks.preapply", "xen_extra_version");
                                 b.add_hook(".livepatch.hooks.preapply", "xen_extra_version");
                             }));
    // Beyond Xen: hooks must point at executable code.
    for (const char* s : {".livepatch.hooks.load", ".livepatch.hooks.apply"}) {
        const std::string name = s;
        v.push_back(with_builder(
            expect_case(name == ".livepatch.hooks.load" ? "hooks-load-not-executable" : "hooks-apply-not-executable",
                        Errc::kEINVAL, Subject::section, Naming::by_name, name),
            [name](ElfBuilder& b) {
                b.add_symbol("lp_rodata").in(b.section(".rodata.str")).size(4).object();
                b.add_hook(name, "lp_rodata");
            }));
    }
    // Deviation: Xen calls every load/unload entry unchecked (common/livepatch.c:1369, 1448), so a
    // NULL one jumps to address 0; refused. (A NULL single hook is a disabled hook: accepted, see
    // loader_compat_test.cc.)
    for (const char* s : {".livepatch.hooks.load", ".livepatch.hooks.unload"}) {
        const std::string name = s;
        v.push_back(with_builder(
            expect_case(name == ".livepatch.hooks.load" ? "hooks-load-null" : "hooks-unload-null", Errc::kEINVAL,
                        Subject::section, Naming::by_name, name),
            [name](ElfBuilder& b) {
                const uint64_t null_hook = 0;  // a valid entry, then a NULL one
                b.add_hook(name, "xen_extra_version").append(&null_hook, sizeof(null_hook));
            }));
    }
    struct Special {
        const char* id;
        const char* section;
        size_t size;
    };
    for (const Special& s :
         {Special{"altinstructions-size-13", ".altinstructions", 13}, Special{"ex-table-size-12", ".ex_table", 12},
          Special{"bug-frames-0-size-4", ".bug_frames.0", 4}, Special{"bug-frames-3-size-12", ".bug_frames.3", 12}}) {
        const std::string name = s.section;
        const size_t size = s.size;
        v.push_back(with_builder(
            expect_case(s.id, Errc::kEINVAL, Subject::section, Naming::by_name, name), [name, size](ElfBuilder& b) {
                b.add_section(name, SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(size, 0));
            }));
    }
    v.push_back(with_builder(expect_case("altinstructions-orig-outside-text", Errc::kEINVAL, Subject::section,
                                         Naming::by_name, ".altinstructions"),
                             [](ElfBuilder& b) {
                                 const uint32_t text = add_alt_sections(b, true);
                                 add_alternative(b, {text, 64, b.section(".altinstr_replacement"), 0, 5, 5, 0});
                             }));
    v.push_back(with_builder(expect_case("altinstructions-no-replacement-section", Errc::kEINVAL, Subject::section,
                                         Naming::by_name, ".altinstructions"),
                             [](ElfBuilder& b) {
                                 const uint32_t text = add_alt_sections(b, false);
                                 add_alternative(b, {text, 0, text, 0, 5, 5, 0});
                             }));
    // Beyond Xen 4.17 (whose apply_alternatives would BUG()): the replacement must fit in the
    // original and its padding.
    // common/livepatch.c:844-849: alternatives need some executable text in the payload. Here the
    // only executable section loses SHF_EXECINSTR and the replacement is not executable either.
    MalformedCase no_text = expect_case("altinstructions-no-text", Errc::kEINVAL, Subject::section, Naming::by_name,
                                        ".altinstructions");
    no_text.make_builder = [] {
        ElfBuilder b = payload_builder({});
        b.symbol(b.symbol_id("xen_extra_version")).name("lp_unused");
        b.add_hook(".livepatch.hooks.load", "printk");
        auto repl = b.add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC, 1)
                        .data(std::vector<uint8_t>(5, 0x90));
        add_alternative(b, {b.section(".rodata.str"), 0, repl, 0, 5, 5, 0});
        return b;
    };
    no_text.edit_image = [](ElfImage& img) {
        img.edit_shdr(img.section_index(".text.xen_extra_version"),
                      [](Elf64_Shdr& sh) { sh.sh_flags &= ~uint64_t{SHF_EXECINSTR}; });
    };
    v.push_back(std::move(no_text));
    v.push_back(with_builder(expect_case("altinstructions-replacement-too-long", Errc::kEINVAL, Subject::section,
                                         Naming::by_name, ".altinstructions"),
                             [](ElfBuilder& b) {
                                 const uint32_t text = add_alt_sections(b, true);
                                 add_alternative(b, {text, 0, b.section(".altinstr_replacement"), 0, 2, 5, 0});
                             }));
    v.push_back(with_builder(
        expect_case("modinfo-not-nul-terminated", Errc::kEINVAL, Subject::section, Naming::by_name, ".modinfo"),
        [](ElfBuilder& b) { b.add_section(".modinfo", SHT_PROGBITS, SHF_ALLOC, 1).str_data("version=1"); }));
    v.push_back(with_builder(expect_case("modinfo-empty", Errc::kEINVAL, Subject::section, Naming::by_name, ".modinfo"),
                             [](ElfBuilder& b) { b.add_section(".modinfo", SHT_PROGBITS, SHF_ALLOC, 1); }));
    v.push_back(with_image(expect_case("payload-size-0", Errc::kEINVAL, Subject::none, Naming::none),
                           [](ElfImage& img) { img.bytes.clear(); }));
    v.push_back(with_image(expect_case("payload-size-over-2mib", Errc::kEINVAL, Subject::none, Naming::none),
                           [](ElfImage& img) { img.bytes.resize(kMaxPayloadSize + 1); }));
}

void add_defect_cases(std::vector<MalformedCase>& v) {
    MalformedCase c = expect_case("func-new-addr-out-of-reach", Errc::kEOVERFLOW, Subject::function, Naming::by_name,
                                  "xen_extra_version");
    c.make_builder = [] {
        ElfBuilder b = payload_builder({});
        b.add_symbol("lp_far_away").in(SHN_ABS).value(hv().text_addr() + (3ull << 30)).func();
        b.add_func({.name = "xen_extra_version", .new_symbol = "lp_far_away", .new_size = 16, .old_size = 64});
        return b;
    };
    c.defect =
        "Xen's livepatch_verify_distance returns -EOVERFLOW for a new_addr more than 2 GiB from old_addr; "
        "the loader's extra 'new function must be executable' check runs first and returns -EINVAL, so "
        "-EOVERFLOW is unreachable";
    v.push_back(std::move(c));

    // Xen 4.17.4+ (livepatch: Fix .altinstructions safety checks) requires orig inside the payload's
    // text (every executable section), not inside a section named ".text". gcc -ffunction-sections
    // plus ld -r leave an empty .text and the code in .text.<function>, as here.
    c = expect_case("alt-orig-in-function-section", Errc::ok, Subject::none, Naming::none);
    c.edit_builder = [](ElfBuilder& b) {
        b.add_section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 1);
        auto repl = b.add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 1)
                        .data(std::vector<uint8_t>(5, 0x90));
        add_alternative(b, {b.section(".text.xen_extra_version"), 0, repl, 0, 5, 5, 0});
    };
    c.defect =
        "Xen accepts an alternative whose original code lies in any executable section of the payload "
        "(here .text.xen_extra_version, next to the empty .text gcc -ffunction-sections leaves); the "
        "loader requires it inside the section named .text and returns -EINVAL";
    v.push_back(std::move(c));

    // Xen applies an alternative when repl_len <= orig_len + pad_len (BUG() otherwise).
    c = expect_case("alt-replacement-fits-padding", Errc::ok, Subject::none, Naming::none);
    c.edit_builder = [](ElfBuilder& b) {
        const uint32_t text = add_alt_sections(b, true);
        add_alternative(b, {text, 0, b.section(".altinstr_replacement"), 0, 2, 5, 3});
    };
    c.defect =
        "Xen's apply_alternatives accepts repl_len <= orig_len + pad_len; the loader ignores pad_len and "
        "rejects (-EINVAL) a replacement longer than orig_len that fits the padding";
    v.push_back(std::move(c));

    // Xen: "repl must be fully within .altinstr_replacement, even if ... zero length".
    c = expect_case("alt-empty-replacement-outside", Errc::kEINVAL, Subject::section, Naming::by_name,
                    ".altinstructions");
    c.edit_builder = [](ElfBuilder& b) {
        const uint32_t text = add_alt_sections(b, true);
        add_alternative(b, {text, 0, b.section(".altinstr_replacement"), 64, 5, 0, 0});
    };
    c.defect =
        "Xen rejects (-EINVAL) a zero-length replacement pointing outside .altinstr_replacement; the "
        "loader checks the replacement only when repl_len is non-zero and accepts it";
    v.push_back(std::move(c));
}

}  // namespace

std::vector<MalformedCase> malformed_payload_cases() {
    std::vector<MalformedCase> v;
    add_note_cases(v);
    add_patching_cases(v);
    add_dependency_cases(v);
    add_hook_and_special_cases(v);
    add_defect_cases(v);
    return v;
}

}  // namespace livepatch::test
