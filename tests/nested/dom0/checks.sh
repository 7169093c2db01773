#!/bin/sh
# /test/run of `make nested-test`: runs in dom0 under Xen 4.17 and records (lib.sh) what
# tests/nested/judge.py checks on the host:
#   1. what the running Xen is (xl info, its build-id) before anything is loaded;
#   2. compare-sequence.sh with Xen's own xen-livepatch, then with this project's: every
#      command, error case and effect (xen_extra, the minor version) of both runs;
#   3. this project's tool alone: --json for each command against Xen's own `list` at the same
#      moment, --timeout/--wait, status.
# Each part starts from and returns to an empty hypervisor.
# No `set -e`: commands are expected to fail; step records each status for the judge.
. /test/lib.sh
. /test/compare-sequence.sh

probe_xl baseline
step boot-xl-info "$XL" info

sequence x "$XEN_TOOL"
unload_all "$XEN_TOOL"
sequence o "$OUR_TOOL"
unload_all "$OUR_TOOL"

J="$OUR_TOOL --json"
P=/payloads
step j-01-list-empty $J list
step j-02-upload-hello $J upload hello $P/hello.livepatch
step j-03-upload-wrong-build-id $J upload wrong $P/wrong-build-id.livepatch
step j-04-upload-stacked $J upload stacked $P/stacked.livepatch
step j-05-list-checked $J list
step j-05-xen-list "$XEN_TOOL" list
step j-06-apply-hello $J apply hello
probe j-hello-applied
step j-07-status-hello $J status hello
step j-08-status-hello-text "$OUR_TOOL" status hello
step j-09-apply-stacked-wait $J --timeout 1s --wait 10s apply stacked
step j-10-list-applied $J list
step j-10-xen-list "$XEN_TOOL" list
step_once j-11-revert-not-top $J revert hello
step j-12-unload-applied $J unload stacked
step j-13-revert-stacked $J --wait 5s revert stacked
step j-14-revert-hello $J --wait 5s revert hello
probe j-reverted
step j-15-unload-stacked $J unload stacked
step j-16-unload-hello $J unload hello
step j-17-list-empty $J list
step j-17-xen-list "$XEN_TOOL" list
unload_all "$OUR_TOOL"
