# The x86-64 decoder's corpus test (insn_corpus_test.cc, in the unit tests) walks Debian's Xen
# 4.17 xen-syms and the release hosted hypervisor, and fails when either is missing: make test
# fetches and builds them first. Included from the top-level Makefile after tests/nested/nested.mk.
INSN_CORPUS_PREREQS := $(NESTED_PACKAGES) $(BUILD)/release/bin/hosted-hypervisor
test: $(INSN_CORPUS_PREREQS)
