/* nop: a NOP record: Xen 4.17's xen_minor_version() starts with the 5-byte `mov $0x11,%eax`. */
#include <livepatch/payload.h>

LIVEPATCH_NOP(xen_minor_version, 5);
