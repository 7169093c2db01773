#!/usr/bin/env bash
# Regenerates the seeds of the offline fuzzers (tests/fuzz/fuzz.mk):
#   tests/fuzz/image-corpus/  small hypervisor images for image-fuzzer (`check --against`):
#     xen-like      ET_EXEC linked at Xen's x86-64 address, build-id, a static (version.c#helper),
#                   .text/.rodata/.eh_frame/.bss
#     nmagic        the same code linked at 0x400000 with `ld -n` (no page padding), no build-id
#     wrap          nmagic with .rodata's sh_addr 2^64 - 2: sh_addr + sh_size wraps
#     entsize       nmagic with the symbol table's sh_entsize 0
#   tests/fuzz/info-corpus/   hostile payloads for info-fuzzer (its other seeds are
#                             tests/fuzz/corpus, the upload fuzzer's):
#     nobits-hooks  hooks.livepatch with .livepatch.hooks.load SHT_NOBITS of sh_size 2^60
#     entsize       basic.livepatch with the symbol table's sh_entsize 1
#
# Usage: tests/fuzz/make-offline-seeds.sh   (needs gcc, ld, python3; run after make-seeds.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
images=$root/tests/fuzz/image-corpus
infos=$root/tests/fuzz/info-corpus
mkdir -p "$images" "$infos"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/version.c" <<'SRC'
static const char extra[] = "-fake";
static int __attribute__((noinline, used)) helper(int x) { return x * 7; }
const char *xen_extra_version(void) { return extra + helper(0); }
long do_compute(long x) { return 2 * x + 1; }
int counter;
void _start(void) { for (;;) ; }
SRC
gcc -O2 -fpic -fvisibility=hidden -fcf-protection=none -ffreestanding -g0 -c "$tmp/version.c" -o "$tmp/version.o"
ld -static -nostdlib --build-id=sha1 -Ttext-segment=0xffff82d040200000 -z max-page-size=4096 -e _start \
   -o "$images/xen-like" "$tmp/version.o"
ld -static -nostdlib -n -Ttext=0x400000 -e _start -o "$images/nmagic" "$tmp/version.o"

# patch IN OUT SECTION FIELD VALUE: sets one field of one section header of an ELF64 LE file.
patch() {
    python3 - "$@" <<'PY'
import struct, sys
src, dst, name, field, value = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5], 0)
b = bytearray(open(src, 'rb').read())
shoff, = struct.unpack_from('<Q', b, 0x28)
shnum, shstrndx = struct.unpack_from('<HH', b, 0x3c)
fields = {'type': (4, '<I'), 'addr': (16, '<Q'), 'size': (32, '<Q'), 'entsize': (56, '<Q')}
stroff, = struct.unpack_from('<Q', b, shoff + 64 * shstrndx + 24)
for i in range(shnum):
    h = shoff + 64 * i
    nm, = struct.unpack_from('<I', b, h)
    end = b.index(0, stroff + nm)
    if b[stroff + nm:end].decode() == name:
        off, fmt = fields[field]
        struct.pack_into(fmt, b, h + off, value)
        open(dst, 'wb').write(b)
        sys.exit(0)
sys.exit('no section ' + name)
PY
}
patch "$images/nmagic" "$images/wrap" .rodata addr 0xfffffffffffffffe
patch "$images/nmagic" "$images/entsize" .symtab entsize 0
patch "$root/tests/fuzz/corpus/hooks.livepatch" "$tmp/h1" .livepatch.hooks.load type 8
patch "$tmp/h1" "$infos/nobits-hooks" .livepatch.hooks.load size 0x1000000000000000
patch "$root/tests/fuzz/corpus/basic.livepatch" "$infos/entsize" .symtab entsize 1
ls -l "$images" "$infos"
