# AArch64: the engine core, its AArch64 unit tests, the hosted hypervisor and the live-patching
# integration tests cross-built with Debian's g++-aarch64-linux-gnu (static, so that
# qemu-aarch64-static runs them without a sysroot), payloads cross-compiled for AArch64, and
# `make test-arm64` running all of it under qemu-user.
#
#   $(BUILD)/aarch64/lib/liblivepatch-core.a    the core with the AArch64 backend (arch/arm64)
#   $(BUILD)/aarch64/bin/unit-tests             AArch64 relocations, B/NOP patch planning, the
#                                               arch-neutral core suites, and the engine loading,
#                                               applying and reverting AArch64 fixture payloads
#   $(BUILD)/aarch64/bin/hosted-hypervisor      the hosted hypervisor, an AArch64 program
#   $(BUILD)/aarch64/bin/integration-tests      live patching under load on AArch64 pCPU threads
#   $(BUILD)/aarch64/itest-payloads/*.livepatch tests/integration/payloads, built for AArch64
#                                               against that binary's build-id
#   $(BUILD)/aarch64/samples/*.livepatch        the sample payloads (payloads/examples), built by
#                                               livepatch-build (the host's) against the AArch64
#                                               hosted-hypervisor
#   $(BUILD)/aarch64/bin/xen-livepatch          the dom0 tool, an AArch64 program (libxenctrl and
#                                               the hosted hypervisor's socket)
#   $(BUILD)/aarch64/bin/livepatch-build        the payload builder, an AArch64 program
#   $(BUILD)/aarch64/bin/*-qemu                 scripts that run those two under qemu-aarch64-static
#   $(BUILD)/aarch64/tool-payloads/*.livepatch  tests/tool/payloads, built for AArch64 against the
#                                               AArch64 hosted-hypervisor's build-id
#   $(BUILD)/aarch64/samples-a64build/*.livepatch
#                                               the samples built by the AArch64 builder (qemu-user)
#
# The sample tests (tests/samples) run on the host: the host's xen-livepatch and guest-probe talk
# over the control socket to the AArch64 hosted-hypervisor running under qemu-aarch64-static
# (LP_HOSTED_RUNNER), as a dom0 tool talks to the hypervisor it manages.
#
# The tool tests (tests/tool, the host's tool-tests) and the sample tests then run again with the
# AArch64 xen-livepatch (LP_TOOL_BIN names its -qemu script) against the AArch64 hosted hypervisor:
# the AArch64 tool and hypervisor under qemu-aarch64-static, talking over the socket. The AArch64
# livepatch-build, under qemu-user, spawns the aarch64-linux-gnu-* cross tools
# (LIVEPATCH_BUILD_TOOL_PREFIX, docs/livepatch-build.md): x86-64 programs the host kernel runs.
#
# The libraries the programs link (libelf, libcapstone, boost program_options, and libelf's
# zlib/zstd) are Debian's arm64 -dev packages installed through multiarch
# (scripts/install-deps.sh --arm64); libxenctrl and the Xen libraries it needs come from
# libxen-dev:arm64 unpacked into /opt/xen-arm64 (it cannot be installed beside libxen-dev). Only the release variant: the sanitizers do not run under
# qemu-user.

A64 := $(BUILD)/aarch64
A64_CXX := aarch64-linux-gnu-g++
A64_CC := aarch64-linux-gnu-gcc
A64_LD := aarch64-linux-gnu-ld
A64_OBJCOPY := aarch64-linux-gnu-objcopy
A64_QEMU := qemu-aarch64-static
A64_STAMP := $(A64)/.deps-ok
# libxen-dev:arm64 unpacked beside the system's libxen-dev (scripts/install-deps.sh --arm64).
A64_XEN_LIBDIR := /opt/xen-arm64/usr/lib/aarch64-linux-gnu
A64_PROBES := /usr/bin/$(A64_CXX) /usr/bin/$(A64_QEMU) /usr/lib/aarch64-linux-gnu/libelf.a \
              /usr/lib/aarch64-linux-gnu/libcapstone.a /usr/lib/aarch64-linux-gnu/libboost_program_options.a \
              /usr/lib/aarch64-linux-gnu/libzstd.a /usr/lib/aarch64-linux-gnu/libz.a \
              $(A64_XEN_LIBDIR)/libxenctrl.a

$(A64_STAMP): scripts/install-deps.sh | $(DEPS_STAMP)
	@missing=0; for f in $(A64_PROBES); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then bash scripts/install-deps.sh --arm64; fi
	@mkdir -p $(@D) && touch $@

# The compile flags of the native build with the AArch64 backend's include path. No branch
# protection: the patch overwrites a function's first instruction (as Xen does on arm64), which
# must not be a BTI landing pad.
A64_ARCH_FLAGS := -mbranch-protection=none
# The core also keeps its atomics inline (LDXR/STXR), not calls to libgcc's out-of-line routines
# (__aarch64_cas8_acq_rel, ...) that a hypervisor does not have.
A64_CORE_CXXFLAGS := $(filter-out -Ihypervisor/arch/%,$(CORE_CXXFLAGS)) -Ihypervisor/arch/arm64 $(A64_ARCH_FLAGS) \
                     -mno-outline-atomics -O2
A64_HOST_CXXFLAGS := $(filter-out -Ihypervisor/arch/%,$(HOST_CXXFLAGS)) -Ihypervisor/arch/arm64 $(A64_ARCH_FLAGS) -O2 \
                     -DLP_FIXTURE_DIR='"$(abspath $(A64))/fixtures"'
A64_LDFLAGS := -static -O2
A64_ELF_LIBS := -lelf -lzstd -lz

A64_CORE_SRCS := $(shell find hypervisor/core -name '*.cc' 2>/dev/null) $(wildcard hypervisor/arch/arm64/*.cc)
A64_UNIT_SRCS := tests/unit/main.cc $(wildcard tests/unit/arch/arm64/*.cc) tests/unit/core/result_test.cc \
                 tests/unit/core/symbol_table_test.cc tests/support/test_port.cc tests/support/sysctl_ops.cc $(wildcard tests/arm64/unit/*.cc)
A64_HOSTED_SRCS := $(filter-out hypervisor/port/hosted/main.cc,$(wildcard hypervisor/port/hosted/*.cc))
A64_ITEST_SRCS := tests/integration/patching_test.cc tests/integration/race_test.cc tests/integration/itest_sysctl.cc \
                  tests/integration/runtime.cc tests/unit/main.cc

$(A64)/obj/core/%.o: %.cc | $(A64_STAMP)
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_CORE_CXXFLAGS) -c $< -o $@

$(A64)/obj/host/%.o: %.cc | $(A64_STAMP)
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_HOST_CXXFLAGS) -c $< -o $@

$(A64)/lib/liblivepatch-core.a: $(patsubst %.cc,$(A64)/obj/core/%.o,$(A64_CORE_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && aarch64-linux-gnu-ar rcs $@ $^

$(A64)/lib/libhosted.a: $(patsubst %.cc,$(A64)/obj/host/%.o,$(A64_HOSTED_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && aarch64-linux-gnu-ar rcs $@ $^

$(A64)/bin/unit-tests: $(patsubst %.cc,$(A64)/obj/host/%.o,$(A64_UNIT_SRCS)) $(A64)/lib/liblivepatch-core.a
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_LDFLAGS) -o $@ $^ -lcapstone $(A64_ELF_LIBS) -pthread

$(A64)/bin/hosted-hypervisor: $(A64)/obj/host/hypervisor/port/hosted/main.o $(A64)/lib/libhosted.a \
		$(A64)/lib/liblivepatch-core.a $(HOSTED_TEXT_LDS)
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_LDFLAGS) -Wl,--build-id=sha1 $(HOSTED_LDFLAGS) -o $@ $(filter-out %.ld,$^) $(A64_ELF_LIBS) -lboost_program_options -pthread

$(A64)/bin/integration-tests: $(patsubst %.cc,$(A64)/obj/host/%.o,$(A64_ITEST_SRCS)) $(A64)/lib/libhosted.a \
		$(A64)/lib/liblivepatch-core.a $(HOSTED_TEXT_LDS)
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_LDFLAGS) -Wl,--build-id=sha1 $(HOSTED_LDFLAGS) -o $@ $(filter-out %.ld,$^) $(A64_ELF_LIBS) -pthread

# The dom0 tool and the payload builder: the sources of xl-tool.mk and builder.mk, the AArch64
# core (offline `info`/`check` and the builder's engine check run the arm64 loader), libxenctrl
# and the libraries it needs linked statically.
A64_XEN_LIBS := -L$(A64_XEN_LIBDIR) -lxenctrl -lxendevicemodel -lxenforeignmemory -lxengnttab -lxenevtchn -lxencall \
                -lxentoollog -lxentoolcore
$(A64)/obj/host/payloads/builder/%.o: A64_HOST_CXXFLAGS += -DLP_PAYLOAD_INCLUDE_DIR='"$(BUILDER_INCLUDE_DIR)"'

$(A64)/lib/libxltool.a: $(patsubst %.cc,$(A64)/obj/host/%.o,$(TOOL_LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && aarch64-linux-gnu-ar rcs $@ $^

$(A64)/lib/liblpbuild.a: $(patsubst %.cc,$(A64)/obj/host/%.o,$(BUILDER_LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && aarch64-linux-gnu-ar rcs $@ $^

$(A64)/bin/xen-livepatch: $(A64)/obj/host/$(TOOL_MAIN:.cc=.o) $(A64)/lib/libxltool.a $(A64)/lib/liblivepatch-core.a
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_LDFLAGS) -o $@ $^ -lboost_program_options $(A64_XEN_LIBS) $(A64_ELF_LIBS) -pthread

$(A64)/bin/livepatch-build: $(A64)/obj/host/$(BUILDER_MAIN:.cc=.o) $(A64)/lib/liblpbuild.a $(A64)/lib/libxltool.a \
		$(A64)/lib/liblivepatch-core.a
	@mkdir -p $(@D)
	$(A64_CXX) $(A64_LDFLAGS) -o $@ $^ -lboost_program_options -lcapstone $(A64_XEN_LIBS) $(A64_ELF_LIBS) -pthread

# A script that runs an AArch64 program under qemu-aarch64-static, for harnesses that exec a path
# (LP_TOOL_BIN). Next to the program, so that the tests find the source tree above it.
$(A64)/bin/%-qemu: $(A64)/bin/% tests/arm64/arm64.mk
	printf '#!/bin/sh\nexec $(A64_QEMU) "%s" "$$@"\n' "$(abspath $<)" > $@
	chmod +x $@

$(A64)/fixtures/tool-%.o: tests/tool/payloads/%.c tests/fixtures/payloads/fixture_payload.h | $(A64_STAMP)
	@mkdir -p $(@D)
	$(A64_CC) $(A64_PAYLOAD_CFLAGS) -c $< -o $@

$(A64)/tool-payloads/%.livepatch: $(A64)/fixtures/tool-%.o $(A64)/bin/hosted-hypervisor
	@mkdir -p $(@D)
	LD=$(A64_LD) OBJCOPY=$(A64_OBJCOPY) scripts/link-test-payload.sh $(A64)/bin/hosted-hypervisor $< $@

A64_TOOL_PAYLOADS := $(patsubst tests/tool/payloads/%.c,$(A64)/tool-payloads/%.livepatch,$(wildcard tests/tool/payloads/*.c))

# ---------------------------------------------------------------------------------------------
# AArch64 payloads: C compiled by the cross gcc with flags that give only relocations Xen accepts
# on arm64 (-fpic with hidden visibility: ADRP/ADD and CALL26/JUMP26 instead of GOT entries;
# ABS64 for the pointers of the records; no PLT, no outline atomics calling into libgcc), then
# ld -r with a build-id and Xen's two dependency notes, as tests/fixtures/fixtures.mk does.
A64_PAYLOAD_CFLAGS := -O2 -fpic -fvisibility=hidden -mcmodel=small -fno-plt -mno-outline-atomics \
                      $(A64_ARCH_FLAGS) -ffunction-sections -fdata-sections -fno-stack-protector -fno-common \
                      -fno-asynchronous-unwind-tables -fno-unwind-tables \
                      -Wall -Wextra -Werror -Itests/fixtures/payloads

$(A64)/fixtures/hv-build-id.note: tests/fixtures/fixtures.mk scripts/make-build-id-note.py
	@mkdir -p $(@D)
	python3 scripts/make-build-id-note.py $(FIXTURE_BUILD_ID) $@

$(A64)/fixtures/%.o: tests/fixtures/payloads/%.c tests/fixtures/payloads/fixture_payload.h | $(A64_STAMP)
	@mkdir -p $(@D)
	$(A64_CC) $(A64_PAYLOAD_CFLAGS) -c $< -o $@

$(A64)/fixtures/itest-%.o: tests/integration/payloads/%.c tests/fixtures/payloads/fixture_payload.h | $(A64_STAMP)
	@mkdir -p $(@D)
	$(A64_CC) $(A64_PAYLOAD_CFLAGS) -c $< -o $@

# $(call a64_link_payload,object,note,output)
define a64_link_payload
$(A64_LD) -r --build-id=sha1 -o $(3).tmp $(1)
$(A64_OBJCOPY) --add-section .livepatch.depends=$(2) --set-section-flags .livepatch.depends=alloc,readonly \
        --add-section .livepatch.xen_depends=$(2) --set-section-flags .livepatch.xen_depends=alloc,readonly \
        $(3).tmp $(3)
rm -f $(3).tmp
endef

$(A64)/fixtures/%.livepatch: $(A64)/fixtures/%.o $(A64)/fixtures/hv-build-id.note
	$(call a64_link_payload,$<,$(A64)/fixtures/hv-build-id.note,$@)

$(A64)/itest-payloads/%.livepatch: $(A64)/fixtures/itest-%.o $(A64)/bin/integration-tests
	@mkdir -p $(@D)
	LD=$(A64_LD) OBJCOPY=$(A64_OBJCOPY) scripts/link-test-payload.sh $(A64)/bin/integration-tests $< $@

# hello with an empty, allocated .altinstructions (tests/arm64/unit/upload_rules_arm64_test.cc).
$(A64)/fixtures/hello-alt-empty.livepatch: $(A64)/fixtures/hello.livepatch
	$(A64_OBJCOPY) --add-section .altinstructions=/dev/null --set-section-flags .altinstructions=alloc,readonly $< $@

# hello with an empty .ex_table; and with a 4-byte .bug_frames.0 added after it (both sections
# are after .text in the file, .ex_table first).
$(A64)/fixtures/hello-extable.livepatch: $(A64)/fixtures/hello.livepatch
	$(A64_OBJCOPY) --add-section .ex_table=/dev/null --set-section-flags .ex_table=alloc,readonly $< $@

$(A64)/fixtures/hello-extable-bugframe.livepatch: $(A64)/fixtures/hello-extable.livepatch
	printf 'bug!' > $@.bug
	$(A64_OBJCOPY) --add-section .bug_frames.0=$@.bug --set-section-flags .bug_frames.0=alloc,readonly $< $@
	rm -f $@.bug

A64_FIXTURES := $(patsubst tests/fixtures/payloads/%.c,$(A64)/fixtures/%.livepatch,$(FIXTURE_SRCS)) \
                $(A64)/fixtures/hello-alt-empty.livepatch $(A64)/fixtures/hello-extable.livepatch \
                $(A64)/fixtures/hello-extable-bugframe.livepatch
A64_ITEST_PAYLOADS := $(patsubst tests/integration/payloads/%.c,$(A64)/itest-payloads/%.livepatch,\
                      $(wildcard tests/integration/payloads/*.c))

# The AArch64 core as one relocatable object, checked for undefined references as on x86-64.
$(A64)/freestanding/livepatch-core.o: $(patsubst %.cc,$(A64)/obj/core/%.o,$(A64_CORE_SRCS))
	@mkdir -p $(@D)
	$(A64_LD) -r -o $@ $^

check-freestanding-arm64: $(A64)/freestanding/livepatch-core.o scripts/check-freestanding.sh
	bash scripts/check-freestanding.sh $<

# ---------------------------------------------------------------------------------------------
# The samples, built by the release livepatch-build against the AArch64 hosted hypervisor: the
# same rules as examples.mk, another target image.
A64_SAMPLE_DEPS := $(SAMPLE_HEADERS) $(SAMPLE_BUILDER) $(A64)/bin/hosted-hypervisor
A64_SAMPLE_BUILD = $(SAMPLE_BUILDER) --target $(A64)/bin/hosted-hypervisor $(SAMPLE_INCLUDES)

$(A64)/samples/%.livepatch: payloads/examples/%.cc $(A64_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64_SAMPLE_BUILD) -o $@ $<

$(A64)/samples/stacked.livepatch: payloads/examples/stacked.cc $(A64)/samples/hello.livepatch $(A64_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64_SAMPLE_BUILD) --depends $(A64)/samples/hello.livepatch -o $@ $<

$(A64)/samples/hooks-veto.livepatch: payloads/examples/hooks.cc $(A64_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64_SAMPLE_BUILD) -D HOOKS_VETO -o $@ $<

$(A64)/samples/cumulative.livepatch: payloads/examples/cumulative.cc payloads/examples/grant-fix.cc $(A64_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64_SAMPLE_BUILD) -o $@ payloads/examples/cumulative.cc payloads/examples/grant-fix.cc

A64_SAMPLES := $(patsubst %,$(A64)/samples/%.livepatch,$(SAMPLE_NAMES))

# The same samples built by the AArch64 livepatch-build under qemu-aarch64-static, with the cross
# tools (LIVEPATCH_BUILD_TOOL_PREFIX): the sample tests apply them with the AArch64 tool.
A64B := $(A64)/samples-a64build
A64B_SAMPLE_DEPS := $(SAMPLE_HEADERS) $(A64)/bin/livepatch-build-qemu $(A64)/bin/hosted-hypervisor
A64B_SAMPLE_BUILD = LIVEPATCH_BUILD_TOOL_PREFIX=aarch64-linux-gnu- $(A64)/bin/livepatch-build-qemu \
                    --target $(A64)/bin/hosted-hypervisor $(SAMPLE_INCLUDES)

$(A64B)/%.livepatch: payloads/examples/%.cc $(A64B_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64B_SAMPLE_BUILD) -o $@ $<

$(A64B)/stacked.livepatch: payloads/examples/stacked.cc $(A64B)/hello.livepatch $(A64B_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64B_SAMPLE_BUILD) --depends $(A64B)/hello.livepatch -o $@ $<

$(A64B)/hooks-veto.livepatch: payloads/examples/hooks.cc $(A64B_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64B_SAMPLE_BUILD) -D HOOKS_VETO -o $@ $<

$(A64B)/cumulative.livepatch: payloads/examples/cumulative.cc payloads/examples/grant-fix.cc $(A64B_SAMPLE_DEPS)
	@mkdir -p $(@D)
	$(A64B_SAMPLE_BUILD) -o $@ payloads/examples/cumulative.cc payloads/examples/grant-fix.cc

A64B_SAMPLES := $(patsubst %,$(A64B)/%.livepatch,$(SAMPLE_NAMES))
A64_TOOL_PREREQS := $(A64)/bin/xen-livepatch-qemu $(A64)/bin/livepatch-build-qemu $(A64_TOOL_PAYLOADS) $(A64B_SAMPLES) \
                    $(BUILD)/release/bin/tool-tests
A64_SAMPLE_TEST_PREREQS := $(A64_SAMPLES) $(BUILD)/release/bin/sample-tests $(BUILD)/release/bin/xen-livepatch \
                           $(BUILD)/release/bin/guest-probe $(BUILD)/release/bin/builder-tests

# ---------------------------------------------------------------------------------------------
# The tool tests that run with the AArch64 tool, as doctest filters. Left out: the offline suite
# (it also runs the x86-64 tool-tests' own in-process loader and readelf comparisons on the
# payloads, which are AArch64 here) and the two status tests that assert x86-64's 5-byte jump
# (AArch64 patches 4 bytes; the sample tests check AArch64 applies).
A64_TOOL_TEST_FILTER ?= --test-suite-exclude='tool offline' \
                        --test-case-exclude='status after apply*,status --json*'

# Cycles of the 10,000-cycle integration test under emulation (each window is slower there).
A64_ITEST_CYCLES ?= 300

arm64: $(A64)/bin/unit-tests $(A64)/bin/hosted-hypervisor $(A64)/bin/integration-tests $(A64_FIXTURES) \
       $(A64_ITEST_PAYLOADS) $(A64_SAMPLE_TEST_PREREQS) $(A64_TOOL_PREREQS)

test-arm64: arm64 check-freestanding-arm64
	@echo "== AArch64 unit tests (qemu-aarch64)"
	$(A64_QEMU) $(A64)/bin/unit-tests
	@echo "== AArch64 integration tests: the hosted hypervisor patched under load (qemu-aarch64)"
	LP_ITEST_PAYLOADS=$(A64)/itest-payloads LP_ITEST_CYCLES=$(A64_ITEST_CYCLES) \
	    $(A64_QEMU) $(A64)/bin/integration-tests
	@echo "== livepatch-build for AArch64 (the builder tests' aarch64 suite)"
	LP_A64_HOSTED_BIN=$(abspath $(A64)/bin/hosted-hypervisor) LP_BUILDER_BIN=$(abspath $(SAMPLE_BUILDER)) \
	    LP_BUILDER_SOURCES=$(abspath tests/builder/sources) $(BUILD)/release/bin/builder-tests --test-suite=aarch64
	@echo "== AArch64 sample payloads: the host's xen-livepatch against the AArch64 hosted hypervisor (qemu-aarch64)"
	LP_HOSTED_RUNNER=$(A64_QEMU) LP_HOSTED_BIN=$(abspath $(A64)/bin/hosted-hypervisor) \
	    LP_TOOL_BIN=$(abspath $(BUILD)/release/bin/xen-livepatch) LP_SAMPLES=$(abspath $(A64)/samples) \
	    LP_GUEST_PROBE_BIN=$(abspath $(BUILD)/release/bin/guest-probe) $(BUILD)/release/bin/sample-tests
	@echo "== the AArch64 xen-livepatch against the AArch64 hosted hypervisor: the tool tests (both under qemu-aarch64)"
	LP_HOSTED_RUNNER=$(A64_QEMU) LP_HOSTED_BIN=$(abspath $(A64)/bin/hosted-hypervisor) \
	    LP_TOOL_BIN=$(abspath $(A64)/bin/xen-livepatch-qemu) LP_TOOL_PAYLOADS=$(abspath $(A64)/tool-payloads) \
	    LP_OBJCOPY=$(A64_OBJCOPY) $(BUILD)/release/bin/tool-tests $(A64_TOOL_TEST_FILTER)
	@echo "== samples built by the AArch64 livepatch-build, applied by the AArch64 xen-livepatch (qemu-aarch64)"
	LP_HOSTED_RUNNER=$(A64_QEMU) LP_HOSTED_BIN=$(abspath $(A64)/bin/hosted-hypervisor) \
	    LP_TOOL_BIN=$(abspath $(A64)/bin/xen-livepatch-qemu) LP_SAMPLES=$(abspath $(A64B)) \
	    LP_GUEST_PROBE_BIN=$(abspath $(BUILD)/release/bin/guest-probe) $(BUILD)/release/bin/sample-tests
	@echo "make test-arm64: all suites passed"

-include $(shell find $(A64)/obj -name '*.d' 2>/dev/null)

.PHONY: arm64 test-arm64 check-freestanding-arm64
