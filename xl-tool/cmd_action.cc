// apply, revert, unload, replace: Xen 4.17's action_func, step for step and word for word:
//   1. GET; an rc of -EAGAIN is "Operation already in progress" (retry: exit 2);
//   2. already in the goal state: "No action needed.";
//   3. not in the allowed start state: the wrong-state message;
//   4. "<Verb> <name>... ", the action with the rendezvous timeout;
//   5. the wait (Xen: 60 ms and one GET; --wait: poll), then "completed" or "failed" and why.
// Every failure also gets this tool's explanation (errors.h, diagnose.h).
#include <errno.h>

#include "await.h"
#include "commands.h"
#include "diagnose.h"
#include "duration.h"
#include "errors.h"
#include "xen_text.h"

namespace livepatch::tool {

namespace {

struct ActionSpec {
    uint32_t cmd;
    const char* name;     // the command
    const char* step;     // the sub-op's name in reports
    const char* verb;     // Xen's progress verb
    uint32_t allow;       // the state the action starts from
    int32_t expected;     // the state after it (for UNLOAD: -ENOENT, the payload is gone)
};

constexpr ActionSpec kActions[] = {
    {kActionApply, "apply", "APPLY", "Applying", kStateChecked, kStateApplied},
    {kActionRevert, "revert", "REVERT", "Reverting", kStateApplied, kStateChecked},
    {kActionUnload, "unload", "UNLOAD", "Unloading", kStateChecked, -ENOENT},
    {kActionReplace, "replace", "REPLACE", "Replacing all live patches with", kStateChecked, kStateApplied},
};

const ActionSpec& spec_of(uint32_t cmd) {
    for (const ActionSpec& s : kActions) {
        if (s.cmd == cmd)
            return s;
    }
    return kActions[0];
}

// The failure's explanation: the transport's problem, else what the detail tells, else "".
std::string explain(Context& ctx, Backend& b, const std::string& name, uint32_t cmd, uint32_t flags, bool completion,
                    int rc) {
    if (!b.transport_error().empty())
        return b.transport_error();
    return diagnose_action(b, name, cmd, flags, ctx.opts().timeout_ns, completion, rc);
}

void finish_json(Context& ctx, Backend& b, Json& j, const std::string& name, const std::string& outcome, int rc) {
    j["outcome"] = outcome;
    put_rc(j, rc);
    if (!ctx.json_mode())
        return;
    PayloadStatus st;
    const int g = b.get(name, &st);
    j["status"] = g == 0 ? status_json(st) : Json(nullptr);
    j["state"] = g == 0 ? Json(state_word(st.state)) : Json(nullptr);
    const std::optional<Json> d = payload_detail(b, name);
    j["payload"] = d ? *d : Json(nullptr);
}

}  // namespace

int run_action(Context& ctx, Json& j, const std::string& name, uint32_t cmd, uint32_t flags) {
    const ActionSpec& a = spec_of(cmd);
    const Options& o = ctx.opts();
    j["name"] = name;
    j["action"] = a.step;
    j["flags"] = {{"nodeps", (flags & kActionFlagNodeps) != 0}};
    j["timeout_ns"] = o.timeout_ns;
    j["wait_ns"] = o.wait_ns ? Json(*o.wait_ns) : Json(nullptr);
    if (const int r = check_name(ctx, j, name))
        return r;
    int rc = 0;
    Backend* bp = ctx.backend(&rc);
    if (!bp)
        return -rc;
    Backend& b = *bp;

    PayloadStatus st;
    if ((rc = b.get(name, &st)) < 0) {
        ctx.err("Failed to get status of " + name + ".\n" + error_line(-rc));
        const std::string why = b.transport_error();
        report_failure(ctx, j, Failure{"GET", false, rc, name, why});
        j["outcome"] = "failed";
        put_rc(j, rc);
        j["status"] = j["state"] = j["payload"] = nullptr;  // the payload's state is not known
        return -rc;
    }
    j["state_before"] = state_word(st.state);
    if (st.rc == -EAGAIN) {
        ctx.err(std::string("Cannot execute ") + a.name + ".\nOperation already in progress.\n");
        report_failure(ctx, j,
                       Failure{"state check", false, -EAGAIN, name,
                               "an earlier action on " + name + " is still running; retry later"});
        finish_json(ctx, b, j, name, "in_progress", -EAGAIN);
        return EAGAIN;
    }
    if (static_cast<int64_t>(st.state) == a.expected) {
        ctx.out("No action needed.\n");
        finish_json(ctx, b, j, name, "no_action_needed", 0);
        return 0;
    }
    if (!(a.allow & st.state)) {
        ctx.err(wrong_state(name, st.state, a.allow));
        report_failure(ctx, j,
                       Failure{"state check", false, -EINVAL, name,
                               name + " is " + state_word(st.state) + ", and " + a.name + " needs it " +
                                   state_word(a.allow) + (cmd == kActionUnload ? ": revert it first" : "")});
        finish_json(ctx, b, j, name, "wrong_state", -EINVAL);
        return -1;
    }

    ctx.out(std::string(a.verb) + " " + name + "... ");
    if ((rc = b.action(name, cmd, o.timeout_ns, flags)) < 0) {
        ctx.out("failed\n");
        ctx.err(error_line(-rc));
        report_failure(ctx, j, Failure{a.step, false, rc, name, explain(ctx, b, name, cmd, flags, false, rc)});
        finish_json(ctx, b, j, name, "failed", rc);
        return -rc;
    }

    const Completion c = await_completion(b, name, o.timeout_ns, o.wait_ns);
    j["polls"] = c.polls;
    j["elapsed_us"] = static_cast<double>(c.elapsed_ns) / 1000.0;
    rc = c.get_rc < 0 ? c.get_rc : c.status.rc;
    if (rc == -EAGAIN) {
        ctx.out("failed\n");
        ctx.err("Operation didn't complete.\n");
        report_failure(ctx, j,
                       Failure{a.step, true, -EAGAIN, name,
                               "still running after " + format_duration(c.elapsed_ns / 1000000 * 1000000) +
                                   "; see 'xen-livepatch status " + name + "', or wait longer with --wait"});
        finish_json(ctx, b, j, name, "not_completed", -EAGAIN);
        return EAGAIN;
    }
    const int64_t result = rc == 0 ? static_cast<int64_t>(c.status.state) : rc;
    if (result == a.expected) {
        ctx.out("completed\n");
        finish_json(ctx, b, j, name, "completed", 0);
        return 0;
    }
    ctx.out("failed\n");
    if (rc < 0) {
        ctx.err(error_line(-rc));
        const bool get_failed = c.get_rc < 0;
        report_failure(ctx, j,
                       Failure{get_failed ? "GET" : a.step, !get_failed, rc, name,
                               get_failed ? b.transport_error() : explain(ctx, b, name, cmd, flags, true, rc)});
        finish_json(ctx, b, j, name, "failed", rc);
        return -rc;
    }
    ctx.err(wrong_state(name, c.status.state, static_cast<uint32_t>(a.expected)));
    report_failure(ctx, j,
                   Failure{a.step, true, -EINVAL, name,
                           std::string("the action completed but left ") + name + " " + state_word(c.status.state)});
    finish_json(ctx, b, j, name, "wrong_state", -EINVAL);
    return -1;
}

// (--nodeps on revert, unload or replace is refused by the dispatcher, cli.cc.)
int cmd_action(Context& ctx, uint32_t cmd) {
    const ActionSpec& a = spec_of(cmd);
    if (ctx.args.empty())
        return usage_error(ctx, std::string(a.name) + " takes <name>");
    // Xen: everything after the name must be one of the action's flags.
    if (ctx.args.size() > 1) {
        ctx.err("Unsupported flag: " + ctx.args[1] + ".\n");
        report_failure(ctx, ctx.doc(), Failure{"args", false, -EINVAL, "",
                                               std::string(a.name) + " takes only <name>" +
                                                   (cmd == kActionApply ? " and --nodeps" : "")});
        return EINVAL;
    }
    return run_action(ctx, ctx.doc(), ctx.args[0], cmd, ctx.opts().nodeps ? kActionFlagNodeps : 0);
}

}  // namespace livepatch::tool
