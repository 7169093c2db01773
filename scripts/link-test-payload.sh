#!/usr/bin/env bash
# Links a test payload against one hypervisor image: `ld -r` of the compiled object with a
# build-id of its own, then .livepatch.xen_depends naming the image's build-id and
# .livepatch.depends naming the image as well or, with --on, the payload it stacks on.
#
# usage: link-test-payload.sh [--on PAYLOAD] [--ld-script FILE] IMAGE OBJECT OUTPUT
# LD and OBJCOPY name the linker and objcopy (default: the host's ld and objcopy).
set -euo pipefail

on="" script=()
while [ $# -gt 3 ]; do
    case "$1" in
    --on) on=$2; shift 2 ;;
    --ld-script) script=(-T "$2"); shift 2 ;;
    *) echo "link-test-payload.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ $# -eq 3 ] || { echo "usage: link-test-payload.sh [--on PAYLOAD] [--ld-script FILE] IMAGE OBJECT OUTPUT" >&2; exit 2; }
image=$1 object=$2 out=$3
here=$(dirname "$0")

# The build-id of an ELF file's own .note.gnu.build-id (a payload also carries depends notes).
own_build_id() {
    local id
    id=$(readelf -n "$1" | awk '/found in: .note.gnu.build-id/ {own = 1} own && /Build ID:/ {print $3; exit}')
    [ -n "$id" ] || { echo "link-test-payload.sh: $1 has no .note.gnu.build-id" >&2; exit 1; }
    echo "$id"
}

# Plain assignments, so that set -e stops the script when a build-id is missing.
xen_id=$(own_build_id "$image")
dep_id=$(own_build_id "${on:-$image}")
trap 'rm -f "$out.tmp" "$out.note" "$out.xen-note"' EXIT
trap 'rm -f "$out"' ERR
python3 "$here/make-build-id-note.py" "$xen_id" "$out.xen-note"
python3 "$here/make-build-id-note.py" "$dep_id" "$out.note"
"${LD:-ld}" -r --build-id=sha1 "${script[@]}" -o "$out.tmp" "$object"
"${OBJCOPY:-objcopy}" --add-section .livepatch.depends="$out.note" --set-section-flags .livepatch.depends=alloc,readonly \
    --add-section .livepatch.xen_depends="$out.xen-note" --set-section-flags .livepatch.xen_depends=alloc,readonly \
    "$out.tmp" "$out"
