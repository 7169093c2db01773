// Payload regions (Xen: register_virtual_region at UPLOAD, common/livepatch.c:1174, and
// unregister_virtual_region in free_payload, :1073): the loader sorts .ex_table as Xen's
// sort_exception_table does (arch/x86/extable.c:26-57, entries relative to themselves), fills
// the region with the payload's text, read-only data, exception table and bug frames, and
// registers it with the port once the upload has succeeded; the payload unregisters it when it
// is destroyed (UNLOAD through the sysctl handler too).
#include <doctest/doctest.h>
#include <elf.h>
#include <string.h>

#include <string>
#include <vector>

#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "support/elf_builder.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"

using namespace livepatch;
using namespace livepatch::test;

namespace {

// The valid payload plus an unsorted three-entry .ex_table (fault addresses at text+12, +6, +0
// in file order; each continuation is fault + 1) and bug frames in .bug_frames.1 (2 entries)
// and .bug_frames.3 (1 entry).
ElfBuilder payload_with_tables(uint8_t seed = 1) {
    ElfBuilder b = valid_payload_builder(seed);
    const uint32_t text = b.section(".text.xen_extra_version");
    auto ex = b.add_section(".ex_table", SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(24, 0));
    const int64_t faults[] = {12, 6, 0};
    for (uint32_t k = 0; k < 3; ++k) {
        b.add_rela(ex, 8 * k, b.section_symbol(text), R_X86_64_PC32, faults[k]);
        b.add_rela(ex, 8 * k + 4, b.section_symbol(text), R_X86_64_PC32, faults[k] + 1);
    }
    b.add_section(".bug_frames.1", SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(16, 0x11));
    b.add_section(".bug_frames.3", SHT_PROGBITS, SHF_ALLOC, 4).data(std::vector<uint8_t>(8, 0x33));
    return b;
}

// Absolute (fault, continuation) of entry k of an x86 exception table that lives at `live`,
// decoded from `bytes` (a copy of it).
std::pair<uint64_t, uint64_t> ex_entry(const std::vector<uint8_t>& bytes, const uint8_t* live, uint32_t k) {
    int32_t a, c;
    memcpy(&a, bytes.data() + 8 * k, 4);
    memcpy(&c, bytes.data() + 8 * k + 4, 4);
    const uint64_t place = reinterpret_cast<uintptr_t>(live) + 8 * k;
    return {place + static_cast<uint64_t>(int64_t{a}), place + 4 + static_cast<uint64_t>(int64_t{c})};
}

}  // namespace

TEST_SUITE("loader: payload regions") {
    TEST_CASE("the region is registered at upload with a sorted .ex_table and unregistered with the payload") {
        hv().reset();
        const size_t before = hv().regions().size();
        const long bad_before = hv().bad_region_unregistrations();
        const ElfImage img = payload_with_tables().build();
        PayloadList loaded;
        {
            Result<Owned<Payload>> r = load_payload("regions", img.span(), loaded);
            REQUIRE(r.ok());
            const Payload& p = *r.value();
            REQUIRE(hv().regions().size() == before + 1);
            const TestHypervisor::RegionRecord* rec = hv().region_of("regions");
            REQUIRE(rec != nullptr);
            CHECK(rec->region == &p.region());
            CHECK(p.region_registered());
            const port::PayloadRegion& reg = rec->copy;
            const uint64_t text = reinterpret_cast<uintptr_t>(p.text().base);
            CHECK(reg.text_start == text);
            CHECK(reg.text_end == text + p.text().size);
            CHECK(reg.rodata_start == reinterpret_cast<uintptr_t>(p.ro().base));
            CHECK(reg.rodata_end == reg.rodata_start + p.ro().size);

            // .ex_table: the loaded section, sorted by fault address, each continuation still
            // paired with its fault, and what the port received is what the payload holds.
            const uint64_t ex_addr = p.section_address(img.section_index(".ex_table"));
            REQUIRE(ex_addr != 0);
            CHECK(reinterpret_cast<uintptr_t>(reg.ex_table) == ex_addr);
            REQUIRE(reg.ex_table_count == 3);
            CHECK(reg.ex_table_entry_size == 8);
            REQUIRE(rec->ex_table.size() == 24);
            CHECK(memcmp(rec->ex_table.data(), reg.ex_table, 24) == 0);
            const uint64_t want[] = {0, 6, 12};
            for (uint32_t k = 0; k < 3; ++k) {
                CAPTURE(k);
                const auto e = ex_entry(rec->ex_table, reg.ex_table, k);
                CHECK(e.first == text + want[k]);
                CHECK(e.second == text + want[k] + 1);
            }

            // Bug frames: 8 bytes each on x86-64; the sections absent stay empty.
            CHECK(reg.bug_frames[0].frames == nullptr);
            CHECK(reg.bug_frames[0].count == 0);
            CHECK(reinterpret_cast<uintptr_t>(reg.bug_frames[1].frames) ==
                  p.section_address(img.section_index(".bug_frames.1")));
            CHECK(reg.bug_frames[1].count == 2);
            CHECK(reg.bug_frames[1].entry_size == 8);
            CHECK(reg.bug_frames[2].count == 0);
            CHECK(reg.bug_frames[3].count == 1);
            CHECK(reg.bug_frames[3].frames[0] == 0x33);
        }
        CHECK(hv().regions().size() == before);
        CHECK(hv().region_of("regions") == nullptr);
        CHECK(hv().bad_region_unregistrations() == bad_before);
    }

    TEST_CASE("a refused upload registers nothing, even when it fails after the region is prepared") {
        hv().reset();
        const size_t before = hv().regions().size();
        const long bad_before = hv().bad_region_unregistrations();
        PayloadList loaded;
        // Fails in prepare_payload's checks (bad .modinfo, after .ex_table is sorted) and at
        // secure (the first page protection).
        ElfBuilder bad_modinfo = payload_with_tables();
        bad_modinfo.add_section(".modinfo", SHT_PROGBITS, SHF_ALLOC, 1).str_data("version=1");
        CHECK_FALSE(load_payload("bad-modinfo", bad_modinfo.build().span(), loaded).ok());
        hv().fail_protect_at = 0;
        CHECK_FALSE(load_payload("bad-protect", payload_with_tables().build().span(), loaded).ok());
        hv().fail_protect_at = -1;
        CHECK(hv().regions().size() == before);
        CHECK(hv().bad_region_unregistrations() == bad_before);
    }

    // Deviation: Xen sorts and registers .ex_table and bug frames at their load address, NULL
    // when the section is not SHF_ALLOC (common/livepatch.c:810, :913-919).
    TEST_CASE("a special section that is not loaded is refused") {
        hv().reset();
        for (const char* s : {".ex_table", ".bug_frames.0"}) {
            const std::string name = s;
            CAPTURE(name);
            ElfBuilder b = valid_payload_builder();
            b.add_section(name, SHT_PROGBITS, 0, 4).data(std::vector<uint8_t>(8, 0));
            PayloadList loaded;
            Result<Owned<Payload>> r = load_payload("unloaded-special", b.build().span(), loaded);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code() == Errc::kEINVAL);
            CHECK(std::string(r.error().name()) == name);
        }
    }

    TEST_CASE("UPLOAD registers the region and UNLOAD unregisters it (sysctl path)") {
        hv().reset();
        const size_t before = hv().regions().size();
        REQUIRE(upload("region-sysctl", payload_with_tables(9).build().bytes) == 0);
        CHECK(hv().regions().size() == before + 1);
        CHECK(hv().region_of("region-sysctl") != nullptr);
        REQUIRE(action("region-sysctl", LIVEPATCH_ACTION_UNLOAD) == 0);
        CHECK(hv().region_of("region-sysctl") == nullptr);
        CHECK(hv().regions().size() == before);
    }
}
