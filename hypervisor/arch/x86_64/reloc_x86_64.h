// x86-64 relocations accepted in payloads (Xen: arch/x86/livepatch.c): R_X86_64_NONE, _64, and
// _PC32/_PLT32 treated alike with a signed 32-bit overflow check. Pure functions.
#pragma once

#include <stdint.h>

#include "arch/reloc_status.h"

namespace livepatch::x86_64 {

// See arch::apply_rela. Nothing is written unless the result is RelocStatus::ok.
RelocStatus apply_reloc(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept;

}  // namespace livepatch::x86_64
