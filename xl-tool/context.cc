#include "context.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "duration.h"
#include "errors.h"
#include "watchdog.h"

namespace livepatch::tool {

Context::Context(Options opts) : m_opts(std::move(opts)) {}

Context::~Context() = default;

int exit_code_for(int ret) {
    if (ret == 0)
        return 0;
    if (ret == EAGAIN || ret == EBUSY)
        return 2;
    return 1;
}

void Context::out(const std::string& text) {
    if (!m_opts.json) {
        fwrite(text.data(), 1, text.size(), stdout);
        fflush(stdout);
    }
    if (!text.empty())
        m_line_open = text.back() != '\n';
}

void Context::err(const std::string& text) const {
    fwrite(text.data(), 1, text.size(), stderr);
    fflush(stderr);
}

void Context::diag(const std::string& line) const { err("xen-livepatch: " + line + "\n"); }

Backend* Context::backend(int* rc) {
    if (m_backend) {
        *rc = 0;
        return m_backend.get();
    }
    if (m_backend_failed) {
        *rc = m_backend_rc;
        return nullptr;
    }
    BackendKind chosen = choose_backend(m_opts.backend, m_opts.socket_given, xen_privcmd_present());
    m_backend_kind = chosen == BackendKind::kXen ? "xen" : "hosted";
    m_doc["backend"] = m_backend_kind;
    m_watchdog = std::make_unique<CallWatchdog>(m_opts.call_timeout_ns,
                                                [this](const CallSite& site) { on_call_timeout(site); });
    std::string why;
    int orc = 0;
    {
        const WatchedCall w(*m_watchdog, {"connect", ""});
        m_backend = open_backend(chosen, m_opts.socket, &chosen, &orc, &why);
    }
    if (m_backend) {
        m_backend = watch_backend(std::move(m_backend), *m_watchdog);
        *rc = 0;
        return m_backend.get();
    }
    m_backend_failed = true;
    m_backend_rc = orc ? orc : -ENODEV;
    *rc = m_backend_rc;
    err("failed to get the handler\n");  // Xen's words; Xen then exits 0, this tool fails
    std::string hint;
    if (chosen == BackendKind::kHosted)
        hint = " (is hosted-hypervisor running? give its socket with --socket or XEN_LIVEPATCH_SOCKET, or "
               "use --backend=xen on a Xen host)";
    report_failure(*this, m_doc, Failure{"connect", false, m_backend_rc, "", why + hint});
    return nullptr;
}

void Context::on_call_timeout(const CallSite& site) {
    if (m_line_open)
        out("failed\n");
    if (site.step == "connect")
        err("failed to get the handler\n");  // as for any other failure to open the backend
    report_failure(*this, m_doc,
                   Failure{site.step, false, -ETIMEDOUT, site.subject,
                           "the hypervisor did not answer within " + format_duration(m_opts.call_timeout_ns) +
                               " (" + kCallTimeoutVariable + "): it is stopped or wedged; whether the call took "
                               "effect is not known: look with 'xen-livepatch list' once it answers"});
    _exit(finish(ETIMEDOUT));
}

int Context::finish(int ret) {
    const int code = exit_code_for(ret);
    if (m_opts.json) {
        Json out = Json::object();
        out["command"] = m_doc.contains("command") ? m_doc["command"] : Json(command);
        out["ok"] = code == 0;
        out["exit_code"] = code;
        for (auto it = m_doc.begin(); it != m_doc.end(); ++it) {
            if (it.key() != "command")
                out[it.key()] = it.value();
        }
        if (!out.contains("backend"))
            out["backend"] = nullptr;
        if (!out.contains("error"))
            out["error"] = nullptr;
        if (!out.contains("rc")) {  // every document has the command's result (docs/xen-livepatch.md)
            const bool failed = out["error"].is_object();
            out["rc"] = failed ? out["error"]["rc"] : Json(0);
            out["rc_name"] = failed ? out["error"]["rc_name"] : Json("OK");
        }
        const std::string text = out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
        fwrite(text.data(), 1, text.size(), stdout);
        fflush(stdout);
    }
    return code;
}

}  // namespace livepatch::tool
