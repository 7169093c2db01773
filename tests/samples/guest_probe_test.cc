// The guest observation requests of the control socket and the guest-probe program: their
// answers, and refusals of anything malformed (the connection survives, or is closed).
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "../../xl-tool/hosted_client.h"
#include "port/hosted/wire_protocol.h"
#include "sample_support.h"

using namespace sampletest;
namespace wire = livepatch::wire;

namespace {

// Runs guest-probe (LP_GUEST_PROBE_BIN) with `args`.
Run probe(const std::vector<std::string>& args) {
    const char* bin = getenv("LP_GUEST_PROBE_BIN");
    REQUIRE_MESSAGE(bin != nullptr, "LP_GUEST_PROBE_BIN must name guest-probe");
    return tooltest::run_program(bin, args);
}

int connect_raw(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
}

// Sends a kGuest request with exactly `body`; returns the response's rc (its body is skipped).
int32_t raw_guest_request(int fd, const std::string& body) {
    const wire::WireRequest req{wire::kMagic, wire::kVersion, wire::kGuest, static_cast<uint32_t>(body.size()), 0};
    REQUIRE(send(fd, &req, sizeof req, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof req));
    if (!body.empty())
        REQUIRE(send(fd, body.data(), body.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(body.size()));
    wire::WireResponse resp{};
    REQUIRE(recv(fd, &resp, sizeof resp, MSG_WAITALL) == static_cast<ssize_t>(sizeof resp));
    CHECK(resp.magic == wire::kMagic);
    std::string skip(resp.arena_len, '\0');
    if (resp.arena_len)
        REQUIRE(recv(fd, skip.data(), skip.size(), MSG_WAITALL) == static_cast<ssize_t>(skip.size()));
    return resp.rc;
}

}  // namespace

TEST_SUITE("guest requests") {

TEST_CASE("stats and every probe answer with what a guest saw") {
    Hypervisor hv({"--malicious-guest"});
    const Json s = stats(hv);
    for (const char* key : {"vcpus", "hypercalls", "version_original", "version_patched", "grant_copies",
                            "grant_leaks", "grant_refused", "trace_counted", "trace_uncounted", "trace_events",
                            "max_gap_ns", "malicious", "work_units"})
        CHECK_MESSAGE(s.contains(key), key);
    CHECK(s["vcpus"] == 2);
    CHECK(s["malicious"] == true);
    CHECK(s["work_units"].size() == 2);

    CHECK(extraversion(hv) == "-hosted");
    CHECK(compute(hv) == 21);
    CHECK(trace_counts(hv));
    const Json copy = guest(hv, "grant-copy");
    CHECK(copy["leaked"] == false);
    CHECK(copy["copied"] == 64);
    CHECK(grant_oob(hv)["leaked"] == true);
    const Json j = guest(hv, "extraversion");
    CHECK(j["vcpu"].get<unsigned>() < 2);
}

TEST_CASE("reset-stall answers the stats, then measures the longest stall afresh") {
    Hypervisor hv;
    REQUIRE(wait_for_stats(hv, [](const Json& s) { return s["max_gap_ns"].get<uint64_t>() > 0; }));
    const Json before = guest(hv, "reset-stall");
    CHECK(before["max_gap_ns"].get<uint64_t>() > 0);
    CHECK(before.contains("hypercalls"));
    CHECK(stats(hv)["hypercalls"].get<uint64_t>() >= before["hypercalls"].get<uint64_t>());
}

TEST_CASE("unknown or malformed requests are refused and the connection survives") {
    Hypervisor hv;
    livepatch::tool::HostedClient c;
    REQUIRE(c.connect(hv.socket()));
    CHECK_FALSE(c.guest("no-such-request").has_value());
    CHECK(c.last_rc() == -EINVAL);
    CHECK(c.connected());
    CHECK(c.guest("stats").has_value());

    const int fd = connect_raw(hv.socket());
    CHECK(raw_guest_request(fd, std::string("stats", 5)) == -EINVAL);         // no NUL
    CHECK(raw_guest_request(fd, std::string("sta\0ts\0", 7)) == -EINVAL);     // two
    CHECK(raw_guest_request(fd, std::string("stats\0", 6)) == 0);            // still served
    close(fd);
}

TEST_CASE("guest-probe prints the JSON answer; refusals and a missing socket exit 1") {
    Hypervisor hv;
    const Run r = probe({"--socket", hv.socket(), "extraversion"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.json()["extraversion"] == "-hosted");
    CHECK(probe({"--socket", hv.socket(), "--pretty", "stats"}).json()["vcpus"] == 2);

    const Run bad = probe({"--socket", hv.socket(), "bogus"});
    CHECK(bad.code == 1);
    CHECK(bad.err.find("Invalid argument") != std::string::npos);
    CHECK(probe({"--socket", hv.dir() + "/none.sock", "stats"}).code == 1);
    CHECK(probe({}).code == 2);
}

}  // TEST_SUITE
