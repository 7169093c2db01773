#include "builder/builder_harness.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace buildertest {

livepatch::tool::offline::PayloadInfo read_info(const std::string& path) {
    std::string error;
    std::optional<livepatch::tool::offline::PayloadInfo> info = livepatch::tool::offline::read_payload_info(path, &error);
    REQUIRE_MESSAGE(info.has_value(), error);
    return *info;
}


namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

std::string env_path(const char* name) {
    const char* v = getenv(name);
    REQUIRE_MESSAGE(v != nullptr, name << " is not set (run the builder tests through `make test`)");
    return v;
}

std::string source(const std::string& name) { return env_path("LP_BUILDER_SOURCES") + "/" + name; }

bool file_exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

Run run_builder(const std::vector<std::string>& args) {
    Scratch io;
    const std::string out = io.file("stdout"), err = io.file("stderr");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const std::string bin = env_path("LP_BUILDER_BIN");
    std::vector<char*> argv = {const_cast<char*>(bin.c_str())};
    for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE_MESSAGE(rc == 0, "cannot run " << bin);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

Scratch::Scratch() {
    const char* t = getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/builder-test.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    REQUIRE(mkdtemp(buf.data()) != nullptr);
    m_path = buf.data();
}

Scratch::~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::vector<std::string> Scratch::entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(m_path))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace buildertest
