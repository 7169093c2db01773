// The offline port (see offline_port.h). Memory is the process's; payload pages are placed within
// ±1 GiB of the image's rebased text (as the hosted port places them near its own text), so that
// rel32 relocations and branch reach are judged as the running hypervisor would judge them.
#include "offline_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "livepatch/errc.h"

namespace livepatch::tool::offline {

namespace {

const HypervisorImage* g_image = nullptr;
std::vector<LogLine>* g_log = nullptr;

constexpr uintptr_t kPage = 4096;
constexpr uintptr_t kNear = 1ull << 30;     // every payload byte within 1 GiB of the text
constexpr uintptr_t kStep = 32ull << 20;

// Memory within kNear of [text_start, text_end), or nullptr.
void* map_near(uintptr_t text_start, uintptr_t text_end, size_t size) {
    for (uintptr_t delta = kStep; delta < kNear; delta += kStep) {
        for (int below = 0; below < 2; ++below) {
            if (below && text_start < delta)
                continue;
            const uintptr_t hint = (below ? text_start - delta : text_end + delta) & ~(kPage - 1);
            void* p = mmap(reinterpret_cast<void*>(hint), size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (p == MAP_FAILED)
                continue;
            const uintptr_t a = reinterpret_cast<uintptr_t>(p);
            const uintptr_t far = a > text_start ? a + size - text_start : text_end - a;
            if (far < kNear)
                return p;
            munmap(p, size);
        }
    }
    return nullptr;
}

}  // namespace

void attach_port(const HypervisorImage* image, std::vector<LogLine>* log) {
    g_image = image;
    g_log = log;
}

}  // namespace livepatch::tool::offline

namespace livepatch::port {

using livepatch::tool::offline::g_image;
using livepatch::tool::offline::g_log;

void* zalloc(size_t size, size_t align) noexcept {
    if (align <= alignof(max_align_t))
        return calloc(1, size ? size : 1);
    void* p = nullptr;
    if (posix_memalign(&p, align, size ? size : 1) != 0)
        return nullptr;
    memset(p, 0, size);
    return p;
}

void free(void* ptr) noexcept { ::free(ptr); }

size_t page_size() noexcept { return livepatch::tool::offline::kPage; }

void* alloc_payload_pages(size_t size) noexcept {
    if (!g_image) {
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? nullptr : p;
    }
    return livepatch::tool::offline::map_near(g_image->text_start(), g_image->text_end(), size);
}

void free_payload_pages(void* ptr, size_t size) noexcept {
    if (ptr)
        munmap(ptr, size);
}

int protect_payload_pages(void* ptr, size_t size, Perm perm) noexcept {
    int prot = PROT_READ;
    if (perm == Perm::rx)
        prot |= PROT_EXEC;
    else if (perm == Perm::rw)
        prot |= PROT_WRITE;
    return mprotect(ptr, size, prot) == 0 ? 0 : static_cast<int>(Errc::kEINVAL);
}

// Payload regions: nothing here handles faults or bug frames in payload code (Xen's port will).
void register_payload_region(const PayloadRegion&) noexcept {}
void unregister_payload_region(const PayloadRegion&) noexcept {}

uint64_t symbol_by_name(const char* name) noexcept { return g_image ? g_image->symbols().lookup(name) : 0; }

void symbols_by_name(const char* const* names, uint64_t* addrs, size_t n) noexcept {
    if (g_image) {
        g_image->symbols().lookup_batch(names, addrs, n);
        return;
    }
    for (size_t i = 0; i < n; ++i)
        addrs[i] = 0;
}

bool symbol_by_address(uint64_t addr, SymbolInfo* out) noexcept {
    const SymbolEntry* e = g_image ? g_image->symbols().containing(addr) : nullptr;
    if (!e)
        return false;
    *out = {e->addr, e->size, e->name};
    return true;
}

bool hypervisor_build_id(const uint8_t** id, uint32_t* len) noexcept {
    if (!g_image || g_image->build_id().empty())
        return false;
    *id = g_image->build_id().data();
    *len = static_cast<uint32_t>(g_image->build_id().size());
    return true;
}

TextRange hypervisor_text() noexcept {
    if (!g_image)
        return {0, 0};
    return {g_image->text_start(), g_image->text_end()};
}

void log(LogLevel level, const char* message) noexcept {
    if (g_log) {
        try {
            g_log->push_back({level, message});
            return;
        } catch (...) {
            // out of memory: fall through to stderr
        }
    }
    fprintf(stderr, "%s\n", message);
}

// No CPUs are ever stopped and no text is ever written: `check` never patches. These exist
// because the engine's objects that the tool links refer to them.
unsigned cpu_count() noexcept { return 1; }
unsigned this_cpu() noexcept { return 0; }
bool cpu_maps_get() noexcept { return true; }
void cpu_maps_put() noexcept {}
void kick_cpus() noexcept {}
void cpu_relax() noexcept {}
void lock_wait_hint() noexcept {}  // one thread: the lock is never contended
unsigned long irq_save() noexcept { return 0; }
void irq_restore(unsigned long) noexcept {}
void mask_nmi() noexcept {}
void unmask_nmi() noexcept {}

uint64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int safety_check() noexcept { return 0; }
int text_write_begin() noexcept { return static_cast<int>(Errc::kEOPNOTSUPP); }  // the image is never patched
void text_write(uint64_t, const uint8_t*, uint32_t) noexcept {}
void text_write_end() noexcept {}
void post_action() noexcept {}

bool copy_from_guest(void*, uint64_t, uint64_t, uint64_t) noexcept { return false; }
bool copy_to_guest(uint64_t, uint64_t, const void*, uint64_t) noexcept { return false; }
// No guest memory: only a wrapping range is refused; every copy fails.
bool guest_handle_okay(uint64_t handle, uint64_t offset, uint64_t len) noexcept {
    return len == 0 || (handle + offset >= handle && handle + offset + len >= handle + offset);
}

}  // namespace livepatch::port
