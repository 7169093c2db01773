// TargetImage: the hypervisor image a payload is built for (Xen's xen-syms, or the hosted
// hypervisor's binary), read with libelf for the builder's decisions: its symbols with their
// kinds, named as the running hypervisor names them (statics "<STT_FILE>#<name>"), the first bytes
// of its functions, its build-id, its architecture (x86-64 or AArch64), its flavour and whether
// it is built with IBT.
//
// (The engine's own checks of the finished payload use xl-tool's HypervisorImage, which presents
// the image to the loader; this class answers the questions the loader never asks.)
#pragma once

#include <stdint.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "build_options.h"
#include "target_arch.h"

namespace livepatch::build {

struct ImageSymbol {
    std::string name;    // as the hypervisor names it: "name", or "file#name" for a static
    std::string plain;   // the name in the ELF symbol table
    std::string file;    // the STT_FILE a static belongs to ("" for globals)
    uint64_t addr = 0;   // link-time address
    uint64_t size = 0;
    bool local = false;
    bool function = false;  // STT_FUNC, or STT_NOTYPE with a size in an executable section
    bool object = false;    // STT_OBJECT
};

class TargetImage {
public:
    // Reads the image. Throws BuildError naming the path when it is not an x86-64 or AArch64
    // ELF64 executable with a symbol table, a .text and a build-id.
    static std::unique_ptr<TargetImage> load(const std::string& path);

    const std::string& path() const { return m_path; }
    // The instruction set of the image (its e_machine): the payload's.
    TargetArch arch() const { return m_arch; }
    // The flavour the image looks like: kHosted for an ET_DYN (PIE); for an ET_EXEC, on x86-64
    // kXen when linked in Xen's range (0xffff82d040000000 upwards), on AArch64 kXen when it has
    // Xen's start_xen and kHosted when it has a main (the statically linked hosted hypervisor);
    // else kAuto (unknown).
    Flavor detected_flavor() const { return m_flavor; }
    // Whether the hypervisor is built with IBT, so that the payload is compiled with
    // -fcf-protection=branch (ENDBR64 on every payload function). Xen builds with
    // -mmanual-endbr (only indirect-call targets carry ENDBR64): one function starting with it
    // makes a Xen image IBT. A hosted image links C runtime objects that may carry ENDBR64
    // without being IBT: it is IBT when most of its functions start with ENDBR64. Never on
    // AArch64.
    bool ibt(Flavor flavor) const;
    // How many functions start with ENDBR64, of how many functions (for the summary).
    size_t endbr_functions() const { return m_endbr_functions; }
    size_t functions() const { return m_functions; }
    const std::vector<uint8_t>& build_id() const { return m_build_id; }

    // The symbol called exactly `name` (hypervisor naming), or nullptr.
    const ImageSymbol* find(const std::string& name) const;
    // Every static whose ELF name is `plain`, in symbol-table order.
    std::vector<const ImageSymbol*> statics_named(const std::string& plain) const;
    // Up to `len` bytes at link address `addr` of an executable section; fewer at the end of it,
    // none outside.
    std::vector<uint8_t> code_at(uint64_t addr, size_t len) const;

private:
    TargetImage() = default;
    void read();

    struct CodeRange {
        uint64_t addr = 0;
        std::vector<uint8_t> bytes;
    };

    std::string m_path;
    TargetArch m_arch = TargetArch::kX86_64;
    Flavor m_flavor = Flavor::kAuto;
    size_t m_endbr_functions = 0, m_functions = 0;
    std::vector<uint8_t> m_build_id;
    std::vector<ImageSymbol> m_symbols;
    std::map<std::string, size_t> m_by_name;                  // hypervisor name -> m_symbols index
    std::multimap<std::string, size_t> m_statics_by_plain;    // ELF name of a static -> index
    std::vector<CodeRange> m_code;
};

// ENDBR64 (f3 0f 1e fa) or the poison Xen writes over it (66 0f 1f 01) at `code`.
bool starts_with_endbr64(const std::vector<uint8_t>& code);

// Lowercase hex of `bytes`.
std::string hex(const std::vector<uint8_t>& bytes);

}  // namespace livepatch::build
