#include "unit/core/engine_support.h"

#include <doctest/doctest.h>

#include "livepatch/livepatch.h"
#include "support/sysctl_ops.h"
#include "support/test_port.h"

namespace livepatch::test {

EngineReset::EngineReset() {
    drain();
    hv().reset();
}

EngineReset::~EngineReset() { drain(); }

void EngineReset::drain() {
    while (const Payload* p = top()) {
        const std::string n = p->name();
        if (run(n, LIVEPATCH_ACTION_REVERT) != 0)
            break;
    }
    // Unload newest first: a payload others link against is refused until they are gone.
    for (;;) {
        xen_sysctl_livepatch_op op{};
        std::vector<char> names(4096);
        std::vector<uint32_t> lens(16), mlens(16);
        std::vector<xen_livepatch_status> sts(16);
        std::vector<char> meta(4096);
        op.cmd = XEN_SYSCTL_LIVEPATCH_LIST;
        op.u.list.nr = 16;
        set_xen_guest_handle(op.u.list.name, names.data());
        set_xen_guest_handle(op.u.list.len, lens.data());
        set_xen_guest_handle(op.u.list.status, sts.data());
        set_xen_guest_handle(op.u.list.metadata, meta.data());
        set_xen_guest_handle(op.u.list.metadata_len, mlens.data());
        const int32_t n = livepatch_op(&op);
        if (n <= 0)
            break;
        std::vector<std::string> listed;
        for (size_t off = 0; listed.size() < static_cast<size_t>(n); off += listed.back().size() + 1)
            listed.emplace_back(names.data() + off);
        REQUIRE(action(listed.back(), LIVEPATCH_ACTION_UNLOAD) == 0);
    }
}

const Payload* EngineReset::top() {
    const Payload* p = Engine::instance().applied_bottom();
    while (p && p->applied_next)
        p = p->applied_next;
    return p;
}

uint32_t state_of(const std::string& name) {
    xen_livepatch_status st{};
    REQUIRE(get(name, &st) == 0);
    return st.state;
}

std::vector<uint8_t> text_copy() { return std::vector<uint8_t>(hv().text(), hv().text() + TestHypervisor::kTextSize); }

uint8_t* xev() { return hv().text() + TestHypervisor::kExtraVersionOff; }

int* payload_int(const std::string& payload, const char* symbol) {
    int* out = nullptr;
    REQUIRE(Engine::instance().with_payload(payload.c_str(), [&](const Payload& p) {
        const PayloadSymbol* s = p.find_new_symbol(symbol);
        REQUIRE(s);
        out = reinterpret_cast<int*>(s->value);
    }));
    return out;
}

}  // namespace livepatch::test
