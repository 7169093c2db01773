// The records of a payload, read from its file: .livepatch.funcs (struct livepatch_func v2, whose
// pointers are filled by relocations), the hook sections and .modinfo.
#include <elf.h>
#include <string.h>

#include <sstream>

#include "payload_elf.h"

namespace livepatch::tool::offline {

namespace {

constexpr size_t kFuncSize = 104;  // sizeof(struct livepatch_func), pinned in livepatch/abi.h
constexpr const char* kHookPrefix = ".livepatch.hooks.";
constexpr size_t kMaxName = 512;   // longer strings are cut (Xen's names are at most 127)

template <class T>
T read_le(const uint8_t* p) {
    T v;
    memcpy(&v, p, sizeof(v));
    return v;
}

std::string hex_value(uint64_t v) {
    std::ostringstream s;
    s << "0x" << std::hex << v;
    return s.str();
}

void read_funcs(const ElfContents& elf, PayloadInfo* info) {
    const SectionInfo* s = elf.section(".livepatch.funcs");
    if (!s)
        return;
    const uint8_t* base = elf.bytes[s->index];
    const size_t size = base ? elf.byte_count[s->index] : 0;
    if (size % kFuncSize)
        info->problems.push_back(".livepatch.funcs: size " + std::to_string(size) +
                                 " is not a multiple of sizeof(struct livepatch_func) (104)");
    for (size_t i = 0; i < size / kFuncSize; ++i) {
        const uint64_t off = i * kFuncSize;
        const uint8_t* rec = base + off;
        FuncInfo f;
        f.index = static_cast<uint32_t>(i);
        f.file_offset = s->offset + off;
        f.name = elf.pointer_at(s->index, off + 0);
        f.new_addr = elf.pointer_at(s->index, off + 8);
        f.old_addr = elf.pointer_at(s->index, off + 16);
        f.new_size = read_le<uint32_t>(rec + 24);
        f.old_size = read_le<uint32_t>(rec + 28);
        f.version = rec[32];
        f.expect_flags = rec[72];
        f.expect_data.assign(rec + 73, rec + kFuncSize);
        f.old_name = elf.string_at(f.name);
        if (!f.new_addr.null())
            f.new_function = elf.function_at(f.new_addr);
        info->funcs.push_back(std::move(f));
    }
}

void read_hooks(const ElfContents& elf, PayloadInfo* info) {
    for (size_t i = 1; i < elf.sections.size(); ++i) {
        const SectionInfo& s = elf.sections[i];
        if (s.name.compare(0, strlen(kHookPrefix), kHookPrefix) != 0)
            continue;
        HookInfo h;
        h.section = s.name;
        h.kind = s.name.substr(strlen(kHookPrefix));
        // Only the bytes in the file hold pointers: a NOBITS section (however large its sh_size)
        // or one whose data cannot be read has none, and the count is bounded by the file.
        const size_t present = elf.bytes[s.index] ? elf.byte_count[s.index] : 0;
        if (s.type == SHT_NOBITS)
            info->problems.push_back(s.name + ": SHT_NOBITS (sh_size " + std::to_string(s.size) +
                                     "): no hook pointers in the file");
        else if (present % 8)
            info->problems.push_back(s.name + ": size " + std::to_string(present) +
                                     " is not a multiple of a pointer (8)");
        h.count = present / 8;
        for (uint64_t k = 0; k < h.count; ++k) {
            const PointerField p = elf.pointer_at(s.index, k * 8);
            const std::string fn = elf.function_at(p);
            h.functions.push_back(!fn.empty() ? fn : p.describe());
        }
        info->hooks.push_back(std::move(h));
    }
}

void read_modinfo(const ElfContents& elf, PayloadInfo* info) {
    const SectionInfo* s = elf.section(".modinfo");
    if (!s || !elf.bytes[s->index])
        return;
    const char* p = reinterpret_cast<const char*>(elf.bytes[s->index]);
    const size_t n = elf.byte_count[s->index];
    for (size_t i = 0; i < n;) {
        const size_t len = strnlen(p + i, n - i);
        if (len)
            info->modinfo.push_back(printable(p + i, len));
        i += len + 1;
    }
}

}  // namespace

std::string PointerField::describe() const {
    if (!relocated)
        return hex_value(literal);
    std::string s = symbol.empty() ? "symbol #" + std::to_string(symbol_index) : symbol;
    if (addend > 0)
        s += "+" + hex_value(static_cast<uint64_t>(addend));
    else if (addend < 0)
        s += "-" + hex_value(static_cast<uint64_t>(-addend));
    return s;
}

std::string FuncInfo::target() const {
    if (!old_addr.null())
        return old_addr.describe();
    if (!old_name.empty())
        return old_name;
    return name.describe();
}

PointerField ElfContents::pointer_at(uint32_t index, uint64_t offset) const {
    PointerField p;
    auto sec = rela.find(index);
    if (sec != rela.end()) {
        auto r = sec->second.find(offset);
        if (r != sec->second.end()) {
            p.relocated = true;
            p.symbol_index = r->second.symbol;
            p.addend = r->second.addend;
            if (r->second.symbol < symbols.size()) {
                p.symbol = symbols[r->second.symbol].name;
                p.symbol_undefined = symbols[r->second.symbol].shndx == SHN_UNDEF;
            }
            return p;
        }
    }
    if (index < bytes.size() && bytes[index] && offset <= byte_count[index] && byte_count[index] - offset >= 8)
        p.literal = read_le<uint64_t>(bytes[index] + offset);
    return p;
}

bool ElfContents::target_of(const PointerField& p, uint32_t* index, uint64_t* offset) const {
    if (!p.relocated || p.symbol_index == 0 || p.symbol_index >= symbols.size())
        return false;
    const ElfSymbol& s = symbols[p.symbol_index];
    if (s.shndx == SHN_UNDEF || s.shndx >= SHN_LORESERVE || s.shndx >= sections.size())
        return false;
    *index = s.shndx;
    *offset = s.value + static_cast<uint64_t>(p.addend);
    return true;
}

std::string ElfContents::string_at(const PointerField& p) const {
    uint32_t index = 0;
    uint64_t offset = 0;
    if (!target_of(p, &index, &offset) || !bytes[index] || offset >= byte_count[index])
        return "";
    const char* s = reinterpret_cast<const char*>(bytes[index]) + offset;
    const size_t room = byte_count[index] - offset;
    const size_t len = strnlen(s, room < kMaxName ? room : kMaxName);
    return len < room ? printable(s, len) : "";
}

std::string printable(const char* s, size_t len) {
    std::string out(s, len);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    }
    return out;
}

std::string ElfContents::function_at(const PointerField& p) const {
    if (!p.relocated)
        return "";
    if (p.symbol_index < symbols.size() && p.addend == 0 && symbols[p.symbol_index].type != STT_SECTION)
        return p.symbol;
    uint32_t index = 0;
    uint64_t offset = 0;
    if (!target_of(p, &index, &offset))
        return "";
    if (index > UINT16_MAX)
        return "";
    const auto it = symbol_at.find({static_cast<uint16_t>(index), offset});
    return it == symbol_at.end() ? "" : symbols[it->second].name;
}

void ElfContents::index_symbols() {
    symbol_at.clear();
    for (size_t i = 0; i < symbols.size(); ++i) {
        const ElfSymbol& s = symbols[i];
        if (s.name.empty() || s.type == STT_SECTION)
            continue;
        auto [it, added] = symbol_at.emplace(std::make_pair(s.shndx, s.value), static_cast<uint32_t>(i));
        if (!added && s.type == STT_FUNC && symbols[it->second].type != STT_FUNC)
            it->second = static_cast<uint32_t>(i);
    }
}

void read_records(const ElfContents& elf, PayloadInfo* info) {
    read_funcs(elf, info);
    read_hooks(elf, info);
    read_modinfo(elf, info);
}

}  // namespace livepatch::tool::offline
