#include "core/engine/engine.h"

#include <string.h>

#include <new>

#include "arch/arch.h"
#include "core/loader/loader.h"
#include "core/support/cstring.h"
#include "core/support/format.h"
#include "livepatch/livepatch.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

// Hook signatures: pre and action hooks return an rc; post hooks return nothing. They receive
// the engine's payload (Xen passes its own struct payload).
using RcHook = int (*)(Payload*);
using PostHook = void (*)(Payload*);

// The engine lives in static storage constructed by livepatch_init() (or the first instance()
// call) and is never destroyed: a hypervisor does not exit, and a global with a destructor would
// pull in the C++ runtime's atexit machinery.
alignas(Engine) unsigned char g_engine_storage[sizeof(Engine)];
Engine* g_engine = nullptr;

const char* action_name(uint32_t cmd) noexcept {
    switch (cmd) {
    case LIVEPATCH_ACTION_APPLY:
        return "APPLY";
    case LIVEPATCH_ACTION_REVERT:
        return "REVERT";
    case LIVEPATCH_ACTION_REPLACE:
        return "REPLACE";
    case LIVEPATCH_ACTION_UNLOAD:
        return "UNLOAD";
    }
    return "?";
}

void log_line(port::LogLevel level, const char* a, const char* b, const char* c, int64_t rc, bool with_rc) noexcept {
    char line[256];
    TextBuilder t(line, sizeof line);
    t.str("livepatch: ").str(a).str(b).str(c);
    if (with_rc)
        t.sdec(rc);
    port::log(level, line);
}

}  // namespace

Engine& Engine::instance() noexcept {
    // livepatch_init() runs this at boot, before any CPU reaches a safe point.
    if (Engine* e = __atomic_load_n(&g_engine, __ATOMIC_ACQUIRE))
        return *e;
    Engine* e = new (g_engine_storage) Engine();
    __atomic_store_n(&g_engine, e, __ATOMIC_RELEASE);
    return *e;
}

void livepatch_init() noexcept { Engine::instance(); }

void livepatch_check_work() noexcept {
    if (Engine* e = __atomic_load_n(&g_engine, __ATOMIC_ACQUIRE))
        e->check_work(port::this_cpu());
}

int32_t check_expectations(const Payload& p) noexcept {
    for (const livepatch_func& f : p.funcs()) {
        const livepatch_expectation& e = f.expect;
        if (!e.enabled())
            continue;
        if (!f.old_addr)
            return to_xen_rc(Errc::kEFAULT);
        if (e.len() > kOpaqueSize)
            return to_xen_rc(Errc::kEOVERFLOW);
        if (e.rsv())
            return to_xen_rc(Errc::kEINVAL);
        if (f.old_size < e.len())
            return to_xen_rc(Errc::kERANGE);
        if (memcmp(reinterpret_cast<const void*>(f.old_addr), e.data, e.len()) != 0) {
            log_line(port::LogLevel::error, p.name(), ": expectation failed for ",
                     f.name ? reinterpret_cast<const char*>(f.name) : "?", 0, false);
            return to_xen_rc(Errc::kEINVAL);
        }
    }
    return 0;
}

void Engine::set_limits(const Limits& limits) noexcept {
    SpinGuard g(m_lock);
    m_limits = limits;
}

Engine::Limits Engine::limits() const noexcept {
    SpinGuard g(m_lock);
    return m_limits;
}

uint64_t Engine::payload_bytes(const Payload& p) noexcept { return p.text().size + p.rw().size + p.ro().size; }

int32_t Engine::check_count(const char* name) const noexcept {
    const uint32_t max = m_limits.max_payloads;
    if (!max || m_payloads.count() < max)
        return 0;
    char line[256];
    TextBuilder t(line, sizeof line);
    t.str("livepatch: ").str(name).str(": refused: ").dec(m_payloads.count()).str(" payloads are loaded, the limit is ").dec(max);
    port::log(port::LogLevel::error, line);
    return to_xen_rc(Errc::kENOSPC);
}

int32_t Engine::check_upload(const char* name) noexcept {
    SpinGuard g(m_lock);
    if (m_payloads.find(name))
        return to_xen_rc(Errc::kEEXIST);
    return check_count(name);
}

Status Engine::upload(const char* name, Bytes file) noexcept {
    SpinGuard g(m_lock);
    if (m_payloads.find(name))
        return fail(Errc::kEEXIST, "a payload with this name is already loaded").payload(name);
    if (check_count(name))
        return fail(Errc::kENOSPC, "the payload count limit is reached").payload(name);
    Owned<Payload> p = LP_TRY(load_payload(name, file, m_payloads));
    const uint64_t bytes = payload_bytes(*p);
    if (m_limits.max_bytes && (bytes > m_limits.max_bytes || m_loaded_bytes > m_limits.max_bytes - bytes)) {
        char line[256];
        TextBuilder t(line, sizeof line);
        t.str("livepatch: ").str(name).str(": refused: its ").dec(bytes).str(" bytes would bring loaded payloads to ")
            .dec(m_loaded_bytes + bytes).str(" bytes, the limit is ").dec(m_limits.max_bytes);
        port::log(port::LogLevel::error, line);
        return fail(Errc::kENOMEM, "the payload memory limit is reached").payload(name);
    }
    p->m_state = kStateChecked;
    for (Payload* used : p->uses())
        ++used->m_users;
    m_loaded_bytes += bytes;
    m_payloads.add(std::move(p));
    ++m_version;
    log_line(port::LogLevel::info, name, ": uploaded", "", 0, false);
    return success();
}

Status Engine::get(const char* name, uint32_t* state, int32_t* rc) noexcept {
    SpinGuard g(m_lock);
    const Payload* p = m_payloads.find(name);
    if (!p)
        return fail(Errc::kENOENT, "no payload with this name").payload(name);
    *state = p->m_state;
    *rc = p->rc();
    return success();
}

int32_t Engine::check_depends(const Payload* p, bool against_hypervisor) const noexcept {
    const uint8_t* id = nullptr;
    uint32_t len = 0;
    const char* against = "hypervisor";
    if (against_hypervisor) {
        if (!port::hypervisor_build_id(&id, &len))
            return to_xen_rc(Errc::kENODATA);
    } else {
        id = m_applied_tail->build_id().bytes;
        len = m_applied_tail->build_id().len;
        against = m_applied_tail->name();
    }
    if (!p->depends().equals(id, len)) {
        log_line(port::LogLevel::error, p->name(), ": build-id dependency check failed against ", against, 0,
                 false);
        return to_xen_rc(Errc::kEINVAL);
    }
    return 0;
}

int32_t Engine::action(const char* name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) noexcept {
    SpinGuard g(m_lock);
    // Under the lock no action is half-way: the rendezvous master holds it from the window to
    // the recorded outcome, so one still busy now has not started (or has failed before its
    // window and is about to record that).
    Payload* p = m_payloads.find(name);
    if (!p)
        return to_xen_rc(Errc::kENOENT);
    if (m_rendezvous.busy() && m_work_payload == p)
        return to_xen_rc(Errc::kEBUSY);  // Xen: is_work_scheduled

    switch (cmd) {
    case LIVEPATCH_ACTION_UNLOAD: {
        if (p->m_state != kStateChecked)
            return to_xen_rc(Errc::kEINVAL);
        if (p->m_users) {
            // Unlike Xen, which would free code another payload calls or patches.
            log_line(port::LogLevel::error, name, ": can't unload: a loaded payload links against it or patches it", "",
                     0, false);
            return to_xen_rc(Errc::kEBUSY);
        }
        Owned<Payload> gone = m_payloads.remove(name);
        for (Payload* used : gone->uses())
            --used->m_users;
        m_loaded_bytes -= payload_bytes(*gone);
        ++m_version;
        log_line(port::LogLevel::info, name, ": unloaded", "", 0, false);
        return 0;
    }
    case LIVEPATCH_ACTION_REVERT: {
        if (p->m_state != kStateApplied)
            return 0;  // already reverted: nothing to do
        if (p != m_applied_tail) {
            log_line(port::LogLevel::error, p->name(), ": can't revert, the top of the stack is ",
                     m_applied_tail->name(), 0, false);
            return to_xen_rc(Errc::kEBUSY);
        }
        if (const int32_t rc = refuse_while_scheduled(p))
            return rc;
        if (p->m_hooks.prerevert) {
            const int rc = reinterpret_cast<RcHook>(p->m_hooks.prerevert)(p);
            if (rc) {
                p->m_last = ActionRecord{};
                p->m_last.cmd = cmd;
                p->m_last.rc = rc;
                p->m_last.vetoed = true;
                __atomic_store_n(&p->m_rc, rc, __ATOMIC_RELEASE);
                log_line(port::LogLevel::error, p->name(), ": pre-revert hook vetoed, rc=", "", rc, true);
                return rc;  // Xen: data->rc = rc, and livepatch_action returns it
            }
        }
        return schedule(p, cmd, timeout_ns);
    }
    case LIVEPATCH_ACTION_APPLY: {
        if (p->m_state != kStateChecked)
            return 0;  // already applied
        if (p->m_reverted && !p->safe_to_reapply()) {
            log_line(port::LogLevel::error, p->name(), ": cannot be re-applied: unload and upload it again", "", 0,
                     false);
            __atomic_store_n(&p->m_rc, to_xen_rc(Errc::kEINVAL), __ATOMIC_RELEASE);
            return 0;
        }
        if (!(flags & LIVEPATCH_ACTION_APPLY_NODEPS)) {
            const int32_t rc = check_depends(p, m_applied_tail == nullptr);
            if (rc)
                return rc;
        }
        if (const int32_t rc = check_expectations(*p))
            return rc;
        if (const int32_t rc = refuse_while_scheduled(p))
            return rc;
        if (p->m_hooks.preapply) {
            const int rc = reinterpret_cast<RcHook>(p->m_hooks.preapply)(p);
            if (rc) {
                p->m_last = ActionRecord{};
                p->m_last.cmd = cmd;
                p->m_last.rc = rc;
                p->m_last.vetoed = true;
                __atomic_store_n(&p->m_rc, rc, __ATOMIC_RELEASE);
                log_line(port::LogLevel::error, p->name(), ": pre-apply hook vetoed, rc=", "", rc, true);
                return rc;  // Xen: data->rc = rc, and livepatch_action returns it
            }
        }
        return schedule(p, cmd, timeout_ns);
    }
    case LIVEPATCH_ACTION_REPLACE: {
        if (p->m_state != kStateChecked)
            return 0;
        if (const int32_t rc = check_depends(p, true))
            return rc;
        auto vetoing = [](const Payload* q) {
            return q->m_hooks.preapply || q->m_hooks.postapply || q->m_hooks.prerevert || q->m_hooks.postrevert;
        };
        if (vetoing(p))
            return to_xen_rc(Errc::kEOPNOTSUPP);
        for (const Payload* q = m_applied_head; q; q = q->applied_next) {
            if (vetoing(q))
                return to_xen_rc(Errc::kEOPNOTSUPP);
        }
        return schedule(p, cmd, timeout_ns);
    }
    default:
        return to_xen_rc(Errc::kEOPNOTSUPP);
    }
}

bool Engine::plan(Payload* p) noexcept {
    for (size_t i = 0; i < p->m_funcs.size(); ++i) {
        FuncState& st = p->m_fstate[i];
        if (st.applied)
            continue;
        if (!arch::plan_patch(p->m_funcs[i], &st).ok())
            return false;
    }
    return true;
}

int32_t Engine::refuse_while_scheduled(const Payload* p) const noexcept {
    if (!m_rendezvous.busy())
        return 0;
    log_line(port::LogLevel::error, p->name(), ": another action is still scheduled", "", 0, false);
    return to_xen_rc(Errc::kEBUSY);  // Xen: "an operation is already scheduled"
}

int32_t Engine::schedule(Payload* p, uint32_t cmd, uint32_t timeout_ns) noexcept {
    if (const int32_t rc = refuse_while_scheduled(p))
        return rc;
    if (cmd != LIVEPATCH_ACTION_REVERT && !plan(p))
        return to_xen_rc(Errc::kEOVERFLOW);
    const int32_t previous_rc = p->rc();
    __atomic_store_n(&p->m_rc, to_xen_rc(Errc::kEAGAIN), __ATOMIC_RELEASE);
    m_work_payload = p;
    m_work_cmd = cmd;
    const int32_t rc = m_rendezvous.schedule(&Engine::run_action, &Engine::action_done, this, timeout_ns, &m_lock);
    if (rc) {
        // Unlike Xen, a refused schedule does not leave the payload reporting -EAGAIN forever.
        __atomic_store_n(&p->m_rc, previous_rc, __ATOMIC_RELEASE);
        m_work_payload = nullptr;
    }
    return rc;
}

void Engine::applied_push(Payload* p) noexcept {
    p->applied_next = nullptr;
    p->applied_prev = m_applied_tail;
    if (m_applied_tail)
        m_applied_tail->applied_next = p;
    else
        m_applied_head = p;
    m_applied_tail = p;
}

void Engine::applied_remove(Payload* p) noexcept {
    if (p->applied_prev)
        p->applied_prev->applied_next = p->applied_next;
    else
        m_applied_head = p->applied_next;
    if (p->applied_next)
        p->applied_next->applied_prev = p->applied_prev;
    else
        m_applied_tail = p->applied_prev;
    p->applied_prev = p->applied_next = nullptr;
}

// --- inside the window: every CPU held, interrupts off, the engine lock held by the master -----

int32_t Engine::apply_payload(Payload* p) noexcept {
    for (VoidHook h : p->m_hooks.load)
        h();
    if (p->m_hooks.apply) {
        const int rc = reinterpret_cast<RcHook>(p->m_hooks.apply)(p);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < p->m_funcs.size(); ++i) {
        FuncState& st = p->m_fstate[i];
        if (st.applied || !st.len)
            continue;
        const uint64_t site = st.site(p->m_funcs[i]);
        memcpy(st.saved, reinterpret_cast<const void*>(site), st.len);
        port::text_write(site, st.insn, st.len);
        st.applied = true;
    }
    p->m_state = kStateApplied;
    applied_push(p);
    return 0;
}

int32_t Engine::revert_payload(Payload* p) noexcept {
    if (p->m_hooks.revert) {
        const int rc = reinterpret_cast<RcHook>(p->m_hooks.revert)(p);
        if (rc)
            return rc;  // the revert hook refused: nothing is reverted
    }
    for (size_t i = p->m_funcs.size(); i-- > 0;) {
        FuncState& st = p->m_fstate[i];
        if (!st.applied)
            continue;
        port::text_write(st.site(p->m_funcs[i]), st.saved, st.len);
        st.applied = false;
    }
    for (VoidHook h : p->m_hooks.unload)
        h();
    p->m_state = kStateChecked;
    p->m_reverted = true;
    applied_remove(p);
    return 0;
}

int32_t Engine::do_replace(Payload* p) noexcept {
    // Revert every applied payload, newest first, remembering them (and whether each had been
    // reverted before) to restore them on failure.
    Payload* reverted = nullptr;  // chained through applied_next, oldest first
    int32_t rc = 0;
    while (Payload* top = m_applied_tail) {
        const bool was_reverted = top->m_reverted;
        if (revert_payload(top) != 0) {
            rc = to_xen_rc(Errc::kEINVAL);  // Xen: a refusing revert hook aborts REPLACE
            break;
        }
        top->m_reverted = was_reverted;  // provisional until the new payload is in
        top->applied_next = reverted;
        reverted = top;
    }
    if (!rc)
        rc = check_expectations(*p);
    if (!rc)
        rc = apply_payload(p);
    if (rc) {
        // Unlike Xen, which leaves everything reverted, put the previous set back as it was.
        while (reverted) {
            Payload* q = reverted;
            reverted = q->applied_next;
            q->applied_next = nullptr;
            if (apply_payload(q) != 0)
                log_line(port::LogLevel::error, q->name(), ": could not be re-applied after a failed REPLACE", "",
                         0, false);
        }
        return rc;
    }
    for (Payload* q = reverted; q;) {
        Payload* n = q->applied_next;
        q->applied_next = nullptr;
        q->m_reverted = true;
        __atomic_store_n(&q->m_rc, 0, __ATOMIC_RELEASE);
        q = n;
    }
    return 0;
}

int32_t Engine::run_action(void* ctx) noexcept {
    Engine* e = static_cast<Engine*>(ctx);
    Payload* p = e->m_work_payload;
    const uint32_t cmd = e->m_work_cmd;
    if (cmd == LIVEPATCH_ACTION_APPLY || cmd == LIVEPATCH_ACTION_REPLACE) {
        if (const int err = port::safety_check())
            return -err;
    }
    // Text is writable only from here, every CPU held, to text_write_end below, before they are
    // released (Xen: arch_livepatch_quiesce / arch_livepatch_revive inside apply_payload and
    // revert_payload). Nothing runs, and nothing is written, when it cannot be opened.
    if (const int err = port::text_write_begin()) {
        log_line(port::LogLevel::error, p->name(), ": cannot make text writable, rc=", "", -err, true);
        return -err;
    }
    int32_t rc = to_xen_rc(Errc::kEOPNOTSUPP);
    switch (cmd) {
    case LIVEPATCH_ACTION_APPLY:
        rc = e->apply_payload(p);
        break;
    case LIVEPATCH_ACTION_REVERT:
        rc = e->revert_payload(p);
        break;
    case LIVEPATCH_ACTION_REPLACE:
        rc = e->do_replace(p);
        break;
    }
    port::text_write_end();
    return rc;
}

void Engine::action_done(void* ctx, const RendezvousReport& report) noexcept {
    Engine* e = static_cast<Engine*>(ctx);
    Payload* p = e->m_work_payload;

    ActionRecord& rec = p->m_last;
    rec.cmd = e->m_work_cmd;
    rec.rc = report.rc;
    rec.gather_ns = report.gather_ns;
    rec.window_ns = report.window_ns;
    rec.patch_ns = report.action_ns;
    rec.cpus = report.cpus;
    rec.irq_phase = report.irq_phase;
    rec.nr_missing = report.nr_missing;
    memcpy(rec.missing, report.missing, sizeof rec.missing);

    // The final rc is stored first, so the post hooks see it (Xen sets data->rc in
    // livepatch_do_action, xen/common/livepatch.c:1610, before it calls them, :1832, :1842).
    __atomic_store_n(&p->m_rc, report.rc, __ATOMIC_RELEASE);

    // Post hooks run outside the window, when the action itself ran (as in Xen: not after a
    // rendezvous timeout).
    if (report.action_ran) {
        if (e->m_work_cmd == LIVEPATCH_ACTION_APPLY && p->m_hooks.postapply)
            reinterpret_cast<PostHook>(p->m_hooks.postapply)(p);
        if (e->m_work_cmd == LIVEPATCH_ACTION_REVERT && p->m_hooks.postrevert)
            reinterpret_cast<PostHook>(p->m_hooks.postrevert)(p);
    }

    e->log_action(p, action_name(e->m_work_cmd), report.rc);
}

void Engine::log_action(const Payload* p, const char* what, int32_t rc) const noexcept {
    char line[256];
    TextBuilder t(line, sizeof line);
    t.str("livepatch: ").str(p->name()).str(" finished ").str(what).str(" with rc=").sdec(rc);
    if (p->m_last.nr_missing) {
        t.str(p->m_last.irq_phase ? " (CPUs that did not check in with interrupts off:"
                                  : " (CPUs not at a safe point:");
        for (unsigned c = 0; c < port::kMaxCpus; ++c) {
            if (p->m_last.cpu_missing(c))
                t.str(" ").dec(c);
        }
        t.str(")");
    }
    port::log(rc ? port::LogLevel::error : port::LogLevel::info, line);
}

}  // namespace livepatch
