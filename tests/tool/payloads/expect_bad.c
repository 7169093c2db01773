/* Expects do_compute to start with four int3 bytes, which it does not: APPLY refuses it. */
#include "fixture_payload.h"

long expect_bad_do_compute(long x) { return x; }

static struct livepatch_func lp_func_expect LP_SECTION(".livepatch.funcs") = {
    .name = "do_compute",
    .new_addr = (void *)expect_bad_do_compute,
    .old_size = 5,
    .version = 2,
    .expect = {.flags = 1 | (4 << 1), .data = {0xcc, 0xcc, 0xcc, 0xcc}},
};
