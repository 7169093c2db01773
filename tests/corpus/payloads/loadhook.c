/* loadhook: a payload with no function record, only a load and an unload hook. */
#include <livepatch/payload.h>

void printk(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void on_load(void) { printk("corpus-loadhook: load\n"); }
static void on_unload(void) { printk("corpus-loadhook: unload\n"); }
LIVEPATCH_LOAD_HOOK(on_load);
LIVEPATCH_UNLOAD_HOOK(on_unload);
