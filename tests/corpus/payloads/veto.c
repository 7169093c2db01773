/* veto: a pre-apply hook that refuses the first APPLY and a pre-revert hook that refuses the
 * first REVERT, with -EACCES (13; not -EBUSY, which the recorder takes for a missed rendezvous);
 * later calls succeed, so the payload can always be cleaned up. */
#include <livepatch/payload.h>

void printk(const char *format, ...) __attribute__((format(printf, 1, 2)));

static unsigned int apply_calls, revert_calls;

const char *xen_extra_version(void) { return "-corpus-veto"; }
LIVEPATCH_REPLACE(xen_extra_version);

static int pre_apply(livepatch_payload_t *p) { (void)p; return apply_calls++ ? 0 : -13; }
static int pre_revert(livepatch_payload_t *p) { (void)p; return revert_calls++ ? 0 : -13; }
LIVEPATCH_PREAPPLY_HOOK(pre_apply);
LIVEPATCH_PREREVERT_HOOK(pre_revert);
