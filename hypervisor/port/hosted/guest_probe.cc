// Guest statistics and probes for the control socket (see guest_probe.h). A probe is handed to
// the vCPUs through one pointer: the first vCPU to start a unit of guest work takes it, performs
// the operation through the hypercall table as any guest would, and signals completion.
#include "guest_probe.h"

#include <string.h>
#include <xen/version.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "hosted.h"
#include "hypercalls.h"
#include "livepatch/errc.h"

namespace livepatch::hosted {

namespace {

using json = nlohmann::ordered_json;

enum class Op { kExtraversion, kGrantCopy, kGrantOutOfBounds, kCompute, kTrace };

constexpr long kComputeArg = 10;
constexpr auto kProbeTimeout = std::chrono::seconds(2);

struct Probe {
    Op op;
    // Results, written by the vCPU before `done`.
    unsigned vcpu = 0;
    long rc = 0;
    int32_t status = 0;
    char extra[XEN_EXTRAVERSION_LEN] = {};
    uint8_t bytes[96] = {};
    uint32_t len = 0;
    long first = 0, second = 0;
    std::atomic<bool> done{false};
};

std::atomic<GuestStats*> g_stats{nullptr};
std::atomic<Probe*> g_pending{nullptr};
std::mutex g_probe_lock;  // one probe at a time

void grant_copy(Probe& p, uint32_t ref, uint32_t offset, uint32_t len) {
    grant_copy_op op{};
    op.src_ref = ref;
    op.src_offset = offset;
    op.len = len;
    op.dst = p.bytes;
    p.rc = hypercall(HYPERVISOR_grant_table_op, 5, reinterpret_cast<long>(&op), 1);
    p.status = op.status;
    p.len = op.status == 0 ? len : 0;
}

void perform(Probe& p) {
    switch (p.op) {
    case Op::kExtraversion:
        p.rc = hypercall(HYPERVISOR_xen_version, XENVER_extraversion, reinterpret_cast<long>(p.extra), 0);
        p.extra[sizeof p.extra - 1] = 0;
        break;
    case Op::kGrantCopy:
        grant_copy(p, 0, 128, 64);
        break;
    case Op::kGrantOutOfBounds:
        grant_copy(p, kGrantFrames - 1, kGrantFrameSize - 32, 96);
        break;
    case Op::kCompute:
        p.rc = hypercall(HYPERVISOR_compute, kComputeArg, 0, 0);
        break;
    case Op::kTrace:
        p.first = hypercall(HYPERVISOR_trace, 0, 0, 0);
        p.second = hypercall(HYPERVISOR_trace, 0, 0, 0);
        break;
    }
}

// The bytes as text, with anything unprintable shown as '.'.
std::string printable(const uint8_t* b, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i)
        s += b[i] >= 0x20 && b[i] < 0x7f ? static_cast<char>(b[i]) : '.';
    return s;
}

json stats_json(const GuestStats& s) {
    json j;
    j["vcpus"] = cpu_total();
    j["hypercalls"] = s.hypercalls.load();
    j["version_original"] = s.version_original.load();
    j["version_patched"] = s.version_patched.load();
    j["grant_copies"] = s.grant_copies.load();
    j["grant_leaks"] = s.grant_leaks.load();
    j["grant_refused"] = s.grant_refused.load();
    j["trace_counted"] = s.trace_counted.load();
    j["trace_uncounted"] = s.trace_uncounted.load();
    j["trace_events"] = __atomic_load_n(&trace_event_count, __ATOMIC_RELAXED);
    j["max_gap_ns"] = s.max_gap_ns.load();
    j["malicious"] = s.malicious.load();
    json work = json::array();
    for (unsigned cpu = 0; cpu < cpu_total(); ++cpu)
        work.push_back(cpu_progress(cpu));
    j["work_units"] = work;
    return j;
}

const char* op_word(Op op) {
    switch (op) {
    case Op::kExtraversion: return "extraversion";
    case Op::kGrantCopy: return "grant-copy";
    case Op::kGrantOutOfBounds: return "grant-oob";
    case Op::kCompute: return "compute";
    case Op::kTrace: return "trace";
    }
    return "?";
}

json probe_json(const Probe& p) {
    json j;
    j["probe"] = op_word(p.op);
    j["vcpu"] = p.vcpu;
    switch (p.op) {
    case Op::kExtraversion:
        j["rc"] = p.rc;
        j["extraversion"] = p.extra;
        break;
    case Op::kGrantCopy:
    case Op::kGrantOutOfBounds: {
        j["rc"] = p.rc;
        j["status"] = p.status;
        j["copied"] = p.len;
        j["leaked"] = p.len && contains_secret(p.bytes, p.len);
        j["bytes"] = printable(p.bytes, p.len);
        break;
    }
    case Op::kCompute:
        j["x"] = kComputeArg;
        j["result"] = p.rc;
        break;
    case Op::kTrace:
        j["first"] = p.first;
        j["second"] = p.second;
        j["counted"] = p.second > p.first;
        break;
    }
    return j;
}

// Hands `p` to the vCPUs and waits for it. False when no vCPU took it in time.
bool run_probe(Probe& p) {
    std::lock_guard<std::mutex> g(g_probe_lock);
    g_pending.store(&p, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + kProbeTimeout;
    while (!p.done.load(std::memory_order_acquire)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            Probe* expected = &p;
            if (g_pending.compare_exchange_strong(expected, nullptr))
                return false;  // withdrawn before any vCPU took it
            // A vCPU has just taken it: it finishes in a moment.
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

int32_t rc_of(Errc e) { return to_xen_rc(e); }

}  // namespace

void set_observed_guests(GuestStats* stats) { g_stats.store(stats, std::memory_order_release); }

void serve_guest_probe(unsigned cpu) {
    Probe* p = g_pending.load(std::memory_order_relaxed);
    if (!p || !g_pending.compare_exchange_strong(p, nullptr, std::memory_order_acquire))
        return;
    p->vcpu = cpu;
    perform(*p);
    p->done.store(true, std::memory_order_release);
}

int32_t guest_request(const char* word, std::string* out) {
    GuestStats* s = g_stats.load(std::memory_order_acquire);
    if (!s)
        return rc_of(Errc::kENODEV);
    static const struct {
        const char* word;
        Op op;
    } kProbes[] = {{"extraversion", Op::kExtraversion}, {"grant-copy", Op::kGrantCopy},
                   {"grant-oob", Op::kGrantOutOfBounds}, {"compute", Op::kCompute}, {"trace", Op::kTrace}};
    try {
        if (!strcmp(word, "stats") || !strcmp(word, "reset-stall")) {
            *out = stats_json(*s).dump();
            if (!strcmp(word, "reset-stall"))
                s->max_gap_ns.store(0, std::memory_order_relaxed);
            return 0;
        }
        for (const auto& k : kProbes) {
            if (strcmp(word, k.word))
                continue;
            Probe p;
            p.op = k.op;
            if (!run_probe(p))
                return rc_of(Errc::kETIMEDOUT);
            // Guest bytes may be anything: never let invalid UTF-8 throw.
            *out = probe_json(p).dump(-1, ' ', false, json::error_handler_t::replace);
            return 0;
        }
    } catch (const std::bad_alloc&) {
        return rc_of(Errc::kENOMEM);
    }
    return rc_of(Errc::kEINVAL);
}

}  // namespace livepatch::hosted
