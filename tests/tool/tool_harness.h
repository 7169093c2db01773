// The tool tests' harness: a real hosted-hypervisor process (LP_HOSTED_BIN, run by
// LP_HOSTED_RUNNER when that is set, e.g. qemu-aarch64-static; 2 pCPUs, its socket in a fresh
// mkdtemp directory) and the real xen-livepatch binary (LP_TOOL_BIN) run as a subprocess, with
// its stdout, stderr and exit status captured. Payloads come from LP_TOOL_PAYLOADS; golden files
// and the documentation from the source tree.
#pragma once

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tooltest {

using Json = nlohmann::json;

struct Run {
    int code = -1;           // exit status; -1 when killed (see timed_out) or ended by a signal
    std::string out, err;    // everything written to stdout and stderr
    bool timed_out = false;  // killed after the time limit

    // stdout parsed as JSON (a doctest failure when it is not).
    Json json() const;
};

// Extra environment for the tool: name -> value ("" removes the variable). The harness always
// removes XEN_LIVEPATCH_SOCKET unless given here, so the caller's environment cannot leak in.
using Env = std::map<std::string, std::string>;

// Runs the tool with `args`; kills it after `timeout_ms` (a hung tool, not a slow one: generous).
Run run_tool(const std::vector<std::string>& args, const Env& env = {}, int timeout_ms = 120000);

// Runs program `bin` with `args` as run_tool runs the tool (same environment rules and limit).
Run run_program(const std::string& bin, const std::vector<std::string>& args, const Env& env = {},
                int timeout_ms = 120000);

// A hosted hypervisor for one test: started by the constructor (which waits until its socket
// answers), stopped by the destructor (SIGTERM, then SIGKILL after 10 s), directory removed.
class Hypervisor {
public:
    // `extra_args` follow `--cpus 2 --socket <socket>` on its command line (e.g.
    // --malicious-guest).
    explicit Hypervisor(const std::vector<std::string>& extra_args = {});
    ~Hypervisor();
    Hypervisor(const Hypervisor&) = delete;
    Hypervisor& operator=(const Hypervisor&) = delete;

    const std::string& socket() const { return m_socket; }
    const std::string& dir() const { return m_dir; }
    bool running() const { return m_pid > 0; }

    // Runs the tool against this hypervisor: `--socket <socket>`, then, unless `args` has
    // --timeout or --wait, `--timeout 4s --wait 60s`, then `args`. The hypervisor's two pCPUs
    // share the host's CPUs with the tests (and whatever else runs there), so Xen's 30 ms
    // rendezvous can miss; the text of a completed action is the same either way. Tests about
    // Xen's own timing use xen().
    Run tool(const std::vector<std::string>& args, int timeout_ms = 120000) const;

    // Runs the tool with `--socket <socket>` and exactly `args` (Xen's timing unless given).
    Run xen(const std::vector<std::string>& args, int timeout_ms = 120000) const;

    // xen(), run again (up to 10 times) while it fails with exit 2 because a rendezvous timed out.
    Run xen_retrying(const std::vector<std::string>& args) const;

    // Stops the process now (the destructor then does nothing more than clean up).
    void stop();

private:
    std::string m_dir, m_socket;
    pid_t m_pid = -1;
};

// LP_TOOL_PAYLOADS/<name>.livepatch.
std::string payload(const std::string& name);

// The source tree (the directory above LP_TOOL_BIN holding docs/xen-livepatch.md).
std::string source_root();

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

// tests/tool/golden/<name>.
std::string golden(const std::string& name);

// A copy of payload `name` whose .livepatch.depends names `build_id` (hex), written to `out`
// with objcopy: stacks it on the payload with that build-id.
void repoint_depends(const std::string& name, const std::string& build_id, const std::string& out);

// The build-id of loaded payload `name` (from `status --json`).
std::string build_id_of(const Hypervisor& hv, const std::string& name);

}  // namespace tooltest
