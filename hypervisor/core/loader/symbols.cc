// Symbol resolution (Xen: livepatch_elf_resolve_symbols): every symbol gets its run-time value.
#include "core/loader/payload_loader.h"
#include "livepatch/port.h"

namespace livepatch {

Status PayloadLoader::resolve_symbols() noexcept {
    const uint32_t nsym = m_elf.symbol_count();
    m_sym_values = LP_TRY(OwnedArray<uint64_t>::make(nsym));
    m_sym_ignored = LP_TRY(OwnedArray<uint8_t>::make(nsym));

    // Pass 1: every symbol in order, up to the first error (Xen stops there); undefined ones
    // are collected for one batched lookup in the hypervisor's table.
    OwnedArray<uint32_t> undef = LP_TRY(OwnedArray<uint32_t>::make(nsym));
    OwnedArray<const char*> undef_names = LP_TRY(OwnedArray<const char*>::make(nsym));
    size_t nundef = 0;
    Result<uint32_t> first_error = resolve_defined(undef.data(), undef_names.data(), &nundef);

    // Pass 2: the undefined symbols before that error, in order: the hypervisor first, then the
    // new symbols of loaded payloads.
    OwnedArray<uint64_t> found = LP_TRY(OwnedArray<uint64_t>::make(nundef));
    port::symbols_by_name(undef_names.data(), found.data(), nundef);
    for (size_t k = 0; k < nundef; ++k) {
        const uint32_t i = undef[k];
        uint64_t value = found[k];
        if (!value) {
            if (Payload* owner = m_loaded.find_new_symbol_owner(undef_names[k], &value))
                LP_CHECK(note_use(owner));
        }
        if (!value)
            return err(Errc::kENOENT, "undefined symbol is neither in the hypervisor nor in a loaded payload")
                .symbol(i, undef_names[k]);
        m_sym_values[i] = value;
    }
    if (!first_error)
        return first_error.error();
    return success();
}

Status PayloadLoader::note_use(Payload* p) noexcept {
    if (!m_uses.size())
        m_uses = LP_TRY(OwnedArray<Payload*>::make(m_loaded.count()));
    for (size_t k = 0; k < m_nuses; ++k) {
        if (m_uses[k] == p)
            return success();
    }
    if (m_nuses < m_uses.size())
        m_uses[m_nuses++] = p;
    return success();
}

Result<uint32_t> PayloadLoader::resolve_defined(uint32_t* undef, const char** undef_names, size_t* nundef) noexcept {
    const uint32_t nsym = m_elf.symbol_count();
    for (uint32_t i = 1; i < nsym; ++i) {
        const Elf64_Sym sym = m_elf.symbol(i);
        const char* name = m_elf.symbol_name(i);
        uint64_t value = sym.st_value;

        switch (sym.st_shndx) {
        case SHN_COMMON:
            return err(Errc::kEINVAL, "common symbol (build the payload with -fno-common)").symbol(i, name);
        case SHN_UNDEF:
            undef[*nundef] = i;
            undef_names[*nundef] = name;
            ++*nundef;
            continue;
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
    return nsym;
}

}  // namespace livepatch
