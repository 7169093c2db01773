// A test-and-test-and-set spinlock for the freestanding core (Xen: spinlock_t), with an RAII
// guard. Not recursive.
#pragma once

#include "livepatch/port.h"

namespace livepatch {

class Spinlock {
public:
    void lock() noexcept {
        for (;;) {
            if (!__atomic_exchange_n(&m_locked, true, __ATOMIC_ACQUIRE))
                return;
            while (__atomic_load_n(&m_locked, __ATOMIC_RELAXED))
                port::cpu_relax();
        }
    }
    void unlock() noexcept { __atomic_store_n(&m_locked, false, __ATOMIC_RELEASE); }

private:
    bool m_locked = false;
};

class SpinGuard {
public:
    explicit SpinGuard(Spinlock& l) noexcept : m_lock(l) { m_lock.lock(); }
    ~SpinGuard() { m_lock.unlock(); }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    Spinlock& m_lock;
};

}  // namespace livepatch
