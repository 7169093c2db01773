/* Refused: calls a function the hypervisor does not have. */
#include <livepatch/payload.h>

extern int not_in_the_hypervisor(int);

int schedule(int x) { return not_in_the_hypervisor(x); }
LIVEPATCH_REPLACE(schedule);
