// The upload path: turns untrusted ELF bytes into a checked, relocated, protected Payload.
//
// Stages, in Xen's order (common/livepatch.c load_payload_data) except that the build-id notes
// are checked before the function records, as Xen 4.20 does (docs/design.md, Deviations): ELF
// checks (ElfView), layout and copy into RX/RW/RO regions, symbol resolution, relocation,
// required and patching sections, build-id notes, function records, hooks, special sections,
// the payload symbol table, and finally region permissions. Every failure returns the errno Xen returns for it, logs one line
// through the port naming the payload and the section or symbol at fault, and frees everything
// allocated so far: a rejected upload leaves no memory and no state behind.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/payload/payload.h"
#include "core/payload/payload_list.h"
#include "core/support/owned.h"
#include "livepatch/result.h"
#include "livepatch/span.h"

namespace livepatch {

// Loads `file` as payload `name` against the hypervisor (through the port) and the payloads in
// `loaded`. Checks that need other payloads (unique build-id, unique new symbols, overlapping
// targets) use `loaded`; the new payload is NOT added to it. Does not check the payload name
// (the sysctl layer does) or duplicate names.
Result<Owned<Payload>> load_payload(const char* name, Bytes file, const PayloadList& loaded) noexcept;

}  // namespace livepatch
