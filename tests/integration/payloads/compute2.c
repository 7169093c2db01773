/* do_compute(x) becomes 2x + 2. No writable data: safe to re-apply after a revert. */
#include "fixture_payload.h"

long compute2_do_compute(long x) { return 2 * x + 2; }

LP_REPLACE(do_compute, compute2_do_compute, 5);
