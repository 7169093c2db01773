// Durations on the command line (--timeout, --wait): a decimal number and a unit.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>

namespace livepatch::tool {

// Parses "<number><unit>": the number is decimal digits with an optional fraction ("1.5"), the
// unit one of ns, us, ms, s. "0" needs no unit. The result is rounded down to whole nanoseconds.
// Returns nullopt, with *why saying what is wrong, for anything else (a missing unit, a negative
// or empty number, more than about 584 years).
std::optional<uint64_t> parse_duration(const std::string& text, std::string* why);

// A duration for people: the largest unit that shows it exactly ("30ms", "1500us", "2s", "0ns").
std::string format_duration(uint64_t ns);

}  // namespace livepatch::tool
