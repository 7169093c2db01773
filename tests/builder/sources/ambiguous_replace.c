/* Refused: which `pick_next` to replace is ambiguous. */
#include <livepatch/payload.h>

int pick_next(int x) { return x; }
LIVEPATCH_REPLACE(pick_next);
