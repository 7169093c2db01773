// Helpers of tests/tool/offline_test.cc: the environment, output capture, temporary files,
// readelf, and edits of payload copies.
#pragma once

#include <stdint.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace livepatch::tool::offline::test {

// LP_HOSTED_BIN and LP_TOOL_PAYLOADS. ok() is false (and a message says the tests are skipped)
// when either is unset; the offline payloads must exist when both are set.
struct Env {
    Env();
    bool ok() const { return !hosted.empty() && !payloads.empty(); }
    std::string payload(const std::string& stem) const { return payloads + "/" + stem + ".livepatch"; }
    std::string hosted, payloads;
};

struct Output {
    int rc = 0;
    std::string out, err;
};

// run_info / run_check with their streams captured.
Output info(const std::string& payload, bool json);
Output check(const std::string& payload, const std::string& image, bool json);

// A temporary directory, removed with its files.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return m_path; }
    // Writes `bytes` to <dir>/<name> and returns that path.
    std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const;

private:
    std::string m_path;
};

// Saves an environment variable and restores it on destruction.
class EnvVar {
public:
    explicit EnvVar(const char* name);
    ~EnvVar();

private:
    const char* m_name;
    std::optional<std::string> m_value;
};

std::vector<uint8_t> file_bytes(const std::string& path);
// stdout of a shell command (which must succeed).
std::string run(const std::string& command);
// The "Build ID:" of `readelf -n`.
std::string readelf_build_id(const std::string& elf);
// The size of section `name` in `readelf -SW` output.
uint64_t section_size(const std::string& readelf_sections, const std::string& name);
size_t count_lines_matching(const std::string& text, const std::string& needle);
// The first local function of `elf` that follows an STT_FILE symbol, named "<file>#<name>".
std::string first_static_function(const std::string& elf);
// Every *.livepatch file of `dir`.
std::vector<std::string> list_payloads(const std::string& dir);

// Flips the last byte of the build-id in note section `section` of `bytes` (a copy of `payload`)
// and returns the new build-id as hex.
std::string flip_note_desc(const std::string& payload, std::vector<uint8_t>* bytes, const std::string& section);

// Replaces the build-id in note section `section` of `bytes` (a copy of `payload`) with `hex`
// (of the same length).
void set_note_desc(const std::string& payload, std::vector<uint8_t>* bytes, const std::string& section,
                   const std::string& hex);

// Builds a stand-in for Xen's xen-syms in `dir`: an ET_EXEC image linked at Xen's x86-64 address
// (0xffff82d040200000) with a build-id, defining xen_extra_version and do_compute, and a static
// function `helper` of file "version.c". Returns its path.
std::string build_fake_xen_syms(const std::string& dir);

// The check called `name` in a `check --json` document (fails the test when absent).
const nlohmann::json& find_check(const nlohmann::json& report, const std::string& name);
bool has_check(const nlohmann::json& report, const std::string& name);

}  // namespace livepatch::tool::offline::test
