// grant-fix: the security fix for the hosted hypervisor's grant-copy bug. The hypervisor's
// do_grant_table_op (hypervisor/port/hosted/hypercalls.cc) copies src_offset + len bytes of a
// grant frame without checking them against the frame size, so a guest can read the hypervisor
// data that follows the last frame. The replacement checks the bounds and fails an out-of-bounds
// copy with status -EINVAL, as Xen's GNTTABOP_copy refuses a bad copy argument; in-bounds copies
// are unchanged. It reaches the hypervisor's static grant frames through an extern declaration
// (livepatch-build resolves it to "hypercalls.cc#grant_table").
//
//   livepatch-build --target hosted-hypervisor -I hypervisor/port/hosted -o grant-fix.livepatch grant-fix.cc
#include <livepatch/payload.h>
#include <xen/errno.h>

#include "hypercalls.h"

extern GrantTable grant_table;  // a static of the hypervisor

extern "C" long do_grant_table_op(unsigned cmd, struct grant_copy_op* ops, unsigned count) {
    if (cmd != 5 /* GNTTABOP_copy */)
        return -XEN_ENOSYS;
    for (unsigned i = 0; i < count; ++i) {
        grant_copy_op& op = ops[i];
        if (op.src_ref >= kGrantFrames || op.src_offset > kGrantFrameSize ||
            op.len > kGrantFrameSize - op.src_offset) {
            op.status = -XEN_EINVAL;
            continue;
        }
        raw_copy_to_guest(op.dst, &grant_table.frames[op.src_ref][op.src_offset], op.len);
        op.status = 0;
    }
    return 0;
}
LIVEPATCH_REPLACE(do_grant_table_op);
