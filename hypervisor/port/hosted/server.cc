// The control socket server of the hosted hypervisor (protocol: wire_protocol.h) and the detail
// query. One thread accepts; each connection gets its own thread, at most kMaxConnections at a
// time; when the table is full the connection idle the longest is closed to make room. Idle
// connections time out; reading a request and writing its reply each have a deadline (the wait
// for the engine in between has none). Every wait is a poll() or a blocking lock, except the wait
// for the engine's own spinlock during a patch window, which yields the host CPU each round.
// A request's bytes become the caller's guest memory for the duration of its sysctl.
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
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

using Clock = std::chrono::steady_clock;

constexpr unsigned kMaxConnections = 16;
constexpr auto kSlotWait = std::chrono::milliseconds(100);      // a full server with no idle peer
constexpr auto kEvictionWait = std::chrono::milliseconds(2000);  // an evicted peer's thread to end

struct Connection {
    int fd = -1;  // closed (and set to -1) by its own thread, under Server::lock
    bool done = false;
    bool idle = true;      // waiting for the first byte of a request
    bool evicted = false;  // closed by the acceptor to make room (only ever while idle)
    bool allowed = false;  // SO_PEERCRED: root, the server's uid or an allowed uid
    uid_t uid = 0;
    Clock::time_point idle_since;
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
    ServerOptions options;  // under lock
};

Server g_server;

// Control threads wait for the engine here, on a blocking mutex, so that at most one of them at a
// time waits on the engine's spinning lock; the others sleep.
std::mutex g_engine_gate;

int32_t rc_of(Errc e) { return to_xen_rc(e); }

ServerOptions current_options() {
    std::lock_guard<std::mutex> g(g_server.lock);
    return g_server.options;
}

// Milliseconds left until `deadline` (rounded up), 0 when it has passed.
int ms_left(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : static_cast<int>(left);
}

// Waits until `fd` is ready for `events` or `deadline` passes; false on timeout, error or hang-up
// without data.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const int left = ms_left(deadline);
        if (left == 0)
            return false;
        pollfd pfd{fd, events, 0};
        const int r = poll(&pfd, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        return (pfd.revents & events) != 0;
    }
}

// Reads exactly `n` bytes by `deadline`. False on EOF, error, deadline or shutdown.
bool read_exact(int fd, void* buf, size_t n, Clock::time_point deadline) {
    auto* p = static_cast<uint8_t*>(buf);
    size_t got = 0;
    while (got < n) {
        if (!wait_ready(fd, POLLIN, deadline))
            return false;
        const ssize_t k = recv(fd, p + got, n - got, MSG_DONTWAIT);
        if (k > 0)
            got += static_cast<size_t>(k);
        else if (k == 0 || (errno != EINTR && errno != EAGAIN))
            return false;
    }
    return true;
}

// Writes all `n` bytes by `deadline` (a peer that does not read cannot hold the thread).
bool write_all(int fd, const void* buf, size_t n, Clock::time_point deadline) {
    auto* p = static_cast<const uint8_t*>(buf);
    while (n) {
        const ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN) {
            if (!wait_ready(fd, POLLOUT, deadline))
                return false;
            continue;
        }
        if (k <= 0)
            return false;
        p += k;
        n -= static_cast<size_t>(k);
    }
    return true;
}

// One reply: the header then up to two bodies, all within one I/O deadline from now.
bool reply(int fd, int32_t rc, uint32_t arena_len, const void* a = nullptr, size_t alen = 0,
           const void* b = nullptr, size_t blen = 0) {
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(current_options().io_deadline_ms);
    const wire::WireResponse r{wire::kMagic, rc, arena_len, 0};
    return write_all(fd, &r, sizeof r, deadline) && (!alen || write_all(fd, a, alen, deadline)) &&
           (!blen || write_all(fd, b, blen, deadline));
}

int32_t detail(const char* name, std::string* json);

// Serves one request whose first byte has arrived; false when the connection must end.
bool serve_request(int fd, std::vector<uint8_t>& arena, bool allowed) {
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(current_options().io_deadline_ms);
    wire::WireRequest req;
    if (!read_exact(fd, &req, sizeof req, deadline))
        return false;
    const bool malformed = req.magic != wire::kMagic || req.version != wire::kVersion || req.reserved ||
                           (req.kind != wire::kSysctl && req.kind != wire::kDetail && req.kind != wire::kGuest);
    const int32_t bad = malformed ? rc_of(Errc::kEINVAL) : req.arena_len > wire::kMaxArena ? rc_of(Errc::kE2BIG) : 0;
    if (bad) {
        reply(fd, bad, 0);
        return false;
    }

    xen_sysctl op;
    if (req.kind == wire::kSysctl && !read_exact(fd, &op, sizeof op, deadline))
        return false;
    if (!allowed) {
        // As Xen's do_sysctl answers an unprivileged caller: the interface version is checked
        // before the XSM check (xen/common/sysctl.c:42-47). Nothing of its arena is read.
        const bool old_abi = req.kind == wire::kSysctl && op.interface_version != kSysctlInterfaceVersion;
        reply(fd, rc_of(old_abi ? Errc::kEACCES : Errc::kEPERM), 0);
        return false;
    }
    arena.resize(req.arena_len);
    if (req.arena_len && !read_exact(fd, arena.data(), req.arena_len, deadline))
        return false;

    if (req.kind == wire::kSysctl) {
        int32_t rc;
        {
            std::lock_guard<std::mutex> g(g_engine_gate);
            rc = serve_sysctl(&op, arena.data(), req.arena_len);
        }
        return reply(fd, rc, req.arena_len, &op, sizeof op, arena.data(), req.arena_len);
    }

    // kDetail, kGuest: exactly one NUL, at the end.
    const size_t len = req.arena_len;
    if (!len || arena[len - 1] || memchr(arena.data(), 0, len - 1))
        return reply(fd, rc_of(Errc::kEINVAL), 0);
    std::string json;
    const char* word = reinterpret_cast<const char*>(arena.data());
    int32_t rc;
    {
        std::lock_guard<std::mutex> g(g_engine_gate);
        rc = req.kind == wire::kDetail ? detail(word, &json) : guest_request(word, &json);
    }
    if (rc)
        return reply(fd, rc, 0);
    return reply(fd, 0, static_cast<uint32_t>(json.size()), json.data(), json.size());
}

// Waits, idle, for the first byte of the next request. False when the connection must end: the
// peer closed it, it stayed idle past the idle timeout, or the acceptor evicted it.
bool await_request(Connection* c, int fd) {
    const auto idle = std::chrono::milliseconds(current_options().idle_timeout_ms);
    {
        std::lock_guard<std::mutex> g(g_server.lock);
        c->idle = true;
        c->idle_since = Clock::now();
        if (c->evicted)
            return false;
    }
    const bool ready = wait_ready(fd, POLLIN, Clock::now() + idle);
    std::lock_guard<std::mutex> g(g_server.lock);
    if (!ready || c->evicted)
        return false;
    c->idle = false;  // from here the acceptor leaves it alone
    return true;
}

void serve_connection(Connection* c) {
    const int fd = c->fd;
    if (!c->allowed)
        fprintf(stderr,
                "hosted-hypervisor: control socket: uid %u is not allowed (root and the server's user are; "
                "see --allow-uid): its requests get -EPERM\n",
                static_cast<unsigned>(c->uid));
    try {
        std::vector<uint8_t> arena;
        while (await_request(c, fd) && serve_request(fd, arena, c->allowed)) {
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

// Closes the connection idle the longest, if any is idle; its thread then ends. Lock held.
bool evict_oldest_idle() {
    Connection* oldest = nullptr;
    for (Connection& c : g_server.conns) {
        if (!c.done && c.idle && !c.evicted && c.fd >= 0 && (!oldest || c.idle_since < oldest->idle_since))
            oldest = &c;
    }
    if (!oldest)
        return false;
    oldest->evicted = true;
    shutdown(oldest->fd, SHUT_RDWR);  // wakes its thread, which closes it
    return true;
}

// SO_PEERCRED: the peer's uid, and whether it may use the socket.
bool peer_allowed(int fd, uid_t* uid) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
        *uid = static_cast<uid_t>(-1);
        return false;
    }
    *uid = cred.uid;
    if (cred.uid == 0 || cred.uid == geteuid())
        return true;
    for (uid_t u : g_server.options.allow_uids) {
        if (u == cred.uid)
            return true;
    }
    return false;
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
            // Make room by closing the connection idle the longest; with none idle, a connection
            // that is just ending may still free its slot in a moment.
            const bool evicted = evict_oldest_idle();
            g_server.changed.wait_for(l, evicted ? kEvictionWait : kSlotWait,
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
            c.allowed = peer_allowed(fd, &c.uid);
            c.idle_since = Clock::now();
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
bool make_parent_dirs(const std::string& path, mode_t mode) {
    for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
        const std::string dir = path.substr(0, pos);
        if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
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

// "" when the directory holding `path` is private enough for the socket: owned by root or by
// us, and writable by nobody else unless sticky (then nobody else can rename or remove our
// socket). Else the reason.
std::string parent_problem(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st;
    if (stat(dir.c_str(), &st) != 0)
        return dir + ": " + strerror(errno);
    if (!S_ISDIR(st.st_mode))
        return dir + " is not a directory";
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return dir + " belongs to another user (uid " + std::to_string(st.st_uid) + ")";
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
        return dir + " is writable by other users (and not sticky): use a private directory";
    return "";
}

}  // namespace

ServerOptions server_options() { return current_options(); }

void set_server_options(const ServerOptions& options) {
    std::lock_guard<std::mutex> g(g_server.lock);
    g_server.options = options;
}

bool start_server(const std::string& path, const ServerOptions& options) {
    std::lock_guard<std::mutex> g(g_server.lock);
    if (g_server.running)
        return fail_start(path, -1, "the server is already running");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return fail_start(path, -1, "path empty or longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // Other users reach the socket only when some are allowed (--allow-uid): then the directories
    // created for it can be traversed (0711) and the socket is 0666; SO_PEERCRED still answers
    // every user not allowed with -EPERM. Else only root and our user can reach it.
    const bool shared = !options.allow_uids.empty();
    const mode_t sock_mode = shared ? 0666 : 0600;
    if (!make_parent_dirs(path, shared ? 0711 : 0700))
        return false;
    if (std::string why = parent_problem(path); !why.empty())
        return fail_start(path, -1, why);

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
    // bind() creates the node with mode 0777 & ~umask: its final mode from the start, so it is
    // never chmod'ed afterwards (a chmod by path would follow a symlink swapped in after the
    // bind). bind() itself does not follow a symlink at the last component (it fails EADDRINUSE).
    const mode_t old_mask = umask(0777 & ~sock_mode);
    const int bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    const int bind_errno = errno;
    umask(old_mask);
    if (bound != 0)
        return fail_start(path, fd, std::string("bind: ") + strerror(bind_errno));
    // What bind created, checked without following links: our socket, with the mode asked for.
    if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 07777) != sock_mode) {
        unlink(path.c_str());
        return fail_start(path, fd, "the socket bind created is not a socket of ours with the expected mode");
    }
    if (listen(fd, 64) != 0 || pipe2(g_server.wake, O_CLOEXEC) != 0) {
        const std::string err = strerror(errno);
        unlink(path.c_str());
        return fail_start(path, fd, err);
    }
    g_server.path = path;
    g_server.listen_fd = fd;
    g_server.inode = st.st_ino;
    g_server.options = options;
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
    g_server.active = 0;
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
