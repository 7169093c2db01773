/* A xen-syms-like image for the builder tests: statics named "common/sched.c#...". */
#include "image.h"

static unsigned long sched_counter = 1;  /* common/sched.c#sched_counter */

/* common/sched.c#pick_next (also in common/timer.c: ambiguous by plain name). */
static NOINLINE int pick_next(int x) { return x * 7 + (int)sched_counter; }

/* common/sched.c#do_schedule: the only static of that name. */
static NOINLINE void do_schedule(void) { sched_counter += 3; }

int schedule(int x)
{
    do_schedule();
    return pick_next(x) + 1;
}
