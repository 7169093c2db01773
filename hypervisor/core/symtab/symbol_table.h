// SymbolTable: the hypervisor's symbols with O(1) lookup by name and O(log n) lookup by address,
// built once at boot for tables of 100,000+ symbols.
//
// Names are exact strings; statics appear as "<file>#<name>" as in Xen's table. The table keeps
// pointers to the caller's entries, which must outlive it.
//
// Layout (for lookups whose cost is cache and TLB misses, not instructions): an open-addressing
// slot array (8 bytes a slot: a 32-bit hash tag and the offset of a record) and a pool of
// records {address, entry index, copy of the name}. A hit reads one slot and one record; a miss
// usually reads one slot (its tag differs), never the names of other symbols.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/support/owned.h"
#include "livepatch/result.h"
#include "livepatch/span.h"

namespace livepatch {

struct SymbolEntry {
    const char* name;
    uint64_t addr;
    uint64_t size;  // 0: extends to the next symbol's address
};

class SymbolTable {
public:
    SymbolTable() noexcept = default;

    // Indexes `entries`. Where several entries share a name, lookup returns the first of them.
    // -ENOMEM when the port cannot provide the index memory (about 40 bytes a symbol plus a copy
    // of the names); -E2BIG past 2^31 entries or 32 GiB of names.
    static Result<SymbolTable> build(Span<const SymbolEntry> entries) noexcept;

    // The entry called `name`, or nullptr.
    const SymbolEntry* find(const char* name) const noexcept;
    // Address of `name`, or 0.
    uint64_t lookup(const char* name) const noexcept;

    // addrs[i] = lookup(names[i]) for i < n. Pipelined: the memory accesses of a group of names
    // are issued together (prefetched), so a batch costs a few cache misses per group rather than
    // two per name. The loader resolves all of a payload's undefined symbols this way.
    void lookup_batch(const char* const* names, uint64_t* addrs, size_t n) const noexcept;

    // The entry containing `addr`, or nullptr. A sized entry covers [addr, addr + size); an
    // unsized one covers from its address up to the next higher address of any entry. Among
    // covering entries the one starting closest at or below `addr` wins (the innermost of nested
    // symbols); among those starting at that same address, sized entries before unsized ones,
    // then the first in `entries`. O(log n) plus, for an address outside the closest symbols,
    // a walk back over the entries that start below it and might still reach it.
    const SymbolEntry* containing(uint64_t addr) const noexcept;

    size_t size() const noexcept { return m_entries.size(); }

    // The name hash (public so that tests can make names that collide).
    static uint64_t hash(const char* s) noexcept;

private:
    // Record layout in m_pool (8-byte aligned): u64 address, u32 entry index, NUL-terminated name.
    static constexpr size_t kRecordHeader = 12;

    // Slot index for hash `h` in a table of `cap` slots.
    static size_t home_slot(uint64_t h, size_t cap) noexcept { return static_cast<size_t>(((h >> 32) * cap) >> 32); }
    // The record of `name`, or nullptr.
    const uint8_t* find_record(const char* name) const noexcept;

    Span<const SymbolEntry> m_entries;
    OwnedArray<uint64_t> m_slots;   // tag << 32 | (record offset in 8-byte words + 1); 0 = empty
    OwnedArray<uint64_t> m_pool;    // the records, in entry order
    OwnedArray<uint32_t> m_by_addr; // entry indices sorted by address, then index
    OwnedArray<uint64_t> m_max_end; // [k]: highest addr + size of the sized entries m_by_addr[0..k]
};

}  // namespace livepatch
