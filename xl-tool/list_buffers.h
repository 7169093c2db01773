// Buffer sizes for libxenctrl's xc_livepatch_list (backend_xenctrl.cc), kept apart so that they
// can be tested without Xen.
//
// Xen 4.17 does not bound LIST's writes by the caller's buffers (4.21 fixed that with interface
// 0x16), and libxc copies back as many bytes as Xen says it wrote, at an offset it does not rewind
// when it restarts after a version change (at most 4 restarts, so 5 passes). A list that changes
// between the size probe and the fetch (a payload unloaded, another with a longer name uploaded)
// would overrun buffers of the probe's sizes. Names are bounded: `nr` entries of at most
// XEN_LIVEPATCH_NAME_SIZE bytes per pass. Metadata is not; it gets twice the probe's size plus
// 64 KiB (best effort).
#pragma once

#include <stdint.h>

#include <algorithm>

namespace livepatch::tool {

constexpr uint64_t kLibxcListPasses = 5;
constexpr uint64_t kXenNameSize = 128;  // XEN_LIVEPATCH_NAME_SIZE, with the NUL

// The name buffer for `nr` entries whose probed total was `probed` bytes.
constexpr uint32_t list_name_buffer(unsigned int nr, uint32_t probed) {
    const uint64_t worst = std::min<uint64_t>(uint64_t{nr} * kXenNameSize * kLibxcListPasses, UINT32_MAX);
    return static_cast<uint32_t>(std::max<uint64_t>(probed, worst));
}

// The metadata buffer when the probed total was `probed` bytes.
constexpr uint32_t list_metadata_buffer(uint32_t probed) {
    return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{probed} * 2 + (64u << 10), UINT32_MAX));
}

}  // namespace livepatch::tool
