// The x86-64 NOP-record rules at upload (arch/x86_64/arch.cc verify_func), through the loader
// against the test hypervisor's text:
// - Xen 4.17.5 accepts a NOP record (new_addr 0) whose new_size is below the ENDBR64 that starts
//   the old function (xen/arch/x86/livepatch.c:95-102, arch_livepatch_verify_func, checks only
//   new_size <= 31 and <= old_size, called from xen/common/livepatch.c:699), then computes its
//   length as new_size - 4 in an unsigned int (xen/include/xen/livepatch.h:103,
//   livepatch_insn_len) and arch_livepatch_apply copies that many bytes into the 31-byte
//   insn_buffer and over the text (xen/arch/x86/livepatch.c:148, 152, 168): ~4 GiB, the host
//   dies. The engine refuses it at upload.
// - Beyond Xen: the NOP region must end where an instruction of the old function ends, judged on
//   the function's original bytes (those under an applied patch of the same function included).
#include <doctest/doctest.h>
#include <string.h>

#include <string>
#include <vector>

#include "core/loader/loader.h"
#include "core/payload/payload_list.h"
#include "support/elf_builder.h"
#include "support/test_port.h"

using namespace livepatch;
using namespace livepatch::test;

namespace {

std::string format(const Error& e) {
    char buf[512];
    e.format(buf, sizeof(buf));
    return buf;
}

// A NOP record over hypervisor function `name`.
ElfBuilder::Func nop(const std::string& name, uint32_t new_size, uint32_t old_size) {
    return {.name = name, .new_size = new_size, .old_size = old_size};
}

// Loads payload `id` with `funcs` into `loaded` context (not added to it). Returns the error
// message, or "" when the payload loads; checks the errno, the naming and that nothing is left.
std::string load(const char* id, const std::vector<ElfBuilder::Func>& funcs, const PayloadList& loaded,
                 Errc expected = Errc::ok, uint8_t seed = 1) {
    const long zallocs = hv().live_zallocs(), pages = hv().live_payload_allocs();
    std::string msg;
    {
        ElfBuilder b = payload_builder(funcs, seed);
        // A NOP payload replaces nothing: its own function must not take a hypervisor name.
        b.symbol(b.symbol_id("xen_extra_version")).name("nop_payload_text");
        const ElfImage img = b.build();
        Result<Owned<Payload>> r = load_payload(id, img.span(), loaded);
        if (r.ok()) {
            CHECK(expected == Errc::ok);
        } else {
            msg = format(r.error());
            CAPTURE(msg);
            CHECK(errc_name(r.error().code()) == std::string(errc_name(expected)));
            CHECK(msg.rfind(std::string(id) + ": ", 0) == 0);  // names the payload
            CHECK(msg.find("'" + funcs[0].name + "'") != std::string::npos);  // and the function
        }
    }
    CHECK(hv().live_zallocs() == zallocs);
    CHECK(hv().live_payload_allocs() == pages);
    return msg;
}

}  // namespace

TEST_SUITE("x86-64 NOP records") {

TEST_CASE("a NOP record shorter than the ENDBR64 it must keep is refused at upload (Xen's length underflows)") {
    hv().reset();
    PayloadList none;
    // ibt_function: endbr64; mov $1, %eax; ret.
    for (uint32_t n : {0u, 1u, 2u, 3u}) {
        CAPTURE(n);
        const std::string msg = load("nop-in-endbr", {nop("ibt_function", n, 64)}, none, Errc::kEINVAL);
        CHECK(msg.find("shorter than the ENDBR64") != std::string::npos);
    }
    // Exactly the ENDBR64: an empty region, which Xen accepts and applies as nothing.
    CHECK(load("nop-endbr-only", {nop("ibt_function", 4, 64)}, none).empty());
    // The poison Xen writes over ENDBR64 counts the same (66 0f 1f 01, a 4-byte NOP).
    static const uint8_t poison[] = {0x66, 0x0f, 0x1f, 0x01};
    memcpy(hv().text() + TestHypervisor::kIbtFunctionOff, poison, sizeof poison);
    CHECK(load("nop-in-poison", {nop("ibt_function", 3, 64)}, none, Errc::kEINVAL)
              .find("shorter than the ENDBR64") != std::string::npos);
    // A function without ENDBR64 may have a 0..3-byte NOP region (it starts at offset 0).
    hv().reset();
    CHECK(load("nop-zero", {nop("xen_extra_version", 0, 64)}, none).empty());
}

TEST_CASE("a NOP region must end on an instruction boundary of the old function") {
    hv().reset();
    PayloadList none;
    // ibt_function: endbr64 (0-4); mov $1, %eax (4-9); ret (9); then ret padding.
    for (uint32_t n = 5; n < 9; ++n) {
        CAPTURE(n);
        const std::string msg = load("nop-cut-mov", {nop("ibt_function", n, 64)}, none, Errc::kEINVAL);
        CHECK(msg.find("ends inside an instruction") != std::string::npos);
        CHECK(msg.find("0x4") != std::string::npos);  // the instruction cut starts at offset 4
    }
    for (uint32_t n : {9u, 10u, 11u, 31u})
        CHECK(load("nop-whole", {nop("ibt_function", n, 64)}, none).empty());
    // xen_extra_version: lea 0(%rip), %rax (0-7); ret (7).
    for (uint32_t n = 1; n < 7; ++n) {
        CAPTURE(n);
        CHECK(load("nop-cut-lea", {nop("xen_extra_version", n, 64)}, none, Errc::kEINVAL)
                  .find("ends inside an instruction") != std::string::npos);
    }
    CHECK(load("nop-lea", {nop("xen_extra_version", 7, 64)}, none).empty());
    CHECK(load("nop-lea-ret", {nop("xen_extra_version", 8, 64)}, none).empty());
}

TEST_CASE("a NOP region over bytes that do not decode, or cut by the function's end, is refused") {
    hv().reset();
    PayloadList none;
    const uint64_t off = 0x7000;
    // nop; push %es (invalid in 64-bit mode); nop ...
    static const uint8_t odd[] = {0x90, 0x06, 0x90, 0x90};
    memcpy(hv().text() + off, odd, sizeof odd);
    hv().add_symbol("odd_function", hv().text_addr() + off, 16);
    CHECK(load("nop-before-odd", {nop("odd_function", 1, 16)}, none).empty());  // stops before it
    const std::string msg = load("nop-over-odd", {nop("odd_function", 3, 16)}, none, Errc::kEINVAL);
    CHECK(msg.find("does not decode") != std::string::npos);
    CHECK(msg.find("0x1") != std::string::npos);
    // nop; nop; call rel32 — a 5-byte function ends inside the call.
    static const uint8_t cut[] = {0x90, 0x90, 0xe8, 0x00, 0x00, 0x00, 0x00};
    memcpy(hv().text() + off + 0x100, cut, sizeof cut);
    hv().add_symbol("cut_function", hv().text_addr() + off + 0x100, 5);
    CHECK(load("nop-over-cut", {nop("cut_function", 3, 5)}, none, Errc::kEINVAL).find("runs past old_size") !=
          std::string::npos);
    CHECK(load("nop-before-cut", {nop("cut_function", 2, 5)}, none).empty());
}

TEST_CASE("the boundary is judged on the original bytes of a function an applied payload patched") {
    hv().reset();
    PayloadList loaded;
    // Payload A replaces xen_extra_version and is applied: its jump (5 bytes) now covers the
    // first 5 bytes of the 7-byte lea, and A's state holds those original bytes.
    {
        const ElfImage img = payload_builder({{.name = "xen_extra_version", .new_symbol = "xen_extra_version",
                                               .new_size = 16, .old_size = 64}},
                                             2)
                                 .build();
        Result<Owned<Payload>> r = load_payload("jump", img.span(), loaded);
        REQUIRE(r.ok());
        loaded.add(std::move(r).value());
    }
    uint8_t* site = hv().text() + TestHypervisor::kExtraVersionOff;
    auto& st = const_cast<FuncState&>(loaded.find("jump")->func_states()[0]);
    st.applied = true;
    st.patch_offset = 0;
    st.len = 5;
    memcpy(st.saved, site, 5);
    static const uint8_t jmp[] = {0xe9, 0x10, 0x20, 0x30, 0x00};
    memcpy(site, jmp, sizeof jmp);
    // Live bytes: jmp (0-5), add %al,(%rax) (5-7), ret: 5 would look like a boundary, but the
    // function's own instruction there is the 7-byte lea.
    CHECK(load("nop-stacked-cut", {nop("xen_extra_version", 5, 64)}, loaded, Errc::kEINVAL)
              .find("ends inside an instruction") != std::string::npos);
    CHECK(load("nop-stacked", {nop("xen_extra_version", 7, 64)}, loaded).empty());
    // Reverted (not applied): the live bytes are the original ones again.
    memcpy(site, st.saved, 5);
    st.applied = false;
    CHECK(load("nop-stacked-cut", {nop("xen_extra_version", 5, 64)}, loaded, Errc::kEINVAL)
              .find("ends inside an instruction") != std::string::npos);
}

}  // TEST_SUITE
