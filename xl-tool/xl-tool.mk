# xen-livepatch, the dom0 control tool (xl-tool/), and its tests (tests/tool/).
#
#   $(BUILD)/<variant>/bin/xen-livepatch   the tool: backends libxenctrl (real Xen) and the hosted
#                                          hypervisor's socket; offline `info` and `check` run the
#                                          engine's own loader (the core library) against an image
#   $(BUILD)/<variant>/bin/tool-tests      doctest suite that runs the tool as a user would,
#                                          against a hosted-hypervisor process it starts
#   $(BUILD)/bin/xen-livepatch             the release tool at its documented place
#
# Payloads for the tool tests (tests/tool/payloads/*.c) are built against the hosted hypervisor
# binary of the same variant.

TOOL_MAIN := xl-tool/main.cc
TOOL_LIB_SRCS := $(filter-out $(TOOL_MAIN),$(shell find xl-tool -name '*.cc' 2>/dev/null))
TOOL_TEST_SRCS := $(shell find tests/tool -name '*.cc' 2>/dev/null) tests/unit/main.cc
TOOL_LIBS := -lboost_program_options -lxenctrl -lelf -pthread

define tool_rules
$(BUILD)/$(1)/lib/libxltool.a: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(TOOL_LIB_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/$(1)/bin/xen-livepatch: $(BUILD)/$(1)/obj/host/$(TOOL_MAIN:.cc=.o) $(BUILD)/$(1)/lib/libxltool.a \
		$(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ $(TOOL_LIBS)

$(BUILD)/$(1)/bin/tool-tests: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(TOOL_TEST_SRCS)) \
		$(BUILD)/$(1)/lib/libxltool.a $(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ $(TOOL_LIBS)

$(BUILD)/$(1)/tool-payloads/%.livepatch: $(BUILD)/fixtures/tool-%.o $(BUILD)/$(1)/bin/hosted-hypervisor
	@mkdir -p $$(@D)
	scripts/link-test-payload.sh $(BUILD)/$(1)/bin/hosted-hypervisor $$< $$@

TOOL_PAYLOADS_$(1) := $(patsubst tests/tool/payloads/%.c,$(BUILD)/$(1)/tool-payloads/%.livepatch,$(wildcard tests/tool/payloads/*.c))
endef
$(eval $(call tool_rules,release))
$(eval $(call tool_rules,asan))
$(eval $(call tool_rules,tsan))

$(BUILD)/fixtures/tool-%.o: tests/tool/payloads/%.c tests/fixtures/payloads/fixture_payload.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PAYLOAD_CFLAGS) -c $< -o $@

$(BUILD)/bin/xen-livepatch: $(BUILD)/release/bin/xen-livepatch
	@mkdir -p $(@D)
	ln -sf ../release/bin/xen-livepatch $@

# Runs the tool tests of one variant: the tool and hosted hypervisor binaries of that variant,
# payloads built against that hypervisor.
TOOL_TEST_ENV = LP_TOOL_BIN=$(abspath $(BUILD)/$(1)/bin/xen-livepatch) \
                LP_HOSTED_BIN=$(abspath $(BUILD)/$(1)/bin/hosted-hypervisor) \
                LP_TOOL_PAYLOADS=$(abspath $(BUILD)/$(1)/tool-payloads)
