// The payload's own symbol table and its name index (core/loader/payload_symbols.cc,
// Payload::find_new_symbol) with a payload that fills the 2 MiB upload limit with symbols that all
// share one name. Xen 4.17 keeps such duplicates: build_symbol_table (xen/common/livepatch.c:983)
// only refuses a new symbol that already exists in the hypervisor or another payload (:1042), and
// livepatch_symbols_lookup_by_name (:135) returns the first new symbol of that name in a payload's
// table. The engine gives the same verdicts; its index is sorted, so building it is O(n log n)
// and a lookup O(log n) however many names collide (the figure is in the commit message, not in
// an assertion).
#include <doctest/doctest.h>
#include <string.h>

#include <string>
#include <vector>

#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "livepatch/abi.h"
#include "support/elf_builder.h"
#include "support/test_port.h"

using namespace livepatch;
using namespace livepatch::test;

namespace {

constexpr const char* kDupName = "dup_data";
constexpr uint64_t kFirstValue = 5;  // the first dup_data's offset in .rodata.str

// The valid payload plus as many global objects called dup_data (in .rodata.str, at offsets
// kFirstValue, then 0..15 in turn) as fit under kMaxPayloadSize with `slack` bytes to spare.
// The builder writes one .strtab string per symbol; the copies then all point at the first one's
// string, so the symbols cost 24 bytes each.
ElfImage many_duplicates(size_t* count, size_t slack = 4096) {
    ElfBuilder b = valid_payload_builder(7);
    const uint32_t rodata = b.section(".rodata.str");
    b.add_symbol(kDupName).in(rodata).value(kFirstValue).size(1).object().global();
    const size_t base = b.build().size();
    const size_t n = (kMaxPayloadSize - base - slack) / sizeof(Elf64_Sym);
    for (size_t i = 1; i < n; ++i)
        b.add_symbol("").in(rodata).value(i % 16).size(1).object().global();
    ElfImage img = b.build();
    const Elf64_Sym first = img.get<Elf64_Sym>(img.symbol_offset(img.symbol_index(kDupName)));
    for (uint32_t i = 1; i < img.symbol_count(); ++i) {
        img.edit_symbol(i, [&](Elf64_Sym& s) {
            if (s.st_name == 0 && s.st_shndx == rodata && ELF64_ST_TYPE(s.st_info) == STT_OBJECT)
                s.st_name = first.st_name;
        });
    }
    *count = n;
    return img;
}

}  // namespace

TEST_SUITE("payload symbols") {

TEST_CASE("87k symbols sharing one name: accepted, the first is the one found (Xen's verdicts)") {
    hv().reset();
    size_t n = 0;
    const ElfImage img = many_duplicates(&n);
    REQUIRE(img.size() <= kMaxPayloadSize);
    REQUIRE(n > 80000);

    PayloadList list;
    Result<Owned<Payload>> p = load_payload("dups", img.span(), list);
    REQUIRE_MESSAGE(p, (p ? "" : p.error().rule()));
    const Payload& dups = *p.value();
    size_t named = 0;
    for (const PayloadSymbol& s : dups.symbols())
        named += strcmp(s.name, kDupName) == 0;
    CHECK(named == n);  // every duplicate kept, as Xen keeps them
    const uint64_t rodata = dups.section_address(img.section_index(".rodata.str"));
    const PayloadSymbol* found = dups.find_new_symbol(kDupName);
    REQUIRE(found);
    CHECK(found->value == rodata + kFirstValue);  // the first in table order (Xen: livepatch.c:144)
    CHECK(found->new_symbol);
    CHECK(dups.find_new_symbol("dup_dat") == nullptr);
    CHECK(dups.find_new_symbol("dup_data_") == nullptr);
    CHECK(dups.find_new_symbol("") == nullptr);
    list.add(std::move(p).value());

    // Another payload that needs dup_data is linked to that first one.
    {
        ElfBuilder b = valid_payload_builder(8);
        auto data = b.add_section(".data.ref", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 8).data(std::vector<uint8_t>(8, 0));
        const uint32_t ref = b.add_symbol(kDupName);  // undefined
        b.add_rela(data, 0, ref, R_X86_64_64);
        const ElfImage user_img = b.build();
        Result<Owned<Payload>> user = load_payload("user", user_img.span(), list);
        REQUIRE_MESSAGE(user, (user ? "" : user.error().rule()));
        uint64_t linked = 0;
        memcpy(&linked, reinterpret_cast<const void*>(user.value()->section_address(user_img.section_index(".data.ref"))),
               8);
        CHECK(linked == rodata + kFirstValue);
    }

    // And one that defines dup_data as a new symbol of its own is refused (Xen: livepatch.c:1042).
    {
        ElfBuilder b = valid_payload_builder(9);
        b.add_symbol(kDupName).in(b.section(".rodata.str")).value(0).size(1).object().global();
        const ElfImage clash = b.build();
        Result<Owned<Payload>> r = load_payload("clash", clash.span(), list);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::kEEXIST);
        CHECK(strcmp(r.error().name(), kDupName) == 0);
    }
    (void)list.remove("dups");
    hv().reset();
}

}  // TEST_SUITE
