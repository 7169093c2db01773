// The offline commands (xl-tool/offline): `info` against readelf's view of real payloads, and
// `check` (the engine's loader against the hosted hypervisor's binary, as an image on disk) on
// good, foreign, corrupted and expectation-mismatching payloads. Text and JSON outputs.
//
// Needs LP_HOSTED_BIN (the hosted hypervisor binary) and LP_TOOL_PAYLOADS (payloads built against
// it, among them offline_*.livepatch from tests/tool/payloads/offline_*.c).
#include <doctest/doctest.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../../xl-tool/offline/commands.h"
#include "../../xl-tool/offline/hypervisor_image.h"
#include "../../xl-tool/offline/offline.h"
#include "../../xl-tool/offline/payload_info.h"
#include "tool/offline_test_support.h"

using nlohmann::json;
using namespace livepatch::tool::offline;
using namespace livepatch::tool::offline::test;

TEST_SUITE("tool offline") {

TEST_CASE("info: functions, build-ids, sections and relocations match readelf") {
    const Env env;
    if (!env.ok())
        return;
    const std::string p = env.payload("offline_compute");
    const Output o = info(p, true);
    REQUIRE(o.rc == 0);
    const json j = json::parse(o.out);

    const std::string sections = run("readelf -SW " + p);
    const uint64_t funcs_size = section_size(sections, ".livepatch.funcs");
    CHECK(j["functions"].size() == funcs_size / 104);
    CHECK(j["build_id"] == readelf_build_id(p));
    CHECK(j["xen_depends"] == readelf_build_id(env.hosted));
    CHECK(j["depends"] == readelf_build_id(env.hosted));
    // readelf's rows: the "[Nr]" header, the null section [0], then the sections info lists.
    CHECK(j["sections"].size() == count_lines_matching(sections, "  [") - 2);
    const std::string relocs = run("readelf -rW " + p);
    CHECK(j["relocations"]["R_X86_64_64"] == count_lines_matching(relocs, "R_X86_64_64 "));
    CHECK(j["relocations"]["R_X86_64_PLT32"] == count_lines_matching(relocs, "R_X86_64_PLT32 "));

    const json& f = j["functions"][0];
    CHECK(f["name"] == "do_compute");
    CHECK(f["target"] == "do_compute");
    CHECK(f["old_addr"].is_null());
    CHECK(f["type"] == "jump");
    CHECK(f["new_function"] == "offline_compute");
    CHECK(f["old_size"] == 6);
    CHECK(f["version"] == 2);
    CHECK(f["expectation"]["enabled"] == false);
    CHECK(j["targets"] == json::array({"do_compute"}));
    CHECK(j["hooks"].empty());
    CHECK(j["undefined_symbols"] == json::array({"xen_extra_version"}));
    CHECK(j["modinfo"] == json::array({"version=1", "description=offline check fixture"}));
    CHECK(j["safe_to_reapply"] == true);
    CHECK(j["machine"] == "x86-64");
    CHECK(j["relocatable"] == true);
    CHECK(j["sizes"]["file"] == file_bytes(p).size());
    CHECK(j["sizes"]["text"].get<uint64_t>() > 0);
    CHECK(j["problems"].empty());
}

TEST_CASE("info: text form") {
    const Env env;
    if (!env.ok())
        return;
    const Output o = info(env.payload("offline_compute"), false);
    REQUIRE(o.rc == 0);
    CHECK(o.out.find("Functions:     1\n") != std::string::npos);
    CHECK(o.out.find("[0] do_compute -> offline_compute (jump") != std::string::npos);
    CHECK(o.out.find("Build-id:      " + readelf_build_id(env.payload("offline_compute"))) != std::string::npos);
    CHECK(o.out.find(".livepatch.funcs") != std::string::npos);
    CHECK(o.out.find("R_X86_64_64") != std::string::npos);
    CHECK(o.out.find("version=1") != std::string::npos);
    CHECK(o.err.empty());
}

TEST_CASE("info: hooks, NOP records, expectations and re-apply safety") {
    const Env env;
    if (!env.ok())
        return;
    json j = json::parse(info(env.payload("offline_hooks"), true).out);
    REQUIRE(j["functions"].size() == 1);
    CHECK(j["functions"][0]["type"] == "nop");
    CHECK(j["functions"][0]["new_size"] == 8);
    CHECK(j["functions"][0]["new_function"].is_null());
    REQUIRE(j["hooks"].size() == 2);
    for (const json& h : j["hooks"]) {
        CHECK(h["count"] == 1);
        if (h["kind"] == "load")
            CHECK(h["functions"] == json::array({"offline_on_load"}));
        else
            CHECK((h["kind"] == "preapply" && h["functions"] == json::array({"offline_pre_apply"})));
    }
    CHECK(j["safe_to_reapply"] == false);  // offline_loaded is writable data

    j = json::parse(info(env.payload("offline_expect"), true).out);
    CHECK(j["functions"][0]["expectation"]["enabled"] == true);
    CHECK(j["functions"][0]["expectation"]["len"] == 5);
    CHECK(j["functions"][0]["expectation"]["data"] == "0f0b0f0b0f");
}

TEST_CASE("info: a file that is not an ELF object is refused, naming it") {
    const TempDir dir;
    const std::string p = dir.write("junk.livepatch", std::vector<uint8_t>(64, 'x'));
    Output o = info(p, false);
    CHECK(o.rc == 1);
    CHECK(o.err.find(p + ": not an ELF file") != std::string::npos);
    o = info(p, true);
    CHECK(o.rc == 1);
    CHECK(json::parse(o.out)["error"].get<std::string>().find("not an ELF file") != std::string::npos);
    o = info(dir.path() + "/missing.livepatch", false);
    CHECK(o.rc == 1);
    CHECK(o.err.find("missing.livepatch: cannot open") != std::string::npos);
}

TEST_CASE("check: a good payload passes every check") {
    const Env env;
    if (!env.ok())
        return;
    Output o = check(env.payload("offline_compute"), env.hosted, true);
    CHECK(o.rc == 0);
    const json j = json::parse(o.out);
    CHECK(j["result"] == "ok");
    CHECK(j["rc"] == 0);
    CHECK(!j.contains("errno"));
    CHECK(j["image"]["build_id"] == readelf_build_id(env.hosted));
    CHECK(j["safe_to_reapply"] == true);
    std::vector<std::string> names;
    for (const json& c : j["checks"]) {
        names.push_back(c["name"]);
        CHECK_MESSAGE(c["ok"] == true, c.dump());
        CHECK_MESSAGE(c["status"] == "passed", c.dump());
    }
    CHECK(names == std::vector<std::string>{"upload", "xen-depends", "depends", "expectations", "patch", "replace",
                                            "reapply"});
    CHECK(j["log"].empty());

    o = check(env.payload("offline_compute"), env.hosted, false);
    CHECK(o.rc == 0);
    CHECK(o.out.find("[ ok ] upload") != std::string::npos);
    CHECK(o.out.find("Result: ok\n") != std::string::npos);
    CHECK(o.err.empty());
}

TEST_CASE("check: warnings do not refuse (pre-apply hook blocks REPLACE, writable data blocks re-apply)") {
    const Env env;
    if (!env.ok())
        return;
    const Output o = check(env.payload("offline_hooks"), env.hosted, true);
    CHECK(o.rc == 0);
    const json j = json::parse(o.out);
    CHECK(j["result"] == "ok");
    CHECK(find_check(j, "replace")["status"] == "warning");
    CHECK(find_check(j, "replace")["detail"].get<std::string>().find("-EOPNOTSUPP") != std::string::npos);
    CHECK(find_check(j, "reapply")["status"] == "warning");
    CHECK(find_check(j, "patch")["detail"] == "0 jump(s) and 1 NOP patch(es) can be encoded");
}

TEST_CASE("check: a payload for another hypervisor is refused with -EINVAL naming .livepatch.xen_depends") {
    const Env env;
    if (!env.ok())
        return;
    const TempDir dir;
    const std::string good = env.payload("offline_compute");
    std::vector<uint8_t> bytes = file_bytes(good);
    flip_note_desc(good, &bytes, ".livepatch.xen_depends");
    const std::string p = dir.write("foreign.livepatch", bytes);

    Output o = check(p, env.hosted, true);
    CHECK(o.rc == 1);
    const json j = json::parse(o.out);
    CHECK(j["result"] == "refused");
    CHECK(j["rc"] == -22);
    CHECK(j["errno"] == "EINVAL");
    CHECK(j["error"]["subject"].get<std::string>().find("'.livepatch.xen_depends'") != std::string::npos);
    CHECK(j["error"]["rule"].get<std::string>().find("build-id mismatch") != std::string::npos);
    const json& up = find_check(j, "upload");
    CHECK(up["ok"] == false);
    CHECK(up["errno"] == "EINVAL");
    CHECK(up["detail"].get<std::string>().find(".livepatch.xen_depends") != std::string::npos);
    const json& xd = find_check(j, "xen-depends");
    CHECK(xd["ok"] == false);
    CHECK(xd["detail"].get<std::string>().find(readelf_build_id(env.hosted)) != std::string::npos);
    CHECK(!has_check(j, "expectations"));  // APPLY checks need an uploaded payload
    REQUIRE(j["log"].size() == 1);
    CHECK(j["log"][0].get<std::string>().find("livepatch: foreign.livepatch: section [") == 0);

    o = check(p, env.hosted, false);
    CHECK(o.rc == 1);
    CHECK(o.out.find("[FAIL] upload") != std::string::npos);
    CHECK(o.out.find("Result: refused (-EINVAL, -22)") != std::string::npos);
    CHECK(o.err.find(p + ": refused by the upload check (-EINVAL)") != std::string::npos);
    CHECK(o.err.find(".livepatch.xen_depends") != std::string::npos);
}

TEST_CASE("check: .livepatch.depends naming another payload is a warning naming that build-id") {
    const Env env;
    if (!env.ok())
        return;
    const TempDir dir;
    const std::string good = env.payload("offline_compute");
    std::vector<uint8_t> bytes = file_bytes(good);
    const std::string dep = flip_note_desc(good, &bytes, ".livepatch.depends");
    const Output o = check(dir.write("stacked.livepatch", bytes), env.hosted, true);
    CHECK(o.rc == 0);
    const json j = json::parse(o.out);
    CHECK(j["result"] == "ok");
    const json& d = find_check(j, "depends");
    CHECK(d["ok"] == true);
    CHECK(d["status"] == "warning");
    CHECK(d["detail"].get<std::string>().find("payload with build-id " + dep) != std::string::npos);
    CHECK(find_check(j, "replace")["status"] == "warning");
}

TEST_CASE("check: corrupted payloads are refused with the loader's errno and message") {
    const Env env;
    if (!env.ok())
        return;
    const TempDir dir;
    const std::vector<uint8_t> good = file_bytes(env.payload("offline_compute"));
    struct Case {
        const char* name;
        std::vector<uint8_t> bytes;
        const char* errno_name;
        const char* log_part;
    };
    std::vector<uint8_t> machine = good;
    const uint16_t aarch64 = EM_AARCH64;
    memcpy(machine.data() + offsetof(Elf64_Ehdr, e_machine), &aarch64, 2);
    const Case cases[] = {
        {"truncated.livepatch", std::vector<uint8_t>(good.begin(), good.begin() + 400), "EINVAL", "section"},
        {"short.livepatch", std::vector<uint8_t>(good.begin(), good.begin() + 40), "EINVAL", "ELF header"},
        {"empty.livepatch", {}, "EINVAL", "between 1 byte and 2 MiB"},
        {"machine.livepatch", machine, "EOPNOTSUPP", "ELF header"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        const std::string p = dir.write(c.name, c.bytes);
        const Output o = check(p, env.hosted, true);
        CHECK(o.rc == 1);
        const json j = json::parse(o.out);
        CHECK(j["result"] == "refused");
        CHECK(j["errno"] == c.errno_name);
        CHECK(find_check(j, "upload")["ok"] == false);
        REQUIRE(!j["log"].empty());
        const std::string line = j["log"][0];
        CHECK(line.find(std::string("livepatch: ") + c.name + ": ") == 0);
        CHECK(line.find(c.log_part) != std::string::npos);
        CHECK(line.find(std::string("[-") + c.errno_name + "]") != std::string::npos);
        CHECK(o.err.find(p + ": refused by the upload check") != std::string::npos);
    }
    // info cannot describe a file whose section table is cut off, and says so.
    const Output i = info(dir.path() + "/truncated.livepatch", false);
    CHECK(i.rc == 1);
    CHECK(i.err.find("truncated.livepatch: the section header table is not inside the file") != std::string::npos);
}

TEST_CASE("check: an expectation mismatch is reported; the image's own bytes pass") {
    const Env env;
    if (!env.ok())
        return;
    const std::string p = env.payload("offline_expect");
    Output o = check(p, env.hosted, true);
    CHECK(o.rc == 1);
    json j = json::parse(o.out);
    CHECK(j["result"] == "refused");
    CHECK(j["errno"] == "EINVAL");
    CHECK(find_check(j, "upload")["ok"] == true);
    const json& e = find_check(j, "expectations");
    CHECK(e["ok"] == false);
    CHECK(e["errno"] == "EINVAL");
    CHECK(e["detail"].get<std::string>().find("xen_extra_version at 0x") != std::string::npos);
    CHECK(e["detail"].get<std::string>().find("expected 0f0b0f0b0f, the image has ") != std::string::npos);
    CHECK(j["log"] == json::array({"livepatch: offline_expect.livepatch: expectation failed for xen_extra_version"}));

    // The same payload expecting the bytes the image really has at xen_extra_version.
    const auto image = HypervisorImage::load(env.hosted);
    const uint64_t at = image->symbols().lookup("xen_extra_version");
    REQUIRE(at != 0);
    std::string error;
    const auto pinfo = read_payload_info(p, &error);
    REQUIRE(pinfo);
    std::vector<uint8_t> bytes = file_bytes(p);
    memcpy(bytes.data() + pinfo->funcs[0].file_offset + 73, reinterpret_cast<const void*>(at), 5);
    const TempDir dir;
    o = check(dir.write("expect-ok.livepatch", bytes), env.hosted, true);
    CHECK(o.rc == 0);
    j = json::parse(o.out);
    CHECK(find_check(j, "expectations")["detail"].get<std::string>().find("5 bytes match") != std::string::npos);
}

TEST_CASE("check: a literal old_addr of the image (livepatch-build-tools style) is checked at its place") {
    const Env env;
    if (!env.ok())
        return;
    const auto image = HypervisorImage::load(env.hosted);
    const uint64_t link = image->symbols().lookup("do_compute") - image->bias();
    const std::string p = env.payload("offline_compute");
    std::string error;
    const auto pinfo = read_payload_info(p, &error);
    REQUIRE(pinfo);
    std::vector<uint8_t> bytes = file_bytes(p);
    memcpy(bytes.data() + pinfo->funcs[0].file_offset + 16, &link, 8);
    const TempDir dir;
    const Output o = check(dir.write("old-addr.livepatch", bytes), env.hosted, true);
    CHECK(o.rc == 0);
    const json j = json::parse(o.out);
    REQUIRE(j["notes"].size() == 1);
    CHECK(j["notes"][0].get<std::string>().find("old_addr") != std::string::npos);

    // An old_addr outside the image's text is refused as the hypervisor would refuse it.
    const uint64_t outside = image->text_end() - image->bias() + 0x100000;
    memcpy(bytes.data() + pinfo->funcs[0].file_offset + 16, &outside, 8);
    const Output bad = check(dir.write("old-addr-bad.livepatch", bytes), env.hosted, true);
    CHECK(bad.rc == 1);
    CHECK(json::parse(bad.out)["error"]["rule"] == "old function does not lie in hypervisor text");
}

TEST_CASE("check: the image is the hypervisor as it runs (symbols, statics, build-id, text)") {
    const Env env;
    if (!env.ok())
        return;
    const auto image = HypervisorImage::load(env.hosted);
    CHECK(to_hex(image->build_id().data(), image->build_id().size()) == readelf_build_id(env.hosted));
    const uint64_t f = image->symbols().lookup("do_compute");
    CHECK(f >= image->text_start());
    CHECK(f < image->text_end());
    CHECK(image->symbols().lookup("no_such_symbol_anywhere") == 0);
    const std::string stat = first_static_function(env.hosted);
    REQUIRE(!stat.empty());
    CAPTURE(stat);
    CHECK(image->symbols().lookup(stat.c_str()) != 0);
}

TEST_CASE("check: against a xen-syms-like image (ET_EXEC linked at Xen's address, literal old_addr)") {
    const Env env;
    if (!env.ok())
        return;
    const TempDir dir;
    const std::string xen = build_fake_xen_syms(dir.path());
    const auto image = HypervisorImage::load(xen);
    const std::string id = readelf_build_id(xen);
    CHECK(to_hex(image->build_id().data(), image->build_id().size()) == id);
    CHECK(image->link_text_start() == 0xffff82d040201000ull);
    CHECK(image->symbols().lookup("version.c#helper") == 0xffff82d040201000ull + image->bias());
    CHECK(image->symbols().lookup("helper") == 0);  // statics only by their "file#name"

    // offline_compute, rebuilt (its notes) for this image: every check passes.
    const std::string p = env.payload("offline_compute");
    std::vector<uint8_t> bytes = file_bytes(p);
    set_note_desc(p, &bytes, ".livepatch.xen_depends", id);
    set_note_desc(p, &bytes, ".livepatch.depends", id);
    Output o = check(dir.write("for-xen.livepatch", bytes), xen, true);
    CHECK_MESSAGE(o.rc == 0, o.out);
    json j = json::parse(o.out);
    CHECK(j["result"] == "ok");
    CHECK(j["image"]["build_id"] == id);

    // With old_addr written as livepatch-build-tools writes it: do_compute's address in xen-syms.
    std::string error;
    const auto pinfo = read_payload_info(p, &error);
    REQUIRE(pinfo);
    const uint64_t old_addr = image->symbols().lookup("do_compute") - image->bias();
    CHECK((old_addr >> 32) == 0xffff82d0u);
    memcpy(bytes.data() + pinfo->funcs[0].file_offset + 16, &old_addr, 8);
    o = check(dir.write("for-xen-addr.livepatch", bytes), xen, true);
    CHECK(o.rc == 0);
    j = json::parse(o.out);
    REQUIRE(j["notes"].size() == 1);
    CHECK(j["notes"][0].get<std::string>().find("0xffff82d040201030") != std::string::npos);

    // The hosted hypervisor's payload against this image: another hypervisor.
    o = check(p, xen, true);
    CHECK(o.rc == 1);
    CHECK(json::parse(o.out)["errno"] == "EINVAL");
}

TEST_CASE("check: the image comes from --against or XEN_LIVEPATCH_IMAGE, and must be a hypervisor") {
    const Env env;
    if (!env.ok())
        return;
    const std::string p = env.payload("offline_compute");
    const EnvVar var("XEN_LIVEPATCH_IMAGE");
    unsetenv("XEN_LIVEPATCH_IMAGE");
    Output o = check(p, "", false);
    CHECK(o.rc == 1);
    CHECK(o.err.find("--against") != std::string::npos);
    CHECK(o.err.find("XEN_LIVEPATCH_IMAGE") != std::string::npos);
    o = check(p, "", true);
    CHECK(json::parse(o.out)["result"] == "error");
    CHECK(livepatch::tool::cmd_check(p, "", false) == 1);

    setenv("XEN_LIVEPATCH_IMAGE", env.hosted.c_str(), 1);
    CHECK(check(p, "", true).rc == 0);

    o = check(p, p, false);  // a payload is not a hypervisor image
    CHECK(o.rc == 1);
    CHECK(o.err.find(p + ": not an ELF64 executable") != std::string::npos);
    o = check(p, "/nonexistent/xen-syms", false);
    CHECK(o.rc == 1);
    CHECK(o.err.find("/nonexistent/xen-syms: cannot open the hypervisor image") != std::string::npos);
    o = check("/nonexistent/x.livepatch", env.hosted, false);
    CHECK(o.rc == 1);
    CHECK(o.err.find("/nonexistent/x.livepatch: cannot open the payload file") != std::string::npos);
}

TEST_CASE("check and info run on every payload of LP_TOOL_PAYLOADS and give valid JSON") {
    const Env env;
    if (!env.ok())
        return;
    for (const std::string& p : list_payloads(env.payloads)) {
        CAPTURE(p);
        const Output i = info(p, true);
        CHECK(i.rc == 0);
        CHECK(json::parse(i.out)["functions"].is_array());
        const Output c = check(p, env.hosted, true);
        const json j = json::parse(c.out);
        CHECK(c.rc == (j["result"] == "ok" ? 0 : 1));
        CHECK(j["checks"].size() >= 2);
    }
}

}  // TEST_SUITE
