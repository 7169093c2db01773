#include "pipeline.h"

#include <elf.h>
#include <stdio.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "build_error.h"
#include "compile.h"
#include "engine_check.h"
#include "payload_audit.h"
#include "record_editor.h"
#include "reloc_audit.h"
#include "subprocess.h"
#include "symbol_plan.h"
#include "target_image.h"
#include "work_dir.h"

namespace livepatch::build {

namespace {

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw BuildError(path + ": cannot write");
}

Flavor choose_flavor(const BuildOptions& o, const TargetImage& image) {
    if (o.flavor != Flavor::kAuto)
        return o.flavor;
    if (image.detected_flavor() == Flavor::kAuto && image.arch() == TargetArch::kAArch64)
        throw BuildError(o.target + ": cannot tell Xen's xen-syms (with start_xen) from the hosted hypervisor (a PIE, "
                                    "or a static program with main): say which with --flavor xen|hosted");
    if (image.detected_flavor() == Flavor::kAuto)
        throw BuildError(o.target + ": cannot tell Xen's xen-syms (an ET_EXEC linked at 0xffff82d040000000 or "
                                    "above) from the hosted hypervisor (a PIE): say which with --flavor xen|hosted");
    return image.detected_flavor();
}

DependsPayload read_depends(const std::string& path, const TargetImage& image) {
    const ObjectFile d = ObjectFile::read(path);
    DependsPayload dep;
    dep.path = path;
    if (d.machine() != machine_of(image.arch()))
        throw BuildError("--depends " + path + " is not an " + arch_name(image.arch()) + " payload, and " +
                         image.path() + " is an " + arch_name(image.arch()) + " image");
    dep.build_id = d.build_id();
    if (dep.build_id.empty())
        throw BuildError("--depends " + path + ": no .note.gnu.build-id: not a payload");
    const std::vector<uint8_t> xen = d.note_build_id(".livepatch.xen_depends");
    if (xen != image.build_id())
        throw BuildError("--depends " + path + " was built for another hypervisor: its .livepatch.xen_depends is " +
                         (xen.empty() ? "missing" : hex(xen)) + ", the build-id of " + image.path() + " is " +
                         hex(image.build_id()));
    for (const ObjSymbol& s : d.symbols())
        if (s.defined() && !s.name.empty() && s.type != STT_SECTION && s.type != STT_FILE &&
            s.shndx < d.sections().size() && (d.sections()[s.shndx].flags & SHF_ALLOC))
            dep.symbols.insert(s.name);
    if (const ObjSection* funcs = d.section(".livepatch.funcs")) {
        for (uint64_t at = 0; at + 104 <= funcs->size; at += 104) {
            const ObjReloc* r = d.relocation_at(funcs->index, at);
            const ObjSymbol* s = r ? &d.symbols().at(r->symbol) : nullptr;
            if (const auto name = s ? d.string_at(s->shndx, s->value + static_cast<uint64_t>(r->addend)) : std::nullopt)
                dep.patched.insert(*name);
        }
    }
    return dep;
}

// Checks the sources exist, are C or C++, and have distinct file names (their statics are named
// "<file name>#<name>").
void check_sources(const std::vector<std::string>& sources) {
    Problems p;
    std::map<std::string, std::string> names;
    for (const std::string& s : sources) {
        struct stat st;
        if (stat(s.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            p.add(s + ": no such source file");
        else if (!language_of(s))
            p.add(s + ": not a C (.c) or C++ (.cc, .cpp, .cxx) source");
        if (auto [it, fresh] = names.emplace(base_name(s), s); !fresh)
            p.add(s + ": has the same file name as " + it->second +
                  "; the statics of a source are named \"<file name>#<name>\", so file names must differ");
    }
    p.raise_if_any();
}

// The assembler source of .livepatch.depends and .livepatch.xen_depends: allocated, read-only
// SHT_NOTE sections, each one NT_GNU_BUILD_ID note.
// ("%note": "@" starts a comment in some assemblers.)
void write_notes_source(const std::string& path, const std::vector<uint8_t>& depends,
                        const std::vector<uint8_t>& xen_depends, TargetArch arch) {
    std::string s;
    const char* type = arch == TargetArch::kX86_64 ? "@note" : "%note";
    for (const auto& [name, id] : {std::pair{".livepatch.depends", &depends}, {".livepatch.xen_depends", &xen_depends}}) {
        s += std::string("\t.section ") + name + ",\"a\"," + type + "\n\t.balign 4\n";
        s += "\t.long 4, " + std::to_string(id->size()) + ", 3\n\t.asciz \"GNU\"\n";
        for (uint8_t b : *id)
            s += "\t.byte " + std::to_string(b) + "\n";
        s += "\t.balign 4\n";
    }
    write_file(path, std::vector<uint8_t>(s.begin(), s.end()));
}

// Step 4 for one object: records, read-only sections, symbol names.
void edit_object(const SourceObject& o, size_t index, const std::vector<RecordPlan>& plans,
                 const std::vector<Rename>& renames, const std::string& out, TargetArch arch, bool verbose) {
    std::vector<RecordEdit> edits;
    for (const RecordPlan& p : plans)
        if (p.src.object == index)
            edits.push_back({p.src.index, p.target, p.src.new_size, p.old_size,
                             p.expect});
    edit_records(o.object, edits);
    protect_readonly_sections(o.object);
    std::vector<std::string> cmd = {toolchain(arch, "objcopy")};
    for (const Rename& r : renames)
        cmd.push_back("--redefine-sym=" + r.from + "=" + r.to);
    std::set<std::string> stripped;
    for (const ObjSymbol& s : o.elf.symbols())
        if (is_metadata_symbol(s.name) && stripped.insert(s.name).second)
            cmd.push_back("--strip-symbol=" + s.name);
    cmd.insert(cmd.end(), {o.object, out});
    run_checked(cmd, verbose, o.source);
}

}  // namespace

BuildSummary build_payload(const BuildOptions& o) {
    BuildSummary sum;
    sum.output = o.output;
    const std::unique_ptr<TargetImage> image = TargetImage::load(o.target);
    sum.flavor = choose_flavor(o, *image);
    sum.ibt = image->ibt(sum.flavor);
    std::optional<DependsPayload> dep;
    if (!o.depends.empty())
        dep = read_depends(o.depends, *image);
    check_sources(o.sources);

    WorkDir work(temp_root(), "livepatch-build.");
    if (o.keep_temps) {
        work.keep();
        sum.work_dir = work.path();
    }
    const TargetArch arch = image->arch();
    sum.arch = arch;
    CompileSetup setup;
    setup.arch = arch;
    setup.flavor = sum.flavor;
    setup.ibt = sum.ibt;
    setup.indirect_thunk = image->find("__x86_indirect_thunk_rax") != nullptr;
    setup.return_thunk = image->find("__x86_return_thunk") != nullptr;
    setup.header_dir = find_header_dir();
    setup.include_dirs = o.include_dirs;
    setup.defines = o.defines;
    setup.verbose = o.verbose;

    // 2. Compile.
    std::vector<SourceObject> objects;
    for (size_t i = 0; i < o.sources.size(); ++i) {
        const std::string& src = o.sources[i];
        const std::string obj = work.file(std::to_string(i) + "-" + base_name(src) + ".o");
        const std::string warnings = compile_source(setup, *language_of(src), src, obj);
        if (!warnings.empty())
            sum.compiler_output.push_back(warnings);
        objects.push_back({src, base_name(src), obj, ObjectFile::read(obj)});
    }

    // 3. Decide, refusing what cannot be patched safely.
    Problems problems;
    for (const SourceObject& so : objects)
        audit_relocations(so.elf, so.source + ": ", problems);
    const std::vector<RecordSource> records = read_records(objects, problems);
    sum.records = plan_records(objects, records, *image, o.expect, problems);
    for (const RecordPlan& p : sum.records)
        if (dep && !p.expect.empty() && dep->patched.count(p.target))
            problems.add(objects[p.src.object].source + ": " + p.src.label() + ": --expect: " + dep->path +
                         " patches " + p.target + " too, so at APPLY its first bytes are that payload's patch, "
                         "not the image's: build without --expect");
    const SymbolPlan symbols = plan_symbols(objects, records, *image, dep ? &*dep : nullptr, problems);
    problems.raise_if_any();
    sum.resolved_statics = symbols.resolved_statics;
    sum.statics_renamed = symbols.statics_renamed;

    // 4. Edit each object; the depends notes are an object of their own.
    const std::vector<uint8_t> xen_id = image->build_id();
    const std::vector<uint8_t> depends_id = dep ? dep->build_id : xen_id;
    write_notes_source(work.file("notes.s"), depends_id, xen_id, arch);
    std::vector<std::string> as = {toolchain(arch, "as"), "-o", work.file("notes.o"), work.file("notes.s")};
    if (arch == TargetArch::kX86_64)
        as.insert(as.begin() + 1, "--64");
    run_checked(as, o.verbose, "assembling the notes");
    std::vector<std::string> link = {toolchain(arch, "ld"), "-r", "--build-id=sha1", "-o", work.file("payload.o")};
    for (size_t i = 0; i < objects.size(); ++i) {
        const std::string out = work.file(std::to_string(i) + "-" + objects[i].file_name + ".edited.o");
        edit_object(objects[i], i, sum.records, symbols.renames[i], out, arch, o.verbose);
        link.push_back(out);
    }
    link.push_back(work.file("notes.o"));

    // 5. Link. 6. Audit.
    run_checked(link, o.verbose, "linking the payload");
    const uint64_t size = std::filesystem::file_size(work.file("payload.o"));
    const ObjectFile payload = ObjectFile::read(work.file("payload.o"));
    Problems audit;
    audit_payload(payload, size, audit);
    audit.raise_if_any();
    sum.size = size;
    sum.hooks = hook_counts(payload);
    sum.build_id = hex(payload.build_id());
    sum.depends_id = hex(payload.note_build_id(".livepatch.depends"));
    sum.xen_depends_id = hex(payload.note_build_id(".livepatch.xen_depends"));
    sum.depends_path = o.depends;

    // 7. The engine's checks, then the output.
    WorkDir stage(dir_name(o.output), ".livepatch-build.");
    const std::string staged = stage.file(base_name(o.output));
    std::filesystem::copy_file(work.file("payload.o"), staged);
    const EngineVerdict verdict = check_with_engine(staged, o.target, o.depends, machine_of(arch));
    if (!verdict.ok()) {
        std::vector<std::string> lines;
        for (const std::string& f : verdict.failures)
            lines.push_back("the engine's checks refuse the payload: " + f);
        for (const std::string& l : verdict.log)
            lines.push_back("  engine log: " + l);
        throw BuildError(lines);
    }
    sum.safe_to_reapply = verdict.safe_to_reapply;
    sum.engine_warnings = verdict.warnings;
    sum.engine_passed = verdict.passed;
    sum.engine_scope = verdict.scope;
    if (rename(staged.c_str(), o.output.c_str()) != 0)
        throw BuildError(o.output + ": cannot write the payload there");
    return sum;
}

}  // namespace livepatch::build
