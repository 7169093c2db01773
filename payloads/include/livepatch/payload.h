/* Declarations for live-patch payload sources, built by livepatch-build (docs/livepatch-build.md).
 * C and C++ (gcc/g++), x86-64. Include it first in every payload source.
 *
 * A payload source holds replacement functions. Each has the same name and signature as the
 * hypervisor function it replaces and is followed by LIVEPATCH_REPLACE(name):
 *
 *     const char *xen_extra_version(void) { return "patched"; }
 *     LIVEPATCH_REPLACE(xen_extra_version);
 *
 * In C++, a replacement of a C-linkage hypervisor function must itself be declared extern "C"
 * (otherwise its symbol is a mangled name the hypervisor does not have). A function of C++
 * linkage is found by its mangled symbol.
 *
 * The macros emit Xen's payload records; livepatch-build completes them (old_size, new_size,
 * expectations, names of static targets) from the target hypervisor image and refuses what
 * cannot be patched safely. Do not fill the records by hand. */
#ifndef LIVEPATCH_PAYLOAD_H
#define LIVEPATCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Hypervisor symbols are reached directly (R_X86_64_PC32/PLT32), never through a GOT: payloads
 * are compiled -fpic, and hidden visibility on declarations too keeps every reference direct.
 * Left in force for the including file. */
#pragma GCC visibility push(hidden)

#ifdef __cplusplus
extern "C" {
#define LIVEPATCH_STATIC_ASSERT_(c, m) static_assert(c, m)
#else
#define LIVEPATCH_STATIC_ASSERT_(c, m) _Static_assert(c, m)
#endif

/* Opaque: the hypervisor's own record of the payload, passed to the pre/post/action hooks. */
typedef struct livepatch_payload livepatch_payload_t;

/* Expected bytes at the start of the patched function (Xen's struct livepatch_expectation).
 * flags: bit 0 enabled, bits 1-5 the length, bits 6-7 reserved (zero). Filled by
 * `livepatch-build --expect`. */
struct livepatch_expectation {
    uint8_t flags;
    uint8_t data[31];
};

/* One record of .livepatch.funcs (Xen's struct livepatch_func, version 2, 104 bytes). */
struct livepatch_func {
    const char *name;     /* the hypervisor function's name; "file#name" for a static */
    void *new_addr;       /* the replacement; 0 for a NOP patch */
    void *old_addr;       /* 0: the hypervisor resolves `name` */
    uint32_t new_size;    /* the replacement's size, or the NOP length */
    uint32_t old_size;    /* the hypervisor function's size (filled by livepatch-build) */
    uint8_t version;      /* 2 */
    uint8_t pad[39];      /* reserved, zero */
    struct livepatch_expectation expect;
};

LIVEPATCH_STATIC_ASSERT_(sizeof(struct livepatch_func) == 104, "livepatch_func v2 is 104 bytes");
LIVEPATCH_STATIC_ASSERT_(offsetof(struct livepatch_func, version) == 32, "version at 32");
LIVEPATCH_STATIC_ASSERT_(offsetof(struct livepatch_func, expect) == 72, "expect at 72");

/* Hook signatures (Xen 4.17's livepatch_payload.h). Load/unload hooks run inside the patching
 * window at APPLY and REVERT; pre hooks may veto an action by returning a negative errno; an
 * action hook replaces the action itself; post hooks run after it. */
typedef void livepatch_loadcall_t(void);
typedef void livepatch_unloadcall_t(void);
typedef int livepatch_precall_t(livepatch_payload_t *payload);
typedef int livepatch_actioncall_t(livepatch_payload_t *payload);
typedef void livepatch_postcall_t(livepatch_payload_t *payload);

#ifdef __cplusplus
}
#endif

/* --- implementation details (not for payload sources) ---------------------------------------- */
#define LIVEPATCH_CAT2_(a, b) a##b
#define LIVEPATCH_CAT_(a, b) LIVEPATCH_CAT2_(a, b)
#define LIVEPATCH_ID_(prefix, n) LIVEPATCH_CAT_(prefix, n)

#ifdef __cplusplus
#define LIVEPATCH_ADDR_(fn) (reinterpret_cast<void *>(&(fn)))
#else
#define LIVEPATCH_ADDR_(fn) ((void *)&(fn))
#endif

/* A record: its name string in .livepatch.strings (livepatch-build rewrites that section, e.g.
 * to give a static target its "file#name"), the record in .livepatch.funcs (writable, as Xen
 * 4.17.1-4.17.2 and 4.18.0 write into it). Every reserved byte is zero. */
#define LIVEPATCH_RECORD_(n, name_str, new_fn, new_sz)                                            \
    static const char LIVEPATCH_ID_(__livepatch_name_, n)[]                                       \
        __attribute__((section(".livepatch.strings"), used)) = name_str;                         \
    static struct livepatch_func LIVEPATCH_ID_(__livepatch_func_, n)                              \
        __attribute__((section(".livepatch.funcs"), used, aligned(8))) = {                       \
            LIVEPATCH_ID_(__livepatch_name_, n), new_fn, 0, (new_sz), 0, 2, {0}, {0, {0}}}

#define LIVEPATCH_HOOK_(n, section_name, type, fn)                                                 \
    static type *const LIVEPATCH_ID_(__livepatch_hook_, n)                                         \
        __attribute__((section(section_name), used, aligned(8))) = (fn)

#define LIVEPATCH_STR_(x) #x

/* --- function records ------------------------------------------------------------------------ */

/* Replaces hypervisor function `old_function` with the function of the same name defined above
 * in this source. The target is the hypervisor's global `old_function`, or else its only static
 * of that name ("file#old_function"). */
#define LIVEPATCH_REPLACE(old_function) \
    LIVEPATCH_RECORD_(__COUNTER__, #old_function, LIVEPATCH_ADDR_(old_function), 0)

/* As LIVEPATCH_REPLACE, for a static hypervisor function of source `file` (as the hypervisor's
 * symbol table names it, e.g. "common/sched.c"): the way to choose when several files have a
 * static of that name. */
#define LIVEPATCH_REPLACE_IN(file, old_function) \
    LIVEPATCH_RECORD_(__COUNTER__, file "#" #old_function, LIVEPATCH_ADDR_(old_function), 0)

/* NOPs out the first `nop_len` bytes of hypervisor function `old_function` (Xen: new_addr 0,
 * new_size nop_len; at most 31 bytes and at most the function's size). */
#define LIVEPATCH_NOP(old_function, nop_len) \
    LIVEPATCH_RECORD_(__COUNTER__, #old_function, 0, (nop_len))

/* As LIVEPATCH_NOP, for a static hypervisor function of source `file`. */
#define LIVEPATCH_NOP_IN(file, old_function, nop_len) \
    LIVEPATCH_RECORD_(__COUNTER__, file "#" #old_function, 0, (nop_len))

/* --- references to hypervisor statics -------------------------------------------------------- */

/* An asm label naming hypervisor static `name` of source `file`, for declarations of hypervisor
 * statics when the name alone is ambiguous:
 *     extern int pick_next(int) LIVEPATCH_STATIC_SYMBOL("common/sched.c", pick_next);
 * (An unambiguous static is found by its plain name: `extern int pick_next(int);` is enough.) */
#define LIVEPATCH_STATIC_SYMBOL(file, name) __asm__("\"" file "#" LIVEPATCH_STR_(name) "\"")

/* --- hooks ----------------------------------------------------------------------------------- */

/* void fn(void), run at APPLY (load) or REVERT (unload), inside the patching window. Several
 * are allowed; they run in source and link order. */
#define LIVEPATCH_LOAD_HOOK(fn) LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.load", livepatch_loadcall_t, fn)
#define LIVEPATCH_UNLOAD_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.unload", livepatch_unloadcall_t, fn)

/* int fn(livepatch_payload_t *): before APPLY / REVERT; a nonzero return vetoes the action. At
 * most one of each per payload. Payloads with pre or post hooks cannot be used with REPLACE. */
#define LIVEPATCH_PREAPPLY_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.preapply", livepatch_precall_t, fn)
#define LIVEPATCH_PREREVERT_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.prerevert", livepatch_precall_t, fn)

/* void fn(livepatch_payload_t *): after APPLY / REVERT. At most one of each per payload. */
#define LIVEPATCH_POSTAPPLY_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.postapply", livepatch_postcall_t, fn)
#define LIVEPATCH_POSTREVERT_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.postrevert", livepatch_postcall_t, fn)

/* int fn(livepatch_payload_t *): Xen's action hooks, run inside the patching window at APPLY /
 * REVERT in place of the default action (this engine still patches the records itself; see
 * docs/design.md, Deviations). A nonzero return fails the action. At most one of each. */
#define LIVEPATCH_APPLY_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.apply", livepatch_actioncall_t, fn)
#define LIVEPATCH_REVERT_HOOK(fn) \
    LIVEPATCH_HOOK_(__COUNTER__, ".livepatch.hooks.revert", livepatch_actioncall_t, fn)

#endif
