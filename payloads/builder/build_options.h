// The request livepatch-build works from: what the command line asked for (options.cc parses it).
#pragma once

#include <string>
#include <vector>

namespace livepatch::build {

// Which hypervisor the payload is for. kAuto: decided from the target image (target_image.h).
enum class Flavor { kAuto, kXen, kHosted };

// "xen", "hosted" or "auto".
const char* flavor_name(Flavor f);

struct BuildOptions {
    std::string target;                 // --target: xen-syms or the hosted hypervisor's binary
    std::string output;                 // -o: the payload file to write
    std::string depends;                // --depends: the payload this one stacks on ("" = none)
    bool expect = false;                // --expect: records carry the target's first bytes
    Flavor flavor = Flavor::kAuto;      // --flavor
    std::vector<std::string> include_dirs;  // -I
    std::vector<std::string> defines;       // -D NAME[=V]
    bool keep_temps = false;            // --keep-temps: keep the work directory, print its path
    bool verbose = false;               // -v: print every command and the checks' details
    std::vector<std::string> sources;   // .c (gcc), .cc/.cpp/.cxx (g++)
};

}  // namespace livepatch::build
