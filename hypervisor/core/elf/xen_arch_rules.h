// Rules of Xen 4.17.5 that differ by architecture, as pure functions of the payload's e_machine,
// so that the tests of every host check both architectures' answers.
#pragma once

#include <elf.h>
#include <stdint.h>

#include "livepatch/errc.h"

namespace livepatch {

// The errno of a non-empty SHT_REL section aimed at a loaded section: Xen's
// arch_livepatch_perform_rel returns -EOPNOTSUPP on x86 (arch/x86/livepatch.c:244-251) and
// -ENOSYS on arm (arch/arm/arm64/livepatch.c:234-239).
constexpr Errc rel_section_errc(uint16_t machine) noexcept {
    return machine == EM_AARCH64 ? Errc::kENOSYS : Errc::kEOPNOTSUPP;
}

// Whether the ELF header's EI_DATA must be ELFDATA2LSB: Xen's arch_livepatch_verify_elf checks
// it on x86 (arch/x86/livepatch.c:218-220) but not on arm (arch/arm/arm64/livepatch.c:72-73),
// where the file is read in the CPU's byte order whatever EI_DATA says.
constexpr bool requires_lsb(uint16_t machine) noexcept { return machine != EM_AARCH64; }

// Whether symbol `name` is an arm64 mapping symbol that the payload's symbol table leaves out:
// "$x" or "$d", alone or followed by '.' and anything (Xen: arch_livepatch_symbol_ok,
// arch/arm/livepatch.c:125-141; "$a" only on arm32, so an arm64 payload keeps it). None on
// x86 (arch/x86/livepatch.c:230-235).
constexpr bool is_skipped_mapping_symbol(uint16_t machine, const char* name) noexcept {
    return machine == EM_AARCH64 && name[0] == '$' && (name[1] == 'x' || name[1] == 'd') &&
           (name[2] == '\0' || name[2] == '.');
}

}  // namespace livepatch
