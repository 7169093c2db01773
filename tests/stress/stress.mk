# The control-plane stress test (tests/stress/): clients hammer a running hosted hypervisor's control
# socket with random actions on payloads whose hooks are slow, and the recorded history is checked
# for linearizability against a model of the engine's state machine.
#
#   $(BUILD)/<variant>/bin/stress-test          doctest suite: the checker's own tests, and the run
#   $(BUILD)/<variant>/stress-payloads/*.livepatch   payloads built against that variant's
#                                               hosted-hypervisor (one source, configured per payload)
#
# Defines, for the top-level Makefile: STRESS_TEST_PREREQS and STRESS_TEST_RUN (variants release and
# tsan; LP_STRESS_SECONDS, default 60, and LP_STRESS_SEED may be given on the command line).

STRESS_TEST_SRCS := $(wildcard tests/stress/*.cc) tests/unit/main.cc
STRESS_PAYLOAD_NAMES := a b c d p x
STRESS_SECONDS ?= 60

# Each payload's configuration (tests/stress/payloads/stress_patch.c describes the macros).
STRESS_CFLAGS_a := -DCOMPUTE -DLOAD_MS=60 -DUNLOAD_MS=30 -DRO_HOOKS
STRESS_CFLAGS_b := -DLOAD_MS=100 -DUNLOAD_MS=50
STRESS_CFLAGS_c := -DCOMPUTE -DLOAD_MS=20 -DUNLOAD_MS=150 -DRO_HOOKS
STRESS_CFLAGS_d := -DCOMPUTE -DLOAD_MS=40 -DUNLOAD_MS=40 -DRO_HOOKS
STRESS_CFLAGS_p := -DPOST_MS=80 -DRO_HOOKS
STRESS_CFLAGS_x := -DEXPECT_BAD -DLOAD_MS=60 -DUNLOAD_MS=60 -DRO_HOOKS

$(BUILD)/fixtures/stress-%.o: tests/stress/payloads/stress_patch.c tests/fixtures/payloads/fixture_payload.h \
		tests/stress/stress.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PAYLOAD_CFLAGS) -DID=$* $(STRESS_CFLAGS_$*) -c $< -o $@

define stress_rules
$(BUILD)/$(1)/stress-payloads/%.livepatch: $(BUILD)/fixtures/stress-%.o $(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	scripts/link-test-payload.sh $(BUILD)/$(1)/bin/hosted-hypervisor $$< $$@

# d stacks on a: its .livepatch.depends is a's build-id.
$(BUILD)/$(1)/stress-payloads/d.livepatch: $(BUILD)/fixtures/stress-d.o $(BUILD)/$(1)/stress-payloads/a.livepatch \
		$(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	scripts/link-test-payload.sh --on $(BUILD)/$(1)/stress-payloads/a.livepatch $(BUILD)/$(1)/bin/hosted-hypervisor $$< $$@

STRESS_PAYLOADS_$(1) := $(patsubst %,$(BUILD)/$(1)/stress-payloads/%.livepatch,$(STRESS_PAYLOAD_NAMES))

$(BUILD)/$(1)/bin/stress-test: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(STRESS_TEST_SRCS)) \
		$(BUILD)/$(1)/lib/libxltool.a $(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ -lelf -pthread
endef
$(eval $(call stress_rules,release))
$(eval $(call stress_rules,tsan))

STRESS_TEST_ENV = LP_HOSTED_BIN=$(abspath $(BUILD)/$(1)/bin/hosted-hypervisor) \
                  LP_STRESS_PAYLOADS=$(abspath $(BUILD)/$(1)/stress-payloads) \
                  LP_STRESS_SECONDS=$(STRESS_SECONDS)

STRESS_TEST_PREREQS := $(STRESS_PAYLOADS_release) $(STRESS_PAYLOADS_tsan) \
                       $(BUILD)/release/bin/stress-test $(BUILD)/tsan/bin/stress-test \
                       $(BUILD)/release/bin/hosted-hypervisor $(BUILD)/tsan/bin/hosted-hypervisor

# This file is included after the Makefile's test rule: its prerequisites are added here.
test: $(STRESS_TEST_PREREQS)
stress-test: $(STRESS_TEST_PREREQS)
	$(STRESS_TEST_RUN)
.PHONY: stress-test

# The payload objects are shared by the variants: keep them (make would delete them as
# intermediate files and compile them again for the next variant).
.SECONDARY: $(patsubst %,$(BUILD)/fixtures/stress-%.o,$(STRESS_PAYLOAD_NAMES))
