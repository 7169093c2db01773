#include "support/test_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>

#include "arch/arch.h"
#include "livepatch/errc.h"
#include "livepatch/port.h"

namespace livepatch::test {

namespace {

alignas(4096) uint8_t g_text[TestHypervisor::kTextSize];

bool should_fail(long& counter) {
    if (counter < 0)
        return false;
    return counter-- == 0;
}

}  // namespace

TestHypervisor& hv() {
    static TestHypervisor instance = [] {
        TestHypervisor h;
        h.reset();
        return h;
    }();
    return instance;
}

const std::vector<uint8_t>& TestHypervisor::default_build_id() {
    static const std::vector<uint8_t> id = {0x5e, 0x1f, 0x70, 0x3d, 0x0b, 0x2a, 0x44, 0x91, 0xc8, 0x6e,
                                            0x13, 0xf4, 0x27, 0x88, 0x9a, 0x0c, 0xd1, 0x65, 0x3b, 0xe2};
    return id;
}

uint8_t* TestHypervisor::text() const { return g_text; }

void TestHypervisor::port_register_region(const port::PayloadRegion& r) {
    RegionRecord rec{&r, r, {}};
    if (r.ex_table)
        rec.ex_table.assign(r.ex_table, r.ex_table + uint64_t{r.ex_table_count} * r.ex_table_entry_size);
    m_regions.push_back(std::move(rec));
}

void TestHypervisor::port_unregister_region(const port::PayloadRegion& r) {
    for (auto it = m_regions.begin(); it != m_regions.end(); ++it) {
        if (it->region == &r) {
            m_regions.erase(it);
            return;
        }
    }
    ++m_bad_unregistrations;
}

const TestHypervisor::RegionRecord* TestHypervisor::region_of(const std::string& name) const {
    for (const RegionRecord& rec : m_regions) {
        if (rec.copy.name && name == rec.copy.name)
            return &rec;
    }
    return nullptr;
}

void TestHypervisor::reset() {
    memset(g_text, 0xc3, sizeof(g_text));
    // ibt_function: ENDBR64, then `mov $1, %eax; ret`.
    static const uint8_t ibt[] = {0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
    memcpy(g_text + kIbtFunctionOff, ibt, sizeof(ibt));
    // xen_extra_version: `lea 0(%rip), %rax; ret` followed by int3 padding.
    static const uint8_t xev[] = {0x48, 0x8d, 0x05, 0x00, 0x00, 0x00, 0x00, 0xc3};
    memcpy(g_text + kExtraVersionOff, xev, sizeof(xev));

    m_symbols = {
        {"xen_extra_version", text_addr() + kExtraVersionOff, 64},
        {"ibt_function", text_addr() + kIbtFunctionOff, 64},
        {"tiny_function", text_addr() + kTinyFunctionOff, 4},
        {"common/sched.c#do_schedule", text_addr() + kStaticFunctionOff, 64},
        {"printk", text_addr() + kPrintkOff, 32},
        {"xen_data_object", text_addr() + kDataObjectOff, 8},
    };
    m_table = nullptr;
    m_build_id = default_build_id();
    fail_zalloc_at = fail_payload_alloc_at = fail_protect_at = -1;
    fail_text_write_begin = 0;
    m_fault_addr = m_fault_len = 0;
    text_window = TextWindow{};
    m_log.clear();
    m_protect_calls.clear();
}

void TestHypervisor::add_symbol(const std::string& name, uint64_t addr, uint64_t size) {
    remove_symbol(name);
    m_symbols.push_back({name, addr, size});
}

void TestHypervisor::remove_symbol(const std::string& name) {
    for (auto it = m_symbols.begin(); it != m_symbols.end(); ++it) {
        if (it->name == name) {
            m_symbols.erase(it);
            return;
        }
    }
}

void* TestHypervisor::port_zalloc(size_t size, size_t align) {
    if (should_fail(fail_zalloc_at))
        return nullptr;
    void* p = nullptr;
    if (align <= alignof(max_align_t)) {
        p = calloc(1, size ? size : 1);  // fresh pages from the kernel need no memset
        if (!p)
            return nullptr;
    } else {
        if (posix_memalign(&p, align, size ? size : 1) != 0)
            return nullptr;
        memset(p, 0, size);
    }
    ++m_live_zallocs;
    ++m_total_zallocs;
    return p;
}

void TestHypervisor::port_free(void* p) {
    if (!p)
        return;
    --m_live_zallocs;
    ::free(p);
}

void* TestHypervisor::port_alloc_payload(size_t size) {
    if (should_fail(fail_payload_alloc_at))
        return nullptr;
    // Place the pages within half the branch reach of the fake text (x86-64: ±1 GiB; arm64:
    // ±64 MiB) so that rel32 or CALL26/JUMP26 relocations reach both ways.
    const uintptr_t text = text_addr();
    const uintptr_t window = static_cast<uintptr_t>(arch::patch_range()) / 2, step = window / 16;
    for (uintptr_t delta = step; delta < window; delta += step) {
        for (int sign = 0; sign < 2; ++sign) {
            const uintptr_t hint = sign ? text - delta : text + delta;
            // MAP_POPULATE: the loader writes every page at once; fault them in one batch.
            void* p = mmap(reinterpret_cast<void*>(hint & ~uintptr_t{0xfff}), size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
            if (p == MAP_FAILED)
                continue;
            const uintptr_t a = reinterpret_cast<uintptr_t>(p);
            const uintptr_t far = a > text ? a + size - text : text + kTextSize - a;
            if (far < window) {
                ++m_live_payload_allocs;
                return p;
            }
            munmap(p, size);
        }
    }
    return nullptr;
}

void TestHypervisor::port_free_payload(void* p, size_t size) {
    if (!p)
        return;
    --m_live_payload_allocs;
    munmap(p, size);
}

int TestHypervisor::port_protect(void* p, size_t size, int perm) {
    if (should_fail(fail_protect_at))
        return static_cast<int>(Errc::kENOMEM);
    m_protect_calls.push_back({reinterpret_cast<uintptr_t>(p), size, perm});
    int prot = PROT_READ;
    if (perm == static_cast<int>(port::Perm::rx))
        prot |= PROT_EXEC;
    else if (perm == static_cast<int>(port::Perm::rw))
        prot |= PROT_WRITE;
    return mprotect(p, size, prot) == 0 ? 0 : static_cast<int>(Errc::kEINVAL);
}

uint64_t TestHypervisor::port_symbol_by_name(const char* name) const {
    if (m_table)
        return m_table->lookup(name);
    for (const Sym& s : m_symbols) {
        if (s.name == name)
            return s.addr;
    }
    return 0;
}

void TestHypervisor::port_symbols_by_name(const char* const* names, uint64_t* addrs, size_t n) const {
    if (m_table) {
        m_table->lookup_batch(names, addrs, n);
        return;
    }
    for (size_t i = 0; i < n; ++i)
        addrs[i] = port_symbol_by_name(names[i]);
}

bool TestHypervisor::port_symbol_by_address(uint64_t addr, uint64_t* start, uint64_t* size,
                                            const char** name) const {
    if (m_table) {
        const SymbolEntry* e = m_table->containing(addr);
        if (!e)
            return false;
        *start = e->addr;
        *size = e->size;
        *name = e->name;
        return true;
    }
    for (const Sym& s : m_symbols) {
        if (addr >= s.addr && addr - s.addr < s.size) {
            *start = s.addr;
            *size = s.size;
            *name = s.name.c_str();
            return true;
        }
    }
    return false;
}

void TestHypervisor::port_log(int level, const char* msg) {
    static const char* const kLevels[] = {"error", "warning", "info", "debug"};
    // The race tests log from a rendezvous master and a control thread at once.
    static std::mutex lock;
    std::lock_guard<std::mutex> g(lock);
    m_log.push_back(std::string(kLevels[level & 3]) + ": " + msg);
    if (getenv("LP_TEST_VERBOSE"))
        fprintf(stderr, "[port] %s\n", m_log.back().c_str());
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace livepatch::test

// --- the port functions -------------------------------------------------------------------------
namespace livepatch::port {

using test::hv;

void* zalloc(size_t size, size_t align) noexcept { return hv().port_zalloc(size, align); }
void free(void* ptr) noexcept { hv().port_free(ptr); }
size_t page_size() noexcept { return 4096; }
void* alloc_payload_pages(size_t size) noexcept { return hv().port_alloc_payload(size); }
void free_payload_pages(void* ptr, size_t size) noexcept { hv().port_free_payload(ptr, size); }
int protect_payload_pages(void* ptr, size_t size, Perm perm) noexcept {
    return hv().port_protect(ptr, size, static_cast<int>(perm));
}
void register_payload_region(const PayloadRegion& r) noexcept { hv().port_register_region(r); }
void unregister_payload_region(const PayloadRegion& r) noexcept { hv().port_unregister_region(r); }
uint64_t symbol_by_name(const char* name) noexcept { return hv().port_symbol_by_name(name); }
void symbols_by_name(const char* const* names, uint64_t* addrs, size_t n) noexcept {
    hv().port_symbols_by_name(names, addrs, n);
}
bool symbol_by_address(uint64_t addr, SymbolInfo* out) noexcept {
    return hv().port_symbol_by_address(addr, &out->start, &out->size, &out->name);
}
bool hypervisor_build_id(const uint8_t** id, uint32_t* len) noexcept {
    const auto& b = hv().build_id();
    if (b.empty())
        return false;
    *id = b.data();
    *len = static_cast<uint32_t>(b.size());
    return true;
}
TextRange hypervisor_text() noexcept {
    return {hv().text_addr(), hv().text_addr() + test::TestHypervisor::kTextSize};
}
void log(LogLevel level, const char* message) noexcept { hv().port_log(static_cast<int>(level), message); }

// The unit tests run the engine on one CPU (the test thread): a rendezvous completes as soon as
// that CPU reaches livepatch_check_work(). Text writes go straight to memory the tests own.
unsigned cpu_count() noexcept { return 1; }
unsigned this_cpu() noexcept { return 0; }
bool cpu_maps_get() noexcept { return true; }
void cpu_maps_put() noexcept {}
void kick_cpus() noexcept {}
void cpu_relax() noexcept {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}
// The test's threads are not CPUs a rendezvous waits for: let the lock holder run.
void lock_wait_hint() noexcept { sched_yield(); }
// Interrupts are a per-thread flag: the text-write window checks it was opened by a rendezvous.
thread_local bool t_irqs_off = false;
unsigned long irq_save() noexcept {
    const unsigned long was = t_irqs_off;
    t_irqs_off = true;
    return was;
}
void irq_restore(unsigned long flags) noexcept { t_irqs_off = flags != 0; }
void mask_nmi() noexcept {}
void unmask_nmi() noexcept {}
uint64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
int safety_check() noexcept { return 0; }
int text_write_begin() noexcept {
    test::TestHypervisor::TextWindow& w = hv().text_window;
    ++w.begins;
    if (!t_irqs_off)
        ++w.outside_rendezvous;
    if (hv().fail_text_write_begin)
        return hv().fail_text_write_begin;
    w.open = true;
    return 0;
}
void text_write(uint64_t addr, const uint8_t* bytes, uint32_t len) noexcept {
    if (!hv().text_window.open)
        ++hv().text_window.writes_while_closed;
    arch::patch_text(addr, bytes, len);  // x86-64: memcpy; arm64: word stores and cache maintenance
}
void text_write_end() noexcept {
    test::TestHypervisor::TextWindow& w = hv().text_window;
    ++w.ends;
    if (!t_irqs_off)
        ++w.outside_rendezvous;
    w.open = false;
}
void post_action() noexcept {}
// Guest handles are plain pointers in the test process; NULL is in range and its copies fail.
bool guest_handle_okay(uint64_t handle, uint64_t offset, uint64_t len) noexcept {
    return len == 0 || (handle + offset >= handle && handle + offset + len >= handle + offset);
}
bool copy_from_guest(void* dst, uint64_t handle, uint64_t offset, uint64_t len) noexcept {
    if (!handle || hv().guest_faults(handle + offset, len))
        return false;
    memcpy(dst, reinterpret_cast<const uint8_t*>(handle) + offset, len);
    return true;
}
bool copy_to_guest(uint64_t handle, uint64_t offset, const void* src, uint64_t len) noexcept {
    if (!handle || hv().guest_faults(handle + offset, len))
        return false;
    memcpy(reinterpret_cast<uint8_t*>(handle) + offset, src, len);
    return true;
}

}  // namespace livepatch::port
