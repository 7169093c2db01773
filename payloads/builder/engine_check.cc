#include "engine_check.h"

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "../../xl-tool/offline/check_runner.h"
#include "../../xl-tool/offline/hypervisor_image.h"
#include "../../xl-tool/offline/offline_port.h"
#include "arch/arch.h"
#include "build_error.h"
#include "core/engine/engine.h"
#include "core/loader/loader.h"
#include "core/patch/func_state.h"
#include "core/payload/payload_list.h"

namespace livepatch::build {

namespace {

using tool::offline::CheckStatus;

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw BuildError(path + ": cannot read");
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return (slash == std::string::npos ? path : path.substr(slash + 1)).substr(0, 127);
}

std::string format_error(const Error& e) {
    char msg[448];
    e.format(msg, sizeof(msg));
    return msg;
}

// APPLY's checks of a loaded payload: expectations on the image's bytes, and the patch of every
// record can be encoded (rel32 reach).
void apply_checks(const Payload& p, EngineVerdict* v) {
    if (const int32_t rc = check_expectations(p))
        v->failures.push_back("expectations: APPLY would be refused (rc " + std::to_string(rc) +
                              "): the expected bytes differ from the image's");
    else
        v->passed.push_back("expectations: match the image");
    for (size_t i = 0; i < p.funcs().size(); ++i) {
        FuncState st;
        Status s = arch::plan_patch(p.funcs()[i], &st);
        if (!s)
            v->failures.push_back("patch: " + format_error(s.error()));
    }
}

EngineVerdict stacked_checks(const std::string& payload, const tool::offline::HypervisorImage& image,
                             const std::string& depends) {
    EngineVerdict v;
    const std::vector<uint8_t> dep_bytes = read_file(depends), bytes = read_file(payload);
    std::vector<tool::offline::LogLine> log;
    {
        tool::offline::PortSession session(image, &log);
        PayloadList loaded;
        const std::string dep_name = base_name(depends);
        Result<Owned<Payload>> dep = load_payload(dep_name.c_str(), Bytes(dep_bytes.data(), dep_bytes.size()), loaded);
        if (!dep) {
            v.failures.push_back("depends: " + depends + " does not load on " + image.path() + ": " +
                                 format_error(dep.error()));
        } else {
            loaded.add(std::move(dep).value());
            const std::string name = base_name(payload);
            Result<Owned<Payload>> p = load_payload(name.c_str(), Bytes(bytes.data(), bytes.size()), loaded);
            if (!p) {
                v.failures.push_back("upload: " + format_error(p.error()));
            } else {
                v.passed.push_back("upload: every upload check passed, on top of " + depends);
                v.safe_to_reapply = p.value()->safe_to_reapply();
                apply_checks(*p.value(), &v);
            }
        }
    }  // payloads freed with the port still attached
    for (const tool::offline::LogLine& l : log)
        v.log.push_back(l.text);
    return v;
}

}  // namespace

EngineVerdict check_with_engine(const std::string& payload, const std::string& image_path,
                                const std::string& depends, uint16_t machine) {
    if (machine != arch::elf_machine())
        return check_foreign(payload, image_path, depends, machine);
    std::unique_ptr<tool::offline::HypervisorImage> image;
    try {
        image = tool::offline::HypervisorImage::load(image_path);
        if (!depends.empty())
            return stacked_checks(payload, *image, depends);
        const tool::offline::CheckReport r = tool::offline::run_checks(payload, *image);
        EngineVerdict v;
        v.safe_to_reapply = r.safe_to_reapply;
        v.log = r.log;
        for (const tool::offline::CheckItem& c : r.checks) {
            const std::string line = c.name + ": " + c.detail;
            if (c.status == CheckStatus::failed)
                v.failures.push_back(line);
            else if (c.status == CheckStatus::warning)
                v.warnings.push_back(line);
            else
                v.passed.push_back(line);
        }
        return v;
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const BuildError*>(&e))
            throw;
        throw BuildError(e.what());
    }
}

}  // namespace livepatch::build
