// The engine-core demonstration: loads real payloads built by gcc into the engine against the
// fake hypervisor of the unit tests, shows what the
// loader made of each, runs a relocated replacement function, and shows a damaged payload being
// refused with nothing left behind.
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include "core/loader/loader.h"
#include "support/test_port.h"

using namespace livepatch;
using livepatch::test::hv;

namespace {

void show(const Payload& p) {
    printf("  regions: text %zu B, rw %zu B, ro %zu B (page aligned, W^X)\n", p.text().size, p.rw().size,
           p.ro().size);
    printf("  build-id: ");
    for (uint32_t i = 0; i < p.build_id().len; ++i)
        printf("%02x", p.build_id().bytes[i]);
    printf("\n");
    for (size_t i = 0; i < p.funcs().size(); ++i) {
        const livepatch_func& f = p.funcs()[i];
        port::SymbolInfo old{};
        port::symbol_by_address(f.old_addr, &old);
        printf("  func[%zu]: %s @%#llx (%u bytes) -> %s\n", i, old.name ? old.name : "?",
               (unsigned long long)f.old_addr, f.old_size,
               f.new_addr ? "replacement in payload text" : "NOP patch");
    }
    size_t fresh = 0;
    for (const PayloadSymbol& s : p.symbols())
        fresh += s.new_symbol;
    printf("  symbols: %zu (%zu new, linkable by later payloads)\n", p.symbols().size(), fresh);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <fixture-dir>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    hv().reset();
    PayloadList loaded;
    int failures = 0;

    for (const char* name : {"hello", "statics", "nop", "hooks", "stacked"}) {
        std::vector<uint8_t> bytes = test::read_file(dir + "/" + name + ".livepatch");
        printf("upload %-8s (%zu bytes): ", name, bytes.size());
        auto r = load_payload(name, Bytes(bytes.data(), bytes.size()), loaded);
        if (!r) {
            char msg[512];
            r.error().format(msg, sizeof msg);
            printf("REFUSED\n  %s\n", msg);
            ++failures;
            continue;
        }
        printf("CHECKED\n");
        show(*r.value());
        loaded.add(std::move(r).value());
    }

    const Payload* hello = loaded.find("hello");
    if (hello && !hello->funcs().empty()) {
        auto fn = reinterpret_cast<const char* (*)()>(hello->funcs()[0].new_addr);
        printf("\ncalling hello's relocated xen_extra_version replacement: \"%s\"\n", fn());
    }

    // A damaged payload: built for another machine.
    std::vector<uint8_t> bad = test::read_file(dir + "/hello.livepatch");
    const long before_z = hv().live_zallocs(), before_p = hv().live_payload_allocs();
    bad[0x12] = 0xb7;  // e_machine (offset 18) := EM_AARCH64 (183)
    bad[0x13] = 0x00;
    auto r = load_payload("damaged", Bytes(bad.data(), bad.size()), loaded);
    printf("\nupload damaged (e_machine changed to AArch64): %s\n", r ? "CHECKED (unexpected)" : "REFUSED");
    if (!r) {
        char msg[512];
        r.error().format(msg, sizeof msg);
        printf("  %s\n", msg);
        printf("  memory left behind: %ld allocations, %ld payload regions\n", hv().live_zallocs() - before_z,
               hv().live_payload_allocs() - before_p);
    }
    printf("\n%zu good payloads loaded, %d refused; the damaged one refused, as it must be\n", loaded.count(),
           failures);
    return failures || r ? 1 : 0;
}
