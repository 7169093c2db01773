// The command line of livepatch-build (Boost.Program_options):
//
//   livepatch-build --target IMAGE -o OUT.livepatch [--depends PAYLOAD.livepatch] [--expect]
//                   [--flavor xen|hosted] [-I DIR]... [-D NAME[=V]]... [--keep-temps] [-v]
//                   SOURCE...
#pragma once

#include <string>

#include "build_options.h"

namespace livepatch::build {

enum class ParseOutcome { kBuild, kHelp, kError };

// Parses argv into *out. kHelp: *message is the usage text. kError: *message says what is wrong
// with the command line (one line, without the program name).
ParseOutcome parse_options(int argc, const char* const* argv, BuildOptions* out, std::string* message);

}  // namespace livepatch::build
