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

// What Xen registers as a loaded payload's virtual region (register_virtual_region): its text
// for symbol lookup and backtraces, its read-only data, its exception table (sorted by fault
// address) and its bug frames. Spans point into the payload's own regions; a span is empty
// (nullptr, 0) when the payload has no such section.
struct PayloadRegion {
    const char* name;                   // the payload's name
    uint64_t text_start, text_end;      // [start, end) of the payload's text
    uint64_t rodata_start, rodata_end;  // [start, end) of its read-only data, 0 when none
    const uint8_t* ex_table;            // .ex_table: ex_table_count entries of ex_table_entry_size
    uint32_t ex_table_count;            // bytes (x86-64: s32 addr, s32 cont, each relative to
    uint32_t ex_table_entry_size;       // itself), sorted by addr
    struct BugFrames {
        const uint8_t* frames;          // .bug_frames.<i>: count entries of entry_size bytes
        uint32_t count;
        uint32_t entry_size;
    } bug_frames[4];
};

// Registers the region of a payload after a successful UPLOAD; `region` stays valid and
// unchanged until unregister_payload_region(region) is called with the same object, before the
// payload's memory is freed (UNLOAD, or an upload refused after loading). Xen:
// register_virtual_region / unregister_virtual_region. A port without exception or bug-frame
// handling for payloads may keep these empty.
void register_payload_region(const PayloadRegion& region) noexcept;
void unregister_payload_region(const PayloadRegion& region) noexcept;

// --- the hypervisor image ---------------------------------------------------------------------

// Address of the hypervisor symbol `name` (exact match, statics as "file#name"), or 0 when
// there is none. Xen: symbols_lookup_by_name.
uint64_t symbol_by_name(const char* name) noexcept;

// addrs[i] = symbol_by_name(names[i]) for i < n: the loader resolves a payload's undefined
// symbols in one call, so a port with a large table can overlap the lookups' cache misses.
// Xen: a loop over symbols_lookup_by_name.
void symbols_by_name(const char* const* names, uint64_t* addrs, size_t n) noexcept;

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

// The hypervisor's patchable text: every old function must lie inside [start, end) (or in a
// loaded payload's text). Only code that nothing but the CPUs parked by the rendezvous can run:
// Xen, all its text (_stext.._etext); the hosted hypervisor, its guest-facing code only
// (.hypervisor_text), since its other threads run the rest.
struct TextRange {
    uint64_t start;
    uint64_t end;
};
TextRange hypervisor_text() noexcept;

// --- log --------------------------------------------------------------------------------------

enum class LogLevel : uint8_t { error, warning, info, debug };

// One complete message line, without a trailing newline. Xen: printk with XENLOG_<level>.
void log(LogLevel level, const char* message) noexcept;

// --- CPUs, interrupts and time (the rendezvous) ------------------------------------------------

// Most CPUs the engine tracks (bitmaps naming CPUs are this wide).
constexpr unsigned kMaxCpus = 256;

// Number of online CPUs; CPU ids are 0 .. cpu_count()-1, fixed while the engine holds
// `cpu_maps_get()`. Xen: num_online_cpus.
unsigned cpu_count() noexcept;

// Id of the calling CPU. Xen: smp_processor_id.
unsigned this_cpu() noexcept;

// Stops CPU hot-plug until cpu_maps_put(); false when that is not possible now (the action then
// fails with -EBUSY). Xen: get_cpu_maps / put_cpu_maps.
bool cpu_maps_get() noexcept;
void cpu_maps_put() noexcept;

// Makes every online CPU other than the caller reach a safe point soon and call
// livepatch_check_work() there, waking idle CPUs. Xen: a tasklet on each CPU (an IPI).
void kick_cpus() noexcept;

// Busy-wait hint. Xen: cpu_relax.
void cpu_relax() noexcept;

// Called by a thread waiting for an engine lock after a bounded spin failed to get it, on every
// further round: a port whose lock holders may be descheduled lets them run, so a waiter that is
// not a CPU never burns a core (the hosted hypervisor: sched_yield on its control threads,
// cpu_relax on its pCPUs). Must not sleep on a CPU that a rendezvous may need. Xen: cpu_relax.
void lock_wait_hint() noexcept;

// Disables interrupts on the calling CPU, returning the previous state for irq_restore.
// Xen: local_irq_save / local_irq_restore.
unsigned long irq_save() noexcept;
void irq_restore(unsigned long flags) noexcept;

// Masks NMIs (x86) or SError (arm) for the patching window, and restores them.
// Xen: arch_livepatch_mask / arch_livepatch_unmask.
void mask_nmi() noexcept;
void unmask_nmi() noexcept;

// Monotonic nanoseconds. Xen: NOW().
uint64_t now_ns() noexcept;

// Refuses patching while some vCPU holds a copied stack (Xen's waitqueues): 0 or a positive
// errno (-EBUSY in Xen). Xen: arch_livepatch_safety_check.
int safety_check() noexcept;

// --- text patching ----------------------------------------------------------------------------

// Makes hypervisor and payload text writable for the patch window (an alias mapping, or relaxed
// page permissions). Called only by the rendezvous master inside the window: every CPU held,
// interrupts off, before the action's hooks and text writes; text is never writable outside the
// window. Must not wait for another CPU. Returns 0, or a positive errno with nothing left
// writable (the port undoes any partial step); the action then fails with that errno and writes
// nothing. Xen: arch_livepatch_quiesce.
int text_write_begin() noexcept;

// Writes `len` bytes at text address `addr` (between text_write_begin and text_write_end), with
// whatever cache maintenance the architecture needs for the new instructions (arm64: clean the
// D-cache to the point of unification, invalidate the I-cache). Called with every CPU parked.
void text_write(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept;

// Ends writability opened by a successful text_write_begin: called by the master right after the
// action, still inside the window, before the CPUs are released; when it returns no text is
// writable (a port that cannot restore the protection must stop, not carry on).
// Xen: arch_livepatch_revive.
void text_write_end() noexcept;

// Run on every CPU after patching, before it resumes: serialises the instruction stream
// (x86: a serialising instruction and a local TLB flush; arm64: isb).
// Xen: arch_livepatch_post_action.
void post_action() noexcept;

// --- guest memory (the sysctl handler) ----------------------------------------------------------

// Copies between hypervisor memory and the caller's buffers named by a guest handle. Return false
// when the handle does not name `len` accessible bytes (the call fails with -EFAULT).
// Xen: copy_from_guest / copy_to_guest(_offset).
bool copy_from_guest(void* dst, uint64_t handle, uint64_t offset, uint64_t len) noexcept;

// True when `len` bytes at `offset` of the buffer named by `handle` lie where the caller may
// have memory (a range and wrap check only: a copy may still fault, and then fails with -EFAULT).
// A NULL handle is in range, as address 0 is for Xen (its copy fails); `len` 0 is always in
// range. Xen: guest_handle_okay / guest_handle_subrange_okay.
bool guest_handle_okay(uint64_t handle, uint64_t offset, uint64_t len) noexcept;
bool copy_to_guest(uint64_t handle, uint64_t offset, const void* src, uint64_t len) noexcept;

}  // namespace livepatch::port
