#include "file_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace livepatch::tool::offline {

namespace {

std::string payload_too_large(const std::string& path) {
    return path + ": larger than the payload limit of " + std::to_string(kMaxPayloadSize) +
           " bytes (2 MiB, Xen's LIVEPATCH_MAX_SIZE)";
}

}  // namespace

std::string read_payload_file(const std::string& path, std::vector<uint8_t>* bytes) {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one forever.
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int err = errno;
        return path + ": cannot open the payload file: " + strerror(err);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        return path + ": cannot read the payload file: " + strerror(err);
    }
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        close(fd);
        return path + ": not a regular file (a FIFO or socket, which can block forever): payload file refused";
    }
    // A regular file or a device: read it with ordinary blocking reads.
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        const int err = errno;
        close(fd);
        return path + ": cannot read the payload file: " + strerror(err);
    }
    const bool regular = S_ISREG(st.st_mode);
    if (regular && static_cast<uint64_t>(st.st_size) > kMaxPayloadSize) {
        close(fd);
        return payload_too_large(path);
    }
    // Up to one byte more than the limit, which tells "exactly at the limit" from "past it". A
    // regular file's buffer starts at its size (plus that byte); a device's grows as it is read.
    const size_t cap = kMaxPayloadSize + 1;
    bytes->resize(regular ? static_cast<size_t>(st.st_size) + 1 : 64u << 10);
    size_t got = 0;
    while (got < cap) {
        if (got == bytes->size())
            bytes->resize(std::min(cap, bytes->size() * 2));
        const ssize_t n = read(fd, bytes->data() + got, bytes->size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            close(fd);
            bytes->clear();
            return path + ": cannot read the payload file: " + strerror(err);
        }
        if (n == 0)
            break;
        got += static_cast<size_t>(n);
    }
    close(fd);
    if (got > kMaxPayloadSize) {
        bytes->clear();
        return payload_too_large(path);
    }
    bytes->resize(got);
    return "";
}

}  // namespace livepatch::tool::offline
