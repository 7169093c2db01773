/* One payload of the control-plane stress test (tests/stress), configured by the build
 * (tests/stress/stress.mk):
 *   ID          the payload's letter: names its functions, so payloads never share a symbol
 *   COMPUTE     replaces do_compute; without it, xen_extra_version
 *   LOAD_MS     a load hook that spins this long (it runs inside the APPLY window), 0: none
 *   UNLOAD_MS   an unload hook that spins this long (inside the REVERT window), 0: none
 *   POST_MS     post-apply and post-revert hooks that spin this long (after the window), 0: none
 *   EXPECT_BAD  the record expects four int3 bytes at TARGET, which it never starts with
 *   RO_HOOKS    hook pointers in read-only sections, so the payload stays safe to re-apply
 *               (Xen's safe_to_reapply: no writable data but .livepatch.funcs); without it they
 *               are writable, as a C initializer makes them, and a reverted payload cannot be
 *               applied again. */
#include "fixture_payload.h"

#ifndef LOAD_MS
#define LOAD_MS 0
#endif
#ifndef UNLOAD_MS
#define UNLOAD_MS 0
#endif
#ifndef POST_MS
#define POST_MS 0
#endif

/* livepatch::port::now_ns(), the hosted hypervisor's monotonic clock. */
extern uint64_t hv_now_ns(void) __asm__("_ZN9livepatch4port6now_nsEv");

#define PASTE3(a, b, c) a##b##c
#define XPASTE3(a, b, c) PASTE3(a, b, c)
#define STR2(a) #a
#define STR(a) STR2(a)
#define FN(suffix) XPASTE3(stress_, ID, suffix)

static void spin_ms(uint64_t ms)
{
    const uint64_t start = hv_now_ns();
    while (hv_now_ns() - start < ms * 1000000ull)
        __asm__ volatile("pause");
}

#ifdef RO_HOOKS
/* The pointer in an allocated, read-only section (the engine relocates it before protecting). */
#define HOOK(sec, fn) \
    __asm__(".pushsection " sec ",\"a\",@progbits\n\t.balign 8\n\t.quad " STR(fn) "\n\t.popsection")
#else
#define HOOK(sec, fn) static void *XPASTE3(fn, _, ptr) LP_SECTION(sec) = (void *)fn
#endif

#if LOAD_MS
__attribute__((used)) static void FN(_load)(void) { spin_ms(LOAD_MS); }
HOOK(".livepatch.hooks.load", FN(_load));
#endif
#if UNLOAD_MS
__attribute__((used)) static void FN(_unload)(void) { spin_ms(UNLOAD_MS); }
HOOK(".livepatch.hooks.unload", FN(_unload));
#endif
#if POST_MS
__attribute__((used)) static void FN(_post_apply)(void *payload) { (void)payload; spin_ms(POST_MS); }
__attribute__((used)) static void FN(_post_revert)(void *payload) { (void)payload; spin_ms(POST_MS); }
HOOK(".livepatch.hooks.postapply", FN(_post_apply));
HOOK(".livepatch.hooks.postrevert", FN(_post_revert));
#endif

#ifdef COMPUTE
#define TARGET "do_compute"
long FN(_fn)(long x) { return 2 * x + 100; }
#else
#define TARGET "xen_extra_version"
const char *FN(_fn)(void) { return "-stress-" STR(ID); }
#endif

static struct livepatch_func FN(_record) LP_SECTION(".livepatch.funcs") = {
    .name = TARGET,
    .new_addr = (void *)FN(_fn),
    .old_size = 5,
    .version = 2,
#ifdef EXPECT_BAD
    .expect = {.flags = 1 | (4 << 1), .data = {0xcc, 0xcc, 0xcc, 0xcc}},
#endif
};
