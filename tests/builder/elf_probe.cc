#include "builder/elf_probe.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include <stdio.h>

#include <algorithm>
#include <functional>

namespace buildertest {

namespace {

// Calls `fn` with the open ELF file; false when it cannot be opened.
bool with_elf(const std::string& path, const std::function<void(Elf*)>& fn) {
    elf_version(EV_CURRENT);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    if (elf)
        fn(elf);
    if (elf)
        elf_end(elf);
    close(fd);
    return elf != nullptr;
}

std::string section_name(Elf* elf, Elf_Scn* scn) {
    size_t shstrndx = 0;
    GElf_Shdr sh;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0 || !gelf_getshdr(scn, &sh))
        return "";
    const char* n = elf_strptr(elf, shstrndx, sh.sh_name);
    return n ? n : "";
}

Elf_Scn* find_section(Elf* elf, const std::string& name) {
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));)
        if (section_name(elf, scn) == name)
            return scn;
    return nullptr;
}

// Calls fn(sym, name, file) for every symbol; `file` is the current STT_FILE.
void each_symbol(Elf* elf, const std::function<void(const GElf_Sym&, const std::string&, const std::string&)>& fn) {
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
            continue;
        Elf_Data* d = elf_getdata(scn, nullptr);
        std::string file;
        for (size_t i = 1; d && i < sh.sh_size / sh.sh_entsize; ++i) {
            GElf_Sym s;
            gelf_getsym(d, static_cast<int>(i), &s);
            const char* n = elf_strptr(elf, sh.sh_link, s.st_name);
            const std::string name = n ? n : "";
            if (GELF_ST_TYPE(s.st_info) == STT_FILE)
                file = name;
            else
                fn(s, name, file);
        }
    }
}

}  // namespace

std::string hex(const std::vector<uint8_t>& bytes) {
    std::string s;
    char b[3];
    for (uint8_t v : bytes) {
        snprintf(b, sizeof(b), "%02x", v);
        s += b;
    }
    return s;
}

std::optional<ImageFunction> image_function(const std::string& path, const std::string& name) {
    std::optional<ImageFunction> out;
    with_elf(path, [&](Elf* elf) {
        each_symbol(elf, [&](const GElf_Sym& s, const std::string& n, const std::string& file) {
            const bool local = GELF_ST_BIND(s.st_info) == STB_LOCAL;
            const std::string full = local && !file.empty() ? file + "#" + n : n;
            if (out || full != name || s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE)
                return;
            ImageFunction f;
            f.addr = s.st_value;
            f.size = s.st_size;
            Elf_Scn* scn = elf_getscn(elf, s.st_shndx);
            GElf_Shdr sh;
            Elf_Data* d = scn && gelf_getshdr(scn, &sh) ? elf_rawdata(scn, nullptr) : nullptr;
            if (d && s.st_value >= sh.sh_addr && s.st_value < sh.sh_addr + d->d_size) {
                const size_t off = s.st_value - sh.sh_addr;
                const size_t n_bytes = std::min<size_t>(32, d->d_size - off);
                const auto* b = static_cast<const uint8_t*>(d->d_buf) + off;
                f.first_bytes.assign(b, b + n_bytes);
            }
            out = f;
        });
    });
    return out;
}

std::string build_id_hex(const std::string& path, const std::string& section) {
    std::string id;
    with_elf(path, [&](Elf* elf) {
        Elf_Scn* scn = find_section(elf, section);
        Elf_Data* d = scn ? elf_rawdata(scn, nullptr) : nullptr;
        if (!d || d->d_size < 16)
            return;
        const auto* b = static_cast<const uint8_t*>(d->d_buf);
        uint32_t namesz, descsz, type;
        memcpy(&namesz, b, 4);
        memcpy(&descsz, b + 4, 4);
        memcpy(&type, b + 8, 4);
        if (namesz != 4 || type != NT_GNU_BUILD_ID || memcmp(b + 12, "GNU", 4) || 16 + descsz > d->d_size)
            return;
        id = hex(std::vector<uint8_t>(b + 16, b + 16 + descsz));
    });
    return id;
}

std::set<std::string> defined_symbols(const std::string& path) {
    std::set<std::string> out;
    with_elf(path, [&](Elf* elf) {
        each_symbol(elf, [&](const GElf_Sym& s, const std::string& n, const std::string&) {
            if (s.st_shndx != SHN_UNDEF && GELF_ST_TYPE(s.st_info) != STT_SECTION && !n.empty())
                out.insert(n);
        });
    });
    return out;
}

std::set<std::string> undefined_symbols(const std::string& path) {
    std::set<std::string> out;
    with_elf(path, [&](Elf* elf) {
        each_symbol(elf, [&](const GElf_Sym& s, const std::string& n, const std::string&) {
            if (s.st_shndx == SHN_UNDEF && !n.empty())
                out.insert(n);
        });
    });
    return out;
}

std::optional<uint64_t> section_flags(const std::string& path, const std::string& name) {
    std::optional<uint64_t> out;
    with_elf(path, [&](Elf* elf) {
        GElf_Shdr sh;
        if (Elf_Scn* scn = find_section(elf, name); scn && gelf_getshdr(scn, &sh))
            out = sh.sh_flags;
    });
    return out;
}

std::optional<uint32_t> section_type(const std::string& path, const std::string& name) {
    std::optional<uint32_t> out;
    with_elf(path, [&](Elf* elf) {
        GElf_Shdr sh;
        if (Elf_Scn* scn = find_section(elf, name); scn && gelf_getshdr(scn, &sh))
            out = sh.sh_type;
    });
    return out;
}

}  // namespace buildertest
