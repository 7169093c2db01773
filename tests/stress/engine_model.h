// A sequential model of the engine's payload state machine as a dom0 client sees it (Xen 4.17's
// livepatch_action and do_livepatch_work, with the engine's documented choices; docs/design.md
// §6): the payload list in upload order with each one's state, status rc and "reverted" flag, the
// applied stack, and the one action that may be scheduled. An action completes at some moment
// after it was scheduled that no client observes directly: the model lets that completion happen
// before any later operation, with either outcome a rendezvous allows (the action ran, or every
// CPU did not arrive in time: -EBUSY, nothing changed).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "history.h"

namespace stress {

// What the model needs to know about one payload file (read from the file: payload_facts.h).
struct FileFacts {
    std::string label;             // for messages: the file's name
    std::string build_id;          // its own build-id (hex)
    std::string depends;           // .livepatch.depends (hex)
    bool safe_to_reapply = true;   // no writable allocated data but .livepatch.funcs
    bool vetoing_hooks = false;    // a pre- or post- apply/revert hook: REPLACE refuses it
    bool expectation = false;      // a record with an expectation, which the test's payloads
                                   // make fail (four int3 bytes no function starts with)
};

struct Facts {
    std::string hypervisor_build_id;  // hex
    std::vector<FileFacts> files;
};

struct ModelPayload {
    int8_t name = 0;
    int8_t file = 0;
    uint8_t state = 1;  // CHECKED
    bool reverted = false;
    int32_t rc = 0;
    bool operator==(const ModelPayload&) const = default;
};

struct ModelState {
    std::vector<ModelPayload> payloads;  // upload order (LIST's order)
    std::vector<int8_t> applied;         // names, bottom first
    int8_t pending = -1;                 // name of the payload whose action is scheduled, or -1
    uint8_t pending_cmd = 0;             // its LIVEPATCH_ACTION_*
    bool operator==(const ModelState&) const = default;
    size_t hash() const;
    // "n1:a APPLIED rc 0, n2:c CHECKED rc -22 (reverted); stack n1; pending -"
    std::string describe(const std::vector<std::string>& names, const std::vector<std::string>& files) const;
};

// Every state the model can be in after `op` returned what it returned, starting from `s` (the
// scheduled action, if any, may complete first, in any way a rendezvous allows: its window and
// its outcome, post hooks included, are one step no client sees half-way). Empty: `op`'s result is impossible from `s`.
std::vector<ModelState> step(const Facts& facts, const ModelState& s, const Op& op);

}  // namespace stress
