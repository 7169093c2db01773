// Backends: selection (--backend, auto), the socket (--socket, XEN_LIVEPATCH_SOCKET, default),
// and what happens when the hypervisor cannot be reached: a clear message and exit 1 (Xen's tool
// exits 0 there).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tool_harness.h"

using namespace tooltest;

namespace {

// A hypervisor that is stopped or wedged, as its socket shows it: connections are queued by the
// kernel (listen) but nothing ever answers.
class SilentSocket {
public:
    SilentSocket() {
        char tmpl[] = "/tmp/lp-silent-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        m_dir = tmpl;
        m_path = m_dir + "/livepatch.sock";
        m_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(m_fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        memcpy(addr.sun_path, m_path.c_str(), m_path.size() + 1);
        REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(listen(m_fd, 8) == 0);
    }
    ~SilentSocket() {
        close(m_fd);
        unlink(m_path.c_str());
        rmdir(m_dir.c_str());
    }
    SilentSocket(const SilentSocket&) = delete;
    SilentSocket& operator=(const SilentSocket&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_dir, m_path;
    int m_fd = -1;
};

}  // namespace

TEST_SUITE("tool backend") {

TEST_CASE("a hypervisor that never answers: ETIMEDOUT after the call timeout, exit 1, no hang") {
    const SilentSocket silent;
    const Env env{{"XEN_LIVEPATCH_CALL_TIMEOUT", "300ms"}};
    const Run r = run_tool({"--socket", silent.path(), "apply", "x"}, env, 10000);
    CHECK_FALSE(r.timed_out);
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("xen-livepatch: apply x: GET failed: ETIMEDOUT (110, Connection timed out): the hypervisor "
                     "did not answer within 300ms (XEN_LIVEPATCH_CALL_TIMEOUT): it is stopped or wedged") !=
          std::string::npos);
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"list"}, {"status", "x"}, {"revert", "x"}, {"load", payload("extra")}}) {
        INFO(args[0]);
        args.insert(args.begin(), {"--socket", silent.path()});
        const Run t = run_tool(args, env, 10000);
        CHECK_FALSE(t.timed_out);
        CHECK(t.code == 1);
    }
    const Run upload = run_tool({"--socket", silent.path(), "upload", "x", payload("extra")}, env, 10000);
    CHECK(upload.out == "Uploading " + payload("extra") + "... failed\n");  // Xen's line is ended
    CHECK(upload.err.find("UPLOAD failed: ETIMEDOUT") != std::string::npos);
    const Run json = run_tool({"--json", "--socket", silent.path(), "list"}, env, 10000);
    CHECK(json.code == 1);
    const Json j = json.json();
    CHECK(j["ok"] == false);
    CHECK(j["exit_code"] == 1);
    CHECK(j["error"]["step"] == "LIST");
    CHECK(j["error"]["rc_name"] == "ETIMEDOUT");
    CHECK(j["rc"] == -110);
}

TEST_CASE("XEN_LIVEPATCH_CALL_TIMEOUT must be a duration; 0 is no limit") {
    const Run bad = run_tool({"list"}, {{"XEN_LIVEPATCH_CALL_TIMEOUT", "soon"}});
    CHECK(bad.code == 1);
    CHECK(bad.err.find("xen-livepatch: list: XEN_LIVEPATCH_CALL_TIMEOUT 'soon' has no unit") != std::string::npos);
    Hypervisor hv;
    const Run r = run_tool({"--socket", hv.socket(), "list"}, {{"XEN_LIVEPATCH_CALL_TIMEOUT", "0"}});
    CHECK(r.code == 0);
    CHECK(r.out == "Nothing to list\n");
}

TEST_CASE("--backend=xen on a machine without Xen: non-zero, 'failed to get the handler' and why") {
    REQUIRE(access("/dev/xen/privcmd", F_OK) != 0);  // this test needs a host without Xen
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"--backend=xen", "list"}, {"--backend", "xen", "apply", "x"}}) {
        const Run r = run_tool(args);
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.find("failed to get the handler\n") != std::string::npos);
        CHECK(r.err.find("connect failed: ") != std::string::npos);
        CHECK(r.err.find("cannot open libxenctrl's hypervisor interface (xc_interface_open)") != std::string::npos);
    }
    const Json j = run_tool({"--json", "--backend=xen", "list"}).json();
    CHECK(j["ok"] == false);
    CHECK(j["exit_code"] == 1);
    CHECK(j["backend"] == "xen");
    CHECK(j["error"]["step"] == "connect");
}

TEST_CASE("--backend=auto without Xen's privcmd chooses hosted") {
    Hypervisor hv;
    for (const char* b : {"--backend=auto", "--backend=hosted"}) {
        const Run r = hv.tool({"--json", b, "list"});
        CHECK(r.code == 0);
        CHECK(r.json()["backend"] == "hosted");
    }
    CHECK(hv.tool({"--json", "list"}).json()["backend"] == "hosted");  // auto is the default
}

TEST_CASE("a missing socket: a clear error and exit 1") {
    const Run r = run_tool({"--socket", "/nonexistent/lp.sock", "list"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("failed to get the handler\n", 0) == 0);
    CHECK(r.err.find("xen-livepatch: list: connect failed: ENOENT (2, No such file or directory): cannot reach "
                     "the hosted hypervisor: connect to /nonexistent/lp.sock: No such file or directory (is "
                     "hosted-hypervisor running?") != std::string::npos);
    for (const char* cmd : {"apply", "revert", "unload", "replace", "status"})
        CHECK(run_tool({"--socket", "/nonexistent/lp.sock", cmd, "x"}).code == 1);
    CHECK(run_tool({"--socket", "/nonexistent/lp.sock", "upload", "x", "/etc/hostname"}).code == 1);
    CHECK(run_tool({"--socket", "/nonexistent/lp.sock", "load", "/etc/hostname"}).code == 1);
}

TEST_CASE("a socket nobody listens on: ECONNREFUSED, exit 1") {
    std::string sock;
    {
        Hypervisor hv;
        sock = hv.socket();
        // A plain file where the socket should be: connect is refused.
        hv.stop();
        unlink(sock.c_str());
        write_file(sock, "");
        const Run r = run_tool({"--socket", sock, "list"});
        CHECK(r.code == 1);
        CHECK(r.err.find("connect failed: ECONNREFUSED") != std::string::npos);
    }
}

TEST_CASE("XEN_LIVEPATCH_SOCKET names the socket; --socket wins over it") {
    Hypervisor hv;
    const Run env = run_tool({"list"}, {{"XEN_LIVEPATCH_SOCKET", hv.socket()}});
    CHECK(env.code == 0);
    CHECK(env.out == "Nothing to list\n");
    const Run both = run_tool({"--socket", "/nonexistent/lp.sock", "list"}, {{"XEN_LIVEPATCH_SOCKET", hv.socket()}});
    CHECK(both.code == 1);
    const Run flag = run_tool({"--socket", hv.socket(), "list"}, {{"XEN_LIVEPATCH_SOCKET", "/nonexistent/lp.sock"}});
    CHECK(flag.code == 0);
}

TEST_CASE("without --socket or the variable the default socket is tried") {
    if (access("/run/hosted-hypervisor/livepatch.sock", F_OK) == 0)
        return;  // a hosted hypervisor runs at the default place: nothing to show
    const Run r = run_tool({"list"});
    CHECK(r.code == 1);
    CHECK(r.err.find("connect to /run/hosted-hypervisor/livepatch.sock") != std::string::npos);
}

TEST_CASE("the hypervisor going away between commands") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "extra", payload("extra")}).code == 0);
    hv.stop();
    const Run r = hv.tool({"apply", "extra"});
    CHECK(r.code == 1);
    CHECK(r.err.rfind("failed to get the handler\n", 0) == 0);
}

}  // TEST_SUITE
