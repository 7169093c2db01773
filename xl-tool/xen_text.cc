#include "xen_text.h"

#include <stdio.h>
#include <string.h>

namespace livepatch::tool {

const std::string& help_text() {
    // Xen 4.17's lines (with the true name limit: Xen says 128, but one byte is the NUL), then
    // this tool's commands and options. Keep docs/xen-livepatch.md ("Help text") in step.
    static const std::string kText =
        "xen-livepatch: live patching tool\n"
        "Usage: xen-livepatch <command> [args] [command-flags]\n"
        " <name> An unique name of payload. Up to 127 characters.\n"
        "Commands:\n"
        "  help                   display this help\n"
        "  upload <name> <file>   upload file <file> with <name> name\n"
        "  list                   list payloads uploaded.\n"
        "  apply <name> [flags]   apply <name> patch.\n"
        "    Supported flags:\n"
        "      --nodeps           Disable inter-module buildid dependency check.\n"
        "                         Check only against hypervisor buildid.\n"
        "  revert <name>          revert name <name> patch.\n"
        "  replace <name>         apply <name> patch and revert all others.\n"
        "  unload <name>          unload name <name> patch.\n"
        "  load <file> [flags]    upload and apply <file> with name as the <file> name\n"
        "    Supported flags:\n"
        "      --nodeps           Disable inter-module buildid dependency check.\n"
        "                         Check only against hypervisor buildid.\n"
        "  status <name>          show state, rc, functions, build-ids and last action of <name>.\n"
        "  info <file>            describe payload file <file> (offline).\n"
        "  check <file> [--against <image>]\n"
        "                         dry-run the upload checks of <file> against a hypervisor\n"
        "                         image (offline).\n"
        "Options (any command):\n"
        "  --json                 print one JSON document on stdout instead of the text.\n"
        "  --timeout <duration>   rendezvous timeout for apply, revert, replace, unload and\n"
        "                         load: <n>ns, us, ms or s, at most 4294967295ns (default 30ms).\n"
        "  --wait <duration>      poll until the action completes or <duration> has passed\n"
        "                         (default: check once after twice the timeout, as Xen).\n"
        "  --backend <kind>       auto (default: hosted if --socket is given, else xen if\n"
        "                         Xen's privcmd exists, else hosted),\n"
        "                         xen (libxenctrl) or hosted (the hosted hypervisor's socket).\n"
        "  --socket <path>        the hosted hypervisor's socket (default: $XEN_LIVEPATCH_SOCKET,\n"
        "                         else /run/hosted-hypervisor/livepatch.sock).\n"
        "Exit status: 0 success, 2 retry later (EAGAIN, EBUSY), 1 any other failure.\n";
    return kText;
}

const char* state_word(uint32_t state) {
    switch (state) {
    case kStateChecked: return "CHECKED";
    case kStateApplied: return "APPLIED";
    default: return "unknown";
    }
}

std::string list_header() {
    return " ID                                     | status     | metadata\n"
           "----------------------------------------+------------+---------------\n";
}

std::string metadata_column(const std::string& metadata) {
    std::string m = metadata;
    for (size_t j = 0; !m.empty() && j < m.size() - 1; ++j) {
        if (m[j] == '\0')
            m[j] = ';';
    }
    const size_t end = m.find('\0');
    return end == std::string::npos ? m : m.substr(0, end);
}

std::string list_row(const PayloadEntry& e) {
    char head[64];
    std::string row = e.name;
    if (row.size() < 40)
        row.append(40 - row.size(), ' ');
    row += "| ";
    row += state_word(e.status.state);
    if (e.status.rc) {
        snprintf(head, sizeof head, " (%d, ", -e.status.rc);
        row += head;
        row += strerror(-e.status.rc);
        row += ")";
    }
    row += "    | ";
    row += metadata_column(e.metadata);
    row += "\n";
    return row;
}

std::string error_line(int err) { return "Error " + std::to_string(err) + ": " + strerror(err) + "\n"; }

std::string wrong_state(const std::string& name, uint32_t current, uint32_t expected) {
    return name + " is in the wrong state.\nCurrent state: " + state_word(current) +
           "\nExpected state: " + state_word(expected) + "\n";
}

}  // namespace livepatch::tool
