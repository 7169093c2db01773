/* Refused: do_compute is both replaced and NOPed. */
#include <livepatch/payload.h>

long do_compute(long x) { return x; }
LIVEPATCH_REPLACE(do_compute);
LIVEPATCH_NOP(do_compute, 5);
