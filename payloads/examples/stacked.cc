// stacked: a payload stacked on hello. Built with `--depends hello.livepatch`, its
// .livepatch.depends is hello's build-id, so it applies only while hello is the top of the applied
// stack; while it is applied, hello cannot be reverted (revert order: top first). It replaces
// xen_extra_version() again: guests see "-hello+stacked", and "-hello" once it is reverted.
//
//   livepatch-build --target hosted-hypervisor -I hypervisor/port/hosted
//                   --depends hello.livepatch -o stacked.livepatch stacked.cc
#include <livepatch/payload.h>

#include "hypercalls.h"

extern "C" const char* xen_extra_version(void) { return "-hello+stacked"; }
LIVEPATCH_REPLACE(xen_extra_version);
