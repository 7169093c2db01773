// The hosted hypervisor's runtime: a real process that plays a Type-1 hypervisor. It provides the
// engine's port (hosted_port.cc) on top of:
//   - its own ELF image: symbol table (statics as "file#name") and build-id (image.cc);
//   - its patchable text: the guest-facing code in .hypervisor_text, pages of their own, and the
//     payload arena, both written only through a view mapped inside the patch window
//     (hypervisor_text.ld, text_alias.h);
//   - N pCPU threads that run guest work through hypervisor functions and reach livepatch safe
//     points between work items and in the idle loop, woken by an IPI equivalent (cpus.cc);
//   - guest memory for the sysctl: one arena per request, handles are arena offsets + 1.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>
#include <string>

#include "core/symtab/symbol_table.h"

namespace livepatch::hosted {

// --- the image --------------------------------------------------------------------------------

struct Image {
    SymbolTable symbols;
    uint64_t text_start = 0, text_end = 0;   // run-time bounds of the patchable text (.hypervisor_text)
    uint8_t build_id[64] = {};
    uint32_t build_id_len = 0;
    size_t symbol_count = 0;
};

// Reads /proc/self/exe once (the first call) and returns the result. Aborts with a message when
// the image has no symbol table or no patchable text (it cannot live-patch without them).
const Image& image();

// --- CPUs ---------------------------------------------------------------------------------------

// One unit of guest work on `cpu`; returns to the pCPU loop, which then reaches a safe point.
using GuestWork = void (*)(unsigned cpu, void* ctx);

struct CpuOptions {
    unsigned count = 0;     // 0: the online CPUs
    bool pin = true;        // pin pCPU i to host CPU i % online (when count exceeds the cores too)
    GuestWork work = nullptr;  // nullptr: every pCPU idles
    void* ctx = nullptr;
};

// Starts the pCPU threads. Call once; stop_cpus() joins them.
void start_cpus(const CpuOptions& options);
void stop_cpus();

// Number of pCPUs started (0 before start_cpus).
unsigned cpu_total();

// Holds `cpu` away from its safe points (it spins in "guest context") until released: a test
// of the rendezvous timeout. Returns once the CPU is spinning.
void hold_cpu(unsigned cpu, bool hold);

// Units of guest work completed by `cpu` so far.
uint64_t cpu_progress(unsigned cpu);

// Number of IPIs (kicks) delivered so far, for diagnostics.
uint64_t ipis_sent();

// --- guest memory ---------------------------------------------------------------------------------

// Makes [base, base + len) the calling thread's guest memory for the sysctl being served: a handle
// h names arena bytes starting at offset h - 1 (0 is NULL). Pass nullptr to clear.
void set_guest_arena(uint8_t* base, size_t len);

// --- log ---------------------------------------------------------------------------------------------

// Lines less severe than `level` (0 error, 1 warning, 2 info, 3 debug) are dropped. Default: info.
void set_log_level(int level);

// --- fault injection --------------------------------------------------------------------------------

// The safety check (Xen: active waitqueues) fails with -EBUSY while set.
void set_safety_failure(bool fail);

}  // namespace livepatch::hosted
