// xen-livepatch's command line: the global options (Boost.Program_options), the command word
// (matched as Xen 4.17 does, command_match.h), and the dispatch to the commands.
//
//   xen-livepatch [options] <command> [args] [command-flags]
//
// Options may appear anywhere; "--" ends them (for a name or file that starts with '-').
#pragma once

namespace livepatch::tool {

// Runs the tool; returns the process's exit status (0 success, 2 retry, 1 failure).
int run_cli(int argc, char** argv);

}  // namespace livepatch::tool
