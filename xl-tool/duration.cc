#include "duration.h"

#include <ctype.h>

#include <iterator>
#include <string>

namespace livepatch::tool {

namespace {

struct Unit {
    const char* suffix;
    uint64_t ns;
};
// Longest suffix first where one ends another ("ms", "ns", "us" before "s").
constexpr Unit kUnits[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};

bool ends_with(const std::string& s, const char* suffix, size_t n) {
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

std::optional<uint64_t> parse_duration(const std::string& text, std::string* why) {
    if (text == "0")
        return 0;
    const Unit* unit = nullptr;
    std::string number;
    for (const Unit& u : kUnits) {
        const size_t n = std::char_traits<char>::length(u.suffix);
        if (ends_with(text, u.suffix, n)) {
            unit = &u;
            number = text.substr(0, text.size() - n);
            break;
        }
    }
    if (!unit) {
        *why = "'" + text + "' has no unit: write it as a number followed by ns, us, ms or s (e.g. 30ms)";
        return std::nullopt;
    }
    const size_t dot = number.find('.');
    const std::string whole = number.substr(0, dot);
    const std::string frac = dot == std::string::npos ? "" : number.substr(dot + 1);
    auto digits = [](const std::string& s) {
        for (char c : s) {
            if (!isdigit(static_cast<unsigned char>(c)))
                return false;
        }
        return true;
    };
    if (whole.empty() || !digits(whole) || !digits(frac) || (dot != std::string::npos && frac.empty())) {
        *why = "'" + text + "' is not a duration: write a non-negative number followed by ns, us, ms or s";
        return std::nullopt;
    }
    constexpr uint64_t kMax = UINT64_MAX;
    const uint64_t limit = kMax / unit->ns;  // whole units that fit
    uint64_t ns = 0;
    for (char c : whole) {
        const uint64_t d = static_cast<uint64_t>(c - '0');
        if (ns > (limit - d) / 10) {
            *why = "'" + text + "' is too long a duration";
            return std::nullopt;
        }
        ns = ns * 10 + d;
    }
    ns *= unit->ns;
    uint64_t scale = unit->ns;
    for (char c : frac) {  // each fraction digit is worth a tenth of the previous one
        scale /= 10;
        if (!scale)
            break;  // finer than a nanosecond: dropped
        const uint64_t add = static_cast<uint64_t>(c - '0') * scale;
        if (ns > kMax - add) {
            *why = "'" + text + "' is too long a duration";
            return std::nullopt;
        }
        ns += add;
    }
    return ns;
}

std::string format_duration(uint64_t ns) {
    if (ns == 0)
        return "0ns";
    for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it) {
        if (ns % it->ns == 0)
            return std::to_string(ns / it->ns) + it->suffix;
    }
    return std::to_string(ns) + "ns";
}

}  // namespace livepatch::tool
