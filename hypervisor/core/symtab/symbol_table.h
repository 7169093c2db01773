// SymbolTable: the hypervisor's symbols with O(1) lookup by name and O(log n) lookup by address,
// built once at boot for tables of 100,000+ symbols.
//
// Names are exact strings; statics appear as "<file>#<name>" as in Xen's table. The table keeps
// pointers to the caller's entries and names, which must outlive it.
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
    // -ENOMEM when the port cannot provide the index memory.
    static Result<SymbolTable> build(Span<const SymbolEntry> entries) noexcept;

    // The entry called `name`, or nullptr.
    const SymbolEntry* find(const char* name) const noexcept;
    // Address of `name`, or 0.
    uint64_t lookup(const char* name) const noexcept {
        const SymbolEntry* e = find(name);
        return e ? e->addr : 0;
    }

    // The entry whose [addr, addr + size) contains `addr` (sized entries), or the closest entry
    // at or below `addr` when it has size 0 and no other entry starts in between; else nullptr.
    const SymbolEntry* containing(uint64_t addr) const noexcept;

    size_t size() const noexcept { return m_entries.size(); }

private:
    static uint64_t hash(const char* s) noexcept;

    Span<const SymbolEntry> m_entries;
    OwnedArray<uint32_t> m_buckets;   // entry index + 1; 0 = empty; power-of-two size
    OwnedArray<uint32_t> m_by_addr;   // entry indices sorted by address
};

}  // namespace livepatch
