// Outcome of applying one relocation with a pure, architecture-specific function. The loader
// turns a failure into an Error naming the payload, relocation section and entry.
#pragma once

#include <stdint.h>

namespace livepatch {

enum class RelocStatus : uint8_t {
    ok,
    out_of_section,  // the field does not fit between r_offset and the end of its section (-EINVAL)
    overflow,        // the value does not fit the field, or a branch is out of range (-EOVERFLOW)
    misaligned,      // the value violates the field's required alignment (-EINVAL)
    unsupported,     // relocation type not accepted by Xen for this architecture (-EOPNOTSUPP)
};

}  // namespace livepatch
