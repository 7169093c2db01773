// See original_code.h.
#include "core/loader/original_code.h"

#include <string.h>

namespace livepatch {

namespace {

// The state of `p`'s applied record patching the function at `old_addr`, or nullptr.
const FuncState* applied_record(const Payload& p, uint64_t old_addr) noexcept {
    const Span<livepatch_func> funcs = p.funcs();
    const Span<const FuncState> states = p.func_states();
    for (size_t k = 0; k < funcs.size() && k < states.size(); ++k)
        if (funcs[k].old_addr == old_addr && states[k].applied)
            return &states[k];
    return nullptr;
}

}  // namespace

void original_code(const PayloadList& loaded, const livepatch_func& f, uint8_t (&out)[arch::kOldCodeView]) noexcept {
    const uint32_t n = f.old_size < arch::kOldCodeView ? f.old_size : arch::kOldCodeView;
    memcpy(out, reinterpret_cast<const void*>(f.old_addr), n);

    // Patches of one function stack: each saved what the one before it wrote, so the earliest
    // applied one saved the original bytes.
    const Payload* found = nullptr;
    for (const Payload* p = loaded.first(); p && !found; p = p->next)
        if (applied_record(*p, f.old_addr))
            found = p;
    if (!found)
        return;
    for (const Payload* q = found->applied_prev; q; q = q->applied_prev)
        if (applied_record(*q, f.old_addr))
            found = q;
    const FuncState& st = *applied_record(*found, f.old_addr);
    for (uint32_t i = 0; i < st.len && st.patch_offset + i < n; ++i)
        out[st.patch_offset + i] = st.saved[i];
}

}  // namespace livepatch
