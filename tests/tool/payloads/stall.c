/* Keeps every pCPU inside the hypervisor, away from its safe points, until 8 s after the first
 * call of the patched do_compute (the guest load calls it in every unit of work): an action
 * scheduled in that time stays scheduled and not started (GET rc -EAGAIN), as a long hypercall
 * delays Xen's rendezvous. Afterwards do_compute is 2x + 1 again. */
#include "fixture_payload.h"

/* livepatch::port::now_ns(), the hosted hypervisor's monotonic clock. */
extern uint64_t hv_now_ns(void) __asm__("_ZN9livepatch4port6now_nsEv");

static uint64_t stall_until;

long stall_do_compute(long x)
{
    uint64_t until = __atomic_load_n(&stall_until, __ATOMIC_ACQUIRE);
    if (!until) {
        const uint64_t mine = hv_now_ns() + 8000000000ull;
        __atomic_compare_exchange_n(&stall_until, &until, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        until = __atomic_load_n(&stall_until, __ATOMIC_ACQUIRE);
    }
    while (hv_now_ns() < until)
#if defined(__aarch64__)
        __asm__ volatile("yield");
#else
        __asm__ volatile("pause");
#endif
    return 2 * x + 1;
}

LP_REPLACE(do_compute, stall_do_compute, 5);
