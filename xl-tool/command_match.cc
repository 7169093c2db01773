#include "command_match.h"

namespace livepatch::tool {

namespace {

struct Entry {
    Command command;
    const char* word;
};

// Xen's main_options[], then its action_options[], then this tool's commands: the order decides.
constexpr Entry kCommands[] = {
    {Command::kHelp, "help"},       {Command::kList, "list"},     {Command::kUpload, "upload"},
    {Command::kLoad, "load"},       {Command::kApply, "apply"},   {Command::kRevert, "revert"},
    {Command::kUnload, "unload"},   {Command::kReplace, "replace"}, {Command::kStatus, "status"},
    {Command::kInfo, "info"},       {Command::kCheck, "check"},
};

}  // namespace

std::optional<Command> match_command(const std::string& word) {
    for (const Entry& e : kCommands) {
        if (std::string(e.word).compare(0, word.size(), word) == 0 && word.size() <= std::string(e.word).size())
            return e.command;
    }
    return std::nullopt;
}

const char* command_word(Command c) {
    for (const Entry& e : kCommands) {
        if (e.command == c)
            return e.word;
    }
    return "?";
}

}  // namespace livepatch::tool
