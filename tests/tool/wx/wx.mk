# W^X checking (tests/tool/tool_wx_test.cc): an LD_PRELOAD library that aborts a process on any
# mmap/mmap64/mprotect/pkey_mprotect asking for write and execute together, and a program that
# asks for it (the shim's own test). Plain C, no sanitizer: preloaded into any variant.
#
#   $(BUILD)/wx/wx-shim.so     the shim
#   $(BUILD)/wx/wx-selftest    asks for RWX memory once (argv[1]: mprotect, mmap, mmap64, pkey_mprotect)

WX_SHIM := $(BUILD)/wx/wx-shim.so
WX_SELFTEST := $(BUILD)/wx/wx-selftest
WX_PREREQS := $(WX_SHIM) $(WX_SELFTEST)
WX_CFLAGS := -O2 -g -Wall -Wextra -Werror

$(WX_SHIM): tests/tool/wx/wx_shim.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(WX_CFLAGS) -fPIC -shared -o $@ $<

$(WX_SELFTEST): tests/tool/wx/wx_selftest.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(WX_CFLAGS) -o $@ $<

# The tool tests run the hosted hypervisor under the shim (tool_wx_test.cc).
TOOL_TEST_ENV += LP_WX_SHIM=$(abspath $(WX_SHIM)) LP_WX_SELFTEST=$(abspath $(WX_SELFTEST))
