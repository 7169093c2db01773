// hosted-hypervisor: a process that plays a Type-1 hypervisor for the livepatch engine. pCPU
// threads run guest vCPUs that enter hypervisor functions; dom0 tools patch those functions live
// through the control socket (XEN_SYSCTL_livepatch_op).
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "guest.h"
#include "guest_probe.h"
#include "hosted.h"
#include "hypercalls.h"
#include "core/engine/engine.h"
#include "livepatch/livepatch.h"
#include "server.h"

namespace po = boost::program_options;
using namespace livepatch::hosted;

namespace {

// Set by SIGINT/SIGTERM, which may be delivered to any thread (pCPUs and socket threads run
// already): a lock-free atomic, so the handler's store is both async-signal-safe and race-free.
std::atomic<int> g_stop{0};
static_assert(std::atomic<int>::is_always_lock_free);

void on_signal(int) { g_stop.store(1, std::memory_order_relaxed); }

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts("hosted-hypervisor options");
    unsigned cpus = 0;
    std::string socket_path;
    double status_every = 0;
    uint32_t max_payloads = livepatch::Engine::kDefaultMaxPayloads;
    uint64_t max_payload_mib = livepatch::Engine::kDefaultMaxBytes >> 20;
    std::vector<unsigned> allow_uids;
    opts.add_options()("help,h", "show this help")(
        "cpus,c", po::value<unsigned>(&cpus)->default_value(0),
        "pCPUs to start (0: one per online CPU; more than the cores oversubscribes)")(
        "socket,s", po::value<std::string>(&socket_path)->default_value("/run/hosted-hypervisor/livepatch.sock"),
        "control socket for xen-livepatch (created mode 0600; 0666 with --allow-uid)")("no-pin", "do not pin pCPU threads to host CPUs")(
        "idle", "no guest load: every pCPU sits in its idle loop")(
        "malicious-guest", "vCPU 0 also attempts out-of-bounds grant copies")(
        "status", po::value<double>(&status_every)->default_value(0),
        "print guest statistics every N seconds (0: only at exit)")(
        "max-payloads", po::value<uint32_t>(&max_payloads)->default_value(max_payloads),
        "most payloads loaded at once; UPLOAD past it fails with ENOSPC (0: no limit)")(
        "max-payload-mib", po::value<uint64_t>(&max_payload_mib)->default_value(max_payload_mib),
        "most MiB of payload memory loaded at once; UPLOAD past it fails with ENOMEM (0: no limit)")(
        "allow-uid", po::value<std::vector<unsigned>>(&allow_uids)->composing(),
        "also serve this user on the control socket (besides root and the server's own user; repeatable); "
        "the socket can then be reached by every user, and refuses the others with EPERM");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "hosted-hypervisor: " << e.what() << "\n" << opts;
        return 2;
    }
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }

    const Image& img = image();
    grant_table_init();
    livepatch::livepatch_init();
    if (max_payload_mib > (UINT64_MAX >> 20)) {
        std::cerr << "hosted-hypervisor: --max-payload-mib is too large\n";
        return 2;
    }
    livepatch::Engine::instance().set_limits({max_payloads, max_payload_mib << 20});

    static GuestStats stats;
    stats.malicious = vm.count("malicious-guest") > 0;
    CpuOptions co;
    co.count = cpus;
    co.pin = !vm.count("no-pin");
    co.work = vm.count("idle") ? nullptr : guest_work;
    co.ctx = &stats;
    set_observed_guests(&stats);  // the control socket's guest requests (guest-probe)

    ServerOptions server_opts;
    server_opts.allow_uids.assign(allow_uids.begin(), allow_uids.end());
    // The pCPUs exist before the first hypercall can arrive: the rendezvous reads the CPU table.
    start_cpus(co);
    if (!start_server(socket_path, server_opts)) {
        stop_cpus();
        return 1;
    }

    printf("hosted-hypervisor: %u pCPUs, %zu symbols, build-id ", cpu_total(), img.symbol_count);
    for (uint32_t i = 0; i < img.build_id_len; ++i)
        printf("%02x", img.build_id[i]);
    printf(", socket %s\n", socket_path.c_str());
    fflush(stdout);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    auto next = std::chrono::steady_clock::now();
    while (!g_stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (status_every > 0 && std::chrono::steady_clock::now() >= next) {
            next = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                          std::chrono::duration<double>(status_every));
            printf("guests: %s\n", guest_summary(stats).c_str());
            fflush(stdout);
        }
    }
    stop_server();
    stop_cpus();
    printf("hosted-hypervisor: stopped; guests: %s\n", guest_summary(stats).c_str());
    return 0;
}
