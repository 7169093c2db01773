// Relocation (Xen: livepatch_elf_perform_relocs and arch_livepatch_perform_rela).
#include <string.h>

#include "arch/arch.h"
#include "core/loader/payload_loader.h"
#include "core/elf/xen_arch_rules.h"

namespace livepatch {

Status PayloadLoader::relocate() noexcept {
    const uint32_t n = m_elf.section_count();
    const uint32_t nsym = m_elf.symbol_count();

    for (uint32_t i = 1; i < n; ++i) {
        const ElfSection& r = m_elf.section(i);
        if (r.hdr.sh_type != SHT_RELA && r.hdr.sh_type != SHT_REL)
            continue;
        if (r.hdr.sh_info >= n)
            continue;  // not a relocation section for a section of this file
        const ElfSection& base = m_elf.section(r.hdr.sh_info);
        if (!base.alloc())
            continue;  // relocations of sections that are not loaded (.debug*) are ignored
        if (r.hdr.sh_link != m_elf.symtab_index())
            return section_err(Errc::kEINVAL, "relocation section's symbol table link (sh_link) is not the symbol table", i)
                .value(r.hdr.sh_link);
        if (r.hdr.sh_size == 0)
            continue;  // an empty relocation section, of either type, is skipped (as Xen does)
        const uint64_t entry_size = r.hdr.sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
        if (r.hdr.sh_entsize < entry_size)
            return section_err(Errc::kEINVAL, "relocation entry size is smaller than Elf64_Rela/Elf64_Rel", i)
                .value(r.hdr.sh_entsize);
        if (r.hdr.sh_size % r.hdr.sh_entsize)
            return section_err(Errc::kEINVAL, "relocation section size is not a multiple of its entry size", i)
                .value(r.hdr.sh_size);
        if (r.hdr.sh_type == SHT_REL)
            return section_err(rel_section_errc(arch::elf_machine()), "SHT_REL relocations are not supported (use SHT_RELA)", i);

        const uint64_t count = r.hdr.sh_size / r.hdr.sh_entsize;
        for (uint64_t j = 0; j < count; ++j) {
            Elf64_Rela rela;
            memcpy(&rela, r.data + j * r.hdr.sh_entsize, sizeof(rela));
            const uint32_t symndx = ELF64_R_SYM(rela.r_info);
            const uint32_t type = ELF64_R_TYPE(rela.r_info);
            const uint32_t entry = static_cast<uint32_t>(j);

            if (symndx == STN_UNDEF)
                return err(Errc::kEOPNOTSUPP, "relocation against symbol 0 (STN_UNDEF)").relocation(entry, r.name);
            if (symndx >= nsym)
                return err(Errc::kEINVAL, "relocation's symbol index is past the end of the symbol table")
                    .relocation(entry, r.name)
                    .value(symndx);
            if (m_sym_ignored[symndx])
                return err(Errc::kEINVAL, "relocation against a symbol in a section that is not loaded")
                    .relocation(entry, r.name)
                    .value(symndx);

            const bool in_section = rela.r_offset < base.hdr.sh_size;
            uint8_t* loc = in_section ? base.load + rela.r_offset : base.load;
            const uint64_t room = in_section ? base.hdr.sh_size - rela.r_offset : 0;
            const uint64_t value = m_sym_values[symndx] + static_cast<uint64_t>(rela.r_addend);
            const uint64_t place = reinterpret_cast<uintptr_t>(base.load) + rela.r_offset;

            switch (arch::apply_rela(type, loc, room, place, value)) {
            case RelocStatus::ok:
                break;
            case RelocStatus::out_of_section:
                return err(Errc::kEINVAL, "relocation offset is past the end of the section it patches")
                    .relocation(entry, r.name)
                    .value(rela.r_offset);
            case RelocStatus::overflow:
                return err(Errc::kEOVERFLOW, "relocated value does not fit its field (target out of reach)")
                    .relocation(entry, r.name)
                    .value(value - place);
            case RelocStatus::misaligned:
                return err(Errc::kEINVAL, "relocated value is not aligned as its instruction requires")
                    .relocation(entry, r.name)
                    .value(value);
            case RelocStatus::unsupported:
                return err(Errc::kEOPNOTSUPP, "relocation type is not supported").relocation(entry, r.name).value(type);
            }
        }
    }
    return success();
}

}  // namespace livepatch
