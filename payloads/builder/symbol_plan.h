// The payload's symbols against the target image: which names stay, which are renamed, and what
// is refused.
//
//   statics of the payload     renamed "<source file name>#<name>" (as Xen's builder names them),
//                              so they can never clash with the hypervisor's symbols (-EEXIST)
//   undefined references       a global of the image (or of the --depends payload, or of another
//                              source) stays; else the image's only static of that name is named
//                              "file#name"; several are ambiguous, none is an error
//   definitions                a data object the image already has is refused (a patch cannot
//                              change data in place); a function or static taking an image
//                              symbol's name is refused unless a record replaces that function
#pragma once

#include <set>
#include <string>
#include <vector>

#include "build_error.h"
#include "records.h"
#include "source_object.h"
#include "target_image.h"

namespace livepatch::build {

struct Rename {
    std::string from, to;
};

// The payload given with --depends: its build-id and the symbols it defines (which this payload
// may use: the hypervisor resolves them against loaded payloads).
struct DependsPayload {
    std::string path;
    std::vector<uint8_t> build_id;
    std::set<std::string> symbols;
    std::set<std::string> patched;   // the names of the functions its records patch
};

struct SymbolPlan {
    std::vector<std::vector<Rename>> renames;  // per SourceObject, for objcopy --redefine-sym
    std::vector<std::string> resolved_statics;   // "<source>: pick_next -> common/sched.c#pick_next"
    size_t statics_renamed = 0;
};

// Plans the renames and checks the rules above; `depends` may be null.
SymbolPlan plan_symbols(const std::vector<SourceObject>& objects, const std::vector<RecordSource>& records,
                        const TargetImage& image, const DependsPayload* depends, Problems& problems);

// True for the header's bookkeeping symbols (records, name strings, hook pointers), which the
// builder strips from the payload.
bool is_metadata_symbol(const std::string& name);

}  // namespace livepatch::build
