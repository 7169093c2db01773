// Helpers shared by the engine's unit tests on the test port: a fresh engine per test, payload
// state, the fake text, and a loaded payload's variables.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "core/engine/engine.h"

namespace livepatch::test {

// Reverts (top first) and unloads every payload, before and after a test, so each test starts
// with an empty engine and the test port's defaults.
struct EngineReset {
    EngineReset();
    ~EngineReset();
    static void drain();
    // The top of the applied stack, or nullptr.
    static const Payload* top();
};

// GET's state of payload `name` (the GET must succeed).
uint32_t state_of(const std::string& name);

// A copy of the whole fake hypervisor text.
std::vector<uint8_t> text_copy();

// The fake text of xen_extra_version.
uint8_t* xev();

// The address of a new (global) symbol of loaded payload `payload`, as a pointer to int.
int* payload_int(const std::string& payload, const char* symbol);

}  // namespace livepatch::test
