/* do_compute(x) becomes 2x + 3: stacks on compute2, or replaces it (REPLACE). */
#include "fixture_payload.h"

long compute3_do_compute(long x) { return 2 * x + 3; }

LP_REPLACE(do_compute, compute3_do_compute, 5);
