// The stress test's history: every operation a client issued on the control socket, with the
// time it was invoked and the time its response arrived (steady clock, ns) and what it returned.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace stress {

enum class OpKind : uint8_t { Upload, Apply, Revert, Replace, Unload, Get, List };

// "UPLOAD", "APPLY", ...
const char* op_kind_name(OpKind k);

// One payload as LIST or GET reports it.
struct Entry {
    int name = 0;           // index into the run's name pool
    uint32_t state = 0;     // LIVEPATCH_STATE_CHECKED / _APPLIED
    int32_t rc = 0;         // the status rc
    bool operator==(const Entry&) const = default;
};

struct Op {
    OpKind kind = OpKind::Get;
    int name = 0;          // the payload name (index into the name pool); unused by LIST
    int file = 0;          // UPLOAD: the payload file (index into the run's files)
    bool nodeps = false;   // APPLY: LIVEPATCH_ACTION_APPLY_NODEPS
    int64_t invoked = 0;   // before the request was sent
    int64_t returned = 0;  // after the response arrived
    int rc = 0;            // the hypercall's rc
    // GET (rc 0): the status; LIST (rc 0): every payload in the hypervisor's order.
    uint32_t state = 0;
    int32_t status_rc = 0;
    std::vector<Entry> list;
    // LIST gave up (its version kept changing: rc -EBUSY from the client library): it tells
    // nothing about the state.
    bool list_unknown = false;
};

// Every client's operations, in the order it issued them (each one returned before the next
// was invoked).
using History = std::vector<std::vector<Op>>;

// "APPLY n3 (nodeps) -> 0 [t0 .. t1]": for failure messages.
std::string describe(const Op& op, const std::vector<std::string>& names);

}  // namespace stress
