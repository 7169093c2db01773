/* nop: a NOP patch. Xen 4.17's xen_minor_version() is `mov $0x11,%eax` (5 bytes) and a jump to
 * the return thunk; NOPing the mov leaves the return thunk in place and %eax unset, so
 * XENVER_version's minor number (/sys/hypervisor/version/minor) is no longer 17 while this is
 * applied. Xen's own test payload (xen/test/livepatch) NOPs the same function. */
#include <livepatch/payload.h>

LIVEPATCH_NOP(xen_minor_version, 5);
