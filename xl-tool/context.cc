#include "context.h"

#include <errno.h>
#include <stdio.h>

#include "errors.h"

namespace livepatch::tool {

int exit_code_for(int ret) {
    if (ret == 0)
        return 0;
    if (ret == EAGAIN || ret == EBUSY)
        return 2;
    return 1;
}

void Context::out(const std::string& text) const {
    if (!m_opts.json) {
        fwrite(text.data(), 1, text.size(), stdout);
        fflush(stdout);
    }
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
    BackendKind chosen = BackendKind::kHosted;
    std::string why;
    int orc = 0;
    m_backend = open_backend(m_opts.backend, m_opts.socket, &chosen, &orc, &why);
    m_backend_kind = chosen == BackendKind::kXen ? "xen" : "hosted";
    m_doc["backend"] = m_backend_kind;
    if (m_backend) {
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
        const std::string text = out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
        fwrite(text.data(), 1, text.size(), stdout);
        fflush(stdout);
    }
    return code;
}

}  // namespace livepatch::tool
