// The hosted hypervisor's control socket, end to end: Xen's sysctl entry rules, the livepatch
// sub-ops reached through a real Unix socket, the detail query, and malformed traffic (after
// each, the server must still answer a normal GET on a new connection).
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../xl-tool/hosted_client.h"
#include "core/engine/engine.h"
#include "livepatch/abi.h"
#include "livepatch/errc.h"
#include "port/hosted/server.h"
#include "port/hosted/wire_protocol.h"
#include "runtime.h"

namespace {

using namespace livepatch;
using tool::ArenaBuilder;
using tool::HostedClient;

// The host's errno values are Xen's for every code asserted here.
static_assert(ENOENT == int(Errc::kENOENT) && EINVAL == int(Errc::kEINVAL) && EFAULT == int(Errc::kEFAULT));
static_assert(EACCES == int(Errc::kEACCES) && ENOSYS == int(Errc::kENOSYS) && E2BIG == int(Errc::kE2BIG));
static_assert(EOPNOTSUPP == int(Errc::kEOPNOTSUPP) && EEXIST == int(Errc::kEEXIST));

const std::string& sock() {
    integration::ensure_hosted_runtime();
    return integration::runtime_socket_path();
}

// A connection that sends whatever bytes a test wants.
struct RawConn {
    RawConn() {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        strncpy(addr.sun_path, sock().c_str(), sizeof addr.sun_path - 1);
        REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~RawConn() {
        if (fd >= 0)
            close(fd);
    }
    void put(const void* p, size_t n) const { REQUIRE(send(fd, p, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n)); }
    // Up to n bytes, waiting at most 30 s for each part (a loaded host answers late, not never):
    // the count, 0 at EOF, -1 on error or timeout.
    ssize_t get(void* p, size_t n) const {
        size_t got = 0;
        while (got < n) {
            pollfd pfd{fd, POLLIN, 0};
            const ssize_t k = poll(&pfd, 1, 30000) == 1 ? recv(fd, static_cast<char*>(p) + got, n - got, 0) : -1;
            if (k <= 0)
                return got ? static_cast<ssize_t>(got) : k;
            got += static_cast<size_t>(k);
        }
        return static_cast<ssize_t>(got);
    }
    // The server ended the connection without sending anything more (EOF, or a reset).
    bool closed_by_peer() const {
        char c;
        const ssize_t k = get(&c, 1);
        return k == 0 || (k < 0 && errno == ECONNRESET);
    }
    wire::WireResponse response() const {
        wire::WireResponse r{};
        REQUIRE(get(&r, sizeof r) == static_cast<ssize_t>(sizeof r));
        CHECK(r.magic == wire::kMagic);
        return r;
    }
    int fd = -1;
};

wire::WireRequest header(uint16_t kind, uint32_t len) { return {wire::kMagic, wire::kVersion, kind, len, 0}; }

std::vector<uint8_t> random_bytes(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    std::generate(v.begin(), v.end(), [&] { return static_cast<uint8_t>(rng()); });
    return v;
}

// Sends `req` alone; the server must answer `rc` with no body and close the connection.
void expect_rejected(const wire::WireRequest& req, int32_t rc) {
    RawConn c;
    c.put(&req, sizeof req);
    const wire::WireResponse r = c.response();
    CHECK(r.rc == rc);
    CHECK(r.arena_len == 0);
    CHECK(c.closed_by_peer());
}

// A GET sysctl for `name`: the name at the start of the arena.
xen_sysctl get_op(ArenaBuilder& a, const std::string& name) {
    xen_sysctl op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_GET);
    a.set_name(op.u.livepatch.u.get.name, name);
    return op;
}

// The server still answers a normal GET on a new connection.
void expect_alive() {
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    xen_livepatch_status st{};
    CHECK(c.get("no-such-payload", &st) == -ENOENT);
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The *.livepatch files in `dir` (none when it is null or missing), sorted.
std::vector<std::filesystem::path> payload_files(const char* dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir ? dir : "", ec)) {
        if (e.path().extension() == ".livepatch")
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}


// Sets the server's options for one test and restores them after.
struct OptionsScope {
    explicit OptionsScope(const hosted::ServerOptions& o) : saved(hosted::server_options()) {
        hosted::set_server_options(o);
    }
    ~OptionsScope() { hosted::set_server_options(saved); }
    hosted::ServerOptions saved;
};

hosted::ServerOptions short_timeouts(unsigned idle_ms, unsigned io_ms) {
    hosted::ServerOptions o = hosted::server_options();
    o.idle_timeout_ms = idle_ms;
    o.io_deadline_ms = io_ms;
    return o;
}

// A whole GET request for `name`: header, sysctl, arena of `arena_len` bytes (at least the name).
std::vector<uint8_t> get_request(const std::string& name, size_t arena_len = 0) {
    ArenaBuilder a;
    xen_sysctl op = get_op(a, name);
    if (a.bytes().size() < arena_len)
        a.bytes().resize(arena_len);
    const wire::WireRequest req = header(wire::kSysctl, static_cast<uint32_t>(a.bytes().size()));
    std::vector<uint8_t> out(sizeof req + sizeof op + a.bytes().size());
    memcpy(out.data(), &req, sizeof req);
    memcpy(out.data() + sizeof req, &op, sizeof op);
    memcpy(out.data() + sizeof req + sizeof op, a.bytes().data(), a.bytes().size());
    return out;
}

// Sends a GET for an unknown payload on `c` and reads the reply: true when it is the -ENOENT
// reply, false when the connection is gone.
bool round_trip(const RawConn& c) {
    const std::vector<uint8_t> req = get_request("no-such-payload");
    if (send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
        return false;
    wire::WireResponse r{};
    if (c.get(&r, sizeof r) != static_cast<ssize_t>(sizeof r) || r.rc != -ENOENT)
        return false;
    std::vector<uint8_t> rest(sizeof(xen_sysctl) + r.arena_len);
    return c.get(rest.data(), rest.size()) == static_cast<ssize_t>(rest.size());
}

}  // namespace

TEST_SUITE("control socket") {

TEST_CASE("the socket is mode 0600 and owned by the caller, in a 0700 directory") {
    struct stat st;
    REQUIRE(lstat(sock().c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_uid == getuid());
    REQUIRE(stat((integration::runtime_dir() + "/run").c_str(), &st) == 0);  // created by start_server
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);
}

TEST_CASE("GET of an unknown payload is -ENOENT; bad names are -EINVAL") {
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    xen_livepatch_status st{7, 7};
    CHECK(c.get("no-such-payload", &st) == -ENOENT);
    CHECK(st.state == 7);  // untouched on failure

    ArenaBuilder a;
    xen_sysctl op = get_op(a, "abc");
    op.u.livepatch.u.get.name.size = 3;  // no NUL at size - 1
    CHECK(c.sysctl(op, a.bytes()) == -EINVAL);
    op.u.livepatch.u.get.name.size = 0;
    CHECK(c.sysctl(op, a.bytes()) == -EINVAL);
    op.u.livepatch.u.get.name.size = XEN_LIVEPATCH_NAME_SIZE + 1;
    CHECK(c.sysctl(op, a.bytes()) == -EINVAL);
    op.u.livepatch.u.get.name.size = 4;
    op.u.livepatch.u.get.name.pad[1] = 1;
    CHECK(c.sysctl(op, a.bytes()) == -EINVAL);
    CHECK(c.get(std::string(XEN_LIVEPATCH_NAME_SIZE, 'x'), &st) == -EINVAL);  // refused by the client, as libxc
    CHECK(c.get(std::string(XEN_LIVEPATCH_NAME_SIZE - 1, 'x'), &st) == -ENOENT);
}

TEST_CASE("LIST: the probe reports no payloads; bad batches are refused") {
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    xen_sysctl op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_LIST);
    std::vector<uint8_t> none;
    CHECK(c.sysctl(op, none) == 0);
    const auto& l = op.u.livepatch.u.list;
    CHECK(l.nr == 0);  // other suites must unload what they upload
    CHECK(l.version >= 1);
    CHECK((l.name_total_size == 0 && l.metadata_total_size == 0));

    std::vector<tool::ListEntry> entries{{}};
    CHECK(c.list(&entries) == 0);
    CHECK(entries.empty());

    op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_LIST);
    op.u.livepatch.u.list.nr = 1025;
    CHECK(c.sysctl(op, none) == -E2BIG);
    op.u.livepatch.u.list.nr = 1;
    op.u.livepatch.u.list.pad = 1;
    CHECK(c.sysctl(op, none) == -EINVAL);

    // NULL arrays are in range, as address 0 is for Xen 4.17.5's guest_handle_okay
    // (xen/arch/x86/include/asm/guest_access.h:41-43): with no payloads nothing is copied, so
    // LIST returns 0 and nr 0 (xen/common/livepatch.c:1246, :1312). A handle past the arena is
    // out of range: -EINVAL (:1239-1243).
    op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_LIST);
    op.u.livepatch.u.list.nr = 4;
    CHECK(c.sysctl(op, none) == 0);
    CHECK(op.u.livepatch.u.list.nr == 0);
    op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_LIST);
    op.u.livepatch.u.list.nr = 4;
    ArenaBuilder::set_handle(op.u.livepatch.u.list.len, 100);
    CHECK(c.sysctl(op, none) == -EINVAL);
}

TEST_CASE("UPLOAD of garbage fails with the loader's -EINVAL and leaves nothing behind") {
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    CHECK(c.upload("garbage", random_bytes(4096, 42)) == -EINVAL);
    CHECK(c.upload("garbage", {}) == -EINVAL);                                      // size 0
    CHECK(c.upload("garbage", std::vector<uint8_t>(kMaxPayloadSize + 1)) == -EINVAL);  // > 2 MiB
    xen_livepatch_status st{};
    CHECK(c.get("garbage", &st) == -ENOENT);
    std::vector<tool::ListEntry> entries;
    CHECK(c.list(&entries) == 0);
    CHECK(entries.empty());
}

TEST_CASE("the sysctl entry: interface version, command and unknown sub-ops") {
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    for (const uint32_t version : {0u, 0x14u, 0x16u}) {
        ArenaBuilder a;
        xen_sysctl op = get_op(a, "x");
        op.interface_version = version;
        const xen_sysctl before = op;
        CHECK(c.sysctl(op, a.bytes()) == -EACCES);
        CHECK(memcmp(&op, &before, sizeof op) == 0);
    }
    ArenaBuilder a;
    xen_sysctl op = get_op(a, "x");
    op.cmd = XEN_SYSCTL_livepatch_op - 1;
    CHECK(c.sysctl(op, a.bytes()) == -ENOSYS);
    op.cmd = 0xffffffff;
    CHECK(c.sysctl(op, a.bytes()) == -ENOSYS);
    op.cmd = XEN_SYSCTL_livepatch_op;
    op.u.livepatch.cmd = 4;
    CHECK(c.sysctl(op, a.bytes()) == -EOPNOTSUPP);
    op.u.livepatch.cmd = XEN_SYSCTL_LIVEPATCH_GET;
    op.u.livepatch.pad = 1;
    CHECK(c.sysctl(op, a.bytes()) == -EINVAL);

    // The same rules in memory, and the struct restored after -EOPNOTSUPP.
    xen_sysctl mem = HostedClient::make_op(77);
    memset(&mem.u.livepatch.u, 0xa5, sizeof mem.u.livepatch.u);
    const xen_sysctl before = mem;
    CHECK(hosted::serve_sysctl(&mem, nullptr, 0) == -EOPNOTSUPP);
    CHECK(memcmp(&mem, &before, sizeof mem) == 0);
    mem.interface_version = 0x12;
    CHECK(hosted::serve_sysctl(&mem, nullptr, 0) == -EACCES);
    mem.interface_version = kSysctlInterfaceVersion, mem.cmd = 1;
    CHECK(hosted::serve_sysctl(&mem, nullptr, 0) == -ENOSYS);
}

TEST_CASE("detail: unknown payloads and malformed names") {
    CHECK(hosted::payload_detail_json("no-such-payload").empty());
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    CHECK_FALSE(c.detail("no-such-payload").has_value());
    CHECK(c.last_rc() == -ENOENT);
    CHECK(c.connected());

    RawConn r;
    const std::string bad[] = {std::string("abc", 3), std::string("a\0b\0", 4), std::string()};
    for (const std::string& name : bad) {
        const wire::WireRequest req = header(wire::kDetail, static_cast<uint32_t>(name.size()));
        r.put(&req, sizeof req);
        if (!name.empty())
            r.put(name.data(), name.size());
        const wire::WireResponse resp = r.response();
        CHECK(resp.rc == -EINVAL);
        CHECK(resp.arena_len == 0);
    }
    // The connection survived all of them.
    const wire::WireRequest req = header(wire::kDetail, 2);
    r.put(&req, sizeof req);
    r.put("x", 2);
    const wire::WireResponse resp = r.response();
    CHECK(resp.rc == -ENOENT);
    CHECK(resp.arena_len == 0);
}

TEST_CASE("guest requests: refused without observed guests, malformed words refused, connection kept") {
    // The integration runtime registers no GuestStats (hosted-hypervisor's main does).
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    CHECK_FALSE(c.guest("stats").has_value());
    CHECK(c.last_rc() == -ENODEV);
    CHECK(c.connected());

    RawConn r;
    const std::string bad[] = {std::string("stats", 5), std::string("st\0ats\0", 7), std::string()};
    for (const std::string& word : bad) {
        const wire::WireRequest req = header(wire::kGuest, static_cast<uint32_t>(word.size()));
        r.put(&req, sizeof req);
        if (!word.empty())
            r.put(word.data(), word.size());
        const wire::WireResponse resp = r.response();
        CHECK(resp.rc == -EINVAL);
        CHECK(resp.arena_len == 0);
    }
    expect_alive();
}

TEST_CASE("malformed traffic never breaks the server") {
    SUBCASE("random bytes") {
        std::vector<uint8_t> junk = random_bytes(256, 7);
        junk[0] = static_cast<uint8_t>(~(wire::kMagic & 0xff));  // never the magic by chance
        RawConn c;
        c.put(junk.data(), junk.size());
        const wire::WireResponse r = c.response();
        CHECK(r.rc == -EINVAL);
        CHECK(c.closed_by_peer());
    }
    SUBCASE("short header, then close") {
        RawConn c;
        const wire::WireRequest req = header(wire::kSysctl, 0);
        c.put(&req, 7);
        shutdown(c.fd, SHUT_WR);
        CHECK(c.closed_by_peer());  // nothing to answer: the connection just ends
    }
    SUBCASE("sysctl struct cut short, then close") {
        RawConn c;
        const wire::WireRequest req = header(wire::kSysctl, 16);
        c.put(&req, sizeof req);
        c.put(std::vector<uint8_t>(50).data(), 50);
        shutdown(c.fd, SHUT_WR);
        CHECK(c.closed_by_peer());
    }
    SUBCASE("bad magic, version, kind or reserved field") {
        std::vector<wire::WireRequest> bad(8, header(wire::kSysctl, 0));
        bad[0].magic = wire::kMagic + 1;
        bad[1].version = 0, bad[2].version = 2, bad[3].version = 0xffff;
        bad[4].kind = 0, bad[5].kind = 4, bad[6].kind = 0xffff;
        bad[7].reserved = 1;
        for (const wire::WireRequest& req : bad)
            expect_rejected(req, -EINVAL);
    }
    SUBCASE("arena larger than kMaxArena") {
        expect_rejected(header(wire::kSysctl, wire::kMaxArena + 1), -E2BIG);
        expect_rejected(header(wire::kDetail, 0xffffffffu), -E2BIG);
        // Exactly kMaxArena is served.
        HostedClient c;
        REQUIRE(c.connect(sock()));
        ArenaBuilder a;
        xen_sysctl op = get_op(a, "no-such-payload");
        a.bytes().resize(wire::kMaxArena);
        CHECK(c.sysctl(op, a.bytes()) == -ENOENT);
        a.bytes().resize(wire::kMaxArena + 1);
        CHECK(c.sysctl(op, a.bytes()) == -E2BIG);  // refused by the client before sending
        CHECK(c.connected());
    }
    SUBCASE("UPLOAD with an empty arena: the unreadable name is -EINVAL, as Xen's verify_payload says") {
        HostedClient c;
        REQUIRE(c.connect(sock()));
        xen_sysctl op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_UPLOAD);
        auto& up = op.u.livepatch.u.upload;
        ArenaBuilder::set_handle(up.name.name, 1);
        up.name.size = 2;
        up.size = 100;
        ArenaBuilder::set_handle(up.payload, 1);
        std::vector<uint8_t> empty;
        CHECK(c.sysctl(op, empty) == -EINVAL);
        CHECK(c.connected());  // the hypercall's answer, not a protocol error
    }
    SUBCASE("handles pointing past the arena fault") {
        HostedClient c;
        REQUIRE(c.connect(sock()));
        ArenaBuilder a;
        xen_sysctl op = get_op(a, "abcdefg");  // 8 bytes at offset 0
        auto& name = op.u.livepatch.u.get.name;
        ArenaBuilder::set_handle(name.name, a.bytes().size() + 10);
        CHECK(c.sysctl(op, a.bytes()) == -EFAULT);
        ArenaBuilder::set_handle(name.name, 2);  // the last byte lies one past the end
        CHECK(c.sysctl(op, a.bytes()) == -EFAULT);
        ArenaBuilder::set_handle(name.name, ~uint64_t{0});  // offset + size wraps
        CHECK(c.sysctl(op, a.bytes()) == -EFAULT);
        ArenaBuilder::set_handle(name.name, 0);  // NULL
        CHECK(c.sysctl(op, a.bytes()) == -EFAULT);

        xen_sysctl up = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_UPLOAD);
        ArenaBuilder b;
        b.set_name(up.u.livepatch.u.upload.name, "p");
        up.u.livepatch.u.upload.size = 64;
        ArenaBuilder::set_handle(up.u.livepatch.u.upload.payload, b.add(nullptr, 63));
        CHECK(c.sysctl(up, b.bytes()) == -EFAULT);
    }
    SUBCASE("200 connections opened and closed rapidly") {
        for (int i = 0; i < 200; ++i)
            RawConn c;
        std::vector<std::unique_ptr<RawConn>> burst;
        for (int i = 0; i < 40; ++i)
            burst.push_back(std::make_unique<RawConn>());
        burst.clear();
    }
    SUBCASE("at most 16 connections at a time; a 17th takes the slot of the one idle the longest") {
        std::vector<std::unique_ptr<HostedClient>> held;
        for (int i = 0; i < 16; ++i) {
            held.push_back(std::make_unique<HostedClient>());
            REQUIRE(held.back()->connect(sock()));
            xen_livepatch_status st{};
            REQUIRE(held.back()->get("x", &st) == -ENOENT);  // served: it holds a slot
        }
        expect_alive();
        xen_livepatch_status st{};
        CHECK(held.front()->get("x", &st) < 0);  // evicted
        CHECK(held.back()->get("x", &st) == -ENOENT);
    }
    SUBCASE("a client that stalls mid-request does not hold up others") {
        ArenaBuilder a;
        xen_sysctl op = get_op(a, "stalled");
        RawConn stalled;
        const wire::WireRequest req = header(wire::kSysctl, static_cast<uint32_t>(a.bytes().size()));
        stalled.put(&req, sizeof req);
        stalled.put(&op, 40);
        expect_alive();
        HostedClient c;
        REQUIRE(c.connect(sock()));
        std::vector<tool::ListEntry> entries;
        CHECK(c.list(&entries) == 0);
        CHECK_FALSE(c.detail("stalled").has_value());
        // The stalled request completes normally.
        stalled.put(reinterpret_cast<const char*>(&op) + 40, sizeof op - 40);
        stalled.put(a.bytes().data(), a.bytes().size());
        const wire::WireResponse r = stalled.response();
        CHECK(r.rc == -ENOENT);
        CHECK(r.arena_len == a.bytes().size());
    }
    expect_alive();
}


TEST_CASE("idle connections are closed after the idle timeout; a busy one is not") {
    // 3 s: a busy connection stays open unless one 100 ms round trip stalls for ~3 s (a noisy
    // machine stalls for a second now and then).
    const OptionsScope scope(short_timeouts(3000, 10000));
    RawConn idle;
    RawConn busy;
    REQUIRE(round_trip(idle));
    for (int i = 0; i < 40; ++i) {  // 4 s of requests 100 ms apart: never idle for 3 s
        usleep(100 * 1000);
        CHECK(round_trip(busy));
    }
    CHECK(idle.closed_by_peer());  // 4 s idle: closed (get() would wait 5 s for anything else)
    CHECK_FALSE(round_trip(idle));
    expect_alive();
}

TEST_CASE("16 idle connections do not lock others out: the one idle the longest makes room") {
    const OptionsScope scope(short_timeouts(60000, 10000));  // nothing times out by itself here
    std::vector<std::unique_ptr<RawConn>> idle;
    for (int i = 0; i < 16; ++i) {
        idle.push_back(std::make_unique<RawConn>());
        REQUIRE(round_trip(*idle.back()));  // accepted and served: it holds a slot
        // Distinct idle times: the server records idle_since after it replies, so the spacing
        // must dwarf any delay of the server thread on a noisy machine.
        usleep(100 * 1000);
    }
    std::vector<std::unique_ptr<HostedClient>> newcomers;
    for (int i = 0; i < 3; ++i) {  // each is served, evicting the connection idle the longest
        newcomers.push_back(std::make_unique<HostedClient>());
        REQUIRE_MESSAGE(newcomers.back()->connect(sock()), newcomers.back()->error());
        xen_livepatch_status st{};
        CHECK(newcomers.back()->get("no-such-payload", &st) == -ENOENT);
    }
    CHECK(idle[0]->closed_by_peer());
    CHECK(idle[1]->closed_by_peer());
    CHECK(idle[2]->closed_by_peer());
    CHECK(round_trip(*idle[15]));  // the most recent ones keep their slots
}

TEST_CASE("a request must arrive, and its reply be read, within the I/O deadline") {
    const OptionsScope scope(short_timeouts(60000, 400));
    SUBCASE("a header cut short, then silence") {
        RawConn c;
        const wire::WireRequest req = header(wire::kSysctl, 0);
        c.put(&req, 7);
        CHECK(c.closed_by_peer());  // within 0.4 s, not the 10 s of the default
    }
    SUBCASE("a request dripped one byte at a time") {
        RawConn c;
        const std::vector<uint8_t> req = get_request("dripped");
        size_t sent = 0;
        for (; sent < req.size(); ++sent) {  // 50 ms a byte: the request would take ~8 s
            if (send(c.fd, &req[sent], 1, MSG_NOSIGNAL) != 1)
                break;
            usleep(50 * 1000);
        }
        CHECK_MESSAGE(sent < req.size(), "the whole dripped request was accepted");
        CHECK(c.closed_by_peer());
    }
    SUBCASE("a reply the client does not read") {
        // A deadline long enough to read the 2 MiB request on a loaded machine.
        hosted::set_server_options(short_timeouts(60000, 1500));
        RawConn c;
        const std::vector<uint8_t> req = get_request("unread", 2u << 20);  // a 2 MiB arena comes back
        c.put(req.data(), req.size());
        usleep(4000 * 1000);  // the server cannot write it all meanwhile: past its deadline
        std::vector<uint8_t> buf(64 << 10);
        size_t got = 0;
        for (ssize_t k; (k = c.get(buf.data(), buf.size())) > 0;)
            got += static_cast<size_t>(k);
        CHECK(got < sizeof(wire::WireResponse) + sizeof(xen_sysctl) + (2u << 20));
    }
    expect_alive();
}

TEST_CASE("the time a request waits for the engine does not count against the I/O deadline") {
    const char* dir = getenv("LP_ITEST_PAYLOADS");
    const std::vector<std::filesystem::path> files = payload_files(dir);
    if (files.empty()) {
        MESSAGE("SKIPPED: no *.livepatch in LP_ITEST_PAYLOADS; `make test` builds them");
        return;
    }
    const OptionsScope scope(short_timeouts(60000, 300));
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    const std::string name = "engine-wait";
    REQUIRE(c.upload(name, read_file(files.front().string())) == 0);

    // The engine is busy for 1.5 s (its lock held, as a long action would hold it); a GET sent
    // meanwhile waits, then gets its answer.
    std::atomic<bool> held{false};
    std::thread holder([&] {
        Engine::instance().with_payload(name.c_str(), [&](const Payload&) {
            held = true;
            usleep(1500 * 1000);
        });
    });
    while (!held)
        usleep(1000);
    xen_livepatch_status st{};
    CHECK(c.get(name, &st) == 0);
    CHECK(st.state == LIVEPATCH_STATE_CHECKED);
    holder.join();
    CHECK(c.action(name, LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
}

TEST_CASE("SO_PEERCRED: another user's requests get -EPERM unless it is allowed") {
    if (geteuid() != 0) {
        MESSAGE("SKIPPED: needs root to connect as another user");
        return;
    }
    constexpr uid_t kNobody = 65534;
    // Let the other user reach the socket at all (the test's own directories are private).
    const std::string run = integration::runtime_dir() + "/run";
    REQUIRE(chmod(integration::runtime_dir().c_str(), 0711) == 0);
    REQUIRE(chmod(run.c_str(), 0711) == 0);
    REQUIRE(chmod(sock().c_str(), 0666) == 0);
    // The rc of a GET sent as `uid` from a child process (1000 when the exchange itself fails).
    // `header_only`: the request header and its sysctl, announcing the largest arena, and nothing
    // of that arena.
    // `old_abi`: a sysctl of another interface version.
    std::string target = sock();  // the socket get_as connects to
    auto get_as = [&](uid_t uid, bool header_only = false, bool old_abi = false) {
        std::vector<uint8_t> req = get_request("no-such-payload");
        if (old_abi) {
            xen_sysctl op;
            memcpy(&op, req.data() + sizeof(wire::WireRequest), sizeof op);
            op.interface_version -= 1;
            memcpy(req.data() + sizeof(wire::WireRequest), &op, sizeof op);
        }
        if (header_only) {
            wire::WireRequest h;
            memcpy(&h, req.data(), sizeof h);
            h.arena_len = wire::kMaxArena;
            memcpy(req.data(), &h, sizeof h);
            req.resize(sizeof h + sizeof(xen_sysctl));
        }
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            if (setgid(uid) != 0 || setuid(uid) != 0)
                _exit(101);
            const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            strncpy(addr.sun_path, target.c_str(), sizeof addr.sun_path - 1);
            if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
                _exit(102);
            if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
                _exit(103);
            wire::WireResponse r{};
            size_t got = 0;
            for (ssize_t k; got < sizeof r && (k = recv(fd, reinterpret_cast<char*>(&r) + got, sizeof r - got, 0)) > 0;)
                got += static_cast<size_t>(k);
            _exit(got == sizeof r ? -r.rc : 104);
        }
        int st = 0;
        REQUIRE(waitpid(pid, &st, 0) == pid);
        REQUIRE(WIFEXITED(st));
        return -WEXITSTATUS(st);
    };
    CHECK(get_as(kNobody) == -EPERM);
    // Refused before its arena: the server answers without waiting for the 2 MiB it announces (it
    // used to read them first, and closed unanswered when they never came).
    CHECK(get_as(kNobody, true) == -EPERM);
    // Xen checks the interface version before the caller's privilege (xen/common/sysctl.c:42-47).
    CHECK(get_as(kNobody, false, true) == -EACCES);
    CHECK(get_as(0, false, true) == -EACCES);
    {
        hosted::ServerOptions o = hosted::server_options();
        o.allow_uids = {kNobody};
        const OptionsScope scope(o);
        CHECK(get_as(kNobody) == -ENOENT);  // served
    }
    CHECK(get_as(kNobody) == -EPERM);
    CHECK(get_as(0) == -ENOENT);  // root is always served
    CHECK(chmod(sock().c_str(), 0600) == 0);
    CHECK(chmod(run.c_str(), 0700) == 0);

    // Started with allowed users, the server makes the socket reachable itself: the directory it
    // creates is 0711 and the socket 0666 (no chmod by hand), and still refuses everyone else.
    hosted::stop_server();
    hosted::ServerOptions shared = hosted::server_options();
    shared.allow_uids = {kNobody};
    const std::string shared_dir = integration::runtime_dir() + "/allow-run";
    const std::string shared_sock = shared_dir + "/lp.sock";
    REQUIRE(hosted::start_server(shared_sock, shared));
    struct stat st;
    REQUIRE(stat(shared_dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0711);
    REQUIRE(lstat(shared_sock.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0666);
    target = shared_sock;
    CHECK(get_as(kNobody) == -ENOENT);  // served, with no chmod by hand
    hosted::stop_server();
    shared.allow_uids = {kNobody + 1};
    REQUIRE(hosted::start_server(shared_sock, shared));
    CHECK(get_as(kNobody) == -EPERM);  // reachable, but not allowed
    hosted::stop_server();
    REQUIRE(hosted::start_server(sock()));
    CHECK(chmod(integration::runtime_dir().c_str(), 0700) == 0);
    expect_alive();
}

TEST_CASE("the socket's directory must be private; the socket is created 0600 by bind, never chmod'ed") {
    const std::string shared = integration::runtime_dir() + "/shared";
    REQUIRE(mkdir(shared.c_str(), 0700) == 0);
    REQUIRE(chmod(shared.c_str(), 0777) == 0);  // writable by anyone, not sticky
    sock();
    hosted::stop_server();
    CHECK_FALSE(hosted::start_server(shared + "/livepatch.sock"));
    struct stat st;
    CHECK(lstat((shared + "/livepatch.sock").c_str(), &st) != 0);  // nothing created
    REQUIRE(chmod(shared.c_str(), 01777) == 0);  // sticky (like /tmp): others cannot swap our node
    CHECK(hosted::start_server(shared + "/livepatch.sock"));
    hosted::stop_server();
    REQUIRE(hosted::start_server(sock()));
    CHECK(lstat(sock().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    rmdir(shared.c_str());
    expect_alive();
}

TEST_CASE("client transport errors carry -errno and a message") {
    HostedClient c;
    std::vector<uint8_t> none;
    xen_sysctl op = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_LIST);
    CHECK(c.sysctl(op, none) == -ENOTCONN);
    CHECK_FALSE(c.error().empty());

    const std::string missing = integration::runtime_dir() + "/missing.sock";
    CHECK_FALSE(c.connect(missing));
    CHECK(c.last_rc() == -ENOENT);
    CHECK(c.error().find(missing) != std::string::npos);

    // A socket nobody listens on: -ECONNREFUSED.
    const std::string stale = integration::runtime_dir() + "/stale.sock";
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, stale.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    CHECK_FALSE(c.connect(stale));
    CHECK(c.last_rc() == -ECONNREFUSED);
    close(fd);
    unlink(stale.c_str());
}

TEST_CASE("payloads in LP_ITEST_PAYLOADS: upload, GET, LIST, detail, UNLOAD") {
    const char* dir = getenv("LP_ITEST_PAYLOADS");
    const std::vector<std::filesystem::path> files = payload_files(dir);
    if (files.empty()) {
        MESSAGE("SKIPPED: no *.livepatch in LP_ITEST_PAYLOADS (" << std::string(dir ? dir : "unset")
                                                                 << "); `make test` builds them");
        return;
    }
    HostedClient c;
    REQUIRE_MESSAGE(c.connect(sock()), c.error());
    std::vector<std::string> names;
    for (const std::filesystem::path& f : files) {
        const std::string name = f.stem().string();
        const std::vector<uint8_t> bytes = read_file(f.string());
        INFO("payload " << f.string());
        REQUIRE(c.upload(name, bytes) == 0);
        CHECK(c.upload(name, bytes) == -EEXIST);
        names.push_back(name);
        xen_livepatch_status st{};
        REQUIRE(c.get(name, &st) == 0);
        CHECK(st.state == LIVEPATCH_STATE_CHECKED);
        CHECK(st.rc == 0);
    }

    std::vector<tool::ListEntry> entries;
    REQUIRE(c.list(&entries) == 0);
    for (const std::string& name : names) {
        INFO("payload " << name);
        const auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.name == name; });
        REQUIRE(it != entries.end());
        CHECK(it->status.state == LIVEPATCH_STATE_CHECKED);
        CHECK(it->status.rc == 0);

        const std::optional<std::string> text = c.detail(name);
        REQUIRE(text.has_value());
        const nlohmann::json j = nlohmann::json::parse(*text);
        CHECK(j.at("name") == name);
        CHECK(j.at("state") == "CHECKED");
        CHECK(j.at("rc") == 0);
        CHECK(j.at("rc_name") == "OK");
        CHECK(j.at("reverted") == false);
        CHECK(j.at("safe_to_reapply").is_boolean());
        CHECK(j.at("build_id").get<std::string>().size() >= 2);  // hex
        CHECK((j.at("depends").is_string() && j.at("xen_depends").is_string()));
        for (const auto& fn : j.at("functions")) {
            for (const char* key : {"name", "old_addr", "old_size", "new_addr", "new_size", "nop", "applied",
                                    "patch_offset", "patch_len", "expectation"})
                CHECK_MESSAGE(fn.contains(key), key);
            CHECK(fn.at("applied") == false);
            CHECK((fn.at("expectation").contains("enabled") && fn.at("expectation").contains("len")));
        }
        for (const char* key :
             {"load", "unload", "preapply", "apply", "postapply", "prerevert", "revert", "postrevert"})
            CHECK_MESSAGE(j.at("hooks").contains(key), key);
        for (const char* key : {"text", "rw", "ro"})
            CHECK_MESSAGE(j.at("regions").contains(key), key);
        CHECK(j.at("metadata").is_array());
        CHECK(j.at("last_action").is_null());
    }

    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        INFO("payload " << *it);
        CHECK(c.action(*it, LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
        xen_livepatch_status st{};
        CHECK(c.get(*it, &st) == -ENOENT);
    }
    REQUIRE(c.list(&entries) == 0);
    CHECK(entries.empty());
}

}  // TEST_SUITE
