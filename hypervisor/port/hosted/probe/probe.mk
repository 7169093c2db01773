# guest-probe (hypervisor/port/hosted/probe/): asks a running hosted hypervisor what its guests see,
# through the control socket's guest requests (hypervisor/port/hosted/guest_probe.h).
#
#   $(BUILD)/<variant>/bin/guest-probe   the program
#   $(BUILD)/bin/guest-probe             the release program at its documented place

GUEST_PROBE_MAIN := hypervisor/port/hosted/probe/main.cc

define guest_probe_rules
$(BUILD)/$(1)/bin/guest-probe: $(BUILD)/$(1)/obj/host/$(GUEST_PROBE_MAIN:.cc=.o) $(BUILD)/$(1)/lib/libxltool.a \
		$(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ -lboost_program_options -pthread
endef
$(eval $(call guest_probe_rules,release))
$(eval $(call guest_probe_rules,asan))

$(BUILD)/bin/guest-probe: $(BUILD)/release/bin/guest-probe
	@mkdir -p $(@D)
	ln -sf ../release/bin/guest-probe $@
