// The builder tests' harness: runs the real livepatch-build binary (LP_BUILDER_BIN) as a user
// would, on the test sources (LP_BUILDER_SOURCES) against real images: the hosted hypervisor of
// the variant (LP_HOSTED_BIN) and the xen-syms-like images built with and without IBT
// (LP_XEN_IMAGE_IBT, LP_XEN_IMAGE_PLAIN; payloads/builder/builder.mk).
#pragma once

#include <string>
#include <vector>

#include "../../xl-tool/offline/payload_info.h"

namespace buildertest {

// What xen-livepatch's payload reader sees in the payload at `path` (a doctest failure, with the
// reader's error, when it cannot read it).
livepatch::tool::offline::PayloadInfo read_info(const std::string& path);

struct Run {
    int code = -1;          // exit status; -1 when it died of a signal
    std::string out, err;   // stdout and stderr
};

// The path in environment variable `name` (a doctest failure when unset).
std::string env_path(const char* name);

// The test source `name` (under LP_BUILDER_SOURCES).
std::string source(const std::string& name);

// Runs livepatch-build with `args`, from the current directory.
Run run_builder(const std::vector<std::string>& args);

// A fresh directory for one test's outputs, removed with its contents at the end.
class Scratch {
public:
    Scratch();
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }
    // The names of the entries of the directory, sorted.
    std::vector<std::string> entries() const;

private:
    std::string m_path;
};

bool file_exists(const std::string& path);

// The images.
inline std::string xen_ibt() { return env_path("LP_XEN_IMAGE_IBT"); }
inline std::string xen_plain() { return env_path("LP_XEN_IMAGE_PLAIN"); }
inline std::string hosted() { return env_path("LP_HOSTED_BIN"); }

}  // namespace buildertest
