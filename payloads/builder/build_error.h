// How livepatch-build fails: a BuildError carries one line per problem found, each naming the
// source, symbol or function at fault and the rule it breaks. The builder reports all problems of
// a stage together, then stops (nothing is written).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace livepatch::build {

class BuildError : public std::runtime_error {
public:
    explicit BuildError(std::vector<std::string> problems);
    explicit BuildError(const std::string& problem) : BuildError(std::vector<std::string>{problem}) {}
    const std::vector<std::string>& problems() const { return m_problems; }

private:
    std::vector<std::string> m_problems;
};

// Collects the problems of one stage.
class Problems {
public:
    void add(std::string problem) { m_list.push_back(std::move(problem)); }
    bool empty() const { return m_list.empty(); }
    // Throws BuildError with every problem collected, if there is any.
    void raise_if_any() const;

private:
    std::vector<std::string> m_list;
};

}  // namespace livepatch::build
