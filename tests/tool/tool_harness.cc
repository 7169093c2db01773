#include "tool_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace tooltest {

namespace {

using Clock = std::chrono::steady_clock;

std::string env_or_fail(const char* name) {
    const char* v = getenv(name);
    REQUIRE_MESSAGE(v != nullptr, name << " must name the file or directory under test");
    return v;
}

int64_t ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// The environment for a child: ours without XEN_LIVEPATCH_SOCKET and the overridden names,
// then the overrides that have a value.
std::vector<std::string> child_environment(const Env& env) {
    std::vector<std::string> out;
    for (char** e = environ; *e; ++e) {
        const std::string kv = *e;
        const std::string key = kv.substr(0, kv.find('='));
        if (key == "XEN_LIVEPATCH_SOCKET" || env.count(key))
            continue;
        out.push_back(kv);
    }
    for (const auto& [k, v] : env) {
        if (!v.empty())
            out.push_back(k + "=" + v);
    }
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> p;
    for (std::string& s : v)
        p.push_back(s.data());
    p.push_back(nullptr);
    return p;
}

// Waits for `pid` for at most `ms`; its wait status, or -1 when it is still running.
int wait_for(pid_t pid, int ms) {
    const Clock::time_point start = Clock::now();
    for (;;) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return 0;
        if (ms_since(start) >= ms)
            return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool socket_answers(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

}  // namespace

Json Run::json() const {
    Json j = Json::parse(out, nullptr, false);
    INFO("stdout: " << out << "\nstderr: " << err);
    REQUIRE_FALSE(j.is_discarded());
    return j;
}

Run run_tool(const std::vector<std::string>& args, const Env& env, int timeout_ms) {
    return run_program(env_or_fail("LP_TOOL_BIN"), args, env, timeout_ms);
}

Run run_program(const std::string& bin, const std::vector<std::string>& args, const Env& env, int timeout_ms) {
    std::vector<std::string> argv{bin};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> envv = child_environment(env);
    std::vector<char*> argp = c_strings(argv), envp = c_strings(envv);
    int out[2], err[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(pipe2(err, O_CLOEXEC) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execve(argp[0], argp.data(), envp.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    Run r;
    pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sink[2] = {&r.out, &r.err};
    const Clock::time_point start = Clock::now();
    int open_fds = 2;
    while (open_fds) {
        const int left = timeout_ms - static_cast<int>(ms_since(start));
        if (left <= 0) {
            r.timed_out = true;
            break;
        }
        if (poll(p, 2, left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char buf[4096];
            const ssize_t k = read(p[i].fd, buf, sizeof buf);
            if (k > 0) {
                sink[i]->append(buf, static_cast<size_t>(k));
            } else if (k == 0 || errno != EINTR) {
                close(p[i].fd);
                p[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (pollfd& f : p) {
        if (f.fd >= 0)
            close(f.fd);
    }
    if (r.timed_out)
        kill(pid, SIGKILL);
    int status = wait_for(pid, r.timed_out ? 10000 : timeout_ms);
    if (status == -1) {
        kill(pid, SIGKILL);
        r.timed_out = true;
        status = wait_for(pid, 10000);
    }
    r.code = !r.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

Hypervisor::Hypervisor(const std::vector<std::string>& extra_args) {
    const std::string bin = env_or_fail("LP_HOSTED_BIN");
    char tmpl[] = "/tmp/lp-tool-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    m_dir = tmpl;
    m_socket = m_dir + "/livepatch.sock";
    const std::string log = m_dir + "/hypervisor.log";
    std::vector<std::string> argv{bin, "--cpus", "2", "--socket", m_socket};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    // LP_HOSTED_RUNNER: the program that runs the hypervisor, e.g. qemu-aarch64-static for the
    // AArch64 build (the tool talks to it over the Unix socket like to a native one).
    if (const char* runner = getenv("LP_HOSTED_RUNNER"); runner && *runner)
        argv.insert(argv.begin(), runner);
    std::vector<char*> argp = c_strings(argv);
    m_pid = fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execvp(argp[0], argp.data());
        _exit(127);
    }
    const Clock::time_point start = Clock::now();
    while (!socket_answers(m_socket)) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            FAIL("hosted-hypervisor exited at start: " << read_file(log));
        }
        if (ms_since(start) > 120000) {
            stop();
            FAIL("hosted-hypervisor did not open its socket in 120 s: " << read_file(log));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void Hypervisor::stop() {
    if (m_pid <= 0)
        return;
    kill(m_pid, SIGTERM);
    if (wait_for(m_pid, 10000) == -1) {
        kill(m_pid, SIGKILL);
        wait_for(m_pid, 10000);
    }
    m_pid = -1;
}

Hypervisor::~Hypervisor() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
}

Run Hypervisor::xen(const std::vector<std::string>& args, int timeout_ms) const {
    std::vector<std::string> all{"--socket", m_socket};
    all.insert(all.end(), args.begin(), args.end());
    return run_tool(all, {}, timeout_ms);
}

Run Hypervisor::tool(const std::vector<std::string>& args, int timeout_ms) const {
    for (const std::string& a : args) {
        if (a.rfind("--timeout", 0) == 0 || a.rfind("--wait", 0) == 0 || a == "--")
            return xen(args, timeout_ms);
    }
    std::vector<std::string> all{"--timeout", "4s", "--wait", "60s"};
    all.insert(all.end(), args.begin(), args.end());
    return xen(all, timeout_ms);
}

Run Hypervisor::xen_retrying(const std::vector<std::string>& args) const {
    Run r;
    for (int i = 0; i < 10; ++i) {
        r = xen(args);
        if (r.code != 2 || r.err.find("EBUSY") == std::string::npos)
            break;
    }
    return r;
}

std::string payload(const std::string& name) { return env_or_fail("LP_TOOL_PAYLOADS") + "/" + name + ".livepatch"; }

std::string source_root() {
    std::filesystem::path p = std::filesystem::absolute(env_or_fail("LP_TOOL_BIN")).parent_path();
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
        if (std::filesystem::exists(p / "docs/xen-livepatch.md") && std::filesystem::exists(p / "tests/tool"))
            return p.string();
    }
    FAIL("no source tree above LP_TOOL_BIN");
    return "";
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
    REQUIRE(f.good());
}

std::string golden(const std::string& name) {
    const std::string path = source_root() + "/tests/tool/golden/" + name;
    REQUIRE_MESSAGE(std::filesystem::exists(path), path);
    return read_file(path);
}

void repoint_depends(const std::string& name, const std::string& build_id, const std::string& out) {
    REQUIRE(build_id.size() % 2 == 0);
    std::string desc;
    for (size_t i = 0; i < build_id.size(); i += 2)
        desc.push_back(static_cast<char>(std::stoi(build_id.substr(i, 2), nullptr, 16)));
    // An ELF note: namesz 4, descsz, type 3 (NT_GNU_BUILD_ID), "GNU\0", the id, padded to 4.
    std::string note;
    for (uint32_t v : {4u, static_cast<uint32_t>(desc.size()), 3u})
        note.append(reinterpret_cast<const char*>(&v), 4);
    note.append("GNU\0", 4);
    note += desc;
    note.append((4 - note.size() % 4) % 4, '\0');
    const std::string note_path = out + ".note";
    write_file(note_path, note);
    // LP_OBJCOPY: the objcopy for the payloads' architecture (aarch64-linux-gnu-objcopy for AArch64).
    const char* objcopy = getenv("LP_OBJCOPY");
    const std::string cmd = std::string(objcopy && *objcopy ? objcopy : "objcopy") + " --update-section .livepatch.depends=" + note_path + " " + payload(name) + " " + out;
    REQUIRE_MESSAGE(system(cmd.c_str()) == 0, cmd);
}

std::string build_id_of(const Hypervisor& hv, const std::string& name) {
    const Run r = hv.tool({"--json", "status", name});
    REQUIRE(r.code == 0);
    const Json j = r.json();
    REQUIRE(j["payload"].is_object());
    return j["payload"]["build_id"].get<std::string>();
}

}  // namespace tooltest
