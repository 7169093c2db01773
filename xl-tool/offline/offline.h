// The offline commands of xen-livepatch: they read files and never talk to a hypervisor.
//
//   info  <payload-file>                      what a payload contains (functions, targets, sizes,
//                                             hooks, dependencies, build-ids, sections, ...)
//   check <payload-file> [--against <image>]  a dry run of every upload check, made by the engine's
//                                             own loader against a hypervisor image (Xen's xen-syms
//                                             or the hosted hypervisor's binary), plus what APPLY
//                                             would check against that image
//
// Both print their result to stdout (text, or one JSON document when `json`) and problems to
// stderr, and return the process exit code: 0 when the payload was read (info) or passes every
// check (check); 1 for a refused payload or bad input, with a message naming the file and the
// rule broken.
#pragma once

#include <string>

namespace livepatch::tool {

int cmd_info(const std::string& payload_path, bool json);

// `against_image` empty: the image named by the environment variable XEN_LIVEPATCH_IMAGE; with
// neither, a message saying so and exit code 1.
int cmd_check(const std::string& payload_path, const std::string& against_image, bool json);

}  // namespace livepatch::tool
