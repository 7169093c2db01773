// The loader against Xen 4.17.5 where it once differed from it: disabled (NULL) single hooks,
// alternatives in payloads without a section called .text, and the order in which the special
// sections are checked. Each case cites the Xen source it follows.
#include <doctest/doctest.h>
#include <elf.h>

#include <string>
#include <vector>

#include "core/elf/elf_view.h"
#include "core/elf/xen_arch_rules.h"
#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "support/elf_builder.h"
#include "support/test_port.h"

using namespace livepatch;
using namespace livepatch::test;

namespace {

Result<Owned<Payload>> load(const char* name, const ElfBuilder& b, const PayloadList& loaded) {
    return load_payload(name, b.build().span(), loaded);
}

std::string message(const Error& e) {
    char buf[512];
    e.format(buf, sizeof(buf));
    return buf;
}

constexpr const char* kSingleHooks[] = {".livepatch.hooks.preapply",  ".livepatch.hooks.apply",
                                        ".livepatch.hooks.postapply", ".livepatch.hooks.prerevert",
                                        ".livepatch.hooks.revert",    ".livepatch.hooks.postrevert"};

uint64_t hook_value(const PayloadHooks& h, size_t i) {
    const uint64_t values[] = {h.preapply, h.apply, h.postapply, h.prerevert, h.revert, h.postrevert};
    return values[i];
}

}  // namespace

TEST_SUITE("loader: Xen 4.17 compatibility") {
    // Xen 4.17.5 common/livepatch.c:32 (is_hook_enabled: the section and the pointer in it must
    // both be non-NULL) and :1506, :1523, :1628-1638: a NULL single hook is a disabled hook.
    TEST_CASE("a NULL single hook is a disabled hook, the others keep their address") {
        hv().reset();
        for (size_t null_one = 0; null_one < 6; ++null_one) {
            CAPTURE(null_one);
            ElfBuilder b = valid_payload_builder();
            for (size_t k = 0; k < 6; ++k) {
                if (k == null_one)
                    b.add_section(kSingleHooks[k], SHT_PROGBITS, SHF_ALLOC, 8).data(std::vector<uint8_t>(8, 0));
                else
                    b.add_hook(kSingleHooks[k], "xen_extra_version");
            }
            PayloadList loaded;
            hv().clear_log();
            Result<Owned<Payload>> r = load("null-hook", b, loaded);
            REQUIRE_MESSAGE(r.ok(), message(r.error()));
            CHECK(hv().log().empty());
            const Payload& p = *r.value();
            const uint64_t text = reinterpret_cast<uintptr_t>(p.text().base);
            for (size_t k = 0; k < 6; ++k) {
                CAPTURE(k);
                if (k == null_one)
                    CHECK(hook_value(p.hooks(), k) == 0);
                else
                    CHECK(hook_value(p.hooks(), k) == text);  // .text.xen_extra_version comes first
            }
        }
    }

    // common/livepatch.c:626-633 and :32: a single hook section that is not SHF_ALLOC still
    // needs its 8 bytes, and its hook pointer is the section's NULL load address: disabled.
    TEST_CASE("a single hook section that is not loaded is a disabled hook") {
        hv().reset();
        for (size_t k = 0; k < 6; ++k) {
            CAPTURE(k);
            ElfBuilder b = valid_payload_builder();
            b.add_hook(kSingleHooks[k], "xen_extra_version").flags(0);
            PayloadList loaded;
            Result<Owned<Payload>> r = load("noalloc-hook", b, loaded);
            REQUIRE_MESSAGE(r.ok(), message(r.error()));
            CHECK(hook_value(r.value()->hooks(), k) == 0);
            ElfBuilder twelve = valid_payload_builder();
            const uint32_t pad = 0;
            twelve.add_hook(kSingleHooks[k], "xen_extra_version").flags(0).append(&pad, sizeof(pad));
            Result<Owned<Payload>> bad = load("noalloc-hook-12", twelve, loaded);
            REQUIRE_FALSE(bad.ok());
            CHECK(bad.error().code() == Errc::kEINVAL);
        }
        // Deviation: the load/unload arrays would be called through a NULL base in Xen.
        ElfBuilder b = valid_payload_builder();
        b.add_hook(".livepatch.hooks.load", "xen_extra_version").flags(0);
        PayloadList loaded;
        Result<Owned<Payload>> r = load("noalloc-load-hook", b, loaded);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == Errc::kEINVAL);
    }

    // Deviation (docs/design.md): Xen calls each .livepatch.hooks.load/unload entry unchecked
    // (common/livepatch.c:1369, :1448); a NULL entry would jump to address 0.
    TEST_CASE("a NULL load or unload hook entry is refused, naming the section") {
        hv().reset();
        for (const char* s : {".livepatch.hooks.load", ".livepatch.hooks.unload"}) {
            const std::string section = s;
            CAPTURE(section);
            ElfBuilder b = valid_payload_builder();
            const uint64_t null_hook = 0;
            b.add_hook(s, "xen_extra_version").append(&null_hook, sizeof(null_hook));
            PayloadList loaded;
            Result<Owned<Payload>> r = load("null-load-hook", b, loaded);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code() == Errc::kEINVAL);
            CHECK(std::string(r.error().name()) == s);
        }
    }

    // common/livepatch.c:844-894: Xen needs payload text (text_size != 0), .altinstr_replacement,
    // each orig inside the payload's text and each repl inside .altinstr_replacement; payloads of
    // livepatch-build-tools have no section called .text, only .text.<function>.
    TEST_CASE("alternatives load without a .text section; orig may be in any executable section") {
        hv().reset();
        ElfBuilder b = valid_payload_builder();
        std::vector<uint8_t> entry(14, 0);
        entry[10] = 3;  // orig_len
        entry[11] = 2;  // repl_len
        auto repl = b.add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 1)
                        .data(std::vector<uint8_t>(2, 0x90));
        auto alt = b.add_section(".altinstructions", SHT_PROGBITS, SHF_ALLOC, 1).data(entry);
        b.add_rela(alt, 0, b.section_symbol(b.section(".text.xen_extra_version")), R_X86_64_PC32, 13);
        b.add_rela(alt, 4, b.section_symbol(repl), R_X86_64_PC32, 0);
        const ElfImage img = b.build();
        for (uint32_t i = 1; i < img.section_count(); ++i) CHECK(img.section_name(i) != ".text");
        PayloadList loaded;
        Result<Owned<Payload>> r = load_payload("alt-no-text", img.span(), loaded);
        CHECK_MESSAGE(r.ok(), (r.ok() ? std::string() : message(r.error())));
    }

    // common/livepatch.c:798-925: .bug_frames.0-3 first, then .altinstructions, then .ex_table.
    TEST_CASE("special sections are checked in Xen's order: bug frames, alternatives, ex_table") {
        hv().reset();
        struct Bad {
            const char* section;
            size_t size;
        };
        const Bad bug{".bug_frames.2", 12}, alt{".altinstructions", 13}, ex{".ex_table", 12};
        // Each pair: the error names the section Xen checks first, whatever the file order.
        const struct {
            Bad first, second;
        } pairs[] = {{bug, alt}, {bug, ex}, {alt, ex}};
        for (const auto& pr : pairs) {
            for (bool swap : {false, true}) {
                const Bad& a = swap ? pr.second : pr.first;
                const Bad& c = swap ? pr.first : pr.second;
                const std::string first_in_file = a.section, second_in_file = c.section;
                CAPTURE(first_in_file);
                CAPTURE(second_in_file);
                ElfBuilder b = valid_payload_builder();
                b.add_section(a.section, SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(a.size, 0));
                b.add_section(c.section, SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(c.size, 0));
                PayloadList loaded;
                Result<Owned<Payload>> r = load("special-order", b, loaded);
                REQUIRE_FALSE(r.ok());
                CHECK(r.error().code() == Errc::kEINVAL);
                CHECK(std::string(r.error().name()) == pr.first.section);
            }
        }
    }

    // Xen's arch_livepatch_verify_elf: x86 refuses EI_DATA other than ELFDATA2LSB
    // (arch/x86/livepatch.c:218-225); arm64 checks only machine and class
    // (arch/arm/arm64/livepatch.c:72-78) and reads the file in the CPU's byte order.
    TEST_CASE("EI_DATA is checked on x86 only") {
        hv().reset();
        ElfImage img = valid_payload();
        for (const uint8_t data : {uint8_t{ELFDATANONE}, uint8_t{ELFDATA2MSB}, uint8_t{0x7f}}) {
            CAPTURE(int{data});
            img.edit_ehdr([data](Elf64_Ehdr& h) {
                h.e_ident[EI_DATA] = data;
                h.e_machine = EM_X86_64;
            });
            Result<ElfView> x86 = ElfView::parse(img.span(), EM_X86_64, "ei-data");
            REQUIRE_FALSE(x86.ok());
            CHECK(x86.error().code() == Errc::kEOPNOTSUPP);
            img.edit_ehdr([](Elf64_Ehdr& h) { h.e_machine = EM_AARCH64; });
            Result<ElfView> arm = ElfView::parse(img.span(), EM_AARCH64, "ei-data");
            CHECK_MESSAGE(arm.ok(), (arm.ok() ? std::string() : message(arm.error())));
        }
        CHECK(requires_lsb(EM_X86_64));
        CHECK_FALSE(requires_lsb(EM_AARCH64));
    }

    // arch_livepatch_perform_rel: arch/x86/livepatch.c:244-251 (-EOPNOTSUPP),
    // arch/arm/arm64/livepatch.c:234-239 (-ENOSYS). The x86 answer through the loader too.
    TEST_CASE("a SHT_REL section is -EOPNOTSUPP on x86 and -ENOSYS on arm64") {
        CHECK(rel_section_errc(EM_X86_64) == Errc::kEOPNOTSUPP);
        CHECK(rel_section_errc(EM_AARCH64) == Errc::kENOSYS);
        hv().reset();
        ElfBuilder b = valid_payload_builder();
        std::vector<uint8_t> rel(16, 0);
        rel[8] = R_X86_64_NONE;
        rel[12] = 1;  // symbol 1
        b.add_section(".rel.text", SHT_REL, 0, 8)
            .entsize(16)
            .info(b.section(".text.xen_extra_version"))
            .link(static_cast<uint32_t>(0))  // replaced below by the symtab index
            .data(rel);
        ElfImage img = b.build();
        const uint32_t symtab = img.section_index(".symtab");
        img.edit_shdr(img.section_index(".rel.text"), [symtab](Elf64_Shdr& sh) { sh.sh_link = symtab; });
        PayloadList loaded;
        Result<Owned<Payload>> r = load_payload("rel-section", img.span(), loaded);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == Errc::kEOPNOTSUPP);
        CHECK(std::string(r.error().name()) == ".rel.text");
    }

    // arch/arm/livepatch.c:125-141 (arm64: $x and $d, alone or with a '.' suffix);
    // arch/x86/livepatch.c:230-235 (x86: none).
    TEST_CASE("arm64 mapping symbols left out of the payload symbol table are Xen's") {
        for (const char* n : {"$x", "$d", "$x.42", "$d.foo", "$x."}) {
            CAPTURE(std::string(n));
            CHECK(is_skipped_mapping_symbol(EM_AARCH64, n));
            CHECK_FALSE(is_skipped_mapping_symbol(EM_X86_64, n));
        }
        for (const char* n : {"$a", "$a.1", "$t", "$xy", "$", "x", "$d1", ""}) {
            CAPTURE(std::string(n));
            CHECK_FALSE(is_skipped_mapping_symbol(EM_AARCH64, n));
        }
    }

    // Fields Xen's livepatch_header_check, elf_resolve_sections and elf_get_sym never read
    // (common/livepatch_elf.c:26-277, 424-504): e_entry, e_phoff, e_flags, e_ehsize, e_phentsize,
    // EI_PAD; sh_addr of unaligned-free sections, unknown sh_flags bits, sh_link, sh_info and
    // sh_entsize of ordinary sections; st_info and st_other. A payload with all of them set to
    // odd values loads.
    TEST_CASE("header, section and symbol fields Xen ignores are ignored") {
        hv().reset();
        ElfBuilder b = valid_payload_builder();
        b.add_section(".rodata.odd", SHT_PROGBITS, SHF_ALLOC | 0x0ff00000 | SHF_MERGE | SHF_STRINGS, 1)
            .link(77)
            .info(99)
            .entsize(12345)
            .addr(0x1234)
            .str_data(std::string("x\0", 2));
        ElfImage img = b.build();
        img.edit_ehdr([](Elf64_Ehdr& h) {
            h.e_entry = 0xdeadbeef;
            h.e_phoff = 0xffffffffffffffffull;
            h.e_flags = 0xffffffffu;
            h.e_ehsize = 0;
            h.e_phentsize = 0xffff;
            for (int i = EI_PAD; i < EI_NIDENT; ++i) h.e_ident[i] = 0xa5;
        });
        const uint32_t sym = img.symbol_index("xen_extra_version_patch.c");
        img.edit_symbol(sym, [](Elf64_Sym& s) {
            s.st_info = 0xff;
            s.st_other = 0xff;
        });
        PayloadList loaded;
        Result<Owned<Payload>> r = load_payload("ignored-fields", img.span(), loaded);
        CHECK_MESSAGE(r.ok(), (r.ok() ? std::string() : message(r.error())));
    }

    // common/version.c:115-143 (xen_build_id_check) bounds n_namesz only by the section: a note
    // name longer than 64 KiB that starts with "GNU\0" is a build-id note.
    TEST_CASE("a build-id note with a name longer than 64 KiB loads") {
        hv().reset();
        ElfBuilder b = valid_payload_builder();
        const std::vector<uint8_t> id = payload_build_id(7);
        const uint32_t namesz = 0x10004;
        std::vector<uint8_t> note(12 + namesz + id.size(), 0);
        const uint32_t hdr[3] = {namesz, static_cast<uint32_t>(id.size()), kNoteTypeGnuBuildId};
        memcpy(note.data(), hdr, sizeof(hdr));
        memcpy(note.data() + 12, "GNU", 4);
        memcpy(note.data() + 12 + namesz, id.data(), id.size());
        b.section(".note.gnu.build-id").data(note);
        PayloadList loaded;
        Result<Owned<Payload>> r = load("long-note-name", b, loaded);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : message(r.error())));
        CHECK(r.value()->build_id().len == id.size());
        CHECK(memcmp(r.value()->build_id().bytes, id.data(), id.size()) == 0);
    }
}
