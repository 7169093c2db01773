/* third: built with --depends stacked.livepatch: the third payload of a dependency chain. */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-corpus-third"; }
LIVEPATCH_REPLACE(xen_extra_version);
