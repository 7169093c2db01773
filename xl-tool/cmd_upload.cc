// upload <name> <file>: Xen's steps and words (open, stat, mmap, "Uploading <file>... "), the
// payload handed to the backend as it is on disk.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "diagnose.h"
#include "errors.h"
#include "xen_text.h"

namespace livepatch::tool {

namespace {

// A read-only private mapping of a whole file, as Xen's tool makes one; unmapped and closed on
// destruction.
class MappedFile {
public:
    ~MappedFile() {
        if (m_data != MAP_FAILED && m_data)
            munmap(m_data, m_size);
        if (m_fd >= 0)
            close(m_fd);
    }
    // Xen's three steps; on failure returns the step's name ("open", "stat", "map") with errno set.
    // O_NONBLOCK: a FIFO must fail at "map", not block the open forever (Xen's tool blocks).
    const char* open(const std::string& path) {
        m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (m_fd < 0)
            return "open";
        struct stat st;
        if (stat(path.c_str(), &st) != 0)
            return "stat";
        m_regular = S_ISREG(st.st_mode);
        m_size = static_cast<size_t>(st.st_size);
        m_data = mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, m_fd, 0);
        if (m_data == MAP_FAILED)
            return "map";
        return nullptr;
    }
    const uint8_t* data() const { return static_cast<const uint8_t*>(m_data); }
    size_t size() const { return m_size; }
    bool regular() const { return m_regular; }

private:
    int m_fd = -1;
    bool m_regular = true;
    void* m_data = nullptr;
    size_t m_size = 0;
};

// Xen's first line for each failed step of reading the file.
const char* file_failure_text(const std::string& step) {
    if (step == "open")
        return "Could not open ";
    if (step == "stat")
        return "Could not get size of ";
    return "Could not map ";
}

// Why mmap refused the file: Xen's tool maps every path it can open and stat.
std::string map_failure_meaning(const MappedFile& f) {
    if (!f.regular())
        return "the payload path is not a regular file (a directory, FIFO or device)";
    if (f.size() == 0)
        return "the payload file is empty";
    return "";
}

// The hypervisor's malformed-payload EINVAL, made specific when the file itself shows why.
std::string upload_einval_meaning(const MappedFile& f) {
    constexpr size_t kMaxPayload = 2u << 20;  // Xen's LIVEPATCH_MAX_SIZE
    if (f.size() > kMaxPayload)
        return "the hypervisor rejected the payload: the file is " + std::to_string(f.size()) +
               " bytes, over its 2 MiB (" + std::to_string(kMaxPayload) + "-byte) limit";
    if (f.size() < 4 || memcmp(f.data(), "\x7f" "ELF", 4) != 0)
        return "the hypervisor rejected the payload as malformed: the file does not start with the ELF magic (a "
               "payload is an ELF relocatable object)";
    return "";
}

}  // namespace

int run_upload(Context& ctx, Json& j, const std::string& name, const std::string& file) {
    j["name"] = name;
    j["file"] = file;
    if (const int r = check_name(ctx, j, name))
        return r;
    int rc = 0;
    Backend* b = ctx.backend(&rc);
    if (!b)
        return -rc;

    MappedFile f;
    if (const char* step = f.open(file)) {
        const int err = errno;
        ctx.err(file_failure_text(step) + file + ".\n" + error_line(err));
        const std::string meaning = std::string(step) == "map" ? map_failure_meaning(f) : "";
        report_failure(ctx, j, Failure{step, false, -err, file, meaning});
        put_rc(j, -err);
        return err;
    }
    j["size"] = f.size();
    ctx.out("Uploading " + file + "... ");
    rc = b->upload(name, f.data(), f.size());
    if (rc < 0) {
        ctx.out("failed\n");
        ctx.err(error_line(-rc));
        std::string meaning;
        if (!b->transport_error().empty())
            meaning = b->transport_error();
        else if (rc == -EEXIST)
            meaning = diagnose_upload_exists(*b, name);
        else if (rc == -EINVAL)
            meaning = upload_einval_meaning(f);
        report_failure(ctx, j, Failure{"UPLOAD", false, rc, name, meaning});
        put_rc(j, rc);
        return -rc;
    }
    ctx.out("completed\n");
    put_rc(j, 0);
    if (ctx.json_mode()) {
        const std::optional<Json> d = payload_detail(*b, name);
        j["payload"] = d ? *d : Json(nullptr);
    }
    return 0;
}

int cmd_upload(Context& ctx) {
    if (ctx.args.size() != 2)
        return usage_error(ctx, "upload takes <name> <file> (got " + std::to_string(ctx.args.size()) +
                                    " argument" + (ctx.args.size() == 1 ? "" : "s") + ")");
    return run_upload(ctx, ctx.doc(), ctx.args[0], ctx.args[1]);
}

}  // namespace livepatch::tool
