#include "payload_audit.h"

#include <elf.h>

#include "reloc_audit.h"

namespace livepatch::build {

namespace {

constexpr uint64_t kMaxPayload = 2u * 1024 * 1024;
constexpr size_t kRecordSize = 104;
const std::string kHookPrefix = ".livepatch.hooks.";

bool single_hook(const std::string& kind) { return kind != "load" && kind != "unload"; }

std::string macro_of(const std::string& kind) {
    std::string up;
    for (char c : kind)
        up += static_cast<char>(c - 'a' + 'A');
    return "LIVEPATCH_" + up + "_HOOK";
}

}  // namespace

std::map<std::string, size_t> hook_counts(const ObjectFile& payload) {
    std::map<std::string, size_t> counts;
    for (const ObjSection& s : payload.sections())
        if (s.index && s.name.rfind(kHookPrefix, 0) == 0)
            counts[s.name.substr(kHookPrefix.size())] += s.size / 8;
    return counts;
}

void audit_payload(const ObjectFile& payload, uint64_t size, Problems& problems) {
    if (size > kMaxPayload)
        problems.add("the payload is " + std::to_string(size) +
                     " bytes; Xen accepts at most 2 MiB (2097152): split it, or drop debug information");
    const ObjSection* funcs = payload.section(".livepatch.funcs");
    const std::map<std::string, size_t> hooks = hook_counts(payload);
    if ((!funcs || !funcs->size) && hooks.empty())
        problems.add("nothing to patch: the sources have no LIVEPATCH_REPLACE, LIVEPATCH_NOP or hook (Xen refuses "
                     "such a payload)");
    if (funcs) {
        if (!(funcs->flags & SHF_WRITE) || !(funcs->flags & SHF_ALLOC))
            problems.add(".livepatch.funcs is not allocated and writable");
        if (funcs->size % kRecordSize)
            problems.add(".livepatch.funcs is not a whole number of 104-byte records");
        for (size_t i = 0; i + kRecordSize <= funcs->bytes.size(); i += kRecordSize)
            for (size_t b = 33; b < 72; ++b)
                if (funcs->bytes[i + b])
                    problems.add("record " + std::to_string(i / kRecordSize) + ": reserved byte " +
                                 std::to_string(b) + " is not zero");
    }
    for (const char* name : {".livepatch.depends", ".livepatch.xen_depends", ".note.gnu.build-id"}) {
        const ObjSection* s = payload.section(name);
        if (!s)
            problems.add(std::string("no ") + name + " section");
        else if (!(s->flags & SHF_ALLOC) || (s->flags & SHF_WRITE) || build_id_of_note(s->bytes).empty())
            problems.add(std::string(name) + " is not an allocated read-only NT_GNU_BUILD_ID note");
    }
    for (const auto& [kind, n] : hooks)
        if (single_hook(kind) && n != 1)
            problems.add(macro_of(kind) + " is used " + std::to_string(n) + " times: Xen allows one " + kind +
                         " hook per payload (.livepatch.hooks." + kind + " must be one 8-byte pointer)");
    for (const ObjSymbol& s : payload.symbols())
        if (s.shndx == SHN_COMMON)
            problems.add(s.name + " is a common symbol, which Xen refuses");
    audit_relocations(payload, "", problems);
}

}  // namespace livepatch::build
