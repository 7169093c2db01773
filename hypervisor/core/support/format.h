// A bounded text builder for log lines and error messages: no allocation, never overruns,
// always NUL-terminated. The freestanding stand-in for snprintf.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch {

class TextBuilder {
public:
    // Writes into buf[cap] (cap > 0); buf[0] becomes NUL.
    TextBuilder(char* buf, size_t cap) noexcept;

    TextBuilder& str(const char* s) noexcept;
    TextBuilder& dec(uint64_t v) noexcept;
    TextBuilder& sdec(int64_t v) noexcept;
    TextBuilder& hex(uint64_t v) noexcept;  // 0x-prefixed, lower case
    TextBuilder& hex_bytes(const uint8_t* bytes, size_t n) noexcept;  // no prefix, no spaces

    size_t length() const noexcept { return m_len; }
    const char* c_str() const noexcept { return m_buf; }

private:
    void put(char c) noexcept;

    char* m_buf;
    size_t m_cap;
    size_t m_len = 0;
};

}  // namespace livepatch
