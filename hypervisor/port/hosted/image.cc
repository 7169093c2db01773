// Reads the hosted hypervisor's own ELF image: its symbol table becomes the hypervisor symbol
// table (statics named "<file>#<name>", as Xen's table names them), its build-id note the
// hypervisor build-id. The patchable text is the .hypervisor_text section (hypervisor_text.ld,
// text_alias.h), not all of .text.
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

#include "hosted.h"
#include "text_alias.h"

namespace livepatch::hosted {

namespace {

[[noreturn]] void die(const char* what) {
    fprintf(stderr, "hosted-hypervisor: cannot read its own image: %s\n", what);
    abort();
}

uintptr_t load_bias() {
    uintptr_t bias = 0;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
            *static_cast<uintptr_t*>(out) = info->dlpi_addr;
            return 1;  // the first object is the executable
        },
        &bias);
    return bias;
}

struct ImageData {
    Image image;
    std::deque<std::string> names;
    std::vector<SymbolEntry> entries;
};

ImageData* read_image() {
    auto* d = new ImageData;
    if (elf_version(EV_CURRENT) == EV_NONE)
        die("libelf version");
    const int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open /proc/self/exe");
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    if (!elf)
        die(elf_errmsg(-1));
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        die("no section names");
    const uintptr_t bias = load_bias();

    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        gelf_getshdr(scn, &sh);
        const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name)
            continue;
        if (!strcmp(name, ".note.gnu.build-id")) {
            Elf_Data* data = elf_getdata(scn, nullptr);
            GElf_Nhdr nh;
            size_t name_off, desc_off;
            if (data && gelf_getnote(data, 0, &nh, &name_off, &desc_off) && nh.n_type == NT_GNU_BUILD_ID &&
                nh.n_descsz <= sizeof(d->image.build_id)) {
                memcpy(d->image.build_id, static_cast<const uint8_t*>(data->d_buf) + desc_off, nh.n_descsz);
                d->image.build_id_len = nh.n_descsz;
            }
        } else if (sh.sh_type == SHT_SYMTAB) {
            Elf_Data* data = elf_getdata(scn, nullptr);
            const size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            std::string file;
            for (size_t i = 1; i < n; ++i) {
                GElf_Sym sym;
                gelf_getsym(data, static_cast<int>(i), &sym);
                const char* sname = elf_strptr(elf, sh.sh_link, sym.st_name);
                const int type = GELF_ST_TYPE(sym.st_info);
                if (type == STT_FILE) {
                    file = sname ? sname : "";
                    continue;
                }
                if (!sname || !*sname || sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
                    continue;
                if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
                    continue;
                std::string full = sname;
                if (GELF_ST_BIND(sym.st_info) == STB_LOCAL && !file.empty())
                    full = file + "#" + sname;
                d->names.push_back(std::move(full));
                d->entries.push_back({d->names.back().c_str(), sym.st_value + bias, sym.st_size});
            }
        }
    }
    elf_end(elf);
    close(fd);
    d->image.text_start = patchable_text_start();
    d->image.text_end = patchable_text_end();
    if (!d->image.text_start)
        die("no patchable text (.hypervisor_text)");
    if (d->entries.empty())
        die("no symbol table (do not strip the hosted hypervisor)");
    auto table = SymbolTable::build(Span<const SymbolEntry>(d->entries.data(), d->entries.size()));
    if (!table)
        die("symbol table index");
    d->image.symbols = std::move(table).value();
    d->image.symbol_count = d->entries.size();
    return d;
}

}  // namespace

const Image& image() {
    static ImageData* data = read_image();
    return data->image;
}

}  // namespace livepatch::hosted
