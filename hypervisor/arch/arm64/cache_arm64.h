// AArch64 cache maintenance after instructions were written with ordinary stores (Arm ARM
// DDI 0487, B2.4.4 "Concurrent modification and execution of instructions"): the new words must
// reach the point of unification before any core's instruction fetch may see them.
//
//   DC CVAU  each data-cache line of the range   clean to the point of unification
//   DSB ISH                                       the cleans complete, inner shareable domain
//   IC IVAU  each instruction-cache line          invalidate to the point of unification
//   DSB ISH                                       the invalidations complete on every core
//   ISB                                           this core refetches
//
// Other cores refetch at their own context synchronisation: the ISB of the post-action that
// every CPU runs before leaving the rendezvous (arch::post_patch). Line sizes come from CTR_EL0
// (DminLine bits 19:16, IminLine bits 3:0, log2 of words); IDC (bit 28) and DIC (bit 29) say a
// step is not needed on this core. Only compiled for AArch64.
#pragma once

#if defined(__aarch64__)

#include <stdint.h>

namespace livepatch::arm64 {

inline void isb() noexcept { asm volatile("isb" ::: "memory"); }

inline void sync_icache_range(uint64_t start, uint64_t len) noexcept {
    uint64_t ctr;
    asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
    const uint64_t end = start + len;
    if (!(ctr & (uint64_t{1} << 28))) {
        const uint64_t line = uint64_t{4} << ((ctr >> 16) & 0xf);
        for (uint64_t a = start & ~(line - 1); a < end; a += line)
            asm volatile("dc cvau, %0" ::"r"(a) : "memory");
    }
    asm volatile("dsb ish" ::: "memory");
    if (!(ctr & (uint64_t{1} << 29))) {
        const uint64_t line = uint64_t{4} << (ctr & 0xf);
        for (uint64_t a = start & ~(line - 1); a < end; a += line)
            asm volatile("ic ivau, %0" ::"r"(a) : "memory");
    }
    asm volatile("dsb ish" ::: "memory");
    isb();
}

}  // namespace livepatch::arm64

#endif  // __aarch64__
