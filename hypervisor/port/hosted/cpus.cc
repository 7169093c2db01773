// The pCPUs of the hosted hypervisor: one thread each, pinned, running guest work and reaching
// livepatch safe points between work items and in the idle loop. An IPI is a per-CPU pending flag
// plus a futex wake (std::atomic::notify_one) for a CPU that sleeps in its idle loop.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "hosted.h"
#include "livepatch/livepatch.h"
#include "livepatch/port.h"

namespace livepatch::hosted {

namespace {

struct alignas(64) Cpu {
    std::thread thread;
    std::atomic<uint32_t> ipi{0};        // pending IPIs; the idle loop sleeps on it
    std::atomic<bool> hold{false};       // kept away from safe points (test)
    std::atomic<bool> holding{false};    // acknowledges hold
    std::atomic<uint64_t> progress{0};   // guest work units done
};

std::vector<std::unique_ptr<Cpu>> g_cpus;
std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_ipis{0};
CpuOptions g_options;

thread_local unsigned t_cpu = ~0u;
thread_local bool t_irqs_off = false;

void cpu_main(unsigned id) {
    t_cpu = id;
    Cpu& self = *g_cpus[id];
    if (g_options.pin) {
        const unsigned host = static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN));
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(id % (host ? host : 1), &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    while (!g_stop.load(std::memory_order_relaxed)) {
        if (self.hold.load(std::memory_order_acquire)) {
            // In "guest context" for as long as the test says: no safe point here.
            self.holding.store(true, std::memory_order_release);
            while (self.hold.load(std::memory_order_acquire) && !g_stop.load(std::memory_order_relaxed))
                port::cpu_relax();
            self.holding.store(false, std::memory_order_release);
            continue;
        }
        if (g_options.work) {
            g_options.work(id, g_options.ctx);
            self.progress.fetch_add(1, std::memory_order_relaxed);
        } else {
            // Idle loop: sleep until an IPI arrives.
            const uint32_t seen = self.ipi.load(std::memory_order_acquire);
            if (!seen)
                self.ipi.wait(0, std::memory_order_acquire);
        }
        // Consume the pending IPI with a read-modify-write: it reads the latest kick and, by
        // acquire, everything the kicker wrote before it (a plain store of 0 could overwrite a kick
        // whose rendezvous this safe point then did not see, and the CPU would sleep through it).
        (void)self.ipi.exchange(0, std::memory_order_acq_rel);
        livepatch_check_work();  // the safe point
    }
}

}  // namespace

void start_cpus(const CpuOptions& options) {
    g_options = options;
    unsigned n = options.count ? options.count : static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN));
    if (n == 0)
        n = 1;
    if (n > port::kMaxCpus)
        n = port::kMaxCpus;
    g_stop = false;
    g_cpus.clear();
    for (unsigned i = 0; i < n; ++i)
        g_cpus.push_back(std::make_unique<Cpu>());
    for (unsigned i = 0; i < n; ++i)
        g_cpus[i]->thread = std::thread(cpu_main, i);
}

void stop_cpus() {
    g_stop = true;
    for (auto& c : g_cpus) {
        c->hold = false;
        c->ipi.store(1);
        c->ipi.notify_one();
    }
    for (auto& c : g_cpus) {
        if (c->thread.joinable())
            c->thread.join();
    }
    g_cpus.clear();
}

unsigned cpu_total() { return static_cast<unsigned>(g_cpus.size()); }

void hold_cpu(unsigned cpu, bool hold) {
    Cpu& c = *g_cpus.at(cpu);
    c.hold.store(hold, std::memory_order_release);
    c.ipi.store(1);
    c.ipi.notify_one();
    while (c.holding.load(std::memory_order_acquire) != hold)
        std::this_thread::yield();
}

uint64_t cpu_progress(unsigned cpu) { return g_cpus.at(cpu)->progress.load(std::memory_order_relaxed); }

uint64_t ipis_sent() { return g_ipis.load(); }

}  // namespace livepatch::hosted

// --- the CPU part of the port ---------------------------------------------------------------------
namespace livepatch::port {

using namespace livepatch::hosted;

unsigned cpu_count() noexcept { return static_cast<unsigned>(g_cpus.size()); }

unsigned this_cpu() noexcept { return t_cpu; }

bool cpu_maps_get() noexcept { return true; }  // no CPU hot-plug in the hosted hypervisor
void cpu_maps_put() noexcept {}

void kick_cpus() noexcept {
    for (unsigned i = 0; i < g_cpus.size(); ++i) {
        if (i == t_cpu)
            continue;
        Cpu& c = *g_cpus[i];
        c.ipi.store(1, std::memory_order_release);
        c.ipi.notify_one();
        g_ipis.fetch_add(1, std::memory_order_relaxed);
    }
}

void cpu_relax() noexcept {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// Control-socket threads wait for the engine lock (held by a patch window for as long as its
// hooks run) without taking a core from the pCPUs; a pCPU keeps spinning, as Xen's would.
void lock_wait_hint() noexcept {
    if (t_cpu == ~0u)
        sched_yield();
    else
        cpu_relax();
}

// Interrupts are modelled, not real: a pCPU thread takes no asynchronous events while it is
// inside the rendezvous anyway. The flag keeps the nesting honest.
unsigned long irq_save() noexcept {
    const unsigned long was = t_irqs_off;
    t_irqs_off = true;
    return was;
}
void irq_restore(unsigned long flags) noexcept { t_irqs_off = flags != 0; }

void mask_nmi() noexcept {}
void unmask_nmi() noexcept {}

}  // namespace livepatch::port
