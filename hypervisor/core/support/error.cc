#include <string.h>

#include "core/support/cstring.h"
#include "core/support/format.h"
#include "livepatch/errc.h"
#include "livepatch/result.h"

namespace livepatch {

const char* errc_name(Errc e) noexcept {
    struct Name {
        Errc code;
        const char* name;
    };
    // Xen's table, in its order; for aliases (EWOULDBLOCK = EAGAIN) the first name wins.
    static constexpr Name kNames[] = {
#define XEN_ERRNO(name, value) {Errc::k##name, #name},
#include <xen/errno.h>
    };
    if (e == Errc::ok)
        return "OK";
    for (const Name& n : kNames) {
        if (n.code == e)
            return n.name;
    }
    return "E?";
}

Error& Error::set_subject(Subject s, uint32_t index, const char* name) noexcept {
    m_subject = s;
    m_index = index;
    str_copy(m_name, sizeof(m_name), name ? name : "");
    return *this;
}

Error& Error::section(uint32_t index, const char* name) noexcept { return set_subject(Subject::section, index, name); }
Error& Error::symbol(uint32_t index, const char* name) noexcept { return set_subject(Subject::symbol, index, name); }
Error& Error::function(uint32_t index, const char* name) noexcept {
    return set_subject(Subject::function, index, name);
}
Error& Error::relocation(uint32_t index, const char* rela_section_name) noexcept {
    return set_subject(Subject::relocation, index, rela_section_name);
}
Error& Error::header() noexcept { return set_subject(Subject::header, 0, nullptr); }

Error& Error::value(uint64_t v) noexcept {
    m_has_value = true;
    m_value = v;
    return *this;
}

Error& Error::payload(const char* name) noexcept {
    str_copy(m_payload, sizeof(m_payload), name ? name : "");
    return *this;
}

size_t Error::format(char* buf, size_t len) const noexcept {
    if (!len)
        return 0;
    TextBuilder t(buf, len);
    if (m_payload[0])
        t.str(m_payload).str(": ");
    switch (m_subject) {
    case Subject::none:
    case Subject::payload:
        break;
    case Subject::header:
        t.str("ELF header: ");
        break;
    case Subject::section:
        t.str("section [").dec(m_index).str("]");
        if (m_name[0])
            t.str(" '").str(m_name).str("'");
        t.str(": ");
        break;
    case Subject::symbol:
        t.str("symbol [").dec(m_index).str("]");
        if (m_name[0])
            t.str(" '").str(m_name).str("'");
        t.str(": ");
        break;
    case Subject::function:
        t.str("function [").dec(m_index).str("]");
        if (m_name[0])
            t.str(" '").str(m_name).str("'");
        t.str(": ");
        break;
    case Subject::relocation:
        t.str("relocation [").dec(m_index).str("]");
        if (m_name[0])
            t.str(" in '").str(m_name).str("'");
        t.str(": ");
        break;
    }
    t.str(m_rule);
    if (m_has_value)
        t.str(" (value ").hex(m_value).str(")");
    t.str(" [-").str(errc_name(m_code)).str("]");
    return t.length();
}

}  // namespace livepatch
