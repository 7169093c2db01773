// A client of the hosted hypervisor's control socket (hypervisor/port/hosted/wire_protocol.h):
// XEN_SYSCTL_livepatch_op with the arena as guest memory, the per-payload detail query, the guest
// observation requests, and wrappers with libxenctrl's semantics (xc_livepatch_upload/get/list/
// action). Used by the integration tests, the dom0 tool and guest-probe.
//
// Return convention: every call that talks to the hypervisor returns the hypercall's rc (>= 0, or
// -errno from the hypervisor), or -errno of a transport failure (-ECONNREFUSED, -ECONNRESET,
// -ENOTCONN, -EPROTO for a malformed response). After a transport failure the connection is
// closed and error() describes what happened.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "livepatch/abi.h"

namespace livepatch::tool {

// Lays out the guest buffers of one sysctl in a single arena. Each buffer is named by its handle
// value: its offset in the arena plus one (0 stays NULL).
class ArenaBuilder {
public:
    // Appends `len` bytes copied from `data` (zeros when `data` is null), aligned to `align` (a
    // power of two). Returns the buffer's handle value.
    uint64_t add(const void* data, size_t len, size_t align = 8);

    // Appends `len` zero bytes for the hypervisor to fill; returns the handle value.
    uint64_t reserve(size_t len, size_t align = 8) { return add(nullptr, len, align); }

    // Stores `name` NUL-terminated in the arena and points `field` at it (size = strlen + 1).
    void set_name(xen_livepatch_name& field, const std::string& name);

    // The `len` arena bytes at `handle`, or nullptr when they are not all inside the arena.
    const uint8_t* at(uint64_t handle, size_t len) const;

    // The arena, to pass to HostedClient::sysctl (which may rewrite it).
    std::vector<uint8_t>& bytes() { return m_bytes; }

    // Stores a handle value in a guest-handle field (a struct holding one pointer): a memcpy of
    // its 8 bytes, never a cast.
    template <class Handle>
    static void set_handle(Handle& field, uint64_t value) {
        static_assert(sizeof(Handle) == sizeof(uint64_t), "guest handles are 64-bit");
        memcpy_handle(&field, value);
    }

private:
    static void memcpy_handle(void* field, uint64_t value);
    std::vector<uint8_t> m_bytes;
};

// One payload as LIST reports it.
struct ListEntry {
    std::string name;
    xen_livepatch_status status{};
    std::string metadata;  // the .modinfo bytes: NUL-separated strings
};

class HostedClient {
public:
    HostedClient() = default;
    ~HostedClient();
    HostedClient(const HostedClient&) = delete;
    HostedClient& operator=(const HostedClient&) = delete;

    // Connects to the control socket at `path` (closing any previous connection). False on
    // failure, with error() and last_rc() (-errno) set.
    bool connect(const std::string& path);
    void disconnect();
    bool connected() const { return m_fd >= 0; }

    // The last failure's description ("" after success), and the rc it was reported with.
    const std::string& error() const { return m_error; }
    int last_rc() const { return m_last_rc; }

    // A zeroed sysctl for livepatch sub-op `sub_cmd` (XEN_SYSCTL_LIVEPATCH_*), with the command
    // and the interface version this engine speaks.
    static xen_sysctl make_op(uint32_t sub_cmd);

    // Sends `op` with `arena` as its guest memory, then stores the hypervisor's copies of both.
    // Returns the hypercall rc or a transport error (see the file comment).
    int sysctl(xen_sysctl& op, std::vector<uint8_t>& arena);

    // The detail JSON of payload `name`; nullopt when there is none (last_rc() -ENOENT) or on a
    // failure (last_rc() says which).
    std::optional<std::string> detail(const std::string& name);

    // The JSON answer to guest request `request` (hypervisor/port/hosted/guest_probe.h: "stats",
    // "extraversion", ...); nullopt on a refusal (last_rc(): -EINVAL unknown request, -ENODEV no
    // guests, -ETIMEDOUT no vCPU took the probe) or a failure.
    std::optional<std::string> guest(const std::string& request);

    // --- libxenctrl-style wrappers (names longer than 127 characters: -EINVAL, as libxc) ------

    // xc_livepatch_upload: rc of UPLOAD.
    int upload(const std::string& name, const std::vector<uint8_t>& payload);

    // xc_livepatch_get: rc of GET; `status` filled on success.
    int get(const std::string& name, xen_livepatch_status* status);

    // xc_livepatch_list_get_sizes + xc_livepatch_list: every payload, in the hypervisor's order.
    // Probes with nr = 0, then fetches batches (starting with all of them; -E2BIG halves the
    // batch); a LIST version change restarts from the probe, at most 3 times, then -EBUSY.
    // Returns 0 or a negative rc; `out` holds the complete list only on success.
    int list(std::vector<ListEntry>* out);

    // xc_livepatch_{unload,revert,apply,replace}: rc of ACTION `cmd` (LIVEPATCH_ACTION_*).
    int action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags);

private:
    int transport_failure(int err, const std::string& what);
    std::optional<std::string> json_request(uint16_t kind, const char* what, const std::string& word);
    int protocol_failure(const std::string& what);
    int exchange(uint16_t kind, const void* head, size_t head_len, const std::vector<uint8_t>& arena,
                 int32_t* rc, uint32_t* reply_len);
    bool send_all(const void* buf, size_t len);
    int recv_all(void* buf, size_t len);
    bool name_ok(const std::string& name);
    int list_once(std::vector<ListEntry>* out, bool* restart);

    int m_fd = -1;
    std::string m_error;
    int m_last_rc = 0;
};

}  // namespace livepatch::tool
