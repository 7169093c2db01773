// The architecture contract: what the engine core asks of the CPU architecture it is built for.
// Exactly one implementation (arch/x86_64/arch.cc or arch/arm64/arch.cc) is linked into the core;
// the pure relocation and instruction-encoding functions of every architecture are compiled on
// every host so that both are tested everywhere.
#pragma once

#include <stdint.h>

#include "arch/reloc_status.h"
#include "core/patch/func_state.h"
#include "livepatch/abi.h"
#include "livepatch/result.h"

namespace livepatch::arch {

// e_machine of the payloads this build accepts (EM_X86_64 or EM_AARCH64).
uint16_t elf_machine() noexcept;

// Branch reach R: a jump from old to new is possible when old - new lies in [-R, R).
// x86-64: 2 GiB (rel32); arm64: 128 MiB (B imm26).
int64_t patch_range() noexcept;

// Applies one RELA entry of type `type` at `loc`, which has `room` bytes left in its section and
// runs at address `place`; `value` is S + A. Pure: touches only [loc, loc + room).
RelocStatus apply_rela(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept;

// How many bytes of the old function verify_func may read: enough for ENDBR64, a 31-byte NOP
// region and the longest instruction that may straddle its end.
constexpr uint32_t kOldCodeView = 64;

// Architecture rules for one function record at upload, after old_addr is known: NOP limits,
// minimum old_size for the jump (x86: 5, or 9 when the function starts with ENDBR64 or its
// poison), and on x86 a NOP region that keeps ENDBR64 and ends on an instruction boundary.
// `old_code` holds the old function's first min(old_size, kOldCodeView) bytes as they were
// before any applied payload patched it.
Status verify_func(const livepatch_func& f, const uint8_t* old_code) noexcept;

// Plans the patch of one record: fills st->patch_offset, st->len and st->insn (the jump to
// new_addr, or NOPs for a NOP patch) from the live old function. Does not write text and does
// not touch st->saved. x86: E9 rel32 after ENDBR64 if present; arm64: B imm26.
Status plan_patch(const livepatch_func& f, FuncState* st) noexcept;

// Writes `len` planned patch bytes (FuncState::insn or ::saved) at text address `addr`, which the
// port has made writable, so that a CPU fetching them concurrently sees each instruction either
// old or new (arm64: aligned single-copy-atomic 32-bit stores), then does the cache maintenance
// the architecture needs before any CPU may execute them (arm64: DC CVAU, DSB ISH, IC IVAU,
// DSB ISH, ISB; x86-64: none, instruction fetch is coherent with stores). For ports that write
// text with ordinary stores: their port::text_write may be just this call.
void patch_text(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept;

// Serialises the calling CPU's instruction stream after a patch (x86-64: CPUID; arm64: ISB), so
// that it fetches the new text: what port::post_action runs on every CPU before it resumes.
void post_patch() noexcept;

// Size of one .altinstructions / .ex_table / .bug_frames.N entry; 0 means the section is not
// supported on this architecture (-EOPNOTSUPP).
uint32_t alt_instr_size() noexcept;
uint32_t ex_table_entry_size() noexcept;
uint32_t bug_frame_size() noexcept;

}  // namespace livepatch::arch
