// The offline readers (xl-tool/offline) on hostile files: a NOBITS hook section with a huge
// sh_size, a section whose sh_addr + sh_size wraps, files with no end (/dev/zero) or past the
// limits, a FIFO with no writer, and a symbol table whose sh_entsize lies. Each is read in a forked child with an alarm,
// so that a reader that loops or crashes fails the test instead of hanging or killing the suite.
//
// The files are written byte by byte here (tests/tool/offline_test_elf.h): no hosted hypervisor or
// payload build is needed.
#include <doctest/doctest.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../xl-tool/offline/commands.h"
#include "../../xl-tool/offline/file_limits.h"
#include "../../xl-tool/offline/hypervisor_image.h"
#include "../../xl-tool/offline/payload_info.h"
#include "tool/offline_test_elf.h"
#include "tool/offline_test_support.h"

using nlohmann::json;
using namespace livepatch::tool::offline;
using namespace livepatch::tool::offline::test;

namespace {

// How a forked child ended: its exit status, or the signal that killed it (SIGALRM: it ran out
// of time), and what it wrote to the pipe.
struct ChildResult {
    bool exited = false;
    int status = -1;
    int signal = 0;
    std::string text;
};

// Runs `fn` in a child limited to `seconds`; its return value is the exit status and what it
// writes to `*msg` comes back in text. The budget is generous: each input is a few KiB.
ChildResult in_child(const std::function<int(std::string* msg)>& fn, unsigned seconds = 20) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM})
            signal(sig, SIG_DFL);  // the parent reports how the child ended, not doctest's handler
        alarm(seconds);
        std::string msg;
        int rc = 0;
        try {
            rc = fn(&msg);
        } catch (const std::exception& e) {
            msg = std::string("exception: ") + e.what();
            rc = 100;
        }
        (void)!write(p[1], msg.data(), msg.size());
        _exit(rc);
    }
    close(p[1]);
    ChildResult r;
    char buf[4096];
    for (ssize_t n; (n = read(p[0], buf, sizeof(buf))) > 0;)
        r.text.append(buf, static_cast<size_t>(n));
    close(p[0]);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    r.exited = WIFEXITED(st);
    r.status = r.exited ? WEXITSTATUS(st) : -1;
    r.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    return r;
}

std::vector<uint8_t> le64(uint64_t v) {
    std::vector<uint8_t> b(8);
    memcpy(b.data(), &v, 8);
    return b;
}

// An x86-64 hypervisor-like image: .text at 0x400000 with a symbol, plus `extra` sections.
std::vector<uint8_t> image_with(const std::vector<RawSection>& extra) {
    std::vector<RawSection> s = {{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x400000, 16,
                                  std::vector<uint8_t>(16, 0xc3)}};
    s.insert(s.end(), extra.begin(), extra.end());
    return raw_elf(ET_EXEC, EM_X86_64, s, {{"start", 1, 0x400000, 16, STT_FUNC, STB_GLOBAL}});
}

}  // namespace

TEST_SUITE("tool offline hostile") {

TEST_CASE("info: a NOBITS hook section with a huge sh_size lists no pointers and says why") {
    // 1.7 KB on disk, 2^60 bytes of hooks in its header: only bytes in the file are read.
    const TempDir dir;
    const std::string p = dir.write(
        "nobits-hooks.livepatch",
        raw_elf(ET_REL, EM_X86_64,
                {{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, 16, std::vector<uint8_t>(16, 0xc3)},
                 {".livepatch.hooks.load", SHT_NOBITS, SHF_ALLOC, 0, 1ull << 60, {}}},
                {{"on_load", 1, 0, 16, STT_FUNC, STB_GLOBAL}}));
    const ChildResult r = in_child([&](std::string* msg) {
        const Output o = info(p, true);
        *msg = o.out;
        return o.rc;
    });
    REQUIRE_MESSAGE(r.exited, "info did not finish (signal " << r.signal << ")");
    REQUIRE(r.status == 0);
    const json j = json::parse(r.text);
    REQUIRE(j["hooks"].size() == 1);
    CHECK(j["hooks"][0]["count"] == 0);
    CHECK(j["hooks"][0]["functions"].empty());
    bool named = false;
    for (const json& problem : j["problems"])
        named |= problem.get<std::string>().find(".livepatch.hooks.load") != std::string::npos &&
                 problem.get<std::string>().find("NOBITS") != std::string::npos;
    CHECK_MESSAGE(named, j["problems"].dump());

    // `check` reads the same file the same way, against any image, and finishes.
    const std::string image = dir.write("image", image_with({}));
    const ChildResult c = in_child([&](std::string* msg) {
        const Output o = check(p, image, true);
        *msg = o.out;
        return o.rc;
    });
    REQUIRE_MESSAGE(c.exited, "check did not finish (signal " << c.signal << ")");
    CHECK(c.status == 1);  // refused by the loader, not crashed
    CHECK(json::parse(c.text)["result"] == "refused");
}

TEST_CASE("info: hook pointers are counted over the bytes present, capped by the file") {
    const TempDir dir;
    std::vector<uint8_t> hooks;
    for (int i = 0; i < 3; ++i) {
        const std::vector<uint8_t> v = le64(0x1000 + i);
        hooks.insert(hooks.end(), v.begin(), v.end());
    }
    const std::string p = dir.write(
        "hooks.livepatch", raw_elf(ET_REL, EM_X86_64, {{".livepatch.hooks.unload", SHT_PROGBITS, SHF_ALLOC, 0, 24, hooks}}, {}));
    const Output o = info(p, true);
    REQUIRE(o.rc == 0);
    const json j = json::parse(o.out);
    REQUIRE(j["hooks"].size() == 1);
    CHECK(j["hooks"][0]["count"] == 3);
    CHECK(j["hooks"][0]["functions"] == json::array({"0x1000", "0x1001", "0x1002"}));
}

TEST_CASE("info: a symbol table whose sh_entsize lies is read by the size of an Elf64_Sym") {
    const TempDir dir;
    for (uint64_t entsize : {0ull, 1ull, 7ull, 4096ull, ~0ull}) {
        CAPTURE(entsize);
        std::vector<uint8_t> bytes =
            raw_elf(ET_REL, EM_X86_64, {{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, 1, {0xc3}}},
                    {{"needed_a", 0, 0, 0, STT_FUNC, STB_GLOBAL}, {"needed_b", 0, 0, 0, STT_NOTYPE, STB_GLOBAL}},
                    entsize);
        const std::string p = dir.write("entsize.livepatch", bytes);
        const ChildResult r = in_child([&](std::string* msg) {
            const Output o = info(p, true);
            *msg = o.out;
            return o.rc;
        });
        REQUIRE_MESSAGE(r.exited, "info did not finish (signal " << r.signal << ")");
        REQUIRE(r.status == 0);
        CHECK(json::parse(r.text)["undefined_symbols"] == json::array({"needed_a", "needed_b"}));
    }
}

TEST_CASE("check --against: an image section whose sh_addr + sh_size wraps is refused, naming it") {
    const TempDir dir;
    // Its bytes are in the file (8 KiB), its address range wraps past 2^64.
    const std::string image = dir.write(
        "wrap-image", image_with({{".data.wrap", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0xfffffffffffff000ull, 0x2000,
                                   std::vector<uint8_t>(0x2000, 0xaa)}}));
    const ChildResult r = in_child([&](std::string* msg) {
        HypervisorImage::load(image);
        *msg = "loaded";
        return 0;
    });
    REQUIRE_MESSAGE(r.exited, "reading the image crashed (signal " << r.signal << ")");
    CHECK(r.status == 100);
    CHECK_MESSAGE(r.text.find(image + ": section [2] '.data.wrap'") != std::string::npos, r.text);
    CHECK_MESSAGE(r.text.find("wraps") != std::string::npos, r.text);

    // A NOBITS section that wraps is refused the same way (it sets the span, no bytes copied).
    const std::string nobits = dir.write(
        "wrap-bss", image_with({{".bss.wrap", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0x400100, ~0ull - 0x100, {}}}));
    const ChildResult b = in_child([&](std::string* msg) {
        HypervisorImage::load(nobits);
        *msg = "loaded";
        return 0;
    });
    REQUIRE_MESSAGE(b.exited, "reading the image crashed (signal " << b.signal << ")");
    CHECK(b.status == 100);
    CHECK_MESSAGE(b.text.find("'.bss.wrap'") != std::string::npos, b.text);

    // The image still works when the sections are sane (this one has no build-id: check runs).
    const std::string good = dir.write("good-image", image_with({}));
    const auto img = HypervisorImage::load(good);
    CHECK(img->symbols().lookup("start") == 0x400000 + img->bias());
}

TEST_CASE("info and check --against refuse endless and oversized files, naming the file and the limit") {
    // /dev/zero has no end: the payload reader stops at the payload limit.
    ChildResult r = in_child([&](std::string* msg) {
        const Output o = info("/dev/zero", false);
        *msg = o.err;
        return o.rc;
    });
    REQUIRE_MESSAGE(r.exited, "info /dev/zero did not finish (signal " << r.signal << ")");
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.text.find("/dev/zero: larger than the payload limit of 2097152 bytes") != std::string::npos,
                  r.text);

    const TempDir dir;
    const std::string image = dir.write("image", image_with({}));
    r = in_child([&](std::string* msg) {
        const Output o = check("/dev/zero", image, false);
        *msg = o.err;
        return o.rc;
    });
    REQUIRE_MESSAGE(r.exited, "check /dev/zero did not finish (signal " << r.signal << ")");
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.text.find("/dev/zero: larger than the payload limit of 2097152 bytes") != std::string::npos,
                  r.text);

    // The image must be a regular file no larger than kMaxImageFileSize.
    r = in_child([&](std::string* msg) {
        const Output o = check(dir.write("p.livepatch", {1, 2, 3}), "/dev/zero", false);
        *msg = o.err;
        return o.rc;
    });
    REQUIRE_MESSAGE(r.exited, "check --against /dev/zero did not finish (signal " << r.signal << ")");
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.text.find("/dev/zero: not a regular file") != std::string::npos, r.text);

    // Sparse files one byte past each limit: refused before anything is read.
    const std::string big_payload = dir.path() + "/big.livepatch";
    const std::string big_image = dir.path() + "/big-image";
    for (const auto& [path, size] : {std::pair{big_payload, livepatch::kMaxPayloadSize + 1},
                                     std::pair{big_image, kMaxImageFileSize + 1}}) {
        const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(ftruncate(fd, static_cast<off_t>(size)) == 0);
        close(fd);
    }
    Output o = info(big_payload, false);
    CHECK(o.rc == 1);
    CHECK_MESSAGE(o.err.find(big_payload + ": larger than the payload limit of 2097152 bytes") != std::string::npos,
                  o.err);
    o = check(dir.write("p2.livepatch", {1, 2, 3}), big_image, false);
    CHECK(o.rc == 1);
    CHECK_MESSAGE(o.err.find(big_image + ": larger than the image limit of " + std::to_string(kMaxImageFileSize) +
                             " bytes") != std::string::npos,
                  o.err);

    // Exactly at the payload limit is read (and then judged on its contents: not ELF).
    REQUIRE(truncate(big_payload.c_str(), static_cast<off_t>(livepatch::kMaxPayloadSize)) == 0);
    o = info(big_payload, false);
    CHECK(o.rc == 1);
    CHECK(o.err.find(big_payload + ": not an ELF file") != std::string::npos);
}

TEST_CASE("info and check refuse a FIFO at once, naming it, instead of waiting for a writer") {
    const TempDir dir;
    const std::string fifo = dir.path() + "/fifo.livepatch";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    ChildResult r = in_child([&](std::string* msg) {
        const Output o = info(fifo, false);
        *msg = o.err;
        return o.rc;
    }, 10);
    REQUIRE_MESSAGE(r.exited, "info on a FIFO did not finish (signal " << r.signal << ")");
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.text.find(fifo + ": not a regular file (a FIFO or socket") != std::string::npos, r.text);

    const std::string image = dir.write("image", image_with({}));
    r = in_child([&](std::string* msg) {
        const Output o = check(fifo, image, false);
        *msg = o.err;
        return o.rc;
    }, 10);
    REQUIRE_MESSAGE(r.exited, "check on a FIFO did not finish (signal " << r.signal << ")");
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.text.find(fifo + ": not a regular file (a FIFO or socket") != std::string::npos, r.text);
}

}  // TEST_SUITE
