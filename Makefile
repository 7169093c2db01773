# Xen-compatible livepatch engine: top-level build.
#
#   make            build the engine core and the unit tests
#   make test       install missing packages, build, run every test suite (plain and sanitized),
#                   and check the core is freestanding
#   make demo       the demonstration (see README.md)
#   make bench      benchmarks; figures in build/bench/results.json
#   make fuzz       build the libFuzzer target; FUZZ_SECONDS=N also runs it for N seconds
#   make check-freestanding   the core links with nothing but the port and mem* functions
#   make clean
#
# Every object goes under build/<variant>/ with its header dependencies (-MMD) tracked.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Parallel by default: one job per core unless the command line chose (-jN, or -j1 for serial).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif

BUILD ?= build
ARCH ?= $(shell uname -m)
ifeq ($(ARCH),aarch64)
  ARCH_DIR := arm64
else
  ARCH_DIR := x86_64
endif

CXX ?= g++
CC ?= gcc
ifeq ($(origin CXX),default)
  CXX := g++
endif
ifeq ($(origin CC),default)
  CC := gcc
endif

# ---------------------------------------------------------------------------------------------
# Dependencies: installed by scripts/install-deps.sh when a marker header or tool is missing.
DEPS_STAMP := $(BUILD)/.deps-ok
DEPS_PROBES := /usr/bin/g++ /usr/bin/gcc /usr/bin/ld /usr/bin/objcopy /usr/bin/python3 \
               /usr/include/xen/sysctl.h /usr/include/doctest/doctest.h /usr/include/gelf.h \
               /usr/include/boost/program_options.hpp /usr/include/nlohmann/json.hpp \
               /usr/include/capstone/capstone.h /usr/bin/clang++ /usr/bin/aarch64-linux-gnu-objdump \
               /usr/bin/qemu-system-x86_64
$(DEPS_STAMP): scripts/install-deps.sh
	@missing=0; for f in $(DEPS_PROBES); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then bash scripts/install-deps.sh; fi
	@mkdir -p $(@D) && touch $@
deps: $(DEPS_STAMP)
.PHONY: deps

# ---------------------------------------------------------------------------------------------
# Flags.
WARN := -Wall -Wextra -Werror
COMMON_CXXFLAGS := -std=gnu++20 $(WARN) -g -MMD -MP
# The in-hypervisor core: freestanding C++, no exceptions, RTTI, thread-safe statics or runtime.
# -fbuiltin keeps fixed-size memcpy/memset inline (Xen does the same through its string.h);
# -fno-tree-loop-distribute-patterns stops gcc turning loops into libc calls (strlen) the core
# may not make.
CORE_CXXFLAGS := $(COMMON_CXXFLAGS) -ffreestanding -fbuiltin -fno-tree-loop-distribute-patterns -fno-exceptions -fno-rtti \
                 -fno-threadsafe-statics -fno-stack-protector -fno-asynchronous-unwind-tables \
                 -fno-unwind-tables -Ihypervisor/include -Ihypervisor -Ihypervisor/arch/$(ARCH_DIR)
HOST_CXXFLAGS := $(COMMON_CXXFLAGS) -Ihypervisor/include -Ihypervisor -Ihypervisor/arch/$(ARCH_DIR) -Itests

OPT_release := -O2
OPT_asan := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined,leak -fno-sanitize-recover=all
LDFLAGS_release :=
LDFLAGS_asan := -fsanitize=address,undefined,leak
# ThreadSanitizer: the integration and tool suites (and the hosted hypervisor they run), where the
# control socket's threads meet the pCPUs' patch window. tests/tsan.supp lists the only reports
# it may ignore, each a documented false positive.
OPT_tsan := -O1 -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS_tsan := -fsanitize=thread

# ---------------------------------------------------------------------------------------------
# Sources.
CORE_SRCS := $(shell find hypervisor/core -name '*.cc' 2>/dev/null) \
             $(shell find hypervisor/arch/$(ARCH_DIR) -name '*.cc' 2>/dev/null)
# Pure instruction encoders and relocation functions of every architecture: compiled into the
# unit tests on any host.
ARCH_PURE_SRCS := $(filter-out hypervisor/arch/$(ARCH_DIR)/%,$(shell find hypervisor/arch -name 'reloc_*.cc' -o -name 'insn_decode_*.cc' 2>/dev/null))
TEST_SRCS := $(shell find tests/unit tests/support -name '*.cc' 2>/dev/null)
# The hosted hypervisor: its runtime and port (a library), and its main.
HOSTED_SRCS := $(filter-out hypervisor/port/hosted/main.cc,$(wildcard hypervisor/port/hosted/*.cc))
INTEGRATION_SRCS := $(shell find tests/integration -name '*.cc' 2>/dev/null) tests/unit/main.cc
HOSTED_LIBS := -lelf -lboost_program_options -pthread
# The hosted hypervisor and the integration tests are hypervisor images: payloads are built
# against their build-id, and their symbol tables must stay (no stripping).
IMAGE_LDFLAGS := -Wl,--build-id=sha1 -rdynamic
# The hosted hypervisor's patchable text (.hypervisor_text, pages of their own): an addition to
# ld's default script, linked into every image that links libhosted.a.
HOSTED_TEXT_LDS := hypervisor/port/hosted/hypervisor_text.ld
HOSTED_LDFLAGS := -Wl,-T,$(HOSTED_TEXT_LDS)

# Objects are rebuilt when their variant's compiler or flags change (the stamp holds them and is
# rewritten only when they differ), not whenever the Makefile is edited.
variant_flags = $(CXX) | $(CORE_CXXFLAGS) | $(HOST_CXXFLAGS) | $(OPT_$(1)) | $(LDFLAGS_$(1)) | $(IMAGE_LDFLAGS)
define flags_stamp
ifneq '$$(file <$(BUILD)/$(1)/.flags)' '$$(call variant_flags,$(1))'
$$(shell mkdir -p $(BUILD)/$(1))
$$(file >$(BUILD)/$(1)/.flags,$$(call variant_flags,$(1)))
endif
endef
$(eval $(call flags_stamp,release))
$(eval $(call flags_stamp,asan))
$(eval $(call flags_stamp,tsan))

define variant_rules
$(BUILD)/$(1)/obj/core/%.o: %.cc $(BUILD)/$(1)/.flags | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CXX) $$(CORE_CXXFLAGS) $$(OPT_$(1)) -c $$< -o $$@

$(BUILD)/$(1)/obj/host/%.o: %.cc $(BUILD)/$(1)/.flags | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CXX) $$(HOST_CXXFLAGS) $$(OPT_$(1)) $$(if $$(filter tests/%,$$<),-DLP_FIXTURE_DIR='"$(abspath $(BUILD))/fixtures"') -c $$< -o $$@

$(BUILD)/$(1)/lib/liblivepatch-core.a: $(patsubst %.cc,$(BUILD)/$(1)/obj/core/%.o,$(CORE_SRCS) $(ARCH_PURE_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/$(1)/bin/unit-tests: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(TEST_SRCS)) $(BUILD)/$(1)/lib/liblivepatch-core.a
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ -lelf -lcapstone -ldl -pthread

$(BUILD)/$(1)/lib/libhosted.a: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(HOSTED_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/$(1)/bin/hosted-hypervisor: $(BUILD)/$(1)/obj/host/hypervisor/port/hosted/main.o \
		$(BUILD)/$(1)/lib/libhosted.a $(BUILD)/$(1)/lib/liblivepatch-core.a $(HOSTED_TEXT_LDS)
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) $(IMAGE_LDFLAGS) $(HOSTED_LDFLAGS) -o $$@ $$(filter-out %.ld,$$^) $(HOSTED_LIBS)

$(BUILD)/$(1)/bin/integration-tests: $(patsubst %.cc,$(BUILD)/$(1)/obj/host/%.o,$(INTEGRATION_SRCS)) \
		$(BUILD)/$(1)/lib/libhosted.a $(BUILD)/$(1)/lib/libxltool.a $(BUILD)/$(1)/lib/liblivepatch-core.a \
		$(HOSTED_TEXT_LDS)
	@mkdir -p $$(@D)
	$$(CXX) $$(OPT_$(1)) $$(LDFLAGS_$(1)) $(IMAGE_LDFLAGS) $(HOSTED_LDFLAGS) -o $$@ $$(filter-out %.ld,$$^) $(HOSTED_LIBS)

# Payloads for the integration tests, built against that binary's build-id.
$(BUILD)/$(1)/itest-payloads/%.livepatch: $(BUILD)/fixtures/itest-%.o $(BUILD)/$(1)/bin/integration-tests
	@mkdir -p $$(@D)
	scripts/link-test-payload.sh $(BUILD)/$(1)/bin/integration-tests $$< $$@

# payloads/text/: the patchable-text tests' own (text_test.cc), kept out of the directory that
# server_test.cc uploads whole (one is refused, one needs another loaded first).
ITEST_PAYLOADS_$(1) := $(patsubst tests/integration/payloads/%.c,$(BUILD)/$(1)/itest-payloads/%.livepatch,\
                         $(wildcard tests/integration/payloads/*.c tests/integration/payloads/text/*.c))

-include $$(shell find $(BUILD)/$(1)/obj -name '*.d' 2>/dev/null)
endef
$(eval $(call variant_rules,release))
$(eval $(call variant_rules,asan))
$(eval $(call variant_rules,tsan))

# ---------------------------------------------------------------------------------------------
# Test fixtures: real payloads compiled by gcc, linked with a build-id, given Xen's notes.
include tests/fixtures/fixtures.mk
include xl-tool/xl-tool.mk
include tests/tool/wx/wx.mk
include payloads/builder/builder.mk
include payloads/examples/examples.mk

# ---------------------------------------------------------------------------------------------
all: $(BUILD)/release/lib/liblivepatch-core.a $(BUILD)/release/bin/unit-tests fixtures \
     $(BUILD)/release/bin/hosted-hypervisor $(BUILD)/bin/hosted-hypervisor $(BUILD)/bin/xen-livepatch \
     $(BUILD)/bin/livepatch-build $(BUILD)/bin/guest-probe

# The hosted hypervisor at its documented place.
$(BUILD)/bin/hosted-hypervisor: $(BUILD)/release/bin/hosted-hypervisor
	@mkdir -p $(@D)
	ln -sf ../release/bin/hosted-hypervisor $@

SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# ThreadSanitizer: every process of a suite (the tests, the hosted hypervisor, the tool) writes its
# reports to $(TSAN_REPORTS)/<suite>.<pid>; the suite fails when any exists, even one from a child
# whose exit status nobody reads. Only the documented false positives of tests/tsan.supp are
# ignored. gcc 12's TSan re-executes itself without ASLR when the kernel's mmap layout does not
# fit its shadow (vm.mmap_rnd_bits 28 and up): nothing to set, no root needed.
TSAN_REPORTS := $(abspath $(BUILD))/tsan/reports
TSAN_ENV = TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 history_size=4 suppressions=$(abspath tests/tsan.supp) log_path=$(TSAN_REPORTS)/$(1)"
# The 10,000 apply/revert cycles of the integration tests run 5-20x slower under TSan; the release
# and ASan runs keep the full count, TSan looks for races in fewer.
TSAN_ITEST_CYCLES ?= 300
# Runs command $(2) as TSan suite $(1): fails on its exit status or on any report it left.
define TSAN_RUN
rm -f $(TSAN_REPORTS)/$(1).*; mkdir -p $(TSAN_REPORTS); \
	$(call TSAN_ENV,$(1)) $(2); rc=$$?; \
	if ls $(TSAN_REPORTS)/$(1).* >/dev/null 2>&1; then cat $(TSAN_REPORTS)/$(1).*; \
	    echo "ThreadSanitizer reports from $(1): $(TSAN_REPORTS)/$(1).*"; exit 1; fi; exit $$rc
endef

test: all $(BUILD)/asan/bin/unit-tests check-freestanding check-freestanding-selftest fuzz \
      $(BUILD)/release/bin/integration-tests $(BUILD)/asan/bin/integration-tests \
      $(ITEST_PAYLOADS_release) $(ITEST_PAYLOADS_asan) \
      $(BUILD)/release/bin/xen-livepatch $(BUILD)/asan/bin/xen-livepatch \
      $(BUILD)/release/bin/tool-tests $(BUILD)/asan/bin/tool-tests $(BUILD)/asan/bin/hosted-hypervisor \
      $(TOOL_PAYLOADS_release) $(TOOL_PAYLOADS_asan) $(BUILDER_TEST_PREREQS) $(SAMPLE_TEST_PREREQS) $(WX_PREREQS) \
      $(BUILD)/tsan/bin/integration-tests $(ITEST_PAYLOADS_tsan) $(BUILD)/tsan/bin/xen-livepatch \
      $(BUILD)/tsan/bin/tool-tests $(BUILD)/tsan/bin/hosted-hypervisor $(TOOL_PAYLOADS_tsan) $(STRESS_TEST_PREREQS)
	@echo "== unit tests (release)"
	$(BUILD)/release/bin/unit-tests
	@echo "== unit tests (AddressSanitizer, UndefinedBehaviorSanitizer, LeakSanitizer)"
	$(SAN_ENV) $(BUILD)/asan/bin/unit-tests
	@echo "== integration tests: the hosted hypervisor (release), under the W^X shim (no write+execute request)"
	LD_PRELOAD=$(abspath $(WX_SHIM)) LP_ITEST_PAYLOADS=$(BUILD)/release/itest-payloads $(BUILD)/release/bin/integration-tests
	@echo "== integration tests: the hosted hypervisor (sanitizers)"
	$(SAN_ENV) LP_ITEST_PAYLOADS=$(BUILD)/asan/itest-payloads $(BUILD)/asan/bin/integration-tests
	@echo "== xen-livepatch tool tests (release)"
	$(call TOOL_TEST_ENV,release) $(BUILD)/release/bin/tool-tests
	@echo "== xen-livepatch tool tests (sanitizers)"
	$(SAN_ENV) $(call TOOL_TEST_ENV,asan) $(BUILD)/asan/bin/tool-tests
	@echo "== integration tests (ThreadSanitizer)"
	$(call TSAN_RUN,integration,LP_ITEST_CYCLES=$(TSAN_ITEST_CYCLES) LP_ITEST_PAYLOADS=$(BUILD)/tsan/itest-payloads $(BUILD)/tsan/bin/integration-tests)
	@echo "== xen-livepatch tool tests (ThreadSanitizer)"
	$(call TSAN_RUN,tool,$(call TOOL_TEST_ENV,tsan) $(BUILD)/tsan/bin/tool-tests)
	$(BUILDER_TEST_RUN)
	$(SAMPLE_TEST_RUN)
	$(CORPUS_TEST_RUN)
	$(STRESS_TEST_RUN)
	@echo "make test: all suites passed"

# The core as one relocatable object, checked for undefined references.
$(BUILD)/freestanding/livepatch-core.o: $(patsubst %.cc,$(BUILD)/release/obj/core/%.o,$(CORE_SRCS) $(ARCH_PURE_SRCS))
	@mkdir -p $(@D)
	ld -r -o $@ $^

check-freestanding: $(BUILD)/freestanding/livepatch-core.o scripts/check-freestanding.sh
	bash scripts/check-freestanding.sh $<

include tests/freestanding/freestanding.mk
include tests/fuzz/fuzz.mk
include tests/bench/bench.mk
include tests/nested/nested.mk
include tests/unit/arch/x86_64/insn_corpus.mk
include tests/corpus/corpus.mk
include tests/arm64/arm64.mk
include tests/stress/stress.mk

# The stress test (tests/stress/stress.mk), release then ThreadSanitizer.
define STRESS_TEST_RUN
@echo "== control-plane stress test: $(STRESS_SECONDS) s, 8 clients (release)"
$(call STRESS_TEST_ENV,release) $(BUILD)/release/bin/stress-test
@echo "== control-plane stress test: $(STRESS_SECONDS) s, 8 clients (ThreadSanitizer)"
$(call TSAN_RUN,stress,$(call STRESS_TEST_ENV,tsan) $(BUILD)/tsan/bin/stress-test)
endef

# The live demo (scripts/demo.sh): the hosted hypervisor under guest load, a fix built with
# livepatch-build and applied with xen-livepatch; DEMO_PREREQS comes from examples.mk.
demo: $(DEMO_PREREQS)
	BUILD=$(BUILD) bash scripts/demo.sh

clean:
	rm -rf $(BUILD)

.PHONY: all test check-freestanding demo clean
