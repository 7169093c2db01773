// Guest load for the hosted hypervisor: each pCPU runs a vCPU that keeps entering hypervisor
// functions through the hypercall table and checks what they return.
#pragma once

#include <stdint.h>

#include <atomic>
#include <string>

namespace livepatch::hosted {

struct GuestStats {
    std::atomic<uint64_t> hypercalls{0};
    std::atomic<uint64_t> version_original{0};  // xen_extra_version() was "-hosted"
    std::atomic<uint64_t> version_patched{0};   // it was something else
    std::atomic<uint64_t> grant_copies{0};
    std::atomic<uint64_t> grant_leaks{0};       // a copy returned hypervisor secret bytes
    std::atomic<uint64_t> grant_refused{0};     // a copy was refused (status < 0)
    std::atomic<uint64_t> trace_counted{0};     // HYPERVISOR_trace returned a higher count than
    std::atomic<uint64_t> trace_uncounted{0};   // this vCPU saw last time / the same count
    std::atomic<uint64_t> max_gap_ns{0};        // longest pause between two work units of a vCPU
    std::atomic<bool> malicious{false};         // vCPU 0 also tries out-of-bounds grant copies
};

// One unit of guest work (CpuOptions::work); `ctx` is a GuestStats. Starts by serving a pending
// guest probe (guest_probe.h), if any.
void guest_work(unsigned cpu, void* ctx);

// A line summarising the stats.
std::string guest_summary(const GuestStats& s);

}  // namespace livepatch::hosted
