// The payload's virtual region (Xen: the region part of prepare_payload, common/livepatch.c:
// 784-925, registered at :1174): text and read-only data bounds, bug frames, and the exception
// table sorted by fault address (Xen: sort_exception_table, arch/x86/extable.c:26-57).
#include <stdint.h>
#include <string.h>

#include "arch/arch.h"
#include "core/loader/payload_loader.h"
#include "core/support/sort.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

// One .ex_table entry with its fields made absolute (x86-64 layout: s32 addr, s32 cont, each
// relative to its own field; the only architecture with .ex_table).
struct ExEntry {
    uint64_t addr;
    uint64_t cont;
};

constexpr uint32_t kExEntrySize = 8;

bool fits_s32(int64_t v) noexcept { return v >= INT32_MIN && v <= INT32_MAX; }

// Sorts the loaded .ex_table (`count` entries of 8 bytes) by absolute fault address, rewriting
// each entry's relative fields for its new place, as Xen's swap_ex does.
Status sort_ex_table(uint8_t* table, uint32_t count) noexcept {
    OwnedArray<ExEntry> abs = LP_TRY(OwnedArray<ExEntry>::make(count));
    for (uint32_t k = 0; k < count; ++k) {
        int32_t a, c;
        uint8_t* e = table + uint64_t{k} * kExEntrySize;
        memcpy(&a, e, 4);
        memcpy(&c, e + 4, 4);
        abs[k].addr = reinterpret_cast<uintptr_t>(e) + static_cast<uint64_t>(int64_t{a});
        abs[k].cont = reinterpret_cast<uintptr_t>(e + 4) + static_cast<uint64_t>(int64_t{c});
    }
    heap_sort(abs.data(), count, [](const ExEntry& l, const ExEntry& r) { return l.addr < r.addr; });
    for (uint32_t k = 0; k < count; ++k) {
        uint8_t* e = table + uint64_t{k} * kExEntrySize;
        const int64_t a = static_cast<int64_t>(abs[k].addr - reinterpret_cast<uintptr_t>(e));
        const int64_t c = static_cast<int64_t>(abs[k].cont - reinterpret_cast<uintptr_t>(e + 4));
        // Deviation: Xen's swap_ex truncates silently; an entry that moves out of rel32 reach
        // of its targets would point at the wrong code.
        if (!fits_s32(a) || !fits_s32(c))
            return fail(Errc::kEINVAL, "exception table entry is out of 32-bit reach after sorting").value(k);
        const int32_t a32 = static_cast<int32_t>(a), c32 = static_cast<int32_t>(c);
        memcpy(e, &a32, 4);
        memcpy(e + 4, &c32, 4);
    }
    return success();
}

}  // namespace

Status PayloadLoader::prepare_region() noexcept {
    port::PayloadRegion& r = m_payload.m_region;
    r = {};
    r.name = m_payload.m_name;
    r.text_start = reinterpret_cast<uintptr_t>(m_payload.m_text.base);
    r.text_end = r.text_start + m_payload.m_text.size;
    if (m_payload.m_ro.size) {
        r.rodata_start = reinterpret_cast<uintptr_t>(m_payload.m_ro.base);
        r.rodata_end = r.rodata_start + m_payload.m_ro.size;
    }

    // check_special_sections has checked sizes and that non-empty ones are loaded.
    const char* const bug_names[] = {".bug_frames.0", ".bug_frames.1", ".bug_frames.2", ".bug_frames.3"};
    for (uint32_t i = 0; i < 4; ++i) {
        const uint32_t idx = m_elf.find_section(bug_names[i]);
        const Span<uint8_t> sec = idx ? loaded_section(idx) : Span<uint8_t>();
        if (!sec.size())
            continue;
        r.bug_frames[i] = {sec.data(), static_cast<uint32_t>(sec.size() / arch::bug_frame_size()),
                           arch::bug_frame_size()};
    }

    const uint32_t ex = m_elf.find_section(".ex_table");
    const Span<uint8_t> table = ex ? loaded_section(ex) : Span<uint8_t>();
    if (table.size()) {
        const uint32_t count = static_cast<uint32_t>(table.size() / kExEntrySize);
        LP_CHECK_CONTEXT(sort_ex_table(table.data(), count), section(ex, m_elf.section(ex).name));
        r.ex_table = table.data();
        r.ex_table_count = count;
        r.ex_table_entry_size = kExEntrySize;
    }
    return success();
}

void PayloadLoader::register_region() noexcept {
    port::register_payload_region(m_payload.m_region);
    m_payload.m_region_registered = true;
}

}  // namespace livepatch
