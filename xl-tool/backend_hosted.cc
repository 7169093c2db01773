// The hosted hypervisor's backend: HostedClient over its control socket (wire_protocol.h). One
// connection for the whole run of the tool.
#include <errno.h>

#include "backend.h"
#include "hosted_client.h"
#include "livepatch/abi.h"

namespace livepatch::tool {

static_assert(kStateChecked == LIVEPATCH_STATE_CHECKED && kStateApplied == LIVEPATCH_STATE_APPLIED);
static_assert(kActionUnload == LIVEPATCH_ACTION_UNLOAD && kActionRevert == LIVEPATCH_ACTION_REVERT);
static_assert(kActionApply == LIVEPATCH_ACTION_APPLY && kActionReplace == LIVEPATCH_ACTION_REPLACE);
static_assert(kActionFlagNodeps == LIVEPATCH_ACTION_APPLY_NODEPS);
static_assert(kMaxNameLength + 1 == XEN_LIVEPATCH_NAME_SIZE);

namespace {

class HostedBackend final : public Backend {
public:
    bool open(const std::string& socket) { return m_client.connect(socket); }
    const HostedClient& client() const { return m_client; }

    const char* kind() const override { return "hosted"; }

    int upload(const std::string& name, const uint8_t* data, size_t size) override {
        const std::vector<uint8_t> bytes(data, data + size);
        return m_client.upload(name, bytes);
    }

    int get(const std::string& name, PayloadStatus* status) override {
        xen_livepatch_status st{};
        const int rc = m_client.get(name, &st);
        if (rc == 0 && status)
            *status = PayloadStatus{st.state, st.rc};
        return rc;
    }

    int list_count(uint32_t* count) override {
        xen_sysctl probe = HostedClient::make_op(XEN_SYSCTL_LIVEPATCH_LIST);  // nr = 0: the probe
        std::vector<uint8_t> none;
        const int rc = m_client.sysctl(probe, none);
        if (rc >= 0)
            *count = probe.u.livepatch.u.list.nr;
        return rc < 0 ? rc : 0;
    }

    int list(std::vector<PayloadEntry>* out) override {
        std::vector<ListEntry> entries;
        const int rc = m_client.list(&entries);
        out->clear();
        if (rc < 0)
            return rc;
        for (ListEntry& e : entries)
            out->push_back(PayloadEntry{std::move(e.name), {e.status.state, e.status.rc}, std::move(e.metadata)});
        return 0;
    }

    int action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) override {
        return m_client.action(name, cmd, timeout_ns, flags);
    }

    std::optional<std::string> detail(const std::string& name) override {
        if (!m_client.connected())
            return std::nullopt;
        return m_client.detail(name);
    }

    // HostedClient closes the connection after every transport or protocol failure, and only then.
    std::string transport_error() const override { return m_client.connected() ? "" : m_client.error(); }

private:
    HostedClient m_client;
};

}  // namespace

std::unique_ptr<Backend> open_hosted_backend(const std::string& socket, int* rc, std::string* why) {
    auto b = std::make_unique<HostedBackend>();
    if (b->open(socket))
        return b;
    *rc = b->client().last_rc() ? b->client().last_rc() : -ECONNREFUSED;
    *why = "cannot reach the hosted hypervisor: " + b->client().error();
    return nullptr;
}

}  // namespace livepatch::tool
