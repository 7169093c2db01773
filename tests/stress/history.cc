#include "history.h"

namespace stress {

const char* op_kind_name(OpKind k) {
    switch (k) {
    case OpKind::Upload:
        return "UPLOAD";
    case OpKind::Apply:
        return "APPLY";
    case OpKind::Revert:
        return "REVERT";
    case OpKind::Replace:
        return "REPLACE";
    case OpKind::Unload:
        return "UNLOAD";
    case OpKind::Get:
        return "GET";
    case OpKind::List:
        return "LIST";
    }
    return "?";
}

std::string describe(const Op& op, const std::vector<std::string>& names) {
    std::string s = op_kind_name(op.kind);
    if (op.kind != OpKind::List)
        s += " " + names[static_cast<size_t>(op.name)];
    if (op.kind == OpKind::Upload)
        s += " file " + std::to_string(op.file);
    if (op.nodeps)
        s += " (nodeps)";
    s += " -> " + std::to_string(op.rc);
    if (op.kind == OpKind::Get && op.rc == 0)
        s += " state " + std::to_string(op.state) + " rc " + std::to_string(op.status_rc);
    if (op.kind == OpKind::List) {
        if (op.list_unknown)
            s += " (gave up)";
        for (const Entry& e : op.list)
            s += " " + (e.name < 0 ? std::string("?") : names[static_cast<size_t>(e.name)]) + "/" + std::to_string(e.state) + "/" + std::to_string(e.rc);
    }
    s += " [" + std::to_string(op.invoked) + " .. " + std::to_string(op.returned) + " ns]";
    return s;
}

}  // namespace stress
