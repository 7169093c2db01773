// SourceObject: one payload source and the object gcc/g++ made of it, as the later stages see
// them.
#pragma once

#include <string>

#include "object_file.h"

namespace livepatch::build {

struct SourceObject {
    std::string source;     // the path given on the command line
    std::string file_name;  // its base name: statics of the source are named "<file_name>#<name>"
    std::string object;     // the compiled object in the work directory
    ObjectFile elf;         // what the compiler made (before any edit)
};

}  // namespace livepatch::build
