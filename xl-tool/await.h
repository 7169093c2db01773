// Waiting for an asynchronous action (APPLY, REVERT, REPLACE) to finish: GET until its status rc
// is no longer -EAGAIN.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>

#include "backend.h"

namespace livepatch::tool {

struct Completion {
    int get_rc = 0;          // the last GET's rc (0, or -errno: -ENOENT after an UNLOAD)
    PayloadStatus status;    // the last GET's status (when get_rc is 0)
    unsigned polls = 0;      // GETs issued
    uint64_t elapsed_ns = 0; // from the call to the last GET's answer
};

// Without `wait_ns` (Xen's way): sleeps twice the rendezvous timeout (60 ms for the default, and
// for 0, which means the default), then GETs once. With `wait_ns`: GETs at once, then again with
// a growing pause (1 ms doubling to 20 ms) until the status rc is not -EAGAIN, GET fails, or
// `wait_ns` has passed since the call (one GET at least).
Completion await_completion(Backend& b, const std::string& name, uint32_t timeout_ns,
                            std::optional<uint64_t> wait_ns);

}  // namespace livepatch::tool
