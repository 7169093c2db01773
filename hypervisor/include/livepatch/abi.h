// The hypercall ABI and the payload record ABI.
//
// The sysctl structures come from Xen's public headers (Debian's libxen-dev): they are included,
// never retyped. `struct livepatch_func` and `struct livepatch_expectation` are visible in those
// headers only to Xen itself (__XEN__), so the payload record is declared here, once, and pinned
// to the ABI by static_asserts on its size and every field offset.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif
#include <xen/xen.h>
#include <xen/sysctl.h>

#include <type_traits>

namespace livepatch {

// --- sysctl ABI pins (Xen 4.17, interface 0x15) ---------------------------------------------
static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl is 136 bytes");
static_assert(sizeof(struct xen_sysctl_livepatch_op) == 72, "livepatch_op is 72 bytes");
static_assert(sizeof(struct xen_livepatch_name) == 16);
static_assert(sizeof(struct xen_sysctl_livepatch_upload) == 32);
static_assert(sizeof(struct xen_sysctl_livepatch_get) == 24);
static_assert(sizeof(struct xen_sysctl_livepatch_list) == 64);
static_assert(sizeof(struct xen_sysctl_livepatch_action) == 32);
static_assert(XEN_SYSCTL_livepatch_op == 27);
static_assert(XEN_LIVEPATCH_NAME_SIZE == 128);

// The sysctl interface version this engine speaks (Xen 4.17 to 4.20).
constexpr uint32_t kSysctlInterfaceVersion = 0x15;

// Largest payload accepted by UPLOAD (Xen's LIVEPATCH_MAX_SIZE).
constexpr uint64_t kMaxPayloadSize = 2u * 1024 * 1024;

// Largest allocated writable NOBITS section (Xen's limit, equal to kMaxPayloadSize).
constexpr uint64_t kMaxBssSize = 2u * 1024 * 1024;

// Limit on e_shnum (Xen refuses 1024 or more sections).
constexpr uint32_t kMaxSections = 1024;

// --- payload record (.livepatch.funcs), version 2 -------------------------------------------
constexpr uint8_t kPayloadVersion = LIVEPATCH_PAYLOAD_VERSION;
static_assert(kPayloadVersion == 2);

// Bytes available for saved instructions, NOP patches and expectations.
constexpr uint32_t kOpaqueSize = 31;

// Expected bytes at the patch site, checked at APPLY and REPLACE.
struct livepatch_expectation {
    uint8_t flags;                 // bit 0 enabled, bits 1-5 len, bits 6-7 reserved (must be 0)
    uint8_t data[kOpaqueSize];

    bool enabled() const noexcept { return flags & 1u; }
    uint8_t len() const noexcept { return (flags >> 1) & 0x1fu; }
    uint8_t rsv() const noexcept { return (flags >> 6) & 0x3u; }
};

// One function replacement. Addresses are 64-bit in the payload on both x86-64 and arm64.
struct livepatch_func {
    uint64_t name;         // const char*: old function's name, used when old_addr is 0
    uint64_t new_addr;     // replacement function; 0 makes this a NOP patch
    uint64_t old_addr;     // function to patch; 0 means resolve `name`
    uint32_t new_size;     // replacement size, or the NOP byte count
    uint32_t old_size;     // size of the old function; must not be 0
    uint8_t version;       // must be kPayloadVersion
    uint8_t pad[39];       // reserved: Xen scratch bytes in some releases, zero-filled by builders
    livepatch_expectation expect;
};

static_assert(sizeof(livepatch_expectation) == 32);
static_assert(sizeof(livepatch_func) == 104, "struct livepatch_func v2 is 104 bytes");
static_assert(offsetof(livepatch_func, name) == 0);
static_assert(offsetof(livepatch_func, new_addr) == 8);
static_assert(offsetof(livepatch_func, old_addr) == 16);
static_assert(offsetof(livepatch_func, new_size) == 24);
static_assert(offsetof(livepatch_func, old_size) == 28);
static_assert(offsetof(livepatch_func, version) == 32);
static_assert(offsetof(livepatch_func, pad) == 33);
static_assert(offsetof(livepatch_func, expect) == 72);
static_assert(offsetof(livepatch_func, expect) + offsetof(livepatch_expectation, data) == 73);
static_assert(std::has_unique_object_representations_v<livepatch_func>);
static_assert(std::is_trivially_copyable_v<livepatch_func>);

// Build-id notes: ELF note type NT_GNU_BUILD_ID with name "GNU".
constexpr uint32_t kNoteTypeGnuBuildId = 3;

}  // namespace livepatch
