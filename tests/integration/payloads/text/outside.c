/* Names an old function outside the patchable hypervisor text: livepatch::port::now_ns, the clock
 * that socket, worker and pCPU threads all call (the rendezvous parks only pCPUs, so a jump
 * written there could be torn under a thread that is not parked). UPLOAD must refuse it. */
#include "fixture_payload.h"

uint64_t outside_now_ns(void) { return 0; }

static struct livepatch_func lp_func_outside LP_SECTION(".livepatch.funcs") = {
    .name = "_ZN9livepatch4port6now_nsEv",
    .new_addr = (void *)outside_now_ns,
    .old_size = 5,
    .version = 2,
};
