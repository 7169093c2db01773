// ElfView: a checked, read-only view of an uploaded ELF relocatable object.
//
// parse() makes every header, section-table, symbol-table and string-table check that Xen 4.17
// makes (livepatch_elf.c), in Xen's order and with Xen's errno, and copies each header into
// aligned storage so later stages never read unaligned or out-of-bounds memory. The view does
// not own the file bytes: they must outlive it.
#pragma once

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "core/support/owned.h"
#include "livepatch/abi.h"
#include "livepatch/result.h"
#include "livepatch/span.h"

namespace livepatch {

// One section of the file. `data` points into the file (nullptr for SHT_NOBITS); `load` is set by
// the loader for SHF_ALLOC sections once the payload regions exist.
struct ElfSection {
    Elf64_Shdr hdr;
    const uint8_t* data;
    const char* name;
    uint8_t* load;

    bool alloc() const noexcept { return hdr.sh_flags & SHF_ALLOC; }
    bool nobits() const noexcept { return hdr.sh_type == SHT_NOBITS; }
};

class ElfView {
public:
    ElfView() noexcept = default;

    // Checks `file` as a payload for machine `machine` (EM_X86_64 or EM_AARCH64). Errors name
    // `payload_name` and carry Xen's errno for the check that failed.
    static Result<ElfView> parse(Bytes file, uint16_t machine, const char* payload_name) noexcept;

    const Elf64_Ehdr& header() const noexcept { return m_ehdr; }
    Bytes file() const noexcept { return m_file; }
    const char* payload_name() const noexcept { return m_payload_name; }

    // Sections 0 .. section_count()-1; section 0 is the null section.
    uint32_t section_count() const noexcept { return m_ehdr.e_shnum; }
    ElfSection& section(uint32_t i) noexcept { return m_sections[i]; }
    const ElfSection& section(uint32_t i) const noexcept { return m_sections[i]; }

    // Index of the first section called `name`, or 0 when there is none. O(1): sections are
    // indexed by name once, at parse time.
    uint32_t find_section(const char* name) const noexcept;

    uint32_t symtab_index() const noexcept { return m_symtab; }
    uint32_t symbol_count() const noexcept { return m_nsym; }
    // Symbol i (1 <= i < symbol_count()), copied out of the file.
    Elf64_Sym symbol(uint32_t i) const noexcept;
    // Name of symbol i: a NUL-terminated string inside the checked string table.
    const char* symbol_name(uint32_t i) const noexcept;

private:
    Status check_header() noexcept;
    Status resolve_sections() noexcept;
    Status resolve_section_names() noexcept;
    Status check_symbols() noexcept;
    Error err(Errc code, const char* rule) const noexcept;

    Bytes m_file;
    const char* m_payload_name = "";
    uint16_t m_machine = 0;
    Elf64_Ehdr m_ehdr = {};
    OwnedArray<ElfSection> m_sections;
    OwnedArray<uint16_t> m_name_index;  // open addressing on section names: index or 0
    uint32_t m_symtab = 0;
    uint32_t m_strtab = 0;
    uint32_t m_nsym = 0;
};

}  // namespace livepatch
