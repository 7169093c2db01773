// WorkDir: a fresh private directory (mkdtemp) for the builder's intermediate files, removed with
// everything in it when the WorkDir goes away, unless kept.
#pragma once

#include <string>

namespace livepatch::build {

class WorkDir {
public:
    // Creates "<parent>/<prefix>XXXXXX". Throws BuildError when it cannot.
    WorkDir(const std::string& parent, const std::string& prefix);
    ~WorkDir();
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;

    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }
    // Leave the directory in place when destroyed.
    void keep() { m_keep = true; }

private:
    std::string m_path;
    bool m_keep = false;
};

// $TMPDIR, or /tmp.
std::string temp_root();

}  // namespace livepatch::build
