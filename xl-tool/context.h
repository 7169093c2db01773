// The state of one run of xen-livepatch: its options, the command and its arguments, where text
// goes, the JSON document, and the backend (opened on first use).
//
// Output rules:
//   - out(): Xen's stdout text, exactly as Xen prints it; dropped with --json, where stdout holds
//     only the one JSON document written at exit.
//   - err(): Xen's stderr text, exactly as Xen prints it (kept with --json).
//   - diag(): this tool's own explanation, one line "xen-livepatch: ..." on stderr, after Xen's.
#pragma once

#include <stdint.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"

namespace livepatch::tool {

using Json = nlohmann::ordered_json;

struct CallSite;     // watchdog.h
class CallWatchdog;  // watchdog.h

// Xen's default rendezvous timeout, which its tool hard-wires.
constexpr uint32_t kDefaultTimeoutNs = 30000000;

// How long one call into the backend may take before the tool gives up on the hypervisor
// (watchdog.h); $XEN_LIVEPATCH_CALL_TIMEOUT overrides it ("0": no limit).
constexpr uint64_t kDefaultCallTimeoutNs = 30ull * 1000000000ull;
constexpr const char* kCallTimeoutVariable = "XEN_LIVEPATCH_CALL_TIMEOUT";

// The hosted hypervisor's default control socket.
constexpr const char* kDefaultSocket = "/run/hosted-hypervisor/livepatch.sock";

struct Options {
    BackendKind backend = BackendKind::kAuto;
    std::string socket = kDefaultSocket;
    bool socket_given = false;  // --socket on the command line (not the environment)
    bool json = false;
    uint32_t timeout_ns = kDefaultTimeoutNs;  // ACTION's timeout field
    std::optional<uint64_t> wait_ns;          // --wait: poll until done or this long
    bool nodeps = false;                      // --nodeps (apply, load)
    std::optional<std::string> against;       // --against (check)
    uint64_t call_timeout_ns = kDefaultCallTimeoutNs;  // each backend call's deadline (0: none)
};

class Context {
public:
    explicit Context(Options opts);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    const Options& opts() const { return m_opts; }
    bool json_mode() const { return m_opts.json; }

    // The canonical command ("apply") and everything after it on the command line that is not
    // one of the global options: positional arguments and unknown flags, in order.
    std::string command;
    std::vector<std::string> args;

    void out(const std::string& text);
    void err(const std::string& text) const;
    void diag(const std::string& line) const;

    // The JSON document (written by finish() in JSON mode).
    Json& doc() { return m_doc; }

    // The backend, opened on first use. On failure: prints Xen's "failed to get the handler"
    // and this tool's reason, records the error, and returns nullptr (the command then fails
    // with the returned rc in *rc). Opening it and every call into it are watched: one that
    // takes longer than opts().call_timeout_ns ends the run (see on_call_timeout).
    Backend* backend(int* rc);

    // The backend kind resolved from --backend ("xen" or "hosted"), once backend() was called.
    const char* backend_kind() const { return m_backend_kind; }

    // Ends the run: fills "ok" and "exit_code", writes the JSON document in JSON mode, and
    // returns the exit code for Xen-style return value `ret` (0; a positive errno; -1).
    int finish(int ret);

private:
    // The watchdog's handler (on its thread, while the main thread is blocked in `site`): ends a
    // pending "<Verb> <name>... " line with "failed", reports ETIMEDOUT for the call, writes the
    // JSON document, and exits with status 1.
    [[noreturn]] void on_call_timeout(const CallSite& site);

    Options m_opts;
    Json m_doc = Json::object();
    bool m_line_open = false;  // out() left a line without its newline ("Applying x... ")
    std::unique_ptr<CallWatchdog> m_watchdog;  // declared before m_backend: outlives it
    std::unique_ptr<Backend> m_backend;
    bool m_backend_failed = false;
    int m_backend_rc = 0;
    const char* m_backend_kind = nullptr;
};

// Xen's exit status for a Xen-style return value: 0 for 0, 2 for EAGAIN or EBUSY (retry), 1 for
// anything else.
int exit_code_for(int ret);

}  // namespace livepatch::tool
