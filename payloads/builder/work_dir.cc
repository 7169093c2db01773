#include "work_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <filesystem>
#include <vector>

#include "build_error.h"

namespace livepatch::build {

WorkDir::WorkDir(const std::string& parent, const std::string& prefix) {
    std::string tmpl = parent + "/" + prefix + "XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
        throw BuildError("cannot create a directory in " + parent + ": " + strerror(errno));
    m_path = buf.data();
}

WorkDir::~WorkDir() {
    if (m_keep)
        return;
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string temp_root() {
    const char* t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

}  // namespace livepatch::build
