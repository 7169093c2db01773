#!/usr/bin/env bash
# make demo: the engine core loads real payloads (built by gcc during the build) against the unit
# tests' fake hypervisor. The live demo on the running hosted hypervisor under guest load, with the
# payload builder and xen-livepatch, replaces this with issue 5.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
echo "== livepatch engine core: loading real payloads"
"$BUILD/release/bin/loader-demo" "$BUILD/fixtures"
echo
echo "demo: OK"
