#include "core/elf/elf_view.h"

#include <string.h>

#include "core/elf/xen_arch_rules.h"
#include "core/support/checked.h"
#include "core/support/cstring.h"

namespace livepatch {

namespace {

// A string table as Xen requires it: SHT_STRTAB, non-empty, NUL first and last.
bool strtab_ok(const ElfSection& s) noexcept {
    return s.hdr.sh_type == SHT_STRTAB && s.hdr.sh_size != 0 && s.data[0] == '\0' &&
           s.data[s.hdr.sh_size - 1] == '\0';
}

}  // namespace

Error ElfView::err(Errc code, const char* rule) const noexcept {
    Error e(code, rule);
    e.payload(m_payload_name);
    return e;
}

Result<ElfView> ElfView::parse(Bytes file, uint16_t machine, const char* payload_name) noexcept {
    ElfView v;
    v.m_file = file;
    v.m_machine = machine;
    v.m_payload_name = payload_name;
    LP_CHECK(v.check_header());
    LP_CHECK(v.resolve_sections());
    LP_CHECK(v.resolve_section_names());
    LP_CHECK(v.check_symbols());
    return v;
}

Status ElfView::check_header() noexcept {
    if (m_file.size() < sizeof(Elf64_Ehdr))
        return err(Errc::kEINVAL, "file is smaller than an ELF header").header().value(m_file.size());
    memcpy(&m_ehdr, m_file.data(), sizeof(m_ehdr));
    const Elf64_Ehdr& h = m_ehdr;

    if (memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
        return err(Errc::kEINVAL, "not an ELF file (bad magic)").header();

    if (h.e_version != EV_CURRENT)
        return err(Errc::kEOPNOTSUPP, "e_version is not EV_CURRENT").header().value(h.e_version);
    if (h.e_ident[EI_VERSION] != EV_CURRENT)
        return err(Errc::kEOPNOTSUPP, "EI_VERSION is not EV_CURRENT").header().value(h.e_ident[EI_VERSION]);
    if (h.e_ident[EI_ABIVERSION] != 0)
        return err(Errc::kEOPNOTSUPP, "EI_ABIVERSION is not 0").header().value(h.e_ident[EI_ABIVERSION]);
    if (h.e_ident[EI_OSABI] != ELFOSABI_NONE && h.e_ident[EI_OSABI] != ELFOSABI_FREEBSD)
        return err(Errc::kEOPNOTSUPP, "EI_OSABI is neither NONE nor FreeBSD").header().value(h.e_ident[EI_OSABI]);
    if (h.e_type != ET_REL)
        return err(Errc::kEOPNOTSUPP, "not a relocatable object (e_type is not ET_REL)").header().value(h.e_type);
    if (h.e_phnum != 0)
        return err(Errc::kEOPNOTSUPP, "relocatable payload has program headers (e_phnum is not 0)")
            .header()
            .value(h.e_phnum);

    // Xen's arch_livepatch_verify_elf: machine, class and, on x86 only, byte order.
    if (h.e_machine != m_machine)
        return err(Errc::kEOPNOTSUPP, "unsupported ELF machine for this hypervisor").header().value(h.e_machine);
    if (h.e_ident[EI_CLASS] != ELFCLASS64)
        return err(Errc::kEOPNOTSUPP, "not ELFCLASS64").header().value(h.e_ident[EI_CLASS]);
    if (requires_lsb(m_machine) && h.e_ident[EI_DATA] != ELFDATA2LSB)
        return err(Errc::kEOPNOTSUPP, "not little-endian (ELFDATA2LSB)").header().value(h.e_ident[EI_DATA]);

    if (h.e_shstrndx == SHN_UNDEF)
        return err(Errc::kEINVAL, "section name string table index (e_shstrndx) is SHN_UNDEF").header();
    if (h.e_shnum >= kMaxSections)
        return err(Errc::kEOPNOTSUPP, "too many sections (e_shnum must be below 1024)").header().value(h.e_shnum);
    if (h.e_shstrndx >= h.e_shnum)
        return err(Errc::kEINVAL, "e_shstrndx is past the last section").header().value(h.e_shstrndx);
    if (h.e_shoff >= m_file.size())
        return err(Errc::kEINVAL, "section header table offset (e_shoff) is past the end of the file")
            .header()
            .value(h.e_shoff);
    if (h.e_shentsize < sizeof(Elf64_Shdr))
        return err(Errc::kEINVAL, "section header entry size (e_shentsize) is smaller than Elf64_Shdr")
            .header()
            .value(h.e_shentsize);
    if ((m_file.size() - h.e_shoff) / h.e_shentsize < h.e_shnum)
        return err(Errc::kEINVAL, "section header table extends past the end of the file").header().value(h.e_shnum);
    return success();
}

Status ElfView::resolve_sections() noexcept {
    const Elf64_Ehdr& h = m_ehdr;
    m_sections = LP_TRY(OwnedArray<ElfSection>::make(h.e_shnum));
    const uint64_t len = m_file.size();

    for (uint32_t i = 1; i < h.e_shnum; ++i) {
        ElfSection& s = m_sections[i];
        // Bounded by the header check: e_shoff + e_shnum * e_shentsize <= len.
        memcpy(&s.hdr, m_file.data() + h.e_shoff + static_cast<uint64_t>(i) * h.e_shentsize, sizeof(s.hdr));
        const Elf64_Shdr& sh = s.hdr;

        if (sh.sh_offset < sizeof(Elf64_Ehdr))
            return err(Errc::kEINVAL, "section data overlaps the ELF header").section(i, nullptr).value(sh.sh_offset);
        if (sh.sh_type != SHT_NOBITS && !range_within(sh.sh_offset, sh.sh_size, len))
            return err(Errc::kEINVAL, "section data extends past the end of the file")
                .section(i, nullptr)
                .value(sh.sh_offset);
        if (sh.sh_addralign != 0 && !is_power_of_two(sh.sh_addralign))
            return err(Errc::kEOPNOTSUPP, "section alignment is not a power of two")
                .section(i, nullptr)
                .value(sh.sh_addralign);
        if (sh.sh_addralign > 1 && (sh.sh_addr & (sh.sh_addralign - 1)))
            return err(Errc::kEINVAL, "section address is not aligned to its sh_addralign")
                .section(i, nullptr)
                .value(sh.sh_addr);
        if (sh.sh_type == SHT_NOBITS && (sh.sh_flags & (SHF_ALLOC | SHF_WRITE)) && sh.sh_size > kMaxBssSize)
            return err(Errc::kEINVAL, "allocated or writable NOBITS section is larger than 2 MiB")
                .section(i, nullptr)
                .value(sh.sh_size);

        s.data = sh.sh_type == SHT_NOBITS ? nullptr : m_file.data() + sh.sh_offset;

        if (sh.sh_type == SHT_SYMTAB) {
            if (m_symtab)
                return err(Errc::kEOPNOTSUPP, "more than one symbol table").section(i, nullptr);
            m_symtab = i;
            if (sh.sh_link >= h.e_shnum)
                return err(Errc::kEINVAL, "symbol table's string table index (sh_link) is past the last section")
                    .section(i, nullptr)
                    .value(sh.sh_link);
        }
    }

    if (!m_symtab)
        return err(Errc::kEINVAL, "no symbol table (SHT_SYMTAB)").header();

    const Elf64_Shdr& st = m_sections[m_symtab].hdr;
    if (st.sh_size == 0)
        return err(Errc::kEINVAL, "symbol table is empty").section(m_symtab, nullptr);
    if (st.sh_entsize < sizeof(Elf64_Sym))
        return err(Errc::kEINVAL, "symbol table entry size is smaller than Elf64_Sym")
            .section(m_symtab, nullptr)
            .value(st.sh_entsize);
    if (st.sh_size % st.sh_entsize)
        return err(Errc::kEINVAL, "symbol table size is not a multiple of its entry size")
            .section(m_symtab, nullptr)
            .value(st.sh_size);

    m_strtab = st.sh_link;
    if (m_strtab == 0 || !strtab_ok(m_sections[m_strtab]))
        return err(Errc::kEINVAL, "symbol string table is not a non-empty SHT_STRTAB with NUL at both ends")
            .section(m_strtab, nullptr);
    m_nsym = static_cast<uint32_t>(st.sh_size / st.sh_entsize);
    if (m_nsym != st.sh_size / st.sh_entsize)
        return err(Errc::kEINVAL, "symbol table has too many entries").section(m_symtab, nullptr).value(st.sh_size);
    return success();
}

Status ElfView::resolve_section_names() noexcept {
    const uint32_t shstrndx = m_ehdr.e_shstrndx;
    const ElfSection& names = m_sections[shstrndx];
    if (!strtab_ok(names))
        return err(Errc::kEINVAL, "section name string table is not a non-empty SHT_STRTAB with NUL at both ends")
            .section(shstrndx, nullptr);

    for (uint32_t i = 1; i < m_ehdr.e_shnum; ++i) {
        ElfSection& s = m_sections[i];
        if (s.hdr.sh_name >= names.hdr.sh_size)
            return err(Errc::kEINVAL, "section name offset is outside the section name string table")
                .section(i, nullptr)
                .value(s.hdr.sh_name);
        s.name = reinterpret_cast<const char*>(names.data) + s.hdr.sh_name;
    }

    size_t cap = 16;
    while (cap < 2u * m_ehdr.e_shnum)
        cap *= 2;
    m_name_index = LP_TRY(OwnedArray<uint16_t>::make(cap));
    for (uint32_t i = 1; i < m_ehdr.e_shnum; ++i) {
        size_t b = str_hash(m_sections[i].name) & (cap - 1);
        bool seen = false;
        while (m_name_index[b] && !(seen = str_eq(m_sections[m_name_index[b]].name, m_sections[i].name)))
            b = (b + 1) & (cap - 1);
        if (!seen)
            m_name_index[b] = static_cast<uint16_t>(i);  // the first section of each name
    }
    return success();
}

Status ElfView::check_symbols() noexcept {
    const ElfSection& strtab = m_sections[m_strtab];
    for (uint32_t i = 1; i < m_nsym; ++i) {
        const Elf64_Sym sym = symbol(i);
        if (sym.st_name >= strtab.hdr.sh_size)
            return err(Errc::kEINVAL, "symbol name offset is outside the string table").symbol(i, nullptr).value(sym.st_name);
    }
    return success();
}

uint32_t ElfView::find_section(const char* name) const noexcept {
    const size_t cap = m_name_index.size();
    if (!cap)
        return 0;
    for (size_t b = str_hash(name) & (cap - 1); m_name_index[b]; b = (b + 1) & (cap - 1)) {
        if (str_eq(m_sections[m_name_index[b]].name, name))
            return m_name_index[b];
    }
    return 0;
}

Elf64_Sym ElfView::symbol(uint32_t i) const noexcept {
    const ElfSection& st = m_sections[m_symtab];
    Elf64_Sym sym;
    memcpy(&sym, st.data + static_cast<uint64_t>(i) * st.hdr.sh_entsize, sizeof(sym));
    return sym;
}

const char* ElfView::symbol_name(uint32_t i) const noexcept {
    return reinterpret_cast<const char*>(m_sections[m_strtab].data) + symbol(i).st_name;
}

}  // namespace livepatch
