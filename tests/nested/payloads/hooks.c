/* hooks: every hook kind Xen 4.17 runs around APPLY and REVERT, each logging one line through
 * Xen's printk, in the order the nested test expects on the serial console:
 *   pre-apply, load, post-apply (APPLY); pre-revert, unload, post-revert (REVERT).
 * Also patches xen_extra_version ("-nested-hooks"). Pre/post hooks make it refused by REPLACE
 * (-EOPNOTSUPP). No writable data, so it is safe to re-apply. */
#include <livepatch/payload.h>

void printk(const char *format, ...) __attribute__((format(printf, 1, 2)));

const char *xen_extra_version(void) { return "-nested-hooks"; }
LIVEPATCH_REPLACE(xen_extra_version);

static int pre_apply(livepatch_payload_t *p) { (void)p; printk("nested-hooks: pre-apply\n"); return 0; }
static void on_load(void) { printk("nested-hooks: load\n"); }
static void post_apply(livepatch_payload_t *p) { (void)p; printk("nested-hooks: post-apply\n"); }
static int pre_revert(livepatch_payload_t *p) { (void)p; printk("nested-hooks: pre-revert\n"); return 0; }
static void on_unload(void) { printk("nested-hooks: unload\n"); }
static void post_revert(livepatch_payload_t *p) { (void)p; printk("nested-hooks: post-revert\n"); }

LIVEPATCH_PREAPPLY_HOOK(pre_apply);
LIVEPATCH_LOAD_HOOK(on_load);
LIVEPATCH_POSTAPPLY_HOOK(post_apply);
LIVEPATCH_PREREVERT_HOOK(pre_revert);
LIVEPATCH_UNLOAD_HOOK(on_unload);
LIVEPATCH_POSTREVERT_HOOK(post_revert);
