// The hosted hypervisor's control socket: how dom0 tools reach XEN_SYSCTL_livepatch_op (and, beyond
// Xen's ABI, the per-payload detail query and the guest observation requests) on a hosted
// hypervisor. Shared by the server and the clients (xen-livepatch, guest-probe, the tests).
//
// A Unix stream socket, mode 0600, in a private directory. The server checks each peer with
// SO_PEERCRED: root and the server's own user are served, other users only when allowed
// (hosted-hypervisor --allow-uid); any other peer's requests are read and answered with rc
// -EPERM (Xen's answer to an unprivileged sysctl caller), then the connection is closed.
// One request, one response, in order, any number per connection. All integers little-endian
// (host order on the supported hosts).
//
//   request:  WireRequest, then
//               kind kSysctl: struct xen_sysctl (136 bytes), then `arena_len` bytes of guest memory
//               kind kDetail: `arena_len` bytes: the payload name, NUL-terminated
//               kind kGuest:  `arena_len` bytes: the request word (guest_probe.h), NUL-terminated
//   response: WireResponse, then
//               kind kSysctl: struct xen_sysctl as the hypervisor left it, then the arena (which
//                             the hypervisor may have written, e.g. LIST's buffers)
//               kind kDetail, kGuest: `arena_len` bytes of JSON (see docs/design.md), no NUL;
//                             nothing after an error rc (the connection stays open)
//
// Guest handles inside the xen_sysctl are arena offsets plus one (0 is NULL): a client lays out
// every buffer the op names in one arena and stores offset + 1 in each handle. A handle whose
// bytes fall outside the arena fails the op with -EFAULT, as a bad guest pointer does in Xen.
//
// Bad requests (wrong magic or version, unknown kind, arena larger than kMaxArena) get a
// WireResponse with rc -EINVAL (or -E2BIG for the size) and the connection is closed. A peer that
// closes mid-request is simply disconnected, and so is one that does not send a whole request
// within the I/O deadline (10 s by default, from its first byte) or read the whole reply within
// it; the time a request waits for the engine does not count. A connection with no request in
// progress is closed after the idle timeout (60 s by default), and, when all 16 connection slots
// are taken, the one idle the longest is closed to make room for a new one
// (hypervisor/port/hosted/server.h, ServerOptions).
#pragma once

#include <stdint.h>

namespace livepatch::wire {

constexpr uint32_t kMagic = 0x4c505343;  // "CSPL" in memory order: 43 53 50 4c
constexpr uint16_t kVersion = 1;
constexpr uint32_t kMaxArena = (2u << 20) + (64u << 10);  // a 2 MiB payload plus LIST buffers

enum Kind : uint16_t {
    kSysctl = 1,
    kDetail = 2,
    kGuest = 3,
};

struct WireRequest {
    uint32_t magic;
    uint16_t version;
    uint16_t kind;
    uint32_t arena_len;
    uint32_t reserved;  // 0
};

struct WireResponse {
    uint32_t magic;
    int32_t rc;          // the hypercall's return value: >= 0, or -errno
    uint32_t arena_len;  // bytes that follow the sysctl struct (kSysctl) or the JSON (kDetail)
    uint32_t reserved;
};

static_assert(sizeof(WireRequest) == 16);
static_assert(sizeof(WireResponse) == 16);

}  // namespace livepatch::wire
