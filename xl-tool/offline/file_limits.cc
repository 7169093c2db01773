#include "file_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace livepatch::tool::offline {

namespace {

std::string payload_too_large(const std::string& path) {
    return path + ": larger than the payload limit of " + std::to_string(kMaxPayloadSize) +
           " bytes (2 MiB, Xen's LIVEPATCH_MAX_SIZE)";
}

}  // namespace

std::string read_payload_file(const std::string& path, std::vector<uint8_t>* bytes) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return path + ": cannot open the payload file: " + strerror(err);
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxPayloadSize) {
        close(fd);
        return payload_too_large(path);
    }
    // One byte more than the limit tells "exactly at the limit" from "past it".
    bytes->assign(kMaxPayloadSize + 1, 0);
    size_t got = 0;
    while (got < bytes->size()) {
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
    bytes->shrink_to_fit();
    return "";
}

std::string image_file_error(const std::string& path, bool regular, uint64_t size) {
    if (!regular)
        return path + ": not a regular file (a hypervisor image is xen-syms or the hosted hypervisor's binary)";
    if (size > kMaxImageFileSize)
        return path + ": larger than the image limit of " + std::to_string(kMaxImageFileSize) + " bytes (" +
               std::to_string(kMaxImageFileSize >> 20) + " MiB)";
    return "";
}

}  // namespace livepatch::tool::offline
