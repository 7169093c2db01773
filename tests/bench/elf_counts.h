// Counts the relocations and undefined symbols of an ELF file in memory, the way the loader and
// ld.so see them, so the benchmark can print what each side actually processes.
#pragma once

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <map>
#include <string>

namespace livepatch::bench {

struct RelocCounts {
    size_t total = 0;
    size_t against_undefined = 0;  // against an undefined symbol: its value is looked up by name
    size_t undefined_symbols = 0;  // in .symtab (relocatable) or .dynsym (shared object)
    std::map<std::string, size_t> by_type;
};

inline const char* reloc_type_name(uint32_t type) {
    switch (type) {
    case R_X86_64_64: return "R_X86_64_64";
    case R_X86_64_PC32: return "R_X86_64_PC32";
    case R_X86_64_PLT32: return "R_X86_64_PLT32";
    case R_X86_64_GLOB_DAT: return "R_X86_64_GLOB_DAT";
    case R_X86_64_JUMP_SLOT: return "R_X86_64_JUMP_SLOT";
    case R_X86_64_RELATIVE: return "R_X86_64_RELATIVE";
    default: return "other";
    }
}

// For ET_REL: the RELA sections that patch an SHF_ALLOC section (what the loader applies; .debug
// relocations are ignored). For ET_DYN: the SHF_ALLOC RELA sections (.rela.dyn, .rela.plt: what
// ld.so applies). Returns false when the file is not a well-formed little-endian ELF64.
inline bool count_relocations(const uint8_t* file, size_t size, RelocCounts* out) {
    Elf64_Ehdr eh;
    if (size < sizeof(eh))
        return false;
    memcpy(&eh, file, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_shentsize < sizeof(Elf64_Shdr) || eh.e_shoff > size ||
        (size - eh.e_shoff) / eh.e_shentsize < eh.e_shnum)
        return false;
    auto shdr = [&](uint32_t i) {
        Elf64_Shdr s;
        memcpy(&s, file + eh.e_shoff + uint64_t{i} * eh.e_shentsize, sizeof(s));
        return s;
    };
    const uint32_t symtab_type = eh.e_type == ET_REL ? SHT_SYMTAB : SHT_DYNSYM;
    for (uint32_t i = 1; i < eh.e_shnum; ++i) {
        const Elf64_Shdr s = shdr(i);
        if (s.sh_type != SHT_NOBITS && (s.sh_offset > size || s.sh_size > size - s.sh_offset))
            return false;
        if (s.sh_type == symtab_type && s.sh_entsize >= sizeof(Elf64_Sym)) {
            for (uint64_t k = 1; k < s.sh_size / s.sh_entsize; ++k) {
                Elf64_Sym sym;
                memcpy(&sym, file + s.sh_offset + k * s.sh_entsize, sizeof(sym));
                out->undefined_symbols += sym.st_shndx == SHN_UNDEF;
            }
        }
        if (s.sh_type != SHT_RELA || s.sh_entsize < sizeof(Elf64_Rela))
            continue;
        if (eh.e_type == ET_REL ? (s.sh_info >= eh.e_shnum || !(shdr(s.sh_info).sh_flags & SHF_ALLOC))
                                : !(s.sh_flags & SHF_ALLOC))
            continue;
        const Elf64_Shdr syms = s.sh_link < eh.e_shnum ? shdr(s.sh_link) : Elf64_Shdr{};
        for (uint64_t k = 0; k < s.sh_size / s.sh_entsize; ++k) {
            Elf64_Rela r;
            memcpy(&r, file + s.sh_offset + k * s.sh_entsize, sizeof(r));
            ++out->total;
            const uint64_t symndx = ELF64_R_SYM(r.r_info);
            if (symndx && syms.sh_entsize >= sizeof(Elf64_Sym) && symndx < syms.sh_size / syms.sh_entsize &&
                syms.sh_offset <= size && syms.sh_size <= size - syms.sh_offset) {
                Elf64_Sym sym;
                memcpy(&sym, file + syms.sh_offset + symndx * syms.sh_entsize, sizeof(sym));
                out->against_undefined += sym.st_shndx == SHN_UNDEF;
            }
            ++out->by_type[reloc_type_name(static_cast<uint32_t>(ELF64_R_TYPE(r.r_info)))];
        }
    }
    return true;
}

}  // namespace livepatch::bench
