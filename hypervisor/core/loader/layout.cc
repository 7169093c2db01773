// Layout: Xen's move_payload and secure_payload. ALLOC sections go into three regions by flags
// (EXEC: text RX; WRITE: rw RW; otherwise ro RO), each page aligned within one allocation.
#include <string.h>

#include "core/loader/payload_loader.h"
#include "core/support/checked.h"
#include "core/support/cstring.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

// Upper bound on the three regions together: generous for a 2 MiB payload with its NOBITS.
constexpr uint64_t kMaxRegionsSize = 64ull << 20;

enum RegionKind : uint8_t { kText, kRw, kRo };

}  // namespace

Error PayloadLoader::err(Errc code, const char* rule) const noexcept { return Error(code, rule); }

Error PayloadLoader::section_err(Errc code, const char* rule, uint32_t index) const noexcept {
    Error e(code, rule);
    e.section(index, m_elf.section(index).name);
    return e;
}

void PayloadLoader::set_name(const char* name) noexcept {
    str_copy(m_payload.m_name, sizeof(m_payload.m_name), name);
}

Status PayloadLoader::layout() noexcept {
    const uint32_t n = m_elf.section_count();
    OwnedArray<uint64_t> offsets = LP_TRY(OwnedArray<uint64_t>::make(n));
    OwnedArray<uint8_t> kinds = LP_TRY(OwnedArray<uint8_t>::make(n));
    uint64_t size[3] = {0, 0, 0};

    for (uint32_t i = 1; i < n; ++i) {
        const ElfSection& s = m_elf.section(i);
        if (!s.alloc())
            continue;
        const bool exec = s.hdr.sh_flags & SHF_EXECINSTR;
        const bool write = s.hdr.sh_flags & SHF_WRITE;
        if (exec && write)
            return section_err(Errc::kEOPNOTSUPP, "section is both writable and executable (W^X)", i);
        const RegionKind kind = exec ? kText : write ? kRw : kRo;
        uint64_t align = s.hdr.sh_addralign ? s.hdr.sh_addralign : 1;
        // Records the engine reads as typed arrays get at least their natural alignment; the
        // extra padding is invisible to the payload (relocations are section-relative).
        if (align < 8 && str_starts_with(s.name, ".livepatch."))
            align = 8;
        uint64_t off, end;
        if (!align_up(size[kind], align, &off) || !checked_add(off, s.hdr.sh_size, &end) || end > kMaxRegionsSize)
            return section_err(Errc::kENOMEM, "payload regions would exceed 64 MiB", i).value(s.hdr.sh_size);
        offsets[i] = off;
        kinds[i] = kind;
        size[kind] = end;
    }

    const uint64_t page = port::page_size();
    uint64_t text_pages, rw_pages, ro_pages;
    if (!align_up(size[kText], page, &text_pages) || !align_up(size[kRw], page, &rw_pages) ||
        !align_up(size[kRo], page, &ro_pages))
        return err(Errc::kENOMEM, "payload regions overflow");
    const uint64_t total = text_pages + rw_pages + ro_pages;
    if (total > kMaxRegionsSize)
        return err(Errc::kENOMEM, "payload regions would exceed 64 MiB").value(total);
    if (total == 0)
        return success();  // nothing to load; the section checks will say what is missing

    m_payload.m_pages = LP_TRY(PayloadPages::make(total));
    uint8_t* base = m_payload.m_pages.base();
    m_payload.m_text = {base, size[kText]};
    m_payload.m_rw = {base + text_pages, size[kRw]};
    m_payload.m_ro = {base + text_pages + rw_pages, size[kRo]};
    uint8_t* const region_base[3] = {m_payload.m_text.base, m_payload.m_rw.base, m_payload.m_ro.base};
    m_payload.m_section_addr = LP_TRY(OwnedArray<uint64_t>::make(n));

    for (uint32_t i = 1; i < n; ++i) {
        ElfSection& s = m_elf.section(i);
        if (!s.alloc())
            continue;
        s.load = region_base[kinds[i]] + offsets[i];
        m_payload.m_section_addr[i] = reinterpret_cast<uintptr_t>(s.load);
        if (!s.nobits() && s.hdr.sh_size)
            memcpy(s.load, s.data, s.hdr.sh_size);  // NOBITS stay zero: the pages come zeroed
    }
    return success();
}

Status PayloadLoader::secure() noexcept {
    const uint64_t page = port::page_size();
    struct {
        const Region& region;
        port::Perm perm;
        const char* what;
    } const regions[] = {
        {m_payload.m_text, port::Perm::rx, "cannot make payload text read-only and executable"},
        {m_payload.m_rw, port::Perm::rw, "cannot make payload data read-write"},
        {m_payload.m_ro, port::Perm::ro, "cannot make payload read-only data read-only"},
    };
    for (const auto& r : regions) {
        if (!r.region.size)
            continue;
        uint64_t len;
        if (!align_up(r.region.size, page, &len))
            return err(Errc::kEINVAL, r.what);
        const int rc = port::protect_payload_pages(r.region.base, len, r.perm);
        if (rc)
            return err(static_cast<Errc>(rc), r.what).value(len);
    }
    return success();
}

Span<uint8_t> PayloadLoader::loaded_section(uint32_t index) const noexcept {
    const ElfSection& s = m_elf.section(index);
    if (!s.load)
        return {};
    return Span<uint8_t>(s.load, s.hdr.sh_size);
}

}  // namespace livepatch
