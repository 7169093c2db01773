# Shared functions of the scripts that run in the nested test machine's dom0 (sourced; busybox sh).
#
# Everything recorded goes under /results, which init sends to the host when /test/run ends:
#   steps/<id>.out .err .rc   a command's stdout, stderr and exit status (step)
#   steps/ORDER               the step ids in the order they ran
#   probes/<id>               what the hypervisor shows at that point (probe, probe_xl)
# The host (tests/nested/judge.py) decides what passes; these only record.
# shellcheck disable=SC2034  # XEN_TOOL, OUR_TOOL, XL: for the scripts that source this

XEN_TOOL=/opt/xen/xen-livepatch
OUR_TOOL=/opt/ours/xen-livepatch
XL=/opt/xen/xl
mkdir -p /results/steps /results/probes

# step_once <id> <command...>: runs the command, recording its output and exit status.
step_once() {
  _id=$1
  shift
  "$@" >"/results/steps/$_id.out" 2>"/results/steps/$_id.err"
  echo $? >"/results/steps/$_id.rc"
  echo "$_id" >>/results/steps/ORDER
  echo "step $_id: $* -> $(cat "/results/steps/$_id.rc")"
}

# step <id> <command...>: as step_once, but runs the command again (up to 4 more times, a second
# apart) when it failed only because the rendezvous timed out: exit 2, "failed" and Xen's
# "Error 16: Device or resource busy" (Xen's tool hard-wires a 30 ms rendezvous, which an
# emulated CPU of a busy host can miss). Such a failure changes nothing in the hypervisor (a
# `load` unloads what it uploaded), so the command can run again. The attempts are counted in
# steps/<id>.retries and kept in steps/<id>.attempts. Steps that expect EBUSY use step_once.
step() {
  _sid=$1
  _try=0
  while :; do
    step_once "$@"
    [ "$(cat "/results/steps/$_sid.rc")" = 2 ] && grep -q '^Error 16: ' "/results/steps/$_sid.err" &&
      grep -q 'failed$' "/results/steps/$_sid.out" && [ $_try -lt 4 ] || break
    _try=$((_try + 1))
    echo "$_try" >"/results/steps/$_sid.retries"
    cat "/results/steps/$_sid.out" "/results/steps/$_sid.err" >>"/results/steps/$_sid.attempts"
    sed -i "\$d" /results/steps/ORDER
    sleep 1
  done
}

# probe <id>: the hypervisor's extra version and minor version as dom0 reads them
# (XENVER_extraversion and XENVER_version, through /sys/hypervisor), one "key=value" per line.
probe() {
  {
    echo "extra=$(cat /sys/hypervisor/version/extra)"
    echo "minor=$(cat /sys/hypervisor/version/minor)"
  } >"/results/probes/$1"
}

# probe_xl <id>: as probe, plus `xl info`'s xen_extra and build_id.
probe_xl() {
  probe "$1"
  $XL info 2>/dev/null | sed -n 's/^\(xen_extra\|build_id\) *: /\1=/p' >>"/results/probes/$1"
}

# unload_all <tool>: reverts every applied payload (top first) and unloads everything, so the next
# sequence starts from an empty hypervisor. Not recorded.
unload_all() {
  for _round in 1 2 3 4 5; do
    _names=$($1 list 2>/dev/null | sed -n '3,$s/^\([^ ]*\) .*/\1/p')
    [ -n "$_names" ] || return 0
    for _n in $_names; do $1 revert "$_n" >/dev/null 2>&1; done
    for _n in $_names; do $1 unload "$_n" >/dev/null 2>&1; done
  done
}
