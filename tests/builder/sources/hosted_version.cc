// For the hosted hypervisor, in C++: a C-linkage replacement (extern "C"), C++ statics, a hook.
#include <livepatch/payload.h>

namespace {
int applied_count;
int pre_apply(livepatch_payload_t*) { return applied_count > 100 ? -16 : 0; }
}  // namespace

extern "C" const char* xen_extra_version(void) {
    ++applied_count;
    return "-cxx";
}
LIVEPATCH_REPLACE(xen_extra_version);
LIVEPATCH_PREAPPLY_HOOK(pre_apply);
