// Runs the toolchain (gcc, g++, ld, objcopy) as child processes.
#pragma once

#include <string>
#include <vector>

namespace livepatch::build {

struct CommandResult {
    int status = -1;      // exit status; -1 when the program could not run or died of a signal
    std::string output;   // stdout and stderr, interleaved
};

// Runs argv[0] (looked up in PATH) with `argv`, waits for it, captures its output. When
// `echo` is true the command line is printed to stdout first.
CommandResult run_command(const std::vector<std::string>& argv, bool echo);

// Runs the command; throws BuildError("<what>: <command> failed:\n<output>") unless it exits 0.
// Returns its output.
std::string run_checked(const std::vector<std::string>& argv, bool echo, const std::string& what);

// The command as a shell-like line (for messages).
std::string command_line(const std::vector<std::string>& argv);

}  // namespace livepatch::build
