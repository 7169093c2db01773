#include "check_runner.h"

#include <stdio.h>
#include <string.h>

#include <stdexcept>

#include "arch/arch.h"
#include "core/engine/engine.h"
#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "livepatch/errc.h"
#include "file_limits.h"
#include "offline_port.h"
#include "payload_info.h"

namespace livepatch::tool::offline {

namespace {

std::string hex_address(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string subject_of(const Error& e) {
    const std::string name = e.name()[0] ? std::string(" '") + e.name() + "'" : "";
    const std::string index = "[" + std::to_string(e.index()) + "]";
    switch (e.subject()) {
    case Subject::header:
        return "ELF header";
    case Subject::section:
        return "section " + index + name;
    case Subject::symbol:
        return "symbol " + index + name;
    case Subject::function:
        return "function " + index + name;
    case Subject::relocation:
        return "relocation " + index + " of" + name;
    default:
        return "";
    }
}

// The loader sees what the running hypervisor would see. A record whose old_addr is a literal
// link-time address of the image (livepatch-build-tools writes them so) names the function at
// that address plus the image's bias here, so it is rebased in the copy given to the loader.
void rebase_literal_old_addrs(const PayloadInfo& info, const HypervisorImage& image, std::vector<uint8_t>* bytes,
                              std::vector<std::string>* notes) {
    for (const FuncInfo& f : info.funcs) {
        if (f.old_addr.relocated || !f.old_addr.literal || !image.contains_link_address(f.old_addr.literal))
            continue;
        const uint64_t at = f.file_offset + 16;
        if (at + 8 > bytes->size())
            continue;
        const uint64_t rebased = f.old_addr.literal + image.bias();
        memcpy(bytes->data() + at, &rebased, sizeof(rebased));
        notes->push_back("function [" + std::to_string(f.index) + "]: old_addr " + hex_address(f.old_addr.literal) +
                         " is an address in the image; checked at its place in the image");
    }
}

CheckItem xen_depends_check(const PayloadInfo& info, const HypervisorImage& image) {
    CheckItem c{"xen-depends", CheckStatus::passed, "", 0};
    const std::string image_id = to_hex(image.build_id().data(), image.build_id().size());
    if (!info.xen_depends.hex) {
        c.status = CheckStatus::failed;
        c.rc = to_xen_rc(Errc::kEINVAL);
        c.detail = info.xen_depends.present ? ".livepatch.xen_depends: " + info.xen_depends.problem
                                            : "the payload has no .livepatch.xen_depends section";
    } else if (image_id.empty()) {
        c.status = CheckStatus::failed;
        c.rc = to_xen_rc(Errc::kENODATA);
        c.detail = "the image has no build-id to check .livepatch.xen_depends against";
    } else if (*info.xen_depends.hex != image_id) {
        c.status = CheckStatus::failed;
        c.rc = to_xen_rc(Errc::kEINVAL);
        c.detail = ".livepatch.xen_depends is " + *info.xen_depends.hex + ", the image's build-id is " + image_id +
                   ": the payload was built for another hypervisor";
    } else {
        c.detail = "built for this hypervisor (build-id " + image_id + ")";
    }
    return c;
}

CheckItem depends_check(const Payload& p, const HypervisorImage& image) {
    CheckItem c{"depends", CheckStatus::passed, "", 0};
    const std::string image_id = to_hex(image.build_id().data(), image.build_id().size());
    const std::string dep = to_hex(p.depends().bytes, p.depends().len);
    if (p.depends().equals(image.build_id().data(), static_cast<uint32_t>(image.build_id().size()))) {
        c.detail = "applies directly on this hypervisor (.livepatch.depends is its build-id)";
    } else {
        c.status = CheckStatus::warning;
        c.detail = ".livepatch.depends is " + dep + ", not the image's build-id " + image_id +
                   ": APPLY needs the payload with build-id " + dep +
                   " on top of the applied stack (applied directly on this hypervisor it is refused with "
                   "-EINVAL, unless --nodeps)";
    }
    return c;
}

CheckItem expectations_check(const Payload& p, const HypervisorImage& image) {
    CheckItem c{"expectations", CheckStatus::passed, "", 0};
    c.rc = check_expectations(p);  // the engine's own check, on the image's bytes
    std::string detail;
    unsigned with = 0;
    for (const livepatch_func& f : p.funcs()) {
        const livepatch_expectation& e = f.expect;
        if (!e.enabled())
            continue;
        ++with;
        const char* name = f.name ? reinterpret_cast<const char*>(f.name) : "?";
        detail += detail.empty() ? "" : "; ";
        detail += std::string(name) + " at " + hex_address(f.old_addr - image.bias()) + ": ";
        if (e.len() > kOpaqueSize || e.rsv() || f.old_size < e.len() || !f.old_addr) {
            detail += "malformed expectation (len " + std::to_string(e.len()) + ", old_size " +
                      std::to_string(f.old_size) + ", reserved bits " + std::to_string(e.rsv()) + ")";
            continue;
        }
        const auto* live = reinterpret_cast<const uint8_t*>(f.old_addr);
        if (!memcmp(live, e.data, e.len()))
            detail += std::to_string(e.len()) + " bytes match";
        else
            detail += "expected " + to_hex(e.data, e.len()) + ", the image has " + to_hex(live, e.len());
    }
    if (c.rc) {
        c.status = CheckStatus::failed;
        c.detail = "APPLY would be refused: " + detail;
    } else {
        c.detail = with ? detail : "no function carries an expectation";
    }
    return c;
}

CheckItem patch_check(const Payload& p) {
    CheckItem c{"patch", CheckStatus::passed, "", 0};
    unsigned jumps = 0, nops = 0;
    for (size_t i = 0; i < p.funcs().size(); ++i) {
        const livepatch_func& f = p.funcs()[i];
        FuncState st;
        Status s = arch::plan_patch(f, &st);
        if (!s) {
            char msg[448];
            Error e = s.error();
            e.function(static_cast<uint32_t>(i), f.name ? reinterpret_cast<const char*>(f.name) : nullptr);
            e.format(msg, sizeof(msg));
            c.status = CheckStatus::failed;
            c.rc = to_xen_rc(e.code());
            c.detail = msg;
            return c;
        }
        (f.new_addr ? jumps : nops) += 1;
    }
    c.detail = std::to_string(jumps) + " jump(s) and " + std::to_string(nops) + " NOP patch(es) can be encoded";
    return c;
}

CheckItem replace_check(const Payload& p, const HypervisorImage& image) {
    CheckItem c{"replace", CheckStatus::passed, "REPLACE is possible (depends on the hypervisor, no pre/post hooks)", 0};
    const PayloadHooks& h = p.hooks();
    if (!p.depends().equals(image.build_id().data(), static_cast<uint32_t>(image.build_id().size()))) {
        c.status = CheckStatus::warning;
        c.detail = "REPLACE would be refused with -EINVAL: .livepatch.depends is not the hypervisor's build-id";
    } else if (h.preapply || h.postapply || h.prerevert || h.postrevert) {
        c.status = CheckStatus::warning;
        c.detail = "REPLACE would be refused with -EOPNOTSUPP: the payload has pre/post hooks";
    }
    return c;
}

}  // namespace

std::string errno_name(int32_t rc) {
    const int32_t v = rc < 0 ? -rc : rc;
    return errc_name(static_cast<Errc>(v));
}

CheckReport run_checks(const std::string& payload_path, const HypervisorImage& image) {
    CheckReport r;
    r.payload_path = payload_path;
    const size_t slash = payload_path.find_last_of('/');
    r.payload_name = payload_path.substr(slash == std::string::npos ? 0 : slash + 1).substr(0, 127);
    if (r.payload_name.empty())
        r.payload_name = "payload";

    std::vector<uint8_t> bytes;
    if (std::string e = read_payload_file(payload_path, &bytes); !e.empty())
        throw std::runtime_error(e);

    std::string parse_error;
    const std::optional<PayloadInfo> info = read_payload_info(payload_path, bytes, &parse_error);
    if (info)
        rebase_literal_old_addrs(*info, image, &bytes, &r.notes);

    std::vector<LogLine> log;
    {
        PortSession session(image, &log);
        PayloadList loaded;
        Result<Owned<Payload>> p = load_payload(r.payload_name.c_str(), Bytes(bytes.data(), bytes.size()), loaded);
        CheckItem upload{"upload", CheckStatus::passed, "", 0};
        if (!p) {
            char msg[448];
            p.error().format(msg, sizeof(msg));
            upload.status = CheckStatus::failed;
            upload.rc = to_xen_rc(p.error().code());
            upload.detail = msg;
            r.error_subject = subject_of(p.error());
            r.error_rule = p.error().rule();
        } else {
            const Payload& pl = *p.value();
            upload.detail = "every upload check passed: " + std::to_string(pl.funcs().size()) + " function(s), text " +
                            std::to_string(pl.text().size) + ", rw " + std::to_string(pl.rw().size) + ", ro " +
                            std::to_string(pl.ro().size) + " bytes";
        }
        r.checks.push_back(upload);
        if (info)
            r.checks.push_back(xen_depends_check(*info, image));
        if (p) {
            const Payload& pl = *p.value();
            r.safe_to_reapply = pl.safe_to_reapply();
            r.checks.push_back(depends_check(pl, image));
            r.checks.push_back(expectations_check(pl, image));
            r.checks.push_back(patch_check(pl));
            r.checks.push_back(replace_check(pl, image));
            CheckItem reapply{"reapply", CheckStatus::passed, "can be applied again after a revert", 0};
            if (!pl.safe_to_reapply()) {
                reapply.status = CheckStatus::warning;
                reapply.detail = "has writable data: after a revert, APPLY is refused (-EINVAL); unload and upload "
                                 "it again";
            }
            r.checks.push_back(reapply);
        }
    }  // the payload is freed here, with the port still attached
    for (const LogLine& l : log)
        r.log.push_back(l.text);
    for (const CheckItem& c : r.checks) {
        if (c.status == CheckStatus::failed && c.rc) {
            r.rc = c.rc;
            break;
        }
    }
    return r;
}

}  // namespace livepatch::tool::offline
