#include "await.h"

#include <errno.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace livepatch::tool {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kDefaultTimeoutNs = 30000000;  // what the hypervisor uses for a timeout of 0
constexpr uint64_t kFirstPauseNs = 1000000;
constexpr uint64_t kMaxPauseNs = 20000000;

uint64_t since(Clock::time_point start) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

}  // namespace

Completion await_completion(Backend& b, const std::string& name, uint32_t timeout_ns,
                            std::optional<uint64_t> wait_ns) {
    const Clock::time_point start = Clock::now();
    Completion c;
    auto get = [&] {
        c.get_rc = b.get(name, &c.status);
        ++c.polls;
        c.elapsed_ns = since(start);
        return c.get_rc < 0 || c.status.rc != -EAGAIN;
    };
    if (!wait_ns) {
        // Xen's tool: "wait twice that period", then one look.
        std::this_thread::sleep_for(std::chrono::nanoseconds(2 * (timeout_ns ? timeout_ns : kDefaultTimeoutNs)));
        get();
        return c;
    }
    uint64_t pause = kFirstPauseNs;
    while (!get()) {
        const uint64_t now = since(start);
        if (now >= *wait_ns)
            break;
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(pause, *wait_ns - now)));
        pause = std::min(pause * 2, kMaxPauseNs);
    }
    return c;
}

}  // namespace livepatch::tool
