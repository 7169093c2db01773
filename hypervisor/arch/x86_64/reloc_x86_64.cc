#include "arch/x86_64/reloc_x86_64.h"

#include <elf.h>
#include <string.h>

namespace livepatch::x86_64 {

RelocStatus apply_reloc(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept {
    switch (type) {
    case R_X86_64_NONE:
        return RelocStatus::ok;
    case R_X86_64_64:
        if (room < sizeof(uint64_t))
            return RelocStatus::out_of_section;
        memcpy(loc, &value, sizeof(value));
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
        memcpy(loc, &field, sizeof(field));
        return RelocStatus::ok;
    }
    default:
        return RelocStatus::unsupported;
    }
}

}  // namespace livepatch::x86_64
