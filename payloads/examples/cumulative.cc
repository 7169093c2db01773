// cumulative: a cumulative payload for `xen-livepatch replace`. REPLACE reverts every applied
// payload (for example hello and stacked) and applies this one, in a single rendezvous, so guests
// never see a mix. It supersedes hello (guests see "-cumulative") and carries the grant-copy fix:
// it is built from this file and grant-fix.cc. Its .livepatch.depends is the hypervisor's
// build-id, as REPLACE requires, and it has no pre or post hooks.
//
//   livepatch-build --target hosted-hypervisor -I hypervisor/port/hosted
//                   -o cumulative.livepatch cumulative.cc grant-fix.cc
#include <livepatch/payload.h>

#include "hypercalls.h"

extern "C" const char* xen_extra_version(void) { return "-cumulative"; }
LIVEPATCH_REPLACE(xen_extra_version);
