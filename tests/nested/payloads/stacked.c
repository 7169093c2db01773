/* stacked: built on top of hello (livepatch-build --depends hello.livepatch), so Xen applies it
 * only while hello is the top of the applied stack. Patches xen_extra_version again: while both
 * are applied the hypervisor reads "-nested-stacked"; reverting it brings back hello's text. */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-nested-stacked"; }
LIVEPATCH_REPLACE(xen_extra_version);
