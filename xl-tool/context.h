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

// Xen's default rendezvous timeout, which its tool hard-wires.
constexpr uint32_t kDefaultTimeoutNs = 30000000;

// The hosted hypervisor's default control socket.
constexpr const char* kDefaultSocket = "/run/hosted-hypervisor/livepatch.sock";

struct Options {
    BackendKind backend = BackendKind::kAuto;
    std::string socket = kDefaultSocket;
    bool json = false;
    uint32_t timeout_ns = kDefaultTimeoutNs;  // ACTION's timeout field
    std::optional<uint64_t> wait_ns;          // --wait: poll until done or this long
    bool nodeps = false;                      // --nodeps (apply, load)
    std::optional<std::string> against;       // --against (check)
};

class Context {
public:
    explicit Context(Options opts) : m_opts(std::move(opts)) {}

    const Options& opts() const { return m_opts; }
    bool json_mode() const { return m_opts.json; }

    // The canonical command ("apply") and everything after it on the command line that is not
    // one of the global options: positional arguments and unknown flags, in order.
    std::string command;
    std::vector<std::string> args;

    void out(const std::string& text) const;
    void err(const std::string& text) const;
    void diag(const std::string& line) const;

    // The JSON document (written by finish() in JSON mode).
    Json& doc() { return m_doc; }

    // The backend, opened on first use. On failure: prints Xen's "failed to get the handler"
    // and this tool's reason, records the error, and returns nullptr (the command then fails
    // with the returned rc in *rc).
    Backend* backend(int* rc);

    // The backend kind resolved from --backend ("xen" or "hosted"), once backend() was called.
    const char* backend_kind() const { return m_backend_kind; }

    // Ends the run: fills "ok" and "exit_code", writes the JSON document in JSON mode, and
    // returns the exit code for Xen-style return value `ret` (0; a positive errno; -1).
    int finish(int ret);

private:
    Options m_opts;
    Json m_doc = Json::object();
    std::unique_ptr<Backend> m_backend;
    bool m_backend_failed = false;
    int m_backend_rc = 0;
    const char* m_backend_kind = nullptr;
};

// Xen's exit status for a Xen-style return value: 0 for 0, 2 for EAGAIN or EBUSY (retry), 1 for
// anything else.
int exit_code_for(int ret);

}  // namespace livepatch::tool
