// The payload's own symbol table (Xen: build_symbol_table). Holds every named symbol of a loaded
// section (section symbols are unnamed, so they drop out), except assembler locals (.L*) in
// SHF_MERGE sections and arm64 mapping symbols. A symbol at some function's new_addr overrides
// that function; every other one is "new" and must not exist in the hypervisor or another
// payload (-EEXIST).
#include <string.h>

#include "arch/arch.h"
#include "core/elf/xen_arch_rules.h"
#include "core/loader/payload_loader.h"
#include "core/support/cstring.h"
#include "core/support/sort.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

// Xen's KSYM_NAME_LEN: longer names are truncated in the payload's table, which also bounds the
// name storage a small upload can ask for.
constexpr size_t kSymbolNameMax = 128;

}  // namespace

Status PayloadLoader::build_symbol_table() noexcept {
    const uint32_t nsym = m_elf.symbol_count();
    const uint16_t machine = arch::elf_machine();

    // First pass: which symbols are kept, and how much name storage they need.
    OwnedArray<uint8_t> keep = LP_TRY(OwnedArray<uint8_t>::make(nsym));
    size_t count = 0, names_len = 0;
    for (uint32_t i = 1; i < nsym; ++i) {
        const Elf64_Sym sym = m_elf.symbol(i);
        const char* name = m_elf.symbol_name(i);
        if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= m_elf.section_count() || !name[0])
            continue;
        const ElfSection& s = m_elf.section(sym.st_shndx);
        if (!s.alloc())
            continue;
        if ((s.hdr.sh_flags & SHF_MERGE) && str_starts_with(name, ".L"))
            continue;
        if (is_skipped_mapping_symbol(machine, name))
            continue;
        keep[i] = 1;
        ++count;
        names_len += str_nlen(name, kSymbolNameMax - 1) + 1;
    }

    m_payload.m_symbols = LP_TRY(OwnedArray<PayloadSymbol>::make(count));
    m_payload.m_symbol_names = LP_TRY(OwnedArray<char>::make(names_len));
    OwnedArray<PayloadSymbolKey> keys = LP_TRY(OwnedArray<PayloadSymbolKey>::make(count));

    // The replacement addresses, sorted once: "is this symbol some record's new_addr?" is then a
    // binary search rather than a scan of every record.
    const Span<livepatch_func> funcs = m_payload.m_funcs;
    OwnedArray<uint64_t> new_addrs = LP_TRY(OwnedArray<uint64_t>::make(funcs.size()));
    for (size_t k = 0; k < funcs.size(); ++k)
        new_addrs[k] = funcs[k].new_addr;
    heap_sort(new_addrs.data(), new_addrs.size(), [](uint64_t a, uint64_t b) { return a < b; });
    auto is_replacement = [&](uint64_t v) {
        size_t lo = 0, hi = new_addrs.size();
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if (new_addrs[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < new_addrs.size() && new_addrs[lo] == v;
    };

    size_t n = 0, pos = 0, nkeys = 0;
    for (uint32_t i = 1; i < nsym; ++i) {
        if (!keep[i])
            continue;
        const Elf64_Sym sym = m_elf.symbol(i);
        const char* name = m_elf.symbol_name(i);
        const size_t len = str_nlen(name, kSymbolNameMax - 1);
        char* copy = m_payload.m_symbol_names.data() + pos;
        memcpy(copy, name, len);
        copy[len] = '\0';
        pos += len + 1;

        PayloadSymbol& ps = m_payload.m_symbols[n];
        ps.name = copy;
        ps.value = m_sym_values[i];
        ps.size = sym.st_size;
        ps.new_symbol = !is_replacement(ps.value);
        if (ps.new_symbol && (port::symbol_by_name(copy) || m_loaded.find_new_symbol(copy)))
            return err(Errc::kEEXIST, "new symbol already exists in the hypervisor or a loaded payload")
                .symbol(i, name);
        if (ps.new_symbol)
            keys[nkeys++] = {str_hash(copy), static_cast<uint32_t>(n)};
        ++n;
    }

    // The name index: new symbols sorted by (hash, name, index). O(n log n) however many symbols
    // share a name (Xen keeps such duplicates, and so does the engine: a lookup finds the first).
    const PayloadSymbol* const syms = m_payload.m_symbols.data();
    heap_sort(keys.data(), nkeys, [syms](const PayloadSymbolKey& a, const PayloadSymbolKey& b) {
        if (a.hash != b.hash)
            return a.hash < b.hash;
        const int c = str_cmp(syms[a.index].name, syms[b.index].name);
        return c != 0 ? c < 0 : a.index < b.index;
    });
    m_payload.m_new_symbols = LP_TRY(OwnedArray<PayloadSymbolKey>::make(nkeys));
    for (size_t k = 0; k < nkeys; ++k)
        m_payload.m_new_symbols[k] = keys[k];

    m_payload.m_uses = LP_TRY(OwnedArray<Payload*>::make(m_nuses));
    for (size_t k = 0; k < m_nuses; ++k)
        m_payload.m_uses[k] = m_uses[k];
    return success();
}

}  // namespace livepatch
