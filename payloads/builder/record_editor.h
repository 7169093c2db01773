// Writes what the builder decided into a compiled payload object, in place, with libelf:
//   - each .livepatch.funcs record's new_size, old_size and expectation;
//   - .livepatch.strings rebuilt to hold each record's final name (e.g. "common/sched.c#pick_next"),
//     and each record's name relocation pointed at it;
//   - the hook sections and .data.rel.ro* made read-only (they are written only by relocation,
//     before the hypervisor protects the payload; a writable one would make the payload unsafe to
//     re-apply). .livepatch.funcs stays writable (Xen 4.17.1-4.17.2 and 4.18.0 write into it).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace livepatch::build {

struct RecordEdit {
    size_t index = 0;             // record index in the object's .livepatch.funcs
    std::string name;             // the record's name
    uint32_t new_size = 0, old_size = 0;
    std::vector<uint8_t> expect;  // empty: no expectation
};

// Applies `edits` (one per record of the object, any order) to the object at `path`. Throws
// BuildError when the object does not have the layout the header's macros produce.
void edit_records(const std::string& path, const std::vector<RecordEdit>& edits);

// Makes the hook sections and .data.rel.ro* of the object at `path` read-only (see above).
void protect_readonly_sections(const std::string& path);

}  // namespace livepatch::build
