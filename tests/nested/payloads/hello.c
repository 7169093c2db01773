/* hello: replaces Xen's xen_extra_version(), so `xl info` (xen_extra) and
 * /sys/hypervisor/version/extra read "-nested-hello" while it is applied. */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-nested-hello"; }
LIVEPATCH_REPLACE(xen_extra_version);
