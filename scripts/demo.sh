#!/usr/bin/env bash
# make demo: a security fix live-patched into a running hypervisor while its guests run.
#
# Starts the hosted hypervisor (2 pCPUs running guest vCPUs, vCPU 0 malicious), shows a guest
# reading hypervisor memory through the grant-copy bug, builds the fix with livepatch-build,
# applies it with xen-livepatch, shows the bug gone and what patching cost the guests (the
# quiesce window and the longest guest stall), reverts and unloads it, stops the hypervisor and
# prints a summary. Exits 0 on success; on any failure it says what failed and exits 1. The
# hypervisor process never outlives the script.
#
# Expects the release binaries under $BUILD (make demo builds them first).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=$BUILD/release/bin
DEMO_DIR=$BUILD/demo
HV_LOG=$DEMO_DIR/hypervisor.log
PAYLOAD=$DEMO_DIR/grant-fix.livepatch
SOURCE=payloads/examples/grant-fix.cc
OBSERVE_SECONDS=1

# A private socket under the build directory (no root needed); a short temporary directory when
# that path is too long for a Unix socket.
mkdir -p "$DEMO_DIR"
SOCKET=$(cd "$DEMO_DIR" && pwd)/livepatch.sock
TMP_DIR=
if [ ${#SOCKET} -ge 100 ]; then
    TMP_DIR=$(mktemp -d /tmp/lp-demo-XXXXXX)
    SOCKET=$TMP_DIR/livepatch.sock
fi
# xen-livepatch against the demo's hypervisor. The rendezvous timeout is 1 s instead of Xen's
# 30 ms: the hypervisor's pCPUs share the host's cores with everything else running there.
XL=("$BIN/xen-livepatch" --socket "$SOCKET" --timeout 1s --wait 10s)

HV_PID=
STEP=0
STEPS=8

# --- output -------------------------------------------------------------------------------------

step() {
    STEP=$((STEP + 1))
    echo
    echo "[$STEP/$STEPS] $*"
}
say() { echo "  $*"; }
# Shows a command, then runs it with its output indented; its exit status.
show_run() {
    echo "  \$ $*"
    "$@" 2>&1 | sed 's/^/    /'
    return "${PIPESTATUS[0]}"
}
fail() {
    trap - ERR
    echo
    echo "demo: FAILED: $*" >&2
    if [ -s "$HV_LOG" ]; then
        echo "demo: the hypervisor's log ($HV_LOG) ends with:" >&2
        tail -n 5 "$HV_LOG" | sed 's/^/    /' >&2
    fi
    exit 1
}

# --- the hypervisor's process -------------------------------------------------------------------

stop_hypervisor() {
    [ -n "$HV_PID" ] || return 0
    if kill -0 "$HV_PID" 2>/dev/null; then
        kill -TERM "$HV_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$HV_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$HV_PID" 2>/dev/null || true
    fi
    wait "$HV_PID" 2>/dev/null || true
    HV_PID=
}
cleanup() {
    stop_hypervisor
    [ -z "$TMP_DIR" ] || rm -rf "$TMP_DIR"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM
trap 'fail "a command failed at line $LINENO: $BASH_COMMAND"' ERR

# --- what the guests see ------------------------------------------------------------------------

# vars PREFIX JSON: shell assignments PREFIX_<key>=<value> for every scalar of JSON (nested keys
# joined with _, list items by index; booleans true/false, fractions with one decimal), to eval.
vars() {
    python3 -c '
import json, shlex, sys
def walk(path, v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(path + "_" + k, x)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(path + "_" + str(i), x)
    else:
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, float):
            v = "%.1f" % v
        elif v is None:
            v = ""
        print("%s=%s" % (path.replace("-", "_"), shlex.quote(str(v))))
walk(sys.argv[1], json.loads(sys.argv[2]))' "$1" "$2"
}
# guest PREFIX REQUEST: asks guest-probe (hypervisor/port/hosted/guest_probe.h) and sets the
# PREFIX_* variables from its answer.
guest() {
    local answer
    answer=$("$BIN/guest-probe" --socket "$SOCKET" "$2") || fail "guest-probe $2"
    eval "$(vars "$1" "$answer")"
}
# xl_run ARGS: shows and runs xen-livepatch ARGS, again while it exits 2 (busy: retry later).
xl_run() {
    local rc
    for attempt in 1 2 3 4 5; do
        if show_run "${XL[@]}" "$@"; then
            return 0
        else
            rc=$?
        fi
        [ "$rc" -eq 2 ] || return "$rc"
        say "(busy: retrying, attempt $((attempt + 1)) of 5)"
        sleep 0.5
    done
    return 2
}
# us NS: nanoseconds as microseconds with one decimal.
us() { echo "$(($1 / 1000)).$(($1 % 1000 / 100))"; }

# --- the story ----------------------------------------------------------------------------------

rm -f "$PAYLOAD" "$HV_LOG"
for tool in hosted-hypervisor xen-livepatch livepatch-build guest-probe; do
    [ -x "$BIN/$tool" ] || fail "$BIN/$tool is missing (run: make BUILD=$BUILD demo)"
done

echo "== Live-patching a security bug out of a running hypervisor, with its guests running"

step "Start the hypervisor: 2 pCPUs, each running a guest vCPU; vCPU 0 is malicious"
say "\$ $BIN/hosted-hypervisor --cpus 2 --socket $SOCKET --malicious-guest"
"$BIN/hosted-hypervisor" --cpus 2 --socket "$SOCKET" --malicious-guest >"$HV_LOG" 2>&1 &
HV_PID=$!
for _ in $(seq 300); do
    kill -0 "$HV_PID" 2>/dev/null || fail "the hypervisor exited at start"
    if [ -s "$HV_LOG" ] && "$BIN/guest-probe" --socket "$SOCKET" stats >/dev/null 2>&1; then break; fi
    sleep 0.1
done
"$BIN/guest-probe" --socket "$SOCKET" stats >/dev/null 2>&1 || fail "the hypervisor did not answer in 30 s"
head -n 1 "$HV_LOG" | sed 's/^/    /'
guest V extraversion
say "its guests issue hypercalls in a loop: xen_version (they see extraversion \"$V_extraversion\"),"
say "grant copies, compute, trace; each vCPU notes its longest pause between two units of work"

step "The bug: a guest's grant copy reads past the end of its grant frame"
say "a guest asks do_grant_table_op for 96 bytes starting 32 bytes before the end of its last"
say "grant frame; the hypervisor does not check the bounds and copies what lies after the frame:"
guest OOB grant-oob
[ "$OOB_leaked" = true ] || fail "the out-of-bounds copy did not leak before the fix"
say "  status $OOB_status (accepted), $OOB_copied bytes copied: \"$OOB_bytes\""
say "  = the last 32 bytes of the guest's frame ('h'), then hypervisor memory: its secret"
guest R reset-stall
guest S0 stats
sleep "$OBSERVE_SECONDS"
guest S1 stats
LEAKS_BEFORE=$((S1_grant_leaks - S0_grant_leaks))
BASELINE_STALL=$S1_max_gap_ns
[ "$LEAKS_BEFORE" -gt 0 ] || fail "the malicious guest leaked nothing in ${OBSERVE_SECONDS} s"
say "in ${OBSERVE_SECONDS} s the malicious vCPU read hypervisor memory $LEAKS_BEFORE times"
say "(longest pause of a vCPU in that time, without any patching: $(us "$BASELINE_STALL") us)"

step "Build the fix with livepatch-build, against the running hypervisor's binary"
say "the fix ($SOURCE) replaces do_grant_table_op with a version that checks the bounds:"
show_run "$BIN/livepatch-build" --target "$BIN/hosted-hypervisor" -I hypervisor/port/hosted \
    -o "$PAYLOAD" "$SOURCE" || fail "livepatch-build could not build the fix"

step "Apply it live: xen-livepatch load (upload, then apply in a stop-machine rendezvous)"
guest R reset-stall
guest A0 stats
xl_run load "$PAYLOAD" || fail "xen-livepatch load failed"
guest A1 stats
show_run "$BIN/xen-livepatch" --socket "$SOCKET" list || fail "xen-livepatch list failed"

step "After the fix: the same copy is refused, and the leaks stop while the guests keep running"
guest OOB grant-oob
[ "$OOB_leaked" = false ] || fail "the out-of-bounds copy still leaks with the fix applied"
say "the guest's copy now: status $OOB_status (-EINVAL), $OOB_copied bytes copied, nothing leaked"
guest S2 stats
sleep "$OBSERVE_SECONDS"
guest S3 stats
LEAKS_AFTER=$((S3_grant_leaks - A1_grant_leaks))
REFUSED_AFTER=$((S3_grant_refused - S2_grant_refused))
CALLS_AFTER=$((S3_hypercalls - S2_hypercalls))
[ "$LEAKS_AFTER" -eq 0 ] || fail "$LEAKS_AFTER leaks after the fix was applied"
[ "$REFUSED_AFTER" -gt 0 ] || fail "no out-of-bounds copy was refused after the fix"
say "in the next ${OBSERVE_SECONDS} s: leaks +$LEAKS_AFTER, copies refused +$REFUSED_AFTER, hypercalls +$CALLS_AFTER"

step "What patching cost the guests"
DETAIL=$("${XL[@]}" --json status grant-fix) || fail "xen-livepatch status grant-fix failed"
eval "$(vars D "$DETAIL")"
[ "$D_payload_last_action_rc" = 0 ] || fail "the apply's rendezvous failed: rc $D_payload_last_action_rc"
STALL_NS=$A1_max_gap_ns
CALLS_DURING=$((A1_hypercalls - A0_hypercalls))
RUNNING=0
for ((cpu = 0; cpu < A0_vcpus; cpu++)); do
    before=A0_work_units_$cpu after=A1_work_units_$cpu
    [ "${!after}" -le "${!before}" ] || RUNNING=$((RUNNING + 1))
done
[ "$CALLS_DURING" -gt 0 ] && [ "$RUNNING" -eq "$A0_vcpus" ] || fail "the guests did not all run during the load"
say "the rendezvous of all $D_payload_last_action_cpus pCPUs (xen-livepatch --json status grant-fix):"
say "  gathering the CPUs at safe points   $D_payload_last_action_gather_us us   (guests keep running meanwhile)"
say "  quiesce window, every CPU held      $D_payload_last_action_window_us us   (the patching itself: $D_payload_last_action_patch_us us)"
say "longest pause of a guest vCPU while the fix was loaded and applied: $(us "$STALL_NS") us"
say "  (between two units of its work, host scheduling included; without patching: $(us "$BASELINE_STALL") us)"
say "guests during the load: $CALLS_DURING hypercalls; all $RUNNING vCPUs made progress"

step "Revert and unload: the original code is back"
xl_run revert grant-fix || fail "xen-livepatch revert failed"
guest OOB grant-oob
[ "$OOB_leaked" = true ] || fail "after the revert the original code is not back"
say "the guest's copy leaks again: status $OOB_status, \"...${OOB_bytes:28:36}...\""
xl_run unload grant-fix || fail "xen-livepatch unload failed"
show_run "$BIN/xen-livepatch" --socket "$SOCKET" list || fail "xen-livepatch list failed"

step "Stop the hypervisor"
STOPPED_PID=$HV_PID
stop_hypervisor
if kill -0 "$STOPPED_PID" 2>/dev/null; then fail "the hypervisor is still running"; fi
tail -n 1 "$HV_LOG" | sed 's/^/    /'

echo
echo "== Summary"
echo "  fix applied with guests running: yes ($CALLS_DURING hypercalls during the load, all $RUNNING vCPUs progressing)"
echo "  hypervisor memory read by the malicious guest: $LEAKS_BEFORE times in ${OBSERVE_SECONDS} s before the fix, $LEAKS_AFTER after it"
echo "  out-of-bounds copies refused by the fix: $REFUSED_AFTER in ${OBSERVE_SECONDS} s"
echo "  quiesce window: $D_payload_last_action_window_us us; longest guest stall: $(us "$STALL_NS") us (without patching: $(us "$BASELINE_STALL") us)"
echo "  reverted, unloaded, hypervisor stopped"
echo "demo: OK"
