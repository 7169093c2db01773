// The builder's pipeline, from sources to a checked payload file:
//
//   1. read the target image (symbols, bytes, build-id, flavour, IBT) and the --depends payload
//   2. compile each source with the target's flags (compile.h)
//   3. read each object: relocations (reloc_audit.h), records (records.h), symbols (symbol_plan.h);
//      every refusal of this stage is reported together
//   4. edit each object: records completed and names rewritten (record_editor.h); statics renamed
//      "file#name", references to hypervisor statics renamed, bookkeeping symbols stripped
//      (objcopy); the depends notes added to the first object
//   5. link: ld -r --build-id=sha1 (the payload's own build-id covers everything above)
//   6. audit the linked payload (payload_audit.h)
//   7. judge it with the engine's own loader against the image (engine_check.h), in a staging
//      directory next to the output; rename it to the output only when every check passes
#pragma once

#include <map>
#include <string>
#include <vector>

#include "build_options.h"
#include "records.h"
#include "target_arch.h"

namespace livepatch::build {

struct BuildSummary {
    std::string output;
    uint64_t size = 0;
    Flavor flavor = Flavor::kAuto;
    TargetArch arch = TargetArch::kX86_64;
    bool ibt = false;
    std::vector<RecordPlan> records;
    std::map<std::string, size_t> hooks;          // kind -> count
    std::vector<std::string> resolved_statics;    // "<source>: pick_next -> common/sched.c#pick_next"
    size_t statics_renamed = 0;
    std::string build_id, depends_id, xen_depends_id;
    std::string depends_path;                     // "" when the payload applies on the hypervisor
    bool safe_to_reapply = false;
    std::vector<std::string> compiler_output;     // warnings, per source
    std::vector<std::string> engine_warnings;
    std::vector<std::string> engine_passed;       // for -v
    std::string engine_scope;                     // "" when every engine check ran, else which did
    std::string work_dir;                         // with --keep-temps
};

// Runs the pipeline. Throws BuildError (nothing written, OUT untouched) on any refusal.
BuildSummary build_payload(const BuildOptions& options);

}  // namespace livepatch::build
