# libFuzzer targets, compiled here again by clang with libFuzzer's coverage instrumentation and
# AddressSanitizer + UndefinedBehaviorSanitizer (not the g++ objects):
#   upload-fuzzer  the upload path (tests/fuzz/upload_fuzzer.cc): load_payload on arbitrary bytes
#                  against the test port; seeds tests/fuzz/corpus
#   info-fuzzer    `xen-livepatch info` (tests/fuzz/info_fuzzer.cc): the offline payload reader
#                  and its printers; seeds tests/fuzz/corpus and tests/fuzz/info-corpus
#   image-fuzzer   the image reader of `check --against` (tests/fuzz/image_fuzzer.cc):
#                  HypervisorImage::load; seeds tests/fuzz/image-corpus (make-image-seeds.sh)
#
#   make fuzz                     build, then run every seed (and saved regression) once
#   make fuzz FUZZ_SECONDS=120    build, then fuzz each target for 120 s on a copy of its seeds in
#                                 $(BUILD)/fuzz/<target>-corpus (upload: $(BUILD)/fuzz/corpus;
#                                 kept between runs), leak detection on
#   make fuzz FUZZ_SECONDS=120 FUZZ_TARGETS="info image"   only those targets
#
# Either run fails (non-zero exit) on any crash, leak, sanitizer report or loader-contract
# violation; libFuzzer writes the reproducer to $(BUILD)/fuzz/artifacts/. Seeds are regenerated
# with tests/fuzz/make-seeds.sh; reproducers worth keeping go to tests/fuzz/regressions/.

FUZZ_CXX ?= clang++
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_BIN := $(FUZZ_DIR)/upload-fuzzer
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CXXFLAGS := -std=gnu++20 $(WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) -MMD -MP \
                 -Ihypervisor/include -Ihypervisor -Ihypervisor/arch/$(ARCH_DIR) -Itests
FUZZ_SRCS := $(CORE_SRCS) $(ARCH_PURE_SRCS) tests/support/test_port.cc tests/fuzz/upload_fuzzer.cc
FUZZ_OBJS := $(patsubst %.cc,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRCS))
# The offline targets link the tool's offline code and its port (xl-tool/offline) with the core.
FUZZ_OFFLINE_OBJS := $(patsubst %.cc,$(FUZZ_DIR)/obj/%.o,$(CORE_SRCS) $(ARCH_PURE_SRCS) $(wildcard xl-tool/offline/*.cc))
INFO_FUZZ_BIN := $(FUZZ_DIR)/info-fuzzer
IMAGE_FUZZ_BIN := $(FUZZ_DIR)/image-fuzzer
FUZZ_TARGETS ?= upload info image
FUZZ_INFO_SEEDS := tests/fuzz/corpus tests/fuzz/info-corpus
FUZZ_IMAGE_SEEDS := tests/fuzz/image-corpus
FUZZ_DICT := tests/fuzz/elf.dict
FUZZ_SEEDS := $(wildcard tests/fuzz/corpus/*)
FUZZ_REGRESSIONS := $(wildcard tests/fuzz/regressions/*)
# Options common to both runs: the dictionary, a per-input time limit, reproducers kept apart.
FUZZ_RUN_OPTS := -dict=$(FUZZ_DICT) -timeout=25 -rss_limit_mb=4096 -artifact_prefix=$(FUZZ_DIR)/artifacts/
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 UPLOAD_FUZZER_STATS=1

$(FUZZ_DIR)/obj/%.o: %.cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c $< -o $@

$(FUZZ_BIN): $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -g -o $@ $^

$(INFO_FUZZ_BIN): $(FUZZ_OFFLINE_OBJS) $(FUZZ_DIR)/obj/tests/fuzz/info_fuzzer.o \
		$(FUZZ_DIR)/obj/tests/fuzz/input_file.o
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -g -o $@ $^ -lelf

$(IMAGE_FUZZ_BIN): $(FUZZ_OFFLINE_OBJS) $(FUZZ_DIR)/obj/tests/fuzz/image_fuzzer.o \
		$(FUZZ_DIR)/obj/tests/fuzz/input_file.o
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -g -o $@ $^ -lelf

fuzz: $(FUZZ_BIN) $(INFO_FUZZ_BIN) $(IMAGE_FUZZ_BIN) $(FUZZ_DICT)
	@mkdir -p $(FUZZ_DIR)/artifacts
ifeq ($(strip $(FUZZ_SECONDS)),)
	@echo "== upload fuzzer: every seed once (set FUZZ_SECONDS=N to fuzz for N seconds)"
	$(FUZZ_ENV) UPLOAD_FUZZER_EXPECT_LOAD=1 $(FUZZ_BIN) $(FUZZ_RUN_OPTS) -runs=0 tests/fuzz/corpus
ifneq ($(FUZZ_REGRESSIONS),)
	@echo "== upload fuzzer: saved regressions"
	$(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_RUN_OPTS) $(FUZZ_REGRESSIONS)
endif
	@echo "== info fuzzer: every seed once"
	$(FUZZ_ENV) $(INFO_FUZZ_BIN) $(FUZZ_RUN_OPTS) -runs=0 $(FUZZ_INFO_SEEDS)
	@echo "== image fuzzer: every seed once"
	$(FUZZ_ENV) $(IMAGE_FUZZ_BIN) $(FUZZ_RUN_OPTS) -runs=0 $(FUZZ_IMAGE_SEEDS)
else
ifneq ($(filter upload,$(FUZZ_TARGETS)),)
	@echo "== upload fuzzer: $(FUZZ_SECONDS) s on $(FUZZ_DIR)/corpus (seeds from tests/fuzz/corpus)"
	@mkdir -p $(FUZZ_DIR)/corpus
	cp $(FUZZ_SEEDS) $(FUZZ_DIR)/corpus/
	set -o pipefail; $(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	  -detect_leaks=1 -print_final_stats=1 $(FUZZ_DIR)/corpus 2>&1 | tee $(FUZZ_DIR)/fuzz.log
endif
ifneq ($(filter info,$(FUZZ_TARGETS)),)
	@echo "== info fuzzer: $(FUZZ_SECONDS) s on $(FUZZ_DIR)/info-corpus"
	@mkdir -p $(FUZZ_DIR)/info-corpus
	cp $(addsuffix /*,$(FUZZ_INFO_SEEDS)) $(FUZZ_DIR)/info-corpus/
	set -o pipefail; $(FUZZ_ENV) $(INFO_FUZZ_BIN) $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	  -detect_leaks=1 -print_final_stats=1 $(FUZZ_DIR)/info-corpus 2>&1 | tee $(FUZZ_DIR)/info-fuzz.log
endif
ifneq ($(filter image,$(FUZZ_TARGETS)),)
	@echo "== image fuzzer: $(FUZZ_SECONDS) s on $(FUZZ_DIR)/image-corpus"
	@mkdir -p $(FUZZ_DIR)/image-corpus
	cp $(addsuffix /*,$(FUZZ_IMAGE_SEEDS)) $(FUZZ_DIR)/image-corpus/
	set -o pipefail; $(FUZZ_ENV) $(IMAGE_FUZZ_BIN) $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	  -detect_leaks=1 -print_final_stats=1 $(FUZZ_DIR)/image-corpus 2>&1 | tee $(FUZZ_DIR)/image-fuzz.log
endif
endif

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)

.PHONY: fuzz
