#include "core/symtab/symbol_table.h"

#include "core/support/cstring.h"
#include "core/support/sort.h"

namespace livepatch {

namespace {

// SymbolTable::hash, inlined into the lookup.
inline uint64_t name_hash(const char* s) noexcept {
    // Eight bytes per multiply (gathered a byte at a time: never reads past the NUL), then the
    // MurmurHash3 finaliser so that both halves (slot and tag) depend on every byte.
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (;;) {
        uint64_t word = 0;
        unsigned n = 0;
        while (n < 8 && s[n]) {
            word |= static_cast<uint64_t>(static_cast<unsigned char>(s[n])) << (8 * n);
            ++n;
        }
        h = (h ^ word) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
        if (n < 8)
            break;
        s += 8;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

}  // namespace

uint64_t SymbolTable::hash(const char* s) noexcept { return name_hash(s); }

Result<SymbolTable> SymbolTable::build(Span<const SymbolEntry> entries) noexcept {
    const size_t n = entries.size();
    if (n >= 0x7fffffffu)
        return fail(Errc::kE2BIG, "symbol table has too many entries").value(n);
    SymbolTable t;
    t.m_entries = entries;

    // The pool, sized for every entry (a duplicate's record is counted but never written).
    uint64_t words = 0;
    for (size_t i = 0; i < n; ++i) {
        words += (kRecordHeader + str_len(entries[i].name) + 1 + 7) / 8;
        if (words >= 0xffffffffu)
            return fail(Errc::kE2BIG, "symbol names exceed 32 GiB").value(i);
    }
    t.m_pool = LP_TRY(OwnedArray<uint64_t>::make(static_cast<size_t>(words)));

    // Load factor 2/3: a hit probes two slots on average, a miss about five (mostly within one
    // cache line), and tags keep mismatching slots from reading records.
    const size_t cap = n + n / 2 + 16;
    t.m_slots = LP_TRY(OwnedArray<uint64_t>::make(cap));

    // Records in entry order (sequential writes); duplicates after the first are dropped.
    uint8_t* const pool = reinterpret_cast<uint8_t*>(t.m_pool.data());
    uint64_t w = 0;
    for (size_t i = 0; i < n; ++i) {
        const SymbolEntry& e = entries[i];
        const uint64_t h = name_hash(e.name);
        const uint64_t tag = h & 0xffffffffu;
        size_t b = home_slot(h, cap);
        bool duplicate = false;
        for (uint64_t s; (s = t.m_slots[b]) != 0; b = b + 1 == cap ? 0 : b + 1) {
            if ((s >> 32) == tag &&
                str_eq(reinterpret_cast<const char*>(pool + ((s & 0xffffffffu) - 1) * 8 + kRecordHeader), e.name)) {
                duplicate = true;
                break;
            }
        }
        if (duplicate)
            continue;
        const uint32_t index = static_cast<uint32_t>(i);
        const size_t len = str_len(e.name) + 1;
        uint8_t* r = pool + w * 8;
        __builtin_memcpy(r, &e.addr, sizeof(e.addr));
        __builtin_memcpy(r + 8, &index, sizeof(index));
        __builtin_memcpy(r + kRecordHeader, e.name, len);
        t.m_slots[b] = tag << 32 | (w + 1);
        w += (kRecordHeader + len + 7) / 8;
    }

    // By address: sort compact (address, size, index) triples, not indices into the entries.
    struct Triple {
        uint64_t addr, size;
        uint32_t index;
    };
    OwnedArray<Triple> sorted = LP_TRY(OwnedArray<Triple>::make(n));
    for (size_t i = 0; i < n; ++i)
        sorted[i] = {entries[i].addr, entries[i].size, static_cast<uint32_t>(i)};
    heap_sort(sorted.data(), n, [](const Triple& a, const Triple& b) {
        return a.addr < b.addr || (a.addr == b.addr && a.index < b.index);
    });
    t.m_by_addr = LP_TRY(OwnedArray<uint32_t>::make(n));
    t.m_max_end = LP_TRY(OwnedArray<uint64_t>::make(n));
    uint64_t max_end = 0;
    for (size_t k = 0; k < n; ++k) {
        const Triple& e = sorted[k];
        t.m_by_addr[k] = e.index;
        if (e.size) {
            const uint64_t end = e.addr + e.size < e.addr ? ~uint64_t{0} : e.addr + e.size;
            max_end = end > max_end ? end : max_end;
        }
        t.m_max_end[k] = max_end;
    }
    return t;
}

const uint8_t* SymbolTable::find_record(const char* name) const noexcept {
    const size_t cap = m_slots.size();
    if (!cap)
        return nullptr;
    const uint64_t h = name_hash(name);
    const uint64_t tag = h & 0xffffffffu;
    const uint8_t* pool = reinterpret_cast<const uint8_t*>(m_pool.data());
    for (size_t b = home_slot(h, cap);; b = b + 1 == cap ? 0 : b + 1) {
        const uint64_t s = m_slots[b];
        if (!s)
            return nullptr;
        if ((s >> 32) != tag)
            continue;
        const uint8_t* r = pool + ((s & 0xffffffffu) - 1) * 8;
        if (str_eq(reinterpret_cast<const char*>(r + kRecordHeader), name))
            return r;
    }
}

void SymbolTable::lookup_batch(const char* const* names, uint64_t* addrs, size_t n) const noexcept {
    const size_t cap = m_slots.size();
    if (!cap) {
        for (size_t i = 0; i < n; ++i)
            addrs[i] = 0;
        return;
    }
    constexpr size_t kGroup = 16;
    const uint8_t* pool = reinterpret_cast<const uint8_t*>(m_pool.data());
    for (size_t base = 0; base < n; base += kGroup) {
        const size_t m = n - base < kGroup ? n - base : kGroup;
        uint64_t hashes[kGroup];
        const uint8_t* records[kGroup];
        // 1: hash every name and start loading its home slot.
        for (size_t k = 0; k < m; ++k) {
            hashes[k] = name_hash(names[base + k]);
            __builtin_prefetch(&m_slots[home_slot(hashes[k], cap)]);
        }
        // 2: find each name's first candidate record (matching tag) and start loading it.
        for (size_t k = 0; k < m; ++k) {
            records[k] = nullptr;
            const uint64_t tag = hashes[k] & 0xffffffffu;
            for (size_t b = home_slot(hashes[k], cap);; b = b + 1 == cap ? 0 : b + 1) {
                const uint64_t s = m_slots[b];
                if (!s)
                    break;
                if ((s >> 32) == tag) {
                    records[k] = pool + ((s & 0xffffffffu) - 1) * 8;
                    __builtin_prefetch(records[k]);
                    break;
                }
            }
        }
        // 3: confirm the candidates; a tag collision falls back to the full probe.
        for (size_t k = 0; k < m; ++k) {
            const uint8_t* r = records[k];
            if (r && !str_eq(reinterpret_cast<const char*>(r + kRecordHeader), names[base + k]))
                r = find_record(names[base + k]);
            uint64_t addr = 0;
            if (r)
                __builtin_memcpy(&addr, r, sizeof(addr));
            addrs[base + k] = addr;
        }
    }
}

const SymbolEntry* SymbolTable::find(const char* name) const noexcept {
    const uint8_t* r = find_record(name);
    if (!r)
        return nullptr;
    uint32_t index;
    __builtin_memcpy(&index, r + 8, sizeof(index));
    return &m_entries[index];
}

uint64_t SymbolTable::lookup(const char* name) const noexcept {
    const uint8_t* r = find_record(name);
    if (!r)
        return 0;
    uint64_t addr;
    __builtin_memcpy(&addr, r, sizeof(addr));
    return addr;
}

const SymbolEntry* SymbolTable::containing(uint64_t addr) const noexcept {
    // First position whose entry starts above addr.
    size_t lo = 0, hi = m_by_addr.size();
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (m_entries[m_by_addr[mid]].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return nullptr;  // below the first entry

    // The entries starting closest below addr (one address, ascending index): a covering sized
    // one, else an unsized one, which extends to the next entry and so past addr.
    const uint64_t closest = m_entries[m_by_addr[lo - 1]].addr;
    size_t first = lo - 1;
    while (first > 0 && m_entries[m_by_addr[first - 1]].addr == closest)
        --first;
    const SymbolEntry* unsized = nullptr;
    for (size_t k = first; k < lo; ++k) {
        const SymbolEntry& e = m_entries[m_by_addr[k]];
        if (e.size && addr - e.addr < e.size)
            return &e;
        if (!e.size && !unsized)
            unsized = &e;
    }
    if (unsized)
        return unsized;

    // A sized entry starting further below may still reach addr (nested symbols). Walk back
    // while some entry at or before the position can: the first covering start found is the
    // innermost; among its entries the one of lowest index wins.
    const SymbolEntry* found = nullptr;
    for (size_t k = first; k-- > 0 && m_max_end[k] > addr;) {
        const SymbolEntry& e = m_entries[m_by_addr[k]];
        if (found && e.addr != found->addr)
            break;
        if (e.size && addr - e.addr < e.size)
            found = &e;
    }
    return found;
}

}  // namespace livepatch
