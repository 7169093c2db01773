// PayloadList: every loaded payload, in upload order. Owns the payloads.
// Not thread-safe: callers serialise access (Xen: payload_lock).
#pragma once

#include <stddef.h>

#include "core/payload/payload.h"
#include "core/support/owned.h"

namespace livepatch {

class PayloadList {
public:
    PayloadList() noexcept = default;
    PayloadList(const PayloadList&) = delete;
    PayloadList& operator=(const PayloadList&) = delete;
    ~PayloadList();

    // Appends a payload; the list owns it from now on.
    void add(Owned<Payload> payload) noexcept;

    // Removes and returns the payload called `name` (nullptr-holding Owned when absent).
    Owned<Payload> remove(const char* name) noexcept;

    // The payload called `name`, or nullptr.
    Payload* find(const char* name) const noexcept;
    // The payload whose own build-id equals `id`, or nullptr.
    Payload* find_by_build_id(const BuildId& id) const noexcept;

    // Address of the new symbol `name` defined by any loaded payload, or 0.
    uint64_t find_new_symbol(const char* name) const noexcept;
    // The loaded payload defining new symbol `name` (its address in *value), or nullptr.
    Payload* find_new_symbol_owner(const char* name, uint64_t* value) const noexcept;
    // The loaded payload whose text holds [addr, addr + len), or nullptr.
    Payload* find_text_owner(uint64_t addr, uint64_t len) const noexcept;

    Payload* first() const noexcept { return m_head; }
    size_t count() const noexcept { return m_count; }

private:
    Payload* m_head = nullptr;
    size_t m_count = 0;
};

}  // namespace livepatch
