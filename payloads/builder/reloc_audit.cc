#include "reloc_audit.h"

#include <elf.h>

#include "../../xl-tool/offline/reloc_names.h"
#include "arch/arm64/reloc_arm64.h"

namespace livepatch::build {

namespace {

std::string aarch64_hint(uint32_t type) {
    switch (type) {
    case R_AARCH64_ADR_GOT_PAGE:
    case R_AARCH64_LD64_GOT_LO12_NC:
    case R_AARCH64_LD64_GOTPAGE_LO15:
    case R_AARCH64_GOT_LD_PREL19:
        return "the symbol is reached through a GOT, which a payload does not have: declare it after "
               "#include <livepatch/payload.h> (hidden visibility), not with default visibility";
    default:
        if (type >= R_AARCH64_TLSGD_ADR_PREL21 && type <= R_AARCH64_TLSDESC)
            return "thread-local storage does not exist in a hypervisor: use per-CPU data";
        return "use plain C or C++ code and data, built with the small code model";
    }
}

std::string hint(uint16_t machine, uint32_t type) {
    if (machine == EM_AARCH64)
        return aarch64_hint(type);
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

bool relocation_accepted(uint16_t machine, uint32_t type) {
    if (machine == EM_AARCH64) {
        // The engine's arm64 relocation function names a type it does not apply before looking at
        // the place (room 0 here), so this asks the engine itself.
        uint8_t none[1] = {};
        return arm64::apply_reloc(type, none, 0, 0, 0) != RelocStatus::unsupported;
    }
    return type == R_X86_64_NONE || type == R_X86_64_64 || type == R_X86_64_PC32 || type == R_X86_64_PLT32;
}

std::string relocation_name(uint16_t machine, uint32_t type) {
    if (machine == EM_AARCH64)
        return tool::offline::reloc_type_name(machine, type);
    if (const char* name = tool::offline::known_reloc_type_name(EM_X86_64, type))
        return name;
    return "relocation type " + std::to_string(type);
}

void audit_relocations(const ObjectFile& obj, const std::string& where, Problems& problems) {
    for (const std::string& name : obj.rel_sections())
        problems.add(where + "section " + name + " holds REL relocations (no addends), which Xen refuses");
    for (const ObjReloc& r : obj.relocations()) {
        if (r.section >= obj.sections().size() || !(obj.sections()[r.section].flags & SHF_ALLOC))
            continue;  // debug information and the like: not loaded, not relocated
        if (relocation_accepted(obj.machine(), r.type))
            continue;
        const ObjSection& s = obj.sections()[r.section];
        const ObjSymbol* holder = obj.symbol_covering(r.section, r.offset);
        const ObjSymbol& target = obj.symbols().at(r.symbol);
        problems.add(where + (holder ? (holder->type == STT_FUNC ? "function " : "object ") + holder->name
                                     : "section " + s.name) +
                     ": relocation " + relocation_name(obj.machine(), r.type) + " against " +
                     (target.name.empty() ? "symbol " + std::to_string(r.symbol) : target.name) +
                     (obj.machine() == EM_AARCH64
                          ? ": Xen's arm64 loader accepts only the data (ABS/PREL), MOVW, ADR/ADRP, ADD/LDST "
                            "LO12_NC and branch (TSTBR14, CONDBR19, JUMP26, CALL26) relocations ("
                          : ": Xen accepts only R_X86_64_NONE, R_X86_64_64, R_X86_64_PC32 and R_X86_64_PLT32 (") +
                     hint(obj.machine(), r.type) + ")");
    }
}

}  // namespace livepatch::build
