/* Refused: redefines the hypervisor's data object xen_data_object. */
#include <livepatch/payload.h>

unsigned long xen_data_object = 7;

int xen_minor_version(void) { return (int)xen_data_object; }
LIVEPATCH_REPLACE(xen_minor_version);
