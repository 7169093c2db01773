#include "tool/offline_test_elf.h"

#include <elf.h>
#include <string.h>

namespace livepatch::tool::offline::test {

namespace {

template <class T>
void append(std::vector<uint8_t>* out, const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out->insert(out->end(), p, p + sizeof(T));
}

uint32_t add_string(std::vector<uint8_t>* table, const std::string& s) {
    const uint32_t at = static_cast<uint32_t>(table->size());
    table->insert(table->end(), s.begin(), s.end());
    table->push_back(0);
    return at;
}

}  // namespace

std::vector<uint8_t> raw_elf(uint16_t type, uint16_t machine, const std::vector<RawSection>& sections,
                             const std::vector<RawSymbol>& symbols, uint64_t symtab_entsize) {
    std::vector<uint8_t> shstrtab(1, 0), strtab(1, 0), symtab(sizeof(Elf64_Sym), 0);
    uint32_t first_global = 1;
    for (const RawSymbol& s : symbols) {
        Elf64_Sym sym{};
        sym.st_name = add_string(&strtab, s.name);
        sym.st_info = static_cast<unsigned char>(ELF64_ST_INFO(s.bind, s.type));
        sym.st_shndx = s.shndx;
        sym.st_value = s.value;
        sym.st_size = s.size;
        append(&symtab, sym);
        if (s.bind == STB_LOCAL && first_global == symtab.size() / sizeof(Elf64_Sym) - 1)
            ++first_global;
    }

    std::vector<uint8_t> out(sizeof(Elf64_Ehdr), 0);
    std::vector<Elf64_Shdr> shdrs(1, Elf64_Shdr{});
    for (const RawSection& s : sections) {
        Elf64_Shdr h{};
        h.sh_name = add_string(&shstrtab, s.name);
        h.sh_type = s.type;
        h.sh_flags = s.flags;
        h.sh_addr = s.addr;
        h.sh_offset = out.size();
        h.sh_size = s.size;
        h.sh_addralign = 1;
        out.insert(out.end(), s.data.begin(), s.data.end());
        shdrs.push_back(h);
    }
    const uint32_t nuser = static_cast<uint32_t>(sections.size());
    auto add_table = [&](const char* name, uint32_t t, const std::vector<uint8_t>& bytes, uint32_t link,
                         uint32_t info, uint64_t entsize) {
        Elf64_Shdr h{};
        h.sh_name = add_string(&shstrtab, name);
        h.sh_type = t;
        h.sh_offset = out.size();
        h.sh_size = bytes.size();
        h.sh_link = link;
        h.sh_info = info;
        h.sh_entsize = entsize;
        h.sh_addralign = 1;
        out.insert(out.end(), bytes.begin(), bytes.end());
        shdrs.push_back(h);
    };
    add_table(".symtab", SHT_SYMTAB, symtab, nuser + 2, first_global, symtab_entsize);
    add_table(".strtab", SHT_STRTAB, strtab, 0, 0, 0);
    const uint32_t shstrndx = nuser + 3;
    // add_table names the section before it copies the bytes: .shstrtab holds its own name.
    add_table(".shstrtab", SHT_STRTAB, shstrtab, 0, 0, 0);

    while (out.size() % 8)
        out.push_back(0);
    Elf64_Ehdr eh{};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = type;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_shoff = out.size();
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = static_cast<uint16_t>(shdrs.size());
    eh.e_shstrndx = static_cast<uint16_t>(shstrndx);
    memcpy(out.data(), &eh, sizeof(eh));
    for (const Elf64_Shdr& h : shdrs)
        append(&out, h);
    return out;
}

}  // namespace livepatch::tool::offline::test
