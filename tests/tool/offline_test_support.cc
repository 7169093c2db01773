#include "tool/offline_test_support.h"

#include <dirent.h>
#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "../../xl-tool/offline/commands.h"
#include "../../xl-tool/offline/payload_info.h"

namespace livepatch::tool::offline::test {

Env::Env() {
    const char* h = getenv("LP_HOSTED_BIN");
    const char* p = getenv("LP_TOOL_PAYLOADS");
    hosted = h ? h : "";
    payloads = p ? p : "";
    if (!ok()) {
        MESSAGE("LP_HOSTED_BIN or LP_TOOL_PAYLOADS is not set: offline tests skipped");
        return;
    }
    for (const char* stem : {"offline_compute", "offline_expect", "offline_hooks"})
        REQUIRE_MESSAGE(access(payload(stem).c_str(), R_OK) == 0, "missing payload " << payload(stem));
}

Output info(const std::string& payload, bool json) {
    std::ostringstream out, err;
    Output o;
    o.rc = run_info(payload, json, out, err);
    o.out = out.str();
    o.err = err.str();
    return o;
}

Output check(const std::string& payload, const std::string& image, bool json) {
    std::ostringstream out, err;
    Output o;
    o.rc = run_check(payload, image, json, out, err);
    o.out = out.str();
    o.err = err.str();
    return o;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/lp-offline-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    m_path = tmpl;
}

TempDir::~TempDir() {
    if (DIR* d = opendir(m_path.c_str())) {
        while (dirent* e = readdir(d)) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlink((m_path + "/" + e->d_name).c_str());
        }
        closedir(d);
    }
    rmdir(m_path.c_str());
}

std::string TempDir::write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string p = m_path + "/" + name;
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
    return p;
}

EnvVar::EnvVar(const char* name) : m_name(name) {
    if (const char* v = getenv(name))
        m_value = v;
}

EnvVar::~EnvVar() {
    if (m_value)
        setenv(m_name, m_value->c_str(), 1);
    else
        unsetenv(m_name);
}

std::vector<uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string run(const std::string& command) {
    FILE* f = popen(command.c_str(), "r");
    REQUIRE(f != nullptr);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        out.append(buf, n);
    REQUIRE_MESSAGE(pclose(f) == 0, command);
    return out;
}

std::string readelf_build_id(const std::string& elf) {
    const std::string out = run("readelf -n " + elf);
    const size_t at = out.find("Build ID: ");
    REQUIRE(at != std::string::npos);
    const size_t start = at + strlen("Build ID: ");
    return out.substr(start, out.find('\n', start) - start);
}

uint64_t section_size(const std::string& readelf_sections, const std::string& name) {
    std::istringstream in(readelf_sections);
    for (std::string line; std::getline(in, line);) {
        const size_t close = line.find("] ");
        if (line.find("  [") != 0 || close == std::string::npos)
            continue;
        std::istringstream fields(line.substr(close + 2));
        std::string sname, type, addr, off, size;
        fields >> sname >> type >> addr >> off >> size;
        if (sname == name)
            return std::stoull(size, nullptr, 16);
    }
    FAIL("no section " << name);
    return 0;
}

size_t count_lines_matching(const std::string& text, const std::string& needle) {
    std::istringstream in(text);
    size_t n = 0;
    for (std::string line; std::getline(in, line);)
        n += line.find(needle) != std::string::npos;
    return n;
}

std::string first_static_function(const std::string& elf) {
    std::istringstream in(run("readelf -sW " + elf));
    bool symtab = false;
    std::string file;
    for (std::string line; std::getline(in, line);) {
        if (line.find("Symbol table '") == 0) {
            symtab = line.find("'.symtab'") != std::string::npos;
            continue;
        }
        std::istringstream fields(line);
        std::string num, value, size, type, bind, vis, ndx, name;
        if (!symtab || !(fields >> num >> value >> size >> type >> bind >> vis >> ndx >> name))
            continue;
        if (type == "FILE")
            file = name;
        else if (type == "FUNC" && bind == "LOCAL" && !file.empty() && ndx != "UND" && ndx != "ABS" &&
                 name.find('.') == std::string::npos)
            return file + "#" + name;
    }
    return "";
}

std::vector<std::string> list_payloads(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            const std::string n = e->d_name;
            if (n.size() > 10 && n.compare(n.size() - 10, 10, ".livepatch") == 0)
                out.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string flip_note_desc(const std::string& payload, std::vector<uint8_t>* bytes, const std::string& section) {
    std::string error;
    const auto info = read_payload_info(payload, &error);
    REQUIRE_MESSAGE(info, error);
    const SectionInfo* s = info->find_section(section);
    REQUIRE(s != nullptr);
    uint32_t hdr[3];
    memcpy(hdr, bytes->data() + s->offset, sizeof(hdr));
    REQUIRE(hdr[0] == 4);
    const uint64_t desc = s->offset + 12 + 4;
    (*bytes)[desc + hdr[1] - 1] ^= 0xff;
    return to_hex(bytes->data() + desc, hdr[1]);
}

void set_note_desc(const std::string& payload, std::vector<uint8_t>* bytes, const std::string& section,
                   const std::string& hex) {
    std::string error;
    const auto info = read_payload_info(payload, &error);
    REQUIRE_MESSAGE(info, error);
    const SectionInfo* s = info->find_section(section);
    REQUIRE(s != nullptr);
    uint32_t hdr[3];
    memcpy(hdr, bytes->data() + s->offset, sizeof(hdr));
    REQUIRE(hdr[0] == 4);
    REQUIRE(hdr[1] * 2 == hex.size());
    for (uint32_t i = 0; i < hdr[1]; ++i)
        (*bytes)[s->offset + 16 + i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
}

std::string build_fake_xen_syms(const std::string& dir) {
    const std::string src = dir + "/version.c";
    std::ofstream(src) << "static const char extra[] = \"-fake\";\n"
                          "static int __attribute__((noinline, used)) helper(int x) { return x * 7; }\n"
                          "const char *xen_extra_version(void) { return extra + helper(0); }\n"
                          "long do_compute(long x) { return 2 * x + 1; }\n"
                          "void _start(void) { for (;;) ; }\n";
    const std::string image = dir + "/xen-syms";
    run("cd " + dir + " && gcc -O2 -fpic -fvisibility=hidden -fcf-protection=none -ffreestanding -c version.c -o "
        "version.o && ld -static -nostdlib --build-id=sha1 -Ttext-segment=0xffff82d040200000 -z max-page-size=4096 "
        "-e _start -o xen-syms version.o");
    return image;
}

const nlohmann::json& find_check(const nlohmann::json& report, const std::string& name) {
    for (const nlohmann::json& c : report["checks"]) {
        if (c["name"] == name)
            return c;
    }
    static const nlohmann::json none = {{"name", name}, {"ok", nullptr}, {"status", "absent"}, {"detail", ""}};
    FAIL_CHECK("no check called " << name << " in " << report.dump());
    return none;
}

bool has_check(const nlohmann::json& report, const std::string& name) {
    for (const nlohmann::json& c : report["checks"]) {
        if (c["name"] == name)
            return true;
    }
    return false;
}

}  // namespace livepatch::tool::offline::test
