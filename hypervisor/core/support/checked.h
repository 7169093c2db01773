// Overflow-checked arithmetic for values taken from untrusted payloads.
#pragma once

#include <stdint.h>

namespace livepatch {

// *out = a + b; false (and *out unspecified) on unsigned overflow.
template <class T>
[[nodiscard]] constexpr bool checked_add(T a, T b, T* out) noexcept {
    return !__builtin_add_overflow(a, b, out);
}

// *out = a * b; false on unsigned overflow.
template <class T>
[[nodiscard]] constexpr bool checked_mul(T a, T b, T* out) noexcept {
    return !__builtin_mul_overflow(a, b, out);
}

// True when [offset, offset + size) lies inside [0, limit), without overflow.
[[nodiscard]] constexpr bool range_within(uint64_t offset, uint64_t size, uint64_t limit) noexcept {
    return offset <= limit && size <= limit - offset;
}

[[nodiscard]] constexpr bool is_power_of_two(uint64_t v) noexcept { return v && !(v & (v - 1)); }

// Rounds v up to a multiple of `align` (a power of two); false on overflow.
[[nodiscard]] constexpr bool align_up(uint64_t v, uint64_t align, uint64_t* out) noexcept {
    uint64_t sum;
    if (!checked_add<uint64_t>(v, align - 1, &sum))
        return false;
    *out = sum & ~(align - 1);
    return true;
}

}  // namespace livepatch
