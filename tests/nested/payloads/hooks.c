/* hooks: every hook kind Xen 4.17 runs around APPLY and REVERT, each logging one line through
 * Xen's printk, in the order the nested test expects on the serial console:
 *   pre-apply, load, post-apply (APPLY); pre-revert, unload, post-revert (REVERT).
 * Also patches xen_extra_version ("-nested-hooks"). Pre/post hooks make it refused by REPLACE
 * (-EOPNOTSUPP). No writable data, so it is safe to re-apply.
 * HOOKS_TAG names the lines and the version suffix; tests/corpus/payloads/hooks.c sets its own. */
#include <livepatch/payload.h>

#ifndef HOOKS_TAG
#define HOOKS_TAG "nested-hooks"
#endif

void printk(const char *format, ...) __attribute__((format(printf, 1, 2)));

const char *xen_extra_version(void) { return "-" HOOKS_TAG; }
LIVEPATCH_REPLACE(xen_extra_version);

static int pre_apply(livepatch_payload_t *p) { (void)p; printk(HOOKS_TAG ": pre-apply\n"); return 0; }
static void on_load(void) { printk(HOOKS_TAG ": load\n"); }
static void post_apply(livepatch_payload_t *p) { (void)p; printk(HOOKS_TAG ": post-apply\n"); }
static int pre_revert(livepatch_payload_t *p) { (void)p; printk(HOOKS_TAG ": pre-revert\n"); return 0; }
static void on_unload(void) { printk(HOOKS_TAG ": unload\n"); }
static void post_revert(livepatch_payload_t *p) { (void)p; printk(HOOKS_TAG ": post-revert\n"); }

LIVEPATCH_PREAPPLY_HOOK(pre_apply);
LIVEPATCH_LOAD_HOOK(on_load);
LIVEPATCH_POSTAPPLY_HOOK(post_apply);
LIVEPATCH_PREREVERT_HOOK(pre_revert);
LIVEPATCH_UNLOAD_HOOK(on_unload);
LIVEPATCH_POSTREVERT_HOOK(post_revert);
