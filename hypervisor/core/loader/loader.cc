#include "core/loader/loader.h"

#include "arch/arch.h"
#include "core/elf/elf_view.h"
#include "core/loader/payload_loader.h"
#include "core/support/cstring.h"
#include "core/support/format.h"
#include "livepatch/abi.h"
#include "livepatch/port.h"

namespace livepatch {

namespace {

Status run_stages(PayloadLoader& l) noexcept {
    LP_CHECK(l.layout());
    LP_CHECK(l.resolve_symbols());
    LP_CHECK(l.relocate());
    LP_CHECK(l.check_required_sections());
    LP_CHECK(l.check_patching_sections());
    LP_CHECK(l.prepare_build_ids());
    LP_CHECK(l.prepare_funcs());
    LP_CHECK(l.prepare_hooks());
    LP_CHECK(l.check_special_sections());
    LP_CHECK(l.prepare_region());
    LP_CHECK(l.prepare_modinfo());
    l.compute_safe_to_reapply();
    LP_CHECK(l.build_symbol_table());
    LP_CHECK(l.secure());
    return success();
}

void log_error(const Error& e) noexcept {
    char line[512];
    TextBuilder t(line, sizeof(line));
    t.str("livepatch: ");
    char msg[448];
    e.format(msg, sizeof(msg));
    t.str(msg);
    port::log(port::LogLevel::error, line);
}

}  // namespace

Result<Owned<Payload>> load_payload(const char* name, Bytes file, const PayloadList& loaded) noexcept {
    if (file.size() == 0 || file.size() > kMaxPayloadSize) {
        Error e = fail(Errc::kEINVAL, "payload size must be between 1 byte and 2 MiB").value(file.size());
        e.payload(name);
        log_error(e);
        return e;
    }

    Result<ElfView> elf = ElfView::parse(file, arch::elf_machine(), name);
    if (!elf) {
        Error e = elf.error();
        e.payload(name);
        log_error(e);
        return e;
    }

    Result<Owned<Payload>> payload = Owned<Payload>::make();
    if (!payload) {
        Error e = payload.error();
        e.payload(name);
        log_error(e);
        return e;
    }
    Owned<Payload> p = std::move(payload).value();
    PayloadLoader loader(loaded, elf.value(), *p);
    loader.set_name(name);
    Status s = run_stages(loader);
    if (!s) {
        Error e = s.error();
        e.payload(name);
        log_error(e);
        return e;  // p and everything it owns are freed here
    }
    // Xen registers the region once the payload is loaded (common/livepatch.c:1174); the
    // Payload's destructor unregisters it (Xen: free_payload, :1073).
    loader.register_region();
    return p;
}

}  // namespace livepatch
