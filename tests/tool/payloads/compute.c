/* do_compute(x) becomes 2x + 5. The first of a stacked pair (compute_top.c goes on top). */
#include "fixture_payload.h"

long compute_do_compute(long x) { return 2 * x + 5; }

LP_REPLACE(do_compute, compute_do_compute, 5);
