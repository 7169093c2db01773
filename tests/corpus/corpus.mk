# The differential corpus (tests/corpus/, docs/corpus.md): payload variants generated from a few
# base payloads built against Debian's xen-syms, real Xen 4.17's verdict on each (recorded in the
# nested machine), and the engine's verdict compared with it.
#
#   make corpus-bases     rebuild tests/corpus/bases/*.livepatch (committed) with livepatch-build
#                         from tests/corpus/payloads/*.c against the pinned xen-syms
#   make corpus           generate the variants in $(BUILD)/corpus (gen_corpus.py)
#   make nested-corpus    boot real Xen and record its verdicts: tests/corpus/xen-verdicts.json
#   make corpus-test      compare `xen-livepatch check --against xen-syms` with the table (part of
#                         `make test`; fails when the xen-syms cannot be fetched)

CORPUS_DIR := $(BUILD)/corpus
CORPUS_BASE_DIR := tests/corpus/bases
CORPUS_BASE_NAMES := base stacked third nop hooks veto loadhook exporter special applyhook expect
CORPUS_BASES := $(patsubst %,$(CORPUS_BASE_DIR)/%.livepatch,$(CORPUS_BASE_NAMES))
CORPUS_TABLE := tests/corpus/xen-verdicts.json
CORPUS_ALLOWLIST := tests/corpus/allowlist.txt
CORPUS_GEN := tests/corpus/gen_corpus.py tests/corpus/elfedit.py
CORPUS_INITRD := $(NESTED)/corpus/initrd.cpio.gz
CORPUS_STAMP := $(CORPUS_DIR)/variants.json

# Rebuilding the bases changes every variant: re-record afterwards (docs/corpus.md).
corpus-bases: $(NESTED_BUILDER) $(NESTED_PACKAGES)
	@mkdir -p $(CORPUS_BASE_DIR)
	set -e; for b in base nop hooks veto loadhook exporter special applyhook; do \
	  $(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) -o $(CORPUS_BASE_DIR)/$$b.livepatch tests/corpus/payloads/$$b.c; done
	$(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) --expect -o $(CORPUS_BASE_DIR)/expect.livepatch tests/corpus/payloads/base.c
	$(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) --depends $(CORPUS_BASE_DIR)/base.livepatch \
	  -o $(CORPUS_BASE_DIR)/stacked.livepatch tests/corpus/payloads/stacked.c
	$(NESTED_BUILDER) --target $(NESTED_XEN_SYMS) --depends $(CORPUS_BASE_DIR)/stacked.livepatch \
	  -o $(CORPUS_BASE_DIR)/third.livepatch tests/corpus/payloads/third.c

$(CORPUS_STAMP): $(CORPUS_GEN) $(CORPUS_BASES) $(NESTED_PACKAGES)
	rm -rf $(CORPUS_DIR)
	python3 -B tests/corpus/gen_corpus.py --bases $(CORPUS_BASE_DIR) --xen-syms $(NESTED_XEN_SYMS) --out $(CORPUS_DIR)

corpus: $(CORPUS_STAMP)

# The dom0 initramfs of the recording: the variants in /payloads, the steps in /test.
$(CORPUS_INITRD): $(CORPUS_STAMP) $(NESTED_TOOL) $(NESTED_PACKAGES) tests/corpus/dom0/corpus-run.sh \
		tests/nested/stage-dom0.sh tests/nested/mkcpio.py tests/nested/dom0/init
	rm -rf $(NESTED)/corpus/test
	mkdir -p $(NESTED)/corpus/test
	cp tests/corpus/dom0/corpus-run.sh $(NESTED)/corpus/test/run
	cp $(CORPUS_DIR)/variants.list $(NESTED)/corpus/test/
	bash tests/nested/stage-dom0.sh $(NESTED_PKGROOT) $(NESTED_TOOL) $(CORPUS_DIR) $(NESTED)/corpus/test $@

nested-corpus: $(DEPS_STAMP) $(CORPUS_INITRD)
	command -v qemu-system-x86_64 >/dev/null || bash scripts/install-deps.sh
	python3 -B tests/corpus/record.py --corpus $(CORPUS_DIR) --pkgroot $(NESTED_PKGROOT) --initrd $(CORPUS_INITRD) \
	  --work $(NESTED)/corpus/run --out $(CORPUS_TABLE) $(NESTED_CORPUS_ARGS)

CORPUS_TEST_PREREQS := $(CORPUS_STAMP) $(BUILD)/release/bin/xen-livepatch $(NESTED_PACKAGES)
# The recipe lines `make test` runs (the Makefile's test rule expands it).
define CORPUS_TEST_RUN
@echo "== differential corpus: the engine against real Xen 4.17's recorded verdicts"
python3 -B tests/corpus/compare.py --table $(CORPUS_TABLE) --corpus $(CORPUS_DIR) --allowlist $(CORPUS_ALLOWLIST) \
  --tool $(BUILD)/release/bin/xen-livepatch --xen-syms $(NESTED_XEN_SYMS) --design docs/design.md
endef

test: $(CORPUS_TEST_PREREQS)

corpus-test: $(CORPUS_TEST_PREREQS)
	$(CORPUS_TEST_RUN)

.PHONY: corpus corpus-bases nested-corpus corpus-test
