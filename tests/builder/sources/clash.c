/* Refused: defines `schedule`, a hypervisor function, without replacing it. */
#include <livepatch/payload.h>

int schedule(int x) { return x; }

long do_compute(long x) { return schedule((int)x) + 1; }
LIVEPATCH_REPLACE(do_compute);
