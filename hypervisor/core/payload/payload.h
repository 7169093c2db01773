// Payload: a loaded livepatch, owned by the engine from a successful UPLOAD until UNLOAD.
//
// Everything a payload points at lives in memory it owns: its regions (text RX, rw RW, ro RO,
// page aligned in one allocation), its symbol table and its copies of names. The function
// records, build-ids and hook tables point into those regions.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/patch/func_state.h"
#include "core/support/owned.h"
#include "livepatch/abi.h"
#include "livepatch/port.h"
#include "livepatch/span.h"

namespace livepatch {

// A symbol the payload defines, as registered for later payloads and backtraces.
struct PayloadSymbol {
    const char* name;  // into Payload::m_symbol_names
    uint64_t value;    // run-time address
    uint64_t size;
    bool new_symbol;   // not a replacement (new_addr) of some function: others may link to it
};

// One entry of a payload's name index: a new symbol (PayloadSymbol::new_symbol) and the hash of
// its name. The index is sorted by (hash, name, index), so that a lookup is a binary search and,
// among equal names, finds the first in the payload's table as Xen's linear scan does.
struct PayloadSymbolKey {
    uint64_t hash;   // str_hash(name)
    uint32_t index;  // into Payload::m_symbols
};

// A region of the payload allocation with one permission.
struct Region {
    uint8_t* base = nullptr;
    size_t size = 0;  // bytes used (not rounded to pages)

    bool contains(uint64_t addr, uint64_t len) const noexcept {
        const uint64_t b = reinterpret_cast<uintptr_t>(base);
        return base && addr >= b && len <= size && addr - b <= size - len;
    }
};

// A build-id: the desc bytes of an NT_GNU_BUILD_ID note.
struct BuildId {
    const uint8_t* bytes = nullptr;
    uint32_t len = 0;

    bool present() const noexcept { return bytes && len; }
    bool equals(const uint8_t* other, uint32_t other_len) const noexcept;
    bool equals(const BuildId& o) const noexcept { return equals(o.bytes, o.len); }
};

using VoidHook = void (*)();

// Payload states (LIVEPATCH_STATE_* of the sysctl ABI).
constexpr uint32_t kStateChecked = LIVEPATCH_STATE_CHECKED;
constexpr uint32_t kStateApplied = LIVEPATCH_STATE_APPLIED;

// What the last APPLY/REVERT/REPLACE of a payload measured (beyond Xen's ABI).
struct ActionRecord {
    uint32_t cmd = 0;            // LIVEPATCH_ACTION_*, 0 before any action
    int32_t rc = 0;              // final rc
    bool vetoed = false;         // a pre-apply/pre-revert hook refused it: no rendezvous ran
    uint64_t gather_ns = 0;      // from the master's start until every CPU had arrived
    uint64_t window_ns = 0;      // every CPU held: from all arrived until released
    uint64_t patch_ns = 0;       // the action itself (hooks and text writes)
    uint32_t cpus = 0;           // online CPUs during the action
    bool irq_phase = false;      // the timeout hit with interrupts off (else in the quiesce)
    uint32_t nr_missing = 0;     // CPUs that did not arrive, in that phase, before the timeout
    uint32_t missing[port::kMaxCpus / 32] = {};  // bitmap of those CPUs

    bool cpu_missing(unsigned cpu) const noexcept { return missing[cpu / 32] & (1u << (cpu % 32)); }
};

// Hooks of a payload. Load/unload hooks are arrays run at apply and revert; the others are
// optional single functions taking the (Xen-internal) payload pointer.
struct PayloadHooks {
    Span<const VoidHook> load;
    Span<const VoidHook> unload;
    uint64_t preapply = 0, apply = 0, postapply = 0;
    uint64_t prerevert = 0, revert = 0, postrevert = 0;
};

class Payload {
public:
    static constexpr size_t kNameSize = XEN_LIVEPATCH_NAME_SIZE;

    Payload() noexcept = default;
    // Unregisters the payload's region (if registered) before its memory goes.
    ~Payload();
    Payload(const Payload&) = delete;
    Payload& operator=(const Payload&) = delete;

    const char* name() const noexcept { return m_name; }

    // Function records in the loaded .livepatch.funcs (old_addr resolved at upload).
    Span<livepatch_func> funcs() const noexcept { return m_funcs; }

    const BuildId& build_id() const noexcept { return m_build_id; }
    const BuildId& depends() const noexcept { return m_depends; }
    const BuildId& xen_depends() const noexcept { return m_xen_depends; }
    const PayloadHooks& hooks() const noexcept { return m_hooks; }
    Span<const PayloadSymbol> symbols() const noexcept {
        return Span<const PayloadSymbol>(m_symbols.data(), m_symbols.size());
    }
    // .modinfo bytes (NUL-separated key=value strings), possibly empty.
    Span<const char> modinfo() const noexcept { return m_modinfo; }
    const Region& text() const noexcept { return m_text; }
    const Region& rw() const noexcept { return m_rw; }
    const Region& ro() const noexcept { return m_ro; }
    // Xen's safe_to_reapply: no writable section holds data except .livepatch.funcs.
    bool safe_to_reapply() const noexcept { return m_safe_to_reapply; }

    // The region registered with the port at UPLOAD (text, read-only data, the sorted
    // .ex_table, bug frames), unregistered when the payload is destroyed. Xen: payload->region.
    const port::PayloadRegion& region() const noexcept { return m_region; }
    bool region_registered() const noexcept { return m_region_registered; }

    // Run-time address of ELF section `index` of the uploaded file, or 0 when that section was
    // not loaded (not SHF_ALLOC, or out of range). For debuggers, backtraces and tests.
    uint64_t section_address(uint32_t index) const noexcept {
        return index < m_section_addr.size() ? m_section_addr[index] : 0;
    }

    // The new symbol called `name` (exact match; the first of the payload's table when several
    // share it, as Xen's livepatch_symbols_lookup_by_name), or nullptr. O(log n) in the number
    // of new symbols, however many share a name.
    const PayloadSymbol* find_new_symbol(const char* name) const noexcept;
    // The symbol containing `addr`, or nullptr.
    const PayloadSymbol* find_symbol_by_address(uint64_t addr) const noexcept;

    // Engine state: CHECKED or APPLIED, the last action's rc (-EAGAIN while one runs), whether
    // it was reverted before, its per-function patch state and its last action's record.
    uint32_t state() const noexcept { return m_state; }
    int32_t rc() const noexcept { return __atomic_load_n(&m_rc, __ATOMIC_ACQUIRE); }
    bool reverted() const noexcept { return m_reverted; }
    Span<const FuncState> func_states() const noexcept {
        return Span<const FuncState>(m_fstate.data(), m_fstate.size());
    }
    const ActionRecord& last_action() const noexcept { return m_last; }

    // Loaded payloads this one resolved symbols against or patches code of; it holds each of
    // them loaded (UNLOAD of a used payload is refused while users() > 0).
    Span<Payload* const> uses() const noexcept { return Span<Payload* const>(m_uses.data(), m_uses.size()); }
    uint32_t users() const noexcept { return m_users; }

    // Intrusive list links: all payloads (PayloadList), and the applied stack (Engine).
    Payload* next = nullptr;
    Payload* applied_prev = nullptr;
    Payload* applied_next = nullptr;

private:
    friend class PayloadLoader;
    friend class Engine;

    char m_name[kNameSize] = {};
    PayloadPages m_pages;
    Region m_text, m_rw, m_ro;
    Span<livepatch_func> m_funcs;
    BuildId m_build_id, m_depends, m_xen_depends;
    PayloadHooks m_hooks;
    Span<const char> m_modinfo;
    OwnedArray<uint64_t> m_section_addr;
    OwnedArray<PayloadSymbol> m_symbols;
    OwnedArray<PayloadSymbolKey> m_new_symbols;  // the new symbols, sorted (PayloadSymbolKey)
    OwnedArray<char> m_symbol_names;
    bool m_safe_to_reapply = false;
    port::PayloadRegion m_region = {};
    bool m_region_registered = false;

    OwnedArray<Payload*> m_uses;
    uint32_t m_users = 0;
    OwnedArray<FuncState> m_fstate;
    uint32_t m_state = kStateChecked;
    int32_t m_rc = 0;
    bool m_reverted = false;
    ActionRecord m_last;
};

}  // namespace livepatch
