# A check for tests/nested/run-payload (docs/nested-testing.md), run in dom0 with the phase as $1:
#
#   tests/nested/run-payload build/nested/payloads/hello.livepatch \
#       build/nested/payloads/stacked.livepatch tests/nested/examples/check-stacked.sh
#
# With hello and stacked on it applied, Xen's extra version is stacked's; before and after,
# it is Xen's own, and `xl info` agrees with what the kernel reads.
extra=$(cat /sys/hypervisor/version/extra)
xl_extra=$(xl info 2>/dev/null | sed -n 's/^xen_extra *: //p')
echo "phase $1: /sys/hypervisor/version/extra '$extra', xl info xen_extra '$xl_extra'"
echo "payloads: $LP_PAYLOADS"
$XEN_LIVEPATCH list
[ "$extra" = "$xl_extra" ] || exit 1
case $1 in
  applied) [ "$extra" = "-nested-stacked" ] ;;
  *) [ "$extra" != "-nested-stacked" ] && [ "$extra" != "-nested-hello" ] ;;
esac
