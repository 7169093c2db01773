#!/usr/bin/env bash
# Self-test of scripts/check-freestanding.sh: proves the freestanding check can fail.
#
# Compiles tiny C++ objects with the core's flags, links each one with a clean object using
# `ld -r` (as the Makefile links the core), and asserts that the check accepts the clean object
# and rejects every offender, naming the offending symbol or section in its message.
#
# `throw` and `typeid` do not compile under -fno-exceptions / -fno-rtti, so those two offenders
# model a core file built with the flag dropped (-fexceptions / -frtti replace it); likewise the
# thread-safe-static and stack-protector cases re-enable what the core flags turn off.
#
# Environment: CXX (default g++) and CORE_FLAGS (default: the Makefile's core flags at -O2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
check="$root/scripts/check-freestanding.sh"
CXX=${CXX:-g++}
CORE_FLAGS=${CORE_FLAGS:-"-std=gnu++20 -Wall -Wextra -Werror -g -ffreestanding -fno-exceptions -fno-rtti \
-fno-threadsafe-statics -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
-Ihypervisor/include -Ihypervisor -Ihypervisor/arch/x86_64 -O2"}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/freestanding-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok    $1"; }
bad() { failed=$((failed + 1)); echo "  FAIL  $1"; [ -z "${2:-}" ] || sed 's/^/        | /' <<<"$2"; }

# compile NAME EXTRA_FLAGS: $tmp/NAME.cc -> $tmp/NAME.o with the core flags, where each flag in
# EXTRA_FLAGS of the form -fX replaces -fno-X (and vice versa) and other flags are appended.
compile() {
    local name=$1 extra=$2 flags=" $CORE_FLAGS " f
    for f in $extra; do
        case $f in
        -fno-*) flags=${flags// -f${f#-fno-} / } ;;
        -f*) flags=${flags// -fno-${f#-f} / } ;;
        esac
        flags="$flags $f"
    done
    # shellcheck disable=SC2086
    $CXX $flags -c "$tmp/$name.cc" -o "$tmp/$name.o"
}

# The clean object: uses the port, mem* functions, placement new, templates, a lambda, a
# function-local static (no guard: -fno-threadsafe-statics) and a class with virtual functions
# (vtable without typeinfo: -fno-rtti).
cat >"$tmp/clean.cc" <<'CC'
#include <stddef.h>
#include <string.h>
#include <new>
#include <utility>
#include "livepatch/port.h"

namespace selftest {
struct Base {
    virtual ~Base() = default;
    virtual int get() const noexcept { return 1; }
    static void operator delete(void* p) noexcept { livepatch::port::free(p); }
};
struct Derived : Base {
    int v = 7;
    int get() const noexcept override { return v; }
};
template <class T>
T* make() noexcept {
    void* mem = livepatch::port::zalloc(sizeof(T), alignof(T));
    return mem ? new (mem) T() : nullptr;
}
int use(Base* b) noexcept { return b ? b->get() : 0; }
int run(char* dst, const char* src, size_t n) noexcept {
    static int calls = 0;
    memcpy(dst, src, n);
    memset(dst + n, 0, n);
    memmove(dst + 1, dst, n);
    Derived* d = make<Derived>();
    int r = use(d) + memcmp(dst, src, n) + ++calls;
    auto sq = [](int x) { return x * x; };
    int a = r, b = 2;
    std::swap(a, b);
    livepatch::port::log(livepatch::port::LogLevel::info, "selftest");
    delete d;
    return sq(a) + b;
}
}  // namespace selftest
CC

# name|extra flags|expected message fragments (;-separated)|source
cases=(
"malloc||undefined symbol not in the port interface: malloc|
#include <stddef.h>
extern \"C\" void* malloc(size_t);
extern \"C\" void free(void*);
void* get(size_t n) { return malloc(n); }
void put(void* p) { free(p); }"

"new||global operator new;global operator delete;operator new(unsigned long)|
struct S { int x; };
S* make() { return new S{1}; }
void drop(S* s) { delete s; }"

"throw|-fexceptions|__cxa_throw;__cxa_allocate_exception;RTTI typeinfo: typeinfo for int;exception personality routine;.gcc_except_table;exception-handling CIEs|
int thrower(int x) { if (x > 3) throw 42; return x; }
int catcher(int x) { try { return thrower(x); } catch (int e) { return -e; } }"

"typeid|-frtti|RTTI typeinfo: typeinfo for Shape;RTTI typeinfo name: typeinfo name for Shape;RTTI class vtable (__cxxabiv1);references RTTI typeinfo: typeinfo for int|
#include <typeinfo>
struct Shape { virtual int sides() const; };
int Shape::sides() const { return 0; }
const char* kind(const Shape& s) { return typeid(s).name(); }
bool is_int_type(const std::type_info& t) { return t == typeid(int); }"

"guard|-fthreadsafe-statics|C++ ABI runtime (__cxa_*): __cxa_guard_acquire;__cxa_guard_release|
#include <stddef.h>
#include \"livepatch/port.h\"
void* shared() { static void* p = livepatch::port::zalloc(64, 8); return p; }"

"stackprot|-fstack-protector-all|stack protector runtime: __stack_chk_fail|
int fill(char* buf, int n);
int sum() { char buf[64]; int t = fill(buf, sizeof(buf)); for (char c : buf) t += c; return t; }"

"std|-fno-builtin|C++ standard library (std::): std::lp_selftest_helper(int);C++ standard library (std::): std::LpSelftest::f()|
namespace std {
int lp_selftest_helper(int x) { return x + 1; }
struct LpSelftest { int f(); };
int LpSelftest::f() { return 2; }
}"

"near-miss-namespace||livepatch::port_ext::zalloc(unsigned long);livepatch::zalloc(unsigned long);livepatch::portable::x()|
#include <stddef.h>
namespace livepatch { void* zalloc(size_t) noexcept; }
namespace livepatch::port_ext { void* zalloc(size_t) noexcept; }
namespace livepatch::portable { int x() noexcept; }
void* a() { return livepatch::zalloc(8); }
void* b() { return livepatch::port_ext::zalloc(8); }
int c() { return livepatch::portable::x(); }"

"weak-undefined||undefined symbol not in the port interface: optional_hook|
extern \"C\" void optional_hook() __attribute__((weak));
void maybe() { if (optional_hook) optional_hook(); }"

"strlen||undefined symbol not in the port interface: strlen|
#include <string.h>
size_t len(const char* s) { return strlen(s); }"
)

echo "== check-freestanding self-test ($CXX)"
compile clean ""

# The clean object alone and linked with a second clean object (ld -r, as the Makefile does).
sed 's/namespace selftest/namespace selftest2/' "$tmp/clean.cc" >"$tmp/clean2.cc"
compile clean2 ""
ld -r -o "$tmp/clean-linked.o" "$tmp/clean.o" "$tmp/clean2.o"
for o in clean clean-linked; do
    if out=$(bash "$check" "$tmp/$o.o" 2>&1) && grep -q 'OK: .* undefined symbols, all allowed' <<<"$out"; then
        ok "accepts $o: ${out#*OK: }"
    else
        bad "rejected the clean object $o" "$out"
    fi
done
# The clean object really exercises the allow-list.
u=$(nm -u "$tmp/clean-linked.o")
for s in memcpy memset memmove memcmp _ZN9livepatch4port6zallocEmm _ZN9livepatch4port4freeEPv; do
    grep -qw "$s" <<<"$u" || bad "clean object does not reference $s (self-test is weaker than intended)"
done

for c in "${cases[@]}"; do
    IFS='|' read -r name extra expect _ <<<"$(head -n1 <<<"$c")"
    src=${c#*|*|*|}
    printf '%s\n' "$src" >"$tmp/$name.cc"
    if ! compile "$name" "$extra" 2>"$tmp/$name.err"; then
        bad "$name: the offending object does not compile" "$(cat "$tmp/$name.err")"
        continue
    fi
    ld -r -o "$tmp/$name-linked.o" "$tmp/clean.o" "$tmp/$name.o"
    set +e
    out=$(bash "$check" "$tmp/$name-linked.o" 2>&1)
    rc=$?
    set -e
    if [ $rc -ne 1 ]; then
        bad "$name: expected exit status 1, got $rc" "$out"
        continue
    fi
    missing=
    IFS=';' read -ra frags <<<"$expect"
    for f in "${frags[@]}"; do
        grep -qF -- "$f" <<<"$out" || missing="$missing [$f]"
    done
    if [ -n "$missing" ]; then
        bad "$name: rejected, but the message lacks:$missing" "$out"
    else
        ok "rejects $name ($(grep -c '^  ' <<<"$out") offender line(s))"
    fi
done

# Usage errors are not successes.
set +e
bash "$check" "$tmp/does-not-exist.o" >/dev/null 2>&1; rc1=$?
bash "$check" >/dev/null 2>&1; rc2=$?
printf 'not an object\n' >"$tmp/text.o"
bash "$check" "$tmp/text.o" >/dev/null 2>&1; rc3=$?
set -e
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ]; then
    ok "usage errors exit 2 (missing file, no argument, not ELF)"
else
    bad "usage errors: exit statuses $rc1 $rc2 $rc3, expected 2 2 2"
fi

echo "== check-freestanding self-test: $passed passed, $failed failed"
[ $failed -eq 0 ]
