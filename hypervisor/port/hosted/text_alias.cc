// W^X for the hosted hypervisor (text_alias.h): the memfd behind the patchable text and the
// payload arena, set up by a constructor before main() (so before any pCPU, socket or worker
// thread runs), and the read-write view of one patch window.
#include "text_alias.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <iterator>
#include <map>
#include <mutex>

#include "arch/arch.h"
#include "livepatch/errc.h"
#include "livepatch/port.h"

#if defined(__aarch64__)
#include "arch/arm64/cache_arm64.h"
#endif

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3: an executable memfd even when vm.memfd_noexec says otherwise
#endif

// Defined by hypervisor_text.ld.
extern "C" const uint8_t __hypervisor_text_start[];
extern "C" const uint8_t __hypervisor_text_end[];

namespace livepatch::hosted {

namespace {

constexpr uintptr_t kPage = 4096;
constexpr size_t kMaxArena = size_t{256} << 20;  // address space only: pages get memory when used
constexpr uintptr_t kArenaStep = uintptr_t{2} << 20;

struct State {
    int fd = -1;
    uintptr_t text_lo = 0, text_hi = 0;  // patchable hypervisor text: memfd [0, T)
    uintptr_t arena_lo = 0;              // payload arena: memfd [T, T + arena_len)
    size_t arena_len = 0;
    size_t total = 0;  // T + arena_len: the size of the memfd and of a window's view
};
State g;

std::atomic<uint8_t*> g_view{nullptr};

#if defined(__aarch64__)
// The pages of the memfd written in the open window, one bit per page (allocated at start-up; the
// master alone writes them, inside the window). An AArch64 core needs only the cache maintenance
// done per write; a binary translator keyed by the executing address (qemu-user, which runs the
// AArch64 suites on an x86-64 host) keeps its translations of a page until that address is mapped
// anew, as stores through another mapping are invisible to it. alias_close maps each run of
// written pages anew, read+execute.
uint64_t* g_written = nullptr;

void note_written(size_t off, size_t len) {
    if (!len)
        return;
    for (size_t page = off / kPage; page <= (off + len - 1) / kPage; ++page)
        g_written[page / 64] |= uint64_t{1} << (page % 64);
}

bool written(size_t page) { return g_written[page / 64] >> (page % 64) & 1; }
#endif


std::mutex g_arena_lock;
// Free runs of the arena (offset -> length), coalesced. Never destroyed: payload memory may be
// freed by threads still running while the process exits.
std::map<size_t, size_t>* g_free = nullptr;
size_t g_in_use = 0;

[[noreturn]] void die(const char* what, int err) {
    char line[300];
    snprintf(line, sizeof line, "hosted-hypervisor: W^X text alias: %s%s%s", what, err ? ": " : "",
             err ? strerror(err) : "");
    port::log(port::LogLevel::error, line);
    abort();
}

uintptr_t page_up(uintptr_t a) { return (a + kPage - 1) & ~(kPage - 1); }

// [lo, hi) spanned by the executable's PT_LOAD segments.
void image_span(uintptr_t* lo, uintptr_t* hi) {
    struct Span {
        uintptr_t lo = UINTPTR_MAX, hi = 0;
    } span;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
            auto* s = static_cast<Span*>(out);
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_LOAD)
                    continue;
                const uintptr_t a = info->dlpi_addr + ph.p_vaddr;
                if (a < s->lo)
                    s->lo = a;
                if (a + ph.p_memsz > s->hi)
                    s->hi = a + ph.p_memsz;
            }
            return 1;  // the first object is the executable
        },
        &span);
    *lo = span.lo & ~(kPage - 1);
    *hi = page_up(span.hi);
}

// Reserves the arena (PROT_NONE, no memory) at the first free address, below the image first
// (above it lies the brk heap), such that every byte of image and arena lies within `window` of
// each other. Each candidate is one MAP_FIXED_NOREPLACE mmap: nothing is populated.
bool reserve_arena(uintptr_t img_lo, uintptr_t img_hi, uintptr_t window, size_t text_size) {
    for (int below = 1; below >= 0; --below) {
        for (uintptr_t gap = kArenaStep;; gap += kArenaStep) {
            uintptr_t a;
            if (below) {
                if (img_lo < gap + g.arena_len)
                    break;
                a = img_lo - gap - g.arena_len;
            } else {
                a = img_hi + gap;
            }
            const uintptr_t lo = a < img_lo ? a : img_lo;
            const uintptr_t hi = a + g.arena_len > img_hi ? a + g.arena_len : img_hi;
            if (hi - lo > window)
                break;
            void* p = mmap(reinterpret_cast<void*>(a), g.arena_len, PROT_NONE,
                           MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_NORESERVE, g.fd, static_cast<off_t>(text_size));
            if (p == MAP_FAILED)
                continue;
            if (reinterpret_cast<uintptr_t>(p) != a) {  // a kernel without MAP_FIXED_NOREPLACE
                munmap(p, g.arena_len);
                continue;
            }
            g.arena_lo = a;
            return true;
        }
    }
    return false;
}

// Maps `fd` from `offset` read+execute over text at `at`. Under ThreadSanitizer the remap
// bypasses its mmap interceptor, whose shadow reset of the executable's text segment faults; the
// bytes are the same code, and no instrumented access has shadow state there to reset.
void* remap_text(void* at, size_t len, int fd, off_t offset) {
#if defined(__SANITIZE_THREAD__)
    const long r = syscall(SYS_mmap, at, len, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, offset);
    return r < 0 && r > -4096 ? MAP_FAILED : reinterpret_cast<void*>(r);
#else
    return mmap(at, len, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, offset);
#endif
}

// Runs before main(): the process has one thread, and this code is not in the pages it remaps.
__attribute__((constructor)) void text_alias_init() {
    g.text_lo = reinterpret_cast<uintptr_t>(__hypervisor_text_start);
    g.text_hi = reinterpret_cast<uintptr_t>(__hypervisor_text_end);
    if (g.text_hi <= g.text_lo || g.text_lo % kPage || g.text_hi % kPage)
        die("no page-aligned .hypervisor_text section (link with hypervisor/port/hosted/hypervisor_text.ld)", 0);
    const size_t text_size = g.text_hi - g.text_lo;

    uintptr_t img_lo, img_hi;
    image_span(&img_lo, &img_hi);
    const uintptr_t window = static_cast<uintptr_t>(arch::patch_range()) / 2;
    g.arena_len = window / 4 < kMaxArena ? window / 4 : kMaxArena;
    g.total = text_size + g.arena_len;

    g.fd = memfd_create("hosted-hypervisor-text", MFD_CLOEXEC | MFD_EXEC);
    if (g.fd < 0 && errno == EINVAL)
        g.fd = memfd_create("hosted-hypervisor-text", MFD_CLOEXEC);  // before Linux 6.3
    if (g.fd < 0)
        die("memfd_create", errno);
    if (ftruncate(g.fd, static_cast<off_t>(g.total)) != 0)
        die("ftruncate of the memfd", errno);
    for (size_t done = 0; done < text_size;) {
        const ssize_t n = pwrite(g.fd, __hypervisor_text_start + done, text_size - done, static_cast<off_t>(done));
        if (n <= 0)
            die("copying the patchable text into the memfd", n < 0 ? errno : EIO);
        done += static_cast<size_t>(n);
    }
    // The same bytes, now from the memfd, executable and never writable at this address.
    void* t = remap_text(reinterpret_cast<void*>(g.text_lo), text_size, g.fd, 0);
    if (t != reinterpret_cast<void*>(g.text_lo))
        die("mapping the memfd over the patchable text", errno);

    if (!reserve_arena(img_lo, img_hi, window, text_size))
        die("no address space for the payload arena within branch reach of the image", ENOMEM);
    g_free = new std::map<size_t, size_t>{{0, g.arena_len}};
#if defined(__aarch64__)
    g_written = new uint64_t[(g.total / kPage + 63) / 64]();
#endif
}


// The memfd offset of [addr, addr + len) when it is aliased, else SIZE_MAX.
size_t alias_offset(uintptr_t addr, size_t len) {
    if (addr >= g.text_lo && len <= g.text_hi - g.text_lo && addr - g.text_lo <= g.text_hi - g.text_lo - len)
        return addr - g.text_lo;
    if (addr >= g.arena_lo && len <= g.arena_len && addr - g.arena_lo <= g.arena_len - len)
        return (g.text_hi - g.text_lo) + (addr - g.arena_lo);
    return SIZE_MAX;
}

}  // namespace

uint64_t patchable_text_start() { return g.text_lo; }
uint64_t patchable_text_end() { return g.text_hi; }

void* arena_alloc(size_t size) {
    if (!size || size % kPage)
        return nullptr;
    size_t off = 0;
    {
        std::lock_guard<std::mutex> lk(g_arena_lock);
        auto it = g_free->begin();
        while (it != g_free->end() && it->second < size)
            ++it;
        if (it == g_free->end())
            return nullptr;
        off = it->first;
        const size_t rest = it->second - size;
        g_free->erase(it);
        if (rest)
            (*g_free)[off + size] = rest;
        g_in_use += size;
    }
    void* p = reinterpret_cast<void*>(g.arena_lo + off);
    if (mprotect(p, size, PROT_READ | PROT_WRITE) != 0) {
        arena_free(p, size);
        return nullptr;
    }
    // The loader writes every page at once: fault exactly these in one batch (best effort: an
    // older kernel faults them one by one as they are written).
    (void)madvise(p, size, MADV_POPULATE_WRITE);
    return p;
}

void arena_free(void* ptr, size_t size) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(ptr);
    if (a < g.arena_lo || size > g.arena_len || a - g.arena_lo > g.arena_len - size)
        die("freeing memory that is not in the payload arena", EINVAL);
    if (mprotect(ptr, size, PROT_NONE) != 0)
        die("making freed payload memory inaccessible", errno);
    const size_t off = a - g.arena_lo;
    // Release the memory; a later allocation reads zeros. Without hole punching, zero it.
    const off_t file_off = static_cast<off_t>((g.text_hi - g.text_lo) + off);
    if (fallocate(g.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, file_off, static_cast<off_t>(size)) != 0) {
        static const uint8_t zeros[4096] = {};
        for (size_t done = 0; done < size; done += sizeof zeros) {
            if (pwrite(g.fd, zeros, sizeof zeros, file_off + static_cast<off_t>(done)) != sizeof zeros)
                die("zeroing freed payload memory", errno);
        }
    }
    std::lock_guard<std::mutex> lk(g_arena_lock);
    g_in_use -= size;
    auto next = g_free->lower_bound(off);
    size_t start = off, len = size;
    if (next != g_free->begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == off) {
            start = prev->first;
            len += prev->second;
            g_free->erase(prev);
        }
    }
    if (next != g_free->end() && next->first == off + size) {
        len += next->second;
        g_free->erase(next);
    }
    (*g_free)[start] = len;
}

size_t arena_capacity() { return g.arena_len; }

size_t arena_in_use() {
    std::lock_guard<std::mutex> lk(g_arena_lock);
    return g_in_use;
}

int alias_open() {
    if (g_view.load(std::memory_order_acquire))
        return static_cast<int>(Errc::kEBUSY);
    void* v = mmap(nullptr, g.total, PROT_READ | PROT_WRITE, MAP_SHARED, g.fd, 0);
    if (v == MAP_FAILED)
        return static_cast<int>(Errc::kENOMEM);
    g_view.store(static_cast<uint8_t*>(v), std::memory_order_release);
    return 0;
}

void alias_write(uint64_t addr, const uint8_t* bytes, uint32_t len) {
    uint8_t* const view = g_view.load(std::memory_order_acquire);
    if (!view)
        die("text write outside a patch window", EINVAL);
    const size_t off = alias_offset(addr, len);
    if (off == SIZE_MAX) {
        char what[120];
        snprintf(what, sizeof what, "text write at %#llx (%u bytes) outside the patchable text and payloads",
                 static_cast<unsigned long long>(addr), len);
        die(what, 0);
    }
    // The stores (arm64: single-copy-atomic words, then cache maintenance by the view's address).
    arch::patch_text(reinterpret_cast<uint64_t>(view + off), bytes, len);
#if defined(__aarch64__)
    // The instruction cache is invalidated by the address the CPUs execute from.
    arm64::sync_icache_range(addr, len);
    note_written(off, len);
#endif
}

void alias_close() {
    uint8_t* const view = g_view.exchange(nullptr, std::memory_order_acq_rel);
    if (!view)
        return;
    if (munmap(view, g.total) != 0)
        die("unmapping the read-write text view at the end of the patch window", errno);
#if defined(__aarch64__)
    const size_t text_pages = (g.text_hi - g.text_lo) / kPage, pages = g.total / kPage;
    for (size_t first = 0; first < pages;) {
        if (!g_written[first / 64]) {
            first = (first / 64 + 1) * 64;
            continue;
        }
        if (!written(first)) {
            ++first;
            continue;
        }
        // A run of written pages on one side of the text/arena boundary: one mapping.
        size_t end = first + 1;
        while (end < pages && written(end) && (end != text_pages))
            ++end;
        const uintptr_t at = first < text_pages ? g.text_lo + first * kPage : g.arena_lo + (first - text_pages) * kPage;
        if (remap_text(reinterpret_cast<void*>(at), (end - first) * kPage, g.fd, static_cast<off_t>(first * kPage)) !=
            reinterpret_cast<void*>(at))
            die("mapping written text pages anew at the end of the patch window", errno);
        first = end;
    }
    memset(g_written, 0, (pages + 63) / 64 * sizeof(uint64_t));
#endif
}

bool alias_is_open() { return g_view.load(std::memory_order_acquire) != nullptr; }

}  // namespace livepatch::hosted
