// The control socket server of the hosted hypervisor (protocol: wire_protocol.h) and the detail
// query. One thread accepts; each connection gets its own thread, at most kMaxConnections at a
// time. A request's bytes become the caller's guest memory for the duration of its sysctl.
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "core/engine/engine.h"
#include "guest_probe.h"
#include "hosted.h"
#include "livepatch/abi.h"
#include "livepatch/errc.h"
#include "livepatch/livepatch.h"
#include "livepatch/port.h"
#include "wire_protocol.h"

namespace livepatch::hosted {

namespace {

constexpr unsigned kMaxConnections = 16;
constexpr int kStallTimeoutMs = 10000;  // silence inside a request (or a stuck reader) ends it
constexpr auto kSlotWait = std::chrono::milliseconds(100);  // a full server waits this long

struct Connection {
    int fd = -1;  // closed (and set to -1) by its own thread, under Server::lock
    bool done = false;
    std::thread thread;
};

struct Server {
    std::mutex lock;
    std::condition_variable changed;
    bool running = false;
    bool stopping = false;
    int listen_fd = -1;
    int wake[2] = {-1, -1};  // the acceptor's stop signal
    std::string path;
    ino_t inode = 0;  // of the socket we bound: stop_server unlinks only that one
    std::thread acceptor;
    std::list<Connection> conns;  // stable addresses: each thread holds its own element
    unsigned active = 0;
};

Server g_server;

int32_t rc_of(Errc e) { return to_xen_rc(e); }

// Reads exactly `n` bytes. The first byte of a request may take forever (an idle connection);
// after that the peer must keep sending. False on EOF, error, timeout or shutdown.
bool read_exact(int fd, void* buf, size_t n, bool request_start) {
    auto* p = static_cast<uint8_t*>(buf);
    size_t got = 0;
    while (got < n) {
        pollfd pfd{fd, POLLIN, 0};
        const int r = poll(&pfd, 1, request_start && got == 0 ? -1 : kStallTimeoutMs);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        const ssize_t k = recv(fd, p + got, n - got, 0);
        if (k > 0)
            got += static_cast<size_t>(k);
        else if (k == 0 || (errno != EINTR && errno != EAGAIN))
            return false;
    }
    return true;
}

bool write_all(int fd, const void* buf, size_t n) {
    auto* p = static_cast<const uint8_t*>(buf);
    while (n) {
        const ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= static_cast<size_t>(k);
    }
    return true;
}

bool send_response(int fd, int32_t rc, uint32_t arena_len) {
    const wire::WireResponse r{wire::kMagic, rc, arena_len, 0};
    return write_all(fd, &r, sizeof r);
}

int32_t detail(const char* name, std::string* json);

// Serves one request; false when the connection must end.
bool serve_request(int fd, std::vector<uint8_t>& arena) {
    wire::WireRequest req;
    if (!read_exact(fd, &req, sizeof req, true))
        return false;
    const bool malformed = req.magic != wire::kMagic || req.version != wire::kVersion || req.reserved ||
                           (req.kind != wire::kSysctl && req.kind != wire::kDetail && req.kind != wire::kGuest);
    const int32_t bad = malformed ? rc_of(Errc::kEINVAL) : req.arena_len > wire::kMaxArena ? rc_of(Errc::kE2BIG) : 0;
    if (bad) {
        send_response(fd, bad, 0);
        return false;
    }

    xen_sysctl op;
    if (req.kind == wire::kSysctl && !read_exact(fd, &op, sizeof op, false))
        return false;
    arena.resize(req.arena_len);
    if (req.arena_len && !read_exact(fd, arena.data(), req.arena_len, false))
        return false;

    if (req.kind == wire::kSysctl) {
        const int32_t rc = serve_sysctl(&op, arena.data(), req.arena_len);
        return send_response(fd, rc, req.arena_len) && write_all(fd, &op, sizeof op) &&
               write_all(fd, arena.data(), req.arena_len);
    }

    // kDetail, kGuest: exactly one NUL, at the end.
    const size_t len = req.arena_len;
    if (!len || arena[len - 1] || memchr(arena.data(), 0, len - 1))
        return send_response(fd, rc_of(Errc::kEINVAL), 0);
    std::string json;
    const char* word = reinterpret_cast<const char*>(arena.data());
    const int32_t rc = req.kind == wire::kDetail ? detail(word, &json) : guest_request(word, &json);
    if (rc)
        return send_response(fd, rc, 0);
    return send_response(fd, 0, static_cast<uint32_t>(json.size())) && write_all(fd, json.data(), json.size());
}

void serve_connection(Connection* c) {
    const int fd = c->fd;
    const timeval tv{kStallTimeoutMs / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    try {
        std::vector<uint8_t> arena;
        while (serve_request(fd, arena)) {
        }
    } catch (const std::exception& e) {
        fprintf(stderr, "hosted-hypervisor: control connection dropped: %s\n", e.what());
    }
    {
        std::lock_guard<std::mutex> g(g_server.lock);
        close(fd);
        c->fd = -1;
        c->done = true;
        --g_server.active;
    }
    g_server.changed.notify_all();
}

// Joins the threads of finished connections. Called with the lock held.
void reap() {
    for (auto it = g_server.conns.begin(); it != g_server.conns.end();) {
        if (!it->done) {
            ++it;
            continue;
        }
        it->thread.join();
        it = g_server.conns.erase(it);
    }
}

void accept_loop() {
    for (;;) {
        pollfd p[2] = {{g_server.listen_fd, POLLIN, 0}, {g_server.wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        const int fd = accept4(g_server.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        std::unique_lock<std::mutex> l(g_server.lock);
        reap();
        if (g_server.active >= kMaxConnections) {
            // A connection that is just ending frees its slot soon; anything else is refused.
            g_server.changed.wait_for(l, kSlotWait,
                                      [] { return g_server.stopping || g_server.active < kMaxConnections; });
            reap();
        }
        if (g_server.stopping || g_server.active >= kMaxConnections) {
            close(fd);
            continue;
        }
        try {
            Connection& c = g_server.conns.emplace_back();
            c.fd = fd;
            ++g_server.active;
            c.thread = std::thread(serve_connection, &c);
        } catch (const std::exception& e) {
            fprintf(stderr, "hosted-hypervisor: cannot serve a connection: %s\n", e.what());
            g_server.conns.pop_back();
            --g_server.active;
            close(fd);
        }
    }
}

// mkdir -p with mode 0700 for the directories above `path`.
bool make_parent_dirs(const std::string& path) {
    for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
        const std::string dir = path.substr(0, pos);
        if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "hosted-hypervisor: cannot create %s: %s\n", dir.c_str(), strerror(errno));
            return false;
        }
    }
    return true;
}

bool fail_start(const std::string& path, int fd, const std::string& what) {
    fprintf(stderr, "hosted-hypervisor: control socket %s: %s\n", path.c_str(), what.c_str());
    if (fd >= 0)
        close(fd);
    return false;
}

}  // namespace

bool start_server(const std::string& path) {
    std::lock_guard<std::mutex> g(g_server.lock);
    if (g_server.running)
        return fail_start(path, -1, "the server is already running");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return fail_start(path, -1, "path empty or longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (!make_parent_dirs(path))
        return false;

    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail_start(path, -1, std::string("socket: ") + strerror(errno));
    struct stat st;
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return fail_start(path, fd, "exists and is not a socket");
        const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0)
            close(probe);
        if (live)
            return fail_start(path, fd, "another server is listening on it");
        unlink(path.c_str());  // stale
    }
    const mode_t old_mask = umask(0177);  // the socket never exists with wider permissions
    const int bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    const int bind_errno = errno;
    umask(old_mask);
    if (bound != 0)
        return fail_start(path, fd, std::string("bind: ") + strerror(bind_errno));
    if (chmod(path.c_str(), 0600) != 0 || lstat(path.c_str(), &st) != 0 || listen(fd, 64) != 0 ||
        pipe2(g_server.wake, O_CLOEXEC) != 0) {
        const std::string err = strerror(errno);
        unlink(path.c_str());
        return fail_start(path, fd, err);
    }
    g_server.path = path;
    g_server.listen_fd = fd;
    g_server.inode = st.st_ino;
    g_server.stopping = false;
    g_server.running = true;
    g_server.acceptor = std::thread(accept_loop);
    return true;
}

void stop_server() {
    std::unique_lock<std::mutex> l(g_server.lock);
    if (!g_server.running)
        return;
    g_server.stopping = true;
    [[maybe_unused]] const ssize_t woken = write(g_server.wake[1], "", 1);  // an empty pipe takes it
    g_server.changed.notify_all();
    l.unlock();
    g_server.acceptor.join();

    l.lock();
    for (Connection& c : g_server.conns) {
        if (c.fd >= 0)
            shutdown(c.fd, SHUT_RDWR);  // wakes its thread, which closes it
    }
    l.unlock();
    for (Connection& c : g_server.conns)  // the acceptor is gone: nobody else touches the list
        c.thread.join();

    l.lock();
    g_server.conns.clear();
    close(g_server.listen_fd);
    close(g_server.wake[0]);
    close(g_server.wake[1]);
    g_server.listen_fd = g_server.wake[0] = g_server.wake[1] = -1;
    struct stat st;
    if (lstat(g_server.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == g_server.inode)
        unlink(g_server.path.c_str());
    g_server.running = false;
}

int serve_sysctl(void* sysctl, unsigned char* arena, unsigned long arena_len) {
    auto* op = static_cast<xen_sysctl*>(sysctl);
    // Xen's do_sysctl: the interface version first, then the sub-op.
    if (op->interface_version != kSysctlInterfaceVersion)
        return rc_of(Errc::kEACCES);
    if (op->cmd != XEN_SYSCTL_livepatch_op)
        return rc_of(Errc::kENOSYS);
    unsigned char original[sizeof(xen_sysctl)];
    memcpy(original, op, sizeof original);
    set_guest_arena(arena, arena_len);
    const int32_t rc = livepatch_op(&op->u.livepatch);
    set_guest_arena(nullptr, 0);
    // Xen copies the struct back even after an error, except for these two.
    if (rc == rc_of(Errc::kENOSYS) || rc == rc_of(Errc::kEOPNOTSUPP))
        memcpy(op, original, sizeof original);
    return rc;
}

// --- the detail query -----------------------------------------------------------------------------

namespace {

struct FuncSnapshot {
    livepatch_func record;
    std::string name;
    FuncState state;  // all zero (not applied) until the engine first plans the payload
};

// Everything the JSON shows, copied under the engine lock (the JSON is built outside it).
struct Snapshot {
    std::string name;
    uint32_t state = 0;
    int32_t rc = 0;
    bool reverted = false, safe_to_reapply = false;
    std::string build_id, depends, xen_depends;
    std::vector<FuncSnapshot> funcs;
    PayloadHooks hooks;  // only the counts and the presence of each hook are used
    size_t text = 0, rw = 0, ro = 0;
    std::vector<std::string> metadata;
    ActionRecord last;
};

std::string hex(const BuildId& id) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s;
    for (uint32_t i = 0; id.present() && i < id.len; ++i) {
        s += kDigits[id.bytes[i] >> 4];
        s += kDigits[id.bytes[i] & 15];
    }
    return s;
}

// The old function's name: the record's string when it lies NUL-terminated inside the payload,
// else the hypervisor symbol at old_addr, else "".
std::string func_name(const Payload& p, const livepatch_func& f) {
    for (const Region* r : {&p.text(), &p.ro(), &p.rw()}) {
        if (!f.name || !r->contains(f.name, 1))
            continue;
        const char* s = reinterpret_cast<const char*>(f.name);
        const size_t room = r->size - (f.name - reinterpret_cast<uintptr_t>(r->base));
        const size_t n = strnlen(s, room);
        if (n < room)
            return std::string(s, n);
    }
    port::SymbolInfo sym;
    if (f.old_addr && port::symbol_by_address(f.old_addr, &sym) && sym.name)
        return sym.name;
    return "";
}

void take_snapshot(const Payload& p, Snapshot* s) {
    s->name = p.name();
    s->state = p.state();
    s->rc = p.rc();
    s->reverted = p.reverted();
    s->safe_to_reapply = p.safe_to_reapply();
    s->build_id = hex(p.build_id());
    s->depends = hex(p.depends());
    s->xen_depends = hex(p.xen_depends());
    const auto states = p.func_states();
    for (size_t i = 0; i < p.funcs().size(); ++i) {
        s->funcs.push_back({p.funcs()[i], func_name(p, p.funcs()[i]), i < states.size() ? states[i] : FuncState{}});
    }
    s->hooks = p.hooks();
    s->text = p.text().size;
    s->rw = p.rw().size;
    s->ro = p.ro().size;
    const Span<const char> mi = p.modinfo();
    for (size_t i = 0; i < mi.size(); ++i) {  // NUL-separated strings; empty ones skipped
        const size_t n = strnlen(mi.data() + i, mi.size() - i);
        if (n)
            s->metadata.emplace_back(mi.data() + i, n);
        i += n;
    }
    s->last = p.last_action();
}

const char* action_word(uint32_t cmd) {
    static const char* const kWords[] = {"UNKNOWN", "UNLOAD", "REVERT", "APPLY", "REPLACE"};
    static_assert(LIVEPATCH_ACTION_UNLOAD == 1 && LIVEPATCH_ACTION_REPLACE == 4);
    return kWords[cmd <= LIVEPATCH_ACTION_REPLACE ? cmd : 0];
}

const char* rc_name(int32_t rc) { return rc <= 0 ? errc_name(static_cast<Errc>(-rc)) : "E?"; }

std::string to_json(const Snapshot& s) {
    using json = nlohmann::ordered_json;
    json j;
    j["name"] = s.name;
    j["state"] = s.state == kStateChecked ? "CHECKED" : s.state == kStateApplied ? "APPLIED" : "UNKNOWN";
    j["rc"] = s.rc;
    j["rc_name"] = rc_name(s.rc);
    j["reverted"] = s.reverted;
    j["safe_to_reapply"] = s.safe_to_reapply;
    j["build_id"] = s.build_id;
    j["depends"] = s.depends;
    j["xen_depends"] = s.xen_depends;
    j["functions"] = json::array();
    for (const FuncSnapshot& f : s.funcs) {
        const livepatch_func& r = f.record;
        j["functions"].push_back(
            {{"name", f.name}, {"old_addr", r.old_addr}, {"old_size", r.old_size}, {"new_addr", r.new_addr},
             {"new_size", r.new_size}, {"nop", r.new_addr == 0}, {"applied", f.state.applied},
             {"patch_offset", f.state.patch_offset}, {"patch_len", f.state.len},
             {"expectation", {{"enabled", r.expect.enabled()}, {"len", r.expect.len()}}}});
    }
    const PayloadHooks& h = s.hooks;
    j["hooks"] = {{"load", h.load.size()},   {"unload", h.unload.size()}, {"preapply", h.preapply != 0},
                  {"apply", h.apply != 0},   {"postapply", h.postapply != 0}, {"prerevert", h.prerevert != 0},
                  {"revert", h.revert != 0}, {"postrevert", h.postrevert != 0}};
    j["regions"] = {{"text", s.text}, {"rw", s.rw}, {"ro", s.ro}};
    j["metadata"] = s.metadata;
    if (!s.last.cmd) {
        j["last_action"] = nullptr;
    } else {
        const ActionRecord& a = s.last;
        json missing = json::array();
        for (unsigned cpu = 0; cpu < port::kMaxCpus; ++cpu) {
            if (a.cpu_missing(cpu))
                missing.push_back(cpu);
        }
        j["last_action"] = {{"action", action_word(a.cmd)}, {"rc", a.rc},
                            {"rc_name", rc_name(a.rc)},     {"gather_us", a.gather_ns / 1000.0},
                            {"window_us", a.window_ns / 1000.0}, {"patch_us", a.patch_ns / 1000.0},
                            {"cpus", a.cpus},               {"missing_cpus", missing}};
    }
    // Names and metadata are the payload's bytes: never let invalid UTF-8 throw.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// 0 and the JSON, -ENOENT (no such payload) or -ENOMEM.
int32_t detail(const char* name, std::string* json) {
    Snapshot s;
    bool ok = true;
    const bool found = Engine::instance().with_payload(name, [&](const Payload& p) {
        try {  // with_payload is noexcept: nothing may escape the lambda
            take_snapshot(p, &s);
        } catch (...) {
            ok = false;
        }
    });
    if (!found)
        return rc_of(Errc::kENOENT);
    if (!ok)
        return rc_of(Errc::kENOMEM);
    *json = to_json(s);
    return 0;
}

}  // namespace

std::string payload_detail_json(const char* name) {
    std::string json;
    return detail(name, &json) == 0 ? json : std::string();
}

}  // namespace livepatch::hosted
