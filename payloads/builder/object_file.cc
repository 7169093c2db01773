#include "object_file.h"

#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "../../xl-tool/offline/elf_file.h"
#include "build_error.h"

namespace livepatch::build {

namespace {

uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

}  // namespace

std::vector<uint8_t> build_id_of_note(const std::vector<uint8_t>& note) {
    if (note.size() < 12)
        return {};
    const uint32_t namesz = load_u32(note.data()), descsz = load_u32(note.data() + 4),
                   type = load_u32(note.data() + 8);
    const size_t desc_off = 12 + ((static_cast<size_t>(namesz) + 3) & ~size_t{3});
    if (type != NT_GNU_BUILD_ID || namesz != 4 || memcmp(note.data() + 12, "GNU", 4) != 0 ||
        desc_off + descsz > note.size())
        return {};
    return std::vector<uint8_t>(note.begin() + desc_off, note.begin() + desc_off + descsz);
}

ObjectFile ObjectFile::read(const std::string& path) {
    auto fail = [&](const std::string& why) { throw BuildError(path + ": " + why); };
    ObjectFile o;
    o.m_path = path;
    tool::offline::ElfFile f;
    if (std::string err = f.open(path, ELF_C_READ, "cannot open"); !err.empty())
        throw BuildError(err);
    Elf* const elf = f.elf();
    GElf_Ehdr eh;
    size_t shstrndx = 0, nsections = 0;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
        elf_getshdrstrndx(elf, &shstrndx) != 0 || elf_getshdrnum(elf, &nsections) != 0)
        fail("not an ELF object");
    if (gelf_getclass(elf) != ELFCLASS64 || eh.e_type != ET_REL ||
        (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64))
        fail("not an x86-64 or AArch64 ELF64 relocatable object");
    o.m_machine = eh.e_machine;

    o.m_sections.resize(nsections);
    size_t symtab = 0;
    for (size_t i = 1; i < nsections; ++i) {
        Elf_Scn* scn = elf_getscn(elf, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh))
            fail("unreadable section header " + std::to_string(i));
        ObjSection& s = o.m_sections[i];
        s.index = i;
        const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
        s.name = name ? name : "";
        s.type = sh.sh_type;
        s.flags = sh.sh_flags;
        s.size = sh.sh_size;
        s.link = sh.sh_link;
        s.info = sh.sh_info;
        if (sh.sh_type != SHT_NOBITS && sh.sh_size) {
            Elf_Data* d = elf_rawdata(scn, nullptr);
            if (!d || d->d_size != sh.sh_size)
                fail("section " + s.name + ": data outside the file");
            const auto* b = static_cast<const uint8_t*>(d->d_buf);
            s.bytes.assign(b, b + d->d_size);
        }
        if (sh.sh_type == SHT_SYMTAB)
            symtab = i;
        if (sh.sh_type == SHT_REL)
            o.m_rel_sections.push_back(s.name);
    }
    if (!symtab)
        fail("no symbol table");

    Elf_Scn* sscn = elf_getscn(elf, symtab);
    Elf_Data* sd = elf_getdata(sscn, nullptr);
    const ObjSection& ssec = o.m_sections[symtab];
    const size_t nsyms = sd ? sd->d_size / sizeof(Elf64_Sym) : 0;
    o.m_symbols.resize(nsyms);
    for (size_t i = 0; i < nsyms; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(sd, static_cast<int>(i), &sym))
            fail("unreadable symbol " + std::to_string(i));
        ObjSymbol& s = o.m_symbols[i];
        s.index = i;
        const char* name = elf_strptr(elf, ssec.link, sym.st_name);
        s.name = name ? name : "";
        s.type = GELF_ST_TYPE(sym.st_info);
        s.bind = GELF_ST_BIND(sym.st_info);
        s.visibility = GELF_ST_VISIBILITY(sym.st_other);
        s.shndx = sym.st_shndx;
        s.value = sym.st_value;
        s.size = sym.st_size;
        if (s.type == STT_SECTION && s.shndx < o.m_sections.size())
            s.name = o.m_sections[s.shndx].name;
    }

    for (size_t i = 1; i < nsections; ++i) {
        const ObjSection& rs = o.m_sections[i];
        if (rs.type != SHT_RELA)
            continue;
        Elf_Data* d = elf_getdata(elf_getscn(elf, i), nullptr);
        const size_t n = d ? d->d_size / sizeof(Elf64_Rela) : 0;
        for (size_t k = 0; k < n; ++k) {
            GElf_Rela r;
            if (!gelf_getrela(d, static_cast<int>(k), &r))
                fail("unreadable relocation in " + rs.name);
            o.m_relocs.push_back({rs.info, r.r_offset, static_cast<uint32_t>(GELF_R_TYPE(r.r_info)),
                                  static_cast<size_t>(GELF_R_SYM(r.r_info)), r.r_addend});
        }
    }
    return o;
}

const ObjSection* ObjectFile::section(const std::string& name) const {
    for (const ObjSection& s : m_sections)
        if (s.index && s.name == name)
            return &s;
    return nullptr;
}

const ObjReloc* ObjectFile::relocation_at(size_t section, uint64_t offset) const {
    for (const ObjReloc& r : m_relocs)
        if (r.section == section && r.offset == offset)
            return &r;
    return nullptr;
}

const ObjSymbol* ObjectFile::symbol_covering(size_t section, uint64_t offset) const {
    const ObjSymbol* best = nullptr;
    for (const ObjSymbol& s : m_symbols) {
        if (s.shndx != section || (s.type != STT_FUNC && s.type != STT_OBJECT))
            continue;
        if (offset >= s.value && (offset < s.value + s.size || (s.size == 0 && offset == s.value)))
            if (!best || s.value == offset)
                best = &s;
    }
    return best;
}

std::optional<std::string> ObjectFile::string_at(size_t section, uint64_t offset) const {
    if (section >= m_sections.size())
        return std::nullopt;
    const std::vector<uint8_t>& b = m_sections[section].bytes;
    for (uint64_t i = offset; i < b.size(); ++i)
        if (!b[i])
            return std::string(reinterpret_cast<const char*>(b.data() + offset), i - offset);
    return std::nullopt;
}

std::vector<uint8_t> ObjectFile::build_id() const { return note_build_id(".note.gnu.build-id"); }

std::vector<uint8_t> ObjectFile::note_build_id(const std::string& name) const {
    const ObjSection* s = section(name);
    return s ? build_id_of_note(s->bytes) : std::vector<uint8_t>{};
}

}  // namespace livepatch::build
