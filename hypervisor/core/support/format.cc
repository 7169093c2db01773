#include "core/support/format.h"

namespace livepatch {

TextBuilder::TextBuilder(char* buf, size_t cap) noexcept : m_buf(buf), m_cap(cap) { m_buf[0] = '\0'; }

void TextBuilder::put(char c) noexcept {
    if (m_len + 1 < m_cap) {
        m_buf[m_len++] = c;
        m_buf[m_len] = '\0';
    }
}

TextBuilder& TextBuilder::str(const char* s) noexcept {
    while (s && *s)
        put(*s++);
    return *this;
}

TextBuilder& TextBuilder::dec(uint64_t v) noexcept {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put(digits[--n]);
    return *this;
}

TextBuilder& TextBuilder::sdec(int64_t v) noexcept {
    if (v < 0) {
        put('-');
        return dec(~static_cast<uint64_t>(v) + 1);
    }
    return dec(static_cast<uint64_t>(v));
}

TextBuilder& TextBuilder::hex(uint64_t v) noexcept {
    static const char kDigits[] = "0123456789abcdef";
    char digits[16];
    int n = 0;
    do {
        digits[n++] = kDigits[v & 0xf];
        v >>= 4;
    } while (v);
    put('0');
    put('x');
    while (n)
        put(digits[--n]);
    return *this;
}

TextBuilder& TextBuilder::hex_bytes(const uint8_t* bytes, size_t n) noexcept {
    static const char kDigits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; ++i) {
        put(kDigits[bytes[i] >> 4]);
        put(kDigits[bytes[i] & 0xf]);
    }
    return *this;
}

}  // namespace livepatch
