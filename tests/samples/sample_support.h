// Shared code of the sample payload tests: a hosted hypervisor process with guest load and the real
// xen-livepatch (tests/tool/tool_harness.h), the samples built by livepatch-build (LP_SAMPLES), and
// what the guests see (the control socket's guest requests, hypervisor/port/hosted/guest_probe.h).
#pragma once

#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

#include "tool/tool_harness.h"

namespace sampletest {

using tooltest::Hypervisor;
using tooltest::Json;
using tooltest::Run;

// LP_SAMPLES/<name>.livepatch.
std::string sample(const std::string& name);

// The JSON answer to guest request `request` (a doctest failure when the hypervisor refuses it).
Json guest(const Hypervisor& hv, const std::string& request);

// What a guest vCPU sees now: XENVER_extraversion; HYPERVISOR_compute(10); whether
// HYPERVISOR_trace still counts; the out-of-bounds grant copy (the JSON of grant-oob).
std::string extraversion(const Hypervisor& hv);
long compute(const Hypervisor& hv);
bool trace_counts(const Hypervisor& hv);
Json grant_oob(const Hypervisor& hv);

// Guest statistics (the stats request); counter `key` of them.
Json stats(const Hypervisor& hv);
uint64_t counter(const Hypervisor& hv, const std::string& key);

// Polls the stats until `pred` holds (true) or 10 s have passed (false).
bool wait_for_stats(const Hypervisor& hv, const std::function<bool(const Json&)>& pred);

// Runs xen-livepatch against `hv` (tooltest::Hypervisor::tool) and requires exit status 0. A
// command whose rendezvous timed out (exit 2, nothing changed) is run again, up to 5 times.
Run ok(const Hypervisor& hv, const std::vector<std::string>& args);

// The state of payload `name` as `xen-livepatch --json status` reports it ("APPLIED", ...).
std::string state_of(const Hypervisor& hv, const std::string& name);

// The detail JSON of payload `name` (`xen-livepatch --json status`, field payload).
Json detail(const Hypervisor& hv, const std::string& name);

}  // namespace sampletest
