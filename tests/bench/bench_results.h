// Shared by the benchmarks: statistics over repeated runs and build/bench/results.json, a JSON
// object of named figures, each {"value": <number>, "unit": "<unit>"} plus "ratio" (this figure
// over its baseline) where a baseline ran. Benchmarks merge their figures into the file.
#pragma once

#include <stdio.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace livepatch::bench {

// Median, minimum and maximum of repeated measurements.
struct Stats {
    double median = 0, min = 0, max = 0;
};

// Precondition: !samples.empty(). The median of an even count is the mean of the middle two.
inline Stats stats(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    Stats s;
    s.min = samples.front();
    s.max = samples.back();
    s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    return s;
}

// One figure: {"value", "unit"} and, when given, "ratio".
inline nlohmann::json figure(double value, const char* unit, std::optional<double> ratio = std::nullopt) {
    nlohmann::json f = {{"value", value}, {"unit", unit}};
    if (ratio)
        f["ratio"] = *ratio;
    return f;
}

// Adds `figures` (an object of named figures) to the results file at `path`, replacing figures
// of the same name and keeping every other one. An unreadable or malformed file is replaced
// (with a warning). Writes a temporary file and renames it, so readers never see half a file.
// Returns false (after printing why) when the file cannot be written.
inline bool merge_results(const std::string& path, const nlohmann::json& figures) {
    nlohmann::json all = nlohmann::json::object();
    if (std::ifstream in(path); in) {
        nlohmann::json old = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (old.is_object())
            all = std::move(old);
        else
            fprintf(stderr, "bench: %s is not a JSON object; starting it afresh\n", path.c_str());
    }
    for (const auto& [name, f] : figures.items())
        all[name] = f;
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        out << all.dump(2) << "\n";
        if (!out) {
            fprintf(stderr, "bench: cannot write %s\n", tmp.c_str());
            return false;
        }
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        perror(("bench: rename to " + path).c_str());
        return false;
    }
    return true;
}

}  // namespace livepatch::bench
