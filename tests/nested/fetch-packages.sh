#!/usr/bin/env bash
# Fetches the Debian 12 packages that make the nested test machine and unpacks them.
#
#   fetch-packages.sh <cache-dir> <root-dir>
#
# <cache-dir> keeps the .deb files and a manifest (name=version per line) across runs: when the
# manifest exists and every file it names is there, nothing is downloaded (and apt is not asked).
# Otherwise the packages are resolved from apt's lists (updated once if Xen 4.17 is unknown) and
# fetched with `apt-get download`; no root is needed except for that list update.
# <root-dir> is recreated and receives every package unpacked (dpkg-deb -x), plus
# <root-dir>/.packages, the manifest, for the report.
#
# The set: Xen 4.17 (boot image, xen-syms with symbols, tools and their libraries, xenstored),
# the Linux kernel that runs as dom0 (with its modules), busybox for the dom0 userland.
set -euo pipefail

cache=$1
root=$2
mkdir -p "$cache"
manifest=$cache/manifest

# The Xen packages, all at one version (xen-syms must be the boot image's build).
xen_pkgs=(xen-hypervisor-4.17-amd64 xen-hypervisor-4.17-amd64-dbg xen-utils-4.17 xen-utils-common
          xenstore-utils libxenmisc4.17 libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
          libxenstore4 libxentoollog1 libxentoolcore1 libxendevicemodel1 libxenhypfs1)
other_pkgs=(libyajl2 busybox-static)

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

cached() {
  [ -s "$manifest" ] || return 1
  while IFS='=' read -r name _; do
    ls "$cache/${name}_"*.deb >/dev/null 2>&1 || return 1
  done < "$manifest"
}

if ! cached; then
  xen_version=$(candidate xen-hypervisor-4.17-amd64)
  if [ -z "$xen_version" ] || [ "$xen_version" = "(none)" ]; then
    echo "fetch-packages: updating apt's package lists"
    apt-get update -qq
    xen_version=$(candidate xen-hypervisor-4.17-amd64)
  fi
  [ -n "$xen_version" ] && [ "$xen_version" != "(none)" ] || { echo "fetch-packages: no xen-hypervisor-4.17-amd64 in apt's lists" >&2; exit 1; }
  # linux-image-amd64 is a metapackage: the kernel is its dependency.
  kernel=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
  [ -n "$kernel" ] || { echo "fetch-packages: cannot resolve linux-image-amd64" >&2; exit 1; }
  wanted=()
  for p in "${xen_pkgs[@]}"; do wanted+=("$p=$xen_version"); done
  for p in "${other_pkgs[@]}" "$kernel"; do wanted+=("$p=$(candidate "$p")"); done
  rm -f "$cache"/*.deb "$manifest"
  # apt's sandbox user cannot write into a root-owned build tree; the download needs no sandbox.
  (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "${wanted[@]}")
  printf '%s\n' "${wanted[@]}" > "$manifest"
fi

rm -rf "$root"
mkdir -p "$root"
for deb in "$cache"/*.deb; do
  case $(basename "$deb") in
    # Of the kernel, only the image and the Xen drivers (the whole module tree is 400 MB).
    linux-image-*) dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/xen/*' ;;
    *) dpkg-deb -x "$deb" "$root" ;;
  esac
done
cp "$manifest" "$root/.packages"
echo "fetch-packages: $(wc -l < "$manifest") packages unpacked in $root"
