// The input of a fuzz target that reads a file: each input is written to one memfd, which the
// code under test opens by its path like a file named on the command line.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

namespace livepatch::fuzz {

// Prints "<target>: <what>: <detail>" on stderr and traps: the crash libFuzzer reports.
[[noreturn]] void die(const char* what, const std::string& detail);

// Creates the memfd "<target>-input" and names `target` in die()'s messages; traps when the memfd
// cannot be created. Called once, from LLVMFuzzerInitialize.
void open_input_file(const char* target);

// Replaces the file's content by data[0, size); traps when it cannot.
void write_input_file(const uint8_t* data, size_t size);

// The file's path (/proc/self/fd/N), valid after open_input_file.
const std::string& input_path();

}  // namespace livepatch::fuzz
