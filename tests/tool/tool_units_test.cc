// The tool's pure parts, linked from libxltool.a: Xen's text formats, command matching,
// durations, errno names and the generic meanings.
#include <doctest/doctest.h>

#include "../../xl-tool/backend.h"
#include "../../xl-tool/command_match.h"
#include "../../xl-tool/context.h"
#include "../../xl-tool/duration.h"
#include "../../xl-tool/errors.h"
#include "../../xl-tool/list_buffers.h"
#include "../../xl-tool/offline_envelope.h"
#include "../../xl-tool/watchdog.h"
#include "../../xl-tool/xen_text.h"

#include <unistd.h>

#include <atomic>

using namespace livepatch::tool;

TEST_SUITE("tool units") {

TEST_CASE("backend choice: explicit kinds stay, auto prefers a named socket, then Xen's privcmd") {
    CHECK(choose_backend(BackendKind::kXen, true, false) == BackendKind::kXen);
    CHECK(choose_backend(BackendKind::kHosted, false, true) == BackendKind::kHosted);
    CHECK(choose_backend(BackendKind::kAuto, true, true) == BackendKind::kHosted);
    CHECK(choose_backend(BackendKind::kAuto, false, true) == BackendKind::kXen);
    CHECK(choose_backend(BackendKind::kAuto, false, false) == BackendKind::kHosted);
}

TEST_CASE("list rows: 40 columns, state word, rc suffix, metadata") {
    CHECK(list_row({"a", {1, 0}, ""}) == "a                                       | CHECKED    | \n");
    CHECK(list_row({"a", {2, 0}, std::string("k=v\0x=y\0", 8)}) ==
          "a                                       | APPLIED    | k=v;x=y\n");
    CHECK(list_row({"a", {1, -16}, ""}) ==
          "a                                       | CHECKED (16, Device or resource busy)    | \n");
    CHECK(list_row({"a", {7, 0}, ""}) == "a                                       | unknown    | \n");
    const std::string n41(41, 'n');
    CHECK(list_row({n41, {1, 0}, ""}) == n41 + "| CHECKED    | \n");
    CHECK(list_header() == std::string(" ID") + std::string(37, ' ') + "| status     | metadata\n" +
                               std::string(40, '-') + "+" + std::string(12, '-') + "+" + std::string(15, '-') + "\n");
}

TEST_CASE("metadata column: inner NULs become ';', the text ends at the last NUL") {
    CHECK(metadata_column("") == "");
    CHECK(metadata_column(std::string("a\0", 2)) == "a");
    CHECK(metadata_column(std::string("a\0\0b\0", 5)) == "a;;b");
    CHECK(metadata_column("ab") == "ab");  // no NUL at all: everything
}

TEST_CASE("Xen's other strings") {
    CHECK(error_line(2) == "Error 2: No such file or directory\n");
    CHECK(wrong_state("p", 2, 1) == "p is in the wrong state.\nCurrent state: APPLIED\nExpected state: CHECKED\n");
    CHECK(state_word(0) == std::string("unknown"));
}

TEST_CASE("command words match as Xen 4.17's strncmp does") {
    CHECK(match_command("") == Command::kHelp);
    CHECK(match_command("l") == Command::kList);
    CHECK(match_command("lo") == Command::kLoad);
    CHECK(match_command("u") == Command::kUpload);
    CHECK(match_command("un") == Command::kUnload);
    CHECK(match_command("a") == Command::kApply);
    CHECK(match_command("r") == Command::kRevert);
    CHECK(match_command("rep") == Command::kReplace);
    CHECK(match_command("s") == Command::kStatus);
    CHECK(match_command("i") == Command::kInfo);
    CHECK(match_command("c") == Command::kCheck);
    CHECK_FALSE(match_command("lists"));
    CHECK_FALSE(match_command("x"));
    for (Command c : {Command::kHelp, Command::kList, Command::kUpload, Command::kLoad, Command::kApply,
                      Command::kRevert, Command::kUnload, Command::kReplace, Command::kStatus, Command::kInfo,
                      Command::kCheck})
        CHECK(match_command(command_word(c)) == c);
}

TEST_CASE("durations") {
    std::string why;
    CHECK(parse_duration("0", &why) == 0u);
    CHECK(parse_duration("30ms", &why) == 30000000u);
    CHECK(parse_duration("1.5s", &why) == 1500000000u);
    CHECK(parse_duration("250us", &why) == 250000u);
    CHECK(parse_duration("7ns", &why) == 7u);
    CHECK(parse_duration("0.0000000019s", &why) == 1u);  // below a nanosecond: dropped
    CHECK(parse_duration("18446744073709551615ns", &why) == UINT64_MAX);
    for (const char* bad : {"", "ms", "30", "-1ms", "1.ms", ".5s", "1e3ms", "3 ms", "5m", "18446744073709551616ns",
                            "18446744074s"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad, &why));
        CHECK_FALSE(why.empty());
    }
    CHECK(format_duration(0) == "0ns");
    CHECK(format_duration(30000000) == "30ms");
    CHECK(format_duration(1500000) == "1500us");
    CHECK(format_duration(2000000000) == "2s");
    CHECK(format_duration(7) == "7ns");
}

TEST_CASE("errno names and exit codes") {
    CHECK(errno_name(0) == "OK");
    CHECK(errno_name(-22) == "EINVAL");
    CHECK(errno_name(16) == "EBUSY");
    CHECK(errno_name(100000) == "E100000");
    CHECK(exit_code_for(0) == 0);
    CHECK(exit_code_for(11) == 2);  // EAGAIN
    CHECK(exit_code_for(16) == 2);  // EBUSY
    CHECK(exit_code_for(22) == 1);
    CHECK(exit_code_for(-1) == 1);
}

TEST_CASE("generic meanings name the livepatch cause") {
    CHECK(generic_meaning("UPLOAD", false, -17).find("already loaded") != std::string::npos);
    CHECK(generic_meaning("APPLY", false, -22).find("dependency") != std::string::npos);
    CHECK(generic_meaning("APPLY", true, -16).find("rendezvous timed out") != std::string::npos);
    CHECK(generic_meaning("REVERT", false, -16).find("top of the applied stack") != std::string::npos);
    CHECK(generic_meaning("UNLOAD", false, -22).find("revert it first") != std::string::npos);
    CHECK(generic_meaning("GET", false, -2).find("no payload with this name") != std::string::npos);
    CHECK(generic_meaning("LIST", false, -13).find("interface version") != std::string::npos);
    CHECK(generic_meaning("open", false, -2) == "the payload file does not exist");
    CHECK(generic_meaning("REPLACE", false, -95).find("vetoing") != std::string::npos);
}

TEST_CASE("xc_livepatch_list buffers hold every name of the worst case, never less than probed") {
    CHECK(list_name_buffer(1, 6) == 128 * 5);
    CHECK(list_name_buffer(3, 30) == 3 * 128 * 5);
    CHECK(list_name_buffer(2, 5000) == 5000);             // never below the probe
    CHECK(list_name_buffer(0xffffffffu, 10) == UINT32_MAX);  // no wrap
    CHECK(list_metadata_buffer(0) == 64 * 1024);
    CHECK(list_metadata_buffer(1000) == 2000 + 64 * 1024);
    CHECK(list_metadata_buffer(UINT32_MAX) == UINT32_MAX);
}

TEST_CASE("offline envelope: the common fields, and a check refusal as the common error object") {
    const std::string refused = R"({"checks": [{"name": "upload", "ok": false, "detail": "bad"}],
        "error": {"subject": "section '.x'", "rule": "too big"}, "errno": "EINVAL", "rc": -22, "result": "refused"})";
    const auto j = Json::parse(offline_envelope("check", 1, refused, "p", "i"));
    CHECK(j["command"] == "check");
    CHECK(j["ok"] == false);
    CHECK(j["exit_code"] == 1);
    CHECK(j["backend"].is_null());
    CHECK(j["result"] == "refused");
    CHECK(j["rc"] == -22);
    CHECK(j["rc_name"] == "EINVAL");
    CHECK(j["error"]["step"] == "upload");
    CHECK(j["error"]["errno"] == 22);
    CHECK(j["error"]["meaning"] == "section '.x': too big");
    CHECK(j["error"]["rule"] == "too big");
    const auto ok = Json::parse(offline_envelope("info", 0, R"({"file": "f"})", "f", ""));
    CHECK(ok["ok"] == true);
    CHECK(ok["error"].is_null());
    CHECK(ok["rc"] == 0);
    CHECK(ok["file"] == "f");
}

TEST_CASE("call watchdog: a call that returns in time is not reported; one that does not is, once") {
    std::atomic<int> fired{0};
    std::string step;
    {
        CallWatchdog dog(50000000, [&](const CallSite& s) {  // 50 ms
            step = s.step + " " + s.subject;
            ++fired;
        });
        { const WatchedCall quick(dog, {"GET", "a"}); }
        usleep(120000);
        CHECK(fired == 0);
        {
            const WatchedCall slow(dog, {"APPLY", "b"});
            usleep(200000);
        }
        CHECK(fired == 1);
        CHECK(step == "APPLY b");
    }
    CallWatchdog none(0, [&](const CallSite&) { ++fired; });  // 0: no deadline, no thread
    { const WatchedCall w(none, {"GET", "c"}); }
    CHECK(fired == 1);
}

}  // TEST_SUITE
