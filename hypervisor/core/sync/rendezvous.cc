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

int32_t Rendezvous::schedule(Action action, Done done, void* ctx, uint64_t timeout_ns) noexcept {
    // Xen: "Fail if an operation is already scheduled." Also wait for stragglers of the last one
    // to leave check(), so that none of them can join this generation.
    if (load(m_busy) || load(m_inside))
        return to_xen_rc(Errc::kEBUSY);
    const unsigned cpus = port::cpu_count();
    if (cpus == 0 || cpus > port::kMaxCpus)
        return to_xen_rc(Errc::kEBUSY);

    m_action = action;
    m_done = done;
    m_ctx = ctx;
    m_timeout_ns = timeout_ns ? timeout_ns : kDefaultTimeoutNs;
    for (uint32_t& w : m_arrived)
        w = 0;
    store(m_semaphore, -1);
    store(m_ready, false);
    const uint32_t gen = m_gen + 1 ? m_gen + 1 : 1;
    store(m_gen, gen);
    store(m_busy, true);
    // Publishes everything above before any CPU can see the work (release store).
    store(m_do_work, true);
    for (unsigned c = 0; c < cpus; ++c)
        store(m_mark[c].gen, gen);
    port::kick_cpus();
    return 0;
}

void Rendezvous::check(unsigned cpu) noexcept {
    if (cpu >= port::kMaxCpus)
        return;
    // Fast path: one relaxed load of this CPU's own cache line.
    const uint32_t gen = __atomic_load_n(&m_mark[cpu].gen, __ATOMIC_RELAXED);
    if (!gen)
        return;
    store(m_mark[cpu].gen, 0u);
    __atomic_add_fetch(&m_inside, 1, __ATOMIC_ACQ_REL);
    // A mark of an older generation, or work already finished or abandoned: nothing to join.
    if (gen == load(m_gen) && load(m_do_work)) {
        if (__atomic_fetch_add(&m_semaphore, 1, __ATOMIC_ACQ_REL) == -1)
            master(cpu);
        else
            slave(cpu);
    }
    __atomic_sub_fetch(&m_inside, 1, __ATOMIC_ACQ_REL);
}

bool Rendezvous::wait_for(int32_t target, uint64_t deadline) noexcept {
    while (load(m_semaphore) != target) {
        if (port::now_ns() > deadline)
            return false;
        port::cpu_relax();
    }
    return true;
}

void Rendezvous::master(unsigned cpu) noexcept {
    RendezvousReport report;
    const uint64_t start = port::now_ns();
    const uint64_t deadline = start + m_timeout_ns;
    const unsigned cpus = port::cpu_count();
    const int32_t others = static_cast<int32_t>(cpus) - 1;
    report.cpus = cpus;
    __atomic_or_fetch(&m_arrived[cpu / 32], 1u << (cpu % 32), __ATOMIC_ACQ_REL);

    int32_t rc = 0;
    bool maps = port::cpu_maps_get();
    if (!maps)
        rc = to_xen_rc(Errc::kEBUSY);

    // Quiesce: every other CPU reaches a safe point (its first semaphore increment).
    if (!rc && others > 0) {
        port::kick_cpus();
        if (!wait_for(others, deadline)) {
            rc = to_xen_rc(Errc::kEBUSY);
            port::log(port::LogLevel::error, "livepatch: timed out on semaphore in CPU quiesce phase");
        }
    }
    const uint64_t gathered = port::now_ns();
    report.gather_ns = gathered - start;

    if (!rc) {
        // IRQ phase: every CPU checks in again once its interrupts are off.
        store(m_semaphore, 0);
        store(m_ready, true);
        if (others > 0 && !wait_for(others, deadline)) {
            rc = to_xen_rc(Errc::kEBUSY);
            port::log(port::LogLevel::error, "livepatch: timed out on semaphore in IRQ phase");
        }
    }
    if (!rc) {
        const unsigned long flags = port::irq_save();
        port::mask_nmi();
        const uint64_t a = port::now_ns();
        rc = m_action(m_ctx);
        report.action_ns = port::now_ns() - a;
        port::post_action();
        port::unmask_nmi();
        port::irq_restore(flags);
        report.window_ns = port::now_ns() - gathered;
    } else {
        for (unsigned c = 0; c < cpus; ++c) {
            if (!(load(m_arrived[c / 32]) & (1u << (c % 32)))) {
                report.missing[c / 32] |= 1u << (c % 32);
                ++report.nr_missing;
            }
        }
    }

    // Release the others: they run the post-action and leave.
    store(m_do_work, false);
    if (maps)
        port::cpu_maps_put();
    report.rc = rc;
    m_done(m_ctx, report);
    store(m_busy, false);
}

void Rendezvous::slave(unsigned cpu) noexcept {
    __atomic_or_fetch(&m_arrived[cpu / 32], 1u << (cpu % 32), __ATOMIC_ACQ_REL);
    // Wait until every CPU has arrived (or the master gave up).
    while (load(m_do_work) && !load(m_ready))
        port::cpu_relax();
    const unsigned long flags = port::irq_save();
    // Check in for the IRQ phase (the semaphore is re-used: the master reset it to 0).
    __atomic_add_fetch(&m_semaphore, 1, __ATOMIC_ACQ_REL);
    while (load(m_do_work))
        port::cpu_relax();
    port::post_action();
    port::irq_restore(flags);
}

}  // namespace livepatch
