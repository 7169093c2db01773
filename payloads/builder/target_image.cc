#include "target_image.h"

#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include <algorithm>

#include "../../xl-tool/offline/elf_file.h"
#include "build_error.h"

namespace livepatch::build {

namespace {

constexpr uint64_t kXenLinkBase = 0xffff82d040000000ull;
constexpr uint8_t kEndbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
constexpr uint8_t kEndbr64Poison[4] = {0x66, 0x0f, 0x1f, 0x01};

}  // namespace

bool starts_with_endbr64(const std::vector<uint8_t>& code) {
    return code.size() >= 4 && (!memcmp(code.data(), kEndbr64, 4) || !memcmp(code.data(), kEndbr64Poison, 4));
}

std::string hex(const std::vector<uint8_t>& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (uint8_t b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

std::unique_ptr<TargetImage> TargetImage::load(const std::string& path) {
    std::unique_ptr<TargetImage> img(new TargetImage);
    img->m_path = path;
    img->read();
    return img;
}

bool TargetImage::ibt(Flavor flavor) const {
    if (m_arch != TargetArch::kX86_64)
        return false;
    if (flavor == Flavor::kXen)
        return m_endbr_functions > 0;
    return m_endbr_functions * 2 > m_functions;
}

const ImageSymbol* TargetImage::find(const std::string& name) const {
    auto it = m_by_name.find(name);
    return it == m_by_name.end() ? nullptr : &m_symbols[it->second];
}

std::vector<const ImageSymbol*> TargetImage::statics_named(const std::string& plain) const {
    std::vector<const ImageSymbol*> out;
    auto [lo, hi] = m_statics_by_plain.equal_range(plain);
    for (auto it = lo; it != hi; ++it)
        out.push_back(&m_symbols[it->second]);
    return out;
}

std::vector<uint8_t> TargetImage::code_at(uint64_t addr, size_t len) const {
    for (const CodeRange& r : m_code) {
        if (addr < r.addr || addr - r.addr >= r.bytes.size())
            continue;
        const size_t off = addr - r.addr;
        const size_t n = std::min(len, r.bytes.size() - off);
        return std::vector<uint8_t>(r.bytes.begin() + off, r.bytes.begin() + off + n);
    }
    return {};
}

void TargetImage::read() {
    auto fail = [&](const std::string& why) { throw BuildError(m_path + ": " + why); };
    tool::offline::ElfFile f;
    if (std::string err = f.open(m_path, ELF_C_READ, "cannot open the target image"); !err.empty())
        throw BuildError(err);
    Elf* const elf = f.elf();
    GElf_Ehdr eh;
    size_t shstrndx = 0;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx) != 0)
        fail("not an ELF file (expected xen-syms or the hosted hypervisor's binary)");
    const std::optional<TargetArch> arch = arch_of_machine(eh.e_machine);
    if (gelf_getclass(elf) != ELFCLASS64 || !arch)
        fail("not an x86-64 or AArch64 ELF64 image: livepatch-build makes payloads for those two");
    m_arch = *arch;
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        fail("not an executable (a relocatable object or a payload is not a hypervisor image)");

    // Executable sections (their bytes), the build-id, the symbol table.
    std::vector<std::pair<uint64_t, uint64_t>> exec_ranges;
    uint64_t text_addr = 0;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && !strcmp(name, ".text"))
            text_addr = sh.sh_addr;
        if ((sh.sh_flags & SHF_ALLOC) && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_type == SHT_PROGBITS && sh.sh_size) {
            Elf_Data* d = elf_rawdata(scn, nullptr);
            if (d && d->d_size == sh.sh_size) {
                const auto* b = static_cast<const uint8_t*>(d->d_buf);
                m_code.push_back({sh.sh_addr, std::vector<uint8_t>(b, b + d->d_size)});
                exec_ranges.push_back({sh.sh_addr, sh.sh_addr + sh.sh_size});
            }
        }
    }
    m_build_id = tool::offline::find_build_id(elf);
    GElf_Shdr symtab_sh{};
    Elf_Scn* const symtab = tool::offline::find_section(elf, SHT_SYMTAB, &symtab_sh);
    if (!text_addr)
        fail("the image has no .text section");
    if (m_build_id.empty())
        fail("the image has no build-id note (NT_GNU_BUILD_ID): payloads name the hypervisor by its build-id "
             "(link it with --build-id)");
    if (!symtab || !symtab_sh.sh_entsize)
        fail("the image has no symbol table (a stripped binary cannot be patched: use the unstripped xen-syms)");
    if (eh.e_type == ET_DYN)
        m_flavor = Flavor::kHosted;
    else if (m_arch == TargetArch::kX86_64 && text_addr >= kXenLinkBase)
        m_flavor = Flavor::kXen;

    auto in_exec = [&](uint64_t a) {
        for (auto [lo, hi] : exec_ranges)
            if (a >= lo && a < hi)
                return true;
        return false;
    };
    tool::offline::for_each_hypervisor_symbol(elf, symtab, symtab_sh, [&](const tool::offline::HypervisorSymbol& hs) {
        const GElf_Sym& sym = hs.sym;
        ImageSymbol s;
        s.plain = hs.plain;
        s.local = hs.local;
        s.file = hs.file;
        s.name = hs.name;
        s.addr = sym.st_value;
        s.size = sym.st_size;
        s.function = hs.type == STT_FUNC || (hs.type == STT_NOTYPE && sym.st_size && in_exec(sym.st_value));
        s.object = hs.type == STT_OBJECT;
        if (m_arch == TargetArch::kX86_64 && s.function && in_exec(s.addr) && s.size >= 4) {
            ++m_functions;
            m_endbr_functions += starts_with_endbr64(code_at(s.addr, 4)) ? 1 : 0;
        }
        // The hypervisor's table keeps one entry per name; the first wins here too.
        if (m_by_name.count(s.name))
            return;
        m_symbols.push_back(std::move(s));
        const ImageSymbol& kept = m_symbols.back();
        m_by_name.emplace(kept.name, m_symbols.size() - 1);
        if (kept.local && kept.name != kept.plain)
            m_statics_by_plain.emplace(kept.plain, m_symbols.size() - 1);
    });
    if (m_symbols.empty())
        fail("the image's symbol table has no symbols");
    // An AArch64 ET_EXEC: Xen (linked low on arm64, like any static program) or the statically
    // linked hosted hypervisor, told apart by their entry functions.
    if (m_arch == TargetArch::kAArch64 && eh.e_type == ET_EXEC) {
        const ImageSymbol* xen = find("start_xen");
        const ImageSymbol* main_fn = find("main");
        if (xen && xen->function)
            m_flavor = Flavor::kXen;
        else if (main_fn && main_fn->function)
            m_flavor = Flavor::kHosted;
    }
}

}  // namespace livepatch::build
