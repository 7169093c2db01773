/* For the offline `check` tests: replaces xen_extra_version, expecting 5 bytes (ud2 ud2 ud2's first
 * byte) that no compiler emits at its start, so that APPLY's expectation check fails. The tests
 * rewrite the expected bytes in a copy to show the matching case. */
#include "fixture_payload.h"

const char *offline_expect_version(void)
{
    return "offline-expect";
}

static struct livepatch_func lp_expect LP_SECTION(".livepatch.funcs") = {
    .name = "xen_extra_version",
    .new_addr = (void *)offline_expect_version,
    .new_size = 16,
    .old_size = 8,
    .version = 2,
    .expect = {.flags = 1 | (5 << 1), .data = {0x0f, 0x0b, 0x0f, 0x0b, 0x0f}},
};
