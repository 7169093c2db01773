// upload: Xen's text for success and for every failure (duplicate name, duplicate build-id, a
// malformed file, a missing, empty or unreadable file), this tool's explanations, and JSON.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tool_harness.h"

using namespace tooltest;

TEST_SUITE("tool upload") {

TEST_CASE("upload: 'Uploading <file>... completed', CHECKED") {
    Hypervisor hv;
    const std::string file = payload("extra");
    const Run r = hv.tool({"upload", "extra", file});
    CHECK(r.code == 0);
    CHECK(r.out == "Uploading " + file + "... completed\n");
    CHECK(r.err.empty());
    CHECK(hv.tool({"status", "extra"}).out.rfind("extra: CHECKED, rc 0 (OK)\n", 0) == 0);
}

TEST_CASE("the same name twice: EEXIST, the name named") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "p", payload("extra")}).code == 0);
    const Run r = hv.tool({"upload", "p", payload("compute")});
    CHECK(r.code == 1);
    CHECK(r.out == "Uploading " + payload("compute") + "... failed\n");
    CHECK(r.err.rfind("Error 17: File exists\n", 0) == 0);
    CHECK(r.err.find("xen-livepatch: upload p: UPLOAD failed: EEXIST (17, File exists): a payload named p is "
                     "already loaded (CHECKED)") != std::string::npos);
}

TEST_CASE("the same build-id under another name: EEXIST, the build-id named as the cause") {
    Hypervisor hv;
    REQUIRE(hv.tool({"upload", "one", payload("extra")}).code == 0);
    const Run r = hv.tool({"upload", "two", payload("extra")});
    CHECK(r.code == 1);
    CHECK(r.out == "Uploading " + payload("extra") + "... failed\n");
    CHECK(r.err.rfind("Error 17: File exists\n", 0) == 0);
    CHECK(r.err.find("the name two is free, so another loaded payload has the same build-id") != std::string::npos);
}

TEST_CASE("a file that is not a payload: EINVAL, malformed") {
    Hypervisor hv;
    const std::string bad = hv.dir() + "/garbage.livepatch";
    write_file(bad, "this is not an ELF file at all\n");
    const Run r = hv.tool({"upload", "bad", bad});
    CHECK(r.code == 1);
    CHECK(r.out == "Uploading " + bad + "... failed\n");
    CHECK(r.err.rfind("Error 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("UPLOAD failed: EINVAL (22, Invalid argument): the hypervisor rejected the payload as "
                     "malformed: the file does not start with the ELF magic") != std::string::npos);
    CHECK(hv.tool({"list"}).out == "Nothing to list\n");
}

TEST_CASE("a file over 2 MiB: EINVAL from the hypervisor") {
    Hypervisor hv;
    const std::string big = hv.dir() + "/big.livepatch";
    write_file(big, read_file(payload("extra")) + std::string(3u << 20, '\0'));
    const Run r = hv.tool({"upload", "big", big});
    CHECK(r.code == 1);
    CHECK(r.out == "Uploading " + big + "... failed\n");
    CHECK(r.err.rfind("Error 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("the file is " + std::to_string(read_file(big).size()) +
                     " bytes, over its 2 MiB (2097152-byte) limit") != std::string::npos);
}

TEST_CASE("a malformed ELF payload: EINVAL, the generic malformed meaning") {
    Hypervisor hv;
    std::string bytes = read_file(payload("extra"));
    bytes[62] = bytes[63] = '\xff';  // e_shstrndx past the section table: ELF, but malformed
    const std::string bad = hv.dir() + "/bad.livepatch";
    write_file(bad, bytes);
    const Run r = hv.tool({"upload", "bad", bad});
    CHECK(r.code == 1);
    CHECK(r.err.find("UPLOAD failed: EINVAL (22, Invalid argument): the hypervisor rejected the payload as "
                     "malformed: not an ELF relocatable object") != std::string::npos);
}

TEST_CASE("a missing file: 'Could not open', nothing on stdout") {
    Hypervisor hv;
    const std::string missing = hv.dir() + "/missing.livepatch";
    const Run r = hv.tool({"upload", "m", missing});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("Could not open " + missing + ".\nError 2: No such file or directory\n", 0) == 0);
    CHECK(r.err.find("open failed: ENOENT (2, No such file or directory): the payload file does not exist") !=
          std::string::npos);
}

TEST_CASE("an empty file: 'Could not map' (mmap of 0 bytes), EINVAL") {
    Hypervisor hv;
    const std::string empty = hv.dir() + "/empty.livepatch";
    write_file(empty, "");
    const Run r = hv.tool({"upload", "e", empty});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("Could not map " + empty + ".\nError 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("the payload file is empty") != std::string::npos);
}

TEST_CASE("a directory: 'Could not map'") {
    Hypervisor hv;
    const Run r = hv.tool({"upload", "d", hv.dir()});
    CHECK(r.code == 1);
    CHECK(r.err.rfind("Could not map " + hv.dir() + ".\nError 19: No such device\n", 0) == 0);
    CHECK(r.err.find("map failed: ENODEV (19, No such device): the payload path is not a regular file") !=
          std::string::npos);
}

TEST_CASE("a FIFO: 'Could not map' at once, not a blocked open (Xen's tool blocks)") {
    Hypervisor hv;
    const std::string fifo = hv.dir() + "/fifo.livepatch";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    const Run r = hv.tool({"upload", "f", fifo}, 10000);
    CHECK_FALSE(r.timed_out);
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("Could not map " + fifo + ".\nError 22: Invalid argument\n", 0) == 0);
    CHECK(r.err.find("the payload path is not a regular file") != std::string::npos);
}

TEST_CASE("upload --json: size, state and the payload's detail; errors with step and errno") {
    Hypervisor hv;
    const Json ok = hv.tool({"--json", "upload", "extra", payload("extra")}).json();
    CHECK(ok["command"] == "upload");
    CHECK(ok["ok"] == true);
    CHECK(ok["exit_code"] == 0);
    CHECK(ok["name"] == "extra");
    CHECK(ok["file"] == payload("extra"));
    struct stat st;
    REQUIRE(stat(payload("extra").c_str(), &st) == 0);
    CHECK(ok["size"] == st.st_size);
    CHECK(ok["rc"] == 0);
    CHECK(ok["payload"]["state"] == "CHECKED");
    CHECK(ok["payload"]["metadata"] == Json::array({"version=1", "author=test"}));
    CHECK(ok["payload"]["xen_depends"] == ok["payload"]["depends"]);

    const Run dup_run = hv.tool({"--json", "upload", "extra", payload("extra")});
    CHECK(dup_run.code == 1);
    const Json dup = dup_run.json();
    CHECK(dup["ok"] == false);
    CHECK(dup["exit_code"] == 1);
    CHECK(dup["rc"] == -17);
    CHECK(dup["rc_name"] == "EEXIST");
    CHECK(dup["error"]["step"] == "UPLOAD");
    CHECK(dup["error"]["errno"] == 17);
    CHECK(dup["error"]["rc_name"] == "EEXIST");
    CHECK(dup["error"]["message"] == "File exists");
    CHECK(dup["error"]["meaning"].get<std::string>().find("already loaded") != std::string::npos);

    const Json missing = hv.tool({"--json", "upload", "m", hv.dir() + "/nope"}).json();
    CHECK(missing["error"]["step"] == "open");
    CHECK(missing["error"]["rc"] == -2);
    CHECK(missing["error"]["rc_name"] == "ENOENT");
    CHECK(missing["rc"] == -2);
}

}  // TEST_SUITE
