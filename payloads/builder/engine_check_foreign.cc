// The engine check of a payload for another architecture than the loader linked into this
// livepatch-build (engine_check.h): an AArch64 payload built on an x86-64 host. The loader is
// compiled for one architecture (arch/arch.h is a link-time contract), so here the checks that need
// no loader run: the file as xen-livepatch's reader sees it, the build-id notes, every record
// against the target architecture's upload rules (the engine's own pure arch/arm64 functions) at
// its target's address in the image, and the expectations against the image's bytes. What needs
// the loader (layout, symbol resolution, relocation values, branch reach of the placed payload)
// runs when the hypervisor uploads the payload; the verdict's scope says so.
#include <elf.h>

#include <memory>

#include "../../xl-tool/offline/payload_info.h"
#include "arch/arm64/patch_arm64.h"
#include "engine_check.h"
#include "target_image.h"

namespace livepatch::build {

namespace {

std::string format_error(const Error& e) {
    char msg[448];
    e.format(msg, sizeof(msg));
    return msg;
}

// The payload's build-id notes against the image (and the payload it stacks on).
void note_checks(const tool::offline::PayloadInfo& info, const TargetImage& image, const std::string& depends,
                 EngineVerdict* v) {
    const std::string image_id = hex(image.build_id());
    if (!info.xen_depends.hex || *info.xen_depends.hex != image_id)
        v->failures.push_back("xen-depends: .livepatch.xen_depends is not the build-id of " + image.path() + " (" +
                              image_id + ")");
    else
        v->passed.push_back("xen-depends: built for this hypervisor (build-id " + image_id + ")");
    std::string want = image_id, what = "the hypervisor";
    if (!depends.empty()) {
        std::string error;
        const std::optional<tool::offline::PayloadInfo> dep = tool::offline::read_payload_info(depends, &error);
        want = dep && dep->build_id.hex ? *dep->build_id.hex : "";
        what = depends;
    }
    if (!info.depends.hex || *info.depends.hex != want)
        v->failures.push_back("depends: .livepatch.depends is not the build-id of " + what);
    else
        v->passed.push_back("depends: applies on " + what);
}

// Each record against the AArch64 upload rules, placed at its target's address in the image, and
// its expectation against the image's bytes.
void aarch64_record_checks(const tool::offline::PayloadInfo& info, const TargetImage& image, EngineVerdict* v) {
    unsigned jumps = 0, nops = 0;
    for (const tool::offline::FuncInfo& fi : info.funcs) {
        const std::string label = "function [" + std::to_string(fi.index) + "] " + fi.old_name;
        const ImageSymbol* target = image.find(fi.old_name);
        if (fi.version != kPayloadVersion || !target || !target->function) {
            v->failures.push_back("records: " + label + ": " +
                                  (fi.version != kPayloadVersion ? "version is not 2" : "no such function in the image"));
            continue;
        }
        livepatch_func f{};
        f.old_addr = target->addr;
        f.old_size = fi.old_size;
        f.new_size = fi.new_size;
        f.version = fi.version;
        // The replacement's place is known only once the hypervisor has laid the payload out:
        // here it stands in the next word, in reach and aligned.
        f.new_addr = fi.nop() ? 0 : target->addr + arm64::kInsnSize;
        if (Status s = arm64::verify_func(f); !s)
            v->failures.push_back("records: " + label + ": " + format_error(s.error()));
        else
            (fi.nop() ? nops : jumps) += 1;
        if (fi.expect_enabled()) {
            const std::vector<uint8_t> live = image.code_at(target->addr, fi.expect_len());
            const std::vector<uint8_t> want(fi.expect_data.begin(),
                                            fi.expect_data.begin() + std::min<size_t>(fi.expect_len(), fi.expect_data.size()));
            if (live != want || fi.expect_len() > fi.old_size)
                v->failures.push_back("expectations: " + label + ": expected " + hex(want) + ", the image has " +
                                      hex(live));
        }
    }
    v->passed.push_back("records: " + std::to_string(jumps) + " jump(s) and " + std::to_string(nops) +
                        " NOP patch(es) meet the AArch64 rules");
}

}  // namespace

EngineVerdict check_foreign(const std::string& payload, const std::string& image_path, const std::string& depends,
                            uint16_t machine) {
    EngineVerdict v;
    const std::unique_ptr<TargetImage> image = TargetImage::load(image_path);
    std::string error;
    const std::optional<tool::offline::PayloadInfo> info = tool::offline::read_payload_info(payload, &error);
    if (!info) {
        v.failures.push_back("format: " + error);
        return v;
    }
    if (info->machine != machine)
        v.failures.push_back("format: the payload is for " + tool::offline::machine_name(info->machine) +
                             ", the image for " + tool::offline::machine_name(machine));
    for (const std::string& p : info->problems)
        v.failures.push_back("format: " + p);
    note_checks(*info, *image, depends, &v);
    if (machine == EM_AARCH64)
        aarch64_record_checks(*info, *image, &v);
    v.safe_to_reapply = info->safe_to_reapply;
    if (!v.safe_to_reapply)
        v.warnings.push_back("reapply: has writable data: after a revert, APPLY is refused (-EINVAL); unload and "
                             "upload it again");
    v.scope = "checked here: format, build-ids, records and expectations (" +
              tool::offline::machine_name(machine) +
              " rules); this livepatch-build's loader is for another architecture, so layout, symbol "
              "resolution, relocation values and branch reach are checked at upload";
    return v;
}

}  // namespace livepatch::build
