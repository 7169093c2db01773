// XEN_SYSCTL_livepatch_op calls for the engine tests, issued as dom0's tool would and served by
// livepatch_op() in this process (with the test port).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "livepatch/livepatch.h"

namespace livepatch::test {

// The bytes of fixture payload `name` (LP_FIXTURE_DIR/<name>.livepatch).
std::vector<uint8_t> fixture(const std::string& name);

// Points `n` at `name` (size includes the NUL).
void set_name(xen_livepatch_name& n, const std::string& name);

// UPLOAD `bytes` as `name`; the hypercall's rc.
int32_t upload(const std::string& name, const std::vector<uint8_t>& bytes);

// GET of `name` into *st; the hypercall's rc.
int32_t get(const std::string& name, xen_livepatch_status* st);

// ACTION `cmd` with `flags` on `name`; the hypercall's rc (the action itself is pending).
int32_t action(const std::string& name, uint32_t cmd, uint32_t flags = 0);

// ACTION, then this CPU reaches its safe point (livepatch_check_work); returns the hypercall's
// rc when it failed, else the payload's final status rc. *hypercall_rc gets the hypercall's rc.
int32_t run(const std::string& name, uint32_t cmd, uint32_t flags = 0, int32_t* hypercall_rc = nullptr);

}  // namespace livepatch::test
