/* applyhook: an APPLY action hook that returns 0 without patching the record it carries. Xen
 * 4.17 then finds the function not applied and panics ("partially applied"). */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-corpus-applyhook"; }
LIVEPATCH_REPLACE(xen_extra_version);

static int apply_action(livepatch_payload_t *p) { (void)p; return 0; }
LIVEPATCH_APPLY_HOOK(apply_action);
