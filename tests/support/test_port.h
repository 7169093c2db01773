// The test port: a fake hypervisor for unit tests, with its own "text" (a buffer inside the test
// binary), a symbol table the test controls, a build-id, captured log lines, allocation
// accounting and fault injection (in the manner of MicroV's platform test fake).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "core/symtab/symbol_table.h"

namespace livepatch::test {

class TestHypervisor {
public:
    // Restores the defaults: the standard symbols below, the default build-id, no fault
    // injection, an empty log. Does not touch allocation counters.
    void reset();

    // The fake hypervisor text: kTextSize bytes, page aligned, filled with `ret` (0xc3) except
    // where the standard symbols put other bytes. Readable and writable by tests.
    static constexpr size_t kTextSize = 1 << 20;
    uint8_t* text() const;
    uint64_t text_addr() const { return reinterpret_cast<uintptr_t>(text()); }

    // Defines (or redefines) a hypervisor symbol.
    void add_symbol(const std::string& name, uint64_t addr, uint64_t size);
    void remove_symbol(const std::string& name);
    // Serves lookups from `table` (e.g. a 100,000-symbol table) instead of the test's own
    // symbols; nullptr restores them.
    void use_symbol_table(const SymbolTable* table) { m_table = table; }

    // Standard symbols (all inside text()):
    //   "xen_extra_version"  at text+0x1000, 64 bytes, plain code
    //   "ibt_function"       at text+0x2000, 64 bytes, starts with ENDBR64
    //   "tiny_function"      at text+0x3000, 4 bytes
    //   "common/sched.c#do_schedule" at text+0x4000, 64 bytes (a static)
    //   "printk"             at text+0x5000, 32 bytes
    //   "xen_data_object"    at text+0x6000, 8 bytes
    static constexpr uint64_t kExtraVersionOff = 0x1000;
    static constexpr uint64_t kIbtFunctionOff = 0x2000;
    static constexpr uint64_t kTinyFunctionOff = 0x3000;
    static constexpr uint64_t kStaticFunctionOff = 0x4000;
    static constexpr uint64_t kPrintkOff = 0x5000;
    static constexpr uint64_t kDataObjectOff = 0x6000;

    // The hypervisor build-id (20 bytes by default: kDefaultBuildId); empty means "none".
    static const std::vector<uint8_t>& default_build_id();
    void set_build_id(std::vector<uint8_t> id) { m_build_id = std::move(id); }
    const std::vector<uint8_t>& build_id() const { return m_build_id; }

    // Fault injection: the Nth (0-based) call from now of zalloc / alloc_payload_pages /
    // protect_payload_pages fails; -1 disables.
    long fail_zalloc_at = -1;
    long fail_payload_alloc_at = -1;
    long fail_protect_at = -1;
    // port::text_write_begin fails with this positive errno (0: it succeeds).
    int fail_text_write_begin = 0;

    // Guest memory that is in range (port::guest_handle_okay accepts it) but faults when copied
    // (copy_from_guest / copy_to_guest fail): [addr, addr + len). reset() clears it.
    void set_guest_fault(uint64_t addr, uint64_t len) {
        m_fault_addr = addr;
        m_fault_len = len;
    }
    bool guest_faults(uint64_t addr, uint64_t len) const {
        return m_fault_len && len && addr < m_fault_addr + m_fault_len && m_fault_addr < addr + len;
    }

    // The text-write window since the last reset(): text_write_begin/_end calls, those made with
    // interrupts on (not by a rendezvous master inside its window), and text writes made while
    // the window was not open. Written by the CPU that runs the rendezvous.
    struct TextWindow {
        long begins = 0;
        long ends = 0;
        long outside_rendezvous = 0;
        long writes_while_closed = 0;
        bool open = false;
    };
    TextWindow text_window;

    // Allocations not yet freed (zalloc blocks, payload page ranges).
    long live_zallocs() const { return m_live_zallocs; }
    long live_payload_allocs() const { return m_live_payload_allocs; }
    // Every zalloc / payload allocation made since process start.
    long total_zallocs() const { return m_total_zallocs; }

    // Every protect_payload_pages call since the last reset(): address, length, Perm as int.
    struct ProtectCall {
        uint64_t addr;
        uint64_t len;
        int perm;
    };
    const std::vector<ProtectCall>& protect_calls() const { return m_protect_calls; }

    // Log lines received since the last reset().
    const std::vector<std::string>& log() const { return m_log; }
    void clear_log() { m_log.clear(); }

    // Port callbacks (called only by the port functions).
    void* port_zalloc(size_t size, size_t align);
    void port_free(void* p);
    void* port_alloc_payload(size_t size);
    void port_free_payload(void* p, size_t size);
    int port_protect(void* p, size_t size, int perm);
    uint64_t port_symbol_by_name(const char* name) const;
    void port_symbols_by_name(const char* const* names, uint64_t* addrs, size_t n) const;
    bool port_symbol_by_address(uint64_t addr, uint64_t* start, uint64_t* size, const char** name) const;
    void port_log(int level, const char* msg);

private:
    struct Sym {
        std::string name;
        uint64_t addr;
        uint64_t size;
    };
    std::vector<Sym> m_symbols;
    const SymbolTable* m_table = nullptr;
    std::vector<uint8_t> m_build_id;
    std::vector<std::string> m_log;
    std::vector<ProtectCall> m_protect_calls;
    long m_live_zallocs = 0;
    long m_live_payload_allocs = 0;
    long m_total_zallocs = 0;
    uint64_t m_fault_addr = 0, m_fault_len = 0;
};

// The one fake hypervisor of the test process.
TestHypervisor& hv();

// Reads a whole file (fixtures); fails the calling test when it cannot.
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace livepatch::test
