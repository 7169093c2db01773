#include "core/payload/payload.h"

#include <string.h>

#include "core/support/cstring.h"

namespace livepatch {

Payload::~Payload() {
    if (m_region_registered)
        port::unregister_payload_region(m_region);
}

bool BuildId::equals(const uint8_t* other, uint32_t other_len) const noexcept {
    return len == other_len && (len == 0 || memcmp(bytes, other, len) == 0);
}

const PayloadSymbol* Payload::find_new_symbol(const char* name) const noexcept {
    const uint64_t h = str_hash(name);
    // Lower bound of (h, name) in the (hash, name, index) order: the first entry not before it.
    size_t lo = 0, hi = m_new_symbols.size();
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const PayloadSymbolKey& k = m_new_symbols[mid];
        if (k.hash < h || (k.hash == h && str_cmp(m_symbols[k.index].name, name) < 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m_new_symbols.size())
        return nullptr;
    const PayloadSymbolKey& k = m_new_symbols[lo];
    return k.hash == h && str_eq(m_symbols[k.index].name, name) ? &m_symbols[k.index] : nullptr;
}

const PayloadSymbol* Payload::find_symbol_by_address(uint64_t addr) const noexcept {
    const PayloadSymbol* best = nullptr;
    for (const PayloadSymbol& s : m_symbols) {
        if (addr >= s.value && (addr - s.value < s.size || (s.size == 0 && addr == s.value)))
            if (!best || s.value > best->value)
                best = &s;
    }
    return best;
}

}  // namespace livepatch
