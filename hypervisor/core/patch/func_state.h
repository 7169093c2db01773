// Per-function patch state, kept outside the payload's .livepatch.funcs records (as Xen 4.17.3+
// does) so that the records may live in read-only memory.
#pragma once

#include <stdint.h>

#include "livepatch/abi.h"

namespace livepatch {

struct FuncState {
    bool applied = false;
    uint8_t patch_offset = 0;          // bytes skipped at the start of the old function (ENDBR64)
    uint8_t len = 0;                   // bytes written at old_addr + patch_offset
    uint8_t insn[kOpaqueSize] = {};    // the bytes the patch writes
    uint8_t saved[kOpaqueSize] = {};   // the bytes it overwrote, restored on revert

    uint64_t site(const livepatch_func& f) const noexcept { return f.old_addr + patch_offset; }
};

}  // namespace livepatch
