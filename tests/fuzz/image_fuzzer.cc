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

#include <stdexcept>
#include <string>

#include "../../xl-tool/offline/hypervisor_image.h"
#include "fuzz/input_file.h"

using livepatch::tool::offline::HypervisorImage;
using namespace livepatch::fuzz;

namespace {

volatile uint8_t g_sink;

void exercise(const HypervisorImage& img) {
    const uint64_t lo = img.base(), hi = img.base() + img.size();
    if (img.text_start() < lo || img.text_end() > hi || img.text_start() > img.text_end())
        die(".text outside the mapping", input_path());
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
    open_input_file("image-fuzzer");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    write_input_file(data, size);
    const std::string& path = input_path();
    try {
        const auto img = HypervisorImage::load(path);
        exercise(*img);
    } catch (const std::runtime_error& e) {
        if (std::string(e.what()).find(path) == std::string::npos)
            die("a refusal does not name the file", e.what());
    }
    return 0;
}
