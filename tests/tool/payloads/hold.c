/* A load hook that holds the rendezvous window for 5 s: long enough that a test can start the
 * tool a few times, on a loaded host, and still find the APPLY in progress (GET rc -EAGAIN). The
 * tests that only need some slow action use slow.c (1.5 s). No function records. */
#include "fixture_payload.h"

/* livepatch::port::now_ns(), the hosted hypervisor's monotonic clock. */
extern uint64_t hv_now_ns(void) __asm__("_ZN9livepatch4port6now_nsEv");

static void hold_window(void)
{
    const uint64_t start = hv_now_ns();
    while (hv_now_ns() - start < 5000000000ull)
#if defined(__aarch64__)
        __asm__ volatile("yield");
#else
        __asm__ volatile("pause");
#endif
}

typedef void (*hook_fn)(void);
static hook_fn load_hooks[] LP_SECTION(".livepatch.hooks.load") = {hold_window};
