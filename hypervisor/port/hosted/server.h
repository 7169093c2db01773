// The control socket server of the hosted hypervisor (protocol: wire_protocol.h). Serves each
// connection on its own thread; every sysctl runs livepatch_op() with the request's arena as the
// caller's guest memory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace livepatch::hosted {

// Limits and access of the control socket.
struct ServerOptions {
    // A connection with no request in progress is closed after this long.
    unsigned idle_timeout_ms = 60000;
    // Reading one request (first byte to last) and, separately, writing its reply must each end
    // within this long, or the connection is closed. The time the request then waits for the
    // engine (an action's window may be long with slow hooks) does not count.
    unsigned io_deadline_ms = 10000;
    // Peers allowed besides root (uid 0) and the server's own effective uid (which owns the
    // process anyway). Checked with SO_PEERCRED at accept: any other peer gets -EPERM for each
    // request and is disconnected.
    std::vector<uid_t> allow_uids;
};

// Creates the socket at `path` (replacing a stale one) and serves it on a background thread until
// stop_server(). The socket is created by bind() itself with its final mode (through the umask)
// and never chmod'ed by path: 0600, or 0666 when `options.allow_uids` names users (SO_PEERCRED
// then refuses everyone else); directories it creates for it are 0700, or 0711 then. Its
// directory must be private: owned by root or the server's user and not writable by others
// unless sticky (else another user could swap the path). Returns false (with a message on
// stderr) when it cannot listen.
//
// At most 16 connections are served at a time; when a 17th arrives, the connection idle the
// longest (between requests) is closed to make room; if none is idle, the newcomer is closed.
bool start_server(const std::string& path, const ServerOptions& options = {});
void stop_server();

// The options in force, and new ones for a running server (tests use short timeouts): they apply
// to connections accepted and waits begun from then on.
ServerOptions server_options();
void set_server_options(const ServerOptions& options);

// Serves one sysctl request held in memory (the server's core, also used by tests): `sysctl` is a
// struct xen_sysctl, `arena` its guest memory. Returns the hypercall rc.
int serve_sysctl(void* sysctl, unsigned char* arena, unsigned long arena_len);

// The detail query: JSON describing payload `name`, or an empty string when there is none.
std::string payload_detail_json(const char* name);

}  // namespace livepatch::hosted
