// Relocations a payload may carry. Xen's x86-64 loader accepts only R_X86_64_NONE, _64, _PC32 and
// _PLT32 in allocated sections, and no SHT_REL sections; anything else is refused at upload
// (-EOPNOTSUPP). The builder refuses it first, naming the source, the function or object holding
// the place, the relocation and its symbol, and how such a relocation comes about.
#pragma once

#include <stdint.h>

#include <string>

#include "build_error.h"
#include "object_file.h"

namespace livepatch::build {

// True for the relocation types above.
bool relocation_accepted(uint32_t type);

// "R_X86_64_32", ..., or "relocation type N".
std::string relocation_name(uint32_t type);

// Adds a problem, prefixed with `where` (e.g. "fix.c: "), for every refused relocation of `obj`.
void audit_relocations(const ObjectFile& obj, const std::string& where, Problems& problems);

}  // namespace livepatch::build
