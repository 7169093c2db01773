// Host-side ELF reading shared by xen-livepatch's offline code (hypervisor_image.cc) and
// livepatch-build (payloads/builder/object_file.cc, target_image.cc): an open libelf handle that
// closes itself, the NT_GNU_BUILD_ID of an image, and its symbols named as the hypervisor names
// them at run time (statics "<STT_FILE>#<name>", as hypervisor/port/hosted/image.cc and Xen's
// symbol table do).
#pragma once

#include <gelf.h>
#include <libelf.h>
#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

namespace livepatch::tool::offline {

// A file open read-only with its libelf handle; the destructor ends the handle and closes the file
// on every path.
class ElfFile {
public:
    ElfFile() = default;
    ~ElfFile();
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    // Checks the libelf version, opens `path` (O_RDONLY | O_CLOEXEC | O_NONBLOCK, so that a FIFO
    // does not block) and begins reading it with `cmd` (ELF_C_READ or ELF_C_READ_MMAP) when it is
    // a regular file of at most `max_size` bytes. Returns "" on success, else the error text
    // naming the path: "<path>: libelf is too old", "<path>: <cannot_open>: <strerror(errno)>",
    // "<path>: not a regular file (<what> expected)" or "<path>: larger than the <what> limit of
    // <max_size> bytes (<MiB> MiB)". Call once. A file libelf cannot begin to read still succeeds
    // with elf() == nullptr: the caller's "not an ELF file" check, which must test elf() for
    // nullptr, reports it.
    std::string open(const std::string& path, Elf_Cmd cmd, const std::string& cannot_open,
                     uint64_t max_size = UINT64_MAX, const std::string& what = "ELF file");

    int fd() const { return m_fd; }
    Elf* elf() const { return m_elf; }

private:
    int m_fd = -1;
    Elf* m_elf = nullptr;
};

// The descriptor of the first NT_GNU_BUILD_ID note (owner "GNU") of the SHT_NOTE sections of
// `elf`, in section order; empty when there is none (a note with an empty descriptor counts as
// none).
std::vector<uint8_t> find_build_id(Elf* elf);

// The first section of type `type` (e.g. SHT_SYMTAB) of `elf` and its header in *sh, or nullptr
// (*sh untouched) when there is none.
Elf_Scn* find_section(Elf* elf, uint32_t type, GElf_Shdr* sh);

// One symbol of a hypervisor image as the hypervisor's symbol table holds it.
struct HypervisorSymbol {
    std::string name;   // "<file>#<plain>" for a local symbol after an STT_FILE, else plain
    const char* plain;  // the name in the ELF symbol table (non-empty)
    std::string file;   // for a local symbol the STT_FILE it follows ("" before the first), else ""
    bool local;         // STB_LOCAL
    int type;           // STT_FUNC, STT_OBJECT or STT_NOTYPE
    GElf_Sym sym;       // the ELF symbol (link-time st_value)
};

// Calls `fn`, in symbol-table order, for each symbol of `symtab` (an SHT_SYMTAB section of `elf`
// whose header is `symtab_sh`) the hypervisor's table holds: a named STT_FUNC, STT_OBJECT or
// STT_NOTYPE symbol defined in a regular section (not SHN_UNDEF nor a reserved index). Skips
// symbol 0, unreadable symbols, and everything when the section has no data. The count comes
// from the size of the data read and of an ELF symbol, never from sh_entsize.
void for_each_hypervisor_symbol(Elf* elf, Elf_Scn* symtab, const GElf_Shdr& symtab_sh,
                                const std::function<void(const HypervisorSymbol&)>& fn);

}  // namespace livepatch::tool::offline
