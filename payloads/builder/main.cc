// livepatch-build: builds a live-patch payload from C/C++ sources against a hypervisor image
// (see pipeline.h and docs/livepatch-build.md). Exit 0 with a summary, or 1 with one line per
// problem on stderr and no output file.
#include <stdio.h>
#include <unistd.h>

#include <exception>

#include "build_error.h"
#include "options.h"
#include "pipeline.h"
#include "summary.h"

using namespace livepatch::build;

int main(int argc, char** argv) {
    BuildOptions options;
    std::string message;
    switch (parse_options(argc, argv, &options, &message)) {
    case ParseOutcome::kHelp:
        fputs(message.c_str(), stdout);
        return 0;
    case ParseOutcome::kError:
        fprintf(stderr, "livepatch-build: %s (try --help)\n", message.c_str());
        return 1;
    case ParseOutcome::kBuild:
        break;
    }
    try {
        const BuildSummary summary = build_payload(options);
        for (const std::string& w : summary.compiler_output)
            fprintf(stderr, "%s\n", w.c_str());
        print_summary(stdout, options, summary, options.verbose);
        return 0;
    } catch (const BuildError& e) {
        for (const std::string& p : e.problems())
            fprintf(stderr, "livepatch-build: error: %s\n", p.c_str());
    } catch (const std::exception& e) {
        fprintf(stderr, "livepatch-build: error: %s\n", e.what());
    }
    // A failed build leaves no payload behind, not even an older one under the same name.
    unlink(options.output.c_str());
    fprintf(stderr, "livepatch-build: no payload written\n");
    return 1;
}
