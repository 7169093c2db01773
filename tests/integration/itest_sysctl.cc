#include "integration/itest_sysctl.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <string.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "livepatch/abi.h"
#include "livepatch/errc.h"
#include "port/hosted/server.h"

namespace livepatch::integration {

namespace {

// One request: the sysctl and the arena its handles point into (offset + 1).
struct Request {
    xen_sysctl op{};
    std::vector<uint8_t> arena;

    explicit Request(uint32_t sub) {
        op.cmd = XEN_SYSCTL_livepatch_op;
        op.interface_version = kSysctlInterfaceVersion;
        op.u.livepatch.cmd = sub;
    }
    uint64_t put(const void* p, size_t n) {
        const uint64_t h = arena.size() + 1;
        arena.insert(arena.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
        return h;
    }
    template <class H>
    static void set(H& handle, uint64_t v) {
        static_assert(sizeof(H) == 8);
        memcpy(&handle, &v, 8);
    }
    void name(xen_livepatch_name& n, const std::string& s) {
        set(n.name, put(s.c_str(), s.size() + 1));
        n.size = static_cast<uint16_t>(s.size() + 1);
    }
    int run() { return hosted::serve_sysctl(&op, arena.data(), arena.size()); }
};

}  // namespace

std::vector<uint8_t> itest_payload(const std::string& name) {
    const char* dir = getenv("LP_ITEST_PAYLOADS");
    REQUIRE_MESSAGE(dir, "LP_ITEST_PAYLOADS must name the directory of payloads built for this binary");
    std::ifstream in(std::string(dir) + "/" + name + ".livepatch", std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing payload ", name);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int sysctl_upload(const std::string& name, const std::vector<uint8_t>& bytes) {
    Request r(XEN_SYSCTL_LIVEPATCH_UPLOAD);
    r.name(r.op.u.livepatch.u.upload.name, name);
    Request::set(r.op.u.livepatch.u.upload.payload, r.put(bytes.data(), bytes.size()));
    r.op.u.livepatch.u.upload.size = bytes.size();
    return r.run();
}

int sysctl_get(const std::string& name, xen_livepatch_status* st) {
    Request r(XEN_SYSCTL_LIVEPATCH_GET);
    r.name(r.op.u.livepatch.u.get.name, name);
    const int rc = r.run();
    *st = r.op.u.livepatch.u.get.status;
    return rc;
}

int sysctl_action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) {
    Request r(XEN_SYSCTL_LIVEPATCH_ACTION);
    r.name(r.op.u.livepatch.u.action.name, name);
    r.op.u.livepatch.u.action.cmd = cmd;
    r.op.u.livepatch.u.action.timeout = timeout_ns;
    r.op.u.livepatch.u.action.flags = flags;
    return r.run();
}

int sysctl_wait(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
        xen_livepatch_status st{};
        REQUIRE(sysctl_get(name, &st) == 0);
        if (st.rc != to_xen_rc(Errc::kEAGAIN))
            return st.rc;
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "action on ", name, " never completed");
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

int sysctl_act(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) {
    const int rc = sysctl_action(name, cmd, timeout_ns, flags);
    return rc ? rc : sysctl_wait(name);
}

}  // namespace livepatch::integration
