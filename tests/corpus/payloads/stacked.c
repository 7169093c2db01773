/* stacked: built with --depends base.livepatch; applies only while base is the top of the stack. */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-corpus-stacked"; }
LIVEPATCH_REPLACE(xen_extra_version);
