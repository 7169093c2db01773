/* A xen-syms-like image for the builder tests: another static `pick_next`. */
#include "image.h"

static unsigned long timer_ticks;

static NOINLINE int pick_next(int x) { return x * 11 + (int)timer_ticks; }

int set_timer(int x)
{
    timer_ticks += (unsigned long)x;
    return pick_next(x) - 1;
}
