// The real Xen backend: libxenctrl's xc_livepatch_* (Debian's libxen-dev, Xen 4.17 API) on an
// xc_interface handle. libxc returns -1 with errno set; this file turns that into -errno.
#include <errno.h>
#include <string.h>
extern "C" {
#include <xenctrl.h>
}

#include <vector>

#include "backend.h"
#include "list_buffers.h"

namespace livepatch::tool {

static_assert(kStateChecked == LIVEPATCH_STATE_CHECKED && kStateApplied == LIVEPATCH_STATE_APPLIED);
static_assert(kActionUnload == LIVEPATCH_ACTION_UNLOAD && kActionApply == LIVEPATCH_ACTION_APPLY);
static_assert(kActionRevert == LIVEPATCH_ACTION_REVERT && kActionReplace == LIVEPATCH_ACTION_REPLACE);
static_assert(kActionFlagNodeps == LIVEPATCH_ACTION_APPLY_NODEPS);
static_assert(kXenNameSize == XEN_LIVEPATCH_NAME_SIZE);

namespace {

constexpr int kListAttempts = 3;  // the list changed between the probe and the fetch: start again

// -errno of a failed libxc call (never 0: a failure without errno is reported as EIO).
int failed() { return errno ? -errno : -EIO; }

class XenctrlBackend final : public Backend {
public:
    explicit XenctrlBackend(xc_interface* xch) : m_xch(xch) {}
    ~XenctrlBackend() override { xc_interface_close(m_xch); }
    XenctrlBackend(const XenctrlBackend&) = delete;
    XenctrlBackend& operator=(const XenctrlBackend&) = delete;

    const char* kind() const override { return "xen"; }

    int upload(const std::string& name, const uint8_t* data, size_t size) override {
        if (size > UINT32_MAX)  // libxc takes a uint32_t size: never let it truncate
            return -EFBIG;
        std::vector<char> n = c_name(name);
        errno = 0;
        if (xc_livepatch_upload(m_xch, n.data(), const_cast<uint8_t*>(data), static_cast<uint32_t>(size)))
            return failed();
        return 0;
    }

    int get(const std::string& name, PayloadStatus* status) override {
        std::vector<char> n = c_name(name);
        xen_livepatch_status_t st{};
        errno = 0;
        if (xc_livepatch_get(m_xch, n.data(), &st))
            return failed();
        if (status)
            *status = PayloadStatus{st.state, st.rc};
        return 0;
    }

    int list_count(uint32_t* count) override {
        unsigned int nr = 0;
        uint32_t names = 0, meta = 0;
        errno = 0;
        if (xc_livepatch_list_get_sizes(m_xch, &nr, &names, &meta))
            return failed();
        *count = nr;
        return 0;
    }

    int list(std::vector<PayloadEntry>* out) override {
        out->clear();
        for (int attempt = 0; attempt < kListAttempts; ++attempt) {
            unsigned int nr = 0;
            uint32_t name_total = 0, meta_total = 0;
            errno = 0;
            if (xc_livepatch_list_get_sizes(m_xch, &nr, &name_total, &meta_total))
                return failed();
            if (nr == 0)
                return 0;
            name_total = list_name_buffer(nr, name_total);  // list_buffers.h: Xen 4.17's overrun race
            meta_total = list_metadata_buffer(meta_total);
            std::vector<xen_livepatch_status_t> info(nr);
            std::vector<char> names(name_total + 1), meta(meta_total + 1);
            std::vector<uint32_t> len(nr), meta_len(nr);
            unsigned int done = 0, left = 0;
            errno = 0;
            if (xc_livepatch_list(m_xch, nr, 0, info.data(), names.data(), len.data(), name_total, meta.data(),
                                  meta_len.data(), meta_total, &done, &left))
                return failed();
            if (done != nr || left)
                continue;
            size_t name_off = 0, meta_off = 0;
            for (unsigned int i = 0; i < done; ++i) {
                if (len[i] > name_total - name_off || meta_len[i] > meta_total - meta_off)
                    return -EPROTO;
                PayloadEntry e;
                e.name.assign(names.data() + name_off, strnlen(names.data() + name_off, len[i]));
                e.status = PayloadStatus{info[i].state, info[i].rc};
                e.metadata.assign(meta.data() + meta_off, meta_len[i]);
                out->push_back(std::move(e));
                name_off += len[i];
                meta_off += meta_len[i];
            }
            return 0;
        }
        return -EBUSY;  // the list kept changing
    }

    int action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) override {
        std::vector<char> n = c_name(name);
        errno = 0;
        int r;
        switch (cmd) {
        case kActionApply: r = xc_livepatch_apply(m_xch, n.data(), timeout_ns, flags); break;
        case kActionRevert: r = xc_livepatch_revert(m_xch, n.data(), timeout_ns, flags); break;
        case kActionUnload: r = xc_livepatch_unload(m_xch, n.data(), timeout_ns, flags); break;
        case kActionReplace: r = xc_livepatch_replace(m_xch, n.data(), timeout_ns, flags); break;
        default: return -EOPNOTSUPP;
        }
        return r ? failed() : 0;
    }

    // Xen's ABI has no detail query.
    std::optional<std::string> detail(const std::string&) override { return std::nullopt; }

    // libxc reports its own transport problems through its logger (stderr); every rc here is
    // treated as the hypervisor's.
    std::string transport_error() const override { return ""; }

private:
    // libxc's calls take a mutable, NUL-terminated name.
    static std::vector<char> c_name(const std::string& name) {
        std::vector<char> n(name.begin(), name.end());
        n.push_back('\0');
        return n;
    }

    xc_interface* m_xch;
};

}  // namespace

std::unique_ptr<Backend> open_xenctrl_backend(int* rc, std::string* why) {
    errno = 0;
    xc_interface* xch = xc_interface_open(nullptr, nullptr, 0);
    if (!xch) {
        const int err = errno ? errno : ENODEV;
        *rc = -err;
        *why = std::string("cannot open libxenctrl's hypervisor interface (xc_interface_open): ") + strerror(err) +
               "; is this dom0 of a Xen host, with privcmd loaded and root privileges?";
        return nullptr;
    }
    return std::make_unique<XenctrlBackend>(xch);
}

}  // namespace livepatch::tool
