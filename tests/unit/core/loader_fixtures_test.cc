// Real payloads compiled by gcc during the build (tests/fixtures/payloads), loaded against the
// test hypervisor. Every byte of every loaded section is checked: relocated fields against values
// computed independently here with elfutils libelf, all other bytes against the file.
#include <doctest/doctest.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include <map>
#include <string>
#include <vector>

#include "core/loader/loader.h"
#include "support/test_port.h"

using namespace livepatch;
using livepatch::test::hv;

namespace {

std::vector<uint8_t> fixture(const std::string& name) {
    return test::read_file(std::string(LP_FIXTURE_DIR) + "/" + name + ".livepatch");
}

// Independent model of the payload file, read with libelf.
struct ElfModel {
    Elf* elf = nullptr;
    std::vector<uint8_t> bytes;

    explicit ElfModel(std::vector<uint8_t> b) : bytes(std::move(b)) {
        REQUIRE(elf_version(EV_CURRENT) != EV_NONE);
        elf = elf_memory(reinterpret_cast<char*>(bytes.data()), bytes.size());
        REQUIRE(elf != nullptr);
    }
    ~ElfModel() { elf_end(elf); }

    size_t shstrndx() const {
        size_t i = 0;
        elf_getshdrstrndx(elf, &i);
        return i;
    }
    std::string section_name(size_t index) const {
        GElf_Shdr sh;
        gelf_getshdr(elf_getscn(elf, index), &sh);
        return elf_strptr(elf, shstrndx(), sh.sh_name);
    }
    size_t find(const std::string& name) const {
        for (Elf_Scn* s = nullptr; (s = elf_nextscn(elf, s));) {
            if (section_name(elf_ndxscn(s)) == name)
                return elf_ndxscn(s);
        }
        return 0;
    }
    // (name, sym) for symbol index i.
    std::pair<std::string, GElf_Sym> symbol(size_t i) const {
        for (Elf_Scn* s = nullptr; (s = elf_nextscn(elf, s));) {
            GElf_Shdr sh;
            gelf_getshdr(s, &sh);
            if (sh.sh_type != SHT_SYMTAB)
                continue;
            GElf_Sym sym;
            gelf_getsym(elf_getdata(s, nullptr), static_cast<int>(i), &sym);
            return {elf_strptr(elf, sh.sh_link, sym.st_name), sym};
        }
        FAIL("no symtab");
        return {};
    }
    uint64_t symbol_address(const std::string& name, const Payload& p) const {
        for (size_t i = 1;; ++i) {
            auto [n, sym] = symbol(i);
            if (n == name)
                return p.section_address(sym.st_shndx) + sym.st_value;
            if (i > 10000)
                return 0;
        }
    }
};

// Checks every loaded byte of `p` against the file and independently computed relocations.
void check_loaded_bytes(const ElfModel& m, const Payload& p, const PayloadList& others) {
    std::map<size_t, std::vector<bool>> patched;  // section index -> bytes written by relocation
    size_t relocations = 0;

    for (Elf_Scn* rs = nullptr; (rs = elf_nextscn(m.elf, rs));) {
        GElf_Shdr rsh;
        gelf_getshdr(rs, &rsh);
        if (rsh.sh_type != SHT_RELA)
            continue;
        const size_t target = rsh.sh_info;
        GElf_Shdr tsh;
        gelf_getshdr(elf_getscn(m.elf, target), &tsh);
        if (!(tsh.sh_flags & SHF_ALLOC))
            continue;
        auto& mask = patched[target];
        mask.resize(tsh.sh_size);
        Elf_Data* data = elf_getdata(rs, nullptr);
        for (size_t k = 0; k < rsh.sh_size / rsh.sh_entsize; ++k) {
            GElf_Rela r;
            gelf_getrela(data, static_cast<int>(k), &r);
            auto [name, sym] = m.symbol(GELF_R_SYM(r.r_info));
            uint64_t S;
            if (sym.st_shndx == SHN_UNDEF) {
                S = hv().port_symbol_by_name(name.c_str());
                if (!S)
                    S = others.find_new_symbol(name.c_str());
                REQUIRE_MESSAGE(S != 0, name);
            } else if (sym.st_shndx == SHN_ABS) {
                S = sym.st_value;
            } else {
                S = p.section_address(sym.st_shndx) + sym.st_value;
            }
            const uint64_t P = p.section_address(target) + r.r_offset;
            const auto* at = reinterpret_cast<const uint8_t*>(P);
            const uint32_t type = GELF_R_TYPE(r.r_info);
            CAPTURE(name);
            CAPTURE(type);
            if (type == R_X86_64_64) {
                uint64_t got;
                memcpy(&got, at, 8);
                CHECK(got == S + r.r_addend);
                for (int b = 0; b < 8; ++b)
                    mask[r.r_offset + b] = true;
            } else if (type == R_X86_64_PC32 || type == R_X86_64_PLT32) {
                int32_t got;
                memcpy(&got, at, 4);
                CHECK(static_cast<int64_t>(got) == static_cast<int64_t>(S + r.r_addend - P));
                for (int b = 0; b < 4; ++b)
                    mask[r.r_offset + b] = true;
            } else {
                FAIL("fixture has an unexpected relocation type ", type);
            }
            ++relocations;
        }
    }
    CHECK(relocations > 0);

    // The loader also resolves old_addr (offset 16 of each record) in .livepatch.funcs.
    if (size_t funcs = m.find(".livepatch.funcs")) {
        auto& mask = patched[funcs];
        GElf_Shdr sh;
        gelf_getshdr(elf_getscn(m.elf, funcs), &sh);
        mask.resize(sh.sh_size);
        for (size_t r = 0; r + 104 <= sh.sh_size; r += 104)
            for (int b = 0; b < 8; ++b)
                mask[r + 16 + b] = true;
    }

    for (Elf_Scn* s = nullptr; (s = elf_nextscn(m.elf, s));) {
        GElf_Shdr sh;
        gelf_getshdr(s, &sh);
        const size_t idx = elf_ndxscn(s);
        if (!(sh.sh_flags & SHF_ALLOC)) {
            CHECK(p.section_address(idx) == 0);
            continue;
        }
        CAPTURE(m.section_name(idx));
        REQUIRE(p.section_address(idx) != 0);
        if (sh.sh_addralign > 1)
            CHECK(p.section_address(idx) % sh.sh_addralign == 0);
        const auto* loaded = reinterpret_cast<const uint8_t*>(p.section_address(idx));
        const auto& mask = patched[idx];
        for (size_t b = 0; b < sh.sh_size; ++b) {
            if (b < mask.size() && mask[b])
                continue;
            const uint8_t want = sh.sh_type == SHT_NOBITS ? 0 : m.bytes[sh.sh_offset + b];
            if (loaded[b] != want) {
                FAIL_CHECK("byte ", b, " differs: loaded ", int(loaded[b]), " file ", int(want));
                break;
            }
        }
    }
}

struct AllocBaseline {
    long z = hv().live_zallocs();
    long p = hv().live_payload_allocs();
    void check() const {
        CHECK(hv().live_zallocs() == z);
        CHECK(hv().live_payload_allocs() == p);
    }
};

}  // namespace

TEST_SUITE("loader: real payloads") {

TEST_CASE("every fixture loads and every loaded byte is exactly right") {
    for (const char* name : {"hello", "statics", "nop", "hooks"}) {
        CAPTURE(name);
        hv().reset();
        AllocBaseline base;
        {
            PayloadList none;
            ElfModel model(fixture(name));
            auto r = load_payload(name, Bytes(model.bytes.data(), model.bytes.size()), none);
            if (!r) {
                char msg[512];
                r.error().format(msg, sizeof msg);
                FAIL(msg);
            }
            const Payload& p = *r.value();
            CHECK(std::string(p.name()) == name);
            check_loaded_bytes(model, p, none);
        }
        base.check();
    }
}

TEST_CASE("hello: records, build-ids, symbols, permissions, and it runs") {
    hv().reset();
    PayloadList none;
    ElfModel model(fixture("hello"));
    auto r = load_payload("hello", Bytes(model.bytes.data(), model.bytes.size()), none);
    REQUIRE(r.ok());
    const Payload& p = *r.value();

    REQUIRE(p.funcs().size() == 1);
    const livepatch_func& f = p.funcs()[0];
    CHECK(f.old_addr == hv().text_addr() + test::TestHypervisor::kExtraVersionOff);
    CHECK(f.new_addr == model.symbol_address("hello_xen_extra_version", p));
    CHECK(std::string(reinterpret_cast<const char*>(f.name)) == "xen_extra_version");
    CHECK(f.old_size == 64);
    CHECK(p.text().contains(f.new_addr, 1));

    // Build-ids: own from ld --build-id=sha1, both dependencies name the test hypervisor.
    const auto& hv_id = test::TestHypervisor::default_build_id();
    CHECK(p.xen_depends().equals(hv_id.data(), static_cast<uint32_t>(hv_id.size())));
    CHECK(p.depends().equals(hv_id.data(), static_cast<uint32_t>(hv_id.size())));
    const size_t note = model.find(".note.gnu.build-id");
    GElf_Shdr nsh;
    gelf_getshdr(elf_getscn(model.elf, note), &nsh);
    CHECK(p.build_id().len == 20);
    CHECK(memcmp(p.build_id().bytes, model.bytes.data() + nsh.sh_offset + 16, 20) == 0);

    // The replacement overrides; hello_calls is a new symbol others may link against.
    bool saw_override = false, saw_new = false;
    for (const PayloadSymbol& s : p.symbols()) {
        if (std::string(s.name) == "hello_xen_extra_version") {
            saw_override = true;
            CHECK_FALSE(s.new_symbol);
        }
        if (std::string(s.name) == "hello_calls") {
            saw_new = true;
            CHECK(s.new_symbol);
        }
    }
    CHECK(saw_override);
    CHECK(saw_new);
    CHECK(p.find_new_symbol("hello_calls") != nullptr);
    CHECK(p.find_new_symbol("hello_xen_extra_version") == nullptr);
    CHECK_FALSE(p.safe_to_reapply());  // .bss holds hello_calls

    // W^X: three protect calls, text RX, data RW, rodata RO, page aligned and disjoint.
    const auto& calls = hv().protect_calls();
    REQUIRE(calls.size() == 3);
    CHECK(calls[0].perm == static_cast<int>(port::Perm::rx));
    CHECK(calls[1].perm == static_cast<int>(port::Perm::rw));
    CHECK(calls[2].perm == static_cast<int>(port::Perm::ro));
    for (size_t i = 0; i < calls.size(); ++i) {
        CHECK(calls[i].addr % 4096 == 0);
        CHECK(calls[i].len % 4096 == 0);
        if (i)
            CHECK(calls[i - 1].addr + calls[i - 1].len <= calls[i].addr);
    }

    // The relocated code runs: it returns its string and counts in its own .bss.
    auto fn = reinterpret_cast<const char* (*)()>(f.new_addr);
    CHECK(std::string(fn()) == "Hello World");
    CHECK(std::string(fn()) == "Hello World");
    const auto* calls_var = reinterpret_cast<const unsigned long*>(p.find_new_symbol("hello_calls")->value);
    CHECK(*calls_var == 2);
}

TEST_CASE("statics: links against a hypervisor static by file#name and patches past ENDBR64") {
    hv().reset();
    PayloadList none;
    auto bytes = fixture("statics");
    auto r = load_payload("statics", Bytes(bytes.data(), bytes.size()), none);
    REQUIRE(r.ok());
    const Payload& p = *r.value();
    REQUIRE(p.funcs().size() == 1);
    CHECK(p.funcs()[0].old_addr == hv().text_addr() + test::TestHypervisor::kIbtFunctionOff);

    // Without the static in the hypervisor's table, the upload fails naming the symbol.
    hv().remove_symbol("common/sched.c#do_schedule");
    auto missing = load_payload("statics", Bytes(bytes.data(), bytes.size()), none);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.code() == Errc::kENOENT);
    CHECK(std::string(missing.error().name()) == "common/sched.c#do_schedule");
    REQUIRE(!hv().log().empty());
    CHECK(hv().log().back().find("common/sched.c#do_schedule") != std::string::npos);
}

TEST_CASE("nop and hooks-only payloads") {
    hv().reset();
    PayloadList none;
    auto nop_bytes = fixture("nop");
    auto nop = load_payload("nop", Bytes(nop_bytes.data(), nop_bytes.size()), none);
    REQUIRE(nop.ok());
    REQUIRE(nop.value()->funcs().size() == 1);
    CHECK(nop.value()->funcs()[0].new_addr == 0);
    CHECK(nop.value()->funcs()[0].new_size == 7);
    CHECK(nop.value()->safe_to_reapply());

    auto hook_bytes = fixture("hooks");
    auto hooks = load_payload("hooks", Bytes(hook_bytes.data(), hook_bytes.size()), none);
    REQUIRE(hooks.ok());
    const Payload& h = *hooks.value();
    CHECK(h.funcs().size() == 0);
    REQUIRE(h.hooks().load.size() == 1);
    REQUIRE(h.hooks().unload.size() == 1);
    CHECK(h.text().contains(reinterpret_cast<uintptr_t>(h.hooks().load[0]), 1));
    CHECK(h.text().contains(h.hooks().preapply, 1));
    CHECK(h.hooks().apply == 0);
    CHECK(h.hooks().postrevert == 0);
}

TEST_CASE("stacking: a payload links against a loaded payload's new symbol; duplicates refused") {
    hv().reset();
    AllocBaseline base;
    {
        PayloadList list;
        auto hello_bytes = fixture("hello");
        auto stacked_bytes = fixture("stacked");

        // Alone, stacked cannot resolve hello_calls.
        auto alone = load_payload("stacked", Bytes(stacked_bytes.data(), stacked_bytes.size()), list);
        REQUIRE_FALSE(alone.ok());
        CHECK(alone.code() == Errc::kENOENT);
        CHECK(std::string(alone.error().name()) == "hello_calls");

        auto hello = load_payload("hello", Bytes(hello_bytes.data(), hello_bytes.size()), list);
        REQUIRE(hello.ok());
        list.add(std::move(hello).value());

        // The same payload again: its build-id is already loaded.
        auto again = load_payload("hello2", Bytes(hello_bytes.data(), hello_bytes.size()), list);
        REQUIRE_FALSE(again.ok());
        CHECK(again.code() == Errc::kEEXIST);

        // stacked resolves hello_calls to hello's copy and patches the same function (allowed).
        ElfModel model(stacked_bytes);
        auto stacked = load_payload("stacked", Bytes(model.bytes.data(), model.bytes.size()), list);
        if (!stacked) {
            char msg[512];
            stacked.error().format(msg, sizeof msg);
            FAIL(msg);
        }
        check_loaded_bytes(model, *stacked.value(), list);
        CHECK(stacked.value()->funcs()[0].old_addr == list.find("hello")->funcs()[0].old_addr);
        list.add(std::move(stacked).value());
        CHECK(list.count() == 2);

        // A new symbol that the hypervisor already has is refused.
        Owned<Payload> removed = list.remove("hello");
        CHECK(removed);
        hv().add_symbol("hello_calls", hv().text_addr() + 0x7000, 8);
        removed.reset();
        auto clash = load_payload("hello", Bytes(hello_bytes.data(), hello_bytes.size()), list);
        REQUIRE_FALSE(clash.ok());
        CHECK(clash.code() == Errc::kEEXIST);
        CHECK(std::string(clash.error().name()) == "hello_calls");
    }
    base.check();
}

}  // TEST_SUITE
