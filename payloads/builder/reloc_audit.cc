#include "reloc_audit.h"

#include <elf.h>

namespace livepatch::build {

namespace {

std::string hint(uint32_t type) {
    switch (type) {
    case R_X86_64_GOT32:
    case R_X86_64_GOTPCREL:
    case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX:
    case R_X86_64_GOTOFF64:
    case R_X86_64_GOTPC32:
    case R_X86_64_GOTPCREL64:
    case R_X86_64_GOTPC64:
    case R_X86_64_PLTOFF64:
        return "the symbol is reached through a GOT, which a payload does not have: declare it after "
               "#include <livepatch/payload.h> (hidden visibility), not with default visibility";
    case R_X86_64_32:
    case R_X86_64_32S:
    case R_X86_64_16:
    case R_X86_64_8:
    case R_X86_64_PC16:
    case R_X86_64_PC8:
        return "an absolute or short address cannot reach the hypervisor's addresses: use position-independent "
               "code (no `movl $symbol` or `.long symbol` in assembly; pointers are 64-bit)";
    case R_X86_64_TPOFF32:
    case R_X86_64_TPOFF64:
    case R_X86_64_DTPMOD64:
    case R_X86_64_DTPOFF32:
    case R_X86_64_DTPOFF64:
    case R_X86_64_GOTTPOFF:
    case R_X86_64_TLSGD:
    case R_X86_64_TLSLD:
        return "thread-local storage does not exist in a hypervisor: use per-CPU data";
    default:
        return "use plain C or C++ code and data";
    }
}

}  // namespace

bool relocation_accepted(uint32_t type) {
    return type == R_X86_64_NONE || type == R_X86_64_64 || type == R_X86_64_PC32 || type == R_X86_64_PLT32;
}

std::string relocation_name(uint32_t type) {
    static const char* const names[] = {
        "R_X86_64_NONE",      "R_X86_64_64",        "R_X86_64_PC32",         "R_X86_64_GOT32",
        "R_X86_64_PLT32",     "R_X86_64_COPY",      "R_X86_64_GLOB_DAT",     "R_X86_64_JUMP_SLOT",
        "R_X86_64_RELATIVE",  "R_X86_64_GOTPCREL",  "R_X86_64_32",           "R_X86_64_32S",
        "R_X86_64_16",        "R_X86_64_PC16",      "R_X86_64_8",            "R_X86_64_PC8",
        "R_X86_64_DTPMOD64",  "R_X86_64_DTPOFF64",  "R_X86_64_TPOFF64",      "R_X86_64_TLSGD",
        "R_X86_64_TLSLD",     "R_X86_64_DTPOFF32",  "R_X86_64_GOTTPOFF",     "R_X86_64_TPOFF32",
        "R_X86_64_PC64",      "R_X86_64_GOTOFF64",  "R_X86_64_GOTPC32",      "R_X86_64_GOT64",
        "R_X86_64_GOTPCREL64", "R_X86_64_GOTPC64",  "R_X86_64_GOTPLT64",     "R_X86_64_PLTOFF64",
        "R_X86_64_SIZE32",    "R_X86_64_SIZE64",    "R_X86_64_GOTPC32_TLSDESC", "R_X86_64_TLSDESC_CALL",
        "R_X86_64_TLSDESC",   "R_X86_64_IRELATIVE", "R_X86_64_RELATIVE64",   "type 39",
        "type 40",            "R_X86_64_GOTPCRELX", "R_X86_64_REX_GOTPCRELX",
    };
    if (type < sizeof(names) / sizeof(names[0]) && names[type][0] == 'R')
        return names[type];
    return "relocation type " + std::to_string(type);
}

void audit_relocations(const ObjectFile& obj, const std::string& where, Problems& problems) {
    for (const std::string& name : obj.rel_sections())
        problems.add(where + "section " + name + " holds REL relocations (no addends), which Xen refuses");
    for (const ObjReloc& r : obj.relocations()) {
        if (r.section >= obj.sections().size() || !(obj.sections()[r.section].flags & SHF_ALLOC))
            continue;  // debug information and the like: not loaded, not relocated
        if (relocation_accepted(r.type))
            continue;
        const ObjSection& s = obj.sections()[r.section];
        const ObjSymbol* holder = obj.symbol_covering(r.section, r.offset);
        const ObjSymbol& target = obj.symbols().at(r.symbol);
        problems.add(where + (holder ? (holder->type == STT_FUNC ? "function " : "object ") + holder->name
                                     : "section " + s.name) +
                     ": relocation " + relocation_name(r.type) + " against " +
                     (target.name.empty() ? "symbol " + std::to_string(r.symbol) : target.name) +
                     ": Xen accepts only R_X86_64_NONE, R_X86_64_64, R_X86_64_PC32 and R_X86_64_PLT32 (" +
                     hint(r.type) + ")");
    }
}

}  // namespace livepatch::build
