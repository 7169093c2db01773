// status <name>: GET, and everything the backend's detail adds (docs/design.md §7.1), for people.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "commands.h"
#include "diagnose.h"
#include "errors.h"
#include "xen_text.h"

namespace livepatch::tool {

namespace {

std::string s_of(const Json& j, const char* key) {
    if (!j.contains(key))
        return "";
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string hex_addr(const Json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_number_unsigned())
        return "?";
    char buf[32];
    snprintf(buf, sizeof buf, "0x%" PRIx64, j[key].get<uint64_t>());
    return buf;
}

std::string yes_no(const Json& j, const char* key) {
    return j.contains(key) && j[key].is_boolean() && j[key].get<bool>() ? "yes" : "no";
}

std::string functions_text(const Json& d) {
    std::string t;
    const Json funcs = d.value("functions", Json::array());
    t += "  functions:    " + std::to_string(funcs.size()) + "\n";
    for (const Json& f : funcs) {
        std::string line = "    " + s_of(f, "name") + ": old " + hex_addr(f, "old_addr") + " (" +
                           s_of(f, "old_size") + " bytes) -> ";
        if (f.value("nop", false))
            line += "NOP " + s_of(f, "new_size") + " bytes";
        else
            line += "new " + hex_addr(f, "new_addr") + " (" + s_of(f, "new_size") + " bytes)";
        if (f.value("applied", false))
            line += ", applied: " + s_of(f, "patch_len") + " bytes at +" + s_of(f, "patch_offset");
        else
            line += ", not applied";
        const Json e = f.value("expectation", Json::object());
        if (e.value("enabled", false))
            line += ", expects " + s_of(e, "len") + " bytes";
        t += line + "\n";
    }
    return t;
}

std::string hooks_text(const Json& d) {
    const Json h = d.value("hooks", Json::object());
    std::string t;
    for (const char* counted : {"load", "unload"}) {
        if (h.value(counted, 0) > 0)
            t += std::string(t.empty() ? "" : ", ") + counted + " " + s_of(h, counted);
    }
    for (const char* one : {"preapply", "apply", "postapply", "prerevert", "revert", "postrevert"}) {
        if (h.value(one, false))
            t += std::string(t.empty() ? "" : ", ") + one;
    }
    return "  hooks:        " + (t.empty() ? std::string("none") : t) + "\n";
}

std::string last_action_text(const Json& d) {
    if (!d.contains("last_action") || !d["last_action"].is_object())
        return "  last action:  none\n";
    const Json& a = d["last_action"];
    // A pre-hook veto ends the action in the hypercall: no rendezvous, so no CPUs and no timings.
    if (a.value("vetoed", false) || a.value("cpus", 0) == 0)
        return "  last action:  " + s_of(a, "action") + ", rc " + s_of(a, "rc") + " (" + s_of(a, "rc_name") +
               "), refused in the hypercall (no rendezvous)\n";
    std::string missing;
    for (const Json& c : a.value("missing_cpus", Json::array()))
        missing += (missing.empty() ? "" : ", ") + c.dump();
    char timing[160];
    snprintf(timing, sizeof timing, "gather %.1f us, window %.1f us, patch %.1f us", a.value("gather_us", 0.0),
             a.value("window_us", 0.0), a.value("patch_us", 0.0));
    return "  last action:  " + s_of(a, "action") + ", rc " + s_of(a, "rc") + " (" + s_of(a, "rc_name") + "), " +
           s_of(a, "cpus") + " CPUs, " + timing + ", missing CPUs: " + (missing.empty() ? "none" : missing) + "\n";
}

std::string detail_text(const Json& d) {
    std::string t;
    t += "  build-id:     " + s_of(d, "build_id") + "\n";
    t += "  depends:      " + s_of(d, "depends") + "\n";
    t += "  xen-depends:  " + s_of(d, "xen_depends") + "\n";
    t += "  reverted:     " + yes_no(d, "reverted") + " (safe to re-apply: " + yes_no(d, "safe_to_reapply") + ")\n";
    t += functions_text(d);
    t += hooks_text(d);
    const Json r = d.value("regions", Json::object());
    t += "  regions:      text " + s_of(r, "text") + ", rw " + s_of(r, "rw") + ", ro " + s_of(r, "ro") + " bytes\n";
    std::string meta;
    for (const Json& m : d.value("metadata", Json::array()))
        meta += (meta.empty() ? "" : "; ") + (m.is_string() ? m.get<std::string>() : m.dump());
    t += "  metadata:     " + (meta.empty() ? std::string("none") : meta) + "\n";
    t += last_action_text(d);
    return t;
}

}  // namespace

int cmd_status(Context& ctx) {
    Json& doc = ctx.doc();
    if (ctx.args.size() != 1)
        return usage_error(ctx, "status takes <name>");
    const std::string& name = ctx.args[0];
    doc["name"] = name;
    if (const int r = check_name(ctx, doc, name))
        return r;
    int rc = 0;
    Backend* b = ctx.backend(&rc);
    if (!b)
        return -rc;
    PayloadStatus st;
    if ((rc = b->get(name, &st)) < 0) {
        ctx.err("Failed to get status of " + name + ".\n" + error_line(-rc));
        report_failure(ctx, doc, Failure{"GET", false, rc, name, b->transport_error()});
        put_rc(doc, rc);
        doc["status"] = doc["state"] = doc["payload"] = nullptr;
        return -rc;
    }
    put_rc(doc, 0);
    doc["status"] = status_json(st);
    doc["state"] = state_word(st.state);
    const std::optional<Json> d = payload_detail(*b, name);
    doc["payload"] = d ? *d : Json(nullptr);

    std::string t = name + ": " + state_word(st.state) + ", rc " + std::to_string(st.rc) + " (" +
                    errno_name(st.rc) + ")" + (st.rc == -EAGAIN ? ", an action is in progress" : "") + "\n";
    if (d)
        t += detail_text(*d);
    else
        t += std::string("  (the ") + b->kind() + " backend reports nothing beyond the state and rc)\n";
    ctx.out(t);
    return 0;
}

}  // namespace livepatch::tool
