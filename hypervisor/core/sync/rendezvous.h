// Rendezvous: Xen's stop-machine protocol for live patching (common/livepatch.c,
// do_livepatch_work), reusable for any action that must run with every CPU held.
//
//   schedule()  (hypercall context, under the engine lock) records the work, marks every CPU and
//               kicks them.
//   check()     runs at every CPU's safe points. The first CPU there becomes master: it waits,
//               until one deadline (now + timeout), for every other CPU to arrive ("quiesce"),
//               then for each to disable interrupts ("IRQ" phase); runs the action with
//               interrupts and NMIs masked; releases the others, which run the post-action; and
//               finally calls `done` outside the window. A CPU that misses the deadline makes the
//               work fail with -EBUSY, and the report names it.
#pragma once

#include <stdint.h>

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

    // Schedules one rendezvous. Returns 0, or -EBUSY when one is pending. A released one whose
    // master is still in `done` is waited for (it takes microseconds). `timeout_ns` 0 means Xen's
    // default of 30 ms.
    int32_t schedule(Action action, Done done, void* ctx, uint64_t timeout_ns) noexcept;

    // The safe-point hook: cheap (one load) when no work is pending.
    void check(unsigned cpu) noexcept;

    // True from schedule() until `done` has returned.
    bool busy() const noexcept;

    // True from schedule() until the master releases the CPUs (Xen: livepatch_work.do_work).
    bool pending() const noexcept;

    // Waits (bounded by kFinishWaitNs) while a released rendezvous is still in `done` on its
    // master, so that the caller sees its outcome complete. Returns !busy().
    bool wait_finished() const noexcept;

    static constexpr uint64_t kDefaultTimeoutNs = 30'000'000;
    // How long schedule() waits for a released rendezvous's master to finish `done`.
    static constexpr uint64_t kFinishWaitNs = 1'000'000'000;

private:
    void master(uint32_t gen, unsigned cpu) noexcept;
    void slave(uint32_t gen, unsigned cpu) noexcept;
    // Adds one arrival to generation `gen`'s count; false (and nothing changed) when the
    // semaphore already belongs to another generation. *before gets the count before the add.
    bool arrive(uint32_t gen, uint32_t* before) noexcept;
    bool wait_for_all(uint32_t gen, uint32_t cpus, uint64_t deadline) noexcept;

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
    uint32_t m_arrived[port::kMaxCpus / 32] = {};      // arrived at the quiesce
    uint32_t m_irq_arrived[port::kMaxCpus / 32] = {};  // checked in with interrupts off
};

}  // namespace livepatch
