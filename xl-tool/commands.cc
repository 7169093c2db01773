// Steps shared by the commands, and help.
#include <errno.h>

#include "commands.h"
#include "errors.h"
#include "xen_text.h"

namespace livepatch::tool {

int cmd_help(Context& ctx) {
    if (ctx.json_mode())
        ctx.doc()["text"] = help_text();
    else
        ctx.err(help_text());
    return 0;
}

int usage_error(Context& ctx, const std::string& why) {
    if (!ctx.json_mode())
        ctx.err(help_text());
    report_failure(ctx, ctx.doc(), Failure{"args", false, -EINVAL, "", why});
    return -1;
}

int check_name(Context& ctx, Json& into, const std::string& name) {
    if (!name.empty() && name.size() <= kMaxNameLength)
        return 0;
    std::string why;
    if (name.empty()) {
        why = "a payload name cannot be empty";
    } else {
        // Xen's words, with the limit Xen really enforces (its tool says 128 and lets libxc fail).
        ctx.err("ID must be no more than " + std::to_string(kMaxNameLength) + " characters.\n");
        why = "the name is " + std::to_string(name.size()) + " characters long; Xen's ABI holds at most " +
              std::to_string(kMaxNameLength) + " (128 bytes with the terminating NUL)";
    }
    report_failure(ctx, into, Failure{"args", false, -EINVAL, name.size() > 40 ? name.substr(0, 40) + "..." : name,
                                      why});
    put_rc(into, -EINVAL);
    return EINVAL;
}

Json status_json(const PayloadStatus& st) {
    Json j;
    j["state"] = state_word(st.state);
    j["state_code"] = st.state;
    put_rc(j, st.rc);
    return j;
}

}  // namespace livepatch::tool
