/* Refused: does not compile. */
#include <livepatch/payload.h>

int schedule(int x) { return x + ; }
LIVEPATCH_REPLACE(schedule);
