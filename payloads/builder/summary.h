// What livepatch-build prints after a successful build: the payload, each function with its
// target and sizes, hooks, names given to statics, build-ids and the engine's warnings.
#pragma once

#include <stdio.h>

#include "build_options.h"
#include "pipeline.h"

namespace livepatch::build {

// Writes the summary of `sum` to `out`; `verbose` adds each check the engine passed.
void print_summary(FILE* out, const BuildOptions& options, const BuildSummary& sum, bool verbose);

}  // namespace livepatch::build
