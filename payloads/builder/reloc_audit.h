// Relocations a payload may carry. Xen's x86-64 loader accepts only R_X86_64_NONE, _64, _PC32 and
// _PLT32 in allocated sections, and no SHT_REL sections; anything else is refused at upload
// (-EOPNOTSUPP). On AArch64 the accepted set is the engine's own: every type the arm64 backend
// applies (arch/arm64/reloc_arm64.h, Xen's arm64 set). The builder refuses anything else first,
// naming the source, the function or object holding the place, the relocation and its symbol,
// and how such a relocation comes about.
#pragma once

#include <stdint.h>

#include <string>

#include "build_error.h"
#include "object_file.h"

namespace livepatch::build {

// True for the relocation types above, for ELF machine `machine` (EM_X86_64 or EM_AARCH64).
bool relocation_accepted(uint16_t machine, uint32_t type);

// "R_X86_64_32", "R_AARCH64_ABS64", ..., or "relocation type N".
std::string relocation_name(uint16_t machine, uint32_t type);

// Adds a problem, prefixed with `where` (e.g. "fix.c: "), for every refused relocation of `obj`
// (checked against the set of obj's machine).
void audit_relocations(const ObjectFile& obj, const std::string& where, Problems& problems);

}  // namespace livepatch::build
