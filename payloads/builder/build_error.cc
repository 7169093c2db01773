#include "build_error.h"

namespace livepatch::build {

namespace {

std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (const std::string& l : lines)
        s += (s.empty() ? "" : "\n") + l;
    return s;
}

}  // namespace

BuildError::BuildError(std::vector<std::string> problems)
    : std::runtime_error(join(problems)), m_problems(std::move(problems)) {}

void Problems::raise_if_any() const {
    if (!m_list.empty())
        throw BuildError(m_list);
}

}  // namespace livepatch::build
