#include "watchdog.h"

#include <chrono>

namespace livepatch::tool {

CallWatchdog::CallWatchdog(uint64_t limit_ns, Handler on_expiry)
    : m_limit_ns(limit_ns), m_on_expiry(std::move(on_expiry)) {
    if (m_limit_ns)
        m_thread = std::thread([this] { run(); });
}

CallWatchdog::~CallWatchdog() {
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

void CallWatchdog::arm(CallSite site) {
    if (!m_limit_ns)
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_site = std::move(site);
        m_armed = true;
        ++m_generation;
    }
    m_cv.notify_all();
}

void CallWatchdog::disarm() {
    if (!m_limit_ns)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    m_armed = false;
}

void CallWatchdog::run() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_stop) {
        if (!m_armed) {
            m_cv.wait(lock, [this] { return m_stop || m_armed; });
            continue;
        }
        const uint64_t generation = m_generation;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(m_limit_ns);
        const bool ended = m_cv.wait_until(lock, deadline, [&] {
            return m_stop || !m_armed || m_generation != generation;
        });
        if (!ended) {
            m_on_expiry(m_site);  // with the lock held: the watched call cannot get past disarm()
            m_armed = false;      // (a handler that returns: once per call)
        }
    }
}

namespace {

class WatchedBackend final : public Backend {
public:
    WatchedBackend(std::unique_ptr<Backend> inner, CallWatchdog& dog) : m_inner(std::move(inner)), m_dog(dog) {}

    const char* kind() const override { return m_inner->kind(); }

    int upload(const std::string& name, const uint8_t* data, size_t size) override {
        const WatchedCall w(m_dog, {"UPLOAD", name});
        return m_inner->upload(name, data, size);
    }
    int get(const std::string& name, PayloadStatus* status) override {
        const WatchedCall w(m_dog, {"GET", name});
        return m_inner->get(name, status);
    }
    int list_count(uint32_t* count) override {
        const WatchedCall w(m_dog, {"LIST", ""});
        return m_inner->list_count(count);
    }
    int list(std::vector<PayloadEntry>* out) override {
        const WatchedCall w(m_dog, {"LIST", ""});
        return m_inner->list(out);
    }
    int action(const std::string& name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags) override {
        const WatchedCall w(m_dog, {action_step(cmd), name});
        return m_inner->action(name, cmd, timeout_ns, flags);
    }
    std::optional<std::string> detail(const std::string& name) override {
        const WatchedCall w(m_dog, {"detail", name});
        return m_inner->detail(name);
    }
    std::string transport_error() const override { return m_inner->transport_error(); }

private:
    static const char* action_step(uint32_t cmd) {
        switch (cmd) {
        case kActionUnload: return "UNLOAD";
        case kActionRevert: return "REVERT";
        case kActionApply: return "APPLY";
        case kActionReplace: return "REPLACE";
        default: return "ACTION";
        }
    }

    std::unique_ptr<Backend> m_inner;
    CallWatchdog& m_dog;
};

}  // namespace

std::unique_ptr<Backend> watch_backend(std::unique_ptr<Backend> inner, CallWatchdog& dog) {
    return std::make_unique<WatchedBackend>(std::move(inner), dog);
}

}  // namespace livepatch::tool
