#include "core/payload/payload.h"

#include <string.h>

#include "core/support/cstring.h"

namespace livepatch {

bool BuildId::equals(const uint8_t* other, uint32_t other_len) const noexcept {
    return len == other_len && (len == 0 || memcmp(bytes, other, len) == 0);
}

const PayloadSymbol* Payload::find_new_symbol(const char* name) const noexcept {
    size_t lo = 0, hi = m_symbols_by_name.size();
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const PayloadSymbol& s = m_symbols[m_symbols_by_name[mid]];
        const int c = str_cmp(s.name, name);
        if (c < 0) {
            lo = mid + 1;
        } else if (c > 0) {
            hi = mid;
        } else {
            // Equal names may repeat (statics of different files): prefer a new symbol.
            size_t first = mid;
            while (first > 0 && str_eq(m_symbols[m_symbols_by_name[first - 1]].name, name))
                --first;
            for (size_t k = first; k < m_symbols_by_name.size(); ++k) {
                const PayloadSymbol& e = m_symbols[m_symbols_by_name[k]];
                if (!str_eq(e.name, name))
                    break;
                if (e.new_symbol)
                    return &e;
            }
            return nullptr;
        }
    }
    return nullptr;
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
