/* Refused: a copy of common/sched.c's static data object sched_counter (same file name), changed. */
#include <livepatch/payload.h>

static unsigned long sched_counter = 100;

int schedule(int x)
{
    sched_counter += (unsigned long)x;
    return (int)sched_counter;
}
LIVEPATCH_REPLACE(schedule);
