#include "core/sync/rendezvous.h"

#include "livepatch/errc.h"

namespace livepatch {

namespace {

template <class T>
T load(const T& v) noexcept {
    return __atomic_load_n(&v, __ATOMIC_ACQUIRE);
}
template <class T>
void store(T& v, T x) noexcept {
    __atomic_store_n(&v, x, __ATOMIC_RELEASE);
}

}  // namespace

bool Rendezvous::busy() const noexcept { return load(m_busy); }

bool Rendezvous::pending() const noexcept { return load(m_active) != 0; }

int32_t Rendezvous::schedule(Action action, Done done, void* ctx, uint64_t timeout_ns, Spinlock* owner) noexcept {
    // Xen: "Fail if an operation is already scheduled." The caller holds `owner`, which the
    // master of a running rendezvous holds from the window to the end of `done`: one that is
    // still busy here has not started its window or has not yet recorded a failure, and nothing
    // waits for it under the lock.
    if (load(m_busy) || !owner)
        return to_xen_rc(Errc::kEBUSY);
    const unsigned cpus = port::cpu_count();
    if (cpus == 0 || cpus > port::kMaxCpus)
        return to_xen_rc(Errc::kEBUSY);

    m_action = action;
    m_done = done;
    m_ctx = ctx;
    m_owner = owner;
    m_timeout_ns = timeout_ns ? timeout_ns : kDefaultTimeoutNs;
    const uint32_t gen = m_gen + 1 ? m_gen + 1 : 1;
    m_gen = gen;
    store(m_semaphore, uint64_t{gen} << 32);
    store(m_busy, true);
    // Publishes everything above before any CPU can see the work (release store).
    store(m_active, gen);
    for (unsigned c = 0; c < cpus; ++c)
        store(m_mark[c].gen, gen);
    port::kick_cpus();
    return 0;
}

bool Rendezvous::arrive(uint32_t gen, uint32_t* before) noexcept {
    uint64_t v = load(m_semaphore);
    for (;;) {
        if ((v >> 32) != gen)
            return false;
        if (__atomic_compare_exchange_n(&m_semaphore, &v, v + 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *before = static_cast<uint32_t>(v);
            return true;
        }
    }
}

void Rendezvous::check(unsigned cpu) noexcept {
    if (cpu >= port::kMaxCpus)
        return;
    // Fast path: one relaxed load of this CPU's own cache line.
    if (!__atomic_load_n(&m_mark[cpu].gen, __ATOMIC_RELAXED))
        return;
    // Take the mark atomically: a newer generation's mark set meanwhile is never lost.
    const uint32_t gen = __atomic_exchange_n(&m_mark[cpu].gen, 0u, __ATOMIC_ACQ_REL);
    if (!gen)
        return;
    // A mark of an older generation, or work already finished or abandoned: nothing to join.
    uint32_t before = 0;
    if (load(m_active) != gen || !arrive(gen, &before))
        return;
    if (before == 0)
        master(gen, cpu);
    else
        slave(gen, cpu);
}

bool Rendezvous::wait_for_all(uint32_t gen, uint32_t cpus, uint64_t deadline) noexcept {
    const uint64_t target = (uint64_t{gen} << 32) | cpus;
    while (load(m_semaphore) != target) {
        if (port::now_ns() > deadline)
            return false;
        port::cpu_relax();
    }
    return true;
}

bool Rendezvous::try_lock_until(uint64_t deadline) noexcept {
    for (;;) {
        if (m_owner->try_lock())
            return true;
        if (port::now_ns() > deadline)
            return false;
        port::cpu_relax();
    }
}

void Rendezvous::master(uint32_t gen, unsigned cpu) noexcept {
    RendezvousReport report;
    const uint64_t start = port::now_ns();
    const uint64_t deadline = start + m_timeout_ns;
    const unsigned cpus = port::cpu_count();
    report.cpus = cpus;
    store(m_arrived_gen[cpu], gen);

    int32_t rc = 0;
    const bool maps = port::cpu_maps_get();
    if (!maps)
        rc = to_xen_rc(Errc::kEBUSY);

    // Quiesce: every CPU reaches a safe point and arrives.
    if (!rc && cpus > 1) {
        port::kick_cpus();
        if (!wait_for_all(gen, cpus, deadline)) {
            rc = to_xen_rc(Errc::kEBUSY);
            port::log(port::LogLevel::error, "livepatch: timed out on semaphore in CPU quiesce phase");
        }
    }
    const uint64_t gathered = port::now_ns();
    report.gather_ns = gathered - start;

    if (!rc) {
        // IRQ phase: every CPU checks in again once its interrupts are off.
        store(m_irq_gen[cpu], gen);
        store(m_semaphore, (uint64_t{gen} << 32) | 1);
        store(m_ready, gen);
        if (cpus > 1 && !wait_for_all(gen, cpus, deadline)) {
            rc = to_xen_rc(Errc::kEBUSY);
            report.irq_phase = true;
            port::log(port::LogLevel::error, "livepatch: timed out on semaphore in IRQ phase");
        }
    }
    // Every CPU is held: take the owner's lock before touching what it guards, within the same
    // deadline. On Xen no CPU can hold it now (hypercalls run on CPUs, and safe points lie
    // outside them); a hosted hypervisor's control thread may, for at most one hypercall.
    bool locked = false;
    if (!rc) {
        locked = try_lock_until(deadline);
        if (!locked) {
            rc = to_xen_rc(Errc::kEBUSY);
            port::log(port::LogLevel::error, "livepatch: timed out waiting for the engine lock with every CPU held");
        }
    }
    if (!rc) {
        const unsigned long flags = port::irq_save();
        port::mask_nmi();
        const uint64_t a = port::now_ns();
        rc = m_action(m_ctx);
        report.action_ran = true;
        report.action_ns = port::now_ns() - a;
        port::post_action();
        port::unmask_nmi();
        port::irq_restore(flags);
        report.window_ns = port::now_ns() - gathered;
    } else {
        // The CPUs that had not arrived in the phase that timed out (none when the lock did).
        const uint32_t* seen = report.irq_phase ? m_irq_gen : m_arrived_gen;
        for (unsigned c = 0; c < cpus; ++c) {
            if (load(seen[c]) != gen) {
                report.missing[c / 32] |= 1u << (c % 32);
                ++report.nr_missing;
            }
        }
    }

    // Release the others: they run the post-action and leave.
    store(m_active, 0u);
    if (maps)
        port::cpu_maps_put();
    // The outcome is recorded under the lock too (a failed rendezvous takes it only now, with
    // the CPUs released), and the rendezvous is idle before anyone else can take the lock.
    Spinlock* owner = m_owner;
    if (!locked)
        owner->lock();
    report.rc = rc;
    m_done(m_ctx, report);
    store(m_busy, false);
    owner->unlock();
}

void Rendezvous::slave(uint32_t gen, unsigned cpu) noexcept {
    store(m_arrived_gen[cpu], gen);
    // Wait until every CPU has arrived (or the master gave up).
    while (load(m_active) == gen && load(m_ready) != gen)
        port::cpu_relax();
    const unsigned long flags = port::irq_save();
    // Check in for the IRQ phase; a no-op if the master already gave up on this generation.
    uint32_t before = 0;
    if (arrive(gen, &before))
        store(m_irq_gen[cpu], gen);
    while (load(m_active) == gen)
        port::cpu_relax();
    port::post_action();
    port::irq_restore(flags);
}

}  // namespace livepatch
