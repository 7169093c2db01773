#include "linearizability.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace stress {

namespace {

struct Config {
    std::vector<uint32_t> next;  // per client: operations linearized
    ModelState state;
    bool operator==(const Config&) const = default;
};

struct ConfigHash {
    size_t operator()(const Config& c) const {
        size_t h = c.state.hash();
        for (uint32_t n : c.next)
            h = (h ^ n) * 1099511628211ull + 0x9e3779b97f4a7c15ull;
        return h;
    }
};

struct Frame {
    Config config;
    int via_client = -1;  // the client whose operation led here
    std::vector<std::pair<int, ModelState>> successors;
    size_t tried = 0;
};

}  // namespace

std::vector<std::string> file_labels(const Facts& facts) {
    std::vector<std::string> out;
    for (const FileFacts& f : facts.files)
        out.push_back(f.label);
    return out;
}

Linearization linearize(const Facts& facts, const History& history, const std::vector<std::string>& names,
                        size_t max_configurations) {
    Linearization out;
    const size_t clients = history.size();
    size_t total = 0;
    for (const auto& ops : history)
        total += ops.size();

    std::unordered_set<Config, ConfigHash> seen;
    auto expand = [&](Frame& f) {
        int64_t first_return = std::numeric_limits<int64_t>::max();
        for (size_t c = 0; c < clients; ++c) {
            if (f.config.next[c] < history[c].size())
                first_return = std::min(first_return, history[c][f.config.next[c]].returned);
        }
        for (size_t c = 0; c < clients; ++c) {
            if (f.config.next[c] >= history[c].size())
                continue;
            const Op& op = history[c][f.config.next[c]];
            if (op.invoked > first_return)
                continue;  // another pending operation returned before this one was invoked
            for (ModelState& s : step(facts, f.config.state, op))
                f.successors.emplace_back(static_cast<int>(c), std::move(s));
        }
        // The operation that returned first is tried first (stable: for one operation, the state
        // without a completion first): real time is the likeliest order.
        std::stable_sort(f.successors.begin(), f.successors.end(), [&](const auto& a, const auto& b) {
            return history[static_cast<size_t>(a.first)][f.config.next[static_cast<size_t>(a.first)]].returned <
                   history[static_cast<size_t>(b.first)][f.config.next[static_cast<size_t>(b.first)]].returned;
        });
    };

    std::vector<Frame> stack;
    stack.push_back(Frame{Config{std::vector<uint32_t>(clients, 0), ModelState{}}, -1, {}, 0});
    seen.insert(stack.back().config);
    expand(stack.back());
    size_t deepest = 0;
    std::vector<uint32_t> deepest_next(clients, 0);
    ModelState deepest_state;
    while (!stack.empty()) {
        if (stack.size() - 1 == total) {
            out.ok = true;
            out.final_state = stack.back().config.state;
            break;
        }
        Frame& top = stack.back();
        if (stack.size() - 1 > deepest) {
            deepest = stack.size() - 1;
            deepest_next = top.config.next;
            deepest_state = top.config.state;
        }
        if (top.tried == top.successors.size()) {
            stack.pop_back();
            continue;
        }
        auto& [client, state] = top.successors[top.tried++];
        Config next{top.config.next, std::move(state)};
        ++next.next[static_cast<size_t>(client)];
        if (!seen.insert(next).second)
            continue;
        if (seen.size() >= max_configurations) {
            out.gave_up = true;
            break;
        }
        const int via = client;
        stack.push_back(Frame{std::move(next), via, {}, 0});
        expand(stack.back());
    }
    out.configurations = seen.size();
    if (out.ok) {
        std::vector<uint32_t> idx(clients, 0);
        for (size_t i = 1; i < stack.size(); ++i) {
            const int c = stack[i].via_client;
            out.order.emplace_back(c, static_cast<int>(idx[static_cast<size_t>(c)]++));
        }
        return out;
    }
    out.why = "longest linearizable prefix: " + std::to_string(deepest) + " of " + std::to_string(total) +
              " operations, ending in state {" + deepest_state.describe(names, file_labels(facts)) +
              "}; none of these could follow it:";
    for (size_t c = 0; c < clients; ++c) {
        if (deepest_next[c] < history[c].size())
            out.why += "\n  client " + std::to_string(c) + ": " + describe(history[c][deepest_next[c]], names);
    }
    if (out.gave_up)
        out.why = "gave up after " + std::to_string(out.configurations) + " configurations; " + out.why;
    return out;
}

}  // namespace stress
