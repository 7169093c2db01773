// hello: the "hello world" of live patching. Replaces xen_extra_version(), so guests asking
// XENVER_extraversion see "-hello" instead of the hosted hypervisor's "-hosted". Revert it and
// they see "-hosted" again.
//
//   livepatch-build --target hosted-hypervisor -I hypervisor/port/hosted -o hello.livepatch hello.cc
#include <livepatch/payload.h>

#include "hypercalls.h"  // the hypervisor's declaration: the replacement must match it

extern "C" const char* xen_extra_version(void) { return "-hello"; }
LIVEPATCH_REPLACE(xen_extra_version);
