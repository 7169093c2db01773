// Xen 4.17's xen-livepatch text, byte for byte: what scripts (and XenServer's xapi) parse. Every
// string that Xen's tool prints is built here and nowhere else; docs/xen-livepatch.md shows them.
#pragma once

#include <stdint.h>

#include <string>

#include "backend.h"

namespace livepatch::tool {

// The help text (printed on stderr, as Xen does): Xen's lines, then this tool's extensions. It is
// reproduced in docs/xen-livepatch.md and a test keeps the two equal.
const std::string& help_text();

// "CHECKED", "APPLIED", or "unknown" for any other state (Xen's state2str).
const char* state_word(uint32_t state);

// LIST: the header line and the rule under it (both newline-terminated).
std::string list_header();

// LIST: one row: the name left-justified in 40 columns, "| ", the state word, " (<errno>,
// <strerror>)" when rc is not 0, "    | ", the metadata with inner NULs shown as ';', newline.
std::string list_row(const PayloadEntry& e);

// "Error <n>: <strerror(n)>\n" for a positive errno `err`.
std::string error_line(int err);

// "<name> is in the wrong state.\nCurrent state: <s>\nExpected state: <s>\n".
std::string wrong_state(const std::string& name, uint32_t current, uint32_t expected);

// The metadata column: NULs inside the first len-1 bytes become ';', and the text ends at the
// first remaining NUL (Xen's in-place rewrite followed by "%.*s").
std::string metadata_column(const std::string& metadata);

}  // namespace livepatch::tool
