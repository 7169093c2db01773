#include "summary.h"

#include "target_image.h"

namespace livepatch::build {

namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

void print_summary(FILE* out, const BuildOptions& o, const BuildSummary& s, bool verbose) {
    if (s.arch == TargetArch::kX86_64)
        fprintf(out, "livepatch-build: wrote %s (%llu bytes) for %s (flavour %s, IBT %s)\n", s.output.c_str(),
                static_cast<unsigned long long>(s.size), o.target.c_str(), flavor_name(s.flavor), yes_no(s.ibt));
    else
        fprintf(out, "livepatch-build: wrote %s (%llu bytes) for %s (flavour %s, %s)\n", s.output.c_str(),
                static_cast<unsigned long long>(s.size), o.target.c_str(), flavor_name(s.flavor), arch_name(s.arch));
    for (const RecordPlan& r : s.records) {
        if (r.src.nop)
            fprintf(out, "  nop      %s: %u bytes NOPed (old_size %u%s)", r.target.c_str(), r.src.new_size,
                    r.old_size, r.patch_offset ? ", ENDBR64 kept" : "");
        else
            fprintf(out, "  replace  %s: old_size %u, new_size %u (%s)", r.target.c_str(), r.old_size,
                    r.src.new_size, r.patch_offset ? "jump after ENDBR64" : "jump at the start");
        if (!r.expect.empty())
            fprintf(out, ", expects %s", hex(r.expect).c_str());
        fprintf(out, "\n");
    }
    if (!s.hooks.empty()) {
        fprintf(out, "  hooks   ");
        for (const auto& [kind, n] : s.hooks)
            fprintf(out, " %s %zu", kind.c_str(), n);
        fprintf(out, "\n");
    }
    if (s.statics_renamed)
        fprintf(out, "  statics  %zu named \"<source file>#<name>\"\n", s.statics_renamed);
    for (const std::string& r : s.resolved_statics)
        fprintf(out, "  uses     %s\n", r.c_str());
    fprintf(out, "  build-id %s\n", s.build_id.c_str());
    fprintf(out, "  depends  %s (%s)\n", s.depends_id.c_str(),
            s.depends_path.empty() ? "the hypervisor" : s.depends_path.c_str());
    fprintf(out, "  xen_depends %s\n", s.xen_depends_id.c_str());
    fprintf(out, "  safe to re-apply after a revert: %s\n", yes_no(s.safe_to_reapply));
    if (!s.engine_scope.empty())
        fprintf(out, "  engine   %s\n", s.engine_scope.c_str());
    for (const std::string& w : s.engine_warnings)
        fprintf(out, "  note: %s\n", w.c_str());
    if (verbose)
        for (const std::string& p : s.engine_passed)
            fprintf(out, "  passed: %s\n", p.c_str());
    if (!s.work_dir.empty())
        fprintf(out, "  work directory kept: %s\n", s.work_dir.c_str());
}

}  // namespace livepatch::build
