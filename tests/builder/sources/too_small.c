/* Refused: xen_tiny is smaller than the jump (3 bytes; 7 with ENDBR64, which needs 9). */
#include <livepatch/payload.h>

int xen_tiny(void) { return 1; }
LIVEPATCH_REPLACE(xen_tiny);
