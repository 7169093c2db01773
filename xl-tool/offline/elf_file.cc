#include "elf_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace livepatch::tool::offline {

ElfFile::~ElfFile() {
    if (m_elf)
        elf_end(m_elf);
    if (m_fd >= 0)
        close(m_fd);
}

std::string ElfFile::open(const std::string& path, Elf_Cmd cmd, const std::string& cannot_open, uint64_t max_size,
                          const std::string& what) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        return path + ": libelf is too old";
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (m_fd < 0 || fstat(m_fd, &st) != 0) {
        const int err = errno;
        return path + ": " + cannot_open + ": " + strerror(err);
    }
    if (!S_ISREG(st.st_mode))
        return path + ": not a regular file (" + what + " expected)";
    if (static_cast<uint64_t>(st.st_size) > max_size)
        return path + ": larger than the " + what + " limit of " + std::to_string(max_size) + " bytes (" +
               std::to_string(max_size >> 20) + " MiB)";
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
    const size_t sym_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
    const size_t n = d && sym_size && d->d_type == ELF_T_SYM ? d->d_size / sym_size : 0;
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
