#include "target_arch.h"

#include <elf.h>
#include <stdlib.h>

namespace livepatch::build {

namespace {

#if defined(__aarch64__)
constexpr TargetArch kHostArch = TargetArch::kAArch64;
#else
constexpr TargetArch kHostArch = TargetArch::kX86_64;
#endif

}  // namespace

std::optional<TargetArch> arch_of_machine(uint16_t machine) {
    if (machine == EM_X86_64)
        return TargetArch::kX86_64;
    if (machine == EM_AARCH64)
        return TargetArch::kAArch64;
    return std::nullopt;
}

uint16_t machine_of(TargetArch arch) { return arch == TargetArch::kAArch64 ? EM_AARCH64 : EM_X86_64; }

const char* arch_name(TargetArch arch) { return arch == TargetArch::kAArch64 ? "AArch64" : "x86-64"; }

std::string toolchain(TargetArch arch, const std::string& tool) {
    if (const char* prefix = getenv("LIVEPATCH_BUILD_TOOL_PREFIX"))
        return prefix + tool;
    if (arch == kHostArch)
        return tool;
    return arch == TargetArch::kAArch64 ? "aarch64-linux-gnu-" + tool : "x86_64-linux-gnu-" + tool;
}

uint32_t jump_size(TargetArch arch) { return arch == TargetArch::kAArch64 ? 4 : 5; }

}  // namespace livepatch::build
