#include "errors.h"

#include <errno.h>
#include <string.h>

namespace livepatch::tool {

std::string errno_name(int err) {
    if (err < 0)
        err = -err;
    if (err == 0)
        return "OK";
    if (const char* n = strerrorname_np(err))
        return n;
    return "E" + std::to_string(err);
}

void put_rc(Json& j, int rc) {
    j["rc"] = rc;
    j["rc_name"] = errno_name(rc);
}

namespace {

// Meanings that hold whatever the step.
const char* common_meaning(int err) {
    switch (err) {
    case EPERM: return "not privileged: livepatch operations need root in dom0";
    case EACCES:
        return "the hypervisor refused the sysctl: its livepatch interface version differs from this tool's "
               "(0x15, Xen 4.17-4.20), or XSM denies livepatch_op";
    case ENOSYS: return "the hypervisor was built without CONFIG_LIVEPATCH";
    case EAGAIN: return "an action on this payload is still running; retry later (or use --wait)";
    case ECONNREFUSED:
    case ECONNRESET:
    case ENOTCONN:
    case EPIPE:
    case EPROTO: return "the connection to the hypervisor failed; is it still running?";
    default: return nullptr;
    }
}

const char* upload_meaning(int err) {
    switch (err) {
    case EINVAL:
        return "the hypervisor rejected the payload as malformed: not an ELF relocatable object, a bad "
               "section, symbol, relocation or .livepatch.funcs record, a size of 0 or over 2 MiB, or a "
               ".livepatch.xen_depends build-id that is not the hypervisor's (its log names the section)";
    case EEXIST: return "a payload with this name, or with the same build-id, is already loaded";
    case ENOENT: return "a symbol the payload needs, or a function it patches, is not in the hypervisor";
    case EOPNOTSUPP:
        return "the payload is valid ELF but uses something the hypervisor does not support (a relocation "
               "type, a section alignment or flag)";
    case EOVERFLOW: return "a relocation or jump in the payload does not reach its target";
    case ENOMEM: return "the hypervisor has no memory for the payload (or its regions exceed the limit)";
    case ENODATA: return "the hypervisor has no build-id, so no payload can be checked against it";
    case E2BIG: return "the payload is larger than the hypervisor accepts (2 MiB)";
    case EFBIG: return "the payload file is larger than libxenctrl can pass (4 GiB)";
    case EFAULT: return "the hypervisor could not read the payload buffer";
    case EBUSY: return "the hypervisor is busy with another livepatch operation; retry";
    default: return nullptr;
    }
}

const char* action_meaning(const std::string& step, bool completion, int err) {
    const bool apply = step == "APPLY", replace = step == "REPLACE", revert = step == "REVERT";
    if (err == ENOENT)
        return "no payload with this name is loaded (see 'xen-livepatch list')";
    if (err == EBUSY) {
        if (completion)
            return "the rendezvous timed out: not every CPU reached a quiescent point within the timeout; "
                   "nothing was changed; retry, perhaps with a longer --timeout";
        if (revert)
            return "only the payload on top of the applied stack can be reverted (revert the later ones "
                   "first), or another livepatch action is still pending";
        return "another livepatch action is still pending, or the hypervisor could not take the CPU maps; "
               "retry";
    }
    if (completion) {
        if (apply && err == EINVAL)
            return "the payload was reverted before and is not safe to re-apply: unload it and upload it "
                   "again";
        if (replace && (err == EINVAL || err == EFAULT || err == ERANGE || err == EOVERFLOW))
            return "an expectation of the payload failed after the applied payloads were reverted; the "
                   "previous set was restored";
        return "the action failed inside the hypervisor; a pre-apply/pre-revert or action hook of the "
               "payload returned this rc; nothing was changed";
    }
    if (apply && err == EINVAL)
        return "dependency or expectation mismatch: the payload's .livepatch.depends build-id must equal "
               "the build-id of the payload on top of the applied stack (the hypervisor's when none is "
               "applied; --nodeps checks only the hypervisor's), and every expectation must match the live "
               "code";
    if (replace && err == EINVAL)
        return "REPLACE needs the payload's .livepatch.depends to equal the hypervisor's build-id, and "
               "every expectation to match the live code";
    if ((apply || replace) && (err == EFAULT || err == ERANGE || err == EOVERFLOW))
        return "an expectation failed: the bytes at a patch site are not what the payload expects";
    if (replace && err == EOPNOTSUPP)
        return "REPLACE is refused when the payload or any applied payload has pre- or post-action "
               "(vetoing) hooks";
    if (step == "UNLOAD" && err == EINVAL)
        return "the payload is applied: revert it first";
    if (err == EOPNOTSUPP)
        return "the hypervisor does not support this action";
    return nullptr;
}

}  // namespace

std::string generic_meaning(const std::string& step, bool completion, int rc) {
    const int err = rc < 0 ? -rc : rc;
    if (step == "open" || step == "stat" || step == "map") {
        if (err == ENOENT)
            return "the payload file does not exist";
        if (err == EACCES)
            return "the payload file is not readable by this user";
        if (err == EINVAL && step == "map")
            return "the payload file is empty";
        if (err == ENODEV && step == "map")
            return "the payload path is not a regular file";
        return "the payload file cannot be read";
    }
    if (step == "GET" && err == ENOENT)
        return "no payload with this name is loaded (see 'xen-livepatch list')";
    if (step == "LIST" && err == EBUSY)
        return "the payload list kept changing while it was read; retry";
    const char* m = nullptr;
    if (step == "UPLOAD")
        m = upload_meaning(err);
    else if (step == "APPLY" || step == "REVERT" || step == "REPLACE" || step == "UNLOAD")
        m = action_meaning(step, completion, err);
    if (!m)
        m = common_meaning(err);
    return m ? m : "the hypervisor reported this error";
}

void report_failure(Context& ctx, Json& into, const Failure& f) {
    const int err = f.rc < 0 ? -f.rc : f.rc;
    const std::string meaning = f.meaning.empty() ? generic_meaning(f.step, f.completion, f.rc) : f.meaning;
    std::string who = ctx.command;
    if (!f.subject.empty())
        who += (who.empty() ? "" : " ") + f.subject;
    if (!who.empty())  // no command known (options that could not be parsed): no empty "xen-livepatch: : "
        who += ": ";
    if (f.step == "args") {  // a usage problem: the errno is only for JSON
        ctx.diag(who + meaning);
    } else {
        const std::string what = f.completion ? f.step + " did not complete" : f.step + " failed";
        ctx.diag(who + what + ": " + errno_name(err) + " (" + std::to_string(err) + ", " + strerror(err) +
                 "): " + meaning);
    }
    if (into.contains("error") && !into["error"].is_null())
        return;
    Json e;
    e["step"] = f.step;
    e["completion"] = f.completion;
    put_rc(e, -err);
    e["errno"] = err;
    e["message"] = strerror(err);
    e["meaning"] = meaning;
    into["error"] = e;
}

}  // namespace livepatch::tool
