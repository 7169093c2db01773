// x86-64 implementation of the architecture contract (arch/arch.h).
#include "arch/arch.h"

#include <elf.h>
#include <string.h>

#include "arch/x86_64/insn_decode_x86_64.h"
#include "arch/x86_64/insn_x86_64.h"
#include "arch/x86_64/reloc_x86_64.h"

namespace livepatch::arch {

namespace {

// Beyond Xen: the NOPs of a NOP patch go at [patch_offset, new_size) of the old function
// (new_size counts from the function's start, ENDBR64 included, as Xen's livepatch_insn_len
// does: include/xen/livepatch.h:103). That region must not start before the patch site and must
// end where an instruction of the old function ends.
Status verify_nop_region(const livepatch_func& f, const uint8_t* old_code) noexcept {
    const uint32_t start = x86_64::patch_offset(old_code, f.old_size);
    // Xen computes new_size - 4 unsigned for an ENDBR64 function (include/xen/livepatch.h:103)
    // and copies ~4 GiB (arch/x86/livepatch.c:152, 168).
    if (f.new_size < start)
        return fail(Errc::kEINVAL, "NOP patch is shorter than the ENDBR64 (or its poison) it must keep (new_size < 4)")
            .value(f.new_size);
    const uint32_t view = f.old_size < kOldCodeView ? f.old_size : kOldCodeView;
    const x86_64::Boundary b = x86_64::check_boundary(old_code, view, start, f.new_size);
    switch (b.status) {
    case x86_64::BoundaryStatus::ok:
        return success();
    case x86_64::BoundaryStatus::inside:
        return fail(Errc::kEINVAL, "NOP patch ends inside an instruction of the old function (value: "
                                   "offset of that instruction)")
            .value(b.at);
    case x86_64::BoundaryStatus::undecodable:
        break;
    }
    if (b.insn == x86_64::InsnStatus::truncated)
        return fail(Errc::kEINVAL, "an instruction under the NOP patch runs past old_size (value: its offset)")
            .value(b.at);
    return fail(Errc::kEINVAL, "old function does not decode as x86-64 up to the end of the NOP patch (value: "
                               "offset of the first byte that does not)")
        .value(b.at);
}

}  // namespace

uint16_t elf_machine() noexcept { return EM_X86_64; }

int64_t patch_range() noexcept { return int64_t{1} << 31; }

RelocStatus apply_rela(uint32_t type, uint8_t* loc, uint64_t room, uint64_t place, uint64_t value) noexcept {
    return x86_64::apply_reloc(type, loc, room, place, value);
}

Status verify_func(const livepatch_func& f, const uint8_t* old_code) noexcept {
    if (f.new_addr == 0) {
        // NOP patch: the NOPs are kept in a 31-byte buffer, and must fit in the old function
        // (Xen: arch/x86/livepatch.c:95-102).
        if (f.new_size > kOpaqueSize)
            return fail(Errc::kEOPNOTSUPP, "NOP patch is longer than 31 bytes").value(f.new_size);
        if (f.old_size < f.new_size)
            return fail(Errc::kEINVAL, "NOP patch is longer than the old function").value(f.new_size);
        return verify_nop_region(f, old_code);
    }
    uint32_t needed = x86_64::kJmpRel32Size;
    if (f.old_size >= x86_64::kEndbr64Size && x86_64::starts_with_endbr64(old_code))
        needed += x86_64::kEndbr64Size;
    if (f.old_size < needed)
        return fail(Errc::kEINVAL, "old function is too small for the jump (5 bytes, 9 after ENDBR64)")
            .value(f.old_size);
    return success();
}

Status plan_patch(const livepatch_func& f, FuncState* st) noexcept {
    const auto* old_code = reinterpret_cast<const uint8_t*>(f.old_addr);
    st->patch_offset = static_cast<uint8_t>(x86_64::patch_offset(old_code, f.old_size));
    if (f.new_addr == 0) {
        // NOP patch: new_size counts from the start of the function, ENDBR64 included.
        const uint32_t len = f.new_size > st->patch_offset ? f.new_size - st->patch_offset : 0;
        st->len = static_cast<uint8_t>(len);
        x86_64::fill_nops(st->insn, len);
        return success();
    }
    st->len = x86_64::kJmpRel32Size;
    if (!x86_64::encode_jmp_rel32(st->site(f), f.new_addr, st->insn))
        return fail(Errc::kEOVERFLOW, "new function is out of rel32 reach of the patch site").value(f.new_addr);
    return success();
}

void patch_text(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept {
    memcpy(reinterpret_cast<void*>(addr), bytes, len);
}

void post_patch() noexcept {
    // CPUID serialises the instruction stream (Intel SDM vol. 3A, 9.1.3).
    unsigned a = 0, b, c = 0, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
}

uint32_t alt_instr_size() noexcept { return 14; }
uint32_t ex_table_entry_size() noexcept { return 8; }
uint32_t bug_frame_size() noexcept { return 8; }

}  // namespace livepatch::arch
