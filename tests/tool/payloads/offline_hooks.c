/* For the offline `info`/`check` tests: a NOP record, load and pre-apply hooks and writable data
 * (so the payload is not safe to re-apply, and REPLACE refuses it for its pre-apply hook). */
#include "fixture_payload.h"

typedef void (*hook_fn)(void);

static int offline_loaded;

static void offline_on_load(void) { offline_loaded = 1; }
static int offline_pre_apply(void *payload) { (void)payload; return offline_loaded ? 0 : -16; }

static hook_fn offline_load_hooks[] LP_SECTION(".livepatch.hooks.load") = {offline_on_load};
static int (*offline_preapply_hook)(void *) LP_SECTION(".livepatch.hooks.preapply") = offline_pre_apply;

/* do_trace_event is assembly (hosted/hypercalls.cc): its first 8 bytes are one instruction,
 * `lock incq trace_event_count(%rip)`, in every build variant; a NOP patch must end on an
 * instruction boundary. */
LP_NOP(do_trace_event, 8, 16);
