/* The ambiguous static, chosen with LIVEPATCH_STATIC_SYMBOL. */
#include <livepatch/payload.h>

extern int pick_next(int) LIVEPATCH_STATIC_SYMBOL("common/timer.c", pick_next);

int schedule(int x) { return pick_next(x) + 2; }
LIVEPATCH_REPLACE(schedule);
