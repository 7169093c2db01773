#include "support/sysctl_ops.h"

#include <doctest/doctest.h>
#include <string.h>

#include "support/test_port.h"

namespace livepatch::test {

std::vector<uint8_t> fixture(const std::string& name) {
    return read_file(std::string(LP_FIXTURE_DIR) + "/" + name + ".livepatch");
}

void set_name(xen_livepatch_name& n, const std::string& name) {
    memset(&n, 0, sizeof n);
    set_xen_guest_handle(n.name, const_cast<char*>(name.c_str()));
    n.size = static_cast<uint16_t>(name.size() + 1);
}

int32_t upload(const std::string& name, const std::vector<uint8_t>& bytes) {
    xen_sysctl_livepatch_op op{};
    op.cmd = XEN_SYSCTL_LIVEPATCH_UPLOAD;
    set_name(op.u.upload.name, name);
    op.u.upload.size = bytes.size();
    set_xen_guest_handle(op.u.upload.payload, const_cast<uint8_t*>(bytes.data()));
    return livepatch_op(&op);
}

int32_t get(const std::string& name, xen_livepatch_status* st) {
    xen_sysctl_livepatch_op op{};
    op.cmd = XEN_SYSCTL_LIVEPATCH_GET;
    set_name(op.u.get.name, name);
    const int32_t rc = livepatch_op(&op);
    *st = op.u.get.status;
    return rc;
}

int32_t action(const std::string& name, uint32_t cmd, uint32_t flags) {
    xen_sysctl_livepatch_op op{};
    op.cmd = XEN_SYSCTL_LIVEPATCH_ACTION;
    set_name(op.u.action.name, name);
    op.u.action.cmd = cmd;
    op.u.action.flags = flags;
    return livepatch_op(&op);
}

int32_t run(const std::string& name, uint32_t cmd, uint32_t flags, int32_t* hypercall_rc) {
    const int32_t rc = action(name, cmd, flags);
    if (hypercall_rc)
        *hypercall_rc = rc;
    if (rc)
        return rc;
    livepatch_check_work();
    xen_livepatch_status st{};
    REQUIRE(get(name, &st) == 0);
    return st.rc;
}

}  // namespace livepatch::test
