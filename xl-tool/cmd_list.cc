// list: Xen 4.17's table. XenServer's xapi parses it (the first '|', then APPLIED), so every byte
// of the header, rule and rows comes from xen_text.h.
#include <string.h>

#include <vector>

#include "commands.h"
#include "diagnose.h"
#include "errors.h"
#include "xen_text.h"

namespace livepatch::tool {

namespace {

// The .modinfo strings, split at NULs (empty ones skipped).
Json metadata_strings(const std::string& metadata) {
    Json out = Json::array();
    size_t start = 0;
    while (start < metadata.size()) {
        size_t end = metadata.find('\0', start);
        if (end == std::string::npos)
            end = metadata.size();
        if (end > start)
            out.push_back(metadata.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace

int cmd_list(Context& ctx) {
    Json& doc = ctx.doc();
    doc["payloads"] = Json::array();
    if (!ctx.args.empty())
        return usage_error(ctx, "list takes no arguments (got '" + ctx.args[0] + "')");
    int rc = 0;
    Backend* b = ctx.backend(&rc);
    if (!b)
        return -rc;

    uint32_t count = 0;
    if ((rc = b->list_count(&count)) < 0) {
        ctx.err("Failed to get list sizes.\n" + error_line(-rc));
        report_failure(ctx, doc, Failure{"LIST", false, rc, "", ""});
        put_rc(doc, rc);
        return -rc;
    }
    if (count == 0) {
        ctx.out("Nothing to list\n");
        put_rc(doc, 0);
        return 0;
    }

    std::vector<PayloadEntry> entries;
    if ((rc = b->list(&entries)) < 0) {
        ctx.err("Failed to list 0/" + std::to_string(count) + ".\n" + error_line(-rc));
        report_failure(ctx, doc, Failure{"LIST", false, rc, "", ""});
        put_rc(doc, rc);
        return -rc;
    }

    std::string text = list_header();
    for (const PayloadEntry& e : entries) {
        text += list_row(e);
        if (ctx.json_mode()) {
            Json p;
            p["name"] = e.name;
            p["state"] = state_word(e.status.state);
            p["state_code"] = e.status.state;
            put_rc(p, e.status.rc);
            p["metadata"] = metadata_strings(e.metadata);
            p["metadata_text"] = metadata_column(e.metadata);
            const std::optional<Json> d = payload_detail(*b, e.name);
            p["detail"] = d ? *d : Json(nullptr);
            doc["payloads"].push_back(p);
        }
    }
    ctx.out(text);
    put_rc(doc, 0);
    return 0;
}

}  // namespace livepatch::tool
