// The hooks samples: load and unload hooks change a hypervisor tunable guests observe; the
// pre-apply hook of hooks-veto refuses the APPLY.
#include <doctest/doctest.h>

#include "sample_support.h"

using namespace sampletest;

TEST_SUITE("samples") {

TEST_CASE("hooks: the load hook sets the compute tunable, the unload hook restores it") {
    Hypervisor hv;
    CHECK(compute(hv) == 21);  // 2 * 10 + 1

    ok(hv, {"load", sample("hooks")});
    CHECK(compute(hv) == 31);  // 3 * 10 + 1
    const Json d = detail(hv, "hooks");
    CHECK(d["functions"].empty());
    CHECK(d["hooks"]["load"] == 1);
    CHECK(d["hooks"]["unload"] == 1);
    CHECK(d["hooks"]["preapply"] == true);
    CHECK(d["safe_to_reapply"] == true);

    ok(hv, {"revert", "hooks"});
    CHECK(compute(hv) == 21);
    ok(hv, {"apply", "hooks"});  // no writable data: safe to re-apply
    CHECK(compute(hv) == 31);
    ok(hv, {"revert", "hooks"});
    CHECK(compute(hv) == 21);
    ok(hv, {"unload", "hooks"});
}

TEST_CASE("hooks-veto: the pre-apply hook refuses the APPLY; nothing changes") {
    Hypervisor hv;
    ok(hv, {"upload", "hooks-veto", sample("hooks-veto")});
    const Run r = hv.tool({"apply", "hooks-veto"});
    CHECK(r.code == 1);
    CHECK(r.out == "Applying hooks-veto... failed\n");
    CHECK(r.err.rfind("Error 1: Operation not permitted\n", 0) == 0);
    const Json d = detail(hv, "hooks-veto");
    CHECK(d["state"] == "CHECKED");
    CHECK(d["rc_name"] == "EPERM");
    CHECK(compute(hv) == 21);
    ok(hv, {"unload", "hooks-veto"});
}

}  // TEST_SUITE
