/* Refused: the hypervisor has no function of that name. */
#include <livepatch/payload.h>

int no_such_function(int x) { return x; }
LIVEPATCH_REPLACE(no_such_function);
