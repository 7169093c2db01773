/* A xen-syms-like image for the builder tests: a function with room for every patch, and
 * printk. */
#include "image.h"

long do_compute(long x)
{
    long r = 2 * x + 1;
    if (x > 1000)
        r += x / 3;
    return r;
}

static char printk_buf[64];

void printk(const char *fmt, ...)
{
    for (unsigned i = 0; fmt[i] && i < sizeof(printk_buf) - 1; i++)
        printk_buf[i] = fmt[i];
}
