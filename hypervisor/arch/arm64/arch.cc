// AArch64 implementation of the architecture contract (arch/arch.h). Compiled into the core of
// an AArch64 build only; the pure parts (relocations, encoders, patch rules) live in
// reloc_arm64.*, insn_arm64.h and patch_arm64.h and are tested on every host.
#include "arch/arch.h"

#include <elf.h>

#include "arch/arm64/cache_arm64.h"
#include "arch/arm64/insn_arm64.h"
#include "arch/arm64/patch_arm64.h"
#include "arch/arm64/reloc_arm64.h"

#if !defined(__aarch64__)
#error "arch/arm64/arch.cc is the AArch64 backend: build it with an AArch64 compiler"
#endif

namespace livepatch::arch {

uint16_t elf_machine() noexcept { return EM_AARCH64; }

int64_t patch_range() noexcept { return arm64::kPatchRange; }

RelocStatus apply_rela(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept {
    return arm64::apply_reloc(type, loc, room, place, value);
}

Status verify_func(const livepatch_func& f, const uint8_t*) noexcept { return arm64::verify_func(f); }

Status plan_patch(const livepatch_func& f, FuncState* st) noexcept { return arm64::plan_patch(f, st); }

void patch_text(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept {
    // Whole aligned words, each one single-copy atomic (B2.2.1): a core fetching concurrently
    // sees every instruction either old or new, never a mix of their bytes.
    const uint32_t words = len / arm64::kInsnSize;
    auto* dst = reinterpret_cast<uint32_t*>(addr);
    for (uint32_t i = 0; i < words; ++i) {
        uint32_t w = 0;
        for (uint32_t b = 0; b < arm64::kInsnSize; ++b)
            w |= static_cast<uint32_t>(bytes[i * arm64::kInsnSize + b]) << (8 * b);
        __atomic_store_n(dst + i, w, __ATOMIC_RELAXED);
    }
    // A tail that is not a whole word (never planned on arm64) is written bytewise.
    auto* tail = reinterpret_cast<uint8_t*>(addr);
    for (uint32_t i = words * arm64::kInsnSize; i < len; ++i)
        tail[i] = bytes[i];
    arm64::sync_icache_range(addr, len);
}

void post_patch() noexcept { arm64::isb(); }

// .ex_table: Xen refuses it on arm (-EOPNOTSUPP). .altinstructions: refused here too (a
// deviation: the loader validates the x86 entry layout only). Bug frames: 16 bytes on arm.
uint32_t alt_instr_size() noexcept { return 0; }
uint32_t ex_table_entry_size() noexcept { return 0; }
uint32_t bug_frame_size() noexcept { return 16; }

}  // namespace livepatch::arch
