// Reads what the engine model (engine_model.h) needs to know about a payload file or the
// hypervisor image from the ELF itself, with libelf: build-ids, .livepatch.depends, whether any
// allocated section but .livepatch.funcs is writable, hook sections, expectations.
#pragma once

#include <string>

#include "engine_model.h"

namespace stress {

// The facts of payload file `path` (label: its base name). Empty build_id when the file cannot be
// read or has no build-id note (the caller fails the test with the path).
FileFacts read_payload_facts(const std::string& path);

// The NT_GNU_BUILD_ID of the ELF image at `path` (hex), or "".
std::string read_image_build_id(const std::string& path);

}  // namespace stress
