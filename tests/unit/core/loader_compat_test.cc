// The loader against Xen 4.17.5 where it once differed from it: disabled (NULL) single hooks,
// alternatives in payloads without a section called .text, and the order in which the special
// sections are checked. Each case cites the Xen source it follows.
#include <doctest/doctest.h>
#include <elf.h>

#include <string>
#include <vector>

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
}
