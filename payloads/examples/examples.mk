# Sample payloads (payloads/examples/), built by livepatch-build against the hosted hypervisor,
# their tests (tests/samples/), and guest-probe (the demo's and the tests' view of the guests).
#
#   $(BUILD)/<variant>/samples/<name>.livepatch   each sample, built against that variant's
#                                                  hosted-hypervisor: rebuilt when it relinks
#                                                  (its build-id changes)
#   $(BUILD)/<variant>/bin/sample-tests            doctest suite: loads each sample into a running
#                                                  hosted hypervisor with the real xen-livepatch and
#                                                  checks what its guests see
#
# Defines, for the top-level Makefile:
#   SAMPLE_TEST_PREREQS    what `make test` needs built before it runs the sample tests
#   SAMPLE_TEST_RUN        the recipe lines (a define; lines without a leading tab) that run them
#   DEMO_PREREQS           what `make demo` needs built

include hypervisor/port/hosted/probe/probe.mk

# The samples. Most are one source; the exceptions have their own rule below.
SAMPLE_NAMES := hello stacked grant-fix nop hooks hooks-veto cumulative
# livepatch-build of the release build: a dom0 tool, whatever variant the target image is.
SAMPLE_BUILDER := $(BUILD)/release/bin/livepatch-build
SAMPLE_INCLUDES := -I hypervisor/port/hosted
# Headers the samples include: a change rebuilds them.
SAMPLE_HEADERS := hypervisor/port/hosted/hypercalls.h payloads/include/livepatch/payload.h

SAMPLE_TEST_SRCS := $(wildcard tests/samples/*.cc) tests/tool/tool_harness.cc tests/unit/main.cc

define sample_rules
$(BUILD)/$(1)/samples/%.livepatch: payloads/examples/%.cc $(SAMPLE_HEADERS) $(SAMPLE_BUILDER) \
		$(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	$(SAMPLE_BUILDER) --target $(BUILD)/$(1)/bin/hosted-hypervisor $(SAMPLE_INCLUDES) -o $$@ $$<

# Stacked on hello: its .livepatch.depends is hello's build-id.
$(BUILD)/$(1)/samples/stacked.livepatch: payloads/examples/stacked.cc $(BUILD)/$(1)/samples/hello.livepatch \
		$(SAMPLE_HEADERS) $(SAMPLE_BUILDER) $(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	$(SAMPLE_BUILDER) --target $(BUILD)/$(1)/bin/hosted-hypervisor $(SAMPLE_INCLUDES) \
	    --depends $(BUILD)/$(1)/samples/hello.livepatch -o $$@ payloads/examples/stacked.cc

# hooks.cc with a pre-apply hook that vetoes every APPLY.
$(BUILD)/$(1)/samples/hooks-veto.livepatch: payloads/examples/hooks.cc $(SAMPLE_HEADERS) $(SAMPLE_BUILDER) \
		$(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	$(SAMPLE_BUILDER) --target $(BUILD)/$(1)/bin/hosted-hypervisor $(SAMPLE_INCLUDES) -D HOOKS_VETO \
	    -o $$@ payloads/examples/hooks.cc

# The cumulative payload carries the grant-copy fix: two sources.
$(BUILD)/$(1)/samples/cumulative.livepatch: payloads/examples/cumulative.cc payloads/examples/grant-fix.cc \
		$(SAMPLE_HEADERS) $(SAMPLE_BUILDER) $(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	$(SAMPLE_BUILDER) --target $(BUILD)/$(1)/bin/hosted-hypervisor $(SAMPLE_INCLUDES) \
	    -o $$@ payloads/examples/cumulative.cc payloads/examples/grant-fix.cc

SAMPLES_$(1) := $(patsubst %,$(BUILD)/$(1)/samples/%.livepatch,$(SAMPLE_NAMES))

$(BUILD)/$(1)/bin/sample-tests: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(SAMPLE_TEST_SRCS)) \
		$(BUILD)/$(1)/lib/libxltool.a $(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ -pthread
endef
$(eval $(call sample_rules,release))
$(eval $(call sample_rules,asan))

samples: $(SAMPLES_release)
.PHONY: samples

# Runs the sample tests of one variant: that variant's tool, hosted hypervisor and samples; the
# release guest-probe.
SAMPLE_TEST_ENV = LP_TOOL_BIN=$(abspath $(BUILD)/$(1)/bin/xen-livepatch) \
                  LP_HOSTED_BIN=$(abspath $(BUILD)/$(1)/bin/hosted-hypervisor) \
                  LP_SAMPLES=$(abspath $(BUILD)/$(1)/samples) \
                  LP_GUEST_PROBE_BIN=$(abspath $(BUILD)/release/bin/guest-probe)

SAMPLE_TEST_PREREQS := $(SAMPLES_release) $(SAMPLES_asan) \
                       $(BUILD)/release/bin/sample-tests $(BUILD)/asan/bin/sample-tests \
                       $(BUILD)/release/bin/xen-livepatch $(BUILD)/asan/bin/xen-livepatch \
                       $(BUILD)/release/bin/hosted-hypervisor $(BUILD)/asan/bin/hosted-hypervisor \
                       $(BUILD)/release/bin/guest-probe

define SAMPLE_TEST_RUN
@echo "== sample payload tests (release)"
$(call SAMPLE_TEST_ENV,release) $(BUILD)/release/bin/sample-tests
@echo "== sample payload tests (sanitizers)"
$(SAN_ENV) $(call SAMPLE_TEST_ENV,asan) $(BUILD)/asan/bin/sample-tests
endef

# The demo builds its own payload with livepatch-build; it needs the release tools.
DEMO_PREREQS := $(DEPS_STAMP) $(BUILD)/release/bin/hosted-hypervisor $(BUILD)/release/bin/xen-livepatch \
                $(BUILD)/release/bin/livepatch-build $(BUILD)/release/bin/guest-probe
