// Upload rules that differ between Xen's arm64 and x86 code, checked on AArch64 through the
// sysctl handler with real AArch64 payloads (the hello fixture, cross-compiled, and variants of
// it: a section header edited in the test, or sections added by objcopy in tests/arm64/arm64.mk).
// Built and run by make test-arm64 only.
#include <doctest/doctest.h>
#include <elf.h>
#include <stddef.h>
#include <string.h>

#include <string>
#include <vector>

#include "livepatch/errc.h"
#include "livepatch/livepatch.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"

#if !defined(__aarch64__)
#error "tests/arm64/unit runs on AArch64: build it with the AArch64 compiler (make test-arm64)"
#endif

using namespace livepatch;
using livepatch::test::action;
using livepatch::test::fixture;
using livepatch::test::get;
using livepatch::test::hv;
using livepatch::test::upload;

namespace {

Elf64_Shdr shdr_at(const std::vector<uint8_t>& f, uint32_t i) {
    Elf64_Ehdr eh;
    memcpy(&eh, f.data(), sizeof eh);
    const uint64_t off = eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr);
    REQUIRE(off + sizeof(Elf64_Shdr) <= f.size());
    Elf64_Shdr sh;
    memcpy(&sh, f.data() + off, sizeof sh);
    return sh;
}

std::string section_name(const std::vector<uint8_t>& f, const Elf64_Shdr& sh) {
    Elf64_Ehdr eh;
    memcpy(&eh, f.data(), sizeof eh);
    const Elf64_Shdr strtab = shdr_at(f, eh.e_shstrndx);
    REQUIRE(strtab.sh_offset + sh.sh_name < f.size());
    return reinterpret_cast<const char*>(f.data() + strtab.sh_offset + sh.sh_name);
}

// The index of the first non-empty SHT_RELA section of `f` that relocates an SHF_ALLOC section
// of executable code (the ADRP/ADD of the replacement function), or 0.
uint32_t text_rela_section(const std::vector<uint8_t>& f) {
    Elf64_Ehdr eh;
    REQUIRE(f.size() >= sizeof eh);
    memcpy(&eh, f.data(), sizeof eh);
    REQUIRE(eh.e_machine == EM_AARCH64);
    for (uint32_t i = 1; i < eh.e_shnum; ++i) {
        const Elf64_Shdr sh = shdr_at(f, i);
        if (sh.sh_type != SHT_RELA || sh.sh_size == 0 || sh.sh_info == 0 || sh.sh_info >= eh.e_shnum)
            continue;
        const Elf64_Shdr base = shdr_at(f, sh.sh_info);
        if ((base.sh_flags & SHF_ALLOC) && (base.sh_flags & SHF_EXECINSTR))
            return i;
    }
    return 0;
}

void set_type(std::vector<uint8_t>* f, uint32_t i, uint32_t type) {
    Elf64_Ehdr eh;
    memcpy(&eh, f->data(), sizeof eh);
    const uint64_t off = eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_type);
    memcpy(f->data() + off, &type, sizeof type);
}

bool has_section(const std::vector<uint8_t>& f, const std::string& name, Elf64_Shdr* out) {
    Elf64_Ehdr eh;
    memcpy(&eh, f.data(), sizeof eh);
    for (uint32_t i = 1; i < eh.e_shnum; ++i) {
        const Elf64_Shdr sh = shdr_at(f, i);
        if (section_name(f, sh) == name) {
            *out = sh;
            return true;
        }
    }
    return false;
}

std::string last_log() { return hv().log().empty() ? std::string() : hv().log().back(); }

}  // namespace

TEST_SUITE("arm64 upload rules") {

// Xen 4.17.5: livepatch_elf_perform_relocs (common/livepatch_elf.c:412-415) hands a non-empty
// SHT_REL section of a loaded section to arch_livepatch_perform_rel, which is -ENOSYS on arm64
// (arch/arm/arm64/livepatch.c:234-239; -EOPNOTSUPP on x86, arch/x86/livepatch.c:244-251).
TEST_CASE("arm64: an SHT_REL section in a payload is -ENOSYS at upload, naming the section") {
    hv().reset();
    std::vector<uint8_t> f = fixture("hello");
    const uint32_t rel = text_rela_section(f);
    REQUIRE(rel != 0);
    const Elf64_Shdr sh = shdr_at(f, rel);
    const std::string name = section_name(f, sh);
    CAPTURE(name);
    // Elf64_Rela entries are 24 bytes: at least an Elf64_Rel and a whole number of entries, so
    // the section passes Xen's entry size checks (common/livepatch_elf.c:404-410) and reaches the
    // arch hook.
    REQUIRE(sh.sh_entsize >= sizeof(Elf64_Rel));
    REQUIRE(sh.sh_size % sh.sh_entsize == 0);
    set_type(&f, rel, SHT_REL);

    hv().clear_log();
    CHECK(upload("hello-rel", f) == to_xen_rc(Errc::kENOSYS));
    CHECK_MESSAGE(last_log().find(name) != std::string::npos, last_log());
    CHECK_MESSAGE(last_log().find("hello-rel") != std::string::npos, last_log());
    // Nothing is left behind: the name is free, and the unmodified payload loads under it.
    xen_livepatch_status st{};
    CHECK(get("hello-rel", &st) == to_xen_rc(Errc::kENOENT));
    CHECK(upload("hello-rel", fixture("hello")) == 0);
    CHECK(action("hello-rel", LIVEPATCH_ACTION_UNLOAD) == 0);
    hv().reset();
}

// Xen 4.17.5 common/livepatch.c:835-841: .altinstructions (arm has CONFIG_HAS_ALTERNATIVE,
// arch/arm/Kconfig:15) is checked for whole entries, then an empty one is tolerated. The
// fixture is hello with an empty SHF_ALLOC .altinstructions added by objcopy (arm64.mk).
TEST_CASE("arm64: an empty .altinstructions section is accepted; the payload applies and reverts") {
    hv().reset();
    const std::vector<uint8_t> f = fixture("hello-alt-empty");
    Elf64_Shdr alt{};
    REQUIRE(has_section(f, ".altinstructions", &alt));
    CHECK(alt.sh_size == 0);
    CHECK((alt.sh_flags & SHF_ALLOC) != 0);

    hv().clear_log();
    const int32_t rc = upload("alt-empty", f);
    REQUIRE_MESSAGE(rc == 0, rc, " ", last_log());
    CHECK(livepatch::test::run("alt-empty", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(livepatch::test::run("alt-empty", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(action("alt-empty", LIVEPATCH_ACTION_UNLOAD) == 0);
    hv().reset();
}

// Xen 4.17.5 common/livepatch.c:798-812 checks .bug_frames.0-3 (whole entries, -EINVAL) before
// .ex_table, which arm refuses even when empty (:904-925: no CONFIG_HAS_EX_TABLE on arm,
// -EOPNOTSUPP). In both fixtures .ex_table comes first in the file.
TEST_CASE("arm64: .ex_table is -EOPNOTSUPP, checked after the bug frames") {
    hv().reset();
    hv().clear_log();
    CHECK(upload("extable", fixture("hello-extable")) == to_xen_rc(Errc::kEOPNOTSUPP));
    CHECK_MESSAGE(last_log().find(".ex_table") != std::string::npos, last_log());

    const std::vector<uint8_t> f = fixture("hello-extable-bugframe");
    Elf64_Shdr ex{}, bug{};
    REQUIRE(has_section(f, ".ex_table", &ex));
    REQUIRE(has_section(f, ".bug_frames.0", &bug));
    CHECK(ex.sh_offset <= bug.sh_offset);
    CHECK(bug.sh_size == 4);  // not a whole 16-byte arm bug frame
    hv().clear_log();
    CHECK(upload("extable-bugframe", f) == to_xen_rc(Errc::kEINVAL));
    CHECK_MESSAGE(last_log().find(".bug_frames.0") != std::string::npos, last_log());
    xen_livepatch_status st{};
    CHECK(get("extable", &st) == to_xen_rc(Errc::kENOENT));
    CHECK(get("extable-bugframe", &st) == to_xen_rc(Errc::kENOENT));
    hv().reset();
}

}  // TEST_SUITE
