// Xen errno values as a typed enum. The values come from Xen's public <xen/errno.h>, so every
// error the engine reports is the number a Xen toolstack expects in rc or errno.
#pragma once

#include <stdint.h>

namespace livepatch {

enum class Errc : int32_t {
    ok = 0,
#define XEN_ERRNO(name, value) k##name = value,  // kEINVAL, kENOENT, ... (the libc macros own the bare names)
#include <xen/errno.h>
};

// The errno's symbolic name ("EINVAL"); "E?" for a value Xen does not define. Never null.
const char* errc_name(Errc e) noexcept;

// Xen's convention on the wire: a negative errno, 0 for success.
constexpr int32_t to_xen_rc(Errc e) noexcept { return -static_cast<int32_t>(e); }

}  // namespace livepatch
