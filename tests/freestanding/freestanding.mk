# The freestanding check's self-test: tiny offending objects (malloc, new, throw, typeid, guard
# variables, stack protector, std::, near-miss namespaces) compiled with the core's flags must be
# rejected by scripts/check-freestanding.sh, and a clean one accepted.
# Included from the top-level Makefile (after CORE_CXXFLAGS and OPT_release are defined).

check-freestanding-selftest: scripts/check-freestanding.sh tests/freestanding/selftest.sh
	CXX="$(CXX)" CORE_FLAGS="$(filter-out -MMD -MP,$(CORE_CXXFLAGS)) $(OPT_release)" \
	  bash tests/freestanding/selftest.sh

.PHONY: check-freestanding-selftest
