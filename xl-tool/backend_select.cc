// Backend selection: --backend=auto|xen|hosted.
#include <errno.h>
#include <unistd.h>

#include "backend.h"

namespace livepatch::tool {

BackendKind resolve_auto_backend() {
    for (const char* dev : {"/dev/xen/privcmd", "/proc/xen/privcmd"}) {
        if (access(dev, F_OK) == 0)
            return BackendKind::kXen;
    }
    return BackendKind::kHosted;
}

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
