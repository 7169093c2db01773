// x86-64 relocations accepted in payloads (Xen: arch/x86/livepatch.c): R_X86_64_NONE, _64, and
// _PC32/_PLT32 treated alike with a signed 32-bit overflow check. Pure functions.
#pragma once

#include <stdint.h>

#include <elf.h>

#include "arch/reloc_status.h"

namespace livepatch::x86_64 {

// See arch::apply_rela. Nothing is written unless the result is RelocStatus::ok. Inline: the
// loader runs it once per relocation.
inline RelocStatus apply_reloc(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept {
    switch (type) {
    case R_X86_64_NONE:
        return RelocStatus::ok;
    case R_X86_64_64:
        if (room < sizeof(uint64_t))
            return RelocStatus::out_of_section;
        __builtin_memcpy(loc, &value, sizeof(value));
        return RelocStatus::ok;
    case R_X86_64_PC32:
    case R_X86_64_PLT32: {
        // PLT32 is PC32 here: payloads link against the hypervisor directly, without a PLT.
        if (room < sizeof(int32_t))
            return RelocStatus::out_of_section;
        const int64_t rel = static_cast<int64_t>(value - place);
        if (rel < INT32_MIN || rel > INT32_MAX)
            return RelocStatus::overflow;
        const int32_t field = static_cast<int32_t>(rel);
        __builtin_memcpy(loc, &field, sizeof(field));
        return RelocStatus::ok;
    }
    default:
        return RelocStatus::unsupported;
    }
}

}  // namespace livepatch::x86_64
