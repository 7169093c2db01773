// The hosted hypervisor's control socket client (see hosted_client.h).
#include "hosted_client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>

#include "port/hosted/wire_protocol.h"

namespace livepatch::tool {

namespace {

constexpr size_t kMaxDetail = 64u << 20;  // a sanity bound on a detail reply
constexpr uint32_t kMaxListRestarts = 3;  // libxc's retries on a LIST version change

uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

// --- ArenaBuilder -------------------------------------------------------------------------------

uint64_t ArenaBuilder::add(const void* data, size_t len, size_t align) {
    if (!align || (align & (align - 1)))
        align = 1;
    const size_t off = (m_bytes.size() + align - 1) & ~(align - 1);
    m_bytes.resize(off + len);
    if (data && len)
        memcpy(m_bytes.data() + off, data, len);
    return uint64_t{off} + 1;
}

void ArenaBuilder::set_name(xen_livepatch_name& field, const std::string& name) {
    const uint64_t h = add(name.c_str(), name.size() + 1, 1);
    set_handle(field.name, h);
    field.size = static_cast<uint16_t>(std::min<size_t>(name.size() + 1, UINT16_MAX));
    field.pad[0] = field.pad[1] = field.pad[2] = 0;
}

const uint8_t* ArenaBuilder::at(uint64_t handle, size_t len) const {
    if (!handle)
        return nullptr;
    const uint64_t off = handle - 1;
    if (off > m_bytes.size() || len > m_bytes.size() - off)
        return nullptr;
    return m_bytes.data() + off;
}

void ArenaBuilder::memcpy_handle(void* field, uint64_t value) { memcpy(field, &value, sizeof value); }

// --- the connection ------------------------------------------------------------------------------

HostedClient::~HostedClient() { disconnect(); }

bool HostedClient::connect(const std::string& path) {
    disconnect();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        transport_failure(ENAMETOOLONG, "socket path '" + path + "'");
        return false;
    }
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        transport_failure(errno, "socket");
        return false;
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        const int err = errno;
        close(fd);
        transport_failure(err, "connect to " + path);
        return false;
    }
    m_fd = fd;
    m_error.clear();
    m_last_rc = 0;
    return true;
}

void HostedClient::disconnect() {
    if (m_fd >= 0)
        close(m_fd);
    m_fd = -1;
}

int HostedClient::transport_failure(int err, const std::string& what) {
    disconnect();
    m_error = what + ": " + strerror(err);
    m_last_rc = -err;
    return -err;
}

int HostedClient::protocol_failure(const std::string& what) {
    disconnect();
    m_error = "malformed response from the hypervisor: " + what;
    m_last_rc = -EPROTO;
    return -EPROTO;
}

bool HostedClient::send_all(const void* buf, size_t len) {
    auto* p = static_cast<const uint8_t*>(buf);
    while (len) {
        const ssize_t k = send(m_fd, p, len, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= static_cast<size_t>(k);
    }
    return true;
}

// Bytes read before EOF (== len when complete), or -errno.
int HostedClient::recv_all(void* buf, size_t len) {
    auto* p = static_cast<uint8_t*>(buf);
    size_t got = 0;
    while (got < len) {
        const ssize_t k = recv(m_fd, p + got, len - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        got += static_cast<size_t>(k);
    }
    return static_cast<int>(got);
}

// Sends one request and reads the response header. 0, or a transport failure.
int HostedClient::exchange(uint16_t kind, const void* head, size_t head_len, const std::vector<uint8_t>& arena,
                           int32_t* rc, uint32_t* reply_len) {
    if (!connected())
        return transport_failure(ENOTCONN, "control socket");
    const wire::WireRequest req{wire::kMagic, wire::kVersion, kind, static_cast<uint32_t>(arena.size()), 0};
    const bool sent = send_all(&req, sizeof req) && (!head_len || send_all(head, head_len)) &&
                      (arena.empty() || send_all(arena.data(), arena.size()));
    const int send_errno = sent ? 0 : errno;
    // A hypervisor that refuses a request before its arena (an unauthorized peer) answers, then
    // closes without reading the rest, so the send fails: the answer is still there to read.
    if (!sent && send_errno != EPIPE && send_errno != ECONNRESET)
        return transport_failure(send_errno, "sending the request");
    wire::WireResponse resp;
    const int got = recv_all(&resp, sizeof resp);
    if (got != static_cast<int>(sizeof resp) && !sent)
        return transport_failure(ECONNRESET, "sending the request");
    if (got < 0)
        return transport_failure(-got, "reading the response");
    if (got != static_cast<int>(sizeof resp))
        return transport_failure(ECONNRESET, "the hypervisor closed the connection");
    if (resp.magic != wire::kMagic)
        return protocol_failure("bad magic");
    *rc = resp.rc;
    *reply_len = resp.arena_len;
    return 0;
}

xen_sysctl HostedClient::make_op(uint32_t sub_cmd) {
    xen_sysctl op;
    memset(&op, 0, sizeof op);
    op.cmd = XEN_SYSCTL_livepatch_op;
    op.interface_version = kSysctlInterfaceVersion;
    op.u.livepatch.cmd = sub_cmd;
    return op;
}

int HostedClient::sysctl(xen_sysctl& op, std::vector<uint8_t>& arena) {
    if (arena.size() > wire::kMaxArena) {
        m_error = "guest memory larger than the control socket accepts";
        m_last_rc = -E2BIG;
        return -E2BIG;
    }
    int32_t rc = 0;
    uint32_t len = 0;
    if (const int t = exchange(wire::kSysctl, &op, sizeof op, arena, &rc, &len))
        return t;
    xen_sysctl back;
    const int got = recv_all(&back, sizeof back);
    if (got <= 0 && rc < 0) {
        // A request the server refused outright: only the header comes back, then EOF.
        disconnect();
        m_error = std::string("the hypervisor refused the request: ") + strerror(-rc);
        m_last_rc = rc;
        return rc;
    }
    if (got < 0)
        return transport_failure(-got, "reading the response");
    if (got != static_cast<int>(sizeof back))
        return transport_failure(ECONNRESET, "the hypervisor closed the connection");
    if (len != arena.size())
        return protocol_failure("guest memory size changed");
    if (len && recv_all(arena.data(), len) != static_cast<int>(len))
        return transport_failure(ECONNRESET, "the hypervisor closed the connection");
    op = back;
    m_error.clear();
    m_last_rc = rc;
    return rc;
}

std::optional<std::string> HostedClient::detail(const std::string& name) {
    return json_request(wire::kDetail, "detail", name);
}

std::optional<std::string> HostedClient::guest(const std::string& request) {
    return json_request(wire::kGuest, "guest request", request);
}

std::optional<std::string> HostedClient::json_request(uint16_t kind, const char* what, const std::string& word) {
    std::vector<uint8_t> arena(word.begin(), word.end());
    arena.push_back(0);
    int32_t rc = 0;
    uint32_t len = 0;
    if (exchange(kind, nullptr, 0, arena, &rc, &len))
        return std::nullopt;
    if (rc < 0) {
        if (len) {
            protocol_failure("a body after an error");
        } else {
            m_error = std::string(what) + ": " + strerror(-rc);
            m_last_rc = rc;
        }
        return std::nullopt;
    }
    if (len > kMaxDetail) {
        protocol_failure(std::string(what) + " too large");
        return std::nullopt;
    }
    std::string json(len, '\0');
    if (len && recv_all(json.data(), len) != static_cast<int>(len)) {
        transport_failure(ECONNRESET, "the hypervisor closed the connection");
        return std::nullopt;
    }
    m_error.clear();
    m_last_rc = 0;
    return json;
}

// --- libxenctrl-style wrappers ---------------------------------------------------------------------

bool HostedClient::name_ok(const std::string& name) {
    if (name.size() + 1 <= XEN_LIVEPATCH_NAME_SIZE)
        return true;
    m_error = "payload name longer than " + std::to_string(XEN_LIVEPATCH_NAME_SIZE - 1) + " characters";
    m_last_rc = -EINVAL;
    return false;
}

int HostedClient::upload(const std::string& name, const std::vector<uint8_t>& payload) {
    if (!name_ok(name))
        return -EINVAL;
    xen_sysctl op = make_op(XEN_SYSCTL_LIVEPATCH_UPLOAD);
    auto& up = op.u.livepatch.u.upload;
    ArenaBuilder a;
    a.set_name(up.name, name);
    up.size = payload.size();
    // Larger than the hypervisor accepts: send the size alone and let it refuse (-EINVAL), as
    // Xen does, rather than shipping bytes it will never read.
    if (payload.size() <= kMaxPayloadSize)
        ArenaBuilder::set_handle(up.payload, a.add(payload.data(), payload.size()));
    return sysctl(op, a.bytes());
}

int HostedClient::get(const std::string& name, xen_livepatch_status* status) {
    if (!name_ok(name))
        return -EINVAL;
    xen_sysctl op = make_op(XEN_SYSCTL_LIVEPATCH_GET);
    ArenaBuilder a;
    a.set_name(op.u.livepatch.u.get.name, name);
    const int rc = sysctl(op, a.bytes());
    if (rc == 0 && status)
        *status = op.u.livepatch.u.get.status;
    return rc;
}

int HostedClient::action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) {
    if (!name_ok(name))
        return -EINVAL;
    xen_sysctl op = make_op(XEN_SYSCTL_LIVEPATCH_ACTION);
    auto& act = op.u.livepatch.u.action;
    ArenaBuilder a;
    a.set_name(act.name, name);
    act.cmd = cmd;
    act.timeout = timeout_ns;
    act.flags = flags;
    return sysctl(op, a.bytes());
}

int HostedClient::list(std::vector<ListEntry>* out) {
    for (uint32_t attempt = 0;; ++attempt) {
        bool restart = false;
        const int rc = list_once(out, &restart);
        if (!restart)
            return rc;
        if (attempt == kMaxListRestarts) {
            out->clear();
            m_error = "the payload list kept changing";
            m_last_rc = -EBUSY;
            return -EBUSY;
        }
    }
}

// One probe and the batches after it; *restart when the list changed in between.
int HostedClient::list_once(std::vector<ListEntry>* out, bool* restart) {
    out->clear();
    xen_sysctl probe = make_op(XEN_SYSCTL_LIVEPATCH_LIST);
    std::vector<uint8_t> none;
    if (const int rc = sysctl(probe, none); rc < 0)
        return rc;
    const auto& p = probe.u.livepatch.u.list;
    const uint32_t count = p.nr, version = p.version;
    uint64_t names_left = p.name_total_size, meta_left = p.metadata_total_size;

    uint32_t batch = count;
    while (out->size() < count) {
        const uint32_t done = static_cast<uint32_t>(out->size());
        const uint32_t nr = std::min(batch, count - done);
        xen_sysctl op = make_op(XEN_SYSCTL_LIVEPATCH_LIST);
        auto& l = op.u.livepatch.u.list;
        l.idx = done;
        l.nr = nr;
        ArenaBuilder a;
        const uint64_t status_h = a.reserve(size_t{nr} * sizeof(xen_livepatch_status));
        const uint64_t len_h = a.reserve(size_t{nr} * 4), meta_len_h = a.reserve(size_t{nr} * 4);
        const size_t name_room =
            static_cast<size_t>(std::min<uint64_t>(names_left, uint64_t{nr} * XEN_LIVEPATCH_NAME_SIZE));
        const uint64_t name_h = a.reserve(name_room, 1);
        // Metadata goes last: if it had to be capped, an overrun faults instead of corrupting.
        const size_t room = wire::kMaxArena - std::min<size_t>(a.bytes().size(), wire::kMaxArena);
        const size_t meta_room = static_cast<size_t>(std::min<uint64_t>(meta_left, room));
        const uint64_t meta_h = a.reserve(meta_room, 1);
        ArenaBuilder::set_handle(l.status, status_h);
        ArenaBuilder::set_handle(l.len, len_h);
        ArenaBuilder::set_handle(l.metadata_len, meta_len_h);
        ArenaBuilder::set_handle(l.name, name_h);
        ArenaBuilder::set_handle(l.metadata, meta_h);

        const int rc = sysctl(op, a.bytes());
        if (rc == -E2BIG || (rc == -EFAULT && meta_room < meta_left)) {
            if (batch <= 1)
                return rc;
            batch /= 2;
            continue;
        }
        if (rc == -EINVAL && done) {
            // idx past the end: the list shrank since the probe (its version tells).
            xen_sysctl again = make_op(XEN_SYSCTL_LIVEPATCH_LIST);
            if (sysctl(again, none) == 0 && again.u.livepatch.u.list.version != version) {
                *restart = true;
                return -EBUSY;
            }
            m_last_rc = rc;
        }
        if (rc < 0)
            return rc;
        if (l.version != version) {
            *restart = true;
            return -EBUSY;
        }
        const uint32_t got = static_cast<uint32_t>(rc);
        if (got == 0 || got > nr || l.name_total_size > name_room || l.metadata_total_size > meta_room)
            return protocol_failure("LIST returned inconsistent sizes");
        const uint8_t* names = a.at(name_h, name_room);
        const uint8_t* meta = a.at(meta_h, meta_room);
        size_t name_off = 0, meta_off = 0;
        for (uint32_t i = 0; i < got; ++i) {
            const uint32_t nlen = load_u32(a.at(len_h, size_t{nr} * 4) + 4 * i);
            const uint32_t mlen = load_u32(a.at(meta_len_h, size_t{nr} * 4) + 4 * i);
            if (!nlen || nlen > l.name_total_size - name_off || names[name_off + nlen - 1] ||
                mlen > l.metadata_total_size - meta_off)
                return protocol_failure("LIST entry out of bounds");
            ListEntry e;
            e.name.assign(reinterpret_cast<const char*>(names + name_off), nlen - 1);
            memcpy(&e.status, a.at(status_h, size_t{nr} * sizeof e.status) + i * sizeof e.status, sizeof e.status);
            e.metadata.assign(reinterpret_cast<const char*>(meta) + meta_off, mlen);
            out->push_back(std::move(e));
            name_off += nlen;
            meta_off += mlen;
        }
        names_left -= l.name_total_size;
        meta_left -= l.metadata_total_size;
    }
    return 0;
}

}  // namespace livepatch::tool
