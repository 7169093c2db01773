// Names of the relocation types a payload may carry: every x86-64 type the psABI defines up to
// R_X86_64_REX_GOTPCRELX (the loader accepts only NONE, 64, PC32 and PLT32; the others are named
// so that `info` can say what a refused payload contains) and the AArch64 types Xen accepts.
#include "reloc_names.h"

#include <elf.h>

#include <string>

#include "payload_info.h"

namespace livepatch::tool::offline {

namespace {

const char* x86_64_name(uint32_t type) {
    static const char* const kNames[] = {
        "R_X86_64_NONE",      "R_X86_64_64",        "R_X86_64_PC32",       "R_X86_64_GOT32",
        "R_X86_64_PLT32",     "R_X86_64_COPY",      "R_X86_64_GLOB_DAT",   "R_X86_64_JUMP_SLOT",
        "R_X86_64_RELATIVE",  "R_X86_64_GOTPCREL",  "R_X86_64_32",         "R_X86_64_32S",
        "R_X86_64_16",        "R_X86_64_PC16",      "R_X86_64_8",          "R_X86_64_PC8",
        "R_X86_64_DTPMOD64",  "R_X86_64_DTPOFF64",  "R_X86_64_TPOFF64",    "R_X86_64_TLSGD",
        "R_X86_64_TLSLD",     "R_X86_64_DTPOFF32",  "R_X86_64_GOTTPOFF",   "R_X86_64_TPOFF32",
        "R_X86_64_PC64",      "R_X86_64_GOTOFF64",  "R_X86_64_GOTPC32",    "R_X86_64_GOT64",
        "R_X86_64_GOTPCREL64", "R_X86_64_GOTPC64",  "R_X86_64_GOTPLT64",   "R_X86_64_PLTOFF64",
        "R_X86_64_SIZE32",    "R_X86_64_SIZE64",    "R_X86_64_GOTPC32_TLSDESC", "R_X86_64_TLSDESC_CALL",
        "R_X86_64_TLSDESC",   "R_X86_64_IRELATIVE", "R_X86_64_RELATIVE64", nullptr,
        nullptr,              "R_X86_64_GOTPCRELX", "R_X86_64_REX_GOTPCRELX",
    };
    return type < sizeof(kNames) / sizeof(kNames[0]) ? kNames[type] : nullptr;
}

const char* aarch64_name(uint32_t type) {
    struct Name {
        uint32_t type;
        const char* name;
    };
    static const Name kNames[] = {
        {R_AARCH64_NONE, "R_AARCH64_NONE"},
        {R_AARCH64_ABS64, "R_AARCH64_ABS64"},
        {R_AARCH64_ABS32, "R_AARCH64_ABS32"},
        {R_AARCH64_ABS16, "R_AARCH64_ABS16"},
        {R_AARCH64_PREL64, "R_AARCH64_PREL64"},
        {R_AARCH64_PREL32, "R_AARCH64_PREL32"},
        {R_AARCH64_PREL16, "R_AARCH64_PREL16"},
        {R_AARCH64_MOVW_UABS_G0, "R_AARCH64_MOVW_UABS_G0"},
        {R_AARCH64_MOVW_UABS_G0_NC, "R_AARCH64_MOVW_UABS_G0_NC"},
        {R_AARCH64_MOVW_UABS_G1, "R_AARCH64_MOVW_UABS_G1"},
        {R_AARCH64_MOVW_UABS_G1_NC, "R_AARCH64_MOVW_UABS_G1_NC"},
        {R_AARCH64_MOVW_UABS_G2, "R_AARCH64_MOVW_UABS_G2"},
        {R_AARCH64_MOVW_UABS_G2_NC, "R_AARCH64_MOVW_UABS_G2_NC"},
        {R_AARCH64_MOVW_UABS_G3, "R_AARCH64_MOVW_UABS_G3"},
        {R_AARCH64_MOVW_SABS_G0, "R_AARCH64_MOVW_SABS_G0"},
        {R_AARCH64_MOVW_SABS_G1, "R_AARCH64_MOVW_SABS_G1"},
        {R_AARCH64_MOVW_SABS_G2, "R_AARCH64_MOVW_SABS_G2"},
        {R_AARCH64_MOVW_PREL_G0, "R_AARCH64_MOVW_PREL_G0"},
        {R_AARCH64_MOVW_PREL_G0_NC, "R_AARCH64_MOVW_PREL_G0_NC"},
        {R_AARCH64_MOVW_PREL_G1, "R_AARCH64_MOVW_PREL_G1"},
        {R_AARCH64_MOVW_PREL_G1_NC, "R_AARCH64_MOVW_PREL_G1_NC"},
        {R_AARCH64_MOVW_PREL_G2, "R_AARCH64_MOVW_PREL_G2"},
        {R_AARCH64_MOVW_PREL_G2_NC, "R_AARCH64_MOVW_PREL_G2_NC"},
        {R_AARCH64_MOVW_PREL_G3, "R_AARCH64_MOVW_PREL_G3"},
        {R_AARCH64_ADR_PREL_LO21, "R_AARCH64_ADR_PREL_LO21"},
        {R_AARCH64_ADR_PREL_PG_HI21, "R_AARCH64_ADR_PREL_PG_HI21"},
        {R_AARCH64_ADR_PREL_PG_HI21_NC, "R_AARCH64_ADR_PREL_PG_HI21_NC"},
        {R_AARCH64_ADD_ABS_LO12_NC, "R_AARCH64_ADD_ABS_LO12_NC"},
        {R_AARCH64_LDST8_ABS_LO12_NC, "R_AARCH64_LDST8_ABS_LO12_NC"},
        {R_AARCH64_LDST16_ABS_LO12_NC, "R_AARCH64_LDST16_ABS_LO12_NC"},
        {R_AARCH64_LDST32_ABS_LO12_NC, "R_AARCH64_LDST32_ABS_LO12_NC"},
        {R_AARCH64_LDST64_ABS_LO12_NC, "R_AARCH64_LDST64_ABS_LO12_NC"},
        {R_AARCH64_LDST128_ABS_LO12_NC, "R_AARCH64_LDST128_ABS_LO12_NC"},
        {R_AARCH64_TSTBR14, "R_AARCH64_TSTBR14"},
        {R_AARCH64_CONDBR19, "R_AARCH64_CONDBR19"},
        {R_AARCH64_JUMP26, "R_AARCH64_JUMP26"},
        {R_AARCH64_CALL26, "R_AARCH64_CALL26"},
    };
    for (const Name& n : kNames) {
        if (n.type == type)
            return n.name;
    }
    return nullptr;
}

}  // namespace

const char* known_reloc_type_name(uint16_t machine, uint32_t type) {
    return machine == EM_X86_64 ? x86_64_name(type) : machine == EM_AARCH64 ? aarch64_name(type) : nullptr;
}

std::string reloc_type_name(uint16_t machine, uint32_t type) {
    if (const char* name = known_reloc_type_name(machine, type))
        return name;
    return machine_name(machine) + " type " + std::to_string(type);
}

}  // namespace livepatch::tool::offline
