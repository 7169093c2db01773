/* Refused: the replacement is only declared, so the record would point at the hypervisor's own
 * function. */
#include <livepatch/payload.h>

extern int schedule(int x);
LIVEPATCH_REPLACE(schedule);
