#!/usr/bin/env bash
# Regenerates the upload fuzzer's seed corpus (tests/fuzz/corpus/*.livepatch): small, real
# payloads built the way livepatch-build-tools builds them, all aimed at the test port's fake
# hypervisor (tests/support/test_port.cc), so that the seeds load and the fuzzer starts from
# inputs that reach every stage of the loader.
#
#   gcc -O2 -fpic ... -c seed.c           one tiny payload with a .livepatch.funcs record
#   ld -r --build-id=sha1                 gives it its own .note.gnu.build-id
#   objcopy --add-section                 .livepatch.depends and .livepatch.xen_depends notes
#                                         whose desc is TestHypervisor::default_build_id()
#
# Seeds (x86-64):
#   basic        replaces xen_extra_version (string in .rodata, PC32 relocations)
#   calls        three records (xen_extra_version, ibt_function (ENDBR64), a static
#                "common/sched.c#do_schedule"), calls printk (PLT32), reads xen_data_object,
#                has .data/.bss (not safe to reapply) and a new global symbol
#   hooks        .livepatch.hooks.load/.unload arrays, preapply/postrevert action hooks, and a
#                record replacing printk
#   nop          a NOP patch of tiny_function with an expectation, and .modinfo
#   special      .altinstructions/.altinstr_replacement, .ex_table and .bug_frames.0 entries
#   *-twice      copies with bit 0 of e_ident byte 15 set: the fuzzer loads them twice (see
#                upload_fuzzer.cc); nop-twice without local symbols
#
# Usage: tests/fuzz/make-seeds.sh [OUTPUT_DIR]   (default tests/fuzz/corpus)
# Needs gcc, ld and objcopy (binutils). Output is deterministic for a given toolchain.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$root/tests/fuzz/corpus}
CC=${CC:-gcc}
CFLAGS="-O2 -fpic -fvisibility=hidden -mno-red-zone -ffunction-sections -fdata-sections -fno-stack-protector \
-fno-common -fcf-protection=none -fno-asynchronous-unwind-tables -Wall -Wextra -Werror"

if [ "$(uname -m)" != x86_64 ]; then
    echo "make-seeds.sh: the seeds are x86-64 payloads; run on an x86-64 host" >&2
    exit 1
fi

# TestHypervisor::default_build_id() in tests/support/test_port.cc.
HV_BUILD_ID=5e1f703d0b2a4491c86e13f427889a0cd1653be2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lp-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# le32 N: N as 4 little-endian bytes, in printf escapes.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# The NT_GNU_BUILD_ID note naming the test hypervisor: namesz 4, descsz 20, type 3, "GNU\0", id.
id_escaped=$(sed 's/../\\x&/g' <<<"$HV_BUILD_ID")
printf "$(le32 4)$(le32 $((${#HV_BUILD_ID} / 2)))$(le32 3)GNU\\x00${id_escaped}" >"$tmp/hv-build-id.note"
[ "$(stat -c %s "$tmp/hv-build-id.note")" = 36 ] || { echo "make-seeds.sh: bad note size" >&2; exit 1; }

# Shared by every seed: struct livepatch_func v2 (104 bytes, hypervisor/include/livepatch/abi.h).
cat >"$tmp/seed.h" <<'H'
#pragma GCC visibility push(hidden)
#include <stdint.h>

struct livepatch_expectation {
    uint8_t flags; /* bit 0 enabled, bits 1-5 length */
    uint8_t data[31];
};

struct livepatch_func {
    const char *name;
    void *new_addr;
    void *old_addr;
    uint32_t new_size;
    uint32_t old_size;
    uint8_t version;
    uint8_t pad[39];
    struct livepatch_expectation expect;
};
_Static_assert(sizeof(struct livepatch_func) == 104, "struct livepatch_func v2 is 104 bytes");
_Static_assert(__builtin_offsetof(struct livepatch_func, version) == 32, "version at 32");
_Static_assert(__builtin_offsetof(struct livepatch_func, expect) == 72, "expect at 72");

#define LIVEPATCH_FUNCS __attribute__((section(".livepatch.funcs"), used, aligned(8)))
#define LIVEPATCH_HOOK(kind) __attribute__((section(".livepatch.hooks." #kind), used, aligned(8)))
H

cat >"$tmp/basic.c" <<'C'
#include "seed.h"

const char *seed_basic_extra_version(void)
{
    return "-livepatched";
}

static struct livepatch_func seed_basic_funcs[] LIVEPATCH_FUNCS = {
    {
        .name = "xen_extra_version",
        .new_addr = seed_basic_extra_version,
        .old_addr = 0,
        .new_size = 8,
        .old_size = 64,
        .version = 2,
    },
};
C

cat >"$tmp/calls.c" <<'C'
#include "seed.h"

extern void printk(const char *fmt, ...);
extern unsigned long xen_data_object;

static unsigned long seed_calls_count;          /* .bss */
static unsigned long seed_calls_last = 0x1234;  /* .data */

unsigned long seed_calls_new_helper(unsigned long v)
{
    seed_calls_count++;
    seed_calls_last = v ^ xen_data_object;
    return seed_calls_last;
}

const char *seed_calls_extra_version(void)
{
    printk("seed: extra version %lu\n", seed_calls_new_helper(seed_calls_count));
    return "-calls";
}

int seed_calls_ibt_function(void)
{
    return (int)seed_calls_new_helper(2);
}

void seed_calls_do_schedule(void)
{
    printk("seed: schedule %lu\n", xen_data_object);
}

static struct livepatch_func seed_calls_funcs[] LIVEPATCH_FUNCS = {
    { .name = "xen_extra_version", .new_addr = seed_calls_extra_version, .new_size = 32, .old_size = 64, .version = 2 },
    { .name = "ibt_function", .new_addr = seed_calls_ibt_function, .new_size = 16, .old_size = 64, .version = 2 },
    { .name = "common/sched.c#do_schedule", .new_addr = seed_calls_do_schedule, .new_size = 16, .old_size = 64,
      .version = 2 },
};
C

cat >"$tmp/hooks.c" <<'C'
#include "seed.h"

extern void printk(const char *fmt, ...);

static int seed_hooks_state;

static void seed_hooks_load_a(void) { seed_hooks_state |= 1; }
static void seed_hooks_load_b(void) { seed_hooks_state |= 2; }
static void seed_hooks_unload(void) { seed_hooks_state = 0; }
static void seed_hooks_preapply(void) { printk("seed: preapply %d\n", seed_hooks_state); }
static void seed_hooks_postrevert(void) { printk("seed: postrevert %d\n", seed_hooks_state); }

/* A replacement printk that drops messages while the hooks run. */
void seed_hooks_quiet_printk(const char *fmt, ...)
{
    seed_hooks_state |= fmt ? 4 : 8;
}

static struct livepatch_func seed_hooks_funcs[] LIVEPATCH_FUNCS = {
    { .name = "printk", .new_addr = seed_hooks_quiet_printk, .new_size = 16, .old_size = 32, .version = 2 },
};

typedef void (*seed_hook_t)(void);
static seed_hook_t const seed_load_hooks[] LIVEPATCH_HOOK(load) = { seed_hooks_load_a, seed_hooks_load_b };
static seed_hook_t const seed_unload_hooks[] LIVEPATCH_HOOK(unload) = { seed_hooks_unload };
static seed_hook_t const seed_preapply_hook LIVEPATCH_HOOK(preapply) = seed_hooks_preapply;
static seed_hook_t const seed_postrevert_hook LIVEPATCH_HOOK(postrevert) = seed_hooks_postrevert;
C

cat >"$tmp/nop.c" <<'C'
#include "seed.h"

static struct livepatch_func seed_nop_funcs[] LIVEPATCH_FUNCS = {
    {
        .name = "tiny_function",
        .new_addr = 0, /* NOP patch: new_size bytes of NOPs at the old function */
        .new_size = 4,
        .old_size = 4,
        .version = 2,
        .expect = { .flags = 1 | (4 << 1), .data = { 0xc3, 0xc3, 0xc3, 0xc3 } },
    },
};

static const char seed_nop_modinfo[] __attribute__((section(".modinfo"), used)) =
    "version=1\0license=GPL\0description=fuzz seed: NOP patch";
C

cat >"$tmp/special.c" <<'C'
#include "seed.h"

/* An instruction in .text with an alternative, an exception-table fixup and a bug frame. */
__asm__(
    ".pushsection .text, \"ax\", @progbits\n"
    ".Lseed_orig:\n"
    "    .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n" /* 5-byte NOP */
    ".Lseed_fixup:\n"
    "    ret\n"
    ".popsection\n"
    ".pushsection .altinstr_replacement, \"ax\", @progbits\n"
    ".Lseed_repl:\n"
    "    .byte 0x0f, 0x1f, 0x00\n" /* 3-byte NOP */
    ".popsection\n"
    ".pushsection .altinstructions, \"a\", @progbits\n"
    "    .long .Lseed_orig - .\n"
    "    .long .Lseed_repl - .\n"
    "    .word 0\n"          /* cpuid feature */
    "    .byte 5, 3, 2, 0\n" /* orig_len, repl_len, pad_len, priv */
    ".popsection\n"
    ".pushsection .ex_table, \"a\", @progbits\n"
    "    .balign 4\n"
    "    .long .Lseed_orig - ., .Lseed_fixup - .\n"
    ".popsection\n"
    ".pushsection .bug_frames.0, \"a\", @progbits\n"
    "    .balign 4\n"
    "    .long .Lseed_orig - ., 0\n"
    ".popsection\n");

const char *seed_special_extra_version(void)
{
    return "-special";
}

static struct livepatch_func seed_special_funcs[] LIVEPATCH_FUNCS = {
    { .name = "xen_extra_version", .new_addr = seed_special_extra_version, .new_size = 8, .old_size = 64,
      .version = 2 },
};
C

mkdir -p "$out"
for name in basic calls hooks nop special; do
    $CC $CFLAGS -I"$tmp" -c "$tmp/$name.c" -o "$tmp/$name.o"
    ld -r --build-id=sha1 -o "$tmp/$name.linked.o" "$tmp/$name.o"
    objcopy --remove-section .comment --remove-section .note.GNU-stack \
        --add-section .livepatch.depends="$tmp/hv-build-id.note" \
        --set-section-flags .livepatch.depends=alloc,readonly \
        --add-section .livepatch.xen_depends="$tmp/hv-build-id.note" \
        --set-section-flags .livepatch.xen_depends=alloc,readonly \
        "$tmp/$name.linked.o" "$out/$name.livepatch"
done

# Variants that the fuzzer loads twice (cross-payload checks): bit 0 of e_ident byte 15.
# nop-twice has its local symbols stripped, so that it defines no new symbol: its altered copy
# passes the new-symbol check too and loads next to the first (two payloads patching the same
# function), where the others' copies stop at a duplicate new symbol (-EEXIST).
for name in basic calls nop; do
    cp "$out/$name.livepatch" "$out/$name-twice.livepatch"
done
objcopy --strip-unneeded "$out/nop.livepatch" "$out/nop-twice.livepatch"
for name in basic calls nop; do
    printf '\x01' | dd of="$out/$name-twice.livepatch" bs=1 seek=15 conv=notrunc status=none
done

total=0
for f in "$out"/*.livepatch; do
    size=$(stat -c %s "$f")
    total=$((total + size))
    if [ "$size" -ge 16384 ]; then
        echo "make-seeds.sh: $f is $size bytes (limit 16 KiB)" >&2
        exit 1
    fi
done
if [ "$total" -ge 307200 ]; then
    echo "make-seeds.sh: corpus is $total bytes (limit 300 KiB)" >&2
    exit 1
fi
echo "make-seeds.sh: $(ls "$out"/*.livepatch | wc -l) seeds, $total bytes in $out"
