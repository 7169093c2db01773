// Span<T>: a non-owning view of a contiguous array. A minimal freestanding stand-in for
// std::span, whose header is not part of the freestanding library.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch {

template <class T>
class Span {
public:
    constexpr Span() noexcept = default;
    constexpr Span(T* data, size_t size) noexcept : m_data(data), m_size(size) {}
    template <size_t N>
    constexpr Span(T (&array)[N]) noexcept : m_data(array), m_size(N) {}

    constexpr T* data() const noexcept { return m_data; }
    constexpr size_t size() const noexcept { return m_size; }
    constexpr bool empty() const noexcept { return m_size == 0; }
    constexpr T& operator[](size_t i) const noexcept { return m_data[i]; }
    constexpr T* begin() const noexcept { return m_data; }
    constexpr T* end() const noexcept { return m_data + m_size; }

private:
    T* m_data = nullptr;
    size_t m_size = 0;
};

using Bytes = Span<const uint8_t>;

}  // namespace livepatch
