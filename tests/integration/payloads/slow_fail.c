/* An apply action hook that holds the patch window open for 0.7 s of the hypervisor's clock and
 * then refuses with -EINVAL (-22): a REPLACE with it reverts everything applied, waits, fails,
 * and puts the previous set back. `slow_entered` / `slow_left` mark the hook's start and end. */
#include "fixture_payload.h"

extern unsigned long long hv_now_ns(void) __asm__("_ZN9livepatch4port6now_nsEv");

volatile int slow_entered, slow_left;

static int slow_apply(void *p)
{
    (void)p;
    slow_entered = 1;
    const unsigned long long until = hv_now_ns() + 700000000ull;
    while (hv_now_ns() < until)
        lp_cpu_relax();
    slow_left = 1;
    return -22;
}

long slow_fail_do_compute(long x) { return 2 * x + 9; }

LP_REPLACE(do_compute, slow_fail_do_compute, 5);
static int (*h_apply)(void *) LP_SECTION(".livepatch.hooks.apply") = slow_apply;
