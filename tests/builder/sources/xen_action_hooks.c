/* The action hooks, with a record patching xen_minor_version through a constant table of
 * function pointers (.data.rel.ro: relocated at upload, then read-only, so the payload stays safe
 * to re-apply). */
#include <livepatch/payload.h>

static int minor_a(void) { return 18; }
static int minor_b(void) { return 19; }
static int (*const minors[])(void) = {minor_a, minor_b};

int xen_minor_version(void)
{
    unsigned i = 0;
    __asm__("" : "+r"(i)); /* an index the compiler cannot see through: the table stays */
    return minors[i & 1]();
}
LIVEPATCH_REPLACE(xen_minor_version);

static int apply_action(livepatch_payload_t *p) { (void)p; return 0; }
static int revert_action(livepatch_payload_t *p) { (void)p; return 0; }
LIVEPATCH_APPLY_HOOK(apply_action);
LIVEPATCH_REVERT_HOOK(revert_action);
