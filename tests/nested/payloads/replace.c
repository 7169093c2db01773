/* replace: a cumulative payload for the REPLACE action, which reverts every applied payload and
 * applies this one in one rendezvous. xen_extra_version reads "-nested-replace". */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-nested-replace"; }
LIVEPATCH_REPLACE(xen_extra_version);
