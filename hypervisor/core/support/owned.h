// RAII ownership over port memory: the engine never uses global new/delete.
//
//   auto arr = LP_TRY(OwnedArray<Foo>::make(n));      // n zeroed (value-initialised) Foos
//   auto obj = LP_TRY(Owned<Bar>::make(args...));     // one Bar built in place
//
// Both free their memory (running destructors) when they go out of scope, so every error path
// releases what it allocated.
#pragma once

#include <stddef.h>

#include <new>
#include <type_traits>
#include <utility>

#include "livepatch/port.h"
#include "livepatch/result.h"

namespace livepatch {

template <class T>
class Owned {
public:
    Owned() noexcept = default;
    Owned(Owned&& o) noexcept : m_ptr(o.m_ptr) { o.m_ptr = nullptr; }
    Owned& operator=(Owned&& o) noexcept {
        if (this != &o) {
            reset();
            m_ptr = o.m_ptr;
            o.m_ptr = nullptr;
        }
        return *this;
    }
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
    ~Owned() { reset(); }

    // Allocates and constructs a T; -ENOMEM when the port has no memory.
    template <class... Args>
    static Result<Owned> make(Args&&... args) noexcept {
        void* mem = port::zalloc(sizeof(T), alignof(T));
        if (!mem)
            return fail(Errc::kENOMEM, "out of memory for engine bookkeeping").value(sizeof(T));
        Owned o;
        o.m_ptr = new (mem) T(std::forward<Args>(args)...);
        return o;
    }

    T* get() const noexcept { return m_ptr; }
    T* operator->() const noexcept { return m_ptr; }
    T& operator*() const noexcept { return *m_ptr; }
    explicit operator bool() const noexcept { return m_ptr != nullptr; }

    // Gives up ownership; the caller must later destroy with Owned<T>::adopt(p).
    T* release() noexcept {
        T* p = m_ptr;
        m_ptr = nullptr;
        return p;
    }
    static Owned adopt(T* p) noexcept {
        Owned o;
        o.m_ptr = p;
        return o;
    }

    void reset() noexcept {
        if (m_ptr) {
            m_ptr->~T();
            port::free(m_ptr);
            m_ptr = nullptr;
        }
    }

private:
    T* m_ptr = nullptr;
};

template <class T>
class OwnedArray {
public:
    OwnedArray() noexcept = default;
    OwnedArray(OwnedArray&& o) noexcept : m_ptr(o.m_ptr), m_size(o.m_size) {
        o.m_ptr = nullptr;
        o.m_size = 0;
    }
    OwnedArray& operator=(OwnedArray&& o) noexcept {
        if (this != &o) {
            reset();
            m_ptr = o.m_ptr;
            m_size = o.m_size;
            o.m_ptr = nullptr;
            o.m_size = 0;
        }
        return *this;
    }
    OwnedArray(const OwnedArray&) = delete;
    OwnedArray& operator=(const OwnedArray&) = delete;
    ~OwnedArray() { reset(); }

    // Allocates n value-initialised elements (n may be 0: an empty array owns nothing).
    static Result<OwnedArray> make(size_t n) noexcept {
        OwnedArray a;
        if (n == 0)
            return a;
        if (n > static_cast<size_t>(-1) / sizeof(T))
            return fail(Errc::kENOMEM, "array size overflows").value(n);
        void* mem = port::zalloc(n * sizeof(T), alignof(T));
        if (!mem)
            return fail(Errc::kENOMEM, "out of memory for engine bookkeeping").value(n * sizeof(T));
        a.m_ptr = static_cast<T*>(mem);
        if constexpr (!std::is_trivially_default_constructible_v<T>) {
            for (size_t i = 0; i < n; ++i)
                new (&a.m_ptr[i]) T();
        }
        a.m_size = n;
        return a;
    }

    T* data() const noexcept { return m_ptr; }
    size_t size() const noexcept { return m_size; }
    T& operator[](size_t i) const noexcept { return m_ptr[i]; }
    T* begin() const noexcept { return m_ptr; }
    T* end() const noexcept { return m_ptr + m_size; }

    void reset() noexcept {
        if (m_ptr) {
            if constexpr (!std::is_trivially_destructible_v<T>) {
                for (size_t i = 0; i < m_size; ++i)
                    m_ptr[i].~T();
            }
            port::free(m_ptr);
            m_ptr = nullptr;
            m_size = 0;
        }
    }

private:
    T* m_ptr = nullptr;
    size_t m_size = 0;
};

// Payload pages from the port, freed on destruction.
class PayloadPages {
public:
    PayloadPages() noexcept = default;
    PayloadPages(PayloadPages&& o) noexcept : m_base(o.m_base), m_size(o.m_size) {
        o.m_base = nullptr;
        o.m_size = 0;
    }
    PayloadPages& operator=(PayloadPages&& o) noexcept {
        if (this != &o) {
            reset();
            m_base = o.m_base;
            m_size = o.m_size;
            o.m_base = nullptr;
            o.m_size = 0;
        }
        return *this;
    }
    PayloadPages(const PayloadPages&) = delete;
    PayloadPages& operator=(const PayloadPages&) = delete;
    ~PayloadPages() { reset(); }

    // `size` must be a multiple of the page size and non-zero.
    static Result<PayloadPages> make(size_t size) noexcept {
        void* mem = port::alloc_payload_pages(size);
        if (!mem)
            return fail(Errc::kENOMEM, "no payload memory within reach of hypervisor text").value(size);
        PayloadPages p;
        p.m_base = static_cast<uint8_t*>(mem);
        p.m_size = size;
        return p;
    }

    uint8_t* base() const noexcept { return m_base; }
    size_t size() const noexcept { return m_size; }

    void reset() noexcept {
        if (m_base) {
            port::free_payload_pages(m_base, m_size);
            m_base = nullptr;
            m_size = 0;
        }
    }

private:
    uint8_t* m_base = nullptr;
    size_t m_size = 0;
};

}  // namespace livepatch
