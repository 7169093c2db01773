// Command words, matched as Xen 4.17 matches them: a word selects the first command it is a
// prefix of, trying help, list, upload, load, then apply, revert, unload, replace (so "l" is list,
// "lo" load, "re" revert, "u" upload, and "" help). This tool's own commands come last: status,
// info, check. (Xen 4.19 and later need the whole word; every whole word works the same here.)
#pragma once

#include <optional>
#include <string>

namespace livepatch::tool {

enum class Command { kHelp, kList, kUpload, kLoad, kApply, kRevert, kUnload, kReplace, kStatus, kInfo, kCheck };

// The command `word` selects, or nullopt when it is a prefix of none.
std::optional<Command> match_command(const std::string& word);

// The command's full word ("apply").
const char* command_word(Command c);

}  // namespace livepatch::tool
