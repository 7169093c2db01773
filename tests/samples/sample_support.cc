#include "sample_support.h"

#include <stdlib.h>

#include <chrono>
#include <doctest/doctest.h>
#include <thread>

#include "../../xl-tool/hosted_client.h"

namespace sampletest {

std::string sample(const std::string& name) {
    const char* dir = getenv("LP_SAMPLES");
    REQUIRE_MESSAGE(dir != nullptr, "LP_SAMPLES must name the directory of the built samples");
    return std::string(dir) + "/" + name + ".livepatch";
}

Json guest(const Hypervisor& hv, const std::string& request) {
    livepatch::tool::HostedClient client;
    REQUIRE_MESSAGE(client.connect(hv.socket()), client.error());
    const std::optional<std::string> answer = client.guest(request);
    REQUIRE_MESSAGE(answer.has_value(), request << ": " << client.error());
    const Json j = Json::parse(*answer, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), *answer);
    return j;
}

std::string extraversion(const Hypervisor& hv) {
    const Json j = guest(hv, "extraversion");
    CHECK(j["rc"] == 0);
    return j["extraversion"].get<std::string>();
}

long compute(const Hypervisor& hv) { return guest(hv, "compute")["result"].get<long>(); }

bool trace_counts(const Hypervisor& hv) { return guest(hv, "trace")["counted"].get<bool>(); }

Json grant_oob(const Hypervisor& hv) { return guest(hv, "grant-oob"); }

Json stats(const Hypervisor& hv) { return guest(hv, "stats"); }

uint64_t counter(const Hypervisor& hv, const std::string& key) { return stats(hv)[key].get<uint64_t>(); }

bool wait_for_stats(const Hypervisor& hv, const std::function<bool(const Json&)>& pred) {
    // Returns as soon as the guests show it; the deadline only catches a state never reached.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        if (pred(stats(hv)))
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Run ok(const Hypervisor& hv, const std::vector<std::string>& args) {
    // A rendezvous that timed out (the host's cores busy elsewhere for a whole second) changed
    // nothing: run the command again, as an operator would.
    Run r = hv.tool(args);
    for (int i = 0; i < 20 && r.code == 2 && r.err.find("rendezvous timed out") != std::string::npos; ++i)
        r = hv.tool(args);
    std::string cmd;
    for (const std::string& a : args)
        cmd += " " + a;
    INFO("xen-livepatch" << cmd << "\nstdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    return r;
}

Json detail(const Hypervisor& hv, const std::string& name) {
    const Json j = ok(hv, {"--json", "status", name}).json();
    REQUIRE(j["payload"].is_object());
    return j["payload"];
}

std::string state_of(const Hypervisor& hv, const std::string& name) { return detail(hv, name)["state"]; }

}  // namespace sampletest
