// `xen-livepatch check <payload-file> [--against <image>]`: the checks of check_runner.h, as text
// or JSON.
#include <stdlib.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "check_runner.h"
#include "commands.h"
#include "hypervisor_image.h"
#include "offline.h"
#include "payload_info.h"

namespace livepatch::tool::offline {

namespace {

using nlohmann::json;

// Names come from untrusted files: bytes that are not UTF-8 are replaced, not thrown about.
std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

const char* status_name(CheckStatus s) {
    switch (s) {
    case CheckStatus::passed: return "passed";
    case CheckStatus::failed: return "failed";
    case CheckStatus::warning: return "warning";
    }
    return "?";
}

json report_json(const CheckReport& r, const HypervisorImage& image) {
    json j;
    j["payload"] = r.payload_path;
    j["name"] = r.payload_name;
    j["image"] = {{"path", image.path()},
                  {"build_id", to_hex(image.build_id().data(), image.build_id().size())},
                  {"symbols", image.symbol_count()},
                  {"text_size", image.text_end() - image.text_start()}};
    j["checks"] = json::array();
    for (const CheckItem& c : r.checks) {
        json item = {{"name", c.name}, {"ok", c.status != CheckStatus::failed}, {"status", status_name(c.status)},
                     {"detail", c.detail}};
        if (c.rc) {
            item["rc"] = c.rc;
            item["errno"] = errno_name(c.rc);
        }
        j["checks"].push_back(item);
    }
    j["log"] = r.log;
    j["notes"] = r.notes;
    j["result"] = r.ok() ? "ok" : "refused";
    j["rc"] = r.rc;
    if (!r.ok())
        j["errno"] = errno_name(r.rc);
    if (!r.error_rule.empty())
        j["error"] = {{"subject", r.error_subject}, {"rule", r.error_rule}};
    bool uploaded = false;
    for (const CheckItem& c : r.checks)
        uploaded |= c.name == "upload" && c.status == CheckStatus::passed;
    if (uploaded)
        j["safe_to_reapply"] = r.safe_to_reapply;
    return j;
}

void print_report(std::ostream& out, const CheckReport& r, const HypervisorImage& image) {
    out << "Checking " << r.payload_path << " against " << image.path() << " (build-id "
        << to_hex(image.build_id().data(), image.build_id().size()) << ", " << image.symbol_count() << " symbols)\n";
    static const char* const kMark[] = {"[ ok ]", "[FAIL]", "[warn]"};
    bool uploaded = false;
    for (const CheckItem& c : r.checks) {
        out << "  " << kMark[static_cast<int>(c.status)] << " " << std::left << std::setw(13) << c.name << c.detail;
        const std::string tag = " [-" + errno_name(c.rc) + "]";
        if (c.rc && c.detail.find(tag) == std::string::npos)
            out << tag;
        out << "\n";
        uploaded |= c.name == "upload" && c.status == CheckStatus::passed;
    }
    if (!uploaded)
        out << "  (the APPLY checks need an uploaded payload: not run)\n";
    for (const std::string& n : r.notes)
        out << "Note: " << n << "\n";
    if (!r.log.empty()) {
        out << "Engine log:\n";
        for (const std::string& l : r.log)
            out << "  " << l << "\n";
    }
    if (r.ok())
        out << "Result: ok\n";
    else
        out << "Result: refused (-" << errno_name(r.rc) << ", " << r.rc << ")\n";
}

int input_error(const std::string& payload, const std::string& message, bool json_out, std::ostream& out,
                std::ostream& err) {
    err << "xen-livepatch: check: " << message << "\n";
    if (json_out)
        out << dump(json{{"payload", payload}, {"result", "error"}, {"error", message}}) << "\n";
    return 1;
}

}  // namespace

int run_check(const std::string& payload_path, const std::string& against_image, bool json_out, std::ostream& out,
              std::ostream& err) {
    std::string image_path = against_image;
    if (image_path.empty()) {
        const char* env = getenv("XEN_LIVEPATCH_IMAGE");
        image_path = env ? env : "";
    }
    if (image_path.empty())
        return input_error(payload_path,
                           "no hypervisor image to check against: pass --against <xen-syms or hosted-hypervisor "
                           "binary> or set XEN_LIVEPATCH_IMAGE",
                           json_out, out, err);
    try {
        const std::unique_ptr<HypervisorImage> image = HypervisorImage::load(image_path);
        const CheckReport report = run_checks(payload_path, *image);
        if (json_out)
            out << dump(report_json(report, *image)) << "\n";
        else
            print_report(out, report, *image);
        if (!report.ok()) {
            for (const CheckItem& c : report.checks) {
                if (c.status == CheckStatus::failed) {
                    err << "xen-livepatch: check: " << payload_path << ": refused by the " << c.name << " check (-"
                        << errno_name(c.rc) << "): " << c.detail << "\n";
                    break;
                }
            }
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        return input_error(payload_path, e.what(), json_out, out, err);
    }
}

}  // namespace livepatch::tool::offline

namespace livepatch::tool {

int cmd_check(const std::string& payload_path, const std::string& against_image, bool json) {
    return offline::run_check(payload_path, against_image, json, std::cout, std::cerr);
}

}  // namespace livepatch::tool
