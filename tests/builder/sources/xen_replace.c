/* A payload for the xen-syms-like images: a global and a static target, a unique hypervisor
 * static reached by its plain name, hypervisor data read through extern, payload statics, and
 * every hook kind but the action hooks. */
#include <livepatch/payload.h>

extern void printk(const char *fmt, ...);
extern void do_schedule(void);              /* common/sched.c#do_schedule: the only one */
extern unsigned long xen_data_object;       /* the hypervisor's data: used, never redefined */

static unsigned long fix_calls;             /* a payload static: named xen_replace.c#fix_calls */

static __attribute__((noinline)) long fix_scale(long x) { return x * 3 + (long)fix_calls; }

long do_compute(long x)
{
    fix_calls++;
    do_schedule();
    return fix_scale(x) + (long)xen_data_object;
}
LIVEPATCH_REPLACE(do_compute);

/* The static `pick_next` of common/sched.c (common/timer.c has one too). */
static int pick_next(int x) { return x * 9; }
LIVEPATCH_REPLACE_IN("common/sched.c", pick_next);

static void on_load(void) { fix_calls = 0; }
static void on_unload(void) { printk("unloaded"); }
static int pre_apply(livepatch_payload_t *p) { (void)p; return 0; }
static void post_apply(livepatch_payload_t *p) { (void)p; printk("applied"); }
static int pre_revert(livepatch_payload_t *p) { (void)p; return fix_calls > 1000 ? -16 : 0; }
static void post_revert(livepatch_payload_t *p) { (void)p; }

LIVEPATCH_LOAD_HOOK(on_load);
LIVEPATCH_UNLOAD_HOOK(on_unload);
LIVEPATCH_PREAPPLY_HOOK(pre_apply);
LIVEPATCH_POSTAPPLY_HOOK(post_apply);
LIVEPATCH_PREREVERT_HOOK(pre_revert);
LIVEPATCH_POSTREVERT_HOOK(post_revert);
