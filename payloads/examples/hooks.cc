// hooks: a data-only live patch done by hooks; no function is replaced. The hosted hypervisor's
// compute service returns compute_scale * x + 1, where compute_scale is a static tunable of the
// hypervisor (2 at boot).
//   - the load hook (run at APPLY, inside the patching window, every CPU held) sets it to 3:
//     guests' HYPERVISOR_compute(10) returns 31 instead of 21;
//   - the unload hook (run at REVERT, in the window) sets it back to 2;
//   - the pre-apply hook (run before APPLY is scheduled) vetoes the APPLY with -EBUSY when the
//     tunable is not at its boot value (something else changed it). Built with -D HOOKS_VETO
//     (the sample hooks-veto), it vetoes every APPLY with -EPERM: the payload stays CHECKED, LIST
//     shows the rc, and guests see no change.
// No writable data: the payload is safe to re-apply after a revert. (Payloads with pre or post
// hooks cannot take part in a REPLACE.)
//
//   livepatch-build --target hosted-hypervisor -I hypervisor/port/hosted -o hooks.livepatch hooks.cc
#include <livepatch/payload.h>
#include <xen/errno.h>

extern volatile long compute_scale;  // a static of the hypervisor

namespace {

constexpr long kBootScale = 2;
constexpr long kPatchedScale = 3;

void raise_scale(void) { compute_scale = kPatchedScale; }
void restore_scale(void) { compute_scale = kBootScale; }

int check_scale(livepatch_payload_t*) {
#ifdef HOOKS_VETO
    return -XEN_EPERM;
#else
    return compute_scale == kBootScale ? 0 : -XEN_EBUSY;
#endif
}

}  // namespace

LIVEPATCH_LOAD_HOOK(raise_scale);
LIVEPATCH_UNLOAD_HOOK(restore_scale);
LIVEPATCH_PREAPPLY_HOOK(check_scale);
