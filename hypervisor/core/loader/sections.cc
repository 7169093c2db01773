// Xen's check_special_sections, check_patching_sections and the section parts of
// prepare_payload: build-id notes, hooks, .altinstructions, .ex_table, .bug_frames.*, .modinfo.
#include <string.h>

#include "arch/arch.h"
#include "core/loader/payload_loader.h"
#include "core/support/checked.h"
#include "core/support/cstring.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

constexpr const char* kDepends = ".livepatch.depends";
constexpr const char* kXenDepends = ".livepatch.xen_depends";
constexpr const char* kBuildIdNote = ".note.gnu.build-id";
constexpr const char* kFuncs = ".livepatch.funcs";
constexpr const char* kLoadHooks = ".livepatch.hooks.load";
constexpr const char* kUnloadHooks = ".livepatch.hooks.unload";

struct ActionHook {
    const char* section;
    uint64_t PayloadHooks::*field;
};
constexpr ActionHook kActionHooks[] = {
    {".livepatch.hooks.preapply", &PayloadHooks::preapply},
    {".livepatch.hooks.apply", &PayloadHooks::apply},
    {".livepatch.hooks.postapply", &PayloadHooks::postapply},
    {".livepatch.hooks.prerevert", &PayloadHooks::prerevert},
    {".livepatch.hooks.revert", &PayloadHooks::revert},
    {".livepatch.hooks.postrevert", &PayloadHooks::postrevert},
};

uint64_t align4(uint64_t v) { return (v + 3u) & ~uint64_t{3}; }

}  // namespace

Status PayloadLoader::check_required_sections() noexcept {
    for (const char* name : {kDepends, kXenDepends, kBuildIdNote}) {
        const uint32_t i = m_elf.find_section(name);
        if (!i)
            return err(Errc::kEINVAL, "required section is missing").section(0, name);
        if (!m_elf.section(i).hdr.sh_size)
            return section_err(Errc::kEINVAL, "required section is empty", i);
        if (!m_elf.section(i).alloc())
            return section_err(Errc::kEINVAL, "build-id note must be an allocated (SHF_ALLOC) section", i);
    }
    return success();
}

Status PayloadLoader::check_patching_sections() noexcept {
    const char* names[2 + sizeof(kActionHooks) / sizeof(kActionHooks[0]) + 1] = {kFuncs, kLoadHooks, kUnloadHooks};
    size_t count = 3;
    for (const ActionHook& h : kActionHooks)
        names[count++] = h.section;

    bool found = false;
    for (size_t k = 0; k < count; ++k) {
        const uint32_t i = m_elf.find_section(names[k]);
        if (!i)
            continue;
        found = true;
        if (!m_elf.section(i).hdr.sh_size)
            return section_err(Errc::kEINVAL, "patching section is empty", i);
        // Deviation for the arrays only: Xen reads .livepatch.funcs and calls the load/unload
        // entries at their load address, NULL for a section that is not loaded. A single hook
        // there is a disabled hook in Xen (is_hook_enabled tests the section pointer too): see
        // prepare_hooks.
        if (k < 3 && !m_elf.section(i).alloc())
            return section_err(Errc::kEINVAL, "patching section must be allocated (SHF_ALLOC)", i);
    }
    if (!found)
        return err(Errc::kEINVAL, "nothing to patch: no .livepatch.funcs and no hook sections");
    return success();
}

Status PayloadLoader::parse_build_id(uint32_t index, BuildId* out) const noexcept {
    const Span<uint8_t> sec = loaded_section(index);
    Elf64_Nhdr n;
    if (sec.size() <= sizeof(n))
        return section_err(Errc::kEINVAL, "build-id note is not larger than a note header", index).value(sec.size());
    memcpy(&n, sec.data(), sizeof(n));
    if (n.n_type != kNoteTypeGnuBuildId)
        return section_err(Errc::kEINVAL, "note type is not NT_GNU_BUILD_ID (3)", index).value(n.n_type);
    // Xen (common/version.c:115-143) has no upper bound on n_namesz; the desc starts at the
    // name's 4-byte aligned end, which must lie in the section (Xen adds the unaligned sizes and
    // can read up to 3 bytes past the note: deviation).
    const uint64_t name_end = sizeof(n) + align4(n.n_namesz);
    if (n.n_namesz < 4 || name_end > sec.size())
        return section_err(Errc::kEINVAL, "note name does not fit the section", index).value(n.n_namesz);
    if (memcmp(sec.data() + sizeof(n), "GNU", 4) != 0)
        return section_err(Errc::kEINVAL, "note name is not \"GNU\"", index);
    if (n.n_descsz == 0 || !range_within(name_end, n.n_descsz, sec.size()))
        return section_err(Errc::kEINVAL, "build-id is empty or does not fit the section", index).value(n.n_descsz);
    out->bytes = sec.data() + name_end;
    out->len = n.n_descsz;
    return success();
}

Status PayloadLoader::prepare_build_ids() noexcept {
    const uint32_t own = m_elf.find_section(kBuildIdNote);
    LP_CHECK(parse_build_id(own, &m_payload.m_build_id));
    if (m_loaded.find_by_build_id(m_payload.m_build_id))
        return section_err(Errc::kEEXIST, "a loaded payload has the same build-id", own);
    LP_CHECK(parse_build_id(m_elf.find_section(kDepends), &m_payload.m_depends));

    const uint32_t xen = m_elf.find_section(kXenDepends);
    LP_CHECK(parse_build_id(xen, &m_payload.m_xen_depends));
    const uint8_t* hv_id = nullptr;
    uint32_t hv_len = 0;
    if (!port::hypervisor_build_id(&hv_id, &hv_len))
        return section_err(Errc::kENODATA, "the hypervisor has no build-id to check against", xen);
    if (!m_payload.m_xen_depends.equals(hv_id, hv_len))
        return section_err(Errc::kEINVAL, "payload was built for another hypervisor (build-id mismatch)", xen);
    return success();
}

Status PayloadLoader::prepare_hooks() noexcept {
    PayloadHooks& hooks = m_payload.m_hooks;
    const struct {
        const char* name;
        Span<const VoidHook>* out;
    } arrays[] = {{kLoadHooks, &hooks.load}, {kUnloadHooks, &hooks.unload}};
    for (const auto& a : arrays) {
        const uint32_t i = m_elf.find_section(a.name);
        if (!i)
            continue;
        const Span<uint8_t> sec = loaded_section(i);
        if (sec.size() % sizeof(uint64_t))
            return section_err(Errc::kEINVAL, "hook array size is not a multiple of 8", i).value(sec.size());
        if (reinterpret_cast<uintptr_t>(sec.data()) % alignof(VoidHook))
            return section_err(Errc::kEINVAL, "hook array is not 8-byte aligned", i);
        const auto* fns = reinterpret_cast<const VoidHook*>(sec.data());
        const size_t count = sec.size() / sizeof(uint64_t);
        for (size_t k = 0; k < count; ++k) {
            uint64_t addr;
            memcpy(&addr, sec.data() + k * sizeof(uint64_t), sizeof(addr));
            // NULL included: Xen calls these entries unchecked (common/livepatch.c:1369, 1448),
            // so a NULL one would jump to address 0 (deviation, docs/design.md).
            if (!in_executable(addr, 1))
                return section_err(Errc::kEINVAL, "hook does not point at executable code", i).value(addr);
        }
        *a.out = Span<const VoidHook>(fns, count);
    }
    for (const ActionHook& h : kActionHooks) {
        const uint32_t i = m_elf.find_section(h.section);
        if (!i)
            continue;
        const uint64_t size = m_elf.section(i).hdr.sh_size;
        if (size != sizeof(uint64_t))
            return section_err(Errc::kEINVAL, "action hook section must hold exactly one 8-byte pointer", i)
                .value(size);
        // Not loaded: Xen's hook pointer is the NULL load address, a disabled hook
        // (common/livepatch.c:32, :632).
        const Span<uint8_t> sec = loaded_section(i);
        if (!sec.data())
            continue;
        uint64_t addr;
        memcpy(&addr, sec.data(), sizeof(addr));
        // A NULL single hook is a disabled one (Xen: is_hook_enabled, common/livepatch.c:32):
        // it stays 0 and the engine skips it.
        if (addr && !in_executable(addr, 1))
            return section_err(Errc::kEINVAL, "hook does not point at executable code", i).value(addr);
        hooks.*h.field = addr;
    }
    return success();
}

Status PayloadLoader::check_entry_size(uint32_t index, uint32_t entry) const noexcept {
    if (!entry)
        return section_err(Errc::kEOPNOTSUPP, "section is not supported on this architecture", index);
    if (m_elf.section(index).hdr.sh_size % entry)
        return section_err(Errc::kEINVAL, "special section size is not a multiple of its entry size", index)
            .value(m_elf.section(index).hdr.sh_size);
    // Deviation: Xen reads (and sorts, and registers) these at their load address, NULL for a
    // section that is not loaded.
    if (m_elf.section(index).hdr.sh_size && !m_elf.section(index).alloc())
        return section_err(Errc::kEINVAL, "special section must be allocated (SHF_ALLOC)", index);
    return success();
}

// Xen's order (common/livepatch.c:798-925): .bug_frames.0-3, then .altinstructions, then
// .ex_table, each checked completely before the next.
Status PayloadLoader::check_special_sections() noexcept {
    for (const char* name : {".bug_frames.0", ".bug_frames.1", ".bug_frames.2", ".bug_frames.3"}) {
        if (const uint32_t i = m_elf.find_section(name))
            LP_CHECK(check_entry_size(i, arch::bug_frame_size()));
    }
    LP_CHECK(check_alternatives());
    if (const uint32_t i = m_elf.find_section(".ex_table"))
        LP_CHECK(check_entry_size(i, arch::ex_table_entry_size()));
    return success();
}

// Alternatives (Xen 4.17.5, common/livepatch.c:815-902): an empty .altinstructions is
// tolerated; otherwise the payload needs executable text (any SHF_EXECINSTR section: Xen tests
// text_size, not a section called .text, which livepatch-build-tools payloads do not have) and
// .altinstr_replacement; every entry's original site lies in the payload's text and its
// replacement in .altinstr_replacement. Beyond Xen, preventing apply_alternatives from writing
// outside the payload or hitting its BUG_ON: the site is orig_len + pad_len bytes and the
// replacement must fit it, and both sections must be loaded (SHF_ALLOC). Validated here, not
// applied: applying alternatives for the CPU's features is the hosting port's job.
Status PayloadLoader::check_alternatives() noexcept {
    const uint32_t alt = m_elf.find_section(".altinstructions");
    if (!alt)
        return success();
    // Empty: tolerated (Xen: common/livepatch.c:840), also on arm64 where the engine refuses entries.
    if (!m_elf.section(alt).hdr.sh_size)
        return success();
    const uint32_t size = arch::alt_instr_size();
    LP_CHECK(check_entry_size(alt, size));
    if (!m_payload.m_text.size)
        return section_err(Errc::kEINVAL, ".altinstructions needs executable text in the payload", alt);
    const uint32_t repl = m_elf.find_section(".altinstr_replacement");
    if (!repl)
        return section_err(Errc::kEINVAL, ".altinstructions needs an .altinstr_replacement section", alt);
    const Span<uint8_t> entries = loaded_section(alt);
    if (!entries.data() || !m_elf.section(repl).alloc())
        return section_err(Errc::kEINVAL, ".altinstructions and .altinstr_replacement must be allocated", alt);
    const ElfSection& rs = m_elf.section(repl);
    const Region r{rs.load, rs.hdr.sh_size};
    for (uint64_t off = 0; off + size <= entries.size(); off += size) {
        // struct alt_instr: s32 orig_offset, s32 repl_offset, u16 cpuid, u8 orig_len,
        // u8 repl_len, u8 pad_len, u8 priv; offsets are relative to the field.
        int32_t orig_off, repl_off;
        memcpy(&orig_off, entries.data() + off, 4);
        memcpy(&repl_off, entries.data() + off + 4, 4);
        const uint8_t orig_len = entries.data()[off + 10];
        const uint8_t repl_len = entries.data()[off + 11];
        const uint8_t pad_len = entries.data()[off + 12];
        const uint64_t here = reinterpret_cast<uintptr_t>(entries.data() + off);
        const uint64_t orig = here + static_cast<uint64_t>(static_cast<int64_t>(orig_off));
        const uint64_t rep = here + 4 + static_cast<uint64_t>(static_cast<int64_t>(repl_off));
        const uint32_t site_len = uint32_t{orig_len} + pad_len;
        if (!m_payload.m_text.contains(orig, site_len))
            return section_err(Errc::kEINVAL, "alternative's original code is outside the payload's text", alt)
                .value(off / size);
        if (!r.contains(rep, repl_len))
            return section_err(Errc::kEINVAL, "alternative's replacement is outside .altinstr_replacement", alt)
                .value(off / size);
        if (repl_len > site_len)
            return section_err(Errc::kEINVAL, "alternative's replacement is longer than its site", alt)
                .value(off / size);
    }
    return success();
}

Status PayloadLoader::prepare_modinfo() noexcept {
    const uint32_t i = m_elf.find_section(".modinfo");
    if (!i)
        return success();
    const ElfSection& s = m_elf.section(i);
    if (!s.alloc())
        return section_err(Errc::kEINVAL, ".modinfo must be allocated (SHF_ALLOC)", i);
    const Span<uint8_t> sec = loaded_section(i);
    if (sec.size() == 0 || sec[sec.size() - 1] != 0)
        return section_err(Errc::kEINVAL, ".modinfo must be NUL-terminated key=value strings", i);
    m_payload.m_modinfo = Span<const char>(reinterpret_cast<const char*>(sec.data()), sec.size());
    return success();
}

void PayloadLoader::compute_safe_to_reapply() noexcept {
    bool safe = true;
    for (uint32_t i = 1; i < m_elf.section_count(); ++i) {
        const ElfSection& s = m_elf.section(i);
        if (s.alloc() && (s.hdr.sh_flags & SHF_WRITE) && s.hdr.sh_size && !str_eq(s.name, kFuncs))
            safe = false;
    }
    m_payload.m_safe_to_reapply = safe;
}

bool PayloadLoader::in_patchable_text(uint64_t addr, uint64_t len) const noexcept {
    const port::TextRange t = port::hypervisor_text();
    if (addr >= t.start && len <= t.end - t.start && addr - t.start <= (t.end - t.start) - len)
        return true;
    for (const Payload* p = m_loaded.first(); p; p = p->next) {
        if (p->text().contains(addr, len))
            return true;
    }
    return false;
}

bool PayloadLoader::in_executable(uint64_t addr, uint64_t len) const noexcept {
    return m_payload.m_text.contains(addr, len) || in_patchable_text(addr, len);
}

const char* PayloadLoader::payload_string(uint64_t addr) const noexcept {
    for (const Region* r : {&m_payload.m_ro, &m_payload.m_rw, &m_payload.m_text}) {
        if (!r->contains(addr, 1))
            continue;
        const uint64_t off = addr - reinterpret_cast<uintptr_t>(r->base);
        const char* s = reinterpret_cast<const char*>(r->base) + off;
        return str_nlen(s, r->size - off) < r->size - off ? s : nullptr;
    }
    return nullptr;
}

}  // namespace livepatch
