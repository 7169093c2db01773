// The function records of a payload (.livepatch.funcs), from the macros of livepatch/payload.h to
// what the builder writes into them: the target function in the image, old_size, new_size and
// the expectation. Every rule that makes a record unsafe or unloadable is checked here, with a
// message naming the record, the function and the rule.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "build_error.h"
#include "source_object.h"
#include "target_image.h"

namespace livepatch::build {

// A record as the source wrote it.
struct RecordSource {
    size_t object = 0;        // index into the SourceObjects
    size_t index = 0;         // record index in that object's .livepatch.funcs
    std::string written;      // the name string (LIVEPATCH_REPLACE's argument, or "file#name")
    bool nop = false;
    std::string new_symbol;   // the replacement's symbol in the object ("" for a NOP)
    uint32_t new_size = 0;    // the replacement's size, or the NOP length

    // "LIVEPATCH_REPLACE(x)" or "LIVEPATCH_NOP(x, 5)", for messages.
    std::string label() const;
};

// A record as the builder writes it.
struct RecordPlan {
    RecordSource src;
    std::string target;       // the target's name as the hypervisor names it (the record's name)
    uint64_t target_addr = 0; // its link-time address in the image
    uint32_t old_size = 0;
    uint32_t patch_offset = 0;  // 4 when the target starts with ENDBR64, else 0
    std::vector<uint8_t> expect;  // the expected first bytes (empty: no expectation)
};

// Reads the records of `objects[i]`. Problems: records not made by the header's macros, a
// replacement not defined in the payload's sources, an old_addr set by hand.
std::vector<RecordSource> read_records(const std::vector<SourceObject>& objects, Problems& problems);

// Finds each record's target in `image` and fills old_size, new_size and (when `expect`) the
// expectation. Problems: no such function, ambiguous static, not a function, too small for the
// jump, NOP too long or ending inside an instruction, two records for one target.
std::vector<RecordPlan> plan_records(const std::vector<SourceObject>& objects,
                                     const std::vector<RecordSource>& records, const TargetImage& image, bool expect,
                                     Problems& problems);

}  // namespace livepatch::build
