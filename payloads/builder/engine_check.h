// The engine's own judgement of a finished payload: the loader of the hypervisor core (every
// UPLOAD check), then APPLY's expectation check and the patch planning, against the target image
// presented as a running hypervisor (xl-tool/offline). Without --depends this is exactly
// `xen-livepatch check --against IMAGE`; with --depends the payload it stacks on is loaded first,
// so that the symbols it takes from that payload resolve as they will on the hypervisor.
//
// The loader linked here is the one of this host's architecture. A payload for another one (an
// AArch64 payload built on x86-64) gets the checks that do not need that loader
// (engine_check_foreign.cc), and the verdict says which ran: the rest runs when the hypervisor
// uploads it.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace livepatch::build {

struct EngineVerdict {
    std::vector<std::string> failures;   // "<check>: <detail>", one per failed check
    std::vector<std::string> warnings;   // "<check>: <detail>"
    std::vector<std::string> passed;     // "<check>: <detail>"
    std::vector<std::string> log;        // the engine's log lines
    bool safe_to_reapply = false;
    std::string scope;                   // "" when every check ran; else which checks ran and why

    bool ok() const { return failures.empty(); }
};

// Judges the payload at `payload` against `image`, an image for ELF machine `machine`; `depends`
// is the payload it stacks on, or "". Throws BuildError when a file cannot be read.
EngineVerdict check_with_engine(const std::string& payload, const std::string& image, const std::string& depends,
                                uint16_t machine);

// The checks of a payload for another architecture than this host's loader (see above).
EngineVerdict check_foreign(const std::string& payload, const std::string& image, const std::string& depends,
                            uint16_t machine);

}  // namespace livepatch::build
