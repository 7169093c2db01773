#include "engine_model.h"

#include <errno.h>

#include <algorithm>
#include <optional>

#include "livepatch/abi.h"

namespace stress {

namespace {

constexpr uint8_t kChecked = LIVEPATCH_STATE_CHECKED;
constexpr uint8_t kApplied = LIVEPATCH_STATE_APPLIED;

ModelPayload* find(ModelState& s, int name) {
    for (ModelPayload& p : s.payloads) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

// The scheduled action ran in its window (Engine::run_action, action_done).
ModelState complete_ran(const Facts& facts, ModelState s) {
    ModelPayload* p = find(s, s.pending);
    switch (s.pending_cmd) {
    case LIVEPATCH_ACTION_APPLY:
        p->state = kApplied;
        p->rc = 0;
        s.applied.push_back(p->name);
        break;
    case LIVEPATCH_ACTION_REVERT:
        p->state = kChecked;
        p->reverted = true;
        p->rc = 0;
        s.applied.erase(std::find(s.applied.begin(), s.applied.end(), p->name));
        break;
    case LIVEPATCH_ACTION_REPLACE:
        if (facts.files[static_cast<size_t>(p->file)].expectation) {
            // Everything applied was reverted, the expectation failed, and the previous set was
            // applied again: only the payload's rc tells.
            p->rc = -EINVAL;
            break;
        }
        for (int8_t n : s.applied) {
            ModelPayload* q = find(s, n);
            q->state = kChecked;
            q->reverted = true;
            q->rc = 0;
        }
        s.applied.assign(1, p->name);
        p->state = kApplied;
        p->rc = 0;
        break;
    }
    s.pending = -1;
    s.pending_cmd = 0;
    return s;
}

// The rendezvous timed out (a CPU did not arrive): -EBUSY, nothing changed.
ModelState complete_timed_out(ModelState s) {
    find(s, s.pending)->rc = -EBUSY;
    s.pending = -1;
    s.pending_cmd = 0;
    return s;
}

// Engine::schedule: -EBUSY while another action is scheduled.
int schedule(ModelState& s, ModelPayload& p, uint32_t cmd) {
    if (s.pending >= 0)
        return -EBUSY;
    s.pending = p.name;
    s.pending_cmd = static_cast<uint8_t>(cmd);
    p.rc = -EAGAIN;
    return 0;
}

bool vetoing(const Facts& facts, const ModelPayload& p) {
    return facts.files[static_cast<size_t>(p.file)].vetoing_hooks;
}

// `op` applied to `s` with no completion first: the rc the engine returns, and `s` changed.
int run(const Facts& facts, ModelState& s, const Op& op) {
    if (op.kind == OpKind::Upload) {
        if (find(s, op.name))
            return -EEXIST;
        const std::string& id = facts.files[static_cast<size_t>(op.file)].build_id;
        for (const ModelPayload& q : s.payloads) {
            if (facts.files[static_cast<size_t>(q.file)].build_id == id)
                return -EEXIST;
        }
        s.payloads.push_back(ModelPayload{static_cast<int8_t>(op.name), static_cast<int8_t>(op.file), kChecked,
                                          false, 0});
        return 0;
    }
    if (op.kind == OpKind::List || op.kind == OpKind::Get)
        return 0;  // compared by the caller
    ModelPayload* p = find(s, op.name);
    if (!p)
        return -ENOENT;
    if (s.pending == p->name)
        return -EBUSY;  // Xen: is_work_scheduled
    const FileFacts& f = facts.files[static_cast<size_t>(p->file)];
    switch (op.kind) {
    case OpKind::Unload:
        if (p->state != kChecked)
            return -EINVAL;
        s.payloads.erase(s.payloads.begin() + (p - s.payloads.data()));
        return 0;
    case OpKind::Revert:
        if (p->state != kApplied)
            return 0;
        if (s.applied.back() != p->name)
            return -EBUSY;
        return schedule(s, *p, LIVEPATCH_ACTION_REVERT);
    case OpKind::Apply: {
        if (p->state != kChecked)
            return 0;
        if (p->reverted && !f.safe_to_reapply) {
            p->rc = -EINVAL;
            return 0;
        }
        if (!op.nodeps) {
            const std::string& below = s.applied.empty()
                                           ? facts.hypervisor_build_id
                                           : facts.files[static_cast<size_t>(find(s, s.applied.back())->file)].build_id;
            if (f.depends != below)
                return -EINVAL;
        }
        if (f.expectation)
            return -EINVAL;
        return schedule(s, *p, LIVEPATCH_ACTION_APPLY);
    }
    case OpKind::Replace:
        if (p->state != kChecked)
            return 0;
        if (f.depends != facts.hypervisor_build_id)
            return -EINVAL;
        if (vetoing(facts, *p))
            return -EOPNOTSUPP;
        for (int8_t n : s.applied) {
            if (vetoing(facts, *find(s, n)))
                return -EOPNOTSUPP;
        }
        return schedule(s, *p, LIVEPATCH_ACTION_REPLACE);
    default:
        return -EINVAL;
    }
}

// `op`'s result as the model predicts it from `s`, compared with what the client saw.
bool matches(const ModelState& before, const ModelState& after, int rc, const Op& op) {
    if (op.kind == OpKind::List) {
        if (op.list_unknown)
            return true;
        if (op.rc != 0 || op.list.size() != before.payloads.size())
            return false;
        for (size_t i = 0; i < op.list.size(); ++i) {
            const ModelPayload& p = before.payloads[i];
            if (!(op.list[i] == Entry{p.name, p.state, p.rc}))
                return false;
        }
        return true;
    }
    if (op.kind == OpKind::Get) {
        for (const ModelPayload& p : before.payloads) {
            if (p.name == op.name)
                return op.rc == 0 && op.state == p.state && op.status_rc == p.rc;
        }
        return op.rc == -ENOENT;
    }
    (void)after;
    return rc == op.rc;
}

}  // namespace

size_t ModelState::hash() const {
    size_t h = 1469598103934665603ull;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
    for (const ModelPayload& p : payloads) {
        mix(static_cast<uint8_t>(p.name));
        mix(static_cast<uint8_t>(p.file));
        mix(p.state | (p.reverted ? 0x100u : 0u));
        mix(static_cast<uint32_t>(p.rc));
    }
    mix(0xffff);
    for (int8_t n : applied)
        mix(static_cast<uint8_t>(n));
    mix(static_cast<uint8_t>(pending));
    mix(pending_cmd);
    return h;
}

std::string ModelState::describe(const std::vector<std::string>& names, const std::vector<std::string>& files) const {
    std::string out;
    for (const ModelPayload& p : payloads) {
        out += names[static_cast<size_t>(p.name)] + ":" + files[static_cast<size_t>(p.file)] +
               (p.state == kApplied ? " APPLIED" : " CHECKED") + " rc " + std::to_string(p.rc) +
               (p.reverted ? " (reverted)" : "") + ", ";
    }
    out += "stack";
    for (int8_t n : applied)
        out += " " + names[static_cast<size_t>(n)];
    out += "; pending ";
    out += pending < 0 ? std::string("-") : names[static_cast<size_t>(pending)];
    return out;
}

std::vector<ModelState> step(const Facts& facts, const ModelState& s, const Op& op) {
    std::vector<ModelState> starts{s};
    if (s.pending >= 0) {
        starts.push_back(complete_ran(facts, s));
        starts.push_back(complete_timed_out(s));
    }
    // An operation that neither reads nor changes anything the completion touches commutes with
    // it: the completion can as well come after it, so only the state without it is tried (the
    // search then completes the action before some later operation). UPLOAD adds a CHECKED
    // payload no completion looks at; GET and UNLOAD of a payload that every completion leaves
    // as it is, and that is not the pending one, see and do the same either way.
    auto same_everywhere = [&](int name) {
        if (name == s.pending)
            return false;
        const ModelPayload* first = find(const_cast<ModelState&>(starts[0]), name);
        for (size_t i = 1; i < starts.size(); ++i) {
            const ModelPayload* other = find(const_cast<ModelState&>(starts[i]), name);
            if ((first == nullptr) != (other == nullptr) || (first && !(*first == *other)))
                return false;
        }
        return true;
    };
    if (starts.size() > 1 && (op.kind == OpKind::Upload || ((op.kind == OpKind::Get || op.kind == OpKind::Unload) &&
                                                            same_everywhere(op.name))))
        starts.resize(1);
    std::vector<ModelState> out;
    for (const ModelState& from : starts) {
        ModelState to = from;
        const int rc = run(facts, to, op);
        if (!matches(from, to, rc, op))
            continue;
        if (std::find(out.begin(), out.end(), to) == out.end())
            out.push_back(std::move(to));
    }
    return out;
}

}  // namespace stress
