// HypervisorImage: a hypervisor's ELF image on disk (Xen's xen-syms, or the hosted hypervisor's
// binary) presented as if it were running, for the offline port (offline_port.cc).
//
// Every SHF_ALLOC section is copied into one host mapping that preserves the image's layout: an
// address a of the image (its link-time address) lives at a + bias() in this process. The symbol
// table holds the image's symbols at those rebased addresses, named exactly as the hypervisor
// names them at run time (statics "<STT_FILE>#<name>", as hypervisor/port/hosted/image.cc and
// Xen's symbol table do); text() is the rebased .text; build_id() its NT_GNU_BUILD_ID note. The
// payload pages the loader asks for are placed near the mapping (offline_port.cc), so branch
// reach and PC32 overflow behave as on the running hypervisor.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/symtab/symbol_table.h"

namespace livepatch::tool::offline {

class HypervisorImage {
public:
    // Reads the image at `path`. Throws std::runtime_error("<path>: <reason>") when the file
    // cannot be read, is not a regular file of at most kMaxImageFileSize bytes (file_limits.h),
    // is not an ELF64 executable for this build's architecture, has an allocated section whose
    // sh_addr + sh_size wraps ("section [<i>] '<name>': ... wraps around the address space") or
    // whose bytes are not in the file, or has no symbol table or no allocated .text.
    static std::unique_ptr<HypervisorImage> load(const std::string& path);

    ~HypervisorImage();
    HypervisorImage(const HypervisorImage&) = delete;
    HypervisorImage& operator=(const HypervisorImage&) = delete;

    const std::string& path() const { return m_path; }
    uint16_t machine() const { return m_machine; }

    // The host mapping of the allocated sections, and the offset from link-time addresses to it.
    uintptr_t base() const { return reinterpret_cast<uintptr_t>(m_map); }
    size_t size() const { return m_map_size; }
    uint64_t bias() const { return base() - m_link_lo; }
    // True when link-time address `a` lies in an allocated section of the image.
    bool contains_link_address(uint64_t a) const { return a >= m_link_lo && a - m_link_lo < m_map_size; }

    // Rebased patchable text (.text; the hosted hypervisor's .hypervisor_text), and its
    // link-time start.
    uint64_t text_start() const { return m_text_start + bias(); }
    uint64_t text_end() const { return m_text_end + bias(); }
    uint64_t link_text_start() const { return m_text_start; }

    const std::vector<uint8_t>& build_id() const { return m_build_id; }
    const SymbolTable& symbols() const { return m_table; }
    size_t symbol_count() const { return m_entries.size(); }

private:
    HypervisorImage() = default;
    void read(const std::string& path);

    std::string m_path;
    uint16_t m_machine = 0;
    void* m_map = nullptr;
    size_t m_map_size = 0;
    uint64_t m_link_lo = 0;
    uint64_t m_text_start = 0, m_text_end = 0;
    bool m_patchable_section = false;  // the text is .hypervisor_text (the hosted hypervisor)
    std::vector<uint8_t> m_build_id;
    std::deque<std::string> m_names;      // storage the entries point into
    std::vector<SymbolEntry> m_entries;   // what m_table indexes
    SymbolTable m_table;
};

}  // namespace livepatch::tool::offline
