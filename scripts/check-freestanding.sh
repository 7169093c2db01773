#!/usr/bin/env bash
# check-freestanding.sh OBJECT
#
# Checks that OBJECT (the engine core linked into one relocatable object with `ld -r`) is
# freestanding: it may reference nothing but the port interface (namespace livepatch::port) and
# memcpy/memset/memmove/memcmp, and it must neither reference nor define any part of C++
# exceptions, RTTI or the C++ runtime:
#
#   undefined symbols   only livepatch::port::* and memcpy, memset, memmove, memcmp
#   any symbol          _ZTI* (typeinfo), _ZTS* (typeinfo name), _ZTVN10__cxxabiv1* (RTTI
#                       vtables), __cxa_*, __gxx_personality*, _Unwind_*, operator new/delete
#                       (_Znwm*, _Znam*, _ZdlPv*, _ZdaPv*), std:: symbols, __stack_chk_*
#   sections            .gcc_except_table (exception tables); .eh_frame whose CIEs name a
#                       personality routine or an LSDA (augmentation P or L)
#
# Exits 0 with a one-line summary when the object passes; otherwise prints every offender and
# exits 1 (2 for usage errors or an unreadable object). Uses binutils only (nm, readelf, c++filt).
set -euo pipefail

prog=check-freestanding
if [ $# -ne 1 ]; then
    echo "usage: $0 OBJECT" >&2
    exit 2
fi
obj=$1
if [ ! -f "$obj" ]; then
    echo "$prog: $obj: no such file" >&2
    exit 2
fi
if ! type_line=$(LC_ALL=C readelf -h "$obj" 2>/dev/null | grep -E '^[[:space:]]*Type:'); then
    echo "$prog: $obj: not an ELF file" >&2
    exit 2
fi
case $type_line in
*REL*) ;;
*)
    echo "$prog: $obj: not a relocatable object (${type_line#*:})" >&2
    exit 2
    ;;
esac

for tool in nm readelf c++filt; do
    command -v "$tool" >/dev/null || { echo "$prog: $tool (binutils) is required" >&2; exit 2; }
done

# Every symbol of the symbol table, mangled: "NAME TYPE [VALUE SIZE]" (POSIX format).
all_syms=$(LC_ALL=C nm -P --no-demangle "$obj")
# Undefined ones (U, and weak undefined w/v).
undef_syms=$(LC_ALL=C nm -P --no-demangle --undefined-only "$obj" | awk '{print $1}' | LC_ALL=C sort -u)

failures=()
fail() { failures+=("$1"); }

demangle() { c++filt <<<"$1"; }
# "demangled [mangled]", or just the name when it is not mangled.
describe() {
    local dem
    dem=$(demangle "$1")
    if [ "$dem" != "$1" ]; then echo "$dem [$1]"; else echo "$1"; fi
}

# A mangled name is in namespace std when its first component is St (std::), or one of the
# standard substitutions Sa/Sb/Ss/Si/So/Sd (std::allocator, basic_string, string, istream,
# ostream, iostream), possibly inside a nested name (N with cv/ref qualifiers) or after a
# special-name prefix (vtable/typeinfo/guard variable/thread-local wrapper...).
std_re='^_Z(T[VTISHW]|GV|GR|TC|Th|Tv)?(N[rVKRO]*)?S[tabsiod]'

# Why SYMBOL belongs to exceptions, RTTI or the C++ runtime; empty when it does not.
runtime_reason() {
    case $1 in
    _ZTI*) echo "RTTI typeinfo" ;;
    _ZTS*) echo "RTTI typeinfo name" ;;
    _ZTVN10__cxxabiv1*) echo "RTTI class vtable (__cxxabiv1)" ;;
    __cxa_*) echo "C++ ABI runtime (__cxa_*)" ;;
    __gxx_personality*) echo "exception personality routine" ;;
    _Unwind_*) echo "unwinder (_Unwind_*)" ;;
    _Znwm* | _Znam* | _Znwj* | _Znaj*) echo "global operator new" ;;
    _ZdlPv* | _ZdaPv*) echo "global operator delete" ;;
    __stack_chk_*) echo "stack protector runtime" ;;
    *) if [[ $1 =~ $std_re ]]; then echo "C++ standard library (std::)"; fi ;;
    esac
}

# --- 1. undefined symbols ---------------------------------------------------------------------
n_undef=0
n_port=0
n_mem=0
while IFS= read -r sym; do
    [ -n "$sym" ] || continue
    n_undef=$((n_undef + 1))
    case $sym in
    memcpy | memset | memmove | memcmp)
        n_mem=$((n_mem + 1))
        continue
        ;;
    esac
    dem=$(demangle "$sym")
    if [[ $dem == livepatch::port::* ]] && [ -z "$(runtime_reason "$sym")" ]; then
        n_port=$((n_port + 1))
        continue
    fi
    # Runtime symbols are reported once, by the check below, with what they belong to.
    [ -n "$(runtime_reason "$sym")" ] && continue
    fail "undefined symbol not in the port interface: $(describe "$sym")"
done <<<"$undef_syms"

# --- 2. exceptions, RTTI and C++ runtime, defined or referenced -------------------------------
while IFS= read -r line; do
    [ -n "$line" ] || continue
    sym=${line%% *}
    rest=${line#* }
    kind=${rest%% *}
    if [ "$kind" = U ] || [ "$kind" = w ] || [ "$kind" = v ]; then
        how=references
    else
        how=defines
    fi
    reason=$(runtime_reason "$sym")
    if [ -n "$reason" ]; then
        fail "$how $reason: $(describe "$sym")"
    fi
done <<<"$all_syms"

# --- 3. exception sections --------------------------------------------------------------------
sections=$(LC_ALL=C readelf -S -W "$obj" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p')
if grep -qx '\.gcc_except_table.*' <<<"$sections"; then
    fail "has exception tables: section(s) $(grep -x '\.gcc_except_table.*' <<<"$sections" | paste -sd' ')"
fi
if grep -qx '\.eh_frame' <<<"$sections"; then
    # Plain unwind information (augmentation "zR") is harmless; a CIE that names a personality
    # routine (P) or says FDEs carry an LSDA pointer (L) exists only for exception handling.
    aug=$(LC_ALL=C readelf --debug-dump=frames "$obj" 2>/dev/null | sed -n 's/^ *Augmentation: *"\(.*\)"/\1/p' |
          LC_ALL=C sort -u)
    if grep -q '[PL]' <<<"$aug"; then
        fail "has .eh_frame with exception-handling CIEs (augmentation: $(paste -sd' ' <<<"$aug"))"
    else
        echo "$prog: note: $obj has a .eh_frame section (unwind tables only, no personality/LSDA)" >&2
    fi
fi

# --- verdict ----------------------------------------------------------------------------------
if [ ${#failures[@]} -ne 0 ]; then
    echo "$prog: FAIL: $obj is not freestanding (${#failures[@]} problem(s)):" >&2
    for f in "${failures[@]}"; do
        echo "  $f" >&2
    done
    echo "$prog: allowed undefined symbols: livepatch::port::*, memcpy, memset, memmove, memcmp" >&2
    exit 1
fi

echo "$prog: OK: $obj: $n_undef undefined symbols, all allowed ($n_port port, $n_mem mem*); no exceptions, RTTI or C++ runtime"
