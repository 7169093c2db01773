#include "core/support/cstring.h"

#include <string.h>

namespace livepatch {

size_t str_len(const char* s) noexcept {
    size_t n = 0;
    while (s[n])
        ++n;
    return n;
}

size_t str_nlen(const char* s, size_t max) noexcept {
    size_t n = 0;
    while (n < max && s[n])
        ++n;
    return n;
}

int str_cmp(const char* a, const char* b) noexcept {
    const unsigned char* x = reinterpret_cast<const unsigned char*>(a);
    const unsigned char* y = reinterpret_cast<const unsigned char*>(b);
    while (*x && *x == *y) {
        ++x;
        ++y;
    }
    return static_cast<int>(*x) - static_cast<int>(*y);
}

bool str_eq(const char* a, const char* b) noexcept { return str_cmp(a, b) == 0; }

bool str_starts_with(const char* s, const char* prefix) noexcept {
    while (*prefix) {
        if (*s++ != *prefix++)
            return false;
    }
    return true;
}

uint64_t str_hash(const char* s) noexcept {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; ++s) {
        h ^= static_cast<unsigned char>(*s);
        h *= 0x100000001b3ull;
    }
    return h;
}

size_t str_copy(char* dst, size_t cap, const char* src) noexcept {
    if (!cap)
        return 0;
    size_t n = str_nlen(src, cap);
    if (n < cap) {
        memcpy(dst, src, n + 1);
        return n;
    }
    n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    if (cap > 3)
        memcpy(dst + n - 3, "...", 3);
    return n;
}

}  // namespace livepatch
