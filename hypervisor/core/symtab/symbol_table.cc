#include "core/symtab/symbol_table.h"

#include "core/support/cstring.h"
#include "core/support/sort.h"

namespace livepatch {

uint64_t SymbolTable::hash(const char* s) noexcept {
    // FNV-1a, 64-bit.
    uint64_t h = 0xcbf29ce484222325ull;
    while (*s) {
        h ^= static_cast<unsigned char>(*s++);
        h *= 0x100000001b3ull;
    }
    return h;
}

Result<SymbolTable> SymbolTable::build(Span<const SymbolEntry> entries) noexcept {
    if (entries.size() >= 0x7fffffffu)
        return fail(Errc::kE2BIG, "symbol table has too many entries").value(entries.size());
    SymbolTable t;
    t.m_entries = entries;

    size_t cap = 16;
    while (cap < entries.size() * 2)
        cap *= 2;
    t.m_buckets = LP_TRY(OwnedArray<uint32_t>::make(cap));
    const size_t mask = cap - 1;
    for (size_t i = 0; i < entries.size(); ++i) {
        size_t b = hash(entries[i].name) & mask;
        bool duplicate = false;
        while (t.m_buckets[b]) {
            if (str_eq(entries[t.m_buckets[b] - 1].name, entries[i].name)) {
                duplicate = true;
                break;
            }
            b = (b + 1) & mask;
        }
        if (!duplicate)
            t.m_buckets[b] = static_cast<uint32_t>(i + 1);
    }

    t.m_by_addr = LP_TRY(OwnedArray<uint32_t>::make(entries.size()));
    for (size_t i = 0; i < entries.size(); ++i)
        t.m_by_addr[i] = static_cast<uint32_t>(i);
    heap_sort(t.m_by_addr.data(), entries.size(), [&](uint32_t a, uint32_t b) {
        return entries[a].addr < entries[b].addr || (entries[a].addr == entries[b].addr && a < b);
    });
    return t;
}

const SymbolEntry* SymbolTable::find(const char* name) const noexcept {
    if (!m_buckets.size())
        return nullptr;
    const size_t mask = m_buckets.size() - 1;
    for (size_t b = hash(name) & mask; m_buckets[b]; b = (b + 1) & mask) {
        const SymbolEntry& e = m_entries[m_buckets[b] - 1];
        if (str_eq(e.name, name))
            return &e;
    }
    return nullptr;
}

const SymbolEntry* SymbolTable::containing(uint64_t addr) const noexcept {
    // Last entry with entry.addr <= addr.
    size_t lo = 0, hi = m_by_addr.size();
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (m_entries[m_by_addr[mid]].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    // Entries at the same address: prefer one whose size covers addr, scanning back.
    for (size_t i = lo; i-- > 0;) {
        const SymbolEntry& e = m_entries[m_by_addr[i]];
        if (e.size) {
            if (addr - e.addr < e.size)
                return &e;
        } else {
            return &e;  // unsized: extends to the next entry, which starts above addr
        }
        if (i == 0 || m_entries[m_by_addr[i - 1]].addr != e.addr)
            return nullptr;
    }
    return nullptr;
}

}  // namespace livepatch
