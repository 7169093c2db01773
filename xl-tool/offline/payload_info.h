// PayloadInfo: what a payload file contains, read with elfutils' libelf for `xen-livepatch info`
// (and for the parts of `check` that look at the file rather than at the loaded payload).
//
// This is a description, not a validation: the engine's loader (core/loader) is the only judge of
// whether a payload is acceptable. The reader is tolerant: what it cannot make sense of it leaves
// empty or describes in `problems`, and it fails only when the file is not an ELF object at all.
#pragma once

#include <stdint.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace livepatch::tool::offline {

struct SectionInfo {
    uint32_t index = 0;
    std::string name;
    uint32_t type = 0;     // SHT_*
    uint64_t flags = 0;    // SHF_*
    uint64_t offset = 0;   // in the file
    uint64_t size = 0;
    uint64_t align = 0;
};

// What a 64-bit pointer field of the payload points at: the relocation that fills it (symbol +
// addend), or the literal value stored in the file when no relocation does.
struct PointerField {
    bool relocated = false;
    std::string symbol;        // the symbol's name; a section symbol is shown as its section name
    uint32_t symbol_index = 0; // in the payload's symbol table
    int64_t addend = 0;
    bool symbol_undefined = false;  // resolved in the hypervisor (or a loaded payload) at upload
    uint64_t literal = 0;      // the file's bytes, when !relocated

    bool null() const { return !relocated && literal == 0; }
    // "symbol", "symbol+0x10", or "0x1234" for a literal.
    std::string describe() const;
};

// One .livepatch.funcs record (struct livepatch_func v2).
struct FuncInfo {
    uint32_t index = 0;
    uint64_t file_offset = 0;  // of the record in the file
    PointerField name;         // pointer to the old function's name
    std::string old_name;      // that name when it could be read from the payload, else ""
    PointerField new_addr;     // the replacement; null for a NOP patch
    std::string new_function;  // the function at new_addr (a symbol of the payload), else ""
    PointerField old_addr;     // null: resolved by name at upload
    uint32_t new_size = 0;
    uint32_t old_size = 0;
    uint8_t version = 0;
    uint8_t expect_flags = 0;  // bit 0 enabled, bits 1-5 len, bits 6-7 reserved
    std::vector<uint8_t> expect_data;  // 31 bytes

    bool nop() const { return new_addr.null(); }
    bool expect_enabled() const { return expect_flags & 1u; }
    unsigned expect_len() const { return (expect_flags >> 1) & 0x1fu; }
    // The target as an operator reads it: the name, or the old_addr.
    std::string target() const;
};

// One .livepatch.hooks.* section: a load/unload array or a single action hook.
struct HookInfo {
    std::string section;
    std::string kind;                // "load", "unload", "preapply", ...
    uint64_t count = 0;              // pointers in the file's bytes of the section (bytes / 8;
                                     // 0 for NOBITS, whatever its sh_size: see `problems`)
    std::vector<std::string> functions;  // the function each pointer names, "" when unknown
};

// An ELF note read from a build-id section (.note.gnu.build-id, .livepatch.depends, ...).
struct BuildIdNote {
    bool present = false;            // the section exists
    std::optional<std::string> hex;  // the NT_GNU_BUILD_ID desc, when the note can be read
    std::string problem;             // why not, otherwise
};

struct PayloadInfo {
    std::string path;
    uint64_t file_size = 0;
    uint16_t machine = 0;            // e_machine
    uint16_t elf_type = 0;           // e_type
    std::vector<SectionInfo> sections;
    std::vector<FuncInfo> funcs;
    std::vector<HookInfo> hooks;
    BuildIdNote build_id, depends, xen_depends;
    std::vector<std::string> modinfo;             // the key=value strings of .modinfo
    std::map<std::string, uint64_t> relocations;  // count by type name, over every RELA section
    std::vector<std::string> undefined_symbols;   // what the payload needs from the hypervisor
    uint64_t text_size = 0, rw_size = 0, ro_size = 0;  // ALLOC bytes by region, as the loader
                                                       // sorts them (before page rounding)
    bool safe_to_reapply = true;     // no non-empty writable section but .livepatch.funcs
    std::vector<std::string> problems;  // what could not be read (the loader will say more)

    const SectionInfo* find_section(const std::string& name) const;
};

// Reads the payload at `path` (read_payload_file: at most kMaxPayloadSize bytes). Returns nullopt
// and sets *error ("<path>: <reason>") when the file cannot be read, is larger than the payload
// limit, or is not an ELF64 object libelf can open. Every count comes from the bytes present in
// the file, never from a header's sh_size or sh_entsize alone.
std::optional<PayloadInfo> read_payload_info(const std::string& path, std::string* error);

// The same, from bytes already in memory (`path` is only used for messages); more than
// kMaxPayloadSize bytes are refused as the file would be.
std::optional<PayloadInfo> read_payload_info(const std::string& path, const std::vector<uint8_t>& bytes,
                                             std::string* error);

// Lower-case hex of `len` bytes.
std::string to_hex(const uint8_t* bytes, size_t len);

// A short name for e_machine ("x86-64", "aarch64", "machine 183").
std::string machine_name(uint16_t machine);

}  // namespace livepatch::tool::offline
