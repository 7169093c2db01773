// Corruptors of the ELF structure of the valid payload: the ELF header, section headers, string
// and symbol tables, symbols, relocations and section permissions. Each names Xen 4.17's errno
// (livepatch_elf.c, arch/x86/livepatch.c, livepatch.c move_payload); loader_malformed_test.cc
// runs them.
#include <elf.h>

#include <vector>

#include "support/elf_builder.h"

namespace livepatch::test {

namespace {

using Naming = MalformedCase::Naming;

MalformedCase header(const char* id, Errc code, std::function<void(Elf64_Ehdr&)> f) {
    MalformedCase c = expect_case(id, code, Subject::header, Naming::none);
    c.edit_image = [f](ElfImage& img) { img.edit_ehdr(f); };
    return c;
}

MalformedCase image(const char* id, Errc code, Subject s, Naming n, std::string at, std::function<void(ElfImage&)> f) {
    MalformedCase c = expect_case(id, code, s, n, std::move(at));
    c.edit_image = std::move(f);
    return c;
}

MalformedCase builder(const char* id, Errc code, Subject s, Naming n, std::string at,
                      std::function<void(ElfBuilder&)> f) {
    MalformedCase c = expect_case(id, code, s, n, std::move(at));
    c.edit_builder = std::move(f);
    return c;
}

// A corruption of one section header; the error names the section by index (the section name
// table is not trusted yet when these checks run).
MalformedCase shdr(const char* id, Errc code, const std::string& section, std::function<void(Elf64_Shdr&)> f) {
    return image(id, code, Subject::section, Naming::by_index, section,
                 [section, f](ElfImage& img) { img.edit_shdr(img.section_index(section), f); });
}

// Same, but at a stage where the section name is known and printed.
MalformedCase named_shdr(const char* id, Errc code, const std::string& section, std::function<void(Elf64_Shdr&)> f) {
    return image(id, code, Subject::section, Naming::by_name, section,
                 [section, f](ElfImage& img) { img.edit_shdr(img.section_index(section), f); });
}

// Overwrites one byte of a section's data; negative offsets count from the end.
MalformedCase poke_byte(const char* id, const std::string& section, int64_t off, uint8_t value) {
    return image(id, Errc::kEINVAL, Subject::section, Naming::by_index, section, [=](ElfImage& img) {
        const uint32_t i = img.section_index(section);
        const uint64_t at = off >= 0 ? static_cast<uint64_t>(off) : img.shdr(i).sh_size + off;
        img.poke_value(i, at, value);
    });
}

// A corruption of entry `entry` of a relocation section; the error names that section.
MalformedCase rela(const char* id, Errc code, const std::string& rela_section, uint32_t entry,
                   std::function<void(Elf64_Rela&, const ElfImage&)> f) {
    return image(id, code, Subject::relocation, Naming::by_name, rela_section, [=](ElfImage& img) {
        img.edit_rela(img.section_index(rela_section), entry, [&](Elf64_Rela& r) { f(r, img); });
    });
}

void set_type(Elf64_Rela& r, uint32_t type) {
    r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), type);
}
void set_sym(Elf64_Rela& r, uint32_t sym) {
    r.r_info = ELF64_R_INFO(sym, ELF64_R_TYPE(r.r_info));
}

const char* const kFuncs = ".livepatch.funcs";
const char* const kRelaFuncs = ".rela.livepatch.funcs";
const char* const kText = ".text.xen_extra_version";
const char* const kRelaText = ".rela.text.xen_extra_version";

void add_header_cases(std::vector<MalformedCase>& v) {
    v.push_back(image("ehdr-truncated-to-63-bytes", Errc::kEINVAL, Subject::header, Naming::none, "",
                      [](ElfImage& img) { img.bytes.resize(sizeof(Elf64_Ehdr) - 1); }));
    v.push_back(header("ehdr-bad-magic", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_ident[EI_MAG1] = 'X'; }));
    v.push_back(header("ehdr-class32", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_ident[EI_CLASS] = ELFCLASS32; }));
    v.push_back(header("ehdr-big-endian", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_ident[EI_DATA] = ELFDATA2MSB; }));
    v.push_back(header("ehdr-e_version-none", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_version = EV_NONE; }));
    v.push_back(header("ehdr-ei_version-2", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_ident[EI_VERSION] = 2; }));
    v.push_back(header("ehdr-abiversion-1", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_ident[EI_ABIVERSION] = 1; }));
    v.push_back(header("ehdr-osabi-gnu", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_ident[EI_OSABI] = ELFOSABI_GNU; }));
    v.push_back(header("ehdr-type-exec", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_type = ET_EXEC; }));
    v.push_back(header("ehdr-type-dyn", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_type = ET_DYN; }));
    v.push_back(header("ehdr-phnum-1", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_phnum = 1; }));
    v.push_back(header("ehdr-machine-aarch64", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_machine = EM_AARCH64; }));
    v.push_back(header("ehdr-shstrndx-undef", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shstrndx = SHN_UNDEF; }));
    v.push_back(header("ehdr-shstrndx-past-end", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shstrndx = h.e_shnum; }));
    v.push_back(header("ehdr-shnum-1024", Errc::kEOPNOTSUPP, [](Elf64_Ehdr& h) { h.e_shnum = 1024; }));
    v.push_back(image("ehdr-shoff-at-end-of-file", Errc::kEINVAL, Subject::header, Naming::none, "", [](ElfImage& img) {
        const uint64_t size = img.size();
        img.edit_ehdr([size](Elf64_Ehdr& h) { h.e_shoff = size; });
    }));
    v.push_back(header("ehdr-shoff-huge", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shoff = 1ull << 63; }));
    v.push_back(
        header("ehdr-shentsize-63", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shentsize = sizeof(Elf64_Shdr) - 1; }));
    v.push_back(header("ehdr-shentsize-0", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shentsize = 0; }));
    v.push_back(header("ehdr-shnum-past-table", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shnum += 1; }));
    v.push_back(header("ehdr-shentsize-128-past-end", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shentsize = 128; }));
    v.push_back(header("ehdr-shoff-plus-8", Errc::kEINVAL, [](Elf64_Ehdr& h) { h.e_shoff += 8; }));
    v.push_back(image("ehdr-table-truncated", Errc::kEINVAL, Subject::header, Naming::none, "",
                      [](ElfImage& img) { img.bytes.pop_back(); }));
}

void add_section_cases(std::vector<MalformedCase>& v) {
    v.push_back(shdr("sec-offset-0", Errc::kEINVAL, kFuncs, [](Elf64_Shdr& s) { s.sh_offset = 0; }));
    v.push_back(shdr("sec-offset-in-ehdr", Errc::kEINVAL, ".rodata.str", [](Elf64_Shdr& s) { s.sh_offset = 63; }));
    v.push_back(
        image("sec-data-past-end", Errc::kEINVAL, Subject::section, Naming::by_index, kFuncs, [](ElfImage& img) {
            const uint64_t size = img.size();
            img.edit_shdr(img.section_index(kFuncs), [size](Elf64_Shdr& s) { s.sh_size = size; });
        }));
    v.push_back(image(
        "sec-offset-past-end", Errc::kEINVAL, Subject::section, Naming::by_index, ".rodata.str", [](ElfImage& img) {
            const uint64_t size = img.size();
            img.edit_shdr(img.section_index(".rodata.str"), [size](Elf64_Shdr& s) { s.sh_offset = size + 1; });
        }));
    v.push_back(shdr("sec-size-wraps", Errc::kEINVAL, ".rodata.str", [](Elf64_Shdr& s) { s.sh_size = ~0ull - 32; }));
    v.push_back(shdr("sec-addr-misaligned", Errc::kEINVAL, kText, [](Elf64_Shdr& s) { s.sh_addr = 4; }));
    v.push_back(builder(
        "sec-bss-over-2mib", Errc::kEINVAL, Subject::section, Naming::by_index, ".bss",
        [](ElfBuilder& b) { b.add_section(".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 8).nobits(kMaxBssSize + 1); }));
    v.push_back(builder("sec-ro-nobits-over-2mib", Errc::kEINVAL, Subject::section, Naming::by_index, ".lp.zeroes",
                        [](ElfBuilder& b) { b.add_section(".lp.zeroes", SHT_NOBITS, SHF_ALLOC, 8).nobits(3u << 20); }));
    v.push_back(
        builder("sec-two-symtabs", Errc::kEOPNOTSUPP, Subject::section, Naming::by_index, ".symtab", [](ElfBuilder& b) {
            b.add_section(".symtab.extra", SHT_SYMTAB, 0, 8).entsize(24).link(1).data(std::vector<uint8_t>(48, 0));
        }));
    v.push_back(image("sec-no-symtab", Errc::kEINVAL, Subject::header, Naming::none, "", [](ElfImage& img) {
        img.edit_shdr(img.section_index(".symtab"), [](Elf64_Shdr& s) { s.sh_type = SHT_PROGBITS; });
    }));
    v.push_back(shdr("symtab-empty", Errc::kEINVAL, ".symtab", [](Elf64_Shdr& s) { s.sh_size = 0; }));
    v.push_back(shdr("symtab-entsize-16", Errc::kEINVAL, ".symtab", [](Elf64_Shdr& s) { s.sh_entsize = 16; }));
    v.push_back(shdr("symtab-entsize-0", Errc::kEINVAL, ".symtab", [](Elf64_Shdr& s) { s.sh_entsize = 0; }));
    v.push_back(shdr("symtab-size-not-multiple", Errc::kEINVAL, ".symtab", [](Elf64_Shdr& s) { s.sh_size -= 1; }));
    v.push_back(
        image("symtab-link-past-end", Errc::kEINVAL, Subject::section, Naming::by_index, ".symtab", [](ElfImage& img) {
            const uint32_t n = img.section_count();
            img.edit_shdr(img.section_index(".symtab"), [n](Elf64_Shdr& s) { s.sh_link = n; });
        }));
    v.push_back(image("symtab-link-null", Errc::kEINVAL, Subject::section, Naming::by_index, "", [](ElfImage& img) {
        img.edit_shdr(img.section_index(".symtab"), [](Elf64_Shdr& s) { s.sh_link = 0; });
    }));
    v.push_back(image("symtab-link-not-strtab", Errc::kEINVAL, Subject::section, Naming::by_index, ".rodata.str",
                      [](ElfImage& img) {
                          const uint32_t ro = img.section_index(".rodata.str");
                          img.edit_shdr(img.section_index(".symtab"), [ro](Elf64_Shdr& s) { s.sh_link = ro; });
                      }));
    for (const char* t : {".strtab", ".shstrtab"}) {
        const bool sh = t[1] == 's' && t[2] == 'h';
        v.push_back(shdr(sh ? "shstrtab-type-progbits" : "strtab-type-progbits", Errc::kEINVAL, t,
                         [](Elf64_Shdr& s) { s.sh_type = SHT_PROGBITS; }));
        v.push_back(
            shdr(sh ? "shstrtab-empty" : "strtab-empty", Errc::kEINVAL, t, [](Elf64_Shdr& s) { s.sh_size = 0; }));
        v.push_back(poke_byte(sh ? "shstrtab-no-leading-nul" : "strtab-no-leading-nul", t, 0, 'x'));
        v.push_back(poke_byte(sh ? "shstrtab-no-trailing-nul" : "strtab-no-trailing-nul", t, -1, 'x'));
    }
    v.push_back(
        image("sec-name-out-of-range", Errc::kEINVAL, Subject::section, Naming::by_index, kFuncs, [](ElfImage& img) {
            const uint64_t size = img.shdr(img.section_index(".shstrtab")).sh_size;
            img.edit_shdr(img.section_index(kFuncs),
                          [size](Elf64_Shdr& s) { s.sh_name = static_cast<uint32_t>(size); });
        }));
    v.push_back(shdr("sec-name-huge", Errc::kEINVAL, kText, [](Elf64_Shdr& s) { s.sh_name = 0xffffffffu; }));
    v.push_back(image("sym-name-out-of-range", Errc::kEINVAL, Subject::symbol, Naming::by_index, "xen_extra_version",
                      [](ElfImage& img) {
                          const uint64_t size = img.shdr(img.section_index(".strtab")).sh_size;
                          img.edit_symbol(img.symbol_index("xen_extra_version"),
                                          [size](Elf64_Sym& s) { s.st_name = static_cast<uint32_t>(size); });
                      }));
    v.push_back(
        named_shdr("sec-write-and-exec", Errc::kEOPNOTSUPP, kText, [](Elf64_Shdr& s) { s.sh_flags |= SHF_WRITE; }));
}

void add_symbol_cases(std::vector<MalformedCase>& v) {
    v.push_back(
        builder("sym-common", Errc::kEINVAL, Subject::symbol, Naming::by_name, "lp_common_counter",
                [](ElfBuilder& b) { b.add_symbol("lp_common_counter").in(SHN_COMMON).size(8).value(8).object(); }));
    v.push_back(builder("sym-undefined-unknown", Errc::kENOENT, Subject::symbol, Naming::by_name,
                        "no_such_hypervisor_symbol", [](ElfBuilder& b) { b.add_symbol("no_such_hypervisor_symbol"); }));
    v.push_back(builder("sym-shndx-loproc", Errc::kEOPNOTSUPP, Subject::symbol, Naming::by_name, "lp_reserved",
                        [](ElfBuilder& b) { b.add_symbol("lp_reserved").in(SHN_LOPROC).object(); }));
    v.push_back(builder("sym-shndx-xindex", Errc::kEOPNOTSUPP, Subject::symbol, Naming::by_name, "lp_xindex",
                        [](ElfBuilder& b) { b.add_symbol("lp_xindex").in(SHN_XINDEX).object(); }));
    v.push_back(image("sym-shndx-past-end", Errc::kEINVAL, Subject::symbol, Naming::by_name, "xen_extra_version",
                      [](ElfImage& img) {
                          const uint16_t n = static_cast<uint16_t>(img.section_count());
                          img.edit_symbol(img.symbol_index("xen_extra_version"), [n](Elf64_Sym& s) { s.st_shndx = n; });
                      }));
}

void add_relocation_cases(std::vector<MalformedCase>& v) {
    v.push_back(
        image("rela-link-not-symtab", Errc::kEINVAL, Subject::section, Naming::by_name, kRelaFuncs, [](ElfImage& img) {
            const uint32_t strtab = img.section_index(".strtab");
            img.edit_shdr(img.section_index(kRelaFuncs), [strtab](Elf64_Shdr& s) { s.sh_link = strtab; });
        }));
    v.push_back(
        named_shdr("rela-as-sht-rel", Errc::kEOPNOTSUPP, kRelaFuncs, [](Elf64_Shdr& s) { s.sh_type = SHT_REL; }));
    v.push_back(named_shdr("rela-entsize-16", Errc::kEINVAL, kRelaText, [](Elf64_Shdr& s) { s.sh_entsize = 16; }));
    v.push_back(named_shdr("rela-size-not-multiple", Errc::kEINVAL, kRelaFuncs, [](Elf64_Shdr& s) { s.sh_size -= 8; }));
    v.push_back(rela("rela-stn-undef", Errc::kEOPNOTSUPP, kRelaFuncs, 1,
                     [](Elf64_Rela& r, const ElfImage&) { set_sym(r, STN_UNDEF); }));
    v.push_back(rela("rela-symbol-past-end", Errc::kEINVAL, kRelaFuncs, 1,
                     [](Elf64_Rela& r, const ElfImage& img) { set_sym(r, img.symbol_count()); }));
    MalformedCase c =
        expect_case("rela-symbol-not-loaded", Errc::kEINVAL, Subject::relocation, Naming::by_name, kRelaFuncs);
    c.edit_builder = [](ElfBuilder& b) {
        auto comment =
            b.add_section(".comment", SHT_PROGBITS, SHF_MERGE | SHF_STRINGS, 1).str_data(std::string("GCC\0", 4));
        const uint32_t sym = b.add_symbol("lp_comment").in(comment).local();
        Elf64_Rela& r = b.rela(b.section(kFuncs), 1);  // new_addr
        r.r_info = ELF64_R_INFO(sym, R_X86_64_64);
    };
    v.push_back(std::move(c));
    v.push_back(rela("rela-64-offset-past-end", Errc::kEINVAL, kRelaFuncs, 1,
                     [](Elf64_Rela& r, const ElfImage&) { r.r_offset = sizeof(livepatch_func) - 4; }));
    v.push_back(rela("rela-64-offset-huge", Errc::kEINVAL, kRelaFuncs, 0,
                     [](Elf64_Rela& r, const ElfImage&) { r.r_offset = 1ull << 40; }));
    v.push_back(rela("rela-pc32-offset-past-end", Errc::kEINVAL, kRelaText, 0,
                     [](Elf64_Rela& r, const ElfImage&) { r.r_offset = 13; }));
    v.push_back(rela("rela-pc32-overflow", Errc::kEOVERFLOW, kRelaText, 0,
                     [](Elf64_Rela& r, const ElfImage&) { r.r_addend = int64_t{1} << 40; }));
    v.push_back(rela("rela-plt32-overflow", Errc::kEOVERFLOW, kRelaText, 1,
                     [](Elf64_Rela& r, const ElfImage&) { r.r_addend = -(int64_t{1} << 40); }));
    v.push_back(rela("rela-type-32", Errc::kEOPNOTSUPP, kRelaText, 0,
                     [](Elf64_Rela& r, const ElfImage&) { set_type(r, R_X86_64_32); }));
    v.push_back(rela("rela-type-32s", Errc::kEOPNOTSUPP, kRelaText, 0,
                     [](Elf64_Rela& r, const ElfImage&) { set_type(r, R_X86_64_32S); }));
    v.push_back(rela("rela-type-gotpcrel", Errc::kEOPNOTSUPP, kRelaText, 1,
                     [](Elf64_Rela& r, const ElfImage&) { set_type(r, R_X86_64_GOTPCREL); }));
}

void add_defect_cases(std::vector<MalformedCase>& v) {
    MalformedCase c =
        shdr("sec-align-not-power-of-two", Errc::kEOPNOTSUPP, kText, [](Elf64_Shdr& s) { s.sh_addralign = 3; });
    c.defect =
        "Xen's elf_resolve_sections returns -EOPNOTSUPP for an sh_addralign that is not a power of two; "
        "the loader returns -EINVAL";
    v.push_back(std::move(c));

    c = builder("sec-write-nobits-over-2mib", Errc::kEINVAL, Subject::section, Naming::by_index, ".lp.scratch",
                [](ElfBuilder& b) { b.add_section(".lp.scratch", SHT_NOBITS, SHF_WRITE, 8).nobits(3u << 20); });
    c.defect =
        "Xen limits every NOBITS section with SHF_WRITE or SHF_ALLOC to 2 MiB (-EINVAL); the loader "
        "checks only SHF_ALLOC ones and accepts a 3 MiB SHF_WRITE-only NOBITS section";
    v.push_back(std::move(c));

    c = expect_case("rela-empty-entsize-0", Errc::ok, Subject::none, Naming::none);
    c.edit_builder = [](ElfBuilder& b) {
        b.add_section(".rela.rodata.str", SHT_RELA, SHF_INFO_LINK, 8).info(b.section(".rodata.str"));
    };
    c.defect =
        "Xen skips an empty relocation section before checking sh_entsize; the loader rejects an empty "
        "SHT_RELA section with sh_entsize 0 (-EINVAL)";
    v.push_back(std::move(c));

    c = expect_case("rel-empty", Errc::ok, Subject::none, Naming::none);
    c.edit_builder = [](ElfBuilder& b) {
        b.add_section(".rel.rodata.str", SHT_REL, SHF_INFO_LINK, 8).entsize(16).info(b.section(".rodata.str"));
    };
    c.defect = "Xen skips an empty SHT_REL section; the loader rejects it (-EOPNOTSUPP)";
    v.push_back(std::move(c));

    c = expect_case("rel-entsize-8", Errc::kEINVAL, Subject::section, Naming::by_name, ".rel.rodata.str");
    c.edit_builder = [](ElfBuilder& b) {
        b.add_section(".rel.rodata.str", SHT_REL, SHF_INFO_LINK, 8)
            .entsize(8)
            .info(b.section(".rodata.str"))
            .data(std::vector<uint8_t>(16, 0));
    };
    c.defect =
        "Xen checks sh_entsize >= sizeof(Elf64_Rel) (-EINVAL) before refusing SHT_REL; the loader "
        "returns -EOPNOTSUPP first";
    v.push_back(std::move(c));
}

}  // namespace

std::vector<MalformedCase> malformed_elf_cases() {
    std::vector<MalformedCase> v;
    add_header_cases(v);
    add_section_cases(v);
    add_symbol_cases(v);
    add_relocation_cases(v);
    add_defect_cases(v);
    return v;
}

}  // namespace livepatch::test
