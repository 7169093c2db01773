// A deadline on every call into a backend. The hosted hypervisor's socket blocks for as long as
// the hypervisor does not answer (a stopped or wedged process); without a deadline the tool would
// wait forever. CallWatchdog runs one thread: arm() starts a deadline for one call, disarm() ends
// it. When a deadline passes while armed, `on_expiry` runs on the watchdog thread with the call
// that was armed; it must end the process (_exit), since that call is still blocked. A call that
// returns while `on_expiry` runs blocks in disarm() until the process ends.
#pragma once

#include <stdint.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "backend.h"

namespace livepatch::tool {

// The call being watched: the step as reports name it ("GET", "APPLY", "connect") and the payload.
struct CallSite {
    std::string step, subject;
};

class CallWatchdog {
public:
    using Handler = std::function<void(const CallSite&)>;

    // `limit_ns` is each call's deadline; 0 means none (arm and disarm then do nothing).
    CallWatchdog(uint64_t limit_ns, Handler on_expiry);
    ~CallWatchdog();
    CallWatchdog(const CallWatchdog&) = delete;
    CallWatchdog& operator=(const CallWatchdog&) = delete;

    uint64_t limit_ns() const { return m_limit_ns; }
    void arm(CallSite site);
    void disarm();

private:
    void run();

    const uint64_t m_limit_ns;
    const Handler m_on_expiry;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_armed = false, m_stop = false;
    uint64_t m_generation = 0;  // counts arm() calls, so a deadline belongs to one call
    CallSite m_site;
    std::thread m_thread;
};

// Arms `dog` for the lifetime of the scope.
class WatchedCall {
public:
    WatchedCall(CallWatchdog& dog, CallSite site) : m_dog(dog) { m_dog.arm(std::move(site)); }
    ~WatchedCall() { m_dog.disarm(); }
    WatchedCall(const WatchedCall&) = delete;
    WatchedCall& operator=(const WatchedCall&) = delete;

private:
    CallWatchdog& m_dog;
};

// `inner`, with every call watched by `dog` (which must outlive the result).
std::unique_ptr<Backend> watch_backend(std::unique_ptr<Backend> inner, CallWatchdog& dog);

}  // namespace livepatch::tool
