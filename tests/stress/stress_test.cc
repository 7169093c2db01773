// The control-plane stress test: 8 clients on a running hosted hypervisor's control socket (its
// pCPUs running guest load) issue random UPLOAD/APPLY/REVERT/REPLACE/UNLOAD/LIST/GET for
// LP_STRESS_SECONDS (60) on payloads whose hooks are slow (tens to hundreds of ms, inside and
// after the patch window). Then: the hypervisor is alive and exits cleanly (a sanitizer report
// makes its exit status non-zero), no client lost its connection, and the recorded history
// (every operation with its invocation and response time) is linearizable against the engine
// model, whose final state is what the last LIST shows. Seeded: LP_STRESS_SEED repeats a run.
//
// Environment: LP_HOSTED_BIN (the hosted hypervisor), LP_STRESS_PAYLOADS (the directory of
// a b c d p x .livepatch, tests/stress/stress.mk), LP_STRESS_SECONDS, LP_STRESS_SEED,
// LP_STRESS_CLIENTS (8).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "../../xl-tool/hosted_client.h"
#include "engine_model.h"
#include "history.h"
#include "linearizability.h"
#include "payload_facts.h"

namespace {

using namespace stress;
using Clock = std::chrono::steady_clock;
using livepatch::tool::HostedClient;

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = getenv(name);
    return v && *v ? v : fallback;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

int64_t ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// The hosted hypervisor under test: `--cpus 2` with its default guest load, its socket and log in a
// fresh directory.
class HypervisorProcess {
public:
    HypervisorProcess() {
        const std::string bin = env_or("LP_HOSTED_BIN", "");
        REQUIRE_MESSAGE(!bin.empty(), "LP_HOSTED_BIN must name the hosted hypervisor");
        char tmpl[] = "/tmp/lp-stress-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        m_dir = tmpl;
        m_socket = m_dir + "/livepatch.sock";
        m_log = m_dir + "/hypervisor.log";
        m_pid = fork();
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) {
            const int fd = open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            execl(bin.c_str(), bin.c_str(), "--cpus", "2", "--socket", m_socket.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        const Clock::time_point start = Clock::now();
        for (;;) {
            HostedClient probe;
            if (probe.connect(m_socket))
                break;
            int status = 0;
            if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                FAIL("hosted-hypervisor exited at start: " << slurp(m_log));
            }
            // A deadline for a process that never starts, not a speed requirement.
            if (ms_since(start) > 120000)
                FAIL("hosted-hypervisor did not open its socket in 120 s: " << slurp(m_log));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    ~HypervisorProcess() {
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
    const std::string& socket() const { return m_socket; }
    std::string log() const { return slurp(m_log); }
    bool alive() const { return m_pid > 0 && waitpid(m_pid, nullptr, WNOHANG) == 0; }

    // SIGTERM, then its wait status (-1 when it had to be killed after 120 s).
    int stop() {
        kill(m_pid, SIGTERM);
        const Clock::time_point start = Clock::now();
        int status = 0;
        while (waitpid(m_pid, &status, WNOHANG) != m_pid) {
            if (ms_since(start) > 120000) {
                kill(m_pid, SIGKILL);
                waitpid(m_pid, nullptr, 0);
                m_pid = -1;
                return -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        m_pid = -1;
        return status;
    }

private:
    std::string m_dir, m_socket, m_log;
    pid_t m_pid = -1;
};

struct Run {
    Facts facts;
    std::vector<std::vector<uint8_t>> files;
    std::vector<std::string> names;
    std::string socket;
    Clock::time_point epoch;
    Clock::time_point end;
    std::atomic<bool> lost{false};
    std::mutex lost_lock;
    std::string lost_why;
};

int64_t now_ns(const Run& run) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - run.epoch).count();
}

// One client: random operations until the run's end; every ACTION that was accepted is followed by
// GETs every 10 ms until it completed (as `xen-livepatch --wait` does), each GET recorded too.
void client(Run& run, unsigned seed, std::vector<Op>& ops) {
    std::mt19937 rng(seed);
    HostedClient c;
    auto lose = [&](const std::string& what) {
        std::lock_guard<std::mutex> g(run.lost_lock);
        if (!run.lost.exchange(true))
            run.lost_why = what + ": " + c.error();
    };
    if (!c.connect(run.socket)) {
        lose("connect");
        return;
    }
    const uint32_t timeout_ns = 2'000'000'000u;  // generous: a loaded host delays the pCPUs
    auto pick = [&](size_t n) { return static_cast<int>(std::uniform_int_distribution<size_t>(0, n - 1)(rng)); };
    while (Clock::now() < run.end && !run.lost) {
        // An operator's pace, not a tight loop: 0 to 10 ms between commands. (Thousands of
        // no-op refusals a second would add nothing but a history too dense to check.)
        std::this_thread::sleep_for(std::chrono::microseconds(pick(10000)));
        Op op;
        const int dice = pick(100);
        op.name = pick(run.names.size());
        op.kind = dice < 20 ? OpKind::Upload
                : dice < 40 ? OpKind::Apply
                : dice < 55 ? OpKind::Revert
                : dice < 65 ? OpKind::Replace
                : dice < 80 ? OpKind::Unload
                : dice < 90 ? OpKind::List
                            : OpKind::Get;
        const std::string& name = run.names[static_cast<size_t>(op.name)];
        op.invoked = now_ns(run);
        switch (op.kind) {
        case OpKind::Upload:
            op.file = pick(run.files.size());
            op.rc = c.upload(name, run.files[static_cast<size_t>(op.file)]);
            break;
        case OpKind::Apply:
            op.nodeps = pick(2) == 0;
            op.rc = c.action(name, LIVEPATCH_ACTION_APPLY, timeout_ns, op.nodeps ? LIVEPATCH_ACTION_APPLY_NODEPS : 0);
            break;
        case OpKind::Revert:
            op.rc = c.action(name, LIVEPATCH_ACTION_REVERT, timeout_ns, 0);
            break;
        case OpKind::Replace:
            op.rc = c.action(name, LIVEPATCH_ACTION_REPLACE, timeout_ns, 0);
            break;
        case OpKind::Unload:
            op.rc = c.action(name, LIVEPATCH_ACTION_UNLOAD, 0, 0);
            break;
        case OpKind::Get: {
            xen_livepatch_status st{};
            op.rc = c.get(name, &st);
            op.state = st.state;
            op.status_rc = st.rc;
            break;
        }
        case OpKind::List: {
            std::vector<livepatch::tool::ListEntry> entries;
            op.rc = c.list(&entries);
            if (op.rc == -EBUSY) {
                op.list_unknown = true;
            } else if (op.rc == 0) {
                for (const auto& e : entries) {
                    const auto it = std::find(run.names.begin(), run.names.end(), e.name);
                    op.list.push_back(Entry{it == run.names.end() ? -1 : static_cast<int>(it - run.names.begin()),
                                            e.status.state, e.status.rc});
                }
            }
            break;
        }
        }
        op.returned = now_ns(run);
        if (!c.connected()) {
            lose(std::string(op_kind_name(op.kind)) + " " + name);
            return;
        }
        ops.push_back(op);
        const bool waits = op.rc == 0 && (op.kind == OpKind::Apply || op.kind == OpKind::Revert ||
                                          op.kind == OpKind::Replace);
        const Clock::time_point wait_start = Clock::now();
        while (waits) {
            Op get;
            get.kind = OpKind::Get;
            get.name = op.name;
            xen_livepatch_status st{};
            get.invoked = now_ns(run);
            get.rc = c.get(name, &st);
            get.returned = now_ns(run);
            get.state = st.state;
            get.status_rc = st.rc;
            if (!c.connected()) {
                lose("GET " + name);
                return;
            }
            ops.push_back(get);
            if (get.rc != 0 || get.status_rc != -EAGAIN)
                break;
            if (ms_since(wait_start) > 120000) {  // an action that never completes
                lose("the action on " + name + " did not complete in 120 s");
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

}  // namespace

TEST_CASE("stress: 8 clients, random actions on slow payloads, a linearizable history") {
    const double seconds = std::stod(env_or("LP_STRESS_SECONDS", "60"));
    const unsigned clients = static_cast<unsigned>(std::stoul(env_or("LP_STRESS_CLIENTS", "8")));
    const unsigned seed = static_cast<unsigned>(
        std::stoul(env_or("LP_STRESS_SEED", std::to_string(std::random_device{}() % 1000000000u))));
    MESSAGE("stress: seed ", seed, " (LP_STRESS_SEED=", seed, " repeats this run), ", clients, " clients, ", seconds,
            " s");

    const std::string dir = env_or("LP_STRESS_PAYLOADS", "");
    REQUIRE_MESSAGE(!dir.empty(), "LP_STRESS_PAYLOADS must name the stress payload directory");
    Run run;
    run.facts.hypervisor_build_id = read_image_build_id(env_or("LP_HOSTED_BIN", ""));
    REQUIRE(!run.facts.hypervisor_build_id.empty());
    for (const char* f : {"a", "b", "c", "d", "p", "x"}) {
        const std::string path = dir + "/" + f + ".livepatch";
        const std::string bytes = slurp(path);
        REQUIRE_MESSAGE(!bytes.empty(), path);
        run.files.emplace_back(bytes.begin(), bytes.end());
        run.facts.files.push_back(read_payload_facts(path));
        REQUIRE_MESSAGE(!run.facts.files.back().build_id.empty(), path << ": no build-id");
    }
    // The payload set exercises what it should: a stack, the re-apply guard, REPLACE's refusal
    // and its failure path. (Facts read from the files, so a build change cannot silently drop one.)
    CHECK(run.facts.files[3].depends == run.facts.files[0].build_id);
    CHECK_FALSE(run.facts.files[1].safe_to_reapply);
    CHECK(run.facts.files[0].safe_to_reapply);
    CHECK(run.facts.files[4].vetoing_hooks);
    CHECK(run.facts.files[5].expectation);
    for (int i = 0; i < 6; ++i)
        run.names.push_back("stress-" + std::to_string(i));

    HypervisorProcess hv;
    run.socket = hv.socket();
    History history(clients + 1);
    run.epoch = Clock::now();
    run.end = run.epoch + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    {
        std::vector<std::thread> threads;
        for (unsigned i = 0; i < clients; ++i)
            threads.emplace_back(client, std::ref(run), seed * 7919u + i, std::ref(history[i]));
        for (std::thread& t : threads)
            t.join();
    }
    INFO("hypervisor log:\n" << hv.log());
    // A lost connection fails the test; the history up to it is still checked below (what the
    // clients saw before the crash may already be impossible).
    CHECK_MESSAGE(!run.lost, "a client lost its connection after " << ms_since(run.epoch) / 1000.0
                                                                   << " s (the hypervisor crashed?): " << run.lost_why);
    if (!run.lost) {
        REQUIRE(hv.alive());
        // The final state, read once nothing else runs: the history's last operation.
        HostedClient c;
        REQUIRE(c.connect(run.socket));
        Op op;
        op.kind = OpKind::List;
        std::vector<livepatch::tool::ListEntry> entries;
        op.invoked = now_ns(run);
        op.rc = c.list(&entries);
        op.returned = now_ns(run);
        REQUIRE(op.rc == 0);
        for (const auto& e : entries) {
            const auto it = std::find(run.names.begin(), run.names.end(), e.name);
            REQUIRE(it != run.names.end());
            op.list.push_back(Entry{static_cast<int>(it - run.names.begin()), e.status.state, e.status.rc});
        }
        history[clients].push_back(op);
        const int status = hv.stop();
        CHECK_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0),
                      "the hypervisor did not exit cleanly (wait status "
                          << status << "; exit 66: a ThreadSanitizer report)");
    }

    // Figures: operations per kind and result.
    std::map<std::pair<std::string, int>, size_t> counts;
    size_t total = 0;
    for (const auto& ops : history) {
        for (const Op& op : ops) {
            ++counts[{op_kind_name(op.kind), op.rc}];
            ++total;
        }
    }
    std::string table;
    for (const auto& [key, n] : counts)
        table += "  " + key.first + " rc " + std::to_string(key.second) + ": " + std::to_string(n) + "\n";
    MESSAGE("stress: ", total, " operations\n", table);
    // Not a vacuous history: every kind of state change succeeded at least once (a run where
    // every action was refused or timed out would be trivially explained by a serial history).
    for (const char* kind : {"UPLOAD", "APPLY", "REVERT", "REPLACE", "UNLOAD"}) {
        CAPTURE(kind);
        CHECK(counts[{kind, 0}] > 0);
    }

    const Clock::time_point check_start = Clock::now();
    const Linearization lin = linearize(run.facts, history, run.names);
    MESSAGE("stress: linearizability check: ", std::string(lin.ok ? "linearizable" : "NOT linearizable"), ", ", lin.configurations,
            " configurations visited in ", ms_since(check_start), " ms");
    CHECK_MESSAGE(lin.ok, lin.why);
    if (lin.ok)
        MESSAGE("stress: final state: ", lin.final_state.describe(run.names, file_labels(run.facts)));
}
