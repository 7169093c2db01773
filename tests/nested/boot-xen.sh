#!/usr/bin/env bash
# Boots Xen 4.17 with a Linux dom0 under QEMU and waits for the machine to power itself off.
#
#   boot-xen.sh <pkgroot> <initrd.cpio.gz> <serial-log> [timeout-seconds]
#
# The dom0 initramfs (stage-dom0.sh) runs its test and powers off; QEMU then exits. A Xen or
# dom0 crash also ends QEMU (-no-reboot, and Xen's `noreboot` is left off). The serial console
# (Xen's and dom0's output) goes to <serial-log>; dom0's progress lines ("NESTED: ...") are
# echoed as they come. Writes <serial-log>.times: boot= (QEMU start to dom0's test start),
# checks= (the test in dom0), shutdown= (test end to QEMU exit), in seconds.
# Exits 0 when QEMU exited by itself, 124 on the timeout (default 600 s; QEMU is killed).
#
# Software emulation (TCG) only: CI machines have no KVM, and where this machine's KVM is itself
# nested it fails on Xen (an emulation failure on Xen's early `rdsspq` with -cpu qemu64, an MSR
# assertion in QEMU with -cpu host). `-cpu qemu64`: `-cpu max` exposes SMAP, which crashes the
# dom0 kernel under emulation. NESTED_XEN_ARGS and NESTED_DOM0_ARGS add to the command lines;
# NESTED_SMP sets the number of CPUs (default 2).
set -euo pipefail

pkgroot=$1
initrd=$2
log=$3
timeout_s=${4:-600}

xen_gz=$(ls "$pkgroot"/boot/xen-4.17-amd64.gz)
vmlinuz=$(ls "$pkgroot"/boot/vmlinuz-*)
xen=$pkgroot/boot/xen-4.17-amd64
[ "$xen" -nt "$xen_gz" ] || gunzip -c "$xen_gz" > "$xen"

xen_cmdline="console=com1 com1=115200 dom0_mem=1024M bootscrub=false loglvl=all guest_loglvl=all ${NESTED_XEN_ARGS:-}"
dom0_cmdline="console=hvc0 earlyprintk=xen loglevel=4 ${NESTED_DOM0_ARGS:-}"

smp=${NESTED_SMP:-2}
echo "boot-xen: QEMU (TCG, $smp CPUs, 2 GiB), serial log $log"
: > "$log"
start=$(date +%s.%N)
timeout --kill-after=10 "$timeout_s" \
  qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64 -smp "$smp" -m 2048 \
    -display none -monitor none -serial "file:$log" -parallel none -no-reboot -net none \
    -kernel "$xen" -append "$xen_cmdline" \
    -initrd "$vmlinuz $dom0_cmdline,$initrd" </dev/null &
qemu=$!

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Follow dom0's progress lines and time the phases.
seen=0 t_run="" t_done=""
while kill -0 "$qemu" 2>/dev/null; do
  sleep 0.5
  mapfile -t lines < <(grep -a '^NESTED: ' "$log" | tr -d '\r' | tail -n +$((seen + 1)))
  for line in "${lines[@]}"; do
    now=$(date +%s.%N)
    printf 'boot-xen: [%6ss] %s\n' "$(secs $start $now)" "${line#NESTED: }"
    case $line in
      "NESTED: running "*) t_run=$now ;;
      "NESTED: /test/run exited"*) t_done=$now ;;
    esac
  done
  seen=$((seen + ${#lines[@]}))
done
rc=0
wait "$qemu" || rc=$?
end=$(date +%s.%N)
{
  [ -n "$t_run" ] && echo "boot=$(secs $start $t_run)"
  [ -n "$t_run" ] && [ -n "$t_done" ] && echo "checks=$(secs $t_run $t_done)"
  [ -n "$t_done" ] && echo "shutdown=$(secs $t_done $end)"
  echo "total=$(secs $start $end)"
} > "$log.times"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  echo "boot-xen: timed out after ${timeout_s}s" >&2
  exit 124
fi
echo "boot-xen: QEMU exited ($rc) after $(secs $start $end)s"
exit "$rc"
