#include "options.h"

#include <boost/program_options.hpp>
#include <sstream>

namespace po = boost::program_options;

namespace livepatch::build {

const char* flavor_name(Flavor f) {
    switch (f) {
    case Flavor::kXen:
        return "xen";
    case Flavor::kHosted:
        return "hosted";
    default:
        return "auto";
    }
}

namespace {

const char* const kUsage =
    "usage: livepatch-build --target IMAGE -o OUT.livepatch [--depends PAYLOAD.livepatch] [--expect]\n"
    "                       [--flavor xen|hosted] [-I DIR]... [-D NAME[=V]]... [--keep-temps] [-v]\n"
    "                       SOURCE...\n"
    "\n"
    "Builds a live-patch payload from SOURCE files (C: .c; C++: .cc .cpp .cxx) holding replacement\n"
    "functions marked with LIVEPATCH_REPLACE (#include <livepatch/payload.h>), for the hypervisor\n"
    "image IMAGE (Xen's xen-syms, or the hosted hypervisor's binary). The payload is checked by the\n"
    "engine's own loader against IMAGE before it is written. See docs/livepatch-build.md.\n";

po::options_description option_table(BuildOptions& o, std::string& flavor) {
    po::options_description d("options");
    d.add_options()
        ("target", po::value(&o.target)->value_name("IMAGE"), "the hypervisor image the payload is for")
        ("output,o", po::value(&o.output)->value_name("OUT"), "the payload file to write")
        ("depends", po::value(&o.depends)->value_name("PAYLOAD"),
         "stack on this payload (its build-id becomes .livepatch.depends; its symbols may be used)")
        ("expect", po::bool_switch(&o.expect), "records expect the target's first bytes (checked at APPLY)")
        ("flavor", po::value(&flavor)->value_name("xen|hosted"), "override the flavour detected from IMAGE")
        ("include,I", po::value(&o.include_dirs)->value_name("DIR"), "add DIR to the include path")
        ("define,D", po::value(&o.defines)->value_name("NAME[=V]"), "define a preprocessor macro")
        ("keep-temps", po::bool_switch(&o.keep_temps), "keep the work directory and print its path")
        ("verbose,v", po::bool_switch(&o.verbose), "print each command and every check's detail")
        ("help,h", "print this help");
    return d;
}

}  // namespace

ParseOutcome parse_options(int argc, const char* const* argv, BuildOptions* out, std::string* message) {
    BuildOptions o;
    std::string flavor;
    po::options_description visible = option_table(o, flavor);
    po::options_description all;
    all.add(visible).add_options()("sources", po::value(&o.sources));
    po::positional_options_description positional;
    positional.add("sources", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        *message = e.what();
        return ParseOutcome::kError;
    }
    if (vm.count("help")) {
        std::ostringstream s;
        s << kUsage << "\n" << visible;
        *message = s.str();
        return ParseOutcome::kHelp;
    }
    if (o.target.empty()) {
        *message = "--target IMAGE is required (xen-syms, or the hosted hypervisor's binary)";
        return ParseOutcome::kError;
    }
    if (o.output.empty()) {
        *message = "-o OUT.livepatch is required";
        return ParseOutcome::kError;
    }
    if (o.sources.empty()) {
        *message = "no SOURCE given: name the C or C++ files holding the replacement functions";
        return ParseOutcome::kError;
    }
    if (flavor.empty() || flavor == "auto")
        o.flavor = Flavor::kAuto;
    else if (flavor == "xen")
        o.flavor = Flavor::kXen;
    else if (flavor == "hosted")
        o.flavor = Flavor::kHosted;
    else {
        *message = "--flavor '" + flavor + "': choose xen or hosted";
        return ParseOutcome::kError;
    }
    *out = std::move(o);
    return ParseOutcome::kBuild;
}

}  // namespace livepatch::build
