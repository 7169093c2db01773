/* hooks: the six single hooks and a load and an unload hook, each logging through Xen's printk;
 * patches xen_extra_version ("-corpus-hooks"): the nested test's payload with the corpus's tag.
 * No writable data: safe to re-apply. */
#define HOOKS_TAG "corpus-hooks"
#include "../../nested/payloads/hooks.c"
