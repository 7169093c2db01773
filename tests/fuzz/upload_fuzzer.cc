// libFuzzer target over the upload path: livepatch::load_payload on arbitrary bytes, against the
// test port's fake hypervisor (tests/support/test_port.cc).
//
// Each input is loaded as payload "fuzz" against an empty PayloadList. The target aborts
// (__builtin_trap) when
//   - the loader returns an errno outside the set it may return,
//   - a failure is not logged through the port, or a loaded payload breaks a loader guarantee,
//   - engine memory (zalloc blocks or payload pages) is still allocated once every payload of
//     the input has been destroyed: a rejected upload must leave nothing behind.
// AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer catch the rest.
//
// Cross-payload checks: when bit 0 of e_ident[EI_PAD + 6] (byte 15, which the loader ignores)
// is set and the input loads, the loaded payload is kept in the list and the same bytes are
// loaded again (the loader must refuse: same build-id), then once more with the payload's own
// build-id altered, which takes the copy past the build-id check into symbol resolution against
// the first payload, the new-symbol check and the cross-payload overlap check.
//
// Environment:
//   UPLOAD_FUZZER_STATS=1        print, at exit, how many inputs were loaded and rejected
//   UPLOAD_FUZZER_EXPECT_LOAD=1  also exit with status 1 when no input loaded successfully
//                                (used by `make fuzz` to prove the seed corpus reaches the end)
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vector>

#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "livepatch/errc.h"
#include "livepatch/result.h"
#include "support/test_port.h"

namespace {

using livepatch::Bytes;
using livepatch::Errc;
using livepatch::Owned;
using livepatch::Payload;
using livepatch::PayloadList;
using livepatch::test::hv;

constexpr size_t kTwiceByte = 15;  // e_ident[EI_PAD + 6]

struct Stats {
    unsigned long inputs = 0;
    unsigned long loaded = 0;       // first load succeeded
    unsigned long twice = 0;        // cross-payload round ran
    unsigned long second_loaded = 0;  // the altered copy loaded too
    unsigned long by_errno[128] = {};
};
Stats g_stats;

[[noreturn]] void die(const char* what, long detail) {
    fprintf(stderr, "upload-fuzzer: %s (%ld)\n", what, detail);
    for (const std::string& line : hv().log())
        fprintf(stderr, "upload-fuzzer:   port log: %s\n", line.c_str());
    __builtin_trap();
}

bool allowed_errno(Errc e) {
    switch (e) {
    case Errc::kEINVAL:
    case Errc::kEOPNOTSUPP:
    case Errc::kENOENT:
    case Errc::kEEXIST:
    case Errc::kEOVERFLOW:
    case Errc::kENOMEM:
    case Errc::kENODATA:
    case Errc::kERANGE:
    case Errc::kEFAULT:
        return true;
    default:
        return false;
    }
}

// Checks one load_payload result: an allowed errno, rendered and logged, or a payload that
// keeps the loader's promises. Returns the payload (empty on failure).
Owned<Payload> check(livepatch::Result<Owned<Payload>>&& r, const char* name, size_t log_before) {
    if (!r.ok()) {
        const livepatch::Error& e = r.error();
        if (!allowed_errno(e.code()))
            die("load_payload returned an errno the loader may not return", static_cast<long>(e.code()));
        char buf[1024];
        const size_t n = e.format(buf, sizeof(buf));
        if (n >= sizeof(buf) || buf[n] != '\0' || strlen(buf) != n)
            die("Error::format did not produce a NUL-terminated string of the length it returned", static_cast<long>(n));
        if (hv().log().size() <= log_before)
            die("a rejected upload logged nothing through the port", 0);
        const long code = static_cast<long>(e.code());
        ++g_stats.by_errno[code >= 0 && code < 128 ? code : 0];
        return Owned<Payload>();
    }
    Owned<Payload> p = std::move(r).value();
    if (!p)
        die("load_payload succeeded without a payload", 0);
    if (strcmp(p->name(), name) != 0)
        die("loaded payload has the wrong name", 0);
    if (!p->build_id().present())
        die("loaded payload has no build-id", 0);
    const uint8_t* hv_id = nullptr;
    uint32_t hv_len = 0;
    if (!livepatch::port::hypervisor_build_id(&hv_id, &hv_len) || !p->xen_depends().equals(hv_id, hv_len))
        die("loaded payload's xen_depends does not match the hypervisor", 0);
    for (const livepatch::livepatch_func& f : p->funcs()) {
        if (f.old_addr == 0 || f.old_size == 0)
            die("loaded function record has no old function", 0);
    }
    return p;
}

// Finds `needle` in `hay`; returns its offset or -1.
long find_bytes(const uint8_t* hay, size_t hay_len, const uint8_t* needle, size_t needle_len) {
    if (needle_len == 0 || needle_len > hay_len)
        return -1;
    for (size_t i = 0; i + needle_len <= hay_len; ++i) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, needle_len) == 0)
            return static_cast<long>(i);
    }
    return -1;
}

void run_one(const uint8_t* data, size_t size) {
    ++g_stats.inputs;
    PayloadList list;

    size_t mark = hv().log().size();
    Owned<Payload> first = check(livepatch::load_payload("fuzz", Bytes(data, size), list), "fuzz", mark);
    if (!first)
        return;
    ++g_stats.loaded;
    if (size <= kTwiceByte || !(data[kTwiceByte] & 1))
        return;  // `first` is destroyed here

    // Cross-payload round.
    ++g_stats.twice;
    std::vector<uint8_t> own_id(first->build_id().bytes, first->build_id().bytes + first->build_id().len);
    list.add(std::move(first));

    mark = hv().log().size();
    Owned<Payload> again = check(livepatch::load_payload("fuzz-again", Bytes(data, size), list), "fuzz-again", mark);
    if (again)
        die("the same payload loaded twice: its build-id is not unique", 0);

    // The same bytes with the payload's own build-id altered (its first occurrence in the file).
    const long at = find_bytes(data, size, own_id.data(), own_id.size());
    if (at < 0)
        return;
    std::vector<uint8_t> copy(data, data + size);
    copy[static_cast<size_t>(at)] ^= 0xff;
    mark = hv().log().size();
    Owned<Payload> second =
        check(livepatch::load_payload("fuzz-second", Bytes(copy.data(), copy.size()), list), "fuzz-second", mark);
    if (second) {
        ++g_stats.second_loaded;
        list.add(std::move(second));
    }
    // `list` destroys every payload it holds.
}

void print_stats() {
    if (!getenv("UPLOAD_FUZZER_STATS") && !getenv("UPLOAD_FUZZER_EXPECT_LOAD"))
        return;
    fprintf(stderr, "upload-fuzzer: %lu inputs, %lu loaded, %lu cross-payload rounds (%lu altered copies loaded)\n",
            g_stats.inputs, g_stats.loaded, g_stats.twice, g_stats.second_loaded);
    fprintf(stderr, "upload-fuzzer: rejections by errno:");
    for (long e = 0; e < 128; ++e) {
        if (g_stats.by_errno[e])
            fprintf(stderr, " %s=%lu", livepatch::errc_name(static_cast<Errc>(e)), g_stats.by_errno[e]);
    }
    fprintf(stderr, "\n");
    if (getenv("UPLOAD_FUZZER_EXPECT_LOAD") && g_stats.loaded == 0) {
        fprintf(stderr, "upload-fuzzer: FAIL: no input loaded successfully\n");
        _exit(1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    (void)argv;
    hv().reset();
    atexit(print_stats);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    run_one(data, size);
    if (hv().live_zallocs() != 0)
        die("zalloc blocks leaked by the loader", hv().live_zallocs());
    if (hv().live_payload_allocs() != 0)
        die("payload page allocations leaked by the loader", hv().live_payload_allocs());
    hv().clear_log();
    return 0;
}
