// Backend selection: --backend=auto|xen|hosted.
#include <errno.h>
#include <unistd.h>

#include "backend.h"

namespace livepatch::tool {

bool xen_privcmd_present() {
    for (const char* dev : {"/dev/xen/privcmd", "/proc/xen/privcmd"}) {
        if (access(dev, F_OK) == 0)
            return true;
    }
    return false;
}

BackendKind choose_backend(BackendKind requested, bool socket_given, bool privcmd_present) {
    if (requested != BackendKind::kAuto)
        return requested;
    if (socket_given)
        return BackendKind::kHosted;
    return privcmd_present ? BackendKind::kXen : BackendKind::kHosted;
}

BackendKind resolve_auto_backend() { return choose_backend(BackendKind::kAuto, false, xen_privcmd_present()); }

std::unique_ptr<Backend> open_backend(BackendKind kind, const std::string& socket, BackendKind* chosen, int* rc,
                                      std::string* why) {
    if (kind == BackendKind::kAuto)
        kind = resolve_auto_backend();
    *chosen = kind;
    if (kind == BackendKind::kXen)
        return open_xenctrl_backend(rc, why);
    return open_hosted_backend(socket, rc, why);
}

}  // namespace livepatch::tool
