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
    const size_t cap = m_symbols_by_name.size();
    if (!cap)
        return nullptr;
    // Equal names may repeat (statics of different files): every one sits on the probe chain,
    // and a new symbol among them wins.
    for (size_t b = str_hash(name) & (cap - 1); m_symbols_by_name[b]; b = (b + 1) & (cap - 1)) {
        const PayloadSymbol& e = m_symbols[m_symbols_by_name[b] - 1];
        if (e.new_symbol && str_eq(e.name, name))
            return &e;
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
