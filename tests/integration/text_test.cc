// The hosted hypervisor's patchable text and W^X (hypervisor_text.ld, text_alias.h): only the
// guest-facing code is patchable, it lives in pages of its own mapped from a memfd and never
// writable; payload memory comes from an arena next to the image; a patch window writes through a
// view that exists only between text_write_begin and text_write_end.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "integration/itest_sysctl.h"
#include "integration/runtime.h"
#include "livepatch/abi.h"
#include "livepatch/errc.h"
#include "livepatch/port.h"
#include "port/hosted/hosted.h"
#include "port/hosted/hypercalls.h"
#include "port/hosted/server.h"
#include "port/hosted/text_alias.h"

using namespace livepatch;
using namespace livepatch::integration;

namespace {

uint64_t addr_of(const void* p) { return reinterpret_cast<uint64_t>(p); }

template <class F>
uint64_t fn_addr(F* f) {
    return reinterpret_cast<uint64_t>(reinterpret_cast<void*>(f));
}

bool in_text(uint64_t a) {
    const port::TextRange t = port::hypervisor_text();
    return a >= t.start && a < t.end;
}

// The /proc/self/maps lines of mappings overlapping [lo, hi).
std::vector<std::string> maps_overlapping(uint64_t lo, uint64_t hi) {
    std::ifstream in("/proc/self/maps");
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        unsigned long long a = 0, b = 0;
        if (sscanf(line.c_str(), "%llx-%llx", &a, &b) == 2 && a < hi && b > lo)
            out.push_back(line);
    }
    return out;
}

// Every mapping of the memfd, by its permissions column.
std::vector<std::string> memfd_mapping_perms() {
    std::ifstream in("/proc/self/maps");
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (line.find("memfd:hosted-hypervisor-text") == std::string::npos)
            continue;
        char perms[8] = {};
        if (sscanf(line.c_str(), "%*[0-9a-f]-%*[0-9a-f] %7s", perms) == 1)
            out.push_back(perms);
    }
    return out;
}

// The calling thread's minor faults (the pCPU threads, running guest work meanwhile, fault too).
long minor_faults() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_minflt;
}

// fd 2 redirected to a file for the object's lifetime; text() is what was written meanwhile.
struct CaptureStderr {
    int saved = -1;
    FILE* file = nullptr;
    CaptureStderr() {
        file = tmpfile();
        REQUIRE(file);
        saved = dup(2);
        dup2(fileno(file), 2);
    }
    std::string text() {
        fflush(stderr);
        std::string s;
        rewind(file);
        char buf[4096];
        for (size_t n; (n = fread(buf, 1, sizeof buf, file)) > 0;)
            s.append(buf, n);
        return s;
    }
    ~CaptureStderr() {
        dup2(saved, 2);
        close(saved);
        fclose(file);
    }
};

}  // namespace

TEST_SUITE("patchable text and W^X") {

TEST_CASE("the patchable text is the guest-facing code only, in whole pages of its own") {
    const port::TextRange t = port::hypervisor_text();
    REQUIRE(t.end > t.start);
    CHECK(t.start % 4096 == 0);
    CHECK(t.end % 4096 == 0);
    // What the samples and test payloads patch, and the hypercall entry.
    CHECK(in_text(fn_addr(&xen_extra_version)));
    CHECK(in_text(fn_addr(&do_xen_version)));
    CHECK(in_text(fn_addr(&do_grant_table_op)));
    CHECK(in_text(fn_addr(&raw_copy_to_guest)));
    CHECK(in_text(fn_addr(&do_compute)));
    CHECK(in_text(fn_addr(&do_trace_event)));
    CHECK(in_text(fn_addr(&hypercall)));
    for (unsigned nr : {HYPERVISOR_xen_version, HYPERVISOR_grant_table_op, HYPERVISOR_compute, HYPERVISOR_trace})
        CHECK(in_text(fn_addr(hypercall_table[nr])));
    // Code that threads other than pCPUs run: the socket's sysctl entry, the clock, the engine.
    CHECK_FALSE(in_text(fn_addr(&hosted::serve_sysctl)));
    CHECK_FALSE(in_text(fn_addr(&port::now_ns)));
    CHECK_FALSE(in_text(fn_addr(&port::log)));
    CHECK_FALSE(in_text(fn_addr(&hosted::start_cpus)));
    // The image reports the same range.
    CHECK(hosted::image().text_start == t.start);
    CHECK(hosted::image().text_end == t.end);
}

TEST_CASE("the patchable text executes from the memfd and no mapping of it is ever writable and executable") {
    const port::TextRange t = port::hypervisor_text();
    const std::vector<std::string> lines = maps_overlapping(t.start, t.end);
    REQUIRE(!lines.empty());
    for (const std::string& l : lines) {
        INFO(l);
        CHECK(l.find("r-xs") != std::string::npos);
        CHECK(l.find("memfd:hosted-hypervisor-text") != std::string::npos);
    }
    for (const std::string& p : memfd_mapping_perms()) {
        INFO(p);
        CHECK_FALSE((p[1] == 'w' && p[2] == 'x'));
    }
}

TEST_CASE("an old function outside the patchable text is refused at upload, naming its address") {
    integration::ensure_hosted_runtime();
    const uint64_t now_ns = fn_addr(&port::now_ns);
    char hex[32];
    snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(now_ns));
    std::string log;
    int rc;
    {
        CaptureStderr cap;
        rc = sysctl_upload("outside", itest_payload("text/outside"));
        log = cap.text();
    }
    INFO(log);
    CHECK(rc == to_xen_rc(Errc::kEINVAL));
    CHECK(log.find("old function does not lie in hypervisor text") != std::string::npos);
    CHECK(log.find(hex) != std::string::npos);
    if (rc == 0)
        (void)sysctl_action("outside", LIVEPATCH_ACTION_UNLOAD);  // (before the fix it loaded)
}

TEST_CASE("payload memory: near the image, zeroed, and only the pages used are populated") {
    const port::TextRange t = port::hypervisor_text();
    const uint64_t window = static_cast<uint64_t>(arch::patch_range()) / 2;
    constexpr size_t kPages = 16, kSize = kPages * 4096;
    std::vector<void*> blocks;
    long worst = 0;
    for (int i = 0; i < 120; ++i) {
        const long before = minor_faults();
        void* p = port::alloc_payload_pages(kSize);
        const long faults = minor_faults() - before;
        REQUIRE_MESSAGE(p, "allocation ", i, " failed");
        worst = std::max(worst, faults);
        const uint64_t lo = addr_of(p), hi = lo + kSize;
        const uint64_t span = std::max(hi, t.end) - std::min(lo, t.start);
        CHECK_MESSAGE(span <= window, "allocation ", i, " at ", p, " is out of half the branch reach of the text");
        const auto* bytes = static_cast<const uint8_t*>(p);
        CHECK(std::all_of(bytes, bytes + kSize, [](uint8_t b) { return b == 0; }));
        memset(p, 0xa5, kSize);  // the loader writes every page
        blocks.push_back(p);
    }
    // No allocation populated memory it did not hand out (a candidate address mapped, populated
    // and then discarded for being too far costs a fault per page of it).
    INFO("most minor faults in one allocation of ", kPages, " pages: ", worst);
    CHECK(worst <= static_cast<long>(kPages) + 8);
    // Freed memory is returned: the same amount allocates again, zeroed.
    for (void* p : blocks)
        port::free_payload_pages(p, kSize);
    blocks.clear();
    for (int i = 0; i < 120; ++i) {
        void* p = port::alloc_payload_pages(kSize);
        REQUIRE(p);
        const auto* bytes = static_cast<const uint8_t*>(p);
        CHECK(std::all_of(bytes, bytes + kSize, [](uint8_t b) { return b == 0; }));
        blocks.push_back(p);
    }
    for (void* p : blocks)
        port::free_payload_pages(p, kSize);
}

TEST_CASE("payload text is never writable and executable: RX, RW and RO only") {
    void* p = port::alloc_payload_pages(3 * 4096);
    REQUIRE(p);
    auto* b = static_cast<uint8_t*>(p);
    REQUIRE(port::protect_payload_pages(b, 4096, port::Perm::rx) == 0);
    REQUIRE(port::protect_payload_pages(b + 4096, 4096, port::Perm::rw) == 0);
    REQUIRE(port::protect_payload_pages(b + 8192, 4096, port::Perm::ro) == 0);
    for (const std::string& l : maps_overlapping(addr_of(b), addr_of(b) + 3 * 4096)) {
        INFO(l);
        CHECK(l.find("wx") == std::string::npos);
    }
    port::free_payload_pages(p, 3 * 4096);
}

TEST_CASE("the window's view: writes reach the executing text, nothing stays mapped after text_write_end") {
    integration::ensure_hosted_runtime();
    // A payload page made RX, patched through the view: the executable mapping sees the bytes.
    void* p = port::alloc_payload_pages(4096);
    REQUIRE(p);
    auto* b = static_cast<uint8_t*>(p);
    REQUIRE(port::protect_payload_pages(b, 4096, port::Perm::rx) == 0);
    const size_t views_before = memfd_mapping_perms().size();
    std::vector<double> us;
    const uint8_t bytes[5] = {0xe9, 1, 2, 3, 4};
    for (int i = 0; i < 200; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        REQUIRE(port::text_write_begin() == 0);
        port::text_write(addr_of(b) + 16, bytes, sizeof bytes);
        port::text_write_end();
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    CHECK(memcmp(b + 16, bytes, sizeof bytes) == 0);
    CHECK_FALSE(hosted::alias_is_open());
    CHECK(memfd_mapping_perms().size() == views_before);
    std::sort(us.begin(), us.end());
    MESSAGE("one window's view (mmap, a 5-byte write, munmap): median ", us[us.size() / 2], " us, p90 ",
            us[us.size() * 9 / 10], " us over ", us.size(), " windows");
    // While open, the view is one more mapping of the memfd, and no mapping of it is writable and
    // executable.
    REQUIRE(port::text_write_begin() == 0);
    const std::vector<std::string> during = memfd_mapping_perms();
    port::text_write_end();
    CHECK(during.size() == views_before + 1);
    for (const std::string& perms : during) {
        INFO(perms);
        CHECK_FALSE((perms[1] == 'w' && perms[2] == 'x'));
    }
    port::free_payload_pages(p, 4096);
}

TEST_CASE("a payload function patched by a stacked payload: written through the view, reverted exactly") {
    integration::ensure_hosted_runtime();
    REQUIRE(sysctl_upload("scaler", itest_payload("text/scaler")) == 0);
    REQUIRE(sysctl_upload("onpayload", itest_payload("text/onpayload")) == 0);
    const long x = 1000;
    REQUIRE(sysctl_act("scaler", LIVEPATCH_ACTION_APPLY) == 0);
    CHECK(hypercall(HYPERVISOR_compute, x, 0, 0) == 2 * x + 4);
    // Its .livepatch.depends names the hypervisor, not scaler: NODEPS stacks it anyway.
    REQUIRE(sysctl_act("onpayload", LIVEPATCH_ACTION_APPLY, 1000000000u, LIVEPATCH_ACTION_APPLY_NODEPS) == 0);
    CHECK(hypercall(HYPERVISOR_compute, x, 0, 0) == 3 * x + 4);
    CHECK(sysctl_act("onpayload", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(hypercall(HYPERVISOR_compute, x, 0, 0) == 2 * x + 4);
    CHECK(sysctl_act("scaler", LIVEPATCH_ACTION_REVERT) == 0);
    CHECK(hypercall(HYPERVISOR_compute, x, 0, 0) == 2 * x + 1);
    CHECK(sysctl_action("onpayload", LIVEPATCH_ACTION_UNLOAD) == 0);
    CHECK(sysctl_action("scaler", LIVEPATCH_ACTION_UNLOAD) == 0);
}

#if !defined(__SANITIZE_ADDRESS__)
TEST_CASE("text_write_begin fails with an errno and leaves nothing open when the view cannot be mapped") {
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_AS, &old) == 0);
    // Address space for everything mapped now and a little more, not for another view.
    long pages = 0;
    {
        std::ifstream statm("/proc/self/statm");
        statm >> pages;
    }
    rlimit lim = old;
    lim.rlim_cur = static_cast<rlim_t>(pages) * 4096 + (rlim_t{16} << 20);
    const size_t views_before = memfd_mapping_perms().size();
    REQUIRE(setrlimit(RLIMIT_AS, &lim) == 0);
    const int rc = port::text_write_begin();
    const bool open = hosted::alias_is_open();
    setrlimit(RLIMIT_AS, &old);
    CHECK(rc == static_cast<int>(Errc::kENOMEM));
    CHECK_FALSE(open);
    CHECK(memfd_mapping_perms().size() == views_before);
    if (rc == 0)
        port::text_write_end();
}
#endif

}  // TEST_SUITE
