// ElfBuilder: builds x86-64 ELF relocatable payloads (ELF64, little-endian, ET_REL) inside a
// test, and ElfImage: the finished bytes plus the file offset of every header, section, symbol
// and relocation, so that corruptors can patch raw bytes the fluent API cannot express.
//
//   ElfBuilder b;
//   auto text = b.add_section(".text.foo", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16).data({0xc3});
//   uint32_t foo = b.add_symbol("foo").in(text).size(1).func().global();
//   b.add_func({.name = "xen_extra_version", .new_symbol = "foo", .new_size = 1, .old_size = 64});
//   ElfImage img = b.build();
//   img.edit_shdr(img.section_index(".text.foo"), [](Elf64_Shdr& s) { s.sh_addralign = 3; });
//
// The builder always appends .symtab, .strtab and .shstrtab (in that order) after the sections
// the test added, and orders local symbols before the others. Symbol handles returned by the
// builder are pre-build ids; use ElfImage::symbol_index() for the index in the file.
#pragma once

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "livepatch/abi.h"
#include "livepatch/result.h"
#include "livepatch/span.h"

namespace livepatch {
class PayloadList;
}

namespace livepatch::test {

// A built payload: bytes plus where everything is. Lookups by name use the names given to the
// builder, so they still work after the raw section or symbol names are corrupted.
class ElfImage {
public:
    std::vector<uint8_t> bytes;

    Bytes span() const { return Bytes(bytes.data(), bytes.size()); }
    size_t size() const { return bytes.size(); }

    // Index of the first section / symbol with this name; throws std::out_of_range if none.
    uint32_t section_index(const std::string& name) const;
    uint32_t symbol_index(const std::string& name) const;
    // Index of the STT_SECTION symbol of `section`; throws if it has none.
    uint32_t section_symbol_index(uint32_t section) const;
    uint32_t section_count() const { return static_cast<uint32_t>(m_section_names.size()); }
    uint32_t symbol_count() const { return static_cast<uint32_t>(m_symbol_names.size()); }
    const std::string& section_name(uint32_t i) const { return m_section_names.at(i); }

    // File offsets, as built.
    uint64_t shoff() const { return m_shoff; }
    uint64_t shdr_offset(uint32_t section) const { return m_shoff + uint64_t{section} * sizeof(Elf64_Shdr); }
    uint64_t data_offset(uint32_t section) const { return m_data_offsets.at(section); }
    uint64_t symbol_offset(uint32_t symbol) const;
    uint64_t rela_offset(uint32_t rela_section, uint32_t entry) const;

    // Unaligned typed access; throws std::out_of_range past the end of the bytes.
    template <class T>
    T get(uint64_t off) const {
        check(off, sizeof(T));
        T v;
        memcpy(&v, bytes.data() + off, sizeof(T));
        return v;
    }
    template <class T>
    void put(uint64_t off, const T& v) {
        check(off, sizeof(T));
        memcpy(bytes.data() + off, &v, sizeof(T));
    }

    // Read-modify-write of one record: edit_shdr(i, [](Elf64_Shdr& s) { s.sh_size = 0; }).
    void edit_ehdr(const std::function<void(Elf64_Ehdr&)>& f) { edit<Elf64_Ehdr>(0, f); }
    void edit_shdr(uint32_t section, const std::function<void(Elf64_Shdr&)>& f) {
        edit<Elf64_Shdr>(shdr_offset(section), f);
    }
    void edit_symbol(uint32_t symbol, const std::function<void(Elf64_Sym&)>& f) {
        edit<Elf64_Sym>(symbol_offset(symbol), f);
    }
    void edit_rela(uint32_t rela_section, uint32_t entry, const std::function<void(Elf64_Rela&)>& f) {
        edit<Elf64_Rela>(rela_offset(rela_section, entry), f);
    }
    Elf64_Shdr shdr(uint32_t section) const { return get<Elf64_Shdr>(shdr_offset(section)); }

    // Writes `len` bytes at offset `off` inside the file data of `section`.
    void poke(uint32_t section, uint64_t off, const void* data, size_t len);
    // Writes a T at offset `off` inside the file data of `section`.
    template <class T>
    void poke_value(uint32_t section, uint64_t off, const T& v) {
        poke(section, off, &v, sizeof(T));
    }

private:
    friend class ElfBuilder;

    void check(uint64_t off, uint64_t len) const {
        if (off > bytes.size() || len > bytes.size() - off)
            throw std::out_of_range("ElfImage access past the end of the file");
    }
    template <class T>
    void edit(uint64_t off, const std::function<void(T&)>& f) {
        T v = get<T>(off);
        f(v);
        put(off, v);
    }

    std::vector<std::string> m_section_names;  // [0] is ""
    std::vector<uint64_t> m_data_offsets;
    std::vector<std::string> m_symbol_names;  // [0] is ""
    std::vector<int64_t> m_section_symbols;   // per section: its STT_SECTION symbol or -1
    uint64_t m_shoff = 0;
    uint32_t m_symtab = 0;
};

class ElfBuilder {
public:
    // Handle to one section of the builder; every setter returns *this.
    class Section {
    public:
        Section& type(uint32_t t);
        Section& flags(uint64_t f);
        // Replaces the contents (and makes the size the data's size).
        Section& data(std::vector<uint8_t> bytes);
        Section& str_data(const std::string& bytes);  // the string's bytes, no NUL added
        Section& append(const void* p, size_t n);
        // Makes the section SHT_NOBITS of `size` bytes.
        Section& nobits(uint64_t size);
        Section& align(uint64_t a);
        Section& addr(uint64_t a);
        // Setting link stops the builder from linking relocation sections to .symtab.
        Section& link(uint32_t l);
        Section& info(uint32_t i);
        Section& entsize(uint64_t e);
        Section& rename(const std::string& name);

        uint32_t index() const { return m_index; }
        operator uint32_t() const { return m_index; }
        uint64_t size() const;

    private:
        friend class ElfBuilder;
        Section(ElfBuilder* b, uint32_t i) : m_builder(b), m_index(i) {}
        ElfBuilder* m_builder;
        uint32_t m_index;
    };

    // Handle to one symbol; every setter returns *this. Defaults: NOTYPE, GLOBAL, SHN_UNDEF.
    class Symbol {
    public:
        Symbol& in(uint32_t shndx);  // section index or SHN_ABS / SHN_COMMON / other reserved
        Symbol& value(uint64_t v);
        Symbol& size(uint64_t s);
        Symbol& bind(uint8_t b);
        Symbol& type(uint8_t t);
        Symbol& func() { return type(STT_FUNC); }
        Symbol& object() { return type(STT_OBJECT); }
        Symbol& local() { return bind(STB_LOCAL); }
        Symbol& global() { return bind(STB_GLOBAL); }
        Symbol& name(const std::string& n);

        uint32_t id() const { return m_id; }
        operator uint32_t() const { return m_id; }

    private:
        friend class ElfBuilder;
        Symbol(ElfBuilder* b, uint32_t id) : m_builder(b), m_id(id) {}
        ElfBuilder* m_builder;
        uint32_t m_id;
    };

    // One .livepatch.funcs record (struct livepatch_func, 104 bytes, zero-filled otherwise).
    struct Func {
        std::string name{};        // old function; stored in .livepatch.strings and relocated
                                   // (R_X86_64_64 against that section); empty: name = 0
        std::string new_symbol{};  // new_addr is relocated (R_X86_64_64) against this symbol;
                                   // empty: new_addr = 0 (a NOP patch)
        uint64_t old_addr = 0;     // written as is; 0 means "resolve name"
        uint32_t new_size = 0;
        uint32_t old_size = 0;
        uint8_t version = kPayloadVersion;
    };

    ElfBuilder();

    // Adds a section (PROGBITS data empty until set). Indices are stable: 1, 2, ... in order.
    Section add_section(const std::string& name, uint32_t type, uint64_t flags, uint64_t align = 1);
    // The first section called `name`; throws std::out_of_range when there is none.
    Section section(const std::string& name);
    Section section(uint32_t index);
    bool has_section(const std::string& name) const;

    // Adds a symbol (see Symbol for the defaults) and returns its handle.
    Symbol add_symbol(const std::string& name);
    Symbol symbol(uint32_t id) { return Symbol(this, id); }
    // Handle of the first symbol called `name`; throws std::out_of_range when there is none.
    uint32_t symbol_id(const std::string& name) const;
    // The STT_SECTION symbol of `section`, created on first use.
    uint32_t section_symbol(uint32_t section);

    // Adds a RELA entry to ".rela<target name>" (created on first use: SHT_RELA, SHF_INFO_LINK,
    // align 8, entsize 24, info = target, link = .symtab). Returns the relocation section.
    Section add_rela(uint32_t target, uint64_t offset, uint32_t symbol_id, uint32_t type, int64_t addend = 0);
    // Entries already added for `target` (by index in that relocation section), for tweaks.
    Elf64_Rela& rela(uint32_t target, uint32_t entry);

    // Adds an SHT_NOTE section holding one note (namesz/descsz set from the arguments, name and
    // desc padded to 4 bytes), align 4.
    Section add_note(const std::string& section, const std::vector<uint8_t>& desc, uint32_t type = kNoteTypeGnuBuildId,
                     const std::string& note_name = "GNU", uint64_t flags = SHF_ALLOC);

    // Appends a record to .livepatch.funcs (SHF_ALLOC|SHF_WRITE, align 8, entsize 104; created on
    // first use) with, in this order, the name relocation and the new_addr relocation. Returns
    // the record's index.
    uint32_t add_func(const Func& f);
    // Adds a NUL-terminated string to .livepatch.strings (SHF_ALLOC) and returns its offset.
    uint64_t add_string(const std::string& s);

    // Appends an 8-byte pointer to `symbol`, relocated with R_X86_64_64, to hook section
    // `section` (created SHF_ALLOC, align 8, on first use).
    Section add_hook(const std::string& section, const std::string& symbol);

    // Lays the file out: ELF header, section data in index order (each at its alignment, up to
    // 64), then the section header table. The builder can be built again after further edits.
    ElfImage build() const;

private:
    struct SectionDef {
        std::string name;
        Elf64_Shdr hdr{};
        std::vector<uint8_t> data;
        bool link_set = false;
        int64_t rela_target = -1;       // relocation section for this section
        std::vector<Elf64_Rela> relas;  // r_info holds the symbol *id*
    };
    struct SymbolDef {
        std::string name;
        Elf64_Sym sym{};
        int64_t section_of = -1;  // STT_SECTION symbol of this section
    };

    SectionDef& def(uint32_t i) { return m_sections.at(i); }
    uint32_t rela_section_for(uint32_t target);

    std::vector<SectionDef> m_sections;  // [0] is the null section
    std::vector<SymbolDef> m_symbols;    // [0] is the null symbol
};

// The 20-byte build-id the standard payload built with `seed` carries in .note.gnu.build-id.
std::vector<uint8_t> payload_build_id(uint8_t seed);

// The standard payload's only record: replaces the hypervisor's xen_extra_version (by name,
// old_size 64) with the payload's 16-byte xen_extra_version.
ElfBuilder::Func standard_func();

// The standard payload (see valid_payload_builder) with `funcs` as its .livepatch.funcs records
// instead of standard_func(); no .livepatch.funcs section at all when `funcs` is empty.
ElfBuilder payload_builder(const std::vector<ElfBuilder::Func>& funcs, uint8_t seed = 1);

// The minimal payload the loader accepts, as a builder so a test can change it before building:
//   .text.xen_extra_version   AX, align 16: lea .rodata.str(%rip),%rax; ret; call printk; ret
//                             (R_X86_64_PC32 against .rodata.str, R_X86_64_PLT32 against printk)
//   .rodata.str               A: "4.17-livepatched\0"
//   .livepatch.strings        A: "xen_extra_version\0"
//   .livepatch.funcs          WA, align 8: one record replacing the hypervisor's
//                             xen_extra_version (resolved by name, old_addr 0, old_size 64),
//                             new_addr = the payload's global FUNC xen_extra_version (16 bytes)
//   .livepatch.depends, .livepatch.xen_depends (= hv().build_id() at the time of the call),
//   .note.gnu.build-id (= payload_build_id(seed)): SHF_ALLOC read-only GNU build-id notes
//   .symtab / .strtab / .shstrtab, plus .rela.text.xen_extra_version and .rela.livepatch.funcs.
ElfBuilder valid_payload_builder(uint8_t seed = 1);
// valid_payload_builder(seed).build().
ElfImage valid_payload(uint8_t seed = 1);

// One malformed-payload case for the loader tests: how to turn the valid payload into a
// malformed one, and what the loader must answer.
struct MalformedCase {
    // How the error names what is at fault.
    enum class Naming : uint8_t {
        none,      // no name (header or payload-wide errors)
        by_name,   // the message contains 'at' in quotes; Error::name() == at
        by_index,  // the message contains "section [i]" / "symbol [i]" for the section or symbol
                   // called `at` in the built image (names not yet trusted at that stage);
                   // an empty `at` means section 0
        literal,   // the message contains `at` as is (e.g. "function [0]")
    };

    const char* id;  // unique, short; also the payload name
    Errc code;
    Subject subject;
    Naming naming;
    std::string at;
    // Order: make_builder (default valid_payload_builder()), edit_builder, build, edit_image,
    // then setup, which may load other payloads into the list or change the test hypervisor.
    // Any of them may be empty. code == Errc::ok means the payload must load.
    std::function<ElfBuilder()> make_builder;
    std::function<void(ElfBuilder&)> edit_builder;
    std::function<void(ElfImage&)> edit_image;
    std::function<void(PayloadList&)> setup;
    // Non-null: a regression case, where the loader once differed from Xen (this text says how);
    // fixed, and run by the "regressions" test with this description.
    const char* defect = nullptr;
};

// A case with its expectations set and no edits yet.
inline MalformedCase expect_case(const char* id, Errc code, Subject subject, MalformedCase::Naming naming,
                                 std::string at = "") {
    MalformedCase c{};
    c.id = id;
    c.code = code;
    c.subject = subject;
    c.naming = naming;
    c.at = std::move(at);
    return c;
}

}  // namespace livepatch::test
