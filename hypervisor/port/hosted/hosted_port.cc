// The engine's port for the hosted hypervisor: memory near its own text, its own symbols and
// build-id, real text patching through page permissions opened before the rendezvous, the log,
// the clock, and guest memory arenas for the sysctl.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "arch/arch.h"
#include "hosted.h"
#include "livepatch/errc.h"
#include "livepatch/port.h"

namespace livepatch::hosted {

namespace {

std::mutex g_mem_lock;
std::map<uintptr_t, size_t> g_exec_regions;  // payload text regions (RX), by address
std::atomic<bool> g_safety_failure{false};
std::atomic<int> g_log_level{2};

thread_local uint8_t* t_arena = nullptr;
thread_local size_t t_arena_len = 0;

constexpr uintptr_t kPage = 4096;

uintptr_t page_down(uintptr_t a) { return a & ~(kPage - 1); }
uintptr_t page_up(uintptr_t a) { return (a + kPage - 1) & ~(kPage - 1); }

// Restoring text to read-only after a patch (an mprotect of the image and every payload's text,
// with its TLB shootdown) runs on a housekeeping thread rather than on the master pCPU right after
// it releases the others, so no guest vCPU waits for it. The next text_write_begin waits for it.
// Never destroyed: the housekeeping thread may still wait on them while the process exits.
std::mutex& g_prot_lock = *new std::mutex;
std::condition_variable& g_prot_cv = *new std::condition_variable;
bool g_reprotect_pending = false;
bool g_worker_started = false;

bool set_text_prot(int prot);

void reprotect_worker() {
    std::unique_lock<std::mutex> lk(g_prot_lock);
    for (;;) {
        g_prot_cv.wait(lk, [] { return g_reprotect_pending; });
        set_text_prot(PROT_READ | PROT_EXEC);
        g_reprotect_pending = false;
        g_prot_cv.notify_all();
    }
}

bool set_text_prot(int prot) {
    const Image& img = image();
    const uintptr_t lo = page_down(img.text_start), hi = page_up(img.text_end);
    if (mprotect(reinterpret_cast<void*>(lo), hi - lo, prot) != 0)
        return false;
    std::lock_guard<std::mutex> g(g_mem_lock);
    for (const auto& [addr, len] : g_exec_regions) {
        if (mprotect(reinterpret_cast<void*>(addr), len, prot) != 0)
            return false;
    }
    return true;
}

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
    // Within half the branch reach of the hypervisor's text (x86-64: ±1 GiB of rel32's ±2 GiB;
    // arm64: ±64 MiB of B's ±128 MiB), so that a branch reaches every byte either way.
    const Image& img = image();
    const uintptr_t text = img.text_start;
    const uintptr_t window = static_cast<uintptr_t>(arch::patch_range()) / 2, step = window / 32;
    for (uintptr_t delta = step; delta < window; delta += step) {
        for (int below = 0; below < 2; ++below) {
            const uintptr_t hint = below ? text - delta : img.text_end + delta;
            // MAP_POPULATE: the loader writes every page at once; fault them in one batch.
            void* p = mmap(reinterpret_cast<void*>(page_down(hint)), size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
            if (p == MAP_FAILED)
                continue;
            const uintptr_t a = reinterpret_cast<uintptr_t>(p);
            const uintptr_t far = a > text ? a + size - text : img.text_end - a;
            if (far < window)
                return p;
            munmap(p, size);
        }
    }
    return nullptr;
}

void free_payload_pages(void* ptr, size_t size) noexcept {
    if (!ptr)
        return;
    {
        std::lock_guard<std::mutex> g(g_mem_lock);
        const uintptr_t lo = reinterpret_cast<uintptr_t>(ptr);
        for (auto it = g_exec_regions.lower_bound(lo); it != g_exec_regions.end() && it->first < lo + size;)
            it = g_exec_regions.erase(it);
    }
    munmap(ptr, size);
}

int protect_payload_pages(void* ptr, size_t size, Perm perm) noexcept {
    int prot = PROT_READ;
    if (perm == Perm::rx)
        prot |= PROT_EXEC;
    else if (perm == Perm::rw)
        prot |= PROT_WRITE;
    if (mprotect(ptr, size, prot) != 0)
        return static_cast<int>(Errc::kEINVAL);
    if (perm == Perm::rx) {
        std::lock_guard<std::mutex> g(g_mem_lock);
        g_exec_regions[reinterpret_cast<uintptr_t>(ptr)] = size;
    }
    return 0;
}

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

TextRange hypervisor_text() noexcept { return {image().text_start, image().text_end}; }

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

int text_write_begin() noexcept {
    std::unique_lock<std::mutex> lk(g_prot_lock);
    g_prot_cv.wait(lk, [] { return !g_reprotect_pending; });
    return set_text_prot(PROT_READ | PROT_WRITE | PROT_EXEC) ? 0 : static_cast<int>(Errc::kEINVAL);
}

void text_write(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept {
    arch::patch_text(addr, bytes, len);  // the stores and the architecture's cache maintenance
}

void text_write_end() noexcept {
    std::lock_guard<std::mutex> lk(g_prot_lock);
    if (!g_worker_started) {
        std::thread(reprotect_worker).detach();
        g_worker_started = true;
    }
    g_reprotect_pending = true;
    g_prot_cv.notify_all();
}

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
    if (!len)
        return true;
    if (!t_arena || !handle)
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
