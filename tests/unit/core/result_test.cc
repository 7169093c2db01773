// Result/Error: Xen errno values, context, formatting, and no allocation.
#include <doctest/doctest.h>

#include <string>
#include <type_traits>

#include "core/support/checked.h"
#include "core/support/cstring.h"
#include "livepatch/errc.h"
#include "livepatch/result.h"

using namespace livepatch;

namespace {

Result<int> parse_positive(int v) {
    if (v <= 0)
        return fail(Errc::kEINVAL, "must be positive").value(static_cast<uint64_t>(v));
    return v;
}

Result<int> doubled(int v) {
    const int x = LP_TRY(parse_positive(v));
    return 2 * x;
}

Status checked_step(int v) {
    LP_CHECK_CONTEXT(parse_positive(v), symbol(7, "sym"));
    return success();
}

}  // namespace

TEST_SUITE("result") {

TEST_CASE("errno values are Xen's") {
    CHECK(static_cast<int>(Errc::kEINVAL) == 22);
    CHECK(static_cast<int>(Errc::kEOPNOTSUPP) == 95);
    CHECK(static_cast<int>(Errc::kEOVERFLOW) == 75);
    CHECK(static_cast<int>(Errc::kENODATA) == 61);
    CHECK(static_cast<int>(Errc::kEAGAIN) == 11);
    CHECK(to_xen_rc(Errc::kEBUSY) == -16);
    CHECK(std::string(errc_name(Errc::kEEXIST)) == "EEXIST");
    CHECK(std::string(errc_name(Errc::kEAGAIN)) == "EAGAIN");
    CHECK(std::string(errc_name(static_cast<Errc>(4242))) == "E?");
}

TEST_CASE("LP_TRY propagates errors and yields values") {
    auto ok = doubled(21);
    REQUIRE(ok.ok());
    CHECK(ok.value() == 42);
    auto bad = doubled(-1);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.code() == Errc::kEINVAL);
    CHECK(bad.error().offending_value() == static_cast<uint64_t>(-1));

    auto s = checked_step(0);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().subject() == Subject::symbol);
    CHECK(s.error().index() == 7);
    CHECK(checked_step(3).ok());
}

TEST_CASE("an error formats payload, subject, rule, value and errno") {
    Error e = fail(Errc::kEINVAL, "size is not a multiple of 104").section(8, ".livepatch.funcs").value(100);
    e.payload("hello");
    char buf[256];
    e.format(buf, sizeof buf);
    CHECK(std::string(buf) ==
          "hello: section [8] '.livepatch.funcs': size is not a multiple of 104 (value 0x64) [-EINVAL]");

    Error r = fail(Errc::kEOVERFLOW, "out of reach").relocation(3, ".rela.text.f");
    r.format(buf, sizeof buf);
    CHECK(std::string(buf) == "relocation [3] in '.rela.text.f': out of reach [-EOVERFLOW]");

    // Truncation never overruns and always terminates.
    char tiny[10];
    CHECK(e.format(tiny, sizeof tiny) == 9);
    CHECK(std::string(tiny) == "hello: se");
}

TEST_CASE("long names are truncated with an ellipsis inside fixed storage") {
    const std::string longname(200, 'x');
    Error e = fail(Errc::kENOENT, "not found").symbol(1, longname.c_str());
    CHECK(std::string(e.name()).size() == Error::kNameMax - 1);
    CHECK(std::string(e.name()).substr(Error::kNameMax - 4) == "...");
    static_assert(std::is_trivially_copyable_v<Error>, "errors are plain data: copying never allocates");
    static_assert(std::is_trivially_destructible_v<Error>);
}

TEST_CASE("checked arithmetic") {
    uint64_t out;
    CHECK_FALSE(checked_add<uint64_t>(~0ull, 1, &out));
    CHECK(checked_add<uint64_t>(1, 2, &out));
    CHECK(out == 3);
    CHECK_FALSE(checked_mul<uint64_t>(1ull << 40, 1ull << 30, &out));
    CHECK(range_within(0, 10, 10));
    CHECK_FALSE(range_within(1, 10, 10));
    CHECK_FALSE(range_within(~0ull, 2, 10));
    CHECK(is_power_of_two(4096));
    CHECK_FALSE(is_power_of_two(0));
    CHECK_FALSE(is_power_of_two(12));
    CHECK(align_up(4097, 4096, &out));
    CHECK(out == 8192);
    CHECK_FALSE(align_up(~0ull, 4096, &out));
}

TEST_CASE("freestanding string helpers") {
    CHECK(str_len("abc") == 3);
    CHECK(str_nlen("abc", 2) == 2);
    CHECK(str_eq("a#b", "a#b"));
    CHECK(str_cmp("a", "b") < 0);
    CHECK(str_cmp("\xff", "a") > 0);  // unsigned comparison
    CHECK(str_starts_with(".Lfoo", ".L"));
    char buf[8];
    CHECK(str_copy(buf, sizeof buf, "abcdefghij") == 7);
    CHECK(std::string(buf) == "abcd...");
}

}  // TEST_SUITE
