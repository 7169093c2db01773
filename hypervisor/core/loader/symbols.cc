// Symbol resolution (Xen: livepatch_elf_resolve_symbols): every symbol gets its run-time value.
#include "core/loader/payload_loader.h"
#include "livepatch/port.h"

namespace livepatch {

Status PayloadLoader::resolve_symbols() noexcept {
    const uint32_t nsym = m_elf.symbol_count();
    m_sym_values = LP_TRY(OwnedArray<uint64_t>::make(nsym));
    m_sym_ignored = LP_TRY(OwnedArray<uint8_t>::make(nsym));

    for (uint32_t i = 1; i < nsym; ++i) {
        const Elf64_Sym sym = m_elf.symbol(i);
        const char* name = m_elf.symbol_name(i);
        uint64_t value = sym.st_value;

        switch (sym.st_shndx) {
        case SHN_COMMON:
            return err(Errc::kEINVAL, "common symbol (build the payload with -fno-common)").symbol(i, name);
        case SHN_UNDEF:
            value = port::symbol_by_name(name);
            if (!value)
                value = m_loaded.find_new_symbol(name);
            if (!value)
                return err(Errc::kENOENT, "undefined symbol is neither in the hypervisor nor in a loaded payload")
                    .symbol(i, name);
            break;
        case SHN_ABS:
            break;
        default:
            if (sym.st_shndx >= SHN_LORESERVE)
                return err(Errc::kEOPNOTSUPP, "symbol in an unsupported reserved section index")
                    .symbol(i, name)
                    .value(sym.st_shndx);
            if (sym.st_shndx >= m_elf.section_count())
                return err(Errc::kEINVAL, "symbol's section index is past the last section")
                    .symbol(i, name)
                    .value(sym.st_shndx);
            if (!m_elf.section(sym.st_shndx).alloc()) {
                m_sym_ignored[i] = 1;  // not loaded: a relocation against it fails
                break;
            }
            value += reinterpret_cast<uintptr_t>(m_elf.section(sym.st_shndx).load);
            break;
        }
        m_sym_values[i] = value;
    }
    return success();
}

}  // namespace livepatch
