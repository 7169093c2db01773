// How xen-livepatch reaches a hypervisor: the four XEN_SYSCTL_livepatch_op sub-ops with
// libxenctrl's semantics, plus the per-payload detail that only some backends report.
//
// Two implementations: libxenctrl for real Xen (backend_xenctrl.cc) and the hosted hypervisor's
// control socket (backend_hosted.cc). open_backend() (backend_select.cc) picks one.
//
// Return convention: every call returns 0 (or a count) on success and -errno on failure, where
// the errno is the hypervisor's (Xen's numbers, equal to Linux's) or the transport's. After a
// failure transport_error() says whether the hypervisor ever answered: "" when the rc is the
// hypervisor's own, else a description of what went wrong on the way (socket, libxc).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace livepatch::tool {

// Xen's payload states (LIVEPATCH_STATE_*) and actions (LIVEPATCH_ACTION_*), and the one action
// flag; the values are the ABI's (xen/sysctl.h), repeated so this header needs no Xen headers.
constexpr uint32_t kStateChecked = 1, kStateApplied = 2;
constexpr uint32_t kActionUnload = 1, kActionRevert = 2, kActionApply = 3, kActionReplace = 4;
constexpr uint32_t kActionFlagNodeps = 1;

// Xen limits a payload name to 127 characters (128 bytes with its NUL).
constexpr size_t kMaxNameLength = 127;

// GET's answer (struct xen_livepatch_status).
struct PayloadStatus {
    uint32_t state = 0;
    int32_t rc = 0;  // 0, -EAGAIN while an action runs, or the last action's -errno
};

// One LIST entry.
struct PayloadEntry {
    std::string name;
    PayloadStatus status;
    std::string metadata;  // the payload's .modinfo bytes (NUL-separated strings), as LIST gives them
};

class Backend {
public:
    virtual ~Backend() = default;

    // "xen" or "hosted".
    virtual const char* kind() const = 0;

    // xc_livepatch_upload: `size` bytes at `data` under `name`. Synchronous (CHECKED on success).
    virtual int upload(const std::string& name, const uint8_t* data, size_t size) = 0;

    // xc_livepatch_get.
    virtual int get(const std::string& name, PayloadStatus* status) = 0;

    // xc_livepatch_list_get_sizes: how many payloads are loaded.
    virtual int list_count(uint32_t* count) = 0;

    // xc_livepatch_list until complete: every payload in the hypervisor's order. `out` is
    // complete only on success.
    virtual int list(std::vector<PayloadEntry>* out) = 0;

    // xc_livepatch_{unload,revert,apply,replace}: issues action `cmd` (kAction*) with the
    // rendezvous timeout `timeout_ns` (0: the hypervisor's default, 30 ms) and `flags`.
    // Asynchronous for APPLY, REVERT and REPLACE: GET shows -EAGAIN until it completes.
    virtual int action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) = 0;

    // The payload's detail as JSON (the hosted hypervisor's schema, docs/design.md §7.1);
    // nullopt when the backend does not report detail or the payload is gone.
    virtual std::optional<std::string> detail(const std::string& name) = 0;

    // See the file comment: "" when the last failure was the hypervisor's rc.
    virtual std::string transport_error() const = 0;
};

enum class BackendKind { kAuto, kXen, kHosted };

// True when Xen's privcmd device exists (/dev/xen/privcmd or /proc/xen/privcmd).
bool xen_privcmd_present();

// The backend to use: `requested` unless it is kAuto; kAuto means kHosted when a socket was
// named on the command line, else kXen when Xen's privcmd device is present, else kHosted.
BackendKind choose_backend(BackendKind requested, bool socket_given, bool privcmd_present);

// choose_backend(kAuto, false, xen_privcmd_present()).
BackendKind resolve_auto_backend();

// Opens a backend of `kind` (kAuto resolved as above); `socket` is the hosted hypervisor's
// control socket. Returns nullptr on failure with *rc (-errno) and *why (what failed, for a
// person) set. *chosen receives the kind actually tried.
std::unique_ptr<Backend> open_backend(BackendKind kind, const std::string& socket, BackendKind* chosen, int* rc,
                                      std::string* why);

// Constructors used by open_backend (each returns nullptr with *rc and *why on failure).
std::unique_ptr<Backend> open_hosted_backend(const std::string& socket, int* rc, std::string* why);
std::unique_ptr<Backend> open_xenctrl_backend(int* rc, std::string* why);

}  // namespace livepatch::tool
