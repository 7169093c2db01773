#include "elf_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

namespace livepatch::tool::offline {

ElfFile::~ElfFile() {
    if (m_elf)
        elf_end(m_elf);
    if (m_fd >= 0)
        close(m_fd);
}

std::string ElfFile::open(const std::string& path, Elf_Cmd cmd, const std::string& cannot_open) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        return path + ": libelf is too old";
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
        const int err = errno;
        return path + ": " + cannot_open + ": " + strerror(err);
    }
    m_elf = elf_begin(m_fd, cmd, nullptr);
    return "";
}

std::vector<uint8_t> find_build_id(Elf* elf) {
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data* d = elf_getdata(scn, nullptr);
        GElf_Nhdr nh;
        size_t off = 0, name_off = 0, desc_off = 0;
        while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            const char* note_name = static_cast<const char*>(d->d_buf) + name_off;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(note_name, "GNU", 4)) {
                const auto* desc = static_cast<const uint8_t*>(d->d_buf) + desc_off;
                if (nh.n_descsz)
                    return std::vector<uint8_t>(desc, desc + nh.n_descsz);
                break;
            }
        }
    }
    return {};
}

Elf_Scn* find_section(Elf* elf, uint32_t type, GElf_Shdr* sh) {
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr h;
        if (gelf_getshdr(scn, &h) && h.sh_type == type) {
            *sh = h;
            return scn;
        }
    }
    return nullptr;
}

void for_each_hypervisor_symbol(Elf* elf, Elf_Scn* symtab, const GElf_Shdr& symtab_sh,
                                const std::function<void(const HypervisorSymbol&)>& fn) {
    Elf_Data* d = elf_getdata(symtab, nullptr);
    const size_t n = d && symtab_sh.sh_entsize ? symtab_sh.sh_size / symtab_sh.sh_entsize : 0;
    std::string file;
    for (size_t i = 1; i < n; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(d, static_cast<int>(i), &sym))
            continue;
        const char* sname = elf_strptr(elf, symtab_sh.sh_link, sym.st_name);
        const int type = GELF_ST_TYPE(sym.st_info);
        if (type == STT_FILE) {
            file = sname ? sname : "";
            continue;
        }
        if (!sname || !*sname || sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
            continue;
        if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
            continue;
        const bool local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
        HypervisorSymbol s{local && !file.empty() ? file + "#" + sname : std::string(sname), sname,
                           local ? file : std::string(), local, type, sym};
        fn(s);
    }
}

}  // namespace livepatch::tool::offline
