// Function records (Xen: the .livepatch.funcs part of prepare_payload, resolve_old_address,
// arch_livepatch_verify_func and livepatch_verify_distance), plus two checks Xen lacks:
// overlapping targets (-EEXIST) and old functions outside patchable text (-EINVAL).
#include <string.h>

#include "arch/arch.h"
#include "core/loader/original_code.h"
#include "core/loader/payload_loader.h"
#include "core/support/sort.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) noexcept {
    return a < b + blen && b < a + alen;
}

}  // namespace

Status PayloadLoader::prepare_funcs() noexcept {
    const uint32_t idx = m_elf.find_section(".livepatch.funcs");
    if (!idx)
        return success();  // hooks-only payload
    const Span<uint8_t> sec = loaded_section(idx);
    if (sec.size() % sizeof(livepatch_func))
        return section_err(Errc::kEINVAL, "size is not a multiple of sizeof(struct livepatch_func) (104)", idx)
            .value(sec.size());
    if (reinterpret_cast<uintptr_t>(sec.data()) % alignof(livepatch_func))
        return section_err(Errc::kEINVAL, ".livepatch.funcs is not 8-byte aligned", idx);

    auto* funcs = reinterpret_cast<livepatch_func*>(sec.data());
    const uint32_t nfuncs = static_cast<uint32_t>(sec.size() / sizeof(livepatch_func));
    const int64_t range = arch::patch_range();

    // The old functions named (old_addr 0) are looked up in the hypervisor in one batch; the
    // checks below still run record by record, in Xen's order.
    OwnedArray<const char*> names = LP_TRY(OwnedArray<const char*>::make(nfuncs));
    OwnedArray<uint64_t> resolved = LP_TRY(OwnedArray<uint64_t>::make(nfuncs));
    size_t nnamed = 0;
    for (uint32_t i = 0; i < nfuncs; ++i) {
        const char* name = funcs[i].name ? payload_string(funcs[i].name) : nullptr;
        if (!funcs[i].old_addr && name)
            names[nnamed++] = name;
    }
    port::symbols_by_name(names.data(), resolved.data(), nnamed);
    size_t next_named = 0;

    for (uint32_t i = 0; i < nfuncs; ++i) {
        livepatch_func& f = funcs[i];
        // Xen's order: version, old_size, then the old function.
        const char* name = f.name ? payload_string(f.name) : nullptr;
        if (f.version != kPayloadVersion)
            return err(Errc::kEOPNOTSUPP, "unsupported struct livepatch_func version (expected 2)")
                .function(i, name)
                .value(f.version);
        if (f.old_size == 0)
            return err(Errc::kEINVAL, "old_size is 0").function(i, name);
        if (f.name && !name)
            return err(Errc::kEINVAL, "name pointer is not a NUL-terminated string inside the payload")
                .function(i, nullptr)
                .value(f.name);

        if (f.old_addr == 0) {
            if (!name)
                return err(Errc::kEINVAL, "neither old_addr nor a name to resolve it").function(i, nullptr);
            f.old_addr = resolved[next_named++];
            if (!f.old_addr) {
                if (Payload* owner = m_loaded.find_new_symbol_owner(name, &f.old_addr))
                    LP_CHECK(note_use(owner));
            }
            if (!f.old_addr)
                return err(Errc::kENOENT, "old function not found in the hypervisor or a loaded payload")
                    .function(i, name);
        }

        if (!in_patchable_text(f.old_addr, f.old_size))
            return err(Errc::kEINVAL, "old function does not lie in hypervisor text")
                .function(i, name)
                .value(f.old_addr);
        if (Payload* owner = m_loaded.find_text_owner(f.old_addr, f.old_size))
            LP_CHECK(note_use(owner));

        uint8_t old_code[arch::kOldCodeView];
        original_code(m_loaded, f, old_code);
        LP_CHECK_CONTEXT(arch::verify_func(f, old_code), function(i, name));

        if (f.new_addr) {
            const int64_t offset = static_cast<int64_t>(f.old_addr - f.new_addr);
            if (offset < -range || offset >= range)
                return err(Errc::kEOVERFLOW, "new function is out of branch reach of the old one")
                    .function(i, name)
                    .value(static_cast<uint64_t>(offset));
            if (!in_executable(f.new_addr, 1))
                return err(Errc::kEINVAL, "new function does not lie in executable payload or hypervisor text")
                    .function(i, name)
                    .value(f.new_addr);
        }
    }

    m_payload.m_funcs = Span<livepatch_func>(funcs, nfuncs);
    m_payload.m_fstate = LP_TRY(OwnedArray<FuncState>::make(nfuncs));
    return check_funcs_overlap();
}

Status PayloadLoader::check_funcs_overlap() const noexcept {
    const Span<livepatch_func> funcs = m_payload.m_funcs;
    if (funcs.empty())
        return success();

    // Within the payload: no two records may touch the same bytes.
    OwnedArray<uint32_t> order = LP_TRY(OwnedArray<uint32_t>::make(funcs.size()));
    for (uint32_t i = 0; i < funcs.size(); ++i)
        order[i] = i;
    heap_sort(order.data(), order.size(),
              [&](uint32_t a, uint32_t b) { return funcs[a].old_addr < funcs[b].old_addr; });
    for (size_t k = 1; k < order.size(); ++k) {
        const livepatch_func& prev = funcs[order[k - 1]];
        const livepatch_func& cur = funcs[order[k]];
        if (ranges_overlap(prev.old_addr, prev.old_size, cur.old_addr, cur.old_size))
            return err(Errc::kEEXIST, "two records of this payload patch overlapping code")
                .function(order[k], payload_string(cur.name))
                .value(cur.old_addr);
    }

    // Across payloads: the same function may be patched again (stacking, REPLACE), but a record
    // must not cover part of another payload's target.
    for (const Payload* p = m_loaded.first(); p; p = p->next) {
        for (const livepatch_func& other : p->funcs()) {
            for (uint32_t i = 0; i < funcs.size(); ++i) {
                const livepatch_func& f = funcs[i];
                if (f.old_addr != other.old_addr &&
                    ranges_overlap(f.old_addr, f.old_size, other.old_addr, other.old_size))
                    return err(Errc::kEEXIST, "patches code that overlaps a different target of a loaded payload")
                        .function(i, payload_string(f.name))
                        .value(f.old_addr);
            }
        }
    }
    return success();
}

}  // namespace livepatch
