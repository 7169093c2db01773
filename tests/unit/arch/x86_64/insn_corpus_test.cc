// The x86-64 instruction-length decoder against Capstone over real code: every function symbol
// of Debian's Xen 4.17 xen-syms (fetched by `make nested-packages`, a prerequisite of
// `make test`) and of the hosted hypervisor's .text, walked linearly from its start by both; every
// length must agree. Capstone 4.0.2 (Debian 12's) does not know a few recent instructions Xen
// uses (CET shadow-stack, PKU, MOVDIRI/MOVDIR64B, ENQCMDS, SERIALIZE): those are checked against
// binutils' objdump instead, which knows them. A missing image fails the test (never skipped).
// LP_XEN_SYMS and LP_HOSTED_IMAGE override the paths under the build directory.
#include <capstone/capstone.h>
#include <ctype.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "arch/x86_64/insn_decode_x86_64.h"

using namespace livepatch::x86_64;

namespace {

// The build directory: LP_FIXTURE_DIR is <build>/fixtures.
std::string build_dir() {
    std::string f = LP_FIXTURE_DIR;
    return f.substr(0, f.rfind('/'));
}

std::string image_path(const char* env, const std::string& under_build) {
    const char* e = getenv(env);
    return e && *e ? e : build_dir() + "/" + under_build;
}

// An instruction Capstone does not decode and the decoder does: for objdump to judge.
struct Unknown {
    std::string where;
    std::vector<uint8_t> bytes;  // the decoder's instruction
};

struct Totals {
    size_t functions = 0;
    size_t instructions = 0;  // decoded by both, with the same length
    size_t bytes = 0;
    size_t stopped = 0;       // walks that ended early: both refused the same bytes
    std::vector<Unknown> unknown;
    size_t unknown_agreed = 0;  // of `unknown`, those objdump decodes with the same length
    std::vector<std::string> disagreements;
};

std::string hex_bytes(const uint8_t* p, size_t n) {
    std::string s;
    char b[4];
    for (size_t i = 0; i < n; ++i) {
        snprintf(b, sizeof b, "%02x", p[i]);
        s += (i ? " " : "") + std::string(b);
    }
    return s;
}

// Walks code[0..size) (a function at `addr`) with Capstone and the decoder side by side.
void walk(csh h, const std::string& fn, const uint8_t* code, size_t size, uint64_t addr, Totals& t) {
    ++t.functions;
    size_t off = 0;
    cs_insn* insn = cs_malloc(h);
    while (off < size) {
        const uint8_t* p = code + off;
        size_t left = size - off;
        uint64_t a = addr + off;
        const bool cs_ok = cs_disasm_iter(h, &p, &left, &a, insn);
        const InsnLength ours = insn_length(code + off, size - off);
        const size_t cs_len = cs_ok ? insn->size : 0;
        const size_t our_len = ours.status == InsnStatus::ok ? ours.len : 0;
        if (cs_len == our_len) {
            if (!cs_len) {  // neither decodes: data, or code cut by the symbol's end
                ++t.stopped;
                break;
            }
            ++t.instructions;
            t.bytes += cs_len;
            off += cs_len;
            continue;
        }
        if (!cs_ok) {
            t.unknown.push_back({fn + "+" + std::to_string(off),
                                 std::vector<uint8_t>(code + off, code + off + our_len)});
            off += our_len;
            continue;
        }
        std::string line = fn + "+" + std::to_string(off) + ": " +
                           hex_bytes(code + off, std::min<size_t>(15, size - off)) + ": capstone " +
                           std::to_string(cs_len) + (cs_ok ? std::string(" (") + insn->mnemonic + " " + insn->op_str + ")" : "") +
                           ", decoder " + std::to_string(our_len) + " (status " +
                           std::to_string(static_cast<int>(ours.status)) + ")";
        t.disagreements.push_back(line);
        const size_t step = cs_len ? cs_len : our_len;
        if (!step)
            break;
        off += step;
    }
    cs_free(insn, 1);
}

// Has objdump decode each of `t.unknown`, each followed by 15 one-byte NOPs so that a length
// objdump sees differently cannot shift the next one; records the agreements and disagreements.
void check_unknown_with_objdump(Totals& t) {
    if (t.unknown.empty())
        return;
    char path[] = "/tmp/insn-corpus-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::vector<size_t> starts;
    std::vector<uint8_t> blob;
    for (const Unknown& u : t.unknown) {
        starts.push_back(blob.size());
        blob.insert(blob.end(), u.bytes.begin(), u.bytes.end());
        blob.insert(blob.end(), kMaxInsnLength, 0x90);
    }
    REQUIRE(write(fd, blob.data(), blob.size()) == static_cast<ssize_t>(blob.size()));
    close(fd);
    const std::string cmd = std::string("objdump -D -b binary -m i386:x86-64 --insn-width=16 ") + path;
    FILE* f = popen(cmd.c_str(), "r");
    REQUIRE(f);
    std::map<size_t, size_t> length_at;  // objdump's instruction lengths by offset
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long off;
        int used = 0;
        if (sscanf(line, " %lx:\t%n", &off, &used) != 1 || !used)
            continue;
        size_t n = 0;
        // The bytes column: "f3 0f 38 f8 3e", padded with spaces up to a tab.
        for (const char* p = line + used; isxdigit(p[0]) && isxdigit(p[1]); p += 3) {
            ++n;
            if (p[2] != ' ')
                break;
        }
        length_at[off] = n;
    }
    REQUIRE(pclose(f) == 0);
    unlink(path);
    for (size_t i = 0; i < t.unknown.size(); ++i) {
        const Unknown& u = t.unknown[i];
        auto it = length_at.find(starts[i]);
        const size_t theirs = it == length_at.end() ? 0 : it->second;
        if (theirs == u.bytes.size()) {
            ++t.unknown_agreed;
            ++t.instructions;
            t.bytes += theirs;
            continue;
        }
        t.disagreements.push_back(u.where + ": " + hex_bytes(u.bytes.data(), u.bytes.size()) +
                                  ": capstone 0, objdump " + std::to_string(theirs) + ", decoder " +
                                  std::to_string(u.bytes.size()));
    }
}

// Every STT_FUNC symbol with a size in an executable PROGBITS section of the ELF file at `path`
// (aliases walked once).
Totals walk_image(const std::string& path) {
    Totals t;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        FAIL("missing image ", path, " (make test fetches it: make nested-packages, make build/release/bin/hosted-hypervisor)");
        return t;
    }
    REQUIRE(elf_version(EV_CURRENT) != EV_NONE);
    const int fd = open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    REQUIRE(elf);

    csh h;
    REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK);
    struct Text {
        uint64_t addr, size;
        const uint8_t* data;
    };
    std::map<size_t, Text> texts;  // executable PROGBITS sections by index
    std::set<std::pair<uint64_t, uint64_t>> seen;
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        REQUIRE(gelf_getshdr(scn, &sh));
        if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR)) {
            Elf_Data* d = elf_getdata(scn, nullptr);
            REQUIRE(d);
            REQUIRE(d->d_size == sh.sh_size);
            texts[elf_ndxscn(scn)] = {sh.sh_addr, sh.sh_size, static_cast<const uint8_t*>(d->d_buf)};
        }
    }
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        REQUIRE(gelf_getshdr(scn, &sh));
        if (sh.sh_type != SHT_SYMTAB)
            continue;
        Elf_Data* d = elf_getdata(scn, nullptr);
        REQUIRE(d);
        const size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; ++i) {
            GElf_Sym sym;
            REQUIRE(gelf_getsym(d, static_cast<int>(i), &sym));
            if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size)
                continue;
            auto text = texts.find(sym.st_shndx);
            if (text == texts.end())
                continue;
            const Text& x = text->second;
            REQUIRE(sym.st_value >= x.addr);
            REQUIRE(sym.st_value + sym.st_size <= x.addr + x.size);
            if (!seen.insert({sym.st_value, sym.st_size}).second)
                continue;
            walk(h, elf_strptr(elf, sh.sh_link, sym.st_name), x.data + (sym.st_value - x.addr), sym.st_size,
                 sym.st_value, t);
        }
    }
    cs_close(&h);
    elf_end(elf);
    close(fd);
    check_unknown_with_objdump(t);
    return t;
}

// Walks the image at `path`; `min_functions` and `min_instructions` guard against a walk that
// silently covers little (a stripped image, a wrong section filter).
void check_image(const char* label, const std::string& path, size_t min_functions, size_t min_instructions) {
    const Totals t = walk_image(path);
    printf("x86-64 decoder vs Capstone, %s (%s): %zu functions, %zu instructions (%zu bytes) compared "
           "(%zu of them unknown to Capstone 4 and compared with objdump), %zu walks stopped at bytes "
           "neither decodes, %zu disagreements\n",
           label, path.c_str(), t.functions, t.instructions, t.bytes, t.unknown.size(), t.stopped,
           t.disagreements.size());
    for (size_t i = 0; i < t.disagreements.size() && i < 50; ++i)
        printf("  %s\n", t.disagreements[i].c_str());
    CHECK(t.disagreements.empty());
    CHECK(t.unknown_agreed == t.unknown.size());
    CHECK(t.functions >= min_functions);
    CHECK(t.instructions >= min_instructions);
    CHECK(t.stopped * 100 < t.functions);  // walks (almost) never stop early
}

}  // namespace

TEST_SUITE("x86-64 decoder corpus") {

TEST_CASE("every instruction of Debian's Xen 4.17 xen-syms: the decoder and Capstone agree") {
    check_image("xen-syms", image_path("LP_XEN_SYMS", "nested/pkgroot/usr/lib/debug/boot/xen-syms-4.17-amd64"),
                4000, 400000);
}

TEST_CASE("every instruction of the hosted hypervisor's text: the decoder and Capstone agree") {
    check_image("hosted-hypervisor", image_path("LP_HOSTED_IMAGE", "release/bin/hosted-hypervisor"), 300, 30000);
}

}  // TEST_SUITE
