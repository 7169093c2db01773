// The engine's entry points for the hosting hypervisor: the sysctl handler and the safe-point
// hook. Everything else the hypervisor provides goes through the port (livepatch/port.h).
#pragma once

#include <stdint.h>

#include "livepatch/abi.h"

namespace livepatch {

// Sets the engine up; call once at boot, before any CPU calls livepatch_check_work().
// Xen: livepatch_init.
void livepatch_init() noexcept;

// Handles one XEN_SYSCTL_livepatch_op (UPLOAD, GET, LIST, ACTION) whose guest handles are
// reached through port::copy_from_guest / copy_to_guest. Returns 0 or a negative Xen errno; the
// caller copies `op` back to the guest (Xen does so even after an error, except -ENOSYS and
// -EOPNOTSUPP). Xen: livepatch_op.
int32_t livepatch_op(struct xen_sysctl_livepatch_op* op) noexcept;

// Called by every CPU at its safe points (between units of guest work, in the idle loop).
// Costs one load when no patching work is pending. Xen: check_for_livepatch_work.
void livepatch_check_work() noexcept;

}  // namespace livepatch
