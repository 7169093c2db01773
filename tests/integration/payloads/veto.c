/* A pre-apply hook that vetoes the apply with -EPERM (-1), and a post-apply hook that counts. */
#include "fixture_payload.h"

static int pre_apply(void *payload) { (void)payload; return -1; }
static void post_apply(void *payload) { (void)payload; }

long veto_do_compute(long x) { return -x; }

LP_REPLACE(do_compute, veto_do_compute, 5);
static int (*preapply_hook)(void *) LP_SECTION(".livepatch.hooks.preapply") = pre_apply;
static void (*postapply_hook)(void *) LP_SECTION(".livepatch.hooks.postapply") = post_apply;
