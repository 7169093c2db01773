// Instruction boundaries of x86-64 code (capstone): a NOP patch must end where an instruction
// ends, or the CPU would execute the tail of a cut instruction.
#pragma once

#include <stdint.h>

#include <vector>

namespace livepatch::build {

// The offsets (from the start of `code`) at which the instructions decoded from the start end,
// up to and including the first end at or past `limit`. Stops early at bytes that do not decode.
std::vector<uint32_t> instruction_ends(const std::vector<uint8_t>& code, uint32_t limit);

}  // namespace livepatch::build
