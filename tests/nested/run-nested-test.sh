#!/usr/bin/env bash
# `make nested-test`: Xen 4.17 under QEMU, driven by this project's xen-livepatch and Xen's own.
#
#   BUILD=<build dir> MAKE=<make> run-nested-test.sh
#
# Phases, each timed: download (the Debian packages, cached under $BUILD/nested/debs), build
# (the tool, livepatch-build, the payloads against the real xen-syms, the dom0 initramfs), boot
# (QEMU start to dom0's test), checks (dom0's test: tests/nested/dom0/checks.sh), judge (on the
# host: tests/nested/judge.py), run-payload (the payload authors' workflow, tests/nested/run-payload,
# with two of the test's payloads and tests/nested/examples/check-stacked.sh: a second boot).
# Exits non-zero on any failure, printing the serial log's livepatch lines. The serial log and
# the results stay in $BUILD/nested/run/ (run-payload's in $BUILD/nested/run-payload/).
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
nested=$BUILD/nested
run=$nested/run
timeout_s=${NESTED_TIMEOUT:-600}

command -v qemu-system-x86_64 >/dev/null || bash scripts/install-deps.sh

declare -A took
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

print_timings() {
  echo "== nested-test timings (s):"
  for phase in download build boot checks shutdown judge run-payload; do
    if [ -n "${took[$phase]:-}" ]; then printf '   %-12s %6s\n' "$phase" "${took[$phase]}"; fi
  done
  printf '   %-12s %6s\n' total "$(secs "$t0" "$(now)")"
}

fail() {
  echo "nested-test: FAILED: $*" >&2
  if [ -s "$run/serial.log" ]; then
    echo "== serial log: livepatch and test lines ($run/serial.log)"
    grep -a -i -E 'livepatch|nested|panic|fatal|bug|call trace|fault' "$run/serial.log" | grep -av '^NESTED-DATA' | tr -d '\r' || true
    echo "== serial log: last 30 lines"
    grep -av '^NESTED-DATA' "$run/serial.log" | tail -30 | tr -d '\r'
  fi
  print_timings
  exit 1
}

echo "== nested-test: download"
t=$(now)
$MAKE --no-print-directory BUILD="$BUILD" nested-packages || fail "download"
took[download]=$(secs "$t" "$(now)")
sed 's/^/   /' "$nested/pkgroot/.packages"

echo "== nested-test: build"
t=$(now)
$MAKE --no-print-directory BUILD="$BUILD" nested-initrd || fail "build"
took[build]=$(secs "$t" "$(now)")

echo "== nested-test: boot and checks"
rm -rf "$run"
mkdir -p "$run"
rc=0
bash tests/nested/boot-xen.sh "$nested/pkgroot" "$nested/test/initrd.cpio.gz" "$run/serial.log" "$timeout_s" || rc=$?
if [ -f "$run/serial.log.times" ]; then
  while IFS='=' read -r k v; do [ "$k" = total ] || took[$k]=$v; done < "$run/serial.log.times"
fi
[ "$rc" = 0 ] || fail "QEMU exited with $rc"
python3 tests/nested/serial-results.py "$run/serial.log" "$run/results" || fail "no results from dom0"
status=$(cat "$run/results/STATUS")
[ "$status" = 0 ] || { cat "$run/results/run.log"; fail "dom0's test script exited $status"; }

echo "== nested-test: judge"
t=$(now)
jrc=0
python3 -B tests/nested/judge.py --results "$run/results" --serial "$run/serial.log" \
  --xen-syms "$nested/pkgroot/usr/lib/debug/boot/xen-syms-4.17-amd64" \
  --tool "$BUILD/release/bin/xen-livepatch" --payloads "$nested/payloads" | tee "$run/judge.log" || jrc=$?
took[judge]=$(secs "$t" "$(now)")
[ "$jrc" = 0 ] || fail "$(tail -1 "$run/judge.log")"
echo "== serial log: livepatch lines"
grep -a -E 'livepatch|nested-hooks' "$run/serial.log" | tr -d '\r' | sed 's/^/   /'

# The payload authors' workflow (docs/nested-testing.md), as an author runs it: a stack of two
# payloads and the example check.
echo "== nested-test: run-payload"
t=$(now)
BUILD=$BUILD tests/nested/run-payload "$nested/payloads/hello.livepatch" "$nested/payloads/stacked.livepatch" \
  tests/nested/examples/check-stacked.sh || fail "run-payload"
took[run-payload]=$(secs "$t" "$(now)")
print_timings
echo "nested-test: passed"
