/* do_compute(x) becomes 3x. Built, like every tool payload, to depend on the hypervisor; the
 * tests re-point its .livepatch.depends at compute's build-id to stack it on compute. */
#include "fixture_payload.h"

long compute_top_do_compute(long x) { return 3 * x; }

LP_REPLACE(do_compute, compute_top_do_compute, 5);
