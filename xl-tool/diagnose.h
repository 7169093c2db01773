// Failure explanations that use what the backend reports beyond Xen's ABI (the hosted
// hypervisor's payload detail): the build-ids of a dependency mismatch, the CPUs that missed a
// rendezvous, the hook that vetoed an action. With a backend that reports no detail (libxenctrl)
// every function here returns "" and the caller falls back to generic_meaning() (errors.h).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>

#include "backend.h"
#include "context.h"

namespace livepatch::tool {

// The payload's detail, parsed; nullopt when the backend has none (or it is not valid JSON).
std::optional<Json> payload_detail(Backend& b, const std::string& name);

// The meaning of -errno `rc` from action `cmd` (kAction*) on payload `name`, issued with `flags`
// and `timeout_ns`: `completion` as in Failure. Reads the payload's detail and, for dependency
// problems, the applied payloads'. "" when there is nothing more specific to say.
std::string diagnose_action(Backend& b, const std::string& name, uint32_t cmd, uint32_t flags, uint32_t timeout_ns,
                            bool completion, int rc);

// The meaning of -EEXIST from UPLOAD of `name`: whether the name or the build-id clashes.
std::string diagnose_upload_exists(Backend& b, const std::string& name);

}  // namespace livepatch::tool
