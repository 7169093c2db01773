#!/bin/sh
# /test/run of tests/nested/run-payload: loads the author's payloads on the running Xen with this
# project's xen-livepatch and runs the author's check around it. /test/payloads.list holds one
# "<name> <file>" line per payload (<file> in /payloads), in the order they are uploaded and
# applied (a stack: base first).
#
# Phases, each reported on a line "PHASE <name> <PASS|FAIL> <detail>" in /results/phases:
#   upload      every payload uploaded (CHECKED)
#   before      `sh /test/check before`: the author's check with the payloads loaded, not applied
#   apply       every payload applied, in order
#   applied     `sh /test/check applied`
#   revert      every applied payload reverted, top first
#   reverted    `sh /test/check reverted`
#   unload      every uploaded payload unloaded
# A phase that fails stops at the failing payload; what was done is then undone (revert what was
# applied, unload what was uploaded) and the later checks are skipped. The check sees
# XEN_LIVEPATCH (this project's tool), XEN_LIVEPATCH_XEN (Xen's), XL, LP_PAYLOADS (the names)
# and LP_PHASE in its environment; its output goes to the report.
# No `set -e`: each failure is reported as a phase, then what was done is undone.
. /test/lib.sh

export XEN_LIVEPATCH=$OUR_TOOL XEN_LIVEPATCH_XEN=$XEN_TOOL XL
LP_PAYLOADS=$(cut -d' ' -f1 /test/payloads.list | tr '\n' ' ')
export LP_PAYLOADS="${LP_PAYLOADS% }"

phase() { echo "PHASE $1 $2 $3" >>/results/phases; echo "== phase $1: $2 $3"; }

# check <phase>: the author's check, its output in the log.
check() {
  echo "== check $1 (xen_extra $(cat /sys/hypervisor/version/extra), minor $(cat /sys/hypervisor/version/minor))"
  if LP_PHASE=$1 sh /test/check "$1"; then phase "$1" PASS "check exited 0"; else phase "$1" FAIL "check exited $?"; fi
}

# act <verb> <name>: `xen-livepatch <verb> <name>` with a 1 s rendezvous timeout (an emulated
# CPU can miss Xen's default 30 ms), waiting for the action to complete; its status.
act() {
  _arg=$2
  [ "$1" = upload ] && _arg="$2 /payloads/$(sed -n "s/^$2 //p" /test/payloads.list)"
  echo "\$ xen-livepatch --timeout 1s --wait 10s $1 $_arg"
  # shellcheck disable=SC2086
  $OUR_TOOL --timeout 1s --wait 10s $1 $_arg
}

# each <verb> <phase> <names...>: act on each name in order, stopping at the first failure, and
# report the phase. DONE: the names it succeeded on. Status 0 when all did.
each() {
  _verb=$1
  _phase=$2
  shift 2
  DONE=""
  for _n in "$@"; do
    if ! act "$_verb" "$_n"; then
      phase "$_phase" FAIL "$_verb $_n failed"
      return 1
    fi
    DONE="$DONE${DONE:+ }$_n"
  done
  phase "$_phase" PASS "$*"
}

reverse() { _r=""; for _n in "$@"; do _r="$_n${_r:+ $_r}"; done; echo "$_r"; }

each upload upload $LP_PAYLOADS
upload_ok=$?
uploaded=$DONE
$OUR_TOOL list
applied="" apply_ok=1
if [ $upload_ok = 0 ]; then
  check before
  each apply apply $LP_PAYLOADS
  apply_ok=$?
  applied=$DONE
  $OUR_TOOL list
  [ $apply_ok = 0 ] && check applied
fi
if [ -n "$applied" ]; then
  # shellcheck disable=SC2046
  each revert revert $(reverse $applied) && [ $apply_ok = 0 ] && check reverted
fi
# shellcheck disable=SC2046
[ -z "$uploaded" ] || each unload unload $(reverse $uploaded)
$OUR_TOOL list
exit 0
