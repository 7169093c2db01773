// AArch64 patch rules and planning, as pure inline functions over one function record: what
// arch::verify_func and arch::plan_patch do on arm64 (arch/arm64/arch.cc), kept in a header so
// that the unit tests of every host exercise them.
//
// The patch of a function is one `B new` written over its first instruction (4 bytes, reach
// [-128 MiB, 128 MiB)). A NOP patch (new_addr 0) writes new_size / 4 NOPs from the start of the
// old function: new_size a multiple of 4, at most 31 bytes (the opaque buffer), so at most 7 NOPs.
#pragma once

#include <stdint.h>

#include "arch/arm64/insn_arm64.h"
#include "core/patch/func_state.h"
#include "livepatch/abi.h"
#include "livepatch/result.h"

namespace livepatch::arm64 {

// Upload-time rules (arch::verify_func), in Xen 4.17.5's order and with its errnos: the NOP
// limits (-EOPNOTSUPP, arch/arm/livepatch.c:71-73), then old_size >= 4 (-EINVAL, :75-76), then
// Xen's generic branch distance, old - new in [-R, R) (-EOVERFLOW, livepatch_verify_distance in
// include/xen/livepatch.h:108-121, which common/livepatch.c:703 runs right after). Then what Xen
// does not check and where it would write a broken branch or past the function (deviations,
// docs/design.md): misaligned old or new addresses (-EINVAL), a NOP patch longer than the old
// function (-EINVAL), and a new function outside the exact B reach of the old one (-EOVERFLOW; B
// reaches new - old in [-R, R), one word off the generic check at the edge).
inline Status verify_func(const livepatch_func& f) noexcept {
    if (f.new_addr == 0 && (f.new_size > kOpaqueSize || f.new_size % kInsnSize))
        return fail(Errc::kEOPNOTSUPP, "NOP patch is not a multiple of 4 bytes of at most 31").value(f.new_size);
    if (f.old_size < kPatchInsnSize)
        return fail(Errc::kEINVAL, "old function is too small for the 4-byte branch").value(f.old_size);
    if (f.new_addr) {
        const int64_t offset = static_cast<int64_t>(f.old_addr - f.new_addr);
        if (offset < -kPatchRange || offset >= kPatchRange)
            return fail(Errc::kEOVERFLOW, "new function is out of branch reach of the old one").value(f.new_addr);
    }
    if (f.old_addr % kInsnSize)
        return fail(Errc::kEINVAL, "old function is not 4-byte aligned").value(f.old_addr);
    if (f.new_addr == 0) {
        if (f.old_size < f.new_size)
            return fail(Errc::kEINVAL, "NOP patch is longer than the old function").value(f.new_size);
        return success();
    }
    if (f.new_addr % kInsnSize)
        return fail(Errc::kEINVAL, "new function is not 4-byte aligned").value(f.new_addr);
    uint32_t insn = 0;
    if (!encode_b(f.old_addr, f.new_addr, &insn))
        return fail(Errc::kEOVERFLOW, "new function is out of B reach (128 MiB) of the old one").value(f.new_addr);
    return success();
}

// Stores `word` little-endian at `out`.
inline void put_insn(uint8_t* out, uint32_t word) noexcept {
    for (uint32_t i = 0; i < kInsnSize; ++i)
        out[i] = static_cast<uint8_t>(word >> (8 * i));
}

// Plans the patch (arch::plan_patch): patch_offset 0; len and insn the B or the NOPs.
inline Status plan_patch(const livepatch_func& f, FuncState* st) noexcept {
    st->patch_offset = 0;
    if (f.new_addr == 0) {
        const uint32_t len = f.new_size - f.new_size % kInsnSize;  // verify_func refused the rest
        for (uint32_t off = 0; off + kInsnSize <= len && off + kInsnSize <= kOpaqueSize; off += kInsnSize)
            put_insn(st->insn + off, kNop);
        st->len = static_cast<uint8_t>(len <= kOpaqueSize ? len : 0);
        return success();
    }
    uint32_t insn = 0;
    if (!encode_b(st->site(f), f.new_addr, &insn))
        return fail(Errc::kEOVERFLOW, "new function is out of B reach (128 MiB) of the patch site").value(f.new_addr);
    put_insn(st->insn, insn);
    st->len = kPatchInsnSize;
    return success();
}

}  // namespace livepatch::arm64
