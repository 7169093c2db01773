// How much of a file the offline commands read. A payload is read whole, up to Xen's
// LIVEPATCH_MAX_SIZE (kMaxPayloadSize, 2 MiB: UPLOAD refuses anything larger, so `info` and
// `check` need no more); a hypervisor image is mapped, up to kMaxImageFileSize, and must be a
// regular file. A file past its limit (or with no end, like /dev/zero) is refused with a message
// naming the file and the limit; nothing past the limit is ever read.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "livepatch/abi.h"

namespace livepatch::tool::offline {

// The largest hypervisor image `check --against` reads (HypervisorImage::load passes it to
// ElfFile::open, which also refuses anything but a regular file): 256 MiB. Xen 4.17's xen-syms (with its
// debug information) is about 3 MiB and the hosted hypervisor's sanitizer build about 30 MiB.
constexpr uint64_t kMaxImageFileSize = 256ull << 20;

// Reads the payload file at `path` (a regular file or a device; a FIFO or socket is refused
// without waiting for a writer) into *bytes. At most kMaxPayloadSize + 1 bytes are read.
// Returns "" or the error:
//   "<path>: cannot open the payload file: <strerror>" (or "cannot read ...")
//   "<path>: not a regular file (a FIFO or socket, which can block forever): payload file refused"
//   "<path>: larger than the payload limit of 2097152 bytes (2 MiB, Xen's LIVEPATCH_MAX_SIZE)"
std::string read_payload_file(const std::string& path, std::vector<uint8_t>* bytes);

}  // namespace livepatch::tool::offline
