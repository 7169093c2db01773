/* xen_extra_version() becomes "-patched". */
#include "fixture_payload.h"

const char *extra_xen_extra_version(void) { return "-patched"; }

LP_REPLACE(xen_extra_version, extra_xen_extra_version, 5);
