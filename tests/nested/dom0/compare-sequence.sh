# The command sequence run once with Xen's xen-livepatch and once with this project's, on the
# same Xen, each from an empty hypervisor and back to it (sourced by checks.sh after lib.sh).
# judge.py compares the two runs step by step: stdout, stderr and exit status byte for byte.
#
# sequence <prefix> <tool>: step ids are <prefix>-NN-<what>; probes <prefix>-<state>.
sequence() {
  p=$1
  t=$2
  P=/payloads
  step "$p-01-list-empty" "$t" list
  step "$p-02-upload-hello" "$t" upload hello $P/hello.livepatch
  step "$p-03-upload-same-name" "$t" upload hello $P/hello.livepatch
  step "$p-04-upload-same-build-id" "$t" upload hello2 $P/hello.livepatch
  step "$p-05-upload-wrong-build-id" "$t" upload wrong $P/wrong-build-id.livepatch
  step "$p-06-upload-missing-file" "$t" upload missing $P/does-not-exist.livepatch
  step "$p-07-list-checked" "$t" list
  probe "$p-hello-checked"
  step "$p-08-apply-hello" "$t" apply hello
  probe_xl "$p-hello-applied"
  step "$p-09-apply-again" "$t" apply hello
  step "$p-10-unload-applied" "$t" unload hello
  step "$p-11-upload-stacked" "$t" upload stacked $P/stacked.livepatch
  step "$p-12-apply-stacked" "$t" apply stacked
  probe "$p-stacked-applied"
  step_once "$p-13-revert-not-top" "$t" revert hello
  step "$p-14-list-stacked" "$t" list
  step "$p-15-revert-stacked" "$t" revert stacked
  probe "$p-stacked-reverted"
  step "$p-16-revert-hello" "$t" revert hello
  probe_xl "$p-hello-reverted"
  step "$p-17-revert-again" "$t" revert hello
  step "$p-18-apply-stacked-without-base" "$t" apply stacked
  step "$p-19-apply-stacked-nodeps" "$t" apply stacked --nodeps
  probe "$p-stacked-nodeps"
  step "$p-20-revert-stacked-nodeps" "$t" revert stacked
  step "$p-21-apply-unknown-flag" "$t" apply hello --bogus
  step "$p-22-apply-missing" "$t" apply nosuch
  step "$p-23-revert-missing" "$t" revert nosuch
  step "$p-24-unload-missing" "$t" unload nosuch
  step "$p-25-replace-missing" "$t" replace nosuch
  step "$p-26-upload-replace" "$t" upload replace $P/replace.livepatch
  step "$p-27-apply-hello" "$t" apply hello
  step "$p-28-apply-stacked" "$t" apply stacked
  step "$p-29-replace" "$t" replace replace
  probe "$p-replaced"
  step "$p-30-list-replaced" "$t" list
  step "$p-31-replace-again" "$t" replace replace
  step "$p-32-revert-replace" "$t" revert replace
  probe "$p-replace-reverted"
  step "$p-33-upload-hooks" "$t" upload hooks $P/hooks.livepatch
  step "$p-34-replace-with-hooks" "$t" replace hooks
  step "$p-35-apply-hooks" "$t" apply hooks
  probe "$p-hooks-applied"
  step "$p-36-revert-hooks" "$t" revert hooks
  step "$p-37-unload-stacked" "$t" unload stacked
  step "$p-38-unload-replace" "$t" unload replace
  step "$p-39-unload-hooks" "$t" unload hooks
  step "$p-40-unload-hello" "$t" unload hello
  step "$p-41-load-nop" "$t" load $P/nop.livepatch
  probe "$p-nop-applied"
  step "$p-42-revert-nop" "$t" revert nop
  probe "$p-nop-reverted"
  step "$p-43-unload-nop" "$t" unload nop
  step "$p-44-unknown-command" "$t" frobnicate
  step "$p-45-list-empty-again" "$t" list
}
