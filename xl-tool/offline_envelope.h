// The JSON of the offline commands (info, check: xl-tool/offline/) in the shape every command's
// JSON has (docs/xen-livepatch.md, "JSON OUTPUT"): "command", "ok", "exit_code", "backend" (null:
// no hypervisor is involved), then the offline document's own fields, then "rc", "rc_name" and
// "error" (null, or the common error object: step, completion, rc, rc_name, errno, message,
// meaning, plus the offline error's own fields).
#pragma once

#include <string>

namespace livepatch::tool {

// Wraps `offline_doc` (what run_info/run_check wrote with json = true) for `command` ("info" or
// "check"), which exited with `exit_code`. `payload` and `image` are the files the command read
// ("" when none): a failure to read one is reported as its "open" step with the errno.
std::string offline_envelope(const std::string& command, int exit_code, const std::string& offline_doc,
                             const std::string& payload, const std::string& image);

}  // namespace livepatch::tool
