# make bench: benchmarks; figures merged into $(BUILD)/bench/results.json.
#
# The load benchmark (tests/bench/load_bench.cc explains what each side does):
#   gen-bench-sources   writes payload.c, exports.S and the build-id note into $(BENCH_GEN)
#   bench.livepatch     payload.c built as a Xen payload (flags below, ld -r, Xen's notes)
#   bench-payload.so    payload.c as a shared object whose every reference is a dynamic
#                       relocation (-fno-pic -mcmodel=large, -z notext): the dlopen baseline
#   bench-payload-pic.so  payload.c as an ordinary -fpic shared object (reference figure)
#   load-bench          the benchmark; exports the 100,000 hypervisor symbols (-rdynamic)
#
# The patch benchmark (tests/bench/patch_bench.cc): live patching of the hosted hypervisor.
#   gen_patch_bench.py  writes targets.cc (1,000 target functions) and fn{1,10,100,1000}.c
#                       (payloads replacing that many of them) into $(PATCH_GEN)
#   patch-bench         the benchmark and the hypervisor image: libhosted.a + the core + targets
#   patch-payloads/fnN.livepatch  fnN.c with the fixtures' payload flags, ld -r (payload.ld
#                       merges the .text.* sections: fn1000 would pass Xen's 1,024-section
#                       limit), notes naming patch-bench's build-id (so built after it)

BENCH_DIR := $(BUILD)/bench
BENCH_GEN := $(BENCH_DIR)/gen
BENCH_HOST_OBJ := $(BUILD)/release/obj/host
BENCH_CORE_LIB := $(BUILD)/release/lib/liblivepatch-core.a

# Xen's payload flags (livepatch-build, Xen's x86 CFLAGS): no unwind tables, as Xen builds.
BENCH_PAYLOAD_CFLAGS := -O2 -g0 -fpic -fvisibility=hidden -mno-red-zone -ffunction-sections -fdata-sections \
                        -fno-stack-protector -fno-common -fcf-protection=none -fno-asynchronous-unwind-tables
BENCH_SO_CFLAGS := $(filter-out -fpic,$(BENCH_PAYLOAD_CFLAGS)) -fno-pic -mcmodel=large -DLP_BENCH_SHARED_OBJECT
BENCH_PIC_SO_CFLAGS := $(BENCH_PAYLOAD_CFLAGS) -DLP_BENCH_SHARED_OBJECT

$(BENCH_DIR)/gen-bench-sources: $(BENCH_HOST_OBJ)/tests/bench/gen_bench_sources.o \
                                $(BENCH_HOST_OBJ)/tests/support/test_port.o $(BENCH_CORE_LIB)
	@mkdir -p $(@D)
	$(CXX) -O2 -o $@ $^

$(BENCH_GEN)/.stamp: $(BENCH_DIR)/gen-bench-sources
	@mkdir -p $(@D)
	$< $(@D)
	@touch $@

$(BENCH_DIR)/bench-payload.o: $(BENCH_GEN)/.stamp
	$(CC) $(BENCH_PAYLOAD_CFLAGS) -c $(BENCH_GEN)/payload.c -o $@

$(BENCH_DIR)/bench.livepatch: $(BENCH_DIR)/bench-payload.o tests/bench/payload.ld
	ld -r --build-id=sha1 -T tests/bench/payload.ld -o $@.lr.o $<
	objcopy --add-section .livepatch.depends=$(BENCH_GEN)/xen-build-id.note \
	        --set-section-flags .livepatch.depends=alloc,readonly \
	        --add-section .livepatch.xen_depends=$(BENCH_GEN)/xen-build-id.note \
	        --set-section-flags .livepatch.xen_depends=alloc,readonly $@.lr.o $@.tmp
	strip --strip-debug $@.tmp
	@size=$$(stat -c %s $@.tmp); if [ $$size -gt 2097152 ]; then \
	  echo "bench: $@ is $$size bytes, over the 2 MiB payload limit" >&2; exit 1; fi
	mv $@.tmp $@ && rm -f $@.lr.o

$(BENCH_DIR)/bench-payload.so: $(BENCH_GEN)/.stamp
	$(CC) $(BENCH_SO_CFLAGS) -shared -nostdlib -Wl,-z,notext -o $@ $(BENCH_GEN)/payload.c

$(BENCH_DIR)/bench-payload-pic.so: $(BENCH_GEN)/.stamp
	$(CC) $(BENCH_PIC_SO_CFLAGS) -shared -nostdlib -o $@ $(BENCH_GEN)/payload.c

$(BENCH_DIR)/exports.o: $(BENCH_GEN)/.stamp
	$(CC) -c $(BENCH_GEN)/exports.S -o $@

$(BENCH_DIR)/load-bench: $(BENCH_HOST_OBJ)/tests/bench/load_bench.o $(BENCH_DIR)/exports.o \
                         $(BENCH_HOST_OBJ)/tests/support/test_port.o $(BENCH_CORE_LIB)
	$(CXX) -O2 -rdynamic -o $@ $^ -ldl

BENCH_INPUTS := $(BENCH_DIR)/bench.livepatch $(BENCH_DIR)/bench-payload.so $(BENCH_DIR)/bench-payload-pic.so

PATCH_GEN := $(BENCH_DIR)/patch-gen
PATCH_PAYLOAD_DIR := $(BENCH_DIR)/patch-payloads
PATCH_PAYLOADS := $(foreach n,1 10 100 1000,$(PATCH_PAYLOAD_DIR)/fn$(n).livepatch)
# Kept, so that a second make bench rebuilds nothing.
.SECONDARY: $(PATCH_PAYLOADS:.livepatch=.o)

$(PATCH_GEN)/.stamp: tests/bench/gen_patch_bench.py
	@mkdir -p $(@D)
	python3 $< $(@D)
	@touch $@

$(BENCH_DIR)/patch-targets.o: $(PATCH_GEN)/.stamp | $(DEPS_STAMP)
	$(CXX) -std=gnu++20 -O2 $(WARN) -c $(PATCH_GEN)/targets.cc -o $@

$(BENCH_DIR)/patch-bench: $(BENCH_HOST_OBJ)/tests/bench/patch_bench.o $(BENCH_DIR)/patch-targets.o \
                          $(BUILD)/release/lib/libhosted.a $(BENCH_CORE_LIB) $(HOSTED_TEXT_LDS)
	$(CXX) -O2 $(IMAGE_LDFLAGS) $(HOSTED_LDFLAGS) -o $@ $(filter-out %.ld,$^) $(HOSTED_LIBS)

$(PATCH_PAYLOAD_DIR)/fn%.o: $(PATCH_GEN)/.stamp tests/fixtures/payloads/fixture_payload.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PAYLOAD_CFLAGS) -fno-asynchronous-unwind-tables -c $(PATCH_GEN)/fn$*.c -o $@

$(PATCH_PAYLOAD_DIR)/fn%.livepatch: $(PATCH_PAYLOAD_DIR)/fn%.o $(BENCH_DIR)/patch-bench tests/bench/payload.ld
	scripts/link-test-payload.sh --ld-script tests/bench/payload.ld $(BENCH_DIR)/patch-bench $< $@

# Each benchmark merges its figures into results.json (figures of the other, and of earlier
# runs, stay). patch-bench's engine log (one line per action) goes to patch-bench.log.
bench: $(BENCH_DIR)/load-bench $(BENCH_INPUTS) $(BENCH_DIR)/patch-bench $(PATCH_PAYLOADS)
	@for f in $(BENCH_INPUTS); do \
	  echo "== readelf -r $$f: $$(readelf -rW $$f | grep -c ' R_X86_64_') relocations"; done
	$(BENCH_DIR)/load-bench $(BENCH_INPUTS) $(BENCH_DIR)/results.json
	@echo "== $(BENCH_DIR)/patch-bench $(PATCH_PAYLOAD_DIR) $(BENCH_DIR)/results.json (engine log: $(BENCH_DIR)/patch-bench.log)"
	@$(BENCH_DIR)/patch-bench $(PATCH_PAYLOAD_DIR) $(BENCH_DIR)/results.json 2>$(BENCH_DIR)/patch-bench.log || \
	  { tail -n 20 $(BENCH_DIR)/patch-bench.log; exit 1; }

.PHONY: bench
