// Names of relocation types (reloc_names.cc), for xen-livepatch's `info` and livepatch-build's
// relocation audit.
#pragma once

#include <stdint.h>

#include <string>

namespace livepatch::tool::offline {

// The psABI name of relocation `type` for ELF machine `machine` ("R_X86_64_PC32",
// "R_AARCH64_CALL26"): every x86-64 type up to R_X86_64_REX_GOTPCRELX and the AArch64 types Xen
// accepts; nullptr for any other type or machine. The string is static.
const char* known_reloc_type_name(uint16_t machine, uint32_t type);

// Name of relocation `type` for `machine` ("R_X86_64_PC32"), or "<machine> type N".
std::string reloc_type_name(uint16_t machine, uint32_t type);

}  // namespace livepatch::tool::offline
