// Observing the guests of the hosted hypervisor from outside the process (beyond Xen's ABI): their
// statistics, and probes that make a guest vCPU perform one operation now and report what it saw.
// Served on the control socket (wire_protocol.h, kind kGuest) for the tests, the demo and the
// guest-probe program. Requests, each a single word:
//
//   stats         the guests' counters (GuestStats), the hypervisor's trace count, per-vCPU work
//   reset-stall   the same, then the longest vCPU stall (max_gap_ns) starts again from 0
//   extraversion  a vCPU issues XENVER_extraversion
//   grant-copy    a vCPU copies 64 bytes from inside its grant frame
//   grant-oob     a vCPU copies 96 bytes from 32 bytes before the end of the last grant frame
//                 (the out-of-bounds copy of the grant-copy bug)
//   compute       a vCPU issues HYPERVISOR_compute with x = 10
//   trace         a vCPU issues HYPERVISOR_trace twice
//
// The JSON answers are described in docs/design.md (§8b).
#pragma once

#include <stdint.h>

#include <string>

#include "guest.h"

namespace livepatch::hosted {

// Makes `stats` the guests that requests report on and probe (nullptr: none, and every request
// fails with -ENODEV). The guests must run guest_work() for probes to be served.
void set_observed_guests(GuestStats* stats);

// Called by a vCPU at the start of each unit of guest work: performs the pending probe, if any,
// on `cpu`. One relaxed load when none is pending.
void serve_guest_probe(unsigned cpu);

// Serves request `word`: 0 and the JSON answer in *json, or a negative Xen errno: -EINVAL (unknown
// word), -ENODEV (no observed guests), -ETIMEDOUT (no vCPU took the probe within 2 s: the guests
// are idle or held), -ENOMEM. One probe runs at a time; concurrent callers wait their turn.
int32_t guest_request(const char* word, std::string* json);

}  // namespace livepatch::hosted
