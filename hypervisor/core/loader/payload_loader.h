// PayloadLoader: the state of one upload while it runs (internal to the loader). Each stage is a
// member function in the file named after it; see loader.h for the order and the contract.
#pragma once

#include <stdint.h>

#include "core/elf/elf_view.h"
#include "core/payload/payload.h"
#include "core/payload/payload_list.h"
#include "core/support/owned.h"
#include "livepatch/result.h"

namespace livepatch {

class PayloadLoader {
public:
    PayloadLoader(const PayloadList& loaded, ElfView& elf, Payload& payload) noexcept
        : m_loaded(loaded), m_elf(elf), m_payload(payload) {}

    // Names the payload (truncated to XEN_LIVEPATCH_NAME_SIZE - 1 characters).
    void set_name(const char* name) noexcept;

    // layout.cc: sorts ALLOC sections into RX/RW/RO, allocates, copies, zeroes NOBITS.
    Status layout() noexcept;
    // symbols.cc: gives every symbol its run-time value (Xen: livepatch_elf_resolve_symbols).
    Status resolve_symbols() noexcept;
    // relocate.cc: applies every RELA section that targets an ALLOC section.
    Status relocate() noexcept;
    // sections.cc: required notes, patching sections, hooks, special sections, .modinfo.
    Status check_required_sections() noexcept;
    Status check_patching_sections() noexcept;
    Status prepare_build_ids() noexcept;
    Status prepare_hooks() noexcept;
    Status check_special_sections() noexcept;
    Status prepare_modinfo() noexcept;
    void compute_safe_to_reapply() noexcept;
    // funcs.cc: .livepatch.funcs records, including overlap checks.
    Status prepare_funcs() noexcept;
    // payload_symbols.cc: the payload's own symbol table (Xen: build_symbol_table); also records
    // which loaded payloads this one uses.
    Status build_symbol_table() noexcept;
    // layout.cc: final page permissions (W^X).
    Status secure() noexcept;
    // region.cc: sorts .ex_table and fills the payload's port::PayloadRegion (before secure);
    // register_region hands it to the port once the upload has succeeded.
    Status prepare_region() noexcept;
    void register_region() noexcept;

private:
    Error err(Errc code, const char* rule) const noexcept;
    Error section_err(Errc code, const char* rule, uint32_t index) const noexcept;
    // The loaded bytes of ALLOC section `index` as a span; empty when not loaded.
    Span<uint8_t> loaded_section(uint32_t index) const noexcept;
    // True when [addr, addr + len) lies in executable memory: this payload's text, the
    // hypervisor's text, or a loaded payload's text.
    bool in_executable(uint64_t addr, uint64_t len) const noexcept;
    // True when [addr, addr + len) lies in the hypervisor's or a loaded payload's text.
    bool in_patchable_text(uint64_t addr, uint64_t len) const noexcept;
    // Reads a NUL-terminated string at run-time address `addr` inside this payload's regions.
    const char* payload_string(uint64_t addr) const noexcept;
    // resolve_symbols' first pass: values of defined symbols, in order, until the first error
    // (returned); undefined ones are appended to undef/undef_names for the batched lookup.
    Result<uint32_t> resolve_defined(uint32_t* undef, const char** undef_names, size_t* nundef) noexcept;
    Status parse_build_id(uint32_t index, BuildId* out) const noexcept;
    Status check_funcs_overlap() const noexcept;
    // sections.cc: -EOPNOTSUPP when `entry` is 0 (unsupported here), -EINVAL when section
    // `index` is not a whole number of entries.
    Status check_entry_size(uint32_t index, uint32_t entry) const noexcept;
    Status check_alternatives() noexcept;

    // Records that the new payload uses loaded payload `p` (symbols, or code it patches).
    Status note_use(Payload* p) noexcept;

    const PayloadList& m_loaded;
    OwnedArray<Payload*> m_uses;  // distinct loaded payloads used, m_nuses of them
    size_t m_nuses = 0;
    ElfView& m_elf;
    Payload& m_payload;
    OwnedArray<uint64_t> m_sym_values;  // run-time value of each symbol
    OwnedArray<uint8_t> m_sym_ignored;  // defined in a section that is not loaded
};

}  // namespace livepatch
