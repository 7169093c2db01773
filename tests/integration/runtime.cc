// The shared hosted-hypervisor runtime of the integration tests (see runtime.h).
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "core/engine/engine.h"
#include "livepatch/livepatch.h"
#include "port/hosted/server.h"

namespace livepatch::integration {

namespace {

// Constructed on first use, so it is destroyed before the hosted runtime's own globals (the CPU
// table, the server state), which exist from static initialisation on.
struct Runtime {
    explicit Runtime(const RuntimeOptions& o) : options(o) {
        char tmpl[] = "/tmp/lp-itest-XXXXXX";
        if (!mkdtemp(tmpl)) {
            perror("integration tests: mkdtemp");
            abort();
        }
        dir = tmpl;
        socket = dir + "/run/livepatch.sock";
        livepatch_init();  // before any pCPU reaches a safe point
        // Thousands of actions run here: keep the log to warnings and errors unless asked.
        if (!getenv("LP_VERBOSE"))
            hosted::set_log_level(1);
        start();  // the pCPUs exist before any hypercall can arrive, as in the hosted hypervisor
        if (!hosted::start_server(socket)) {
            fprintf(stderr, "integration tests: cannot start the control socket at %s\n", socket.c_str());
            abort();
        }
    }
    ~Runtime() {
        hosted::stop_server();
        hosted::stop_cpus();
        rmdir((dir + "/run").c_str());
        rmdir(dir.c_str());
    }
    void start() {
        hosted::CpuOptions co;
        co.count = options.cpus;
        co.pin = options.pin;
        co.work = options.work;
        co.ctx = options.ctx;
        hosted::start_cpus(co);
        cpus = hosted::cpu_total();
    }

    RuntimeOptions options;
    std::string dir, socket;
    unsigned cpus = 0;
    std::mutex work_lock;  // serialises set_guest_work
};

Runtime& runtime(const RuntimeOptions& options) {
    static Runtime r(options);  // thread-safe first use
    return r;
}

}  // namespace

unsigned ensure_hosted_runtime(const RuntimeOptions& options) { return runtime(options).cpus; }

namespace {

// Restarts the pCPUs with r.options once no action is in flight.
void restart(Runtime& r) {
    // The pCPUs must finish any rendezvous before they stop.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (Engine::instance().busy() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (Engine::instance().busy()) {
        fprintf(stderr, "integration tests: an action never completed; cannot change the guest load\n");
        abort();
    }
    hosted::stop_cpus();
    r.start();
}

}  // namespace

void set_guest_work(hosted::GuestWork work, void* ctx) {
    Runtime& r = runtime({});
    std::lock_guard<std::mutex> g(r.work_lock);
    if (r.options.work == work && r.options.ctx == ctx)
        return;
    r.options.work = work;
    r.options.ctx = ctx;
    restart(r);
}

unsigned set_cpu_count(unsigned cpus) {
    Runtime& r = runtime({});
    std::lock_guard<std::mutex> g(r.work_lock);
    if (r.options.cpus != cpus) {
        r.options.cpus = cpus;
        restart(r);
    }
    return r.cpus;
}

const std::string& runtime_socket_path() { return runtime({}).socket; }

const std::string& runtime_dir() { return runtime({}).dir; }

}  // namespace livepatch::integration
