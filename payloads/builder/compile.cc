#include "compile.h"

#include <limits.h>
#include <unistd.h>

#include "build_error.h"
#include "subprocess.h"

#ifndef LP_PAYLOAD_INCLUDE_DIR
#define LP_PAYLOAD_INCLUDE_DIR ""
#endif

namespace livepatch::build {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool has_header(const std::string& dir) {
    return !dir.empty() && access((dir + "/livepatch/payload.h").c_str(), R_OK) == 0;
}

std::string parent(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::optional<Language> language_of(const std::string& source) {
    if (ends_with(source, ".c"))
        return Language::kC;
    for (const char* ext : {".cc", ".cpp", ".cxx", ".C"})
        if (ends_with(source, ext))
            return Language::kCxx;
    return std::nullopt;
}

namespace {

void add(std::vector<std::string>* cmd, std::initializer_list<const char*> flags) {
    for (const char* f : flags)
        cmd->push_back(f);
}

// The target's code-generation flags (see compile.h).
void add_target_flags(const CompileSetup& setup, std::vector<std::string>* cmd) {
    if (setup.arch == TargetArch::kAArch64) {
        add(cmd, {"-O2", "-fpic", "-fvisibility=hidden", "-mcmodel=small", "-fno-plt", "-mno-outline-atomics",
                  "-mbranch-protection=none", "-ffunction-sections", "-fdata-sections", "-fno-stack-protector",
                  "-fno-common", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-Wall", "-Wextra"});
        if (setup.flavor == Flavor::kXen)
            add(cmd, {"-ffreestanding", "-mgeneral-regs-only", "-DLIVEPATCH_FLAVOR_XEN=1"});
        else
            add(cmd, {"-DLIVEPATCH_FLAVOR_HOSTED=1"});
        return;
    }
    add(cmd, {"-O2", "-fpic", "-fvisibility=hidden", "-mno-red-zone", "-ffunction-sections", "-fdata-sections",
              "-fno-stack-protector", "-fno-common", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-Wall",
              "-Wextra"});
    cmd->push_back(setup.ibt ? "-fcf-protection=branch" : "-fcf-protection=none");
    if (setup.flavor == Flavor::kXen) {
        add(cmd, {"-ffreestanding", "-mno-mmx", "-mno-sse", "-mskip-rax-setup", "-DLIVEPATCH_FLAVOR_XEN=1"});
        if (setup.indirect_thunk)
            add(cmd, {"-mindirect-branch=thunk-extern", "-mindirect-branch-register"});
        if (setup.return_thunk)
            cmd->push_back("-mfunction-return=thunk-extern");
    } else {
        cmd->push_back("-DLIVEPATCH_FLAVOR_HOSTED=1");
    }
}

}  // namespace

std::vector<std::string> compile_command(const CompileSetup& setup, Language lang, const std::string& source,
                                         const std::string& object) {
    std::vector<std::string> cmd;
    if (lang == Language::kC) {
        cmd = {toolchain(setup.arch, "gcc"), "-std=gnu11"};
    } else {
        cmd = {toolchain(setup.arch, "g++"), "-std=gnu++20", "-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics"};
    }
    add_target_flags(setup, &cmd);
    for (const std::string& d : setup.defines)
        cmd.push_back("-D" + d);
    for (const std::string& d : setup.include_dirs)
        cmd.push_back("-I" + d);
    cmd.push_back("-I" + setup.header_dir);
    cmd.insert(cmd.end(), {"-c", source, "-o", object});
    return cmd;
}

std::string compile_source(const CompileSetup& setup, Language lang, const std::string& source,
                           const std::string& object) {
    const std::vector<std::string> cmd = compile_command(setup, lang, source, object);
    CommandResult r = run_command(cmd, setup.verbose);
    while (!r.output.empty() && r.output.back() == '\n')
        r.output.pop_back();
    if (r.status != 0)
        throw BuildError(source + ": does not compile (`" + command_line(cmd) + "`)" +
                         (r.output.empty() ? "" : ":\n" + r.output));
    return r.output;
}

std::string find_header_dir() {
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    std::vector<std::string> tried;
    if (n > 0) {
        exe[n] = '\0';
        // <root>/<build>/<variant>/bin/livepatch-build
        const std::string root = parent(parent(parent(parent(exe))));
        tried.push_back(root + "/payloads/include");
    }
    tried.push_back(LP_PAYLOAD_INCLUDE_DIR);
    for (const std::string& dir : tried)
        if (has_header(dir))
            return dir;
    std::string list;
    for (const std::string& dir : tried)
        list += (list.empty() ? "" : ", ") + dir;
    throw BuildError("cannot find livepatch/payload.h (looked in " + list + ")");
}

}  // namespace livepatch::build
