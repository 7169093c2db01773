#!/usr/bin/env bash
# Builds the nested test machine's dom0 initramfs.
#
#   stage-dom0.sh <pkgroot> <our-xen-livepatch> <payload-dir> <test-dir> <out.cpio.gz>
#
# <pkgroot> is what fetch-packages.sh unpacked. The initramfs holds:
#   /init                    tests/nested/dom0/init
#   /bin/busybox             from busybox-static (its applets are linked at boot)
#   /lib/modules/*.ko        the dom0 kernel's Xen drivers (privcmd, xenfs, evtchn, gntdev, gntalloc)
#   /opt/xen/                Xen's own xen-livepatch, xl, xenstored, xen-init-dom0
#   /opt/ours/xen-livepatch  this project's tool
#   /usr/sbin/               xen-livepatch (this project's) and xl, on PATH
#   /lib/x86_64-linux-gnu/   every shared library those need (Xen's from the packages, the rest
#                            from this Debian 12 host: the same release dom0 runs), /lib64 the loader
#   /payloads/               every file of <payload-dir>
#   /test/                   every file of <test-dir>; /test/run is what init runs
set -euo pipefail

pkgroot=$(realpath "$1")
ours=$2
payloads=$3
testdir=$4
out=$5
here=$(dirname "$(realpath "$0")")

stage=$out.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,lib/modules,lib/x86_64-linux-gnu,lib64,opt/xen,opt/ours,payloads,test,proc,sys,dev,etc}

libpath=$pkgroot/usr/lib/x86_64-linux-gnu:$pkgroot/usr/lib/xen-4.17/lib/x86_64-linux-gnu

# Copies executable $1 to $2 (in the stage) with every library it needs, resolved with the
# packages' libraries first.
add_exe() {
  install -m 0755 "$1" "$stage/$2"
  LD_LIBRARY_PATH=$libpath ldd "$1" | while read -r soname arrow path _; do
    case $soname in
      linux-vdso.so.*) ;;
      /lib64/ld-linux-x86-64.so.2) cp -L "$soname" "$stage/lib64/" ;;
      *)
        [ "$arrow" = "=>" ] && [ -f "$path" ] || { echo "stage-dom0: $1 needs $soname, not found" >&2; exit 1; }
        [ -e "$stage/lib/x86_64-linux-gnu/$soname" ] || cp -L "$path" "$stage/lib/x86_64-linux-gnu/$soname" ;;
    esac
  done
}

install -m 0755 "$here/dom0/init" "$stage/init"
install -m 0755 "$pkgroot/bin/busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
find "$pkgroot/lib/modules" \( -name 'xen-privcmd.ko' -o -name 'xenfs.ko' -o -name 'xen-evtchn.ko' \
     -o -name 'xen-gntdev.ko' -o -name 'xen-gntalloc.ko' \) -exec cp {} "$stage/lib/modules/" \;
[ "$(ls "$stage/lib/modules" | wc -l)" = 5 ] || { echo "stage-dom0: Xen driver modules missing in $pkgroot" >&2; exit 1; }

for b in xen-livepatch xl xenstored xen-init-dom0; do
  add_exe "$pkgroot/usr/lib/xen-4.17/bin/$b" "opt/xen/$b"
done
add_exe "$ours" opt/ours/xen-livepatch
# On dom0's PATH: this project's xen-livepatch, and Xen's xl.
mkdir -p "$stage/usr/sbin"
ln -s /opt/ours/xen-livepatch "$stage/usr/sbin/xen-livepatch"
ln -s /opt/xen/xl "$stage/usr/sbin/xl"

cp -r "$payloads"/. "$stage/payloads/"
cp -r "$testdir"/. "$stage/test/"
[ -f "$stage/test/run" ] || { echo "stage-dom0: $testdir has no run script" >&2; exit 1; }

python3 "$here/mkcpio.py" "$stage" "$out"
echo "stage-dom0: $out ($(du -k "$out" | cut -f1) KiB)"
