# livepatch-build, the payload builder (payloads/builder/), and its tests (tests/builder/).
#
#   $(BUILD)/<variant>/bin/livepatch-build   the builder: compiles payload sources against a target
#                                            hypervisor image and writes a checked payload
#   $(BUILD)/<variant>/bin/builder-tests     doctest suite that runs the builder as a user would,
#                                            against the hosted hypervisor and two xen-syms-like
#                                            images (below)
#   $(BUILD)/bin/livepatch-build             the release builder at its documented place
#
# Defines, for the top-level Makefile:
#   BUILDER_TEST_PREREQS   what `make test` needs built before it runs the builder tests
#   BUILDER_TEST_RUN       the recipe lines (a define; lines without a leading tab) that run them

BUILDER_MAIN := payloads/builder/main.cc
BUILDER_LIB_SRCS := $(filter-out $(BUILDER_MAIN),$(shell find payloads/builder -name '*.cc' 2>/dev/null))
BUILDER_TEST_SRCS := $(shell find tests/builder -name '*.cc' -not -path 'tests/builder/sources/*' 2>/dev/null) tests/unit/main.cc
BUILDER_LIBS := -lboost_program_options -lelf -lcapstone -pthread
# The payload header, found at run time relative to the executable, else here.
BUILDER_INCLUDE_DIR := $(abspath payloads/include)

define builder_rules
$(BUILD)/$(1)/obj/host/payloads/builder/%.o: HOST_CXXFLAGS += -DLP_PAYLOAD_INCLUDE_DIR='"$(BUILDER_INCLUDE_DIR)"'

$(BUILD)/$(1)/lib/liblpbuild.a: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(BUILDER_LIB_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/$(1)/bin/livepatch-build: $(BUILD)/$(1)/obj/host/$(BUILDER_MAIN:.cc=.o) $(BUILD)/$(1)/lib/liblpbuild.a \
		$(BUILD)/$(1)/lib/libxltool.a $(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ $(BUILDER_LIBS)

$(BUILD)/$(1)/bin/builder-tests: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(BUILDER_TEST_SRCS)) \
		$(BUILD)/$(1)/lib/liblpbuild.a $(BUILD)/$(1)/lib/libxltool.a $(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ $(BUILDER_LIBS)
endef
$(eval $(call builder_rules,release))
$(eval $(call builder_rules,asan))

$(BUILD)/bin/livepatch-build: $(BUILD)/release/bin/livepatch-build
	@mkdir -p $(@D)
	ln -sf ../release/bin/livepatch-build $@

# ---------------------------------------------------------------------------------------------
# xen-syms-like images for the tests: the C files of tests/builder/image/ compiled as Xen compiles
# its own code (with and without IBT), each object's STT_FILE renamed to its path under image/
# (as Xen's ENFORCE_UNIQUE_SYMBOLS names statics "common/sched.c#name"), linked as an ET_EXEC at
# Xen's address with a build-id and its symbol table.
BUILDER_IMAGE_SRCS := $(shell cd tests/builder/image 2>/dev/null && find . -name '*.c' | sed 's|^\./||' | sort)
BUILDER_IMAGE_CFLAGS := -O2 -fpic -fvisibility=hidden -mno-red-zone -fno-stack-protector -fno-common \
                        -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -ffreestanding \
                        -Wall -Wextra -Werror
BUILDER_IMAGE_CF_ibt := -fcf-protection=branch
BUILDER_IMAGE_CF_plain := -fcf-protection=none

define builder_image_rules
$(BUILD)/builder-images/$(1)/%.o: tests/builder/image/%.c tests/builder/image/image.h | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $(BUILDER_IMAGE_CFLAGS) $(BUILDER_IMAGE_CF_$(1)) -Itests/builder/image -c $$< -o $$@.tmp
	objcopy --redefine-sym $$(notdir $$<)=$$*.c $$@.tmp $$@
	rm -f $$@.tmp

$(BUILD)/builder-images/xen-syms-$(1): $(patsubst %.c,$(BUILD)/builder-images/$(1)/%.o,$(BUILDER_IMAGE_SRCS))
	ld -Ttext-segment=0xffff82d040200000 -e do_compute --build-id=sha1 -z noexecstack -o $$@ $$^
endef
$(eval $(call builder_image_rules,ibt))
$(eval $(call builder_image_rules,plain))

BUILDER_TEST_IMAGES := $(BUILD)/builder-images/xen-syms-ibt $(BUILD)/builder-images/xen-syms-plain

BUILDER_TEST_PREREQS := $(BUILD)/release/bin/livepatch-build $(BUILD)/asan/bin/livepatch-build \
                        $(BUILD)/release/bin/builder-tests $(BUILD)/asan/bin/builder-tests \
                        $(BUILD)/release/bin/hosted-hypervisor $(BUILD)/asan/bin/hosted-hypervisor \
                        $(BUILDER_TEST_IMAGES)

# Runs the builder tests of one variant: that variant's builder and hosted hypervisor.
BUILDER_TEST_ENV = LP_BUILDER_BIN=$(abspath $(BUILD)/$(1)/bin/livepatch-build) \
                   LP_HOSTED_BIN=$(abspath $(BUILD)/$(1)/bin/hosted-hypervisor) \
                   LP_XEN_IMAGE_IBT=$(abspath $(BUILD)/builder-images/xen-syms-ibt) \
                   LP_XEN_IMAGE_PLAIN=$(abspath $(BUILD)/builder-images/xen-syms-plain) \
                   LP_BUILDER_SOURCES=$(abspath tests/builder/sources)

define BUILDER_TEST_RUN
@echo "== livepatch-build tests (release)"
$(call BUILDER_TEST_ENV,release) $(BUILD)/release/bin/builder-tests
@echo "== livepatch-build tests (sanitizers)"
$(SAN_ENV) $(call BUILDER_TEST_ENV,asan) $(BUILD)/asan/bin/builder-tests
endef

builder: $(BUILD)/bin/livepatch-build
.PHONY: builder
