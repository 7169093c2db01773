// load <file> [--nodeps]: Xen's load_func: the name is the file's base name without its last
// extension; upload, then apply; when the apply fails, unload again (with unload's own output)
// and fail with the apply's result.
#include <errno.h>

#include "commands.h"
#include "errors.h"

namespace livepatch::tool {

namespace {

// POSIX basename() (which Xen's tool calls), then everything before the last '.'.
std::string name_from_path(const std::string& path) {
    size_t end = path.size();
    while (end > 1 && path[end - 1] == '/')
        end--;
    if (end == 0)
        return "";  // basename("") is ".", which loses everything before its last '.'
    size_t begin = 0;
    if (!(end == 1 && path[0] == '/')) {  // "/" stays "/"
        const size_t slash = path.rfind('/', end - 1);
        begin = slash == std::string::npos ? 0 : slash + 1;
    }
    const std::string base(path, begin, end - begin);
    const size_t dot = base.rfind('.');
    return dot == std::string::npos ? base : base.substr(0, dot);
}

// A step's result: its "rc", else the -errno of its Xen-style return value `ret`.
int step_rc(const Json& step, int ret) {
    if (step.contains("rc") && step["rc"].is_number_integer())
        return step["rc"].get<int>();
    return ret == 0 ? 0 : ret > 0 ? -ret : -EINVAL;
}

// The first failure of a step becomes the whole command's.
void adopt_error(Json& doc, const Json& step) {
    if ((!doc.contains("error") || doc["error"].is_null()) && step.contains("error"))
        doc["error"] = step["error"];
}

}  // namespace

int cmd_load(Context& ctx) {
    if (ctx.args.empty())
        return usage_error(ctx, "load takes <file>");
    if (ctx.args.size() > 1) {
        ctx.err("Unsupported flag: " + ctx.args[1] + ".\n");
        report_failure(ctx, ctx.doc(), Failure{"args", false, -EINVAL, "", "load takes only <file> and --nodeps"});
        return EINVAL;
    }
    Json& doc = ctx.doc();
    const std::string file = ctx.args[0];
    const std::string name = name_from_path(file);
    doc["name"] = name;
    doc["file"] = file;
    doc["upload"] = Json::object();
    doc["apply"] = nullptr;
    doc["unload"] = nullptr;

    int ret = run_upload(ctx, doc["upload"], name, file);
    adopt_error(doc, doc["upload"]);
    if (ret) {
        put_rc(doc, step_rc(doc["upload"], ret));
        return ret;
    }
    doc["apply"] = Json::object();
    ret = run_action(ctx, doc["apply"], name, kActionApply, ctx.opts().nodeps ? kActionFlagNodeps : 0);
    adopt_error(doc, doc["apply"]);
    put_rc(doc, step_rc(doc["apply"], ret));
    if (ret) {
        doc["unload"] = Json::object();
        run_action(ctx, doc["unload"], name, kActionUnload, 0);
    }
    return ret;
}

}  // namespace livepatch::tool
