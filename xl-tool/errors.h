// Errors that help: every failure this tool reports names the step that failed, the errno by
// name and number, and what that errno means for a live patch; on stderr (one line after Xen's
// own text) and in the JSON document's "error" object.
#pragma once

#include <string>

#include "context.h"

namespace livepatch::tool {

// The errno's symbolic name for a positive or negative errno ("EINVAL"); "OK" for 0; "E<n>" for
// a number the C library does not name.
std::string errno_name(int err);

// Stores "rc" (0 or -errno) and "rc_name" in `j`.
void put_rc(Json& j, int rc);

// One failed step.
struct Failure {
    // What failed: "args", "connect", "open", "stat", "map" (the payload file), or the sub-op:
    // "UPLOAD", "GET", "LIST", "APPLY", "REVERT", "REPLACE", "UNLOAD".
    std::string step;
    // For an action: false when the hypercall refused it, true when the hypervisor accepted it
    // and its status rc (GET after the action) is the failure.
    bool completion = false;
    int rc = 0;             // -errno
    std::string subject;    // the payload name or file the step worked on ("" when none)
    std::string meaning;    // livepatch meaning; "" to use generic_meaning()
};

// What -errno `rc` from `step` means for a live patch, without knowing more about the payload
// (diagnose.h adds build-ids and CPUs when the backend reports them).
std::string generic_meaning(const std::string& step, bool completion, int rc);

// Reports `f`: one stderr line "xen-livepatch: <command> <subject>: <step> failed: <ENAME> (<n>,
// <strerror>): <meaning>" ("did not complete" for a completion; just "<meaning>" for step "args"),
// and `into`["error"] = {step, completion, rc, rc_name, errno, message, meaning} unless `into`
// already holds an error (the first failure is the one that counts).
void report_failure(Context& ctx, Json& into, const Failure& f);

}  // namespace livepatch::tool
