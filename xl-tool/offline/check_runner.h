// The checks of `xen-livepatch check`: a payload file judged against a hypervisor image by the
// engine's own code, as UPLOAD and then APPLY would judge it on that hypervisor.
//
//   upload        load_payload(): every upload check of the engine (ELF, layout, symbols,
//                 relocations, required and patching sections, build-ids, function records,
//                 hooks, special sections, .modinfo, the payload's symbol table, permissions)
//   xen-depends   .livepatch.xen_depends against the image's build-id (part of upload; reported
//                 on its own so that a mismatch is named even when another check fails first)
//   depends       APPLY: .livepatch.depends against the image's build-id. A mismatch is a warning,
//                 not a failure: the payload may be meant to stack on another payload, whose
//                 build-id the detail names
//   expectations  APPLY: check_expectations() on the image's bytes, with each function's result
//   patch         APPLY: arch::plan_patch() of every record (the bytes the patch would write)
//   replace       REPLACE's extra rules (depends on the hypervisor, no pre/post hooks): a warning
//   reapply       safe_to_reapply: a warning when the payload cannot be applied again after a
//                 revert
// The APPLY checks run only when the upload passes (they need the loaded payload).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "hypervisor_image.h"

namespace livepatch::tool::offline {

enum class CheckStatus { passed, failed, warning };

struct CheckItem {
    std::string name;
    CheckStatus status = CheckStatus::passed;
    std::string detail;
    int32_t rc = 0;  // the refusal's negative errno, when failed
};

struct CheckReport {
    std::string payload_path;
    std::string payload_name;          // the name the loader saw (the file's base name)
    std::vector<CheckItem> checks;
    std::vector<std::string> log;      // the engine's log lines (port::log), in order
    std::vector<std::string> notes;    // what the tool did to present the payload, if anything
    int32_t rc = 0;                    // 0, or the first failed check's negative errno
    // The loader's error, when the upload was refused.
    std::string error_subject;         // "section [8] '.livepatch.xen_depends'", ...
    std::string error_rule;
    bool safe_to_reapply = false;

    bool ok() const { return rc == 0; }
};

// Runs every check of the payload at `payload_path` against `image`. Throws std::runtime_error
// ("<path>: <reason>") when the payload file cannot be read at all or is larger than the payload
// limit (read_payload_file).
CheckReport run_checks(const std::string& payload_path, const HypervisorImage& image);

// "EINVAL" for -22 (or 22); "OK" for 0.
std::string errno_name(int32_t rc);

}  // namespace livepatch::tool::offline
