// AArch64 relocations accepted in payloads (Xen: arch/arm/arm64/livepatch.c), with the field
// encodings and overflow rules of the AArch64 ELF ABI (aaelf64, section 5.7 "Relocation"):
// data ABS64/32/16 and PREL64/32/16; MOVW UABS G0-G3 (+_NC), SABS G0-G2, PREL G0-G3 (+_NC);
// ADR_PREL_LO21, ADR_PREL_PG_HI21(_NC), ADD_ABS_LO12_NC, LDST8..128_ABS_LO12_NC, TSTBR14,
// CONDBR19, JUMP26 and CALL26. Pure functions, compiled and tested on every host.
#pragma once

#include <stdint.h>

#include "arch/reloc_status.h"

namespace livepatch::arm64 {

// See arch::apply_rela. Nothing is written unless the result is RelocStatus::ok.
RelocStatus apply_reloc(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept;

}  // namespace livepatch::arm64
