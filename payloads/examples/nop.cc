// nop: a NOP patch (no replacement function: new_addr 0). The hosted hypervisor's trace hypercall,
// do_trace_event, starts with the atomic increment of its event count (exactly kTraceCountLen
// bytes, hypercalls.h); this payload overwrites those bytes with NOPs. Applied, guests see the
// count stop: every HYPERVISOR_trace returns the same value. Reverted, the original bytes are back
// and the count moves again.
//
//   livepatch-build --target hosted-hypervisor -I hypervisor/port/hosted -o nop.livepatch nop.cc
#include <livepatch/payload.h>

#include "hypercalls.h"

LIVEPATCH_NOP(do_trace_event, kTraceCountLen);
