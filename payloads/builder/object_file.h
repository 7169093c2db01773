// ObjectFile: a relocatable object (a compiled payload source, or a finished payload) read with
// libelf into plain values: sections, symbols, relocations and section bytes. Read-only; the
// builder decides from it and edits objects with record_editor.h and objcopy.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

namespace livepatch::build {

struct ObjSection {
    size_t index = 0;
    std::string name;
    uint32_t type = 0;     // SHT_*
    uint64_t flags = 0;    // SHF_*
    uint64_t size = 0;
    uint32_t link = 0, info = 0;
    std::vector<uint8_t> bytes;  // empty for NOBITS
};

struct ObjSymbol {
    size_t index = 0;
    std::string name;
    int type = 0;          // STT_*
    int bind = 0;          // STB_*
    int visibility = 0;    // STV_*
    uint16_t shndx = 0;    // SHN_UNDEF, SHN_COMMON, SHN_ABS or a section index
    uint64_t value = 0, size = 0;

    bool defined() const { return shndx != 0; }
};

struct ObjReloc {
    size_t section = 0;    // the section the relocation applies to (sh_info of its RELA section)
    uint64_t offset = 0;
    uint32_t type = 0;
    size_t symbol = 0;
    int64_t addend = 0;
};

class ObjectFile {
public:
    // Reads an ET_REL ELF64 object for x86-64 or AArch64. Throws BuildError("<path>: <reason>")
    // when it is not one.
    static ObjectFile read(const std::string& path);

    const std::string& path() const { return m_path; }
    uint16_t machine() const { return m_machine; }  // EM_X86_64 or EM_AARCH64
    const std::vector<ObjSection>& sections() const { return m_sections; }
    const std::vector<ObjSymbol>& symbols() const { return m_symbols; }
    const std::vector<ObjReloc>& relocations() const { return m_relocs; }
    // SHT_REL sections (no addends), which Xen refuses.
    const std::vector<std::string>& rel_sections() const { return m_rel_sections; }

    // The section called `name`, or nullptr.
    const ObjSection* section(const std::string& name) const;
    // The relocation applied at `offset` of section `section`, or nullptr.
    const ObjReloc* relocation_at(size_t section, uint64_t offset) const;
    // The function or object symbol defined in `section` covering `offset` (the one starting there
    // first), or nullptr.
    const ObjSymbol* symbol_covering(size_t section, uint64_t offset) const;
    // The NUL-terminated string at `offset` of `section`, if it is inside.
    std::optional<std::string> string_at(size_t section, uint64_t offset) const;
    // The NT_GNU_BUILD_ID note's description in .note.gnu.build-id, or empty.
    std::vector<uint8_t> build_id() const;
    // The build-id in the note section `name` (e.g. .livepatch.xen_depends), or empty.
    std::vector<uint8_t> note_build_id(const std::string& name) const;

private:
    std::string m_path;
    uint16_t m_machine = 0;
    std::vector<ObjSection> m_sections;   // indexed by section index (0 is the null section)
    std::vector<ObjSymbol> m_symbols;     // indexed by symbol index
    std::vector<ObjReloc> m_relocs;
    std::vector<std::string> m_rel_sections;
};

// The build-id held by an ELF note (namesz 4 "GNU", type NT_GNU_BUILD_ID) at the start of
// `note`, or empty.
std::vector<uint8_t> build_id_of_note(const std::vector<uint8_t>& note);

}  // namespace livepatch::build
