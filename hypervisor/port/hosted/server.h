// The control socket server of the hosted hypervisor (protocol: wire_protocol.h). Serves each
// connection on its own thread; every sysctl runs livepatch_op() with the request's arena as the
// caller's guest memory.
#pragma once

#include <string>

namespace livepatch::hosted {

// Creates the socket at `path` (replacing a stale one), mode 0600, and serves it on a background
// thread until stop_server(). Returns false (with a message on stderr) when it cannot listen.
bool start_server(const std::string& path);
void stop_server();

// Serves one sysctl request held in memory (the server's core, also used by tests): `sysctl` is a
// struct xen_sysctl, `arena` its guest memory. Returns the hypercall rc.
int serve_sysctl(void* sysctl, unsigned char* arena, unsigned long arena_len);

// The detail query: JSON describing payload `name`, or an empty string when there is none.
std::string payload_detail_json(const char* name);

}  // namespace livepatch::hosted
