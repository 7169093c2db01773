/* Refused: no record and no hook. */
#include <livepatch/payload.h>

int unused_function(int x) { return x; }
