// The hosted hypervisor's hypercalls: the functions guests enter and payloads patch. They have
// C linkage so their symbols carry Xen's names (xen_extra_version, do_xen_version, ...), and
// `noipa` so that every call really enters them (no inlining, cloning or return-value
// propagation that a live patch could not reach).
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HV_FUNCTION extern "C" __attribute__((noipa, used))

// Hypercall numbers of the hosted hypercall table (Xen's where Xen has one).
enum : unsigned {
    HYPERVISOR_xen_version = 17,
    HYPERVISOR_grant_table_op = 20,
    HYPERVISOR_compute = 48,  // hosted only: an arithmetic service for load generation
    HYPERVISOR_trace = 49,    // hosted only: records one trace event, returns the event count
    HYPERVISOR_nr = 64,
};

// One grant copy: `len` bytes from offset `src_offset` of the grant frame `src_ref` into `dst`.
struct grant_copy_op {
    uint32_t src_ref;
    uint32_t src_offset;
    uint32_t len;
    int32_t status;  // 0 or -errno
    uint8_t* dst;
};

constexpr uint32_t kGrantFrames = 8;
constexpr uint32_t kGrantFrameSize = 4096;

// The grant frames and, right after them, hypervisor data a guest must never read. The one
// instance is `grant_table`, a file-scope static of hypercalls.cc (in the hypervisor's symbol
// table: "hypercalls.cc#grant_table"); a payload reaches it by declaring
// `extern GrantTable grant_table;` (livepatch-build resolves the static).
struct GrantTable {
    uint8_t frames[kGrantFrames][kGrantFrameSize];
    uint8_t secret[kGrantFrameSize];
};

// Xen's: the extra version string ("-hosted" until patched).
HV_FUNCTION const char* xen_extra_version(void);

// XENVER_extraversion copies xen_extra_version() into a 16-byte guest buffer.
HV_FUNCTION long do_xen_version(int cmd, void* arg);

// GNTTABOP_copy (Xen: struct gnttab_copy) for `count` operations. Contains the bug the sample
// payload payloads/examples/grant-fix.cc fixes: the offset and length are not checked against
// the frame size, so a guest can read past its grant frame into hypervisor memory.
HV_FUNCTION long do_grant_table_op(unsigned cmd, struct grant_copy_op* ops, unsigned count);

// Copies `len` bytes of hypervisor memory at `from` to the guest buffer `to` (Xen:
// raw_copy_to_guest); returns the bytes not copied (0: guest buffers are plain memory here).
// The copy primitive of the hypercalls, and of payloads that replace them.
HV_FUNCTION unsigned long raw_copy_to_guest(void* to, const void* from, unsigned long len);

// An arithmetic service: returns compute_scale * x + 1. `compute_scale` is a hypervisor tunable,
// a file-scope static of hypercalls.cc (2 at boot, so 2x + 1); payloads may change the formula
// or, from their hooks, the tunable.
HV_FUNCTION long do_compute(long x);

// Records one trace event: atomically increments `trace_event_count`, then returns its value.
// Written in assembly so that its first kTraceCountLen bytes are exactly the increment: NOPing
// them (a NOP patch of that length) stops the counting, and the function then returns the count
// unchanged. Safe to NOP at any time: the remaining instructions stand alone.
HV_FUNCTION long do_trace_event(void);
#if defined(__x86_64__)
constexpr uint32_t kTraceCountLen = 8;  // lock incq trace_event_count(%rip)
#elif defined(__aarch64__)
constexpr uint32_t kTraceCountLen = 24;  // adrp; add; ldxr; add; stxr; cbnz (6 NOPs)
#endif

// The trace events recorded so far (read with __atomic_load_n).
extern "C" uint64_t trace_event_count;

// The hypercall table: index by HYPERVISOR_* number; nullptr for unused numbers.
using hypercall_fn = long (*)(long, long, long);
extern hypercall_fn const hypercall_table[HYPERVISOR_nr];

// Issues hypercall `nr` as a guest would (through the table).
long hypercall(unsigned nr, long a1, long a2, long a3);

// Fills the grant frames with a recognisable pattern and the memory after them with a secret
// (the bytes a guest must never see).
void grant_table_init();
bool contains_secret(const uint8_t* buf, size_t len);
