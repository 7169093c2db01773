# The nested test: Xen 4.17 (Debian's packages) booted under QEMU, driven from its dom0 by this
# project's xen-livepatch and by Xen's own, with payloads that livepatch-build makes against
# the real xen-syms (tests/nested/, docs/nested-testing.md).
#
#   make nested-test       download (cached in $(BUILD)/nested/debs), build, boot, check,
#                          report with timings; fails on any failure (run-nested-test.sh)
#   make nested-machine    what tests/nested/run-payload needs: the unpacked packages, the tool
#   make nested-payloads   the payloads of the test, in $(BUILD)/nested/payloads

NESTED := $(BUILD)/nested
NESTED_PKGROOT := $(NESTED)/pkgroot
NESTED_PACKAGES := $(NESTED_PKGROOT)/.packages
NESTED_XEN_SYMS := $(NESTED_PKGROOT)/usr/lib/debug/boot/xen-syms-4.17-amd64
NESTED_TOOL := $(BUILD)/release/bin/xen-livepatch
NESTED_BUILDER := $(BUILD)/release/bin/livepatch-build
NESTED_PAYLOAD_DIR := $(NESTED)/payloads
NESTED_PAYLOADS := $(patsubst tests/nested/payloads/%.c,$(NESTED_PAYLOAD_DIR)/%.livepatch,$(wildcard tests/nested/payloads/*.c))
NESTED_INITRD := $(NESTED)/test/initrd.cpio.gz
NESTED_DOM0_FILES := $(wildcard tests/nested/dom0/*)
# The build-id .livepatch.xen_depends of wrong-build-id.livepatch is rewritten to.
NESTED_WRONG_BUILD_ID := 0123456789abcdef0123456789abcdef01234567
NESTED_PAYLOAD_HEADER := payloads/include/livepatch/payload.h

$(NESTED_PACKAGES): tests/nested/fetch-packages.sh
	bash tests/nested/fetch-packages.sh $(NESTED)/debs $(NESTED_PKGROOT)

$(NESTED_PAYLOAD_DIR)/%.livepatch: tests/nested/payloads/%.c $(NESTED_BUILDER) $(NESTED_PACKAGES) $(NESTED_PAYLOAD_HEADER)
	@mkdir -p $(@D)
	$(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) -o $@ $<

# Stacked on hello: its .livepatch.depends is hello's build-id.
$(NESTED_PAYLOAD_DIR)/stacked.livepatch: tests/nested/payloads/stacked.c $(NESTED_PAYLOAD_DIR)/hello.livepatch \
		$(NESTED_BUILDER) $(NESTED_PACKAGES) $(NESTED_PAYLOAD_HEADER)
	@mkdir -p $(@D)
	$(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) --depends $(NESTED_PAYLOAD_DIR)/hello.livepatch -o $@ $<

# A good payload whose dependency notes name another hypervisor: Xen refuses it at upload.
$(NESTED_PAYLOAD_DIR)/wrong-build-id.livepatch: tests/nested/payloads/wrong-build-id.c $(NESTED_BUILDER) \
		$(NESTED_PACKAGES) $(NESTED_PAYLOAD_HEADER) scripts/make-build-id-note.py
	@mkdir -p $(@D) $(NESTED)/work
	$(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) -o $(NESTED)/work/wrong-build-id.livepatch $<
	python3 scripts/make-build-id-note.py $(NESTED_WRONG_BUILD_ID) $(NESTED)/work/wrong-build-id.note
	objcopy --update-section .livepatch.xen_depends=$(NESTED)/work/wrong-build-id.note \
	        --update-section .livepatch.depends=$(NESTED)/work/wrong-build-id.note $(NESTED)/work/wrong-build-id.livepatch $@

# The dom0 initramfs of the test: /test/run is checks.sh.
$(NESTED_INITRD): $(NESTED_TOOL) $(NESTED_PAYLOADS) $(NESTED_PACKAGES) $(NESTED_DOM0_FILES) \
		tests/nested/stage-dom0.sh tests/nested/mkcpio.py
	rm -rf $(NESTED)/test/dom0-test
	mkdir -p $(NESTED)/test/dom0-test
	cp tests/nested/dom0/lib.sh tests/nested/dom0/compare-sequence.sh $(NESTED)/test/dom0-test/
	cp tests/nested/dom0/checks.sh $(NESTED)/test/dom0-test/run
	bash tests/nested/stage-dom0.sh $(NESTED_PKGROOT) $(NESTED_TOOL) $(NESTED_PAYLOAD_DIR) $(NESTED)/test/dom0-test $@

nested-packages: $(NESTED_PACKAGES)
nested-machine: $(NESTED_PACKAGES) $(NESTED_TOOL)
nested-payloads: $(NESTED_PAYLOADS)
nested-initrd: $(NESTED_INITRD)

nested-test: $(DEPS_STAMP)
	BUILD=$(BUILD) MAKE="$(MAKE)" bash tests/nested/run-nested-test.sh

.PHONY: nested-test nested-packages nested-machine nested-payloads nested-initrd
