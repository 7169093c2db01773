#include "hypercalls.h"

#include <string.h>
#include <xen/errno.h>
#include <xen/version.h>

// File-scope statics whose symbols carry their plain names (the asm labels stop C++ mangling them
// as _ZL...): the hypervisor's symbol table lists them as "hypercalls.cc#<name>" (the object's
// STT_FILE name), and payloads reach them with an extern declaration of <name>.
static GrantTable grant_table asm("grant_table");
// Volatile: nothing in this file writes it after boot, but payload hooks may.
static volatile long compute_scale asm("compute_scale") = 2;

extern "C" {
uint64_t trace_event_count = 0;
}

namespace {
constexpr char kSecret[] = "HYPERVISOR-SECRET";
}  // namespace

// The patchable hypervisor text (hypervisor_text.ld): the code guests enter, which only pCPUs run.
// Only definitions carry it: payloads include hypercalls.h and define functions of these names.
#define HV_TEXT __attribute__((section(".hypervisor_text")))

HV_FUNCTION HV_TEXT const char* xen_extra_version(void) { return "-hosted"; }

HV_FUNCTION HV_TEXT long do_xen_version(int cmd, void* arg) {
    switch (cmd) {
    case XENVER_extraversion: {
        char buf[XEN_EXTRAVERSION_LEN] = {};
        strncpy(buf, xen_extra_version(), sizeof buf - 1);
        memcpy(arg, buf, sizeof buf);
        return 0;
    }
    default:
        return -XEN_ENOSYS;
    }
}

HV_FUNCTION HV_TEXT long do_grant_table_op(unsigned cmd, struct grant_copy_op* ops, unsigned count) {
    if (cmd != 5 /* GNTTABOP_copy */)
        return -XEN_ENOSYS;
    for (unsigned i = 0; i < count; ++i) {
        grant_copy_op& op = ops[i];
        if (op.src_ref >= kGrantFrames) {
            op.status = -XEN_EINVAL;
            continue;
        }
        // BUG: src_offset + len is not checked against kGrantFrameSize.
        raw_copy_to_guest(op.dst, &grant_table.frames[op.src_ref][0] + op.src_offset, op.len);
        op.status = 0;
    }
    return 0;
}

HV_FUNCTION HV_TEXT unsigned long raw_copy_to_guest(void* to, const void* from, unsigned long len) {
    memcpy(to, from, len);
    return 0;
}

HV_FUNCTION HV_TEXT long do_compute(long x) { return compute_scale * x + 1; }

// do_trace_event (see hypercalls.h): the increment first, exactly kTraceCountLen bytes.
#if defined(__x86_64__)
asm(R"(
    .pushsection .hypervisor_text, "ax"
    .globl do_trace_event
    .type do_trace_event, @function
    .p2align 4
do_trace_event:
    lock incq trace_event_count(%rip)
    movq trace_event_count(%rip), %rax
    ret
    .size do_trace_event, . - do_trace_event
    .popsection
)");
#elif defined(__aarch64__)
// The increment is an exclusive load/store loop (ARMv8.0: no LSE atomics assumed), 6 instructions;
// the tail reloads the address itself, so it stands alone once the increment is NOPed.
asm(R"(
    .pushsection .hypervisor_text, "ax"
    .globl do_trace_event
    .type do_trace_event, %function
    .p2align 4
do_trace_event:
    adrp x1, trace_event_count
    add x1, x1, #:lo12:trace_event_count
1:  ldxr x0, [x1]
    add x0, x0, #1
    stxr w2, x0, [x1]
    cbnz w2, 1b
    adrp x1, trace_event_count
    ldr x0, [x1, #:lo12:trace_event_count]
    ret
    .size do_trace_event, . - do_trace_event
    .popsection
)");
#else
#error "do_trace_event: no implementation for this architecture"
#endif

namespace {
HV_TEXT long call_xen_version(long a, long b, long) { return do_xen_version(static_cast<int>(a), reinterpret_cast<void*>(b)); }
HV_TEXT long call_grant_table_op(long a, long b, long c) {
    return do_grant_table_op(static_cast<unsigned>(a), reinterpret_cast<grant_copy_op*>(b), static_cast<unsigned>(c));
}
HV_TEXT long call_compute(long a, long, long) { return do_compute(a); }
HV_TEXT long call_trace(long, long, long) { return do_trace_event(); }

constexpr auto make_table() {
    struct T {
        hypercall_fn fn[HYPERVISOR_nr] = {};
    } t;
    t.fn[HYPERVISOR_xen_version] = call_xen_version;
    t.fn[HYPERVISOR_grant_table_op] = call_grant_table_op;
    t.fn[HYPERVISOR_compute] = call_compute;
    t.fn[HYPERVISOR_trace] = call_trace;
    return t;
}
constexpr auto kTable = make_table();
}  // namespace

hypercall_fn const hypercall_table[HYPERVISOR_nr] = {
#define E(i) kTable.fn[i]
    E(0),  E(1),  E(2),  E(3),  E(4),  E(5),  E(6),  E(7),  E(8),  E(9),  E(10), E(11), E(12),
    E(13), E(14), E(15), E(16), E(17), E(18), E(19), E(20), E(21), E(22), E(23), E(24), E(25),
    E(26), E(27), E(28), E(29), E(30), E(31), E(32), E(33), E(34), E(35), E(36), E(37), E(38),
    E(39), E(40), E(41), E(42), E(43), E(44), E(45), E(46), E(47), E(48), E(49), E(50), E(51),
    E(52), E(53), E(54), E(55), E(56), E(57), E(58), E(59), E(60), E(61), E(62), E(63),
#undef E
};

HV_TEXT long hypercall(unsigned nr, long a1, long a2, long a3) {
    if (nr >= HYPERVISOR_nr || !hypercall_table[nr])
        return -XEN_ENOSYS;
    hypercall_fn fn;
    // Read the entry through a volatile access: the compiler may not resolve the call statically.
    fn = *static_cast<hypercall_fn const volatile*>(&hypercall_table[nr]);
    return fn(a1, a2, a3);
}

void grant_table_init() {
    for (uint32_t f = 0; f < kGrantFrames; ++f)
        memset(grant_table.frames[f], 'a' + static_cast<int>(f), kGrantFrameSize);
    for (size_t i = 0; i < sizeof grant_table.secret; i += sizeof kSecret - 1)
        memcpy(grant_table.secret + i, kSecret,
               i + sizeof kSecret - 1 <= sizeof grant_table.secret ? sizeof kSecret - 1 : sizeof grant_table.secret - i);
}

bool contains_secret(const uint8_t* buf, size_t len) {
    return memmem(buf, len, "SECRET", 6) != nullptr;
}
