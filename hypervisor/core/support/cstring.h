// String helpers for the freestanding core (the C library is not available in a hypervisor
// beyond memcpy/memset/memmove/memcmp).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch {

// Length of a NUL-terminated string.
size_t str_len(const char* s) noexcept;

// Length of the string at s, reading at most `max` bytes; returns max when no NUL was found.
size_t str_nlen(const char* s, size_t max) noexcept;

// True when both NUL-terminated strings are equal.
bool str_eq(const char* a, const char* b) noexcept;

// Three-way comparison of two NUL-terminated strings, as unsigned bytes.
int str_cmp(const char* a, const char* b) noexcept;

// True when s begins with prefix.
bool str_starts_with(const char* s, const char* prefix) noexcept;

// FNV-1a hash of a NUL-terminated string (for the engine's small name indexes).
uint64_t str_hash(const char* s) noexcept;

// Copies src into dst[cap], truncating; dst is always NUL-terminated (cap > 0).
// When truncated and cap > 3, the copy ends in "...". Returns the length copied.
size_t str_copy(char* dst, size_t cap, const char* src) noexcept;

}  // namespace livepatch
