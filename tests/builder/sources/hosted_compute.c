/* For the hosted hypervisor: do_compute becomes 3x + 1, counting its calls in a new global that
 * a later payload may use. */
#include <livepatch/payload.h>

unsigned long compute_calls;

long do_compute(long x)
{
    compute_calls++;
    return 3 * x + 1;
}
LIVEPATCH_REPLACE(do_compute);
