// A test-and-test-and-set spinlock for the freestanding core (Xen: spinlock_t), with an RAII
// guard. Not recursive. A waiter spins kSpinsBeforeHint rounds with cpu_relax, then calls the
// port's lock_wait_hint on every further round, so a waiter that is not a CPU (a hosted
// hypervisor's control thread) yields instead of burning a core while a patch window holds the lock.
#pragma once

#include "livepatch/port.h"

namespace livepatch {

class Spinlock {
public:
    static constexpr unsigned kSpinsBeforeHint = 1000;

    void lock() noexcept {
        unsigned spins = 0;
        for (;;) {
            if (!__atomic_exchange_n(&m_locked, true, __ATOMIC_ACQUIRE))
                return;
            while (__atomic_load_n(&m_locked, __ATOMIC_RELAXED)) {
                if (spins < kSpinsBeforeHint) {
                    ++spins;
                    port::cpu_relax();
                } else {
                    port::lock_wait_hint();
                }
            }
        }
    }

    // Takes the lock if it is free; never waits.
    [[nodiscard]] bool try_lock() noexcept {
        return !__atomic_load_n(&m_locked, __ATOMIC_RELAXED) && !__atomic_exchange_n(&m_locked, true, __ATOMIC_ACQUIRE);
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
