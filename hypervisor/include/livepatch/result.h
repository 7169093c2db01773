// Result<T>: the return type of every fallible engine call. Holds either a value or an Error.
// An Error is a Xen errno plus the context an operator needs (payload, section or symbol, the
// offending value and the rule broken) in fixed-size storage: building one never allocates.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>
#include <type_traits>
#include <utility>

#include "livepatch/errc.h"

namespace livepatch {

// What an error is about; selects how Error::index and Error::name are printed.
enum class Subject : uint8_t { none, header, section, symbol, function, relocation, payload };

class Error {
public:
    static constexpr size_t kNameMax = 64;      // subject name, truncated with "..."
    static constexpr size_t kPayloadMax = 128;  // XEN_LIVEPATCH_NAME_SIZE

    // `rule` must be a string literal (or otherwise outlive the Error): it is not copied.
    Error(Errc code, const char* rule) noexcept : m_code(code), m_rule(rule) {}

    // Fluent context setters; each returns *this so a failure reads as one expression.
    Error& section(uint32_t index, const char* name) noexcept;
    Error& symbol(uint32_t index, const char* name) noexcept;
    Error& function(uint32_t index, const char* name) noexcept;
    Error& relocation(uint32_t index, const char* rela_section_name) noexcept;
    Error& header() noexcept;
    Error& value(uint64_t v) noexcept;
    Error& payload(const char* name) noexcept;

    Errc code() const noexcept { return m_code; }
    const char* rule() const noexcept { return m_rule; }
    Subject subject() const noexcept { return m_subject; }
    uint32_t index() const noexcept { return m_index; }
    const char* name() const noexcept { return m_name; }
    const char* payload_name() const noexcept { return m_payload; }
    bool has_value() const noexcept { return m_has_value; }
    uint64_t offending_value() const noexcept { return m_value; }

    // Renders `<payload>: <subject>: <rule> (value 0x..) [-EXXX]` into buf (always NUL-terminated,
    // truncated to fit). Returns the length written, excluding the NUL.
    size_t format(char* buf, size_t len) const noexcept;

private:
    Error& set_subject(Subject s, uint32_t index, const char* name) noexcept;

    Errc m_code;
    const char* m_rule;
    Subject m_subject = Subject::none;
    bool m_has_value = false;
    uint32_t m_index = 0;
    uint64_t m_value = 0;
    char m_name[kNameMax] = {};
    char m_payload[kPayloadMax] = {};
};

// Shorthand used at every failure site: `return fail(Errc::kEINVAL, "...").section(i, n);`
inline Error fail(Errc code, const char* rule) noexcept { return Error(code, rule); }

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) noexcept : m_ok(true) { new (&m_storage.value) T(std::move(value)); }
    Result(Error error) noexcept : m_ok(false) { new (&m_storage.error) Error(error); }
    Result(Result&& other) noexcept : m_ok(other.m_ok) {
        if (m_ok)
            new (&m_storage.value) T(std::move(other.m_storage.value));
        else
            new (&m_storage.error) Error(other.m_storage.error);
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;
    ~Result() {
        if (m_ok)
            m_storage.value.~T();
    }

    bool ok() const noexcept { return m_ok; }
    explicit operator bool() const noexcept { return m_ok; }
    // Precondition: ok().
    T& value() & noexcept { return m_storage.value; }
    T&& value() && noexcept { return std::move(m_storage.value); }
    // Precondition: !ok().
    const Error& error() const noexcept { return m_storage.error; }
    Errc code() const noexcept { return m_ok ? Errc::ok : m_storage.error.code(); }

private:
    union Storage {
        Storage() {}
        ~Storage() {}
        T value;
        Error error;
    } m_storage;
    bool m_ok;
};

template <>
class [[nodiscard]] Result<void> {
public:
    // Success constructs no Error: a Status on a hot path costs one flag.
    Result() noexcept : m_ok(true) {}
    Result(Error error) noexcept : m_ok(false) { new (&m_storage.error) Error(error); }
    Result(Result&& other) noexcept : m_ok(other.m_ok) {
        if (!m_ok)
            new (&m_storage.error) Error(other.m_storage.error);
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;

    bool ok() const noexcept { return m_ok; }
    explicit operator bool() const noexcept { return m_ok; }
    // Precondition: !ok().
    const Error& error() const noexcept { return m_storage.error; }
    Errc code() const noexcept { return m_ok ? Errc::ok : m_storage.error.code(); }
    // Lets LP_TRY be used on a Status; yields nothing.
    void value() const noexcept {}

private:
    union Storage {
        Storage() {}
        Error error;
    } m_storage;
    bool m_ok;
};

using Status = Result<void>;

inline Status success() noexcept { return Status(); }

}  // namespace livepatch

// Evaluates a Result expression; on error returns the error from the enclosing function,
// otherwise yields the value (GNU statement expression; the project builds as gnu++20).
#define LP_TRY(expr)                                       \
    ({                                                     \
        auto lp_try_result_ = (expr);                      \
        if (!lp_try_result_.ok())                          \
            return lp_try_result_.error();                 \
        std::move(lp_try_result_).value();                 \
    })

// Same for Status expressions (no value).
#define LP_CHECK(expr)                                     \
    do {                                                   \
        auto lp_check_result_ = (expr);                    \
        if (!lp_check_result_.ok())                        \
            return lp_check_result_.error();               \
    } while (0)

// Like LP_CHECK, but adds context to the error first: LP_CHECK_CONTEXT(f(), function(i, name)).
#define LP_CHECK_CONTEXT(expr, context)                    \
    do {                                                   \
        auto lp_check_result_ = (expr);                    \
        if (!lp_check_result_.ok()) {                      \
            ::livepatch::Error lp_error_ = lp_check_result_.error(); \
            lp_error_.context;                             \
            return lp_error_;                              \
        }                                                  \
    } while (0)
