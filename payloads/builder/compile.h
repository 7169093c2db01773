// Compiling payload sources: the flags a payload needs for its target, and the compiler run.
//
// Every payload: -O2 -fpic with hidden visibility (hypervisor symbols reached directly: only
// R_X86_64_NONE/64/PC32/PLT32, the relocations Xen accepts), -mno-red-zone (interrupts and
// exceptions use the hypervisor's stack), -ffunction-sections -fdata-sections (one section per
// function and object), -fno-stack-protector, -fno-common, no unwind tables, the default small
// code model; -fcf-protection=branch for an IBT hypervisor, else none.
// Xen: also freestanding, no MMX/SSE (Xen does not save vector state for itself), and the
// indirect-branch and return thunks of the image when it has them (speculation hardening).
// AArch64 (the cross compiler aarch64-linux-gnu-gcc/g++ on another host): -O2 -fpic with hidden
// visibility, -mcmodel=small -fno-plt (ADRP/ADD/LDST*_LO12_NC, CALL26/JUMP26, ABS64 and PREL32:
// relocations Xen's arm64 loader accepts), -mno-outline-atomics (no calls to libgcc's atomics,
// which a hypervisor does not have), -mbranch-protection=none (the patch overwrites a function's
// first instruction, which must not be a BTI landing pad), and the section, stack-protector,
// common and unwind flags above; Xen also -ffreestanding -mgeneral-regs-only.
// C: -std=gnu11. C++: -std=gnu++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "build_options.h"
#include "target_arch.h"

namespace livepatch::build {

enum class Language { kC, kCxx };

// By extension: .c is C; .cc, .cpp, .cxx and .C are C++; anything else is not a source.
std::optional<Language> language_of(const std::string& source);

struct CompileSetup {
    TargetArch arch = TargetArch::kX86_64;
    Flavor flavor = Flavor::kXen;   // never kAuto here
    bool ibt = false;
    bool indirect_thunk = false;    // the image has __x86_indirect_thunk_* (Xen: thunk-extern)
    bool return_thunk = false;      // the image has __x86_return_thunk
    std::string header_dir;         // holds livepatch/payload.h
    std::vector<std::string> include_dirs, defines;
    bool verbose = false;
};

// The compiler command line for one source.
std::vector<std::string> compile_command(const CompileSetup& setup, Language lang, const std::string& source,
                                         const std::string& object);

// Compiles; throws BuildError("<source>: does not compile:\n<compiler output>") on failure.
// Returns the compiler's warnings (empty when there are none).
std::string compile_source(const CompileSetup& setup, Language lang, const std::string& source,
                           const std::string& object);

// The directory holding livepatch/payload.h: next to the source tree of this executable
// (<exe>/../../../payloads/include, the build layout), else the source tree it was built from.
// Throws BuildError when neither has the header.
std::string find_header_dir();

}  // namespace livepatch::build
