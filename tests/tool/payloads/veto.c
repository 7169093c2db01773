/* A pre-apply hook that vetoes every apply with -EPERM: APPLY is accepted, then its status rc is
 * -1 and the payload stays CHECKED (LIST shows the rc). */
#include "fixture_payload.h"

static int pre_apply(void *payload) { (void)payload; return -1; }

long veto_do_compute(long x) { return -x; }

LP_REPLACE(do_compute, veto_do_compute, 5);
static int (*preapply_hook)(void *) LP_SECTION(".livepatch.hooks.preapply") = pre_apply;
