/* xen_extra_version() becomes "-toolpatch"; carries .modinfo metadata for LIST's third column. */
#include "fixture_payload.h"

const char *extra_xen_extra_version(void) { return "-toolpatch"; }

LP_REPLACE(xen_extra_version, extra_xen_extra_version, 5);

static const char modinfo[] __attribute__((section(".modinfo"), used)) = "version=1\0author=test";
