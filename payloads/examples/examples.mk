# Sample payloads (payloads/examples/), built by livepatch-build against the hosted hypervisor,
# and their tests (tests/samples/).
# Defines, for the top-level Makefile:
#   SAMPLE_TEST_PREREQS    what `make test` needs built before it runs the sample tests
#   SAMPLE_TEST_RUN        the recipe lines (a define; lines without a leading tab) that run them
#   DEMO_PREREQS           what `make demo` needs built
SAMPLE_TEST_PREREQS :=
define SAMPLE_TEST_RUN
@echo "== sample payload tests: not yet wired"
endef
DEMO_PREREQS :=
