#include "insn_bounds.h"

#include <capstone/capstone.h>

namespace livepatch::build {

std::vector<uint32_t> instruction_ends(const std::vector<uint8_t>& code, uint32_t limit) {
    std::vector<uint32_t> ends;
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
        return ends;
    cs_insn* insn = cs_malloc(handle);
    const uint8_t* p = code.data();
    size_t left = code.size();
    uint64_t address = 0;
    while (insn && left && cs_disasm_iter(handle, &p, &left, &address, insn)) {
        ends.push_back(static_cast<uint32_t>(address));
        if (address >= limit)
            break;
    }
    if (insn)
        cs_free(insn, 1);
    cs_close(&handle);
    return ends;
}

}  // namespace livepatch::build
