// The benchmark's hypervisor: 100,000 distinct, Xen-like symbol names and which of them the
// synthetic payload references and patches. Deterministic (fixed seed, own PRNG), so the source
// generator (gen_bench_sources.cc) and the benchmark (load_bench.cc) derive the same lists.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace livepatch::bench {

// Shape of the benchmark, shared by the generator and the benchmark.
constexpr size_t kHypervisorSymbols = 100000;
constexpr size_t kPatchedFunctions = 1000;    // .livepatch.funcs records
constexpr size_t kCallsPerFunction = 24;      // each `f(d);`: one PLT32 (call f) + one PC32 (lea d)
constexpr size_t kReferencedFunctions = 2048; // distinct hypervisor functions called
constexpr size_t kReferencedData = 2048;      // distinct hypervisor symbols whose address is taken
// Spacing of the table's entries in the fake hypervisor text (each entry is this many bytes).
constexpr uint64_t kSymbolStride = 10;

// splitmix64: a small, portable, seeded generator (std distributions differ between libraries).
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}
    uint64_t next() {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform-enough index in [0, n), n > 0.
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }

private:
    uint64_t m_state;
};

namespace detail {

inline const std::vector<const char*>& subsystems() {
    static const std::vector<const char*> v = {
        "hvm", "vcpu", "domain", "p2m", "iommu", "sched", "evtchn", "gnttab", "vmx", "svm",
        "vlapic", "vioapic", "vpci", "pci", "irq", "timer", "acpi", "cpufreq", "cpuidle", "mce",
        "xsm", "flask", "paging", "shadow", "hap", "mm", "xenheap", "domheap", "vpmu", "vpt",
        "rtc", "hpet", "pv", "ept", "msi", "apic", "smp", "tasklet", "softirq", "rcu",
        "console", "serial", "keyhandler", "livepatch", "kexec", "efi", "microcode", "psr",
        "altp2m", "mem_sharing", "mem_paging", "vm_event", "monitor", "argo", "hypfs", "credit2",
        "rt", "cpupool", "trace", "perfc", "sysctl", "domctl", "physdev", "hvmop", "memory",
        "x86_emulate", "nestedhvm", "viridian", "vmce", "amd_iommu", "intel_iommu", "ioreq",
        "dm", "guest", "numa", "spec_ctrl", "cpuid", "xstate", "fpu", "traps"};
    return v;
}

inline const std::vector<const char*>& verbs() {
    static const std::vector<const char*> v = {
        "init", "alloc", "free", "get", "put", "set", "clear", "update", "handle", "do", "map",
        "unmap", "flush", "sync", "enable", "disable", "check", "validate", "create", "destroy",
        "reset", "save", "load", "dump", "read", "write", "insert", "remove", "lookup", "find",
        "add", "del", "start", "stop", "pause", "unpause", "wake", "sleep", "inject", "deliver",
        "route", "assign", "deassign", "migrate", "switch", "restore", "teardown", "setup",
        "parse", "emulate", "translate", "walk", "invalidate", "release", "acquire", "register",
        "unregister", "notify", "send", "poll"};
    return v;
}

inline const std::vector<const char*>& nouns() {
    static const std::vector<const char*> v = {
        "vcpu", "domain", "page", "entry", "table", "irq", "vector", "msr", "cr4", "context",
        "state", "event", "channel", "port", "grant", "frame", "mapping", "range", "region",
        "cache", "tlb", "lock", "queue", "timer", "interrupt", "device", "bus", "slot", "bar",
        "config", "policy", "affinity", "runqueue", "credit", "budget", "pfn", "mfn", "gfn",
        "level", "pte", "l1e", "l2e", "l3e", "l4e", "mode", "fault", "exception", "trap",
        "hypercall", "buffer", "ring", "segment", "descriptor", "gdt", "ldt", "idt", "tss",
        "xsave", "pmu", "counter", "stats", "info", "params", "ops", "handler", "hook",
        "callback", "notifier", "node", "cpu", "socket", "mask", "bitmap", "list", "tree"};
    return v;
}

inline const std::vector<const char*>& suffixes() {
    static const std::vector<const char*> v = {
        "", "", "", "", "", "", "_locked", "_nolock", "_one", "_all", "_range", "_sync",
        "_async", "_internal", "_helper", "_fast", "_slow", "_pv", "_hvm", "_32", "_64", "_2"};
    return v;
}

inline const std::vector<const char*>& directories() {
    static const std::vector<const char*> v = {
        "common", "common/sched", "arch/x86", "arch/x86/hvm", "arch/x86/hvm/vmx",
        "arch/x86/hvm/svm", "arch/x86/mm", "arch/x86/mm/shadow", "arch/x86/pv", "arch/x86/cpu",
        "drivers/passthrough", "drivers/passthrough/vtd", "drivers/passthrough/amd",
        "drivers/char", "drivers/acpi", "drivers/vpci", "xsm/flask/ss"};
    return v;
}

// One identifier such as "p2m_set_entry_locked" or "handle_hvm_fault".
inline std::string identifier(Rng& rng) {
    const char* s = subsystems()[rng.below(subsystems().size())];
    const char* v = verbs()[rng.below(verbs().size())];
    const char* n = nouns()[rng.below(nouns().size())];
    const char* x = suffixes()[rng.below(suffixes().size())];
    std::string id;
    switch (rng.below(3)) {
    case 0: id = std::string(s) + "_" + v + "_" + n; break;
    case 1: id = std::string(v) + "_" + s + "_" + n; break;
    default: id = std::string(s) + "_" + n + "_" + v; break;
    }
    return id + x;
}

}  // namespace detail

// The hypervisor's symbol names: `count` distinct names, about a quarter of them statics in
// Xen's "<file>#<name>" form (e.g. "common/sched/credit2.c#runq_insert").
inline std::vector<std::string> hypervisor_names(size_t count = kHypervisorSymbols) {
    Rng rng(0x11fe9a7c4ull);
    std::vector<std::string> names;
    names.reserve(count);
    std::unordered_set<std::string> seen;
    seen.reserve(count * 2);
    while (names.size() < count) {
        std::string name = detail::identifier(rng);
        if (rng.below(4) == 0) {
            const char* dir = detail::directories()[rng.below(detail::directories().size())];
            const char* file = detail::subsystems()[rng.below(detail::subsystems().size())];
            name = std::string(dir) + "/" + file + ".c#" + name;
        }
        if (seen.insert(name).second)
            names.push_back(std::move(name));
    }
    return names;
}

// True when `name` is a plain C identifier (not a "<file>#<name>" static).
inline bool is_global(const std::string& name) { return name.find('#') == std::string::npos; }

// Which table entries the payload uses: `functions` and `data` (referenced from the payload's
// code, all globals, disjoint), and `patched` (the old functions of the records, globals and
// statics, disjoint from both). Indices into hypervisor_names().
struct PayloadPlan {
    std::vector<size_t> functions;
    std::vector<size_t> data;
    std::vector<size_t> patched;
    // calls[f][k] = {index into functions, index into data} of call k of replacement f.
    std::vector<std::vector<std::pair<size_t, size_t>>> calls;
};

inline PayloadPlan payload_plan(const std::vector<std::string>& names) {
    Rng rng(0x9a7100adull);
    PayloadPlan plan;
    std::vector<uint8_t> used(names.size(), 0);
    auto pick = [&](bool globals_only) {
        for (;;) {
            const size_t i = rng.below(names.size());
            if (!used[i] && (!globals_only || is_global(names[i]))) {
                used[i] = 1;
                return i;
            }
        }
    };
    for (size_t k = 0; k < kReferencedFunctions; ++k)
        plan.functions.push_back(pick(true));
    for (size_t k = 0; k < kReferencedData; ++k)
        plan.data.push_back(pick(true));
    for (size_t k = 0; k < kPatchedFunctions; ++k)
        plan.patched.push_back(pick(false));
    // Distinct callees and arguments within a function, so that gcc cannot keep one address in
    // a callee-saved register for two sites: every site is one relocation.
    auto distinct = [&](std::vector<size_t>& taken, size_t n) {
        for (;;) {
            const size_t i = rng.below(n);
            if (std::find(taken.begin(), taken.end(), i) == taken.end())
                return taken.push_back(i), i;
        }
    };
    plan.calls.resize(kPatchedFunctions);
    for (auto& calls : plan.calls) {
        std::vector<size_t> fns, data;
        for (size_t k = 0; k < kCallsPerFunction; ++k) {
            const size_t fn = distinct(fns, kReferencedFunctions);
            calls.push_back({fn, distinct(data, kReferencedData)});
        }
    }
    return plan;
}

}  // namespace livepatch::bench
