// libFuzzer target over the image reader of `xen-livepatch check --against IMAGE`:
// HypervisorImage::load (xl-tool/offline/hypervisor_image.cc) on arbitrary bytes, as a file,
// then what `check` asks of a loaded image: its symbol table by name and by address, its text
// and build-id, the ends of its mapping and the first pages of its text.
//
// The target aborts (__builtin_trap) when
//   - load throws anything but std::runtime_error, or a refusal does not name the file,
//   - a loaded image's .text or a symbol lies outside its mapping.
// AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer catch the rest; a copy far
// outside the image's mapping (anonymous memory ASan does not track) faults.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "../../xl-tool/offline/hypervisor_image.h"

using livepatch::tool::offline::HypervisorImage;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail) {
    fprintf(stderr, "image-fuzzer: %s: %s\n", what, detail.c_str());
    __builtin_trap();
}

int g_fd = -1;
std::string g_path;
volatile uint8_t g_sink;

void exercise(const HypervisorImage& img) {
    const uint64_t lo = img.base(), hi = img.base() + img.size();
    if (img.text_start() < lo || img.text_end() > hi || img.text_start() > img.text_end())
        die(".text outside the mapping", g_path);
    uint8_t sum = 0;
    sum = static_cast<uint8_t>(sum + *reinterpret_cast<const volatile uint8_t*>(lo));  // the ends are readable
    sum = static_cast<uint8_t>(sum + *reinterpret_cast<const volatile uint8_t*>(hi - 1));
    for (uint64_t a = img.text_start() & ~uint64_t{4095}, n = 0; a < img.text_end() && n < 16; a += 4096, ++n)
        sum = static_cast<uint8_t>(sum + *reinterpret_cast<const volatile uint8_t*>(a));
    for (const char* name : {"start", "_start", "xen_extra_version", "version.c#helper", "", "do_compute"}) {
        const uint64_t v = img.symbols().lookup(name);
        if (v && (v < lo || v > hi))
            die("symbol outside the mapping", name);
    }
    for (uint64_t a = img.text_start(); a < img.text_end() && a < img.text_start() + 4096; a += 61)
        (void)img.symbols().containing(a);
    (void)img.build_id().size();
    g_sink = sum;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_fd = memfd_create("image-fuzzer-input", MFD_CLOEXEC);
    if (g_fd < 0)
        die("memfd_create", "");
    g_path = "/proc/self/fd/" + std::to_string(g_fd);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != static_cast<ssize_t>(size))
        die("cannot write the input", g_path);
    try {
        const auto img = HypervisorImage::load(g_path);
        exercise(*img);
    } catch (const std::runtime_error& e) {
        if (std::string(e.what()).find(g_path) == std::string::npos)
            die("a refusal does not name the file", e.what());
    }
    return 0;
}
