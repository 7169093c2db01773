// guest-probe: asks the hosted hypervisor, through its control socket, what its guests see (beyond
// Xen's ABI; see hypervisor/port/hosted/guest_probe.h). Prints the JSON answer on stdout.
//
//   guest-probe [--socket PATH] [--pretty] REQUEST
//
// REQUEST: stats, reset-stall, extraversion, grant-copy, grant-oob, compute or trace. Exit status
// 0 on success, 1 when the hypervisor cannot be reached or refuses the request, 2 on a usage error.
#include <stdlib.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "../../../../xl-tool/hosted_client.h"

namespace po = boost::program_options;

namespace {

std::string default_socket() {
    const char* env = getenv("XEN_LIVEPATCH_SOCKET");
    return env && *env ? env : "/run/hosted-hypervisor/livepatch.sock";
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts(
        "guest-probe [options] REQUEST\n"
        "REQUEST: stats | reset-stall | extraversion | grant-copy | grant-oob | compute | trace\n"
        "options");
    std::string socket, request;
    opts.add_options()("help,h", "show this help")(
        "socket,s", po::value<std::string>(&socket)->default_value(default_socket()),
        "the hosted hypervisor's control socket (default: $XEN_LIVEPATCH_SOCKET, else "
        "/run/hosted-hypervisor/livepatch.sock)")("pretty", "indent the JSON");
    po::options_description hidden;
    hidden.add_options()("request", po::value<std::string>(&request));
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("request", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "guest-probe: " << e.what() << "\n" << opts;
        return 2;
    }
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (request.empty()) {
        std::cerr << "guest-probe: no request\n" << opts;
        return 2;
    }

    livepatch::tool::HostedClient client;
    if (!client.connect(socket)) {
        std::cerr << "guest-probe: " << client.error() << "\n";
        return 1;
    }
    const std::optional<std::string> answer = client.guest(request);
    if (!answer) {
        std::cerr << "guest-probe: " << request << ": " << client.error() << "\n";
        return 1;
    }
    if (vm.count("pretty")) {
        const nlohmann::ordered_json j = nlohmann::ordered_json::parse(*answer, nullptr, false);
        std::cout << (j.is_discarded() ? *answer : j.dump(2)) << "\n";
    } else {
        std::cout << *answer << "\n";
    }
    return 0;
}
