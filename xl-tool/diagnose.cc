#include "diagnose.h"

#include <errno.h>

#include <vector>

#include "duration.h"
#include "errors.h"
#include "xen_text.h"

namespace livepatch::tool {

namespace {

std::string str(const Json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

bool flag(const Json& j, const char* key) { return j.contains(key) && j[key].is_boolean() && j[key].get<bool>(); }

std::string id_or_none(const std::string& id) { return id.empty() ? "(none)" : id; }

struct Applied {
    std::string name, build_id;
};

// Every applied payload other than `except`, with its build-id (when the detail gives one).
std::vector<Applied> applied_payloads(Backend& b, const std::string& except) {
    std::vector<Applied> out;
    std::vector<PayloadEntry> all;
    if (b.list(&all) < 0)
        return out;
    for (const PayloadEntry& e : all) {
        if (e.status.state != kStateApplied || e.name == except)
            continue;
        const auto d = payload_detail(b, e.name);
        out.push_back({e.name, d ? str(*d, "build_id") : ""});
    }
    return out;
}

// Which build-id APPLY wants, in words; whether `depends` is acceptable under that rule; and
// whether several payloads are applied (then which one is on top is not known here).
std::string apply_dependency(Backend& b, const std::string& name, const std::string& depends,
                             const std::string& xen_id, bool* matches, bool* several) {
    const std::vector<Applied> applied = applied_payloads(b, name);
    *several = applied.size() > 1;
    if (applied.empty()) {
        *matches = depends == xen_id;
        return "the hypervisor's build-id " + id_or_none(xen_id) + " (no payload is applied)";
    }
    if (applied.size() == 1) {
        *matches = depends == applied[0].build_id;
        return "the build-id of " + applied[0].name + ", the payload on top of the applied stack, " +
               id_or_none(applied[0].build_id);
    }
    std::string list;
    *matches = false;
    for (const Applied& a : applied) {
        list += (list.empty() ? "" : ", ") + a.name + " " + id_or_none(a.build_id);
        *matches = *matches || depends == a.build_id;
    }
    return "the build-id of the most recently applied payload, one of: " + list;
}

std::string apply_refused(Backend& b, const std::string& name, const Json& d, uint32_t flags) {
    const std::string depends = str(d, "depends"), xen_id = str(d, "xen_depends");
    if (flags & kActionFlagNodeps)
        return "an expectation of " + name + " failed: the bytes at a patch site are not what it expects "
               "(--nodeps skipped the dependency check)";
    bool matches = false, several = false;
    const std::string wanted = apply_dependency(b, name, depends, xen_id, &matches, &several);
    if (matches && !several)
        return "the dependency is satisfied (" + depends + "), so an expectation of " + name +
               " failed: the bytes at a patch site are not what it expects";
    if (matches)
        return "either the payload " + name + " depends on (" + depends + ") is applied but not on top of the "
               "stack (" + wanted + "), or an expectation of " + name + " failed";
    return "dependency mismatch: " + name + " depends on build-id " + id_or_none(depends) + ", but APPLY needs " +
           wanted + "; apply payloads in the order they were built for, or use --nodeps to check only "
           "against the hypervisor";
}

std::string replace_refused(const std::string& name, const Json& d) {
    const std::string depends = str(d, "depends"), xen_id = str(d, "xen_depends");
    if (depends != xen_id)
        return "dependency mismatch: REPLACE needs .livepatch.depends to be the hypervisor's build-id " +
               id_or_none(xen_id) + ", but " + name + " depends on " + id_or_none(depends);
    return "the dependency is satisfied (the hypervisor's " + xen_id + "), so an expectation of " + name +
           " failed: the bytes at a patch site are not what it expects";
}

std::string cpu_list(const Json& cpus) {
    std::string s;
    for (const Json& c : cpus)
        s += (s.empty() ? "" : ", ") + c.dump();
    return s;
}

std::string timed_out(const Json& d, uint32_t timeout_ns) {
    const std::string limit = format_duration(timeout_ns ? timeout_ns : 30000000u);
    std::string s = "the rendezvous timed out after " + limit;
    if (d.contains("last_action") && d["last_action"].is_object()) {
        const Json& a = d["last_action"];
        if (a.contains("missing_cpus") && a["missing_cpus"].is_array() && !a["missing_cpus"].empty())
            s += ": CPU " + cpu_list(a["missing_cpus"]) + " of " + a.value("cpus", Json(0)).dump() +
                 (a.value("irq_phase", false) ? " did not check in with interrupts off"
                                              : " did not reach a quiescent point");
        else if (a.contains("missing_cpus"))
            s += ": every CPU arrived, but not all of them in time";
    }
    return s + "; nothing was changed; retry, perhaps with a longer --timeout";
}

std::string hook_veto(const std::string& name, uint32_t cmd, const Json& d, int rc) {
    const Json hooks = d.contains("hooks") ? d["hooks"] : Json::object();
    const char* pre = cmd == kActionRevert ? "prerevert" : "preapply";
    const char* act = cmd == kActionRevert ? "revert" : "apply";
    if (flag(hooks, pre))
        return std::string("the ") + pre + " hook of " + name + " vetoed the action with " + errno_name(rc) +
               "; nothing was changed";
    if (flag(hooks, act))
        return std::string("the ") + act + " action hook of " + name + " failed with " + errno_name(rc) +
               "; nothing was changed";
    return "";
}

}  // namespace

std::optional<Json> payload_detail(Backend& b, const std::string& name) {
    const std::optional<std::string> text = b.detail(name);
    if (!text)
        return std::nullopt;
    Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::nullopt;
    return j;
}

std::string diagnose_action(Backend& b, const std::string& name, uint32_t cmd, uint32_t flags, uint32_t timeout_ns,
                            bool completion, int rc) {
    const std::optional<Json> d = payload_detail(b, name);
    if (!d)
        return "";
    if (completion && rc == -EBUSY)
        return timed_out(*d, timeout_ns);
    if (completion) {
        if (cmd == kActionApply && rc == -EINVAL && flag(*d, "reverted") && !flag(*d, "safe_to_reapply"))
            return name + " was reverted before and is not safe to re-apply (it has writable data): unload it "
                          "and upload it again";
        return hook_veto(name, cmd, *d, rc);
    }
    if (cmd == kActionApply && rc == -EINVAL)
        return apply_refused(b, name, *d, flags);
    if (cmd == kActionReplace && rc == -EINVAL)
        return replace_refused(name, *d);
    // A pre hook's veto is the hypercall's rc (as in Xen): name the hook when it may be the cause.
    if ((cmd == kActionApply || cmd == kActionRevert) && rc != -EBUSY) {
        const Json hooks = d->contains("hooks") ? (*d)["hooks"] : Json::object();
        const char* pre = cmd == kActionRevert ? "prerevert" : "preapply";
        if (flag(hooks, pre))
            return std::string("the ") + pre + " hook of " + name + " vetoed the action with " + errno_name(rc) +
                   " (or another check refused it); nothing was changed";
    }
    if (cmd == kActionRevert && rc == -EBUSY) {
        const std::vector<Applied> others = applied_payloads(b, name);
        if (others.empty())
            return "";
        std::string list;
        for (const Applied& a : others)
            list += (list.empty() ? "" : ", ") + a.name;
        return "only the payload on top of the applied stack can be reverted; also applied: " + list +
               "; revert the ones applied after " + name + " first (or another action is still pending)";
    }
    return "";
}

std::string diagnose_upload_exists(Backend& b, const std::string& name) {
    std::vector<PayloadEntry> all;
    if (b.list(&all) < 0)
        return "";
    for (const PayloadEntry& e : all) {
        if (e.name == name)
            return "a payload named " + name + " is already loaded (" + state_word(e.status.state) +
                   "); unload it first or choose another name";
    }
    return "the name " + name + " is free, so another loaded payload has the same build-id: each payload's "
           "build-id must be unique";
}

}  // namespace livepatch::tool
