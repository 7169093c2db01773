// The loader against malformed payloads: the valid payload from the ElfBuilder loads, and each
// corruptor in the two tables (loader_malformed_elf_test.cc, loader_malformed_payload_test.cc)
// turns it into a payload the loader must reject with Xen's errno, a message naming the payload
// and the section, symbol, relocation section or function at fault, one error line in the log,
// and no memory left behind. Allocation and protection failures are injected at every step.
#include <doctest/doctest.h>
#include <string.h>

#include <set>
#include <string>
#include <vector>

#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "support/elf_builder.h"
#include "support/test_port.h"

namespace livepatch::test {
// The corruptor tables (defined in the two table files).
std::vector<MalformedCase> malformed_elf_cases();
std::vector<MalformedCase> malformed_payload_cases();
}  // namespace livepatch::test

using namespace livepatch;
using namespace livepatch::test;
using Naming = MalformedCase::Naming;

namespace {

std::string format(const Error& e) {
    char buf[512];
    e.format(buf, sizeof(buf));
    return buf;
}

std::string errno_name(Errc e) {
    return errc_name(e);
}

ElfImage build_case(const MalformedCase& c) {
    ElfBuilder b = c.make_builder ? c.make_builder() : valid_payload_builder();
    if (c.edit_builder) c.edit_builder(b);
    ElfImage img = b.build();
    if (c.edit_image) c.edit_image(img);
    return img;
}

// The text the message must contain to name what `c` says is at fault.
std::string expected_naming(const MalformedCase& c, const ElfImage& img) {
    switch (c.naming) {
        case Naming::none:
            return "";
        case Naming::by_name:
            return "'" + c.at + "'";
        case Naming::literal:
            return c.at;
        case Naming::by_index:
            if (c.subject == Subject::symbol) return "symbol [" + std::to_string(img.symbol_index(c.at)) + "]";
            return "section [" + std::to_string(c.at.empty() ? 0 : img.section_index(c.at)) + "]";
    }
    return "";
}

// Loads case `c` and checks everything the loader promises about a rejected (or, for
// Errc::ok, accepted) payload.
void check_case(const MalformedCase& c) {
    const std::string id = c.id;  // doctest prints a char* as a pointer
    CAPTURE(id);
    hv().reset();
    const long zallocs_before_setup = hv().live_zallocs();
    const long pages_before_setup = hv().live_payload_allocs();
    {
        const ElfImage img = build_case(c);
        PayloadList loaded;
        if (c.setup) c.setup(loaded);
        hv().clear_log();
        const long zallocs = hv().live_zallocs();
        const long pages = hv().live_payload_allocs();
        {
            Result<Owned<Payload>> r = load_payload(c.id, img.span(), loaded);
            if (c.code == Errc::ok) {
                if (!r.ok()) FAIL_CHECK("unexpected error: " << format(r.error()));
                CHECK(hv().log().empty());
            } else if (r.ok()) {
                FAIL_CHECK("the loader accepted the payload; expected -" << errno_name(c.code));
            } else {
                const Error& e = r.error();
                const std::string msg = format(e);
                CAPTURE(msg);
                CHECK(errno_name(e.code()) == errno_name(c.code));
                CHECK(static_cast<int>(e.subject()) == static_cast<int>(c.subject));
                CHECK(std::string(e.payload_name()) == c.id);
                CHECK(msg.rfind(std::string(c.id) + ": ", 0) == 0);
                const std::string naming = expected_naming(c, img);
                if (!naming.empty()) CHECK(msg.find(naming) != std::string::npos);
                if (c.naming == Naming::by_name) CHECK(std::string(e.name()) == c.at);
                REQUIRE(hv().log().size() == 1);
                CHECK(hv().log()[0].rfind("error: ", 0) == 0);
                CHECK(hv().log()[0].find(std::string(c.id) + ": ") != std::string::npos);
            }
        }
        CHECK(hv().live_zallocs() == zallocs);
        CHECK(hv().live_payload_allocs() == pages);
    }
    CHECK(hv().live_zallocs() == zallocs_before_setup);
    CHECK(hv().live_payload_allocs() == pages_before_setup);
}

std::vector<MalformedCase> all_cases() {
    std::vector<MalformedCase> all = malformed_elf_cases();
    for (MalformedCase& c : malformed_payload_cases()) all.push_back(std::move(c));
    return all;
}

MalformedCase accepted(const char* id, std::function<void(ElfBuilder&)> edit) {
    MalformedCase c = expect_case(id, Errc::ok, Subject::none, Naming::none);
    c.edit_builder = std::move(edit);
    return c;
}

// Variants next to the corruptions that the loader (like Xen) must accept: each shows that the
// matching corruptor fails for the reason it names, not for a neighbouring one.
std::vector<MalformedCase> accepted_variants() {
    std::vector<MalformedCase> v;
    v.push_back(accepted("osabi-freebsd", nullptr));
    v.back().edit_image = [](ElfImage& img) {
        img.edit_ehdr([](Elf64_Ehdr& h) { h.e_ident[EI_OSABI] = ELFOSABI_FREEBSD; });
    };
    v.push_back(accepted("bss-exactly-2mib", [](ElfBuilder& b) {
        b.add_section(".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 8).nobits(kMaxBssSize);
    }));
    v.push_back(accepted("nonalloc-rela-garbage-ignored", [](ElfBuilder& b) {
        auto comment = b.add_section(".comment", SHT_PROGBITS, 0, 1).str_data(std::string("GCC\0", 4));
        b.add_rela(comment, 1000, 0, R_X86_64_32S, 0);  // bad offset, STN_UNDEF, bad type: not applied
    }));
    v.push_back(accepted("rela-info-past-end-ignored", [](ElfBuilder& b) {
        b.add_section(".rela.nowhere", SHT_RELA, 0, 8).entsize(24).info(999).data(std::vector<uint8_t>(24, 0xff));
    }));
    v.push_back(accepted("overlapping-section-data", nullptr));
    v.back().edit_builder = [](ElfBuilder& b) {
        b.add_section(".rodata.alias", SHT_PROGBITS, SHF_ALLOC, 1).str_data("abcdefghijklmnopq");
    };
    v.back().edit_image = [](ElfImage& img) {
        const uint64_t off = img.shdr(img.section_index(".rodata.str")).sh_offset;
        img.edit_shdr(img.section_index(".rodata.alias"), [off](Elf64_Shdr& s) { s.sh_offset = off; });
    };
    v.push_back(accepted("ibt-old-size-9", nullptr));
    v.back().make_builder = [] {
        return payload_builder(
            {{.name = "ibt_function", .new_symbol = "xen_extra_version", .new_size = 16, .old_size = 9}});
    };
    v.push_back(accepted("nop-patch-31-bytes", nullptr));
    v.back().make_builder = [] {
        ElfBuilder b = payload_builder({{.name = "xen_extra_version", .new_size = 31, .old_size = 64}});
        b.symbol(b.symbol_id("xen_extra_version")).name("lp_unused");  // else a clashing new symbol
        return b;
    };
    v.push_back(accepted("old-addr-absolute", nullptr));
    v.back().make_builder = [] {
        return payload_builder({{.new_symbol = "xen_extra_version",
                                 .old_addr = hv().text_addr() + TestHypervisor::kExtraVersionOff,
                                 .new_size = 16,
                                 .old_size = 64}});
    };
    v.push_back(accepted("all-hooks", [](ElfBuilder& b) {
        for (const char* s : {".livepatch.hooks.load", ".livepatch.hooks.load", ".livepatch.hooks.unload",
                              ".livepatch.hooks.preapply", ".livepatch.hooks.apply", ".livepatch.hooks.postapply",
                              ".livepatch.hooks.prerevert", ".livepatch.hooks.revert", ".livepatch.hooks.postrevert"})
            b.add_hook(s, "xen_extra_version");
    }));
    v.push_back(accepted("hooks-only-payload", nullptr));
    v.back().make_builder = [] {
        ElfBuilder b = payload_builder({});
        b.symbol(b.symbol_id("xen_extra_version")).name("lp_load_hook");  // not an override now
        b.add_hook(".livepatch.hooks.load", "lp_load_hook");
        return b;
    };
    v.push_back(accepted("special-sections", [](ElfBuilder& b) {
        b.add_section(".ex_table", SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(16, 0));
        b.add_section(".bug_frames.0", SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(8, 0));
        b.add_section(".bug_frames.3", SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(24, 0));
        b.add_section(".modinfo", SHT_PROGBITS, SHF_ALLOC, 1).str_data(std::string("version=1\0name=x\0", 18));
        b.add_section(".altinstructions", SHT_PROGBITS, SHF_ALLOC, 1);  // empty: tolerated
    }));
    v.push_back(accepted("alternative-in-text", [](ElfBuilder& b) {
        std::vector<uint8_t> entry(14, 0);
        entry[10] = 5;  // orig_len
        entry[11] = 5;  // repl_len
        auto text =
            b.add_section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16).data(std::vector<uint8_t>(16, 0x90));
        auto repl = b.add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 1)
                        .data(std::vector<uint8_t>(5, 0x90));
        auto alt = b.add_section(".altinstructions", SHT_PROGBITS, SHF_ALLOC, 1).data(entry);
        b.add_rela(alt, 0, b.section_symbol(text), R_X86_64_PC32, 8);
        b.add_rela(alt, 4, b.section_symbol(repl), R_X86_64_PC32, 0);
    }));
    // common/livepatch.c:32 is_hook_enabled: a NULL single hook is a disabled hook.
    v.push_back(accepted("hooks-single-null", [](ElfBuilder& b) {
        for (const char* s : {".livepatch.hooks.preapply", ".livepatch.hooks.apply", ".livepatch.hooks.postapply",
                              ".livepatch.hooks.prerevert", ".livepatch.hooks.revert", ".livepatch.hooks.postrevert"})
            b.add_section(s, SHT_PROGBITS, SHF_ALLOC, 8).data(std::vector<uint8_t>(8, 0));
    }));
    // common/livepatch.c:844-894: alternatives need payload text, not a section named .text
    // (livepatch-build-tools payloads have only .text.<function>).
    v.push_back(accepted("alt-without-dot-text", [](ElfBuilder& b) {
        std::vector<uint8_t> entry(14, 0);
        entry[10] = 5;  // orig_len
        entry[11] = 5;  // repl_len
        auto repl = b.add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 1)
                        .data(std::vector<uint8_t>(5, 0x90));
        auto alt = b.add_section(".altinstructions", SHT_PROGBITS, SHF_ALLOC, 1).data(entry);
        b.add_rela(alt, 0, b.section_symbol(b.section(".text.xen_extra_version")), R_X86_64_PC32, 8);
        b.add_rela(alt, 4, b.section_symbol(repl), R_X86_64_PC32, 0);
    }));
    v.push_back(accepted("undef-resolved-from-loaded-payload", [](ElfBuilder& b) {
        const uint32_t helper = b.add_symbol("lp_shared_helper");
        b.add_rela(b.section(".text.xen_extra_version"), 9, helper, R_X86_64_PLT32, -4);
    }));
    v.back().setup = [](PayloadList& list) {
        ElfBuilder a = valid_payload_builder(2);
        a.add_symbol("lp_shared_helper").in(a.section(".text.xen_extra_version")).value(14).size(2).func();
        Result<Owned<Payload>> r = load_payload("provider", a.build().span(), list);
        REQUIRE(r.ok());
        list.add(std::move(r).value());
    };
    return v;
}

}  // namespace

TEST_SUITE("malformed payloads") {
    TEST_CASE("the valid payload loads, is relocated, and frees everything when destroyed") {
        hv().reset();
        const long zallocs = hv().live_zallocs();
        const long pages = hv().live_payload_allocs();
        {
            const ElfImage img = valid_payload();
            PayloadList none;
            Result<Owned<Payload>> r = load_payload("valid", img.span(), none);
            if (!r.ok()) FAIL(format(r.error()));
            const Payload& p = *r.value();
            CHECK(hv().log().empty());
            CHECK(std::string(p.name()) == "valid");
            REQUIRE(p.funcs().size() == 1);
            const livepatch_func& f = p.funcs()[0];
            const uint64_t text = reinterpret_cast<uintptr_t>(p.text().base);
            CHECK(f.old_addr == hv().text_addr() + TestHypervisor::kExtraVersionOff);
            CHECK(f.new_addr == text);  // .text.xen_extra_version is the only text section
            CHECK(f.new_size == 16);
            CHECK(f.old_size == 64);
            CHECK(std::string(reinterpret_cast<const char*>(f.name)) == "xen_extra_version");
            // lea .rodata.str(%rip): PC32 with addend -4, relative to the end of the field.
            int32_t lea, call;
            memcpy(&lea, p.text().base + 3, 4);
            memcpy(&call, p.text().base + 9, 4);
            CHECK(std::string(reinterpret_cast<const char*>(text + 7 + lea)) == "4.17-livepatched");
            CHECK(text + 13 + call == hv().text_addr() + TestHypervisor::kPrintkOff);
            const std::vector<uint8_t> id = payload_build_id(1);
            CHECK(p.build_id().equals(id.data(), static_cast<uint32_t>(id.size())));
            CHECK(p.xen_depends().equals(hv().build_id().data(), static_cast<uint32_t>(hv().build_id().size())));
            CHECK(p.depends().equals(hv().build_id().data(), static_cast<uint32_t>(hv().build_id().size())));
            REQUIRE(p.symbols().size() == 1);
            CHECK(std::string(p.symbols()[0].name) == "xen_extra_version");
            CHECK_FALSE(p.symbols()[0].new_symbol);
            CHECK(p.safe_to_reapply());
            CHECK(hv().live_payload_allocs() == pages + 1);
        }
        CHECK(hv().live_zallocs() == zallocs);
        CHECK(hv().live_payload_allocs() == pages);
    }

    TEST_CASE("variants next to each corruption are accepted") {
        hv().reset();
        for (const MalformedCase& c : accepted_variants()) check_case(c);
    }

    TEST_CASE("the corruptor table has at least 60 distinct cases") {
        hv().reset();
        std::set<std::string> ids;
        size_t defects = 0;
        for (const MalformedCase& c : all_cases()) {
            const std::string id = c.id;
            CAPTURE(id);
            CHECK(ids.insert(id).second);
            CHECK(strlen(c.id) < Payload::kNameSize);
            defects += c.defect != nullptr;
        }
        const size_t cases = ids.size() - defects;
        MESSAGE(cases << " malformed cases, " << defects << " regressions (former loader defects, fixed)");
        CHECK(ids.size() - defects >= 60);
    }

    TEST_CASE("every corruption of the ELF file is rejected with Xen's errno") {
        hv().reset();
        for (const MalformedCase& c : malformed_elf_cases()) {
            if (!c.defect) check_case(c);
        }
    }

    TEST_CASE("every corruption of the payload contents is rejected with Xen's errno") {
        hv().reset();
        for (const MalformedCase& c : malformed_payload_cases()) {
            if (!c.defect) check_case(c);
        }
    }

    // Regressions: cases where the loader once differed from Xen 4.17 (the `defect` text of each
    // case says how); fixed, and kept so that they stay fixed.
    TEST_CASE("regressions: cases where the loader once differed from Xen 4.17") {
        hv().reset();
        for (const MalformedCase& c : all_cases()) {
            if (!c.defect) continue;
            INFO("defect: " << std::string(c.defect));
            check_case(c);
        }
    }

    TEST_CASE("allocation and protection failures are reported, and leak nothing") {
        hv().reset();
        const ElfImage img = valid_payload();
        struct Kind {
            const char* what;
            long TestHypervisor::*counter;
            Errc code;
            long min_failures;  // allocations/protections on the successful path
        };
        const Kind kinds[] = {
            {"zalloc", &TestHypervisor::fail_zalloc_at, Errc::kENOMEM, 8},
            {"payload pages", &TestHypervisor::fail_payload_alloc_at, Errc::kENOMEM, 1},
            {"protect", &TestHypervisor::fail_protect_at, Errc::kENOMEM, 3},  // text, rw, ro
        };
        for (const Kind& k : kinds) {
            const std::string what = k.what;
            CAPTURE(what);
            long failures = 0;
            for (long at = 0;; ++at) {
                CAPTURE(at);
                REQUIRE(at < 1000);
                hv().reset();
                const long zallocs = hv().live_zallocs();
                const long pages = hv().live_payload_allocs();
                hv().*k.counter = at;
                bool loaded;
                {
                    PayloadList none;
                    Result<Owned<Payload>> r = load_payload("oom", img.span(), none);
                    loaded = r.ok();
                    if (!loaded) {
                        ++failures;
                        CHECK(errno_name(r.error().code()) == errno_name(k.code));
                        CHECK(hv().log().size() == 1);
                    }
                }
                CHECK(hv().live_zallocs() == zallocs);
                CHECK(hv().live_payload_allocs() == pages);
                if (loaded) break;
            }
            CHECK(failures >= k.min_failures);
        }
        hv().reset();
    }

    // The loader promises that every failure's log line names the payload (loader.h). Regression:
    // -ENOMEM from ElfView::parse (its section table, the first allocation) once carried no name.
    TEST_CASE("allocation failures name the payload in the error and the log") {
        hv().reset();
        const ElfImage img = valid_payload();
        for (long at = 0; at < 1000; ++at) {
            CAPTURE(at);
            hv().reset();
            hv().fail_zalloc_at = at;
            PayloadList none;
            Result<Owned<Payload>> r = load_payload("oom-named", img.span(), none);
            if (r.ok()) break;
            CHECK(std::string(r.error().payload_name()) == "oom-named");
            REQUIRE(hv().log().size() == 1);
            CHECK(hv().log()[0].find("oom-named: ") != std::string::npos);
        }
        hv().reset();
    }
}
