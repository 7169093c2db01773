#include "support/elf_builder.h"

#include <algorithm>

#include "support/test_port.h"

namespace livepatch::test {

namespace {

uint64_t round_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

template <class T>
void append_value(std::vector<uint8_t>& out, const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
}

void pad4(std::vector<uint8_t>& out) {
    while (out.size() % 4) out.push_back(0);
}

}  // namespace

// --- ElfImage ---------------------------------------------------------------------------------

uint32_t ElfImage::section_index(const std::string& name) const {
    for (uint32_t i = 1; i < m_section_names.size(); ++i) {
        if (m_section_names[i] == name) return i;
    }
    throw std::out_of_range("no section " + name);
}

uint32_t ElfImage::symbol_index(const std::string& name) const {
    for (uint32_t i = 1; i < m_symbol_names.size(); ++i) {
        if (m_symbol_names[i] == name) return i;
    }
    throw std::out_of_range("no symbol " + name);
}

uint32_t ElfImage::section_symbol_index(uint32_t section) const {
    if (section >= m_section_symbols.size() || m_section_symbols[section] < 0)
        throw std::out_of_range("no section symbol for section " + std::to_string(section));
    return static_cast<uint32_t>(m_section_symbols[section]);
}

uint64_t ElfImage::symbol_offset(uint32_t symbol) const {
    return m_data_offsets.at(m_symtab) + uint64_t{symbol} * sizeof(Elf64_Sym);
}

uint64_t ElfImage::rela_offset(uint32_t rela_section, uint32_t entry) const {
    return data_offset(rela_section) + uint64_t{entry} * sizeof(Elf64_Rela);
}

void ElfImage::poke(uint32_t section, uint64_t off, const void* data, size_t len) {
    const uint64_t at = data_offset(section) + off;
    check(at, len);
    memcpy(bytes.data() + at, data, len);
}

// --- ElfBuilder::Section / Symbol ---------------------------------------------------------------

ElfBuilder::Section& ElfBuilder::Section::type(uint32_t t) {
    m_builder->def(m_index).hdr.sh_type = t;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::flags(uint64_t f) {
    m_builder->def(m_index).hdr.sh_flags = f;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::data(std::vector<uint8_t> bytes) {
    m_builder->def(m_index).data = std::move(bytes);
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::str_data(const std::string& bytes) {
    return data(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}
ElfBuilder::Section& ElfBuilder::Section::append(const void* p, size_t n) {
    auto& d = m_builder->def(m_index).data;
    d.insert(d.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::nobits(uint64_t size) {
    SectionDef& d = m_builder->def(m_index);
    d.hdr.sh_type = SHT_NOBITS;
    d.hdr.sh_size = size;
    d.data.clear();
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::align(uint64_t a) {
    m_builder->def(m_index).hdr.sh_addralign = a;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::addr(uint64_t a) {
    m_builder->def(m_index).hdr.sh_addr = a;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::link(uint32_t l) {
    m_builder->def(m_index).hdr.sh_link = l;
    m_builder->def(m_index).link_set = true;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::info(uint32_t i) {
    m_builder->def(m_index).hdr.sh_info = i;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::entsize(uint64_t e) {
    m_builder->def(m_index).hdr.sh_entsize = e;
    return *this;
}
ElfBuilder::Section& ElfBuilder::Section::rename(const std::string& name) {
    m_builder->def(m_index).name = name;
    return *this;
}
uint64_t ElfBuilder::Section::size() const {
    const SectionDef& d = m_builder->def(m_index);
    return d.hdr.sh_type == SHT_NOBITS ? d.hdr.sh_size : d.data.size();
}

ElfBuilder::Symbol& ElfBuilder::Symbol::in(uint32_t shndx) {
    m_builder->m_symbols.at(m_id).sym.st_shndx = static_cast<uint16_t>(shndx);
    return *this;
}
ElfBuilder::Symbol& ElfBuilder::Symbol::value(uint64_t v) {
    m_builder->m_symbols.at(m_id).sym.st_value = v;
    return *this;
}
ElfBuilder::Symbol& ElfBuilder::Symbol::size(uint64_t s) {
    m_builder->m_symbols.at(m_id).sym.st_size = s;
    return *this;
}
ElfBuilder::Symbol& ElfBuilder::Symbol::bind(uint8_t b) {
    Elf64_Sym& s = m_builder->m_symbols.at(m_id).sym;
    s.st_info = ELF64_ST_INFO(b, ELF64_ST_TYPE(s.st_info));
    return *this;
}
ElfBuilder::Symbol& ElfBuilder::Symbol::name(const std::string& n) {
    m_builder->m_symbols.at(m_id).name = n;
    return *this;
}
ElfBuilder::Symbol& ElfBuilder::Symbol::type(uint8_t t) {
    Elf64_Sym& s = m_builder->m_symbols.at(m_id).sym;
    s.st_info = ELF64_ST_INFO(ELF64_ST_BIND(s.st_info), t);
    return *this;
}

// --- ElfBuilder ---------------------------------------------------------------------------------

ElfBuilder::ElfBuilder() {
    m_sections.emplace_back();
    m_symbols.emplace_back();
}

ElfBuilder::Section ElfBuilder::add_section(const std::string& name, uint32_t type, uint64_t flags, uint64_t align) {
    SectionDef d;
    d.name = name;
    d.hdr.sh_type = type;
    d.hdr.sh_flags = flags;
    d.hdr.sh_addralign = align;
    m_sections.push_back(std::move(d));
    return Section(this, static_cast<uint32_t>(m_sections.size() - 1));
}

ElfBuilder::Section ElfBuilder::section(const std::string& name) {
    for (uint32_t i = 1; i < m_sections.size(); ++i) {
        if (m_sections[i].name == name) return Section(this, i);
    }
    throw std::out_of_range("no section " + name);
}

ElfBuilder::Section ElfBuilder::section(uint32_t index) {
    def(index);  // bounds check
    return Section(this, index);
}

bool ElfBuilder::has_section(const std::string& name) const {
    for (uint32_t i = 1; i < m_sections.size(); ++i) {
        if (m_sections[i].name == name) return true;
    }
    return false;
}

ElfBuilder::Symbol ElfBuilder::add_symbol(const std::string& name) {
    SymbolDef d;
    d.name = name;
    d.sym.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
    d.sym.st_shndx = SHN_UNDEF;
    m_symbols.push_back(std::move(d));
    return Symbol(this, static_cast<uint32_t>(m_symbols.size() - 1));
}

uint32_t ElfBuilder::symbol_id(const std::string& name) const {
    for (uint32_t i = 1; i < m_symbols.size(); ++i) {
        if (m_symbols[i].name == name && m_symbols[i].section_of < 0) return i;
    }
    throw std::out_of_range("no symbol " + name);
}

uint32_t ElfBuilder::section_symbol(uint32_t section) {
    for (uint32_t i = 1; i < m_symbols.size(); ++i) {
        if (m_symbols[i].section_of == section) return i;
    }
    const uint32_t id = add_symbol("").in(section).type(STT_SECTION).local();
    m_symbols[id].section_of = section;
    return id;
}

uint32_t ElfBuilder::rela_section_for(uint32_t target) {
    for (uint32_t i = 1; i < m_sections.size(); ++i) {
        if (m_sections[i].rela_target == target) return i;
    }
    const std::string name = ".rela" + def(target).name;
    Section s = add_section(name, SHT_RELA, SHF_INFO_LINK, 8).entsize(sizeof(Elf64_Rela)).info(target);
    def(s).rela_target = target;
    return s;
}

ElfBuilder::Section ElfBuilder::add_rela(uint32_t target, uint64_t offset, uint32_t symbol_id, uint32_t type,
                                         int64_t addend) {
    const uint32_t r = rela_section_for(target);
    Elf64_Rela e{};
    e.r_offset = offset;
    e.r_info = ELF64_R_INFO(symbol_id, type);
    e.r_addend = addend;
    def(r).relas.push_back(e);
    return Section(this, r);
}

Elf64_Rela& ElfBuilder::rela(uint32_t target, uint32_t entry) {
    return def(rela_section_for(target)).relas.at(entry);
}

ElfBuilder::Section ElfBuilder::add_note(const std::string& section, const std::vector<uint8_t>& desc, uint32_t type,
                                         const std::string& note_name, uint64_t flags) {
    std::vector<uint8_t> out;
    Elf64_Nhdr n{};
    n.n_namesz = static_cast<uint32_t>(note_name.size() + 1);
    n.n_descsz = static_cast<uint32_t>(desc.size());
    n.n_type = type;
    append_value(out, n);
    out.insert(out.end(), note_name.begin(), note_name.end());
    out.push_back(0);
    pad4(out);
    out.insert(out.end(), desc.begin(), desc.end());
    pad4(out);
    return add_section(section, SHT_NOTE, flags, 4).data(std::move(out));
}

uint64_t ElfBuilder::add_string(const std::string& s) {
    Section strings = has_section(".livepatch.strings") ? section(".livepatch.strings")
                                                        : add_section(".livepatch.strings", SHT_PROGBITS, SHF_ALLOC, 1);
    const uint64_t off = strings.size();
    strings.append(s.c_str(), s.size() + 1);
    return off;
}

uint32_t ElfBuilder::add_func(const Func& f) {
    Section funcs =
        has_section(".livepatch.funcs")
            ? section(".livepatch.funcs")
            : add_section(".livepatch.funcs", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 8).entsize(sizeof(livepatch_func));
    livepatch_func rec;
    memset(&rec, 0, sizeof(rec));
    rec.old_addr = f.old_addr;
    rec.new_size = f.new_size;
    rec.old_size = f.old_size;
    rec.version = f.version;
    const uint64_t at = funcs.size();
    funcs.append(&rec, sizeof(rec));
    if (!f.name.empty()) {
        const uint64_t off = add_string(f.name);
        const uint32_t strsym = section_symbol(section(".livepatch.strings"));
        add_rela(funcs, at + offsetof(livepatch_func, name), strsym, R_X86_64_64, static_cast<int64_t>(off));
    }
    if (!f.new_symbol.empty())
        add_rela(funcs, at + offsetof(livepatch_func, new_addr), symbol_id(f.new_symbol), R_X86_64_64);
    return static_cast<uint32_t>(at / sizeof(livepatch_func));
}

ElfBuilder::Section ElfBuilder::add_hook(const std::string& section_name, const std::string& symbol) {
    Section s =
        has_section(section_name) ? section(section_name) : add_section(section_name, SHT_PROGBITS, SHF_ALLOC, 8);
    const uint64_t at = s.size();
    const uint64_t zero = 0;
    s.append(&zero, sizeof(zero));
    add_rela(s, at, symbol_id(symbol), R_X86_64_64);
    return s;
}

ElfImage ElfBuilder::build() const {
    // Symbols: locals first (ELF requires it; sh_info is the first non-local).
    std::vector<uint32_t> final_index(m_symbols.size(), 0);
    std::vector<uint32_t> order;  // ids in file order, from index 1
    for (int pass = 0; pass < 2; ++pass) {
        for (uint32_t id = 1; id < m_symbols.size(); ++id) {
            const bool local = ELF64_ST_BIND(m_symbols[id].sym.st_info) == STB_LOCAL;
            if (local == (pass == 0)) order.push_back(id);
        }
    }
    uint32_t first_global = static_cast<uint32_t>(order.size() + 1);
    for (uint32_t k = 0; k < order.size(); ++k) {
        final_index[order[k]] = k + 1;
        if (ELF64_ST_BIND(m_symbols[order[k]].sym.st_info) != STB_LOCAL && first_global > k + 1) first_global = k + 1;
    }

    ElfImage img;
    std::vector<SectionDef> secs = m_sections;
    const uint32_t symtab = static_cast<uint32_t>(secs.size());
    const uint32_t strtab = symtab + 1;
    const uint32_t shstrtab = symtab + 2;

    // .strtab and .symtab.
    std::vector<uint8_t> strtab_data(1, 0);
    std::vector<uint8_t> symtab_data(sizeof(Elf64_Sym), 0);
    img.m_symbol_names.assign(1, "");
    img.m_section_symbols.assign(shstrtab + 1, -1);
    for (uint32_t id : order) {
        Elf64_Sym s = m_symbols[id].sym;
        s.st_name = 0;
        if (!m_symbols[id].name.empty()) {
            s.st_name = static_cast<uint32_t>(strtab_data.size());
            strtab_data.insert(strtab_data.end(), m_symbols[id].name.begin(), m_symbols[id].name.end());
            strtab_data.push_back(0);
        }
        append_value(symtab_data, s);
        img.m_symbol_names.push_back(m_symbols[id].name);
        if (m_symbols[id].section_of >= 0)
            img.m_section_symbols.at(static_cast<size_t>(m_symbols[id].section_of)) = final_index[id];
    }

    // Relocation data, with symbol ids mapped to file indices (ids out of range are kept).
    for (SectionDef& d : secs) {
        if ((d.hdr.sh_type == SHT_RELA || d.hdr.sh_type == SHT_REL) && !d.link_set) d.hdr.sh_link = symtab;
        if (d.rela_target < 0) continue;
        d.data.clear();
        for (Elf64_Rela r : d.relas) {
            const uint32_t id = ELF64_R_SYM(r.r_info);
            const uint32_t sym = id < final_index.size() ? final_index[id] : id;
            r.r_info = ELF64_R_INFO(sym, ELF64_R_TYPE(r.r_info));
            append_value(d.data, r);
        }
    }

    SectionDef st;
    st.name = ".symtab";
    st.hdr.sh_type = SHT_SYMTAB;
    st.hdr.sh_link = strtab;
    st.hdr.sh_info = first_global;
    st.hdr.sh_entsize = sizeof(Elf64_Sym);
    st.hdr.sh_addralign = 8;
    st.data = std::move(symtab_data);
    secs.push_back(std::move(st));
    SectionDef str;
    str.name = ".strtab";
    str.hdr.sh_type = SHT_STRTAB;
    str.hdr.sh_addralign = 1;
    str.data = std::move(strtab_data);
    secs.push_back(std::move(str));
    SectionDef shstr;
    shstr.name = ".shstrtab";
    shstr.hdr.sh_type = SHT_STRTAB;
    shstr.hdr.sh_addralign = 1;
    secs.push_back(std::move(shstr));

    std::vector<uint8_t> names(1, 0);
    for (uint32_t i = 1; i < secs.size(); ++i) {
        secs[i].hdr.sh_name = static_cast<uint32_t>(names.size());
        names.insert(names.end(), secs[i].name.begin(), secs[i].name.end());
        names.push_back(0);
    }
    secs[shstrtab].data = std::move(names);

    // Layout.
    uint64_t off = sizeof(Elf64_Ehdr);
    img.m_data_offsets.assign(secs.size(), 0);
    img.m_section_names.assign(1, "");
    for (uint32_t i = 1; i < secs.size(); ++i) {
        Elf64_Shdr& h = secs[i].hdr;
        off = round_up(off, std::clamp<uint64_t>(h.sh_addralign, 1, 64));
        h.sh_offset = off;
        if (h.sh_type != SHT_NOBITS) {
            h.sh_size = secs[i].data.size();
            off += secs[i].data.size();
        }
        img.m_data_offsets[i] = h.sh_offset;
        img.m_section_names.push_back(secs[i].name);
    }
    const uint64_t shoff = round_up(off, 8);
    img.bytes.assign(shoff + secs.size() * sizeof(Elf64_Shdr), 0);

    Elf64_Ehdr eh{};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh.e_type = ET_REL;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_shoff = shoff;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = static_cast<uint16_t>(secs.size());
    eh.e_shstrndx = static_cast<uint16_t>(shstrtab);
    img.put(0, eh);
    for (uint32_t i = 1; i < secs.size(); ++i) {
        if (secs[i].hdr.sh_type != SHT_NOBITS && !secs[i].data.empty())
            memcpy(img.bytes.data() + secs[i].hdr.sh_offset, secs[i].data.data(), secs[i].data.size());
        img.put(shoff + uint64_t{i} * sizeof(Elf64_Shdr), secs[i].hdr);
    }
    img.m_shoff = shoff;
    img.m_symtab = symtab;
    return img;
}

// --- the standard payload -----------------------------------------------------------------------

std::vector<uint8_t> payload_build_id(uint8_t seed) {
    std::vector<uint8_t> id(20);
    for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(0xa0 + seed * 29 + i * 7);
    return id;
}

ElfBuilder::Func standard_func() {
    return {.name = "xen_extra_version", .new_symbol = "xen_extra_version", .new_size = 16, .old_size = 64};
}

ElfBuilder valid_payload_builder(uint8_t seed) {
    return payload_builder({standard_func()}, seed);
}

ElfBuilder payload_builder(const std::vector<ElfBuilder::Func>& funcs, uint8_t seed) {
    ElfBuilder b;
    // lea .rodata.str(%rip),%rax; ret; call printk; ret; int3 padding.
    auto text = b.add_section(".text.xen_extra_version", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16)
                    .data({0x48, 0x8d, 0x05, 0, 0, 0, 0, 0xc3, 0xe8, 0, 0, 0, 0, 0xc3, 0xcc, 0xcc});
    auto rodata =
        b.add_section(".rodata.str", SHT_PROGBITS, SHF_ALLOC, 1).str_data(std::string("4.17-livepatched\0", 17));
    b.add_symbol("xen_extra_version_patch.c").in(SHN_ABS).type(STT_FILE).local();
    b.add_symbol("xen_extra_version").in(text).size(16).func().global();
    const uint32_t printk = b.add_symbol("printk");
    b.add_rela(text, 3, b.section_symbol(rodata), R_X86_64_PC32, -4);
    b.add_rela(text, 9, printk, R_X86_64_PLT32, -4);
    for (const ElfBuilder::Func& f : funcs) b.add_func(f);
    b.add_note(".livepatch.depends", hv().build_id());
    b.add_note(".livepatch.xen_depends", hv().build_id());
    b.add_note(".note.gnu.build-id", payload_build_id(seed));
    return b;
}

ElfImage valid_payload(uint8_t seed) {
    return valid_payload_builder(seed).build();
}

}  // namespace livepatch::test
