#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "command_match.h"
#include "commands.h"
#include "duration.h"
#include "errors.h"
#include "offline/commands.h"
#include "offline/offline.h"
#include "offline_envelope.h"

namespace po = boost::program_options;

namespace livepatch::tool {

namespace {

// The raw option values, before they are checked.
struct RawOptions {
    std::string timeout, wait, backend = "auto", socket, against;
};

// A switch: present or not, and harmless to repeat (Xen's tool takes "--nodeps --nodeps").
po::typed_value<std::vector<std::string>>* repeatable_switch() {
    return po::value<std::vector<std::string>>()->zero_tokens()->composing();
}

po::options_description option_table(RawOptions& r) {
    po::options_description d("options");
    d.add_options()("json", repeatable_switch())("nodeps", repeatable_switch())("help,h", repeatable_switch())(
        "timeout", po::value(&r.timeout))("wait", po::value(&r.wait))("backend", po::value(&r.backend))(
        "socket", po::value(&r.socket))("against", po::value(&r.against))(
        "words", po::value<std::vector<std::string>>());
    return d;
}

// The options that take a value (the next word, or "=value").
bool takes_value(const std::string& option) {
    for (const char* o : {"--timeout", "--wait", "--backend", "--socket", "--against"}) {
        if (option == o)
            return true;
    }
    return false;
}

// The command of a command line whose options could not be parsed, for the report: the full
// word of the first word that is neither an option nor an option's value ("" when none).
std::string command_of(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--" || (!a.empty() && a[0] != '-')) {
            const std::string w = a == "--" ? (i + 1 < argc ? argv[i + 1] : "") : a;
            const std::optional<Command> c = match_command(w);
            return c ? command_word(*c) : w;
        }
        if (takes_value(a))
            ++i;
    }
    return "";
}

// Reports a bad option the way the tool reports every usage problem (exit 1).
int option_error(Context& ctx, const std::string& why) {
    report_failure(ctx, ctx.doc(), Failure{"args", false, -EINVAL, "", why});
    return ctx.finish(EINVAL);
}

// Checks the raw values into `o`; "" when they are fine, else the reason.
std::string check_options(const RawOptions& r, const po::variables_map& vm, Options* o) {
    o->json = vm.count("json") > 0;
    o->nodeps = vm.count("nodeps") > 0;
    if (r.backend == "auto")
        o->backend = BackendKind::kAuto;
    else if (r.backend == "xen")
        o->backend = BackendKind::kXen;
    else if (r.backend == "hosted")
        o->backend = BackendKind::kHosted;
    else
        return "--backend '" + r.backend + "': choose auto, xen or hosted";
    if (vm.count("socket")) {
        o->socket = r.socket;
        o->socket_given = true;
    } else if (const char* env = getenv("XEN_LIVEPATCH_SOCKET"); env && *env)
        o->socket = env;
    std::string why;
    if (vm.count("timeout")) {
        const std::optional<uint64_t> t = parse_duration(r.timeout, &why);
        if (!t)
            return "--timeout " + why;
        if (*t > UINT32_MAX)
            return "--timeout " + r.timeout + " is longer than the hypervisor's ABI allows (4294967295ns, about 4.29s)";
        o->timeout_ns = static_cast<uint32_t>(*t);
    }
    if (vm.count("wait")) {
        const std::optional<uint64_t> w = parse_duration(r.wait, &why);
        if (!w)
            return "--wait " + why;
        o->wait_ns = *w;
    }
    if (vm.count("against"))
        o->against = r.against;
    if (const char* env = getenv(kCallTimeoutVariable); env && *env) {
        const std::optional<uint64_t> c = parse_duration(env, &why);
        if (!c)
            return std::string(kCallTimeoutVariable) + " " + why;
        o->call_timeout_ns = *c;
    }
    return "";
}

// info and check print their own output; with --json their document gets the envelope every
// command's JSON has (offline_envelope.h).
int run_offline(Context& ctx, Command c) {
    const Options& o = ctx.opts();
    const std::string& file = ctx.args[0];
    std::string image = o.against.value_or("");
    if (image.empty() && getenv("XEN_LIVEPATCH_IMAGE"))
        image = getenv("XEN_LIVEPATCH_IMAGE");
    if (!o.json)
        return c == Command::kInfo ? cmd_info(file, false) : cmd_check(file, image, false);
    std::ostringstream doc;
    const int code = c == Command::kInfo ? offline::run_info(file, true, doc, std::cerr)
                                         : offline::run_check(file, image, true, doc, std::cerr);
    const std::string text = offline_envelope(ctx.command, code, doc.str(), file, c == Command::kCheck ? image : "");
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);
    return code;
}

int dispatch(Context& ctx, Command c) {
    const Options& o = ctx.opts();
    if (o.against && c != Command::kCheck) {
        ctx.err("Unsupported flag: --against.\n");
        report_failure(ctx, ctx.doc(), Failure{"args", false, -EINVAL, "", "--against applies only to check"});
        return ctx.finish(EINVAL);
    }
    if (o.nodeps && c != Command::kApply && c != Command::kLoad && c != Command::kHelp) {
        ctx.err("Unsupported flag: --nodeps.\n");  // Xen's words for a flag the action does not take
        report_failure(ctx, ctx.doc(), Failure{"args", false, -EINVAL, "", "--nodeps applies only to apply and load"});
        return ctx.finish(EINVAL);
    }
    switch (c) {
    case Command::kHelp: return ctx.finish(cmd_help(ctx));
    case Command::kList: return ctx.finish(cmd_list(ctx));
    case Command::kUpload: return ctx.finish(cmd_upload(ctx));
    case Command::kLoad: return ctx.finish(cmd_load(ctx));
    case Command::kApply: return ctx.finish(cmd_action(ctx, kActionApply));
    case Command::kRevert: return ctx.finish(cmd_action(ctx, kActionRevert));
    case Command::kUnload: return ctx.finish(cmd_action(ctx, kActionUnload));
    case Command::kReplace: return ctx.finish(cmd_action(ctx, kActionReplace));
    case Command::kStatus: return ctx.finish(cmd_status(ctx));
    case Command::kInfo:
        if (ctx.args.size() != 1)
            return ctx.finish(usage_error(ctx, "info takes <file>"));
        return run_offline(ctx, c);
    case Command::kCheck:
        if (ctx.args.size() != 1)
            return ctx.finish(usage_error(ctx, "check takes <file> [--against <image>]"));
        return run_offline(ctx, c);
    }
    return ctx.finish(-1);
}

}  // namespace

int run_cli(int argc, char** argv) {
    // Xen's tool prints "Uploading x... " before the hypercall: stdout must not hold it back.
    setvbuf(stdout, nullptr, _IONBF, 0);

    RawOptions raw;
    const po::options_description table = option_table(raw);
    po::positional_options_description positional;
    positional.add("words", -1);
    po::variables_map vm;
    std::vector<std::string> words;
    bool json_seen = false;
    for (int i = 1; i < argc; ++i)  // so that a parse error is reported in the format asked for
        json_seen = json_seen || std::string(argv[i]) == "--json";
    try {
        const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        const po::parsed_options parsed = po::command_line_parser(argc, argv)
                                              .options(table)
                                              .positional(positional)
                                              .style(style)
                                              .allow_unregistered()
                                              .run();
        po::store(parsed, vm);
        po::notify(vm);
        words = po::collect_unrecognized(parsed.options, po::include_positional);
    } catch (const po::error& e) {
        Options o;
        o.json = json_seen;
        Context ctx(o);
        ctx.command = command_of(argc, argv);
        return option_error(ctx, e.what());
    }

    Options opts;
    const std::string bad = check_options(raw, vm, &opts);
    Context ctx(opts);
    if (!bad.empty()) {
        ctx.command = command_of(argc, argv);
        return option_error(ctx, bad);
    }

    if (words.empty() || vm.count("help")) {  // Xen: no arguments is help, and success
        ctx.command = "help";
        return ctx.finish(cmd_help(ctx));
    }
    const std::optional<Command> c = match_command(words[0]);
    if (!c) {
        ctx.command = words[0];
        ctx.err("Unrecognised command '" + words[0] + "' -- try 'xen-livepatch help'\n");
        const bool option_like = words[0].size() > 1 && words[0][0] == '-';
        report_failure(ctx, ctx.doc(),
                       Failure{"args", false, -EINVAL, "",
                               option_like ? "'" + words[0] + "' is not an option of this tool (see 'xen-livepatch help')"
                                           : "no command starts with '" + words[0] + "'"});
        return ctx.finish(-1);
    }
    ctx.command = command_word(*c);
    ctx.doc()["command"] = ctx.command;
    ctx.args.assign(words.begin() + 1, words.end());
    return dispatch(ctx, *c);
}

}  // namespace livepatch::tool
