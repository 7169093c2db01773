/* Stacks on hosted_compute: uses its compute_calls and patches do_compute again. */
#include <livepatch/payload.h>

extern unsigned long compute_calls;

long do_compute(long x)
{
    compute_calls += 2;
    return 4 * x + 1;
}
LIVEPATCH_REPLACE(do_compute);
