// The offline port: the engine's port (livepatch/port.h) for the tool process, in which the
// "hypervisor" is a HypervisorImage read from disk. The loader runs against it exactly as it runs
// in a hypervisor; only the machinery of patching (CPUs, text writes, guest memory) is absent,
// because `check` never patches.
//
// Link rule: every livepatch::port definition of the tool is in offline_port.cc, and that object
// defines nothing else that programs linking libxltool.a with another port (integration-tests,
// which uses the hosted port) could need, so it is pulled only into the tool and tool-tests.
#pragma once

#include <string>
#include <vector>

#include "livepatch/port.h"
#include "hypervisor_image.h"

namespace livepatch::tool::offline {

struct LogLine {
    port::LogLevel level;
    std::string text;
};

// Presents `image` as the hypervisor and sends port::log lines to `log` (lines go to stderr when
// `log` is null). attach_port(nullptr, nullptr) detaches: symbol lookups then find nothing, the
// hypervisor has no build-id and no text. One image at a time; not thread-safe.
void attach_port(const HypervisorImage* image, std::vector<LogLine>* log);

// attach_port for a scope.
class PortSession {
public:
    PortSession(const HypervisorImage& image, std::vector<LogLine>* log) { attach_port(&image, log); }
    ~PortSession() { attach_port(nullptr, nullptr); }
    PortSession(const PortSession&) = delete;
    PortSession& operator=(const PortSession&) = delete;
};

}  // namespace livepatch::tool::offline
