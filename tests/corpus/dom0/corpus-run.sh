#!/bin/sh
# /test/run of `make nested-corpus` (tests/corpus/record.py): runs in dom0 under Xen 4.17 and
# records, with Xen's own xen-livepatch, what Xen does with every corpus variant.
#
# /test/variants.list: one variant a line, "<variant> <step>...", a step being
# upload:<payload>:<file> (the file is /payloads/<variant>/<file>), apply:<payload>,
# apply-nodeps:<payload>, revert:<payload>, unload:<payload> or replace:<payload>. The payload is
# named "<variant>-<payload>" in Xen. Variants run from line corpus_start=<n> of the dom0 kernel
# command line (1 when absent): the recorder restarts the machine after the variant that brought
# it down.
#
# Everything goes straight to the console (/dev/console), one line each, read by record.py:
#   CORPUS-BEGIN <line> <variant>
#   CORPUS-STEP <line> <k> <verb> <payload> <exit> <errno|-> <retries> <note>
#   CORPUS-MSG <line> <k> <the tool's stdout and stderr, on one line>
#   CORPUS-END <line> <variant> <clean|dirty>
#   CORPUS-DONE
# <errno> is N from the tool's last "Error N:" line; <note> is "-", "wrong-state:<STATE>",
# "no-action", or "polled:<STATE>:<rc>" when the tool gave up waiting ("Operation didn't
# complete") and the outcome was read from `list`. A step naming a payload whose upload failed is
# "skipped". After each variant everything is reverted and unloaded; when that fails the line is
# "dirty" and the machine powers off so the recorder boots a clean one. So it is when the
# hypervisor no longer reports the extra and minor version it reported at the start (each read of
# /sys/hypervisor/version/ calls xen_extra_version() and xen_minor_version(), which the corpus
# patches): a variant that left patched text behind its unload is "dirty" ("CORPUS-PROBE" says
# what changed), and one that left a jump into freed memory crashes there, in its own turn.
# corpus_stop=<n> on the command line stops after line n.
XEN_TOOL=/opt/xen/xen-livepatch
out() { echo "$*" >/dev/console; }

start=$(sed -n 's/.*corpus_start=\([0-9]*\).*/\1/p' /proc/cmdline)
start=${start:-1}
stop=$(sed -n 's/.*corpus_stop=\([0-9]*\).*/\1/p' /proc/cmdline)
stop=${stop:-999999}
probe() { echo "extra=$(cat /sys/hypervisor/version/extra) minor=$(cat /sys/hypervisor/version/minor)"; }
baseline=$(probe)

# run_tool <k-prefix> <args...>: runs Xen's tool with its output in /tmp/o, /tmp/e; rc in $RC.
# A missed rendezvous (exit 2, "failed", "Error 16") is retried up to 4 times: Xen's tool
# hard-wires a 30 ms rendezvous that an emulated CPU of a busy host can miss, changing nothing.
run_tool() {
  RETRIES=0
  while :; do
    "$XEN_TOOL" "$@" >/tmp/o 2>/tmp/e
    RC=$?
    [ $RC = 2 ] && grep -q '^Error 16: ' /tmp/e && grep -q 'failed$' /tmp/o && [ $RETRIES -lt 4 ] || break
    RETRIES=$((RETRIES + 1))
    sleep 0.3
  done
}

# state_of <name>: "<STATE> <rc>" from `list` (rc 0 when none is shown), or "absent".
state_of() {
  "$XEN_TOOL" list 2>/dev/null | awk -v n="$1" -F'|' '
    { name = $1; sub(/ +$/, "", name) }
    name == n { st = $2; rc = 0; if (match(st, /\(-?[0-9]+,/)) rc = substr(st, RSTART + 1, RLENGTH - 2);
                sub(/^ +/, "", st); sub(/ .*/, "", st); print st, rc; found = 1 }
    END { if (!found) print "absent" }'
}

failed_uploads=""
loaded=""   # the payloads this variant uploaded and has not unloaded
step() {
  _line=$1 _k=$2 _spec=$3 _variant=$4
  _verb=${_spec%%:*}
  _rest=${_spec#*:}
  _p=${_rest%%:*}
  _name="$_variant-$_p"
  case " $failed_uploads " in
    *" $_p "*) out "CORPUS-STEP $_line $_k $_verb $_p - - 0 skipped"; return ;;
  esac
  case $_verb in
    upload) run_tool upload "$_name" "/payloads/$_variant/${_rest#*:}" ;;
    apply-nodeps) run_tool apply "$_name" --nodeps ;;
    *) run_tool "$_verb" "$_name" ;;
  esac
  _errno=$(sed -n 's/^Error \([0-9]*\): .*/\1/p' /tmp/e | tail -1)
  _note=-
  grep -q '^No action needed' /tmp/o && _note=no-action
  _ws=$(sed -n 's/^Current state: \(.*\)/\1/p' /tmp/e | tail -1 | tr ' ' '_')
  [ -n "$_ws" ] && _note="wrong-state:$_ws"
  if grep -q "^Operation didn't complete" /tmp/e; then
    _i=0
    while :; do
      set -- $(state_of "$_name")
      [ "${2:-0}" != 11 ] && [ "${2:-0}" != -11 ] || [ $_i -ge 40 ] && break
      _i=$((_i + 1))
      sleep 0.5
    done
    _note="polled:$1:${2:-0}"
  fi
  out "CORPUS-STEP $_line $_k $_verb $_p $RC ${_errno:--} $RETRIES $_note"
  out "CORPUS-MSG $_line $_k $(cat /tmp/o /tmp/e | tr '\n\r\t' '   ' | cut -c1-300)"
  [ "$_verb" = upload ] && [ $RC != 0 ] && failed_uploads="$failed_uploads $_p"
  [ "$_verb" = upload ] && [ $RC = 0 ] && loaded="$loaded $_p"
  if [ "$_verb" = unload ] && [ $RC = 0 ]; then
    _left=""
    for _l in $loaded; do [ "$_l" = "$_p" ] || _left="$_left $_l"; done
    loaded=$_left
  fi
}

# listed: the names `list` shows, in its order.
listed() {
  "$XEN_TOOL" list 2>/dev/null | awk -F'|' 'NR > 2 && NF > 1 { n = $1; sub(/ +$/, "", n); print n }'
}

# cleanup <variant>: revert (top first, as `list` orders them) and unload every payload left.
cleanup() {
  for _round in 1 2 3 4 5; do
    _names=$(listed)
    [ -n "$_names" ] || return 0
    _rev=""
    for _n in $_names; do _rev="$_n $_rev"; done
    for _n in $_rev; do run_tool revert "$_n"; done
    for _n in $_rev; do run_tool unload "$_n"; done
  done
  [ -z "$(listed)" ]
}

out "CORPUS-START $start $(wc -l < /test/variants.list) $baseline"
line=0
while read -r variant steps; do
  line=$((line + 1))
  [ $line -ge "$start" ] || continue
  [ $line -le "$stop" ] || break
  out "CORPUS-BEGIN $line $variant"
  failed_uploads=""
  loaded=""
  k=0
  for s in $steps; do
    k=$((k + 1))
    step "$line" "$k" "$s" "$variant"
  done
  # Nothing left (every upload refused, or unloaded by the steps): nothing to clean, no `list`
  # (every tool run costs seconds under emulation).
  if { [ -z "$loaded" ] || cleanup; } && [ "$(probe)" = "$baseline" ]; then
    out "CORPUS-END $line $variant clean"
  else
    out "CORPUS-PROBE $line $(probe) (at the start: $baseline)"
    out "CORPUS-END $line $variant dirty"
    "$XEN_TOOL" list >/dev/console 2>&1
    exit 3
  fi
done < /test/variants.list
out "CORPUS-DONE"
exit 0
