// XEN_SYSCTL_livepatch_op calls of the integration tests, served in process by the hosted
// hypervisor's sysctl entry (the control socket's path, without the socket), callable from any
// thread, and the payloads built for this binary ($LP_ITEST_PAYLOADS).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "livepatch/livepatch.h"

namespace livepatch::integration {

// The bytes of payload `name` from $LP_ITEST_PAYLOADS (fails the calling test when missing).
std::vector<uint8_t> itest_payload(const std::string& name);

// UPLOAD, GET, ACTION: the hypercall's rc (GET fills *st).
int sysctl_upload(const std::string& name, const std::vector<uint8_t>& bytes);
int sysctl_get(const std::string& name, xen_livepatch_status* st);
int sysctl_action(const std::string& name, uint32_t cmd, uint32_t timeout_ns = 0, uint32_t flags = 0);

// Polls GET until the action on `name` is no longer -EAGAIN; its final rc. The 120 s deadline
// only catches an action that never completes (a sanitizer build on a loaded host is slow).
int sysctl_wait(const std::string& name);

// ACTION, then sysctl_wait: the hypercall's rc when it failed, else the final rc.
int sysctl_act(const std::string& name, uint32_t cmd, uint32_t timeout_ns = 1000000000u, uint32_t flags = 0);

}  // namespace livepatch::integration
