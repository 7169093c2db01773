// libFuzzer target over `xen-livepatch info`: run_info (xl-tool/offline/info_command.cc) on
// arbitrary bytes, as a file, in both output forms. The input goes through the same path as a
// file named on the command line: read_payload_file (the 2 MiB cap), libelf, the records, the
// notes and the printers.
//
// The target aborts (__builtin_trap) when
//   - run_info returns anything but 0 (read) or 1 (refused with a message),
//   - a refusal has no message naming the file, or a read payload's JSON does not parse,
//   - a hook section reports more pointers than the file has bytes for.
// AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer catch the rest; libFuzzer's
// -rss_limit_mb and -timeout catch a reader that grows or loops without bound.
#include <stddef.h>
#include <stdint.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../../xl-tool/offline/commands.h"
#include "fuzz/input_file.h"

using namespace livepatch::fuzz;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    open_input_file("info-fuzzer");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    write_input_file(data, size);
    const std::string& path = input_path();
    for (bool json : {false, true}) {
        std::ostringstream out, err;
        const int rc = livepatch::tool::offline::run_info(path, json, out, err);
        if (rc != 0 && rc != 1)
            die("unexpected exit code", std::to_string(rc));
        if (rc == 1 && err.str().find(path) == std::string::npos)
            die("a refusal does not name the file", err.str());
        if (rc == 0 && json) {
            const nlohmann::json j = nlohmann::json::parse(out.str(), nullptr, false);
            if (j.is_discarded())
                die("invalid JSON", out.str().substr(0, 200));
            for (const nlohmann::json& h : j["hooks"]) {
                if (h["count"].get<uint64_t>() * 8 > size || h["functions"].size() != h["count"].get<uint64_t>())
                    die("hook count beyond the file", h.dump());
            }
        }
    }
    return 0;
}
