// The engine's port for the hosted hypervisor: memory near its own text, its own symbols and
// build-id, real text patching through a read-write view mapped only inside the patch window
// (text_alias.h: no mapping is ever writable and executable), the log, the clock, and guest
// memory arenas for the sysctl.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "arch/arch.h"
#include "hosted.h"
#include "text_alias.h"
#include "livepatch/errc.h"
#include "livepatch/port.h"

namespace livepatch::hosted {

namespace {

std::atomic<bool> g_safety_failure{false};
std::atomic<int> g_log_level{2};

thread_local uint8_t* t_arena = nullptr;
thread_local size_t t_arena_len = 0;

constexpr uintptr_t kPage = 4096;

}  // namespace

void set_guest_arena(uint8_t* base, size_t len) {
    t_arena = base;
    t_arena_len = base ? len : 0;
}

void set_safety_failure(bool fail) { g_safety_failure = fail; }

void set_log_level(int level) { g_log_level = level; }

}  // namespace livepatch::hosted

namespace livepatch::port {

using namespace livepatch::hosted;

void* zalloc(size_t size, size_t align) noexcept {
    if (align <= alignof(max_align_t))
        return calloc(1, size ? size : 1);  // fresh pages from the kernel need no memset
    void* p = nullptr;
    if (posix_memalign(&p, align, size ? size : 1) != 0)
        return nullptr;
    memset(p, 0, size);
    return p;
}

void free(void* ptr) noexcept { ::free(ptr); }

size_t page_size() noexcept { return kPage; }

void* alloc_payload_pages(size_t size) noexcept {
    // From the arena reserved next to the image at start-up (within half the branch reach of
    // every byte of it: x86-64 ±1 GiB of rel32's ±2 GiB, arm64 ±64 MiB of B's ±128 MiB), so that
    // a branch reaches every byte either way, and its text can be written through the window's
    // view. No candidate address is mapped, let alone populated, before it is known to fit.
    return arena_alloc(size);
}

void free_payload_pages(void* ptr, size_t size) noexcept {
    if (ptr)
        arena_free(ptr, size);
}

int protect_payload_pages(void* ptr, size_t size, Perm perm) noexcept {
    // Never write and execute together: text is RX, data RW or RO.
    int prot = PROT_READ;
    if (perm == Perm::rx)
        prot |= PROT_EXEC;
    else if (perm == Perm::rw)
        prot |= PROT_WRITE;
    if (mprotect(ptr, size, prot) != 0)
        return static_cast<int>(Errc::kEINVAL);
    return 0;
}

// Payload regions: nothing here handles faults or bug frames in payload code (Xen's port will).
void register_payload_region(const PayloadRegion&) noexcept {}
void unregister_payload_region(const PayloadRegion&) noexcept {}

uint64_t symbol_by_name(const char* name) noexcept { return image().symbols.lookup(name); }

void symbols_by_name(const char* const* names, uint64_t* addrs, size_t n) noexcept {
    image().symbols.lookup_batch(names, addrs, n);
}

bool symbol_by_address(uint64_t addr, SymbolInfo* out) noexcept {
    const SymbolEntry* e = image().symbols.containing(addr);
    if (!e)
        return false;
    *out = {e->addr, e->size, e->name};
    return true;
}

bool hypervisor_build_id(const uint8_t** id, uint32_t* len) noexcept {
    const Image& img = image();
    if (!img.build_id_len)
        return false;
    *id = img.build_id;
    *len = img.build_id_len;
    return true;
}

// Only the patchable hypervisor text (hypervisor_text.ld): the code pCPUs run for guests, never
// the code of the socket, worker or main threads, which the rendezvous does not park.
TextRange hypervisor_text() noexcept { return {patchable_text_start(), patchable_text_end()}; }

void log(LogLevel level, const char* message) noexcept {
    // One write(2) per line: whole lines even from concurrent CPUs, and no stdio lock held by a
    // pCPU (the rendezvous master logs right after the window).
    static const char* const kLevel[] = {"ERR", "WARN", "INFO", "DBG"};
    if (static_cast<int>(level) > g_log_level.load(std::memory_order_relaxed))
        return;
    char line[600];
    const int n = snprintf(line, sizeof line, "(XEN) [%s] %s\n", kLevel[static_cast<int>(level) & 3], message);
    if (n > 0) {
        const size_t len = static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1;
        if (write(STDERR_FILENO, line, len) < 0) {
            // nowhere left to report it
        }
    }
}

uint64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int safety_check() noexcept { return g_safety_failure ? static_cast<int>(Errc::kEBUSY) : 0; }

// Called by the rendezvous master inside the window (every CPU held): one mmap of the read-write
// view; the executable mappings never change.
int text_write_begin() noexcept { return alias_open(); }

void text_write(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept {
    alias_write(addr, bytes, len);  // the stores through the view, and the architecture's cache maintenance
}

// One munmap; a failure is fatal (logged, then abort) rather than a writable view left behind.
void text_write_end() noexcept { alias_close(); }

void post_action() noexcept { arch::post_patch(); }  // x86-64: CPUID; arm64: ISB

bool copy_from_guest(void* dst, uint64_t handle, uint64_t offset, uint64_t len) noexcept {
    if (!t_arena || !handle)
        return false;
    const uint64_t start = handle - 1 + offset;
    if (start < handle - 1 || start > t_arena_len || len > t_arena_len - start)
        return false;
    memcpy(dst, t_arena + start, len);
    return true;
}

bool guest_handle_okay(uint64_t handle, uint64_t offset, uint64_t len) noexcept {
    if (!len || !handle)
        return true;  // NULL is in range, as address 0 is for Xen; its copy then fails (-EFAULT)
    if (!t_arena)
        return false;
    const uint64_t start = handle - 1 + offset;
    return start >= handle - 1 && start <= t_arena_len && len <= t_arena_len - start;
}

bool copy_to_guest(uint64_t handle, uint64_t offset, const void* src, uint64_t len) noexcept {
    if (!t_arena || !handle)
        return false;
    const uint64_t start = handle - 1 + offset;
    if (start < handle - 1 || start > t_arena_len || len > t_arena_len - start)
        return false;
    memcpy(t_arena + start, src, len);
    return true;
}

}  // namespace livepatch::port
