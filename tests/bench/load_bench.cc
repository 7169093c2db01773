// The load benchmark: livepatch::load_payload against glibc's dlopen on equivalent inputs.
//
// Hypervisor. 100,000 distinct Xen-like names (bench_names.h). The engine side indexes them with
// SymbolTable::build at addresses inside the test port's fake text (hv().text(), 10 bytes
// each) and serves the port's symbol lookups from that table. The dlopen side resolves against
// the same 100,000 names, defined in exports.S and exported by this executable (-rdynamic); they
// are found in the first object of the global scope.
//
// Inputs, both generated from one C file (gen_bench_sources.cc), same 1,000 functions and
// 1,000 .livepatch.funcs records, no unwind tables (-fno-asynchronous-unwind-tables, as Xen):
//   payload     gcc -fpic (Xen's payload flags), ld -r (payload.ld merges the 1,000 .text.*
//               sections: Xen refuses 1,024 sections), build-id notes: 48,000 PLT32/PC32
//               relocations against 4,096 undefined hypervisor symbols + 2,000 R_X86_64_64 in
//               .livepatch.funcs (names and new_addr) = 50,000.
//   .so         gcc -fno-pic -mcmodel=large, -shared -z notext: every reference site becomes an
//               R_X86_64_64 dynamic relocation against the undefined symbol (a text relocation),
//               the records become R_X86_64_RELATIVE: again 48,000 + 2,000 = 50,000 relocations.
//               ld sorts them by symbol, so ld.so's one-entry lookup cache resolves each of the
//               4,096 symbols once, as the loader resolves each symbol table entry once.
//               This is the headline baseline (load.dlopen_us, load.ratio_vs_dlopen).
//   PIC .so     the usual gcc -fpic -shared build of the same file, for reference only: ld folds
//               the 48,000 sites into one GOT/PLT slot per symbol (4,096 GLOB_DAT/JUMP_SLOT),
//               so ld.so has far fewer relocations to apply than the loader (load.dlopen_pic_us).
//
// One timed run of each side:
//   payload: open + fstat + read the payload file into a fresh heap buffer (from the page cache,
//            as ld.so's mmap of its file is), load_payload (ELF checks, layout into fresh
//            payload pages, 4,096 undefined symbols resolved through the SymbolTable, 50,000
//            relocations, note and record checks, 1,000 old functions resolved by name, the
//            payload's symbol table with its 1,000 new symbols checked against the hypervisor,
//            mprotect), then destroy the payload (munmap, frees) and free the buffer.
//   dlopen:  dlopen(RTLD_NOW | RTLD_LOCAL) (open, mmap of the segments, relocation with symbol
//            lookups, mprotect; for the text-relocation .so also mprotect of text to writable and
//            back) and dlclose (munmap). Neither .so has constructors or DT_NEEDED entries.
// Neither side applies the patch. Headline figures: each side's steady state, in blocks of
// consecutive runs (kWarmup untimed runs first), three rounds of blocks; medians of kRuns, with
// min and max printed. The same is measured interleaved (one run of each side in turn, each
// evicting the others' caches and TLB entries) and reported as *_interleaved.
//
// usage: load-bench <payload> <so> <pic-so> <results.json>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_names.h"
#include "bench/bench_results.h"
#include "bench/elf_counts.h"
#include "core/loader/loader.h"
#include "core/symtab/symbol_table.h"
#include "support/test_port.h"

namespace {

using namespace livepatch;
using namespace livepatch::bench;
using Clock = std::chrono::steady_clock;

constexpr int kWarmup = 3;
constexpr int kRuns = 31;  // LP_BENCH_RUNS overrides (e.g. a long run under a profiler)

double elapsed_us(Clock::time_point t0) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// The whole file in a fresh heap buffer (not zero-filled); size 0 when it cannot be read.
struct FileBytes {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
};
FileBytes read_whole(const char* path) {
    FileBytes f;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return f;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        const size_t want = static_cast<size_t>(st.st_size);
        f.data.reset(new uint8_t[want]);
        size_t got = 0;
        while (got < want) {
            const ssize_t n = read(fd, f.data.get() + got, want - got);
            if (n <= 0)
                break;
            got += static_cast<size_t>(n);
        }
        f.size = got == want ? want : 0;
    }
    close(fd);
    return f;
}

// One timed payload run; false (after printing the engine's log) when the load fails.
bool payload_run(const char* path, const PayloadList& loaded, double* us) {
    const Clock::time_point t0 = Clock::now();
    FileBytes file = read_whole(path);
    Result<Owned<Payload>> p = load_payload("bench", Bytes(file.data.get(), file.size), loaded);
    const bool ok = p.ok();
    if (ok)
        p.value().reset();
    file.data.reset();
    *us = elapsed_us(t0);
    if (!ok) {
        for (const std::string& line : test::hv().log())
            fprintf(stderr, "%s\n", line.c_str());
    }
    return ok;
}

// One timed dlopen + dlclose run; false (after printing dlerror) on failure.
bool dlopen_run(const char* path, double* us) {
    const Clock::time_point t0 = Clock::now();
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const bool ok = h && dlclose(h) == 0;
    *us = elapsed_us(t0);
    if (!ok)
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
    return ok;
}

// Prints what `path` holds for the loader or ld.so; false when it is not a readable ELF.
bool print_counts(const char* what, const char* path, RelocCounts* out) {
    const FileBytes f = read_whole(path);
    RelocCounts& c = *out;
    if (!f.size || !count_relocations(f.data.get(), f.size, &c)) {
        fprintf(stderr, "cannot read ELF %s\n", path);
        return false;
    }
    printf("  %-9s %8zu bytes, %6zu relocations (%zu against undefined symbols; %zu undefined symbols):",
           what, f.size, c.total, c.against_undefined, c.undefined_symbols);
    for (const auto& [type, n] : c.by_type)
        printf(" %s %zu", type.c_str(), n);
    printf("\n");
    return true;
}

// Loads the payload once and checks what the benchmark relies on: every record resolved to the
// planned old function.
bool check_payload(const char* path, const std::vector<std::string>& names, const PayloadPlan& plan) {
    FileBytes file = read_whole(path);
    PayloadList none;
    Result<Owned<Payload>> p = load_payload("bench", Bytes(file.data.get(), file.size), none);
    if (!p) {
        for (const std::string& line : test::hv().log())
            fprintf(stderr, "%s\n", line.c_str());
        return false;
    }
    const Span<livepatch_func> funcs = p.value()->funcs();
    size_t resolved = 0;
    for (const livepatch_func& f : funcs) {
        const char* name = reinterpret_cast<const char*>(f.name);
        for (size_t k = 0; k < plan.patched.size(); ++k) {
            if (names[plan.patched[k]] == name &&
                f.old_addr == test::hv().text_addr() + plan.patched[k] * kSymbolStride)
                ++resolved;
        }
    }
    printf("  payload loads: %zu records, %zu resolved to their old function by name\n", funcs.size(), resolved);
    return funcs.size() == kPatchedFunctions && resolved == kPatchedFunctions;
}

// dlclose must really unmap, or the next dlopen would only bump a reference count.
bool check_unloads(const char* path) {
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return false;
    }
    dlclose(h);
    if (void* again = dlopen(path, RTLD_NOW | RTLD_NOLOAD)) {
        dlclose(again);
        fprintf(stderr, "%s stays loaded after dlclose\n", path);
        return false;
    }
    return true;
}

// Nanoseconds per lookup over `names` (in the order given), median of 11 passes; `sink` keeps
// the results alive.
template <class Lookup>
Stats per_lookup_ns(const std::vector<const char*>& names, Lookup lookup, uint64_t* sink) {
    std::vector<double> ns;
    for (int pass = 0; pass < 11; ++pass) {
        const Clock::time_point t0 = Clock::now();
        for (const char* n : names)
            *sink += lookup(n);
        ns.push_back(names.empty() ? 0 : elapsed_us(t0) * 1000.0 / static_cast<double>(names.size()));
    }
    return stats(ns);
}

void print_stats(const char* what, const Stats& s, const char* unit) {
    printf("  %-34s median %10.2f %s   (min %.2f, max %.2f)\n", what, s.median, unit, s.min, s.max);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <payload> <so> <pic-so> <results.json>\n", argv[0]);
        return 2;
    }
    // Absolute paths: dlopen of a name without a slash would search the library path.
    char paths[3][PATH_MAX];
    for (int k = 0; k < 3; ++k) {
        if (!realpath(argv[1 + k], paths[k]))
            return perror(argv[1 + k]), 1;
    }
    const char* payload_path = paths[0];
    const char* so_path = paths[1];
    const char* pic_so_path = paths[2];
    const std::string results_path = argv[4];
    const int runs = getenv("LP_BENCH_RUNS") ? atoi(getenv("LP_BENCH_RUNS")) : kRuns;
    if (runs < 1)
        return fprintf(stderr, "LP_BENCH_RUNS must be at least 1\n"), 2;
    // LP_BENCH_ONLY=payload|so|pic: only that side's loads and no symbol-table passes, for a
    // profiler; the rest print 0 and no figures are written.
    const std::string only = getenv("LP_BENCH_ONLY") ? getenv("LP_BENCH_ONLY") : "";

    // The hypervisor: 100,000 entries inside the fake text, one kSymbolStride-byte function each.
    const std::vector<std::string> names = hypervisor_names();
    const PayloadPlan plan = payload_plan(names);
    std::vector<SymbolEntry> entries;
    entries.reserve(names.size());
    for (size_t i = 0; i < names.size(); ++i)
        entries.push_back({names[i].c_str(), test::hv().text_addr() + i * kSymbolStride, kSymbolStride});
    static_assert(kHypervisorSymbols * kSymbolStride <= test::TestHypervisor::kTextSize);

    std::vector<double> build_ms;
    for (int k = 0; k < 5; ++k) {
        const Clock::time_point t0 = Clock::now();
        Result<SymbolTable> t = SymbolTable::build(Span<const SymbolEntry>(entries.data(), entries.size()));
        build_ms.push_back(elapsed_us(t0) / 1000.0);
        if (!t)
            return fprintf(stderr, "SymbolTable::build failed\n"), 1;
    }
    Result<SymbolTable> table = SymbolTable::build(Span<const SymbolEntry>(entries.data(), entries.size()));
    if (!table)
        return fprintf(stderr, "SymbolTable::build failed\n"), 1;
    test::hv().use_symbol_table(&table.value());

    printf("load benchmark: %zu hypervisor symbols, payload of %zu functions\n", names.size(), kPatchedFunctions);
    printf("inputs:\n");
    RelocCounts payload_relocs, so_relocs, pic_relocs;
    if (!print_counts("payload", payload_path, &payload_relocs) || !print_counts(".so", so_path, &so_relocs) ||
        !print_counts("PIC .so", pic_so_path, &pic_relocs))
        return 1;
    if (!check_payload(payload_path, names, plan) || !check_unloads(so_path) || !check_unloads(pic_so_path))
        return 1;

    // Symbol lookups by name: the SymbolTable, and ld.so's dlsym over the same exported names.
    uint64_t sink = 0;
    const SymbolTable& t = table.value();
    // Every name once, in a shuffled order (a loader's lookups follow the payload, not the table).
    std::vector<const char*> timed;
    if (only.empty()) {
        for (const std::string& n : names)
            timed.push_back(n.c_str());
        Rng rng(7);
        for (size_t k = timed.size(); k > 1; --k)
            std::swap(timed[k - 1], timed[rng.below(k)]);
    }
    const Stats lookup = per_lookup_ns(timed, [&](const char* n) { return t.lookup(n); }, &sink);
    void* self = dlopen(nullptr, RTLD_NOW);
    const Stats dlsym_ns = per_lookup_ns(
        timed, [&](const char* n) { return reinterpret_cast<uintptr_t>(dlsym(self, n)); }, &sink);
    std::vector<double> containing_ns;
    for (int pass = 0; only.empty() && pass < 11; ++pass) {
        Rng rng(42);
        const Clock::time_point t0 = Clock::now();
        for (size_t k = 0; k < names.size(); ++k)
            sink += reinterpret_cast<uintptr_t>(
                t.containing(test::hv().text_addr() + rng.below(names.size() * kSymbolStride)));
        containing_ns.push_back(elapsed_us(t0) * 1000.0 / static_cast<double>(names.size()));
    }
    if (containing_ns.empty())
        containing_ns.push_back(0);

    // The loads. Steady state (the headline): each side in blocks of consecutive runs, so that
    // its own data stays warm, in three rounds of blocks so that drifting noise hits every side.
    // Interleaved (for reference): one run of each side in turn, each evicting the others' data.
    PayloadList loaded;
    const std::function<bool(double*)> sides[3] = {
        [&](double* us) { return payload_run(payload_path, loaded, us); },
        [&](double* us) { return dlopen_run(so_path, us); },
        [&](double* us) { return dlopen_run(pic_so_path, us); },
    };
    const char* const side_names[3] = {"payload", "so", "pic"};
    std::vector<double> steady[3], mixed[3];
    for (int round = 0; round < 3; ++round) {
        for (int s = 0; s < 3; ++s) {
            if (!only.empty() && only != side_names[s])
                continue;
            const int n = runs / 3 + (round < runs % 3);
            for (int k = -kWarmup; k < n; ++k) {
                double us;
                if (!sides[s](&us))
                    return 1;
                if (k >= 0)
                    steady[s].push_back(us);
            }
        }
    }
    for (int run = -kWarmup; only.empty() && run < runs; ++run) {
        for (int s = 0; s < 3; ++s) {
            double us;
            if (!sides[s](&us))
                return 1;
            if (run >= 0)
                mixed[s].push_back(us);
        }
    }
    for (int s = 0; s < 3; ++s) {
        if (steady[s].empty())
            steady[s].push_back(0);
        if (mixed[s].empty())
            mixed[s].push_back(0);
    }
    const Stats payload = stats(steady[0]), so = stats(steady[1]), pic = stats(steady[2]);
    const Stats payload_mixed = stats(mixed[0]), so_mixed = stats(mixed[1]), pic_mixed = stats(mixed[2]);
    const Stats build = stats(build_ms), containing = stats(containing_ns);
    const double ratio = payload.median / so.median;
    const double ratio_mixed = payload_mixed.median / so_mixed.median;

    printf("symbol table (%zu names):\n", names.size());
    print_stats("SymbolTable::build", build, "ms");
    print_stats("SymbolTable::lookup (shuffled)", lookup, "ns");
    print_stats("dlsym (same order, baseline)", dlsym_ns, "ns");
    print_stats("SymbolTable::containing (random)", containing, "ns");
    printf("load + unload, steady state (%d runs each in 3 blocks, %d warm-up runs a block):\n", runs, kWarmup);
    print_stats("load_payload (read file, load, free)", payload, "us");
    print_stats("dlopen + dlclose (.so, 50k relocs)", so, "us");
    print_stats("dlopen + dlclose (PIC .so)", pic, "us");
    if (sink == 0x5eed)
        printf(" \n");  // keeps the lookups from being optimised away
    if (!only.empty())
        return 0;
    printf("  load.ratio_vs_dlopen = %.3f (target <= 1.0); vs PIC .so: %.3f\n", ratio, payload.median / pic.median);
    printf("load + unload, interleaved (%d runs, one of each side in turn):\n", runs);
    print_stats("load_payload (read file, load, free)", payload_mixed, "us");
    print_stats("dlopen + dlclose (.so, 50k relocs)", so_mixed, "us");
    print_stats("dlopen + dlclose (PIC .so)", pic_mixed, "us");
    printf("  interleaved ratio vs .so = %.3f; vs PIC .so: %.3f\n", ratio_mixed,
           payload_mixed.median / pic_mixed.median);

    nlohmann::json figures = {
        {"load.ratio_vs_dlopen", figure(ratio, "ratio", ratio)},
        {"load.payload_us", figure(payload.median, "us", ratio)},
        {"load.dlopen_us", figure(so.median, "us")},
        {"load.dlopen_pic_us", figure(pic.median, "us")},
        {"load.ratio_vs_dlopen_pic", figure(payload.median / pic.median, "ratio", payload.median / pic.median)},
        {"load.payload_relocations", figure(static_cast<double>(payload_relocs.total), "count")},
        {"load.dlopen_relocations", figure(static_cast<double>(so_relocs.total), "count")},
        {"load.dlopen_pic_relocations", figure(static_cast<double>(pic_relocs.total), "count")},
        {"load.ratio_vs_dlopen_interleaved", figure(ratio_mixed, "ratio", ratio_mixed)},
        {"load.payload_interleaved_us", figure(payload_mixed.median, "us", ratio_mixed)},
        {"load.dlopen_interleaved_us", figure(so_mixed.median, "us")},
        {"symtab.build_ms", figure(build.median, "ms")},
        {"symtab.lookup_ns", figure(lookup.median, "ns", lookup.median / dlsym_ns.median)},
        {"symtab.dlsym_ns", figure(dlsym_ns.median, "ns")},
        {"symtab.containing_ns", figure(containing.median, "ns")},
    };
    if (!merge_results(results_path, figures))
        return 1;
    printf("figures merged into %s\n", results_path.c_str());
    return 0;
}
