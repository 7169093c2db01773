// The first bytes of an old function as they were before any applied payload patched it: what
// the architecture's upload rules (ENDBR64, NOP boundaries) must judge, since a function that is
// already patched has a jump or NOPs where its first instructions were.
#pragma once

#include <stdint.h>

#include "arch/arch.h"
#include "core/payload/payload_list.h"
#include "livepatch/abi.h"

namespace livepatch {

// Copies the first min(f.old_size, arch::kOldCodeView) bytes of the live function at f.old_addr
// into `out`, then puts back the bytes that the earliest applied patch of that same function
// (in the applied stack's order) overwrote. Reads the live text; writes only `out`.
void original_code(const PayloadList& loaded, const livepatch_func& f, uint8_t (&out)[arch::kOldCodeView]) noexcept;

}  // namespace livepatch
