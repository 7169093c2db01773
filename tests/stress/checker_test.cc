// The stress test's checker on hand-written histories: the engine model's rules, and the search
// accepting what some order explains and refusing what none does (including the race of issue 11:
// an UNLOAD of a payload that a scheduled REPLACE is still reverting).
#include <errno.h>

#include <doctest/doctest.h>

#include "engine_model.h"
#include "history.h"
#include "linearizability.h"
#include "livepatch/abi.h"

namespace {

using namespace stress;

constexpr uint32_t kChecked = LIVEPATCH_STATE_CHECKED;
constexpr uint32_t kApplied = LIVEPATCH_STATE_APPLIED;

// Files: 0 plain (safe), 1 not safe to re-apply, 2 stacked on 0, 3 vetoing hooks, 4 expectation.
Facts facts() {
    Facts f;
    f.hypervisor_build_id = "hv";
    f.files = {{"plain", "id0", "hv", true, false, false},
               {"unsafe", "id1", "hv", false, false, false},
               {"stacked", "id2", "id0", true, false, false},
               {"hooks", "id3", "hv", true, true, false},
               {"expect", "id4", "hv", true, false, true}};
    return f;
}

const std::vector<std::string> kNames{"n0", "n1", "n2", "n3", "n4"};

// An operation from t to t + 1 (sequential unless times overlap).
Op op(OpKind kind, int name, int rc, int64_t t, int64_t until = -1) {
    Op o;
    o.kind = kind;
    o.name = name;
    o.rc = rc;
    o.invoked = t;
    o.returned = until < 0 ? t + 1 : until;
    return o;
}
Op upload(int name, int file, int rc, int64_t t) {
    Op o = op(OpKind::Upload, name, rc, t);
    o.file = file;
    return o;
}
Op get(int name, uint32_t state, int32_t status_rc, int64_t t, int64_t until = -1) {
    Op o = op(OpKind::Get, name, 0, t, until);
    o.state = state;
    o.status_rc = status_rc;
    return o;
}
Op list(std::vector<Entry> entries, int64_t t, int64_t until = -1) {
    Op o = op(OpKind::List, 0, 0, t, until);
    o.list = std::move(entries);
    return o;
}

bool linearizable(const History& h) { return linearize(facts(), h, kNames).ok; }

}  // namespace

TEST_SUITE("stress checker") {

TEST_CASE("one client: the model's rules, accepted when followed and refused when not") {
    History h(1);
    h[0] = {upload(0, 0, 0, 0), upload(1, 0, -EEXIST, 2),  // the same build-id under another name
            upload(0, 1, -EEXIST, 4),                      // the same name
            op(OpKind::Apply, 0, 0, 6), get(0, kApplied, 0, 8), op(OpKind::Unload, 0, -EINVAL, 10),
            op(OpKind::Revert, 0, 0, 12), get(0, kChecked, 0, 14), op(OpKind::Unload, 0, 0, 16),
            op(OpKind::Get, 0, -ENOENT, 18)};
    CHECK(linearizable(h));

    // Each change makes one result impossible from every state the earlier ones allow.
    const std::vector<std::pair<size_t, void (*)(Op&)>> changes{
        {1, [](Op& o) { o.rc = 0; }},             // a second payload with the same build-id
        {2, [](Op& o) { o.rc = 0; }},             // a second payload with the same name
        {4, [](Op& o) { o.state = kChecked; }},   // CHECKED with rc 0 after an accepted APPLY
        {5, [](Op& o) { o.rc = 0; }},             // UNLOAD of an applied payload
        {7, [](Op& o) { o.state = kApplied; }},   // APPLIED with rc 0 after an accepted REVERT
        {8, [](Op& o) { o.rc = -EINVAL; }},       // UNLOAD of a checked payload refused
        {9, [](Op& o) { o.rc = 0; }},             // GET finds an unloaded payload
    };
    for (const auto& [index, change] : changes) {
        History wrong = h;
        change(wrong[0][index]);
        INFO("operation ", index, " changed: ", describe(wrong[0][index], kNames));
        CHECK_FALSE(linearizable(wrong));
    }
}

TEST_CASE("GET shows -EAGAIN while an action is scheduled, then its outcome; a timed-out rendezvous is -EBUSY") {
    History h(1);
    h[0] = {upload(0, 0, 0, 0), op(OpKind::Apply, 0, 0, 2), get(0, kChecked, -EAGAIN, 4),
            get(0, kChecked, -EBUSY, 6), op(OpKind::Apply, 0, 0, 8), get(0, kApplied, 0, 10)};
    CHECK(linearizable(h));
    h[0][3] = get(0, kApplied, -EBUSY, 6);  // a timeout changes nothing
    CHECK_FALSE(linearizable(h));
    // The window owns the engine state until its outcome is recorded (post hooks included): no
    // GET sees the new state with the rc still -EAGAIN (issue 11 §1), as on Xen, which stores the
    // rc inside the window (xen/common/livepatch.c:1610) before the post hooks (:1828-1846).
    h[0] = {upload(0, 0, 0, 0), op(OpKind::Apply, 0, 0, 2), get(0, kApplied, -EAGAIN, 4), get(0, kApplied, 0, 6)};
    CHECK_FALSE(linearizable(h));
    h[0][2] = get(0, kChecked, -EAGAIN, 4);
    CHECK(linearizable(h));
}

TEST_CASE("stack, dependencies, re-apply guard, REPLACE refusals and its failed expectation") {
    History h(1);
    h[0] = {upload(0, 0, 0, 0), upload(1, 2, 0, 2),
            op(OpKind::Apply, 1, -EINVAL, 4),  // stacked on 0, which is not applied
            op(OpKind::Apply, 0, 0, 6), op(OpKind::Apply, 1, 0, 8),
            op(OpKind::Revert, 0, -EBUSY, 10),  // not the top
            op(OpKind::Replace, 1, 0, 12),      // already applied: nothing to do
            upload(2, 3, 0, 14), op(OpKind::Replace, 2, -EOPNOTSUPP, 16),
            upload(3, 4, 0, 18), op(OpKind::Apply, 3, -EINVAL, 20),  // the expectation
            op(OpKind::Replace, 3, 0, 22), get(3, kChecked, -EINVAL, 24),  // failed in the window
            list({{0, kApplied, 0}, {1, kApplied, 0}, {2, kChecked, 0}, {3, kChecked, -EINVAL}}, 26),
            upload(4, 1, 0, 28), op(OpKind::Revert, 1, 0, 30), op(OpKind::Revert, 0, 0, 32),
            op(OpKind::Apply, 4, 0, 34), op(OpKind::Revert, 4, 0, 36),
            op(OpKind::Apply, 4, 0, 38), get(4, kChecked, -EINVAL, 40)};  // not safe to re-apply
    CHECK(linearizable(h));
    h[0][13].list[1].state = kChecked;  // REPLACE's failure left the stack as it was
    CHECK_FALSE(linearizable(h));
}

TEST_CASE("concurrent operations: some order explains them, or none does") {
    History h(2);
    h[0] = {upload(0, 0, 0, 0), op(OpKind::Apply, 0, 0, 10, 20)};
    // A GET overlapping the APPLY may see it before, scheduled, or done.
    for (const Op& g : {get(0, kChecked, 0, 12, 14), get(0, kChecked, -EAGAIN, 12, 30), get(0, kApplied, 0, 12, 30)}) {
        h[1] = {g};
        CHECK(linearizable(h));
    }
    // ... but not done before the APPLY was invoked.
    h[1] = {get(0, kApplied, 0, 2, 5)};
    CHECK_FALSE(linearizable(h));
}

TEST_CASE("the race of issue 11: UNLOAD succeeds on a payload a scheduled REPLACE is reverting") {
    // n0 applied; n1 (whose expectation fails) replaces it; while the REPLACE is scheduled,
    // another connection unloads n0. In Xen no sysctl runs inside the window, so n0 is APPLIED
    // whenever an UNLOAD can see it, and the failed REPLACE leaves it applied: -EINVAL.
    History h(2);
    h[0] = {upload(0, 0, 0, 0), op(OpKind::Apply, 0, 0, 2), get(0, kApplied, 0, 4), upload(1, 4, 0, 6),
            op(OpKind::Replace, 1, 0, 8), get(1, kChecked, -EINVAL, 30)};
    h[1] = {op(OpKind::Unload, 0, -EINVAL, 10, 20)};
    CHECK(linearizable(h));
    h[1][0].rc = 0;  // what the engine did before the fix
    CHECK_FALSE(linearizable(h));
}

}  // TEST_SUITE
