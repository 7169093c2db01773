#include "guest.h"

#include <string.h>
#include <time.h>
#include <xen/version.h>

#include <cstdio>

#include "guest_probe.h"
#include "hypercalls.h"
#include "livepatch/port.h"

namespace livepatch::hosted {

namespace {

thread_local uint64_t t_last_ns = 0;
thread_local long t_last_trace = 0;

void note_gap(GuestStats& s) {
    const uint64_t now = port::now_ns();
    if (t_last_ns) {
        const uint64_t gap = now - t_last_ns;
        uint64_t seen = s.max_gap_ns.load(std::memory_order_relaxed);
        while (gap > seen && !s.max_gap_ns.compare_exchange_weak(seen, gap, std::memory_order_relaxed)) {
        }
    }
    t_last_ns = now;
}

}  // namespace

void guest_work(unsigned cpu, void* ctx) {
    GuestStats& s = *static_cast<GuestStats*>(ctx);
    note_gap(s);
    serve_guest_probe(cpu);

    char extra[XEN_EXTRAVERSION_LEN] = {};
    hypercall(HYPERVISOR_xen_version, XENVER_extraversion, reinterpret_cast<long>(extra), 0);
    if (strcmp(extra, "-hosted") == 0)
        s.version_original.fetch_add(1, std::memory_order_relaxed);
    else
        s.version_patched.fetch_add(1, std::memory_order_relaxed);

    hypercall(HYPERVISOR_compute, static_cast<long>(cpu), 0, 0);

    const long trace = hypercall(HYPERVISOR_trace, 0, 0, 0);
    if (trace > t_last_trace)
        s.trace_counted.fetch_add(1, std::memory_order_relaxed);
    else
        s.trace_uncounted.fetch_add(1, std::memory_order_relaxed);
    t_last_trace = trace;

    // A well-behaved grant copy, and from a malicious vCPU 0 one that reaches past its frame.
    uint8_t buf[256];
    grant_copy_op op{};
    op.src_ref = cpu % kGrantFrames;
    op.src_offset = 128;
    op.len = 64;
    op.dst = buf;
    hypercall(HYPERVISOR_grant_table_op, 5, reinterpret_cast<long>(&op), 1);
    s.grant_copies.fetch_add(1, std::memory_order_relaxed);
    if (cpu == 0 && s.malicious.load(std::memory_order_relaxed)) {
        grant_copy_op evil{};
        evil.src_ref = kGrantFrames - 1;
        evil.src_offset = kGrantFrameSize - 32;
        evil.len = 96;  // 64 bytes past the last frame
        evil.dst = buf;
        hypercall(HYPERVISOR_grant_table_op, 5, reinterpret_cast<long>(&evil), 1);
        s.hypercalls.fetch_add(1, std::memory_order_relaxed);
        s.grant_copies.fetch_add(1, std::memory_order_relaxed);
        if (evil.status < 0)
            s.grant_refused.fetch_add(1, std::memory_order_relaxed);
        else if (contains_secret(buf, evil.len))
            s.grant_leaks.fetch_add(1, std::memory_order_relaxed);
    }
    s.hypercalls.fetch_add(4, std::memory_order_relaxed);
}

std::string guest_summary(const GuestStats& s) {
    char line[384];
    snprintf(line, sizeof line,
             "hypercalls %llu, extraversion original %llu / patched %llu, grant copies %llu "
             "(leaked %llu, refused %llu), trace events counted %llu / not %llu, longest vCPU stall %.1f us",
             static_cast<unsigned long long>(s.hypercalls.load()),
             static_cast<unsigned long long>(s.version_original.load()),
             static_cast<unsigned long long>(s.version_patched.load()),
             static_cast<unsigned long long>(s.grant_copies.load()),
             static_cast<unsigned long long>(s.grant_leaks.load()),
             static_cast<unsigned long long>(s.grant_refused.load()),
             static_cast<unsigned long long>(s.trace_counted.load()),
             static_cast<unsigned long long>(s.trace_uncounted.load()), s.max_gap_ns.load() / 1000.0);
    return line;
}

}  // namespace livepatch::hosted
