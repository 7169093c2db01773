// SymbolTable: lookup by name (hits, misses, duplicates, colliding hashes, empty tables) and by
// address (sized, unsized, aliased and nested symbols), on small tables and on a 150,000-symbol
// table shaped like Xen's (statics as "<file>#<name>").
#include <doctest/doctest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/symtab/symbol_table.h"
#include "support/test_port.h"

using namespace livepatch;

namespace {

SymbolTable build_ok(const std::vector<SymbolEntry>& entries) {
    Result<SymbolTable> t = SymbolTable::build(Span<const SymbolEntry>(entries.data(), entries.size()));
    REQUIRE(t.ok());
    return std::move(t).value();
}

// Two distinct names whose hashes agree on the low 32 bits (the slot tag) and on the top 4 bits
// (the home slot in a 16-slot table): a birthday search over generated names.
std::pair<std::string, std::string> colliding_names() {
    std::unordered_map<uint64_t, std::string> seen;
    for (uint64_t i = 0;; ++i) {
        std::string name = "collide_" + std::to_string(i);
        const uint64_t h = SymbolTable::hash(name.c_str());
        const uint64_t key = (h & 0xffffffffu) | (h >> 60) << 32;
        auto [it, inserted] = seen.emplace(key, name);
        if (!inserted)
            return {it->second, name};
    }
}

}  // namespace

TEST_SUITE("symbol table") {

TEST_CASE("finds every name and misses the absent ones") {
    const std::vector<SymbolEntry> entries = {
        {"printk", 0x1000, 32},
        {"do_schedule", 0x2000, 64},
        {"common/sched.c#do_schedule", 0x3000, 64},
        {"x", 0x4000, 1},
        {"a_rather_long_symbol_name_that_spans_several_words_of_the_hash", 0x5000, 8},
    };
    const SymbolTable t = build_ok(entries);
    CHECK(t.size() == entries.size());
    for (const SymbolEntry& e : entries) {
        CAPTURE(e.name);
        CHECK(t.find(e.name) == &e);
        CHECK(t.lookup(e.name) == e.addr);
    }
    for (const char* absent : {"", "print", "printkk", "Printk", "sched.c#do_schedule", "do_schedule ", "y",
                               "a_rather_long_symbol_name_that_spans_several_words_of_the_has"}) {
        CAPTURE(absent);
        CHECK(t.find(absent) == nullptr);
        CHECK(t.lookup(absent) == 0);
    }
}

TEST_CASE("duplicate names return the first entry") {
    const std::vector<SymbolEntry> entries = {
        {"dup", 0x1000, 8}, {"other", 0x2000, 8}, {"dup", 0x3000, 8}, {"dup", 0x4000, 8},
    };
    const SymbolTable t = build_ok(entries);
    CHECK(t.find("dup") == &entries[0]);
    CHECK(t.lookup("dup") == 0x1000);
    CHECK(t.find("other") == &entries[1]);
    CHECK(t.size() == 4);
    // The later duplicates are still found by address.
    CHECK(t.containing(0x3004) == &entries[2]);
    CHECK(t.containing(0x4007) == &entries[3]);
}

TEST_CASE("names whose hashes collide are told apart") {
    const auto [a, b] = colliding_names();
    REQUIRE(a != b);
    REQUIRE((SymbolTable::hash(a.c_str()) & 0xffffffffu) == (SymbolTable::hash(b.c_str()) & 0xffffffffu));

    SUBCASE("both in the table") {
        for (bool a_first : {true, false}) {
            std::vector<SymbolEntry> entries = {{a.c_str(), 0x1000, 8}, {b.c_str(), 0x2000, 8}};
            if (!a_first)
                std::swap(entries[0], entries[1]);
            const SymbolTable t = build_ok(entries);
            CHECK(t.lookup(a.c_str()) == 0x1000);
            CHECK(t.lookup(b.c_str()) == 0x2000);
        }
    }
    SUBCASE("only one in the table: the other misses") {
        const std::vector<SymbolEntry> entries = {{a.c_str(), 0x1000, 8}};
        const SymbolTable t = build_ok(entries);
        CHECK(t.lookup(a.c_str()) == 0x1000);
        CHECK(t.find(b.c_str()) == nullptr);
    }
    SUBCASE("many names in few slots: every probe sequence resolves") {
        std::vector<std::string> names;
        for (int i = 0; i < 200; ++i)
            names.push_back("n" + std::to_string(i));
        std::vector<SymbolEntry> entries;
        for (size_t i = 0; i < names.size(); ++i)
            entries.push_back({names[i].c_str(), 0x10000 + i * 16, 16});
        const SymbolTable t = build_ok(entries);
        for (size_t i = 0; i < names.size(); ++i)
            CHECK(t.find(names[i].c_str()) == &entries[i]);
        for (int i = 200; i < 400; ++i)
            CHECK(t.find(("n" + std::to_string(i)).c_str()) == nullptr);
    }
}

TEST_CASE("an empty table finds nothing") {
    const SymbolTable t = build_ok({});
    CHECK(t.size() == 0);
    CHECK(t.find("printk") == nullptr);
    CHECK(t.find("") == nullptr);
    CHECK(t.lookup("printk") == 0);
    CHECK(t.containing(0) == nullptr);
    CHECK(t.containing(0x1000) == nullptr);
    const SymbolTable default_constructed;
    CHECK(default_constructed.find("printk") == nullptr);
    CHECK(default_constructed.containing(0x1000) == nullptr);
}

TEST_CASE("containing: sized symbols cover exactly their bytes") {
    const std::vector<SymbolEntry> entries = {
        {"b", 0x2000, 0x40}, {"a", 0x1000, 0x10}, {"c", 0x3000, 1},
    };
    const SymbolTable t = build_ok(entries);
    CHECK(t.containing(0x1000) == &entries[1]);
    CHECK(t.containing(0x1008) == &entries[1]);
    CHECK(t.containing(0x100f) == &entries[1]);
    CHECK(t.containing(0x1010) == nullptr);  // one past the end
    CHECK(t.containing(0x1fff) == nullptr);  // in the gap
    CHECK(t.containing(0x2000) == &entries[0]);
    CHECK(t.containing(0x203f) == &entries[0]);
    CHECK(t.containing(0x2040) == nullptr);
    CHECK(t.containing(0x3000) == &entries[2]);
    CHECK(t.containing(0x3001) == nullptr);
    CHECK(t.containing(~uint64_t{0}) == nullptr);
}

TEST_CASE("containing: below the first symbol there is nothing") {
    const std::vector<SymbolEntry> entries = {{"first", 0x1000, 0}, {"second", 0x2000, 0x10}};
    const SymbolTable t = build_ok(entries);
    CHECK(t.containing(0) == nullptr);
    CHECK(t.containing(0xfff) == nullptr);
    CHECK(t.containing(0x1000) == &entries[0]);
}

TEST_CASE("containing: unsized symbols extend to the next symbol") {
    const std::vector<SymbolEntry> entries = {
        {"u1", 0x1000, 0}, {"s", 0x2000, 0x10}, {"u2", 0x3000, 0}, {"u3", 0x3800, 0},
    };
    const SymbolTable t = build_ok(entries);
    CHECK(t.containing(0x1000) == &entries[0]);
    CHECK(t.containing(0x1fff) == &entries[0]);
    CHECK(t.containing(0x2000) == &entries[1]);  // the next symbol starts here
    CHECK(t.containing(0x2010) == nullptr);      // past s; u1 stopped at s
    CHECK(t.containing(0x2fff) == nullptr);
    CHECK(t.containing(0x3000) == &entries[2]);
    CHECK(t.containing(0x37ff) == &entries[2]);
    CHECK(t.containing(0x3800) == &entries[3]);
    CHECK(t.containing(~uint64_t{0}) == &entries[3]);  // the last one runs to the end
}

TEST_CASE("containing: several symbols at one address") {
    SUBCASE("the first sized one that covers the address") {
        const std::vector<SymbolEntry> entries = {
            {"short", 0x1000, 4}, {"long", 0x1000, 0x20}, {"long_alias", 0x1000, 0x20},
        };
        const SymbolTable t = build_ok(entries);
        CHECK(t.containing(0x1000) == &entries[0]);
        CHECK(t.containing(0x1003) == &entries[0]);
        CHECK(t.containing(0x1004) == &entries[1]);
        CHECK(t.containing(0x101f) == &entries[1]);
        CHECK(t.containing(0x1020) == nullptr);
    }
    SUBCASE("sized before unsized, whatever the order") {
        for (bool label_first : {true, false}) {
            CAPTURE(label_first);
            std::vector<SymbolEntry> entries = {{"label", 0x1000, 0}, {"func", 0x1000, 8}, {"next", 0x2000, 8}};
            if (!label_first)
                std::swap(entries[0], entries[1]);
            const SymbolEntry* label = &entries[label_first ? 0 : 1];
            const SymbolEntry* func = &entries[label_first ? 1 : 0];
            const SymbolTable t = build_ok(entries);
            CHECK(t.containing(0x1000) == func);
            CHECK(t.containing(0x1004) == func);
            CHECK(t.containing(0x1008) == label);  // past func: the label runs to "next"
            CHECK(t.containing(0x1fff) == label);
            CHECK(t.containing(0x2000) == &entries[2]);
        }
    }
    SUBCASE("unsized aliases: the first of them") {
        const std::vector<SymbolEntry> entries = {{"later", 0x2000, 0}, {"alias1", 0x1000, 0}, {"alias2", 0x1000, 0}};
        const SymbolTable t = build_ok(entries);
        CHECK(t.containing(0x1000) == &entries[1]);
        CHECK(t.containing(0x1fff) == &entries[1]);
        CHECK(t.containing(0x2000) == &entries[0]);
    }
}

TEST_CASE("containing: nested symbols give the innermost") {
    SUBCASE("sized in sized") {
        const std::vector<SymbolEntry> entries = {
            {"outer", 0x1000, 0x1000}, {"inner", 0x1100, 0x10}, {"inner2", 0x1800, 0x10}, {"after", 0x3000, 8},
        };
        const SymbolTable t = build_ok(entries);
        CHECK(t.containing(0x1000) == &entries[0]);
        CHECK(t.containing(0x1100) == &entries[1]);
        CHECK(t.containing(0x110f) == &entries[1]);
        CHECK(t.containing(0x1110) == &entries[0]);  // past inner: outer again
        CHECK(t.containing(0x1805) == &entries[2]);
        CHECK(t.containing(0x1810) == &entries[0]);
        CHECK(t.containing(0x1fff) == &entries[0]);
        CHECK(t.containing(0x2000) == nullptr);
        CHECK(t.containing(0x3004) == &entries[3]);
    }
    SUBCASE("an unsized label inside runs to the next symbol") {
        const std::vector<SymbolEntry> entries = {
            {"outer", 0x1000, 0x1000}, {"inner", 0x1100, 0x10}, {"label", 0x1104, 0}, {"inner2", 0x1800, 0x10},
        };
        const SymbolTable t = build_ok(entries);
        CHECK(t.containing(0x1103) == &entries[1]);
        CHECK(t.containing(0x1104) == &entries[2]);
        CHECK(t.containing(0x1110) == &entries[2]);
        CHECK(t.containing(0x17ff) == &entries[2]);
        CHECK(t.containing(0x1805) == &entries[3]);
        CHECK(t.containing(0x1810) == &entries[0]);
    }
}

TEST_CASE("allocation failures are reported and leak nothing") {
    std::vector<SymbolEntry> entries = {{"a", 0x1000, 8}, {"b", 0x2000, 8}, {"c", 0x3000, 0}};
    const long before = test::hv().live_zallocs();
    for (long n = 0;; ++n) {
        CAPTURE(n);
        test::hv().fail_zalloc_at = n;
        Result<SymbolTable> t = SymbolTable::build(Span<const SymbolEntry>(entries.data(), entries.size()));
        const bool injected = test::hv().fail_zalloc_at < 0;
        test::hv().fail_zalloc_at = -1;
        if (!injected) {
            REQUIRE(t.ok());
            CHECK(t.value().lookup("b") == 0x2000);
            break;
        }
        CHECK(t.code() == Errc::kENOMEM);
        CHECK(test::hv().live_zallocs() == before);
    }
    CHECK(test::hv().live_zallocs() == before);
}

TEST_CASE("150,000 symbols: every name and a sample of addresses") {
    static const char* const kFiles[] = {"common/sched.c", "arch/x86/hvm/vmx/vmcs.c", "common/page_alloc.c",
                                         "drivers/passthrough/vtd/iommu.c", "arch/x86/mm/p2m.c"};
    constexpr size_t kCount = 150000;
    std::vector<std::string> names;
    names.reserve(kCount);
    for (size_t i = 0; i < kCount; ++i) {
        const std::string base = (i % 3 == 0 ? "do_schedule_" : i % 3 == 1 ? "hvm_set_cr4_" : "p2m_get_entry_") +
                                 std::to_string(i);
        names.push_back(i % 4 == 0 ? std::string(kFiles[i % 5]) + "#" + base : base);
    }
    // Addresses: 16 bytes apart in shuffled order; every seventh symbol unsized.
    std::vector<SymbolEntry> entries;
    entries.reserve(kCount);
    for (size_t i = 0; i < kCount; ++i) {
        const uint64_t slot = (i * 7919) % kCount;  // 7919 is prime, coprime with kCount
        entries.push_back({names[i].c_str(), 0xffff82d040200000ull + slot * 16, i % 7 == 0 ? 0u : 12u});
    }
    const SymbolTable t = build_ok(entries);
    REQUIRE(t.size() == kCount);

    size_t wrong = 0;
    for (size_t i = 0; i < kCount; ++i)
        wrong += t.find(names[i].c_str()) != &entries[i] || t.lookup(names[i].c_str()) != entries[i].addr;
    CHECK(wrong == 0);
    CHECK(t.find("common/sched.c#do_schedule_0") == &entries[0]);
    CHECK(t.find("do_schedule_0") == nullptr);  // only the static exists
    CHECK(t.find("common/sched.c#do_schedule_1") == nullptr);

    size_t wrong_addr = 0;
    for (size_t i = 0; i < kCount; i += 97) {
        const SymbolEntry& e = entries[i];
        wrong_addr += t.containing(e.addr) != &e;
        wrong_addr += t.containing(e.addr + 11) != &e;                      // last byte or inside
        wrong_addr += t.containing(e.addr + 12) != (e.size ? nullptr : &e);  // past a sized one
        wrong_addr += t.containing(e.addr + 15) != (e.size ? nullptr : &e);
    }
    CHECK(wrong_addr == 0);
    CHECK(t.containing(0xffff82d040200000ull - 1) == nullptr);
}

}  // TEST_SUITE
