#include "hypervisor_image.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>

#include "arch/arch.h"
#include "elf_file.h"
#include "file_limits.h"
#include "payload_elf.h"
#include "payload_info.h"

namespace livepatch::tool::offline {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxImageSpan = 1ull << 30;  // allocated sections must fit in 1 GiB

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

// "section [<index>] '<name>'", as the engine's messages name a section.
std::string section_label(Elf* elf, size_t shstrndx, Elf_Scn* scn, const GElf_Shdr& sh) {
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    return "section [" + std::to_string(elf_ndxscn(scn)) + "] '" + printable(name) + "'";
}

// Sections that occupy the image's address space (a TLS NOBITS section only describes a template).
bool occupies(const GElf_Shdr& sh) {
    return (sh.sh_flags & SHF_ALLOC) && !((sh.sh_flags & SHF_TLS) && sh.sh_type == SHT_NOBITS);
}

}  // namespace

std::unique_ptr<HypervisorImage> HypervisorImage::load(const std::string& path) {
    std::unique_ptr<HypervisorImage> img(new HypervisorImage);
    img->m_path = path;
    img->read(path);
    return img;
}

HypervisorImage::~HypervisorImage() {
    if (m_map)
        munmap(m_map, m_map_size);
}

void HypervisorImage::read(const std::string& path) {
    auto fail = [&](const std::string& why) { throw std::runtime_error(path + ": " + why); };
    ElfFile f;
    if (std::string err = f.open(path, ELF_C_READ_MMAP, "cannot open the hypervisor image", kMaxImageFileSize, "image");
        !err.empty())
        throw std::runtime_error(err);
    Elf* const elf = f.elf();
    GElf_Ehdr eh;
    size_t shstrndx = 0;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx) != 0)
        fail("not an ELF file with a section table (expected xen-syms or the hosted hypervisor's binary)");
    if (gelf_getclass(elf) != ELFCLASS64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
        fail("not an ELF64 executable (expected xen-syms or the hosted hypervisor's binary)");
    struct stat st;
    size_t nsections = 0;
    if (fstat(f.fd(), &st) != 0 || elf_getshdrnum(elf, &nsections) != 0 ||
        eh.e_shoff > static_cast<uint64_t>(st.st_size) ||
        nsections > (static_cast<uint64_t>(st.st_size) - eh.e_shoff) / sizeof(Elf64_Shdr))
        fail("the section header table is not inside the file (truncated?)");
    m_machine = eh.e_machine;
    if (m_machine != arch::elf_machine())
        fail("the image is for " + machine_name(m_machine) + ", but this xen-livepatch checks " +
             machine_name(arch::elf_machine()) + " payloads");

    // The span of the allocated sections, page aligned at the bottom so page offsets survive.
    // Every section's end is computed with overflow checks: one whose sh_addr + sh_size wraps
    // would otherwise shrink the span and be copied far outside the mapping.
    uint64_t lo = UINT64_MAX, hi = 0;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || !occupies(sh))
            continue;
        uint64_t end = 0;
        if (__builtin_add_overflow(sh.sh_addr, sh.sh_size, &end) || end > UINT64_MAX - kPage)
            fail(section_label(elf, shstrndx, scn, sh) + ": sh_addr " + hex(sh.sh_addr) + " + sh_size " +
                 hex(sh.sh_size) + " wraps around the address space");
        lo = std::min<uint64_t>(lo, sh.sh_addr);
        hi = std::max<uint64_t>(hi, end);
    }
    if (lo >= hi)
        fail("the image has no allocated sections");
    m_link_lo = lo & ~(kPage - 1);
    if (hi - m_link_lo > kMaxImageSpan)
        fail("the allocated sections span more than 1 GiB");
    m_map_size = (hi - m_link_lo + kPage - 1) & ~(kPage - 1);
    m_map = mmap(nullptr, m_map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m_map == MAP_FAILED) {
        m_map = nullptr;
        fail(std::string("cannot map the image: ") + strerror(errno));
    }
    auto* map = static_cast<uint8_t*>(m_map);

    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (occupies(sh) && sh.sh_type != SHT_NOBITS && sh.sh_size) {
            Elf_Data* d = elf_rawdata(scn, nullptr);
            if (!d || d->d_size != sh.sh_size)
                fail(section_label(elf, shstrndx, scn, sh) + ": data outside the file");
            // Inside [m_link_lo, m_link_lo + m_map_size) by the span above; checked again here so
            // that the copy is bounded by the mapping whatever the headers say.
            const uint64_t at = sh.sh_addr - m_link_lo;
            if (sh.sh_addr < m_link_lo || at > m_map_size || d->d_size > m_map_size - at)
                fail(section_label(elf, shstrndx, scn, sh) + ": outside the image's allocated span");
            memcpy(map + at, d->d_buf, d->d_size);
        }
        // The patchable text: all of .text in xen-syms; the hosted hypervisor's own section
        // .hypervisor_text when the image has one (what its port::hypervisor_text() returns).
        if (name && occupies(sh) &&
            (!strcmp(name, ".hypervisor_text") || (!strcmp(name, ".text") && !m_patchable_section))) {
            m_text_start = sh.sh_addr;
            m_text_end = sh.sh_addr + sh.sh_size;
            m_patchable_section = !strcmp(name, ".hypervisor_text");
        }
    }
    m_build_id = find_build_id(elf);
    GElf_Shdr symtab_sh{};
    Elf_Scn* const symtab = find_section(elf, SHT_SYMTAB, &symtab_sh);
    if (!m_text_start)
        fail("the image has no .text section");
    if (!symtab)
        fail("the image has no symbol table (a stripped binary cannot be checked against)");

    // Symbols as the hypervisor names them (hypervisor/port/hosted/image.cc; Xen's symbols tool).
    for_each_hypervisor_symbol(elf, symtab, symtab_sh, [&](const HypervisorSymbol& s) {
        const uint64_t value = s.sym.st_value;
        if (value < m_link_lo || value > m_link_lo + m_map_size)
            return;  // not in an allocated section: not in the running hypervisor's table
        m_names.push_back(s.name);
        m_entries.push_back({m_names.back().c_str(), value + bias(), s.sym.st_size});
    });
    if (m_entries.empty())
        fail("the image's symbol table has no symbols");
    auto table = SymbolTable::build(Span<const SymbolEntry>(m_entries.data(), m_entries.size()));
    if (!table)
        fail("out of memory for the symbol table index");
    m_table = std::move(table).value();
}

}  // namespace livepatch::tool::offline
