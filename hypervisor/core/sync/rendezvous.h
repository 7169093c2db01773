// Rendezvous: Xen's stop-machine protocol for live patching (common/livepatch.c,
// do_livepatch_work), reusable for any action that must run with every CPU held.
//
//   schedule()  (hypercall context, holding the owner's lock) records the work, marks every CPU
//               and kicks them.
//   check()     runs at every CPU's safe points. The first CPU there becomes master: it waits,
//               until one deadline (now + timeout), for every other CPU to arrive ("quiesce"),
//               then for each to disable interrupts ("IRQ" phase); takes the owner's lock (same
//               deadline); runs the action with interrupts and NMIs masked; releases the others,
//               which run the post-action; calls `done` outside the window; marks itself idle;
//               and only then releases the lock. A CPU (or the lock) that misses the deadline
//               makes the work fail with -EBUSY, and the report names the CPUs; a failed
//               rendezvous takes the lock after releasing the CPUs, before `done`.
//
// So whoever holds the owner's lock sees the work either scheduled and not started, or finished
// and recorded, never half-way: the window owns the state the lock guards.
#pragma once

#include <stdint.h>

#include "core/support/spinlock.h"
#include "livepatch/port.h"

namespace livepatch {

// What one rendezvous measured.
struct RendezvousReport {
    int32_t rc = 0;            // 0, or -EBUSY (timeout, CPU maps), or the action's rc
    uint32_t cpus = 0;         // online CPUs
    uint64_t gather_ns = 0;    // master start .. every CPU arrived (or the timeout)
    uint64_t window_ns = 0;    // every CPU arrived .. released (0 when never all held)
    uint64_t action_ns = 0;    // the action alone
    bool action_ran = false;   // every CPU was held and the action ran (whatever its rc)
    bool irq_phase = false;    // the timeout hit in the IRQ-off phase (else in the quiesce)
    uint32_t nr_missing = 0;   // CPUs that had not arrived, in that phase, at the timeout
    uint32_t missing[port::kMaxCpus / 32] = {};
};

class Rendezvous {
public:
    // Runs on the master with every CPU held and interrupts off; returns 0 or -errno.
    using Action = int32_t (*)(void* ctx);
    // Runs on the master after the others are released.
    using Done = void (*)(void* ctx, const RendezvousReport& report);

    // Schedules one rendezvous whose action and `done` run holding `owner`, which the caller
    // holds now. Returns 0, or -EBUSY when one is still busy (it has not reached its window, or
    // not yet recorded a failure): nothing here waits. `timeout_ns` 0 means Xen's default of 30 ms.
    int32_t schedule(Action action, Done done, void* ctx, uint64_t timeout_ns, Spinlock* owner) noexcept;

    // The safe-point hook: cheap (one load) when no work is pending.
    void check(unsigned cpu) noexcept;

    // True from schedule() until `done` has returned (the owner's lock is held from before that
    // until after it becomes false).
    bool busy() const noexcept;

    // True from schedule() until the master releases the CPUs (Xen: livepatch_work.do_work).
    bool pending() const noexcept;

    static constexpr uint64_t kDefaultTimeoutNs = 30'000'000;

private:
    void master(uint32_t gen, unsigned cpu) noexcept;
    void slave(uint32_t gen, unsigned cpu) noexcept;
    // Adds one arrival to generation `gen`'s count; false (and nothing changed) when the
    // semaphore already belongs to another generation. *before gets the count before the add.
    bool arrive(uint32_t gen, uint32_t* before) noexcept;
    bool wait_for_all(uint32_t gen, uint32_t cpus, uint64_t deadline) noexcept;
    // Takes m_owner, spinning until `deadline`; false when it could not.
    bool try_lock_until(uint64_t deadline) noexcept;

    // Per-CPU "work to do" mark: the generation to join (0: none). One cache line each.
    struct alignas(64) CpuMark {
        uint32_t gen;
    };
    CpuMark m_mark[port::kMaxCpus] = {};

    // Every shared word carries the generation it belongs to, so a CPU still leaving an old
    // rendezvous (descheduled, on a hosted hypervisor) can never disturb the next one.
    uint32_t m_gen = 0;          // last generation scheduled
    uint32_t m_active = 0;       // generation in progress (Xen: do_work); 0 once released
    uint32_t m_ready = 0;        // generation whose CPUs all arrived (Xen: ready)
    uint64_t m_semaphore = 0;    // (generation << 32) | arrivals, master included
    bool m_busy = false;         // schedule() .. end of done()
    uint64_t m_timeout_ns = 0;
    Action m_action = nullptr;
    Done m_done = nullptr;
    void* m_ctx = nullptr;
    Spinlock* m_owner = nullptr;  // held by the master from the window to the end of done
    // Per CPU, the last generation it arrived at the quiesce / checked in with interrupts off.
    // Generations rather than bitmaps reset at schedule(): a CPU still leaving an old generation
    // can never mark itself arrived in the next one, and nothing is written non-atomically while
    // a CPU may be writing it.
    uint32_t m_arrived_gen[port::kMaxCpus] = {};
    uint32_t m_irq_gen[port::kMaxCpus] = {};
};

}  // namespace livepatch
