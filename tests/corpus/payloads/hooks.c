/* hooks: the six single hooks and a load and an unload hook, each logging through Xen's printk;
 * patches xen_extra_version ("-corpus-hooks"). No writable data: safe to re-apply. */
#include <livepatch/payload.h>

void printk(const char *format, ...) __attribute__((format(printf, 1, 2)));

const char *xen_extra_version(void) { return "-corpus-hooks"; }
LIVEPATCH_REPLACE(xen_extra_version);

static int pre_apply(livepatch_payload_t *p) { (void)p; printk("corpus-hooks: pre-apply\n"); return 0; }
static void on_load(void) { printk("corpus-hooks: load\n"); }
static void post_apply(livepatch_payload_t *p) { (void)p; printk("corpus-hooks: post-apply\n"); }
static int pre_revert(livepatch_payload_t *p) { (void)p; printk("corpus-hooks: pre-revert\n"); return 0; }
static void on_unload(void) { printk("corpus-hooks: unload\n"); }
static void post_revert(livepatch_payload_t *p) { (void)p; printk("corpus-hooks: post-revert\n"); }

LIVEPATCH_PREAPPLY_HOOK(pre_apply);
LIVEPATCH_LOAD_HOOK(on_load);
LIVEPATCH_POSTAPPLY_HOOK(post_apply);
LIVEPATCH_PREREVERT_HOOK(pre_revert);
LIVEPATCH_UNLOAD_HOOK(on_unload);
LIVEPATCH_POSTREVERT_HOOK(post_revert);
