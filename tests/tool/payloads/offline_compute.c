/* For the offline `check`/`info` tests: do_compute becomes 3x + 1 (a jump record, no expectation),
 * with .modinfo metadata and a call into the hypervisor. */
#include "fixture_payload.h"

extern const char *xen_extra_version(void);

long offline_compute(long x)
{
    if (x == -1 && xen_extra_version()[0] == 0)
        return 0;
    return 3 * x + 1;
}

LP_REPLACE(do_compute, offline_compute, 6);

static const char offline_modinfo[] __attribute__((section(".modinfo"), used)) =
    "version=1\0description=offline check fixture";
