// The offline commands with their output streams as parameters: cmd_info and cmd_check
// (offline.h) are these with std::cout and std::cerr. Same contract and exit codes.
#pragma once

#include <ostream>
#include <string>

namespace livepatch::tool::offline {

int run_info(const std::string& payload_path, bool json, std::ostream& out, std::ostream& err);

// `against_image` empty: $XEN_LIVEPATCH_IMAGE; with neither, a message on `err` and 1.
int run_check(const std::string& payload_path, const std::string& against_image, bool json, std::ostream& out,
              std::ostream& err);

}  // namespace livepatch::tool::offline
