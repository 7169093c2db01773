// The ELF contents behind PayloadInfo (internal to payload_info.cc and payload_records.cc):
// section bytes, symbols and relocations indexed by the place they patch, read once with libelf.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <map>
#include <string>
#include <vector>

#include "payload_info.h"

namespace livepatch::tool::offline {

struct ElfSymbol {
    std::string name;
    uint64_t value = 0;
    uint64_t size = 0;
    uint16_t shndx = 0;
    uint8_t type = 0;  // STT_*
    uint8_t bind = 0;  // STB_*
};

struct RelaEntry {
    uint32_t symbol = 0;
    uint32_t type = 0;
    int64_t addend = 0;
};

struct ElfContents {
    uint16_t machine = 0;
    std::vector<SectionInfo> sections;
    std::vector<const uint8_t*> bytes;   // section contents, nullptr when absent or unreadable
    std::vector<size_t> byte_count;
    std::vector<ElfSymbol> symbols;      // index 0 is the null symbol
    // Relocations by the section they patch, then by offset in it.
    std::map<uint32_t, std::map<uint64_t, RelaEntry>> rela;
    // For function_at: the named, non-section symbols by (section, value), the first STT_FUNC
    // among them, else the first in table order. Filled by index_symbols().
    std::map<std::pair<uint16_t, uint64_t>, uint32_t> symbol_at;

    // Fills symbol_at from symbols (once, after they are read): function_at is then a lookup,
    // not a scan of every symbol for every pointer.
    void index_symbols();

    const SectionInfo* section(const std::string& name) const;
    // The 64-bit pointer field at `offset` of section `index`.
    PointerField pointer_at(uint32_t index, uint64_t offset) const;
    // The NUL-terminated string a pointer names inside the payload ("" when it cannot be read).
    std::string string_at(const PointerField& p) const;
    // The payload function a pointer names: a named symbol of the target section at that offset.
    std::string function_at(const PointerField& p) const;
    // The section and offset a relocated pointer names; false when it names no payload section.
    bool target_of(const PointerField& p, uint32_t* index, uint64_t* offset) const;
};

// A name or string from the file as it may be printed: control characters become '?'.
std::string printable(const char* s, size_t len);
inline std::string printable(const char* s) { return s ? printable(s, strlen(s)) : std::string(); }

// Fills info->funcs, hooks and modinfo from the sections of `elf`.
void read_records(const ElfContents& elf, PayloadInfo* info);

}  // namespace livepatch::tool::offline
