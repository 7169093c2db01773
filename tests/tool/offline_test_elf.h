// Raw ELF64 little-endian files written byte by byte, for the hostile-file tests of the offline
// readers (tests/tool/offline_test_hostile.cc): every header field is what the test says, however
// wrong, so sizes, addresses and sh_entsize can lie.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace livepatch::tool::offline::test {

struct RawSection {
    std::string name;
    uint32_t type = 0;           // SHT_*
    uint64_t flags = 0;          // SHF_*
    uint64_t addr = 0;
    uint64_t size = 0;           // sh_size as written, whatever `data` holds
    std::vector<uint8_t> data;   // the bytes in the file (none for SHT_NOBITS)
};

struct RawSymbol {
    std::string name;
    uint16_t shndx = 0;          // 1 is the first RawSection, 0 undefined
    uint64_t value = 0;
    uint64_t size = 0;
    uint8_t type = 0;            // STT_*
    uint8_t bind = 0;            // STB_*
};

// An ELF file of type `type` for `machine`: the null section, `sections` (indices 1..n), then
// .symtab (its sh_entsize `symtab_entsize`, its sh_size the true size), .strtab and .shstrtab.
// The section data follow the ELF header in order; the section header table comes last.
std::vector<uint8_t> raw_elf(uint16_t type, uint16_t machine, const std::vector<RawSection>& sections,
                             const std::vector<RawSymbol>& symbols, uint64_t symtab_entsize = 24);

}  // namespace livepatch::tool::offline::test
