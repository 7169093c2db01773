// The hosted hypervisor inside the integration-test process: the engine, pCPU threads and the
// control socket, started once per process and shared by every integration test file.
#pragma once

#include <string>

#include "port/hosted/hosted.h"

namespace livepatch::integration {

// What the first ensure_hosted_runtime() call starts.
struct RuntimeOptions {
    unsigned cpus = 0;                 // pCPU threads (0: one per online CPU)
    bool pin = false;                  // pin them to host CPUs
    hosted::GuestWork work = nullptr;  // nullptr: every pCPU idles (no guest load)
    void* ctx = nullptr;               // passed to `work`
};

// Starts the runtime on the first call: livepatch_init(), the pCPUs, and the control socket at
// <fresh mkdtemp dir>/run/livepatch.sock (the server creates run/, mode 0700). Later calls
// ignore `options`. Everything is stopped, and the directory removed, at process exit. Returns
// the number of pCPUs running. Aborts the process when the socket cannot be created.
unsigned ensure_hosted_runtime(const RuntimeOptions& options = {});

// Makes every pCPU run `work(cpu, ctx)` as its guest load (nullptr: idle). The pCPUs are
// restarted with the new load, after any action in flight has completed; the CPU count and
// pinning stay. Starts the runtime (default options) if needed. Not concurrent with actions.
void set_guest_work(hosted::GuestWork work, void* ctx);

// Restarts the pCPUs as `cpus` threads (0: one per online CPU), keeping the guest load; more than
// the host's cores oversubscribes them. Returns the number running. Not concurrent with actions.
unsigned set_cpu_count(unsigned cpus);

// The control socket's path (starts the runtime with default options if needed).
const std::string& runtime_socket_path();

// The fresh directory holding run/livepatch.sock.
const std::string& runtime_dir();

}  // namespace livepatch::integration
