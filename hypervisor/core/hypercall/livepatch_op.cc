// XEN_SYSCTL_livepatch_op: the hypercall handler (Xen: common/livepatch.c livepatch_op and its
// sub-ops), with Xen 4.17's argument checks and return codes. Guest buffers are reached only
// through port::copy_from_guest / copy_to_guest.
#include <string.h>

#include "core/engine/engine.h"
#include "core/support/cstring.h"
#include "core/support/owned.h"
#include "livepatch/livepatch.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

constexpr uint32_t kMaxListBatch = 1024;

template <class Handle>
uint64_t handle_value(const Handle& h) noexcept {
    static_assert(sizeof(Handle) == sizeof(uint64_t), "guest handles are 64-bit");
    uint64_t v;
    memcpy(&v, &h, sizeof v);
    return v;
}

// Xen's get_name: 1 <= size <= 128, pads zero, NUL at size - 1.
int32_t get_name(const xen_livepatch_name& name, char (&out)[XEN_LIVEPATCH_NAME_SIZE]) noexcept {
    if (!name.size || name.size > XEN_LIVEPATCH_NAME_SIZE)
        return to_xen_rc(Errc::kEINVAL);
    if (name.pad[0] || name.pad[1] || name.pad[2])
        return to_xen_rc(Errc::kEINVAL);
    if (!port::copy_from_guest(out, handle_value(name.name), 0, name.size))
        return to_xen_rc(Errc::kEFAULT);
    if (out[name.size - 1])
        return to_xen_rc(Errc::kEINVAL);
    return 0;
}

int32_t op_upload(xen_sysctl_livepatch_upload& up) noexcept {
    char name[XEN_LIVEPATCH_NAME_SIZE];
    // Xen's verify_payload reports every bad name, unreadable ones included, as -EINVAL.
    if (get_name(up.name, name))
        return to_xen_rc(Errc::kEINVAL);
    if (!up.size || up.size > kMaxPayloadSize)
        return to_xen_rc(Errc::kEINVAL);
    // Xen's order (xen/common/livepatch.c:104, 1153-1160): a handle out of range is -EFAULT, then
    // a loaded name is -EEXIST, before anything is allocated or copied.
    const uint64_t payload_h = handle_value(up.payload);
    if (!port::guest_handle_okay(payload_h, 0, up.size))
        return to_xen_rc(Errc::kEFAULT);
    if (const int32_t rc = Engine::instance().check_upload(name))
        return rc;
    Result<OwnedArray<uint8_t>> buf = OwnedArray<uint8_t>::make(up.size);
    if (!buf)
        return to_xen_rc(Errc::kENOMEM);
    if (!port::copy_from_guest(buf.value().data(), payload_h, 0, up.size))
        return to_xen_rc(Errc::kEFAULT);
    const Status s = Engine::instance().upload(name, Bytes(buf.value().data(), up.size));
    return s ? 0 : to_xen_rc(s.code());
}

int32_t op_get(xen_sysctl_livepatch_get& get) noexcept {
    char name[XEN_LIVEPATCH_NAME_SIZE];
    if (const int32_t rc = get_name(get.name, name))
        return rc;
    uint32_t state = 0;
    int32_t rc = 0;
    const Status s = Engine::instance().get(name, &state, &rc);
    if (!s)
        return to_xen_rc(s.code());
    get.status.state = state;
    get.status.rc = rc;
    return 0;
}

int32_t op_list(xen_sysctl_livepatch_list& list) noexcept {
    if (list.nr > kMaxListBatch)
        return to_xen_rc(Errc::kE2BIG);
    if (list.pad)
        return to_xen_rc(Errc::kEINVAL);

    const uint64_t status_h = handle_value(list.status), name_h = handle_value(list.name);
    const uint64_t len_h = handle_value(list.len), meta_h = handle_value(list.metadata);
    const uint64_t meta_len_h = handle_value(list.metadata_len);
    const uint32_t want = list.nr, idx = list.idx;
    // Xen (xen/common/livepatch.c:1239-1243): the per-entry arrays must be in range for nr
    // entries, else -EINVAL. A NULL handle is in range; its copies fail with -EFAULT below.
    if (want && (!port::guest_handle_okay(status_h, 0, uint64_t{want} * sizeof(xen_livepatch_status)) ||
                 !port::guest_handle_okay(len_h, 0, uint64_t{want} * 4) ||
                 !port::guest_handle_okay(meta_len_h, 0, uint64_t{want} * 4)))
        return to_xen_rc(Errc::kEINVAL);

    uint32_t count = 0, version = 0, copied = 0;
    uint64_t name_total = 0, meta_total = 0;
    int32_t rc = 0;
    bool bad_idx = false;

    Engine::instance().list(want ? idx : 0, want ? want : UINT32_MAX, &count, &version,
                            [&](uint32_t, const Payload& p) {
                                if (want && idx >= count) {
                                    bad_idx = true;
                                    return false;
                                }
                                const uint32_t name_len = static_cast<uint32_t>(str_len(p.name())) + 1;
                                const uint32_t meta_len = static_cast<uint32_t>(p.modinfo().size());
                                // Xen (:1268-1272) counts an entry into the totals before checking
                                // it, so a failed entry is in the totals the caller reads back.
                                const uint64_t name_off = name_total, meta_off = meta_total;
                                name_total += name_len;
                                meta_total += meta_len;
                                if (want) {
                                    // Xen (:1274-1280): names and metadata in range, else -EINVAL.
                                    if (!port::guest_handle_okay(name_h, name_off, name_len) ||
                                        !port::guest_handle_okay(meta_h, meta_off, meta_len)) {
                                        rc = to_xen_rc(Errc::kEINVAL);
                                        return false;
                                    }
                                    xen_livepatch_status st{p.state(), p.rc()};
                                    if (!port::copy_to_guest(name_h, name_off, p.name(), name_len) ||
                                        !port::copy_to_guest(len_h, uint64_t{copied} * 4, &name_len, 4) ||
                                        !port::copy_to_guest(status_h, uint64_t{copied} * sizeof st, &st, sizeof st) ||
                                        (meta_len && !port::copy_to_guest(meta_h, meta_off, p.modinfo().data(), meta_len)) ||
                                        !port::copy_to_guest(meta_len_h, uint64_t{copied} * 4, &meta_len, 4)) {
                                        rc = to_xen_rc(Errc::kEFAULT);
                                        return false;
                                    }
                                    ++copied;
                                }
                                return true;
                            });
    if (count && idx >= count)
        bad_idx = true;  // Xen checks idx against the count whether or not entries are wanted
    if (bad_idx)
        return to_xen_rc(Errc::kEINVAL);

    list.name_total_size = static_cast<uint32_t>(name_total);
    list.metadata_total_size = static_cast<uint32_t>(meta_total);
    list.version = version;
    // Entries left after this batch, as Xen counts them (:1312, payload_cnt - i): i is how many
    // entries its loop stepped over (skipped, copied, and one that failed); the probe (nr = 0)
    // steps over none. So an empty list reports 0 whatever idx is.
    uint64_t stepped = 0;
    if (want) {
        stepped = uint64_t{idx} + copied + (rc ? 1 : 0);
        if (stepped > count)
            stepped = count;
    }
    list.nr = count - static_cast<uint32_t>(stepped);
    return rc ? rc : static_cast<int32_t>(copied);
}

int32_t op_action(xen_sysctl_livepatch_action& act) noexcept {
    if (act.pad)
        return to_xen_rc(Errc::kEINVAL);
    char name[XEN_LIVEPATCH_NAME_SIZE];
    if (const int32_t rc = get_name(act.name, name))
        return rc;
    return Engine::instance().action(name, act.cmd, act.timeout, act.flags);
}

}  // namespace

int32_t livepatch_op(struct xen_sysctl_livepatch_op* op) noexcept {
    if (op->pad)
        return to_xen_rc(Errc::kEINVAL);
    switch (op->cmd) {
    case XEN_SYSCTL_LIVEPATCH_UPLOAD:
        return op_upload(op->u.upload);
    case XEN_SYSCTL_LIVEPATCH_GET:
        return op_get(op->u.get);
    case XEN_SYSCTL_LIVEPATCH_LIST:
        return op_list(op->u.list);
    case XEN_SYSCTL_LIVEPATCH_ACTION:
        return op_action(op->u.action);
    default:
        return to_xen_rc(Errc::kEOPNOTSUPP);
    }
}

}  // namespace livepatch
