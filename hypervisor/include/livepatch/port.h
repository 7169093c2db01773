// The port: everything the engine needs from the hypervisor that hosts it.
//
// The engine core calls only these functions (plus memcpy/memset/memmove/memcmp). Each hosting
// hypervisor links one implementation: `port/hosted` (the embedded hosted hypervisor), the test
// port in tests/support (with fault injection), and a Xen port where each call is glue to an
// existing Xen primitive (named in the comment of each declaration).
//
// Binding is at link time, as Xen binds its arch_livepatch_* hooks: no vtables, no registration.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch::port {

// --- memory -----------------------------------------------------------------------------------

// Zeroed memory for engine bookkeeping (payload records, symbol arrays), aligned to `align`
// (a power of two, at most the page size). Returns nullptr when out of memory. Xen: _xzalloc.
void* zalloc(size_t size, size_t align) noexcept;

// Frees memory from zalloc; nullptr is ignored. Xen: xfree.
void free(void* ptr) noexcept;

// Page size used for payload regions. Xen: PAGE_SIZE.
size_t page_size() noexcept;

// Payload memory: `size` bytes (a multiple of page_size()), page aligned, zeroed, mapped
// read-write, and placed so that every byte lies within the architecture's branch reach of the
// hypervisor's text (x86-64: ±2 GiB; arm64: ±128 MiB). Returns nullptr when no such memory is
// available. Xen: vzalloc_xen (VMAP_XEN on x86, the LIVEPATCH_VMAP window on arm).
void* alloc_payload_pages(size_t size) noexcept;

// Releases memory from alloc_payload_pages (any permissions). Xen: vfree.
void free_payload_pages(void* ptr, size_t size) noexcept;

// Final permissions of a payload region.
enum class Perm : uint8_t { rx, rw, ro };

// Sets the permissions of whole pages inside a payload allocation. Returns 0 or a positive
// Xen errno. Xen: arch_livepatch_secure / modify_xen_mappings.
int protect_payload_pages(void* ptr, size_t size, Perm perm) noexcept;

// --- the hypervisor image ---------------------------------------------------------------------

// Address of the hypervisor symbol `name` (exact match, statics as "file#name"), or 0 when
// there is none. Xen: symbols_lookup_by_name.
uint64_t symbol_by_name(const char* name) noexcept;

// The hypervisor symbol containing `addr`: fills start, size and name (a pointer valid for the
// life of the hypervisor) and returns true, or returns false. Xen: symbols_lookup.
struct SymbolInfo {
    uint64_t start;
    uint64_t size;
    const char* name;
};
bool symbol_by_address(uint64_t addr, SymbolInfo* out) noexcept;

// The hypervisor's build-id (the desc of its NT_GNU_BUILD_ID note). Returns false when the
// hypervisor has none. Xen: xen_build_id.
bool hypervisor_build_id(const uint8_t** id, uint32_t* len) noexcept;

// The hypervisor's text: every old function must lie inside [start, end). Xen: _stext.._etext.
struct TextRange {
    uint64_t start;
    uint64_t end;
};
TextRange hypervisor_text() noexcept;

// --- log --------------------------------------------------------------------------------------

enum class LogLevel : uint8_t { error, warning, info, debug };

// One complete message line, without a trailing newline. Xen: printk with XENLOG_<level>.
void log(LogLevel level, const char* message) noexcept;

}  // namespace livepatch::port
