// Engine: the payload state machine with Xen's semantics (common/livepatch.c livepatch_action,
// do_livepatch_work, apply/revert/replace). One instance per hypervisor, reached through
// Engine::instance(). Every public member takes the engine lock (Xen: payload_lock) except
// check_work(), which is the lock-free safe-point hook, and busy().
//
// The patch window owns the engine's state: the rendezvous master takes the engine lock once
// every CPU is held (or, when the rendezvous failed, before recording that) and keeps it through
// the action, the post hooks and the recorded outcome. So a hypercall served by a thread that is
// not a CPU (the hosted hypervisor's control socket) sees an action either scheduled and not
// started (GET: rc -EAGAIN) or finished, never half-way; it waits while the window is open.
#pragma once

#include <stdint.h>

#include "core/payload/payload.h"
#include "core/payload/payload_list.h"
#include "core/support/spinlock.h"
#include "core/sync/rendezvous.h"
#include "livepatch/result.h"
#include "livepatch/span.h"

namespace livepatch {

class Engine {
public:
    static Engine& instance() noexcept;

    // Quotas on loaded payloads (beyond Xen, which has none): how many may be loaded, and how
    // many bytes of payload memory (text, rw and ro regions) they may hold together; 0 means
    // unlimited. Checked at UPLOAD only: lowering a limit unloads nothing.
    struct Limits {
        uint32_t max_payloads = kDefaultMaxPayloads;
        uint64_t max_bytes = kDefaultMaxBytes;
    };
    static constexpr uint32_t kDefaultMaxPayloads = 256;
    static constexpr uint64_t kDefaultMaxBytes = uint64_t{256} << 20;
    void set_limits(const Limits& limits) noexcept;
    Limits limits() const noexcept;

    // UPLOAD's checks before the file is copied in (Xen: livepatch_upload looks the name up
    // before copying): -EEXIST for a loaded name, -ENOSPC (logged, naming the limit) when the
    // payload count limit is reached; else 0.
    int32_t check_upload(const char* name) noexcept;

    // UPLOAD: loads and checks `file` as payload `name` (1..127 characters, validated by the
    // caller). -EEXIST for a duplicate name or build-id; -ENOSPC / -ENOMEM (logged) when the
    // payload would pass the count / bytes limit; the loader's errors otherwise.
    Status upload(const char* name, Bytes file) noexcept;

    // GET: state and rc of payload `name`; -ENOENT when there is none.
    Status get(const char* name, uint32_t* state, int32_t* rc) noexcept;

    // ACTION: UNLOAD, REVERT, APPLY or REPLACE with Xen's rules and return codes (digest §1, §3).
    // Returns the hypercall's rc: 0 when the action was scheduled (GET then reports -EAGAIN
    // until it completes) or was a no-op; a negative errno when refused outright.
    int32_t action(const char* name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) noexcept;

    // LIST support: calls `fn(index, payload)` for payloads idx .. idx+max-1 under the lock and
    // returns how many it visited; *count and *version describe the whole list.
    template <class Fn>
    uint32_t list(uint32_t idx, uint32_t max, uint32_t* count, uint32_t* version, Fn fn) noexcept {
        SpinGuard g(m_lock);
        *count = static_cast<uint32_t>(m_payloads.count());
        *version = m_version;
        uint32_t i = 0, visited = 0;
        for (const Payload* p = m_payloads.first(); p && visited < max; p = p->next, ++i) {
            if (i < idx)
                continue;
            if (!fn(i, *p))
                break;
            ++visited;
        }
        return visited;
    }

    // Runs `fn(payload)` on payload `name` under the lock; false when there is none.
    template <class Fn>
    bool with_payload(const char* name, Fn fn) noexcept {
        SpinGuard g(m_lock);
        const Payload* p = m_payloads.find(name);
        if (p)
            fn(*p);
        return p != nullptr;
    }

    // The safe-point hook (see livepatch_check_work).
    void check_work(unsigned cpu) noexcept { m_rendezvous.check(cpu); }

    // True while an action is scheduled or running (a lock-free snapshot).
    bool busy() const noexcept { return m_rendezvous.busy(); }

    // The applied stack, bottom first (for diagnostics; read under no lock only when idle).
    const Payload* applied_bottom() const noexcept { return m_applied_head; }

private:
    // -EBUSY (logged) while another action is scheduled or running, else 0.
    int32_t refuse_while_scheduled(const Payload* p) const noexcept;
    int32_t schedule(Payload* p, uint32_t cmd, uint32_t timeout_ns) noexcept;
    static int32_t run_action(void* ctx) noexcept;
    static void action_done(void* ctx, const RendezvousReport& report) noexcept;
    int32_t apply_payload(Payload* p) noexcept;
    int32_t revert_payload(Payload* p) noexcept;
    int32_t do_replace(Payload* p) noexcept;
    int32_t check_depends(const Payload* p, bool against_hypervisor) const noexcept;
    bool plan(Payload* p) noexcept;
    void applied_push(Payload* p) noexcept;
    void applied_remove(Payload* p) noexcept;
    void log_action(const Payload* p, const char* what, int32_t rc) const noexcept;
    int32_t check_count(const char* name) const noexcept;
    static uint64_t payload_bytes(const Payload& p) noexcept;

    mutable Spinlock m_lock;
    PayloadList m_payloads;
    Payload* m_applied_head = nullptr;
    Payload* m_applied_tail = nullptr;
    uint32_t m_version = 1;
    Limits m_limits;
    uint64_t m_loaded_bytes = 0;  // regions of every loaded payload
    Rendezvous m_rendezvous;
    // The work in flight (valid while m_rendezvous.busy(); written under the lock by schedule,
    // read by the master, which holds the lock).
    Payload* m_work_payload = nullptr;
    uint32_t m_work_cmd = 0;
};

// Checks a payload's expectations against live text (Xen: livepatch_check_expectations):
// 0, or -EFAULT (no old_addr), -EOVERFLOW (len > 31), -EINVAL (reserved bits, or a mismatch),
// -ERANGE (len > old_size).
int32_t check_expectations(const Payload& p) noexcept;

}  // namespace livepatch
