/* wrong-build-id: a valid payload whose .livepatch.xen_depends (and .livepatch.depends) the
 * nested test rewrites to a build-id that is not the running Xen's (tests/nested/nested.mk).
 * Xen refuses the upload with -EINVAL. */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-nested-wrong-build-id"; }
LIVEPATCH_REPLACE(xen_extra_version);
