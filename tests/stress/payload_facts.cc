#include "payload_facts.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include <filesystem>

namespace stress {

namespace {

// The descriptor of the first NT_GNU_BUILD_ID note in section data `data`, as hex ("" when none).
// Parsed by hand: a note added by objcopy is SHT_PROGBITS, which libelf does not read as notes.
std::string note_build_id(Elf_Data* data) {
    if (!data || !data->d_buf)
        return "";
    const auto* b = static_cast<const unsigned char*>(data->d_buf);
    const size_t size = data->d_size;
    auto word = [&](size_t off) {
        uint32_t v;
        memcpy(&v, b + off, 4);
        return v;
    };
    auto up4 = [](size_t n) { return (n + 3) & ~size_t{3}; };
    for (size_t off = 0; off + 12 <= size;) {
        const size_t namesz = word(off), descsz = word(off + 4), type = word(off + 8);
        const size_t name = off + 12, desc = name + up4(namesz), next = desc + up4(descsz);
        if (namesz > size || descsz > size || next > size)
            return "";
        if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(b + name, "GNU", 4) == 0) {
            static const char hex[] = "0123456789abcdef";
            std::string out;
            for (size_t i = 0; i < descsz; ++i) {
                out += hex[b[desc + i] >> 4];
                out += hex[b[desc + i] & 15];
            }
            return out;
        }
        off = next;
    }
    return "";
}

// Calls fn(name, shdr, scn) for every section of the ELF at `path`; false when it cannot be read.
template <class Fn>
bool for_each_section(const std::string& path, Fn fn) {
    elf_version(EV_CURRENT);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    size_t shstrndx = 0;
    bool ok = elf && elf_getshdrstrndx(elf, &shstrndx) == 0;
    for (Elf_Scn* scn = nullptr; ok && (scn = elf_nextscn(elf, scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr))
            continue;
        const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
        fn(std::string(name ? name : ""), shdr, scn);
    }
    if (elf)
        elf_end(elf);
    close(fd);
    return ok;
}

}  // namespace

FileFacts read_payload_facts(const std::string& path) {
    FileFacts f;
    f.label = std::filesystem::path(path).stem().string();
    for_each_section(path, [&](const std::string& name, const GElf_Shdr& shdr, Elf_Scn* scn) {
        if (name == ".note.gnu.build-id")
            f.build_id = note_build_id(elf_getdata(scn, nullptr));
        else if (name == ".livepatch.depends")
            f.depends = note_build_id(elf_getdata(scn, nullptr));
        if ((shdr.sh_flags & SHF_ALLOC) && (shdr.sh_flags & SHF_WRITE) && shdr.sh_size &&
            name != ".livepatch.funcs")
            f.safe_to_reapply = false;
        for (const char* hook : {".livepatch.hooks.preapply", ".livepatch.hooks.postapply",
                                 ".livepatch.hooks.prerevert", ".livepatch.hooks.postrevert"}) {
            if (name == hook && shdr.sh_size)
                f.vetoing_hooks = true;
        }
        if (name == ".livepatch.funcs") {
            // struct livepatch_func: 104 bytes, the expectation's flags byte at 72 (bit 0: enabled).
            Elf_Data* d = elf_getdata(scn, nullptr);
            for (size_t off = 0; d && off + 104 <= d->d_size; off += 104) {
                if (static_cast<const unsigned char*>(d->d_buf)[off + 72] & 1)
                    f.expectation = true;
            }
        }
    });
    return f;
}

std::string read_image_build_id(const std::string& path) {
    std::string id;
    for_each_section(path, [&](const std::string& name, const GElf_Shdr&, Elf_Scn* scn) {
        if (name == ".note.gnu.build-id")
            id = note_build_id(elf_getdata(scn, nullptr));
    });
    return id;
}

}  // namespace stress
