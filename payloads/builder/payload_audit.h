// The builder's own checks of the linked payload, before the engine judges it: the properties
// the builder promises (and Xen needs) that a loader would report less clearly.
//   - at most 2 MiB (Xen's LIVEPATCH_MAX_SIZE);
//   - something to patch: a record or a hook;
//   - .livepatch.funcs writable, whole records, reserved bytes zero;
//   - .livepatch.depends, .livepatch.xen_depends and .note.gnu.build-id allocated, read-only
//     NT_GNU_BUILD_ID notes;
//   - at most one hook of each single kind (pre/post/action: 8 bytes each);
//   - only the relocations Xen accepts, no COMMON symbols.
#pragma once

#include <stdint.h>

#include <map>
#include <string>

#include "build_error.h"
#include "object_file.h"

namespace livepatch::build {

// Hooks by kind ("load", "preapply", ...) and how many of each the payload has.
std::map<std::string, size_t> hook_counts(const ObjectFile& payload);

// Adds a problem for every property above the payload lacks; `size` is its file size.
void audit_payload(const ObjectFile& payload, uint64_t size, Problems& problems);

}  // namespace livepatch::build
