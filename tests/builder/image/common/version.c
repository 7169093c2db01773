/* A xen-syms-like image for the builder tests (see payloads/builder/builder.mk): Xen's version
 * functions. */
#include "image.h"

const char *xen_extra_version(void) { return "-test"; }

int xen_minor_version(void) { return 17; }

/* Too small for a jump: 3 bytes (xor, ret), 7 with ENDBR64 in front. */
int xen_tiny(void) { return 0; }

/* A data object payloads may read (extern) but not redefine. */
unsigned long xen_data_object = 42;
