// Linearizability of a recorded history against the engine model (engine_model.h): a search in the
// manner of Wing and Gong (with Lowe's memo of visited configurations). Each client's operations
// are sequential, so a configuration is how many of each client's operations are linearized,
// plus the model state; an operation may be linearized next when it was invoked before every
// other pending operation returned.
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

#include "engine_model.h"
#include "history.h"

namespace stress {

struct Linearization {
    bool ok = false;
    ModelState final_state;           // after the whole history (when ok)
    std::vector<std::pair<int, int>> order;  // (client, index) in linearization order (when ok)
    size_t configurations = 0;        // distinct configurations visited
    bool gave_up = false;             // stopped at `max_configurations`
    // When not ok: the longest linearizable prefix found, and the operations that could not
    // follow it, described.
    std::string why;
};

// Searches for a linearization of `history` from the empty state. Stops after
// `max_configurations` (gave_up set, ok false).
Linearization linearize(const Facts& facts, const History& history, const std::vector<std::string>& names,
                        size_t max_configurations = 3'000'000);

// Every file's label, indexed as the model indexes files (for ModelState::describe).
std::vector<std::string> file_labels(const Facts& facts);

}  // namespace stress
