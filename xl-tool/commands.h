// The commands of xen-livepatch. Each takes the run's Context (ctx.args: everything after the
// command word that is not a global option) and returns a Xen-style value: 0 on success, a
// positive errno (EAGAIN and EBUSY mean "retry"), or -1 for any other failure; exit_code_for()
// turns it into the exit status. Each writes Xen 4.17's text (xen_text.h) and fills ctx.doc().
#pragma once

#include <stdint.h>

#include <string>

#include "backend.h"
#include "context.h"

namespace livepatch::tool {

// help (and no command at all): the help text on stderr, as Xen prints it.
int cmd_help(Context& ctx);

// list: "Nothing to list", or Xen's table of every payload.
int cmd_list(Context& ctx);

// upload <name> <file>.
int cmd_upload(Context& ctx);

// apply <name> [--nodeps] | revert <name> | unload <name> | replace <name>: `cmd` is kAction*.
int cmd_action(Context& ctx, uint32_t cmd);

// load <file> [--nodeps]: upload under the file's base name (without its last extension), then
// apply; unload again if the apply fails.
int cmd_load(Context& ctx);

// status <name>: the payload's state and rc, and everything the backend's detail tells.
int cmd_status(Context& ctx);

// --- shared steps (commands.cc, cmd_upload.cc, cmd_action.cc) ---------------------------------

// Xen's reaction to wrong arguments: the help text on stderr; plus this tool's reason. Returns -1.
int usage_error(Context& ctx, const std::string& why);

// Refuses a payload name Xen cannot take (empty, or over 127 characters) with Xen's message and
// this tool's reason. Returns 0 when the name is usable, else EINVAL.
int check_name(Context& ctx, Json& into, const std::string& name);

// The payload's GET status as JSON: state (word), state_code, rc, rc_name.
Json status_json(const PayloadStatus& st);

// upload's work for `name` and `file`, recording into `j`. Returns a Xen-style value.
int run_upload(Context& ctx, Json& j, const std::string& name, const std::string& file);

// One action on `name` exactly as Xen's tool runs it (GET, the state checks, the action, the
// wait, GET), recording into `j`. Returns a Xen-style value.
int run_action(Context& ctx, Json& j, const std::string& name, uint32_t cmd, uint32_t flags);

}  // namespace livepatch::tool
