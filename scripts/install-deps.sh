#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need. Idempotent: packages already
# present are not reinstalled, and apt is not touched at all when nothing is missing.
#
#   --arm64   also the AArch64 cross toolchain, qemu-user and, through multiarch (the arm64
#             architecture is added to dpkg once), Debian's arm64 builds of the libraries the
#             AArch64 programs link statically (make test-arm64, tests/arm64/arm64.mk)
#             libxen-dev:arm64 cannot be installed next to libxen-dev (it is not Multi-Arch:
#             installing it removes the amd64 one), so its static libraries (libxenctrl.a and
#             the libxen*.a it needs, for the AArch64 xen-livepatch) are unpacked from the
#             downloaded package into $XEN_ARM64_ROOT (/opt/xen-arm64); the headers are
#             the same files as libxen-dev's.
set -euo pipefail

arm64=0
[ "${1:-}" = "--arm64" ] && arm64=1

packages=(
  build-essential g++ make python3 binutils
  clang libclang-rt-14-dev llvm          # fuzzing (libFuzzer) and LeakSanitizer runtime
  libxen-dev                             # Xen public headers (sysctl ABI) and libxenctrl
  libelf-dev                             # elfutils libelf: tests inspect payloads with it
  doctest-dev                            # unit test framework
  libboost-program-options-dev           # xen-livepatch command line
  nlohmann-json3-dev                     # JSON output and bench results
  libcapstone-dev                        # disassembly checks in tests
  binutils-aarch64-linux-gnu             # objdump for AArch64 encodings in tests
  qemu-system-x86                        # make nested-test: real Xen under QEMU (tests/nested/)
)
if [ $arm64 = 1 ]; then
  packages+=(
    g++-aarch64-linux-gnu libc6-dev-arm64-cross   # the AArch64 cross compiler and C library
    qemu-user-static                              # runs the AArch64 programs (qemu-aarch64-static)
    libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 libcapstone-dev:arm64
    libboost-program-options-dev:arm64
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

xen_arm64_root=/opt/xen-arm64
xen_arm64_libs() {
  [ $arm64 = 1 ] && [ ! -e $xen_arm64_root/usr/lib/aarch64-linux-gnu/libxenctrl.a ] || return 0
  echo "install-deps: unpacking libxen-dev:arm64 into $xen_arm64_root"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libxen-dev:arm64)
  mkdir -p $xen_arm64_root
  dpkg-deb -x "$tmp"/libxen-dev_*_arm64.deb $xen_arm64_root
  rm -rf "$tmp"
}

if [ ${#missing[@]} -eq 0 ]; then
  xen_arm64_libs
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo $0)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ $arm64 = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
xen_arm64_libs
