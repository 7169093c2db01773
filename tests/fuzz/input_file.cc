#include "fuzz/input_file.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

namespace livepatch::fuzz {

namespace {

std::string g_target = "fuzzer";
int g_fd = -1;
std::string g_path;

}  // namespace

void die(const char* what, const std::string& detail) {
    fprintf(stderr, "%s: %s: %s\n", g_target.c_str(), what, detail.c_str());
    __builtin_trap();
}

void open_input_file(const char* target) {
    g_target = target;
    g_fd = memfd_create((g_target + "-input").c_str(), MFD_CLOEXEC);
    if (g_fd < 0)
        die("memfd_create", "");
    g_path = "/proc/self/fd/" + std::to_string(g_fd);
}

void write_input_file(const uint8_t* data, size_t size) {
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != static_cast<ssize_t>(size))
        die("cannot write the input", g_path);
}

const std::string& input_path() { return g_path; }

}  // namespace livepatch::fuzz
