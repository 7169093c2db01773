// Reads what the builder tests check in images and payloads, with libelf, independently of the
// builder's own readers: image symbols and bytes, build-ids, a payload's symbols and section
// flags.
#pragma once

#include <stdint.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace buildertest {

struct ImageFunction {
    uint64_t addr = 0, size = 0;
    std::vector<uint8_t> first_bytes;  // up to 32 bytes from its start
};

// The symbol `name` of the image at `path` as the hypervisor names it ("name" or "file#name").
std::optional<ImageFunction> image_function(const std::string& path, const std::string& name);

// The NT_GNU_BUILD_ID of .note.gnu.build-id (or the note section `section`), lowercase hex.
std::string build_id_hex(const std::string& path, const std::string& section = ".note.gnu.build-id");

// Names of the symbols defined / undefined in the payload at `path` (no section or file symbols).
std::set<std::string> defined_symbols(const std::string& path);
std::set<std::string> undefined_symbols(const std::string& path);

// sh_flags of section `name` of the ELF file at `path`; nullopt when it has none.
std::optional<uint64_t> section_flags(const std::string& path, const std::string& name);
// sh_type of that section.
std::optional<uint32_t> section_type(const std::string& path, const std::string& name);

std::string hex(const std::vector<uint8_t>& bytes);

}  // namespace buildertest
