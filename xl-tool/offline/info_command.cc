// `xen-livepatch info <payload-file>`: what a payload contains, as text or JSON.
#include <elf.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "offline.h"
#include "payload_info.h"

namespace livepatch::tool::offline {

namespace {

using nlohmann::json;

// Names come from untrusted files: bytes that are not UTF-8 are replaced, not thrown about.
std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

std::string section_type(uint32_t t) {
    switch (t) {
    case SHT_NULL: return "NULL";
    case SHT_PROGBITS: return "PROGBITS";
    case SHT_SYMTAB: return "SYMTAB";
    case SHT_STRTAB: return "STRTAB";
    case SHT_RELA: return "RELA";
    case SHT_HASH: return "HASH";
    case SHT_DYNAMIC: return "DYNAMIC";
    case SHT_NOTE: return "NOTE";
    case SHT_NOBITS: return "NOBITS";
    case SHT_REL: return "REL";
    case SHT_DYNSYM: return "DYNSYM";
    case SHT_INIT_ARRAY: return "INIT_ARRAY";
    case SHT_FINI_ARRAY: return "FINI_ARRAY";
    case SHT_GROUP: return "GROUP";
    case SHT_X86_64_UNWIND: return "X86_64_UNWIND";
    default: {
        std::ostringstream s;
        s << "0x" << std::hex << t;
        return s.str();
    }
    }
}

// readelf's flag letters (W write, A alloc, X execute, M merge, S strings, I info link, G group,
// T TLS, o OS specific...).
std::string section_flags(uint64_t f) {
    std::string s;
    if (f & SHF_WRITE) s += 'W';
    if (f & SHF_ALLOC) s += 'A';
    if (f & SHF_EXECINSTR) s += 'X';
    if (f & SHF_MERGE) s += 'M';
    if (f & SHF_STRINGS) s += 'S';
    if (f & SHF_INFO_LINK) s += 'I';
    if (f & SHF_LINK_ORDER) s += 'L';
    if (f & SHF_GROUP) s += 'G';
    if (f & SHF_TLS) s += 'T';
    if (f & SHF_EXCLUDE) s += 'E';
    return s;
}

json note_json(const BuildIdNote& n) {
    if (n.hex)
        return *n.hex;
    return nullptr;
}

std::string note_text(const BuildIdNote& n, const char* section) {
    if (n.hex)
        return *n.hex;
    if (!n.present)
        return std::string("none (no ") + section + " section)";
    return "unreadable (" + n.problem + ")";
}

json func_json(const FuncInfo& f) {
    json j = {
        {"index", f.index},
        {"name", f.old_name.empty() ? json(nullptr) : json(f.old_name)},
        {"name_ref", f.name.describe()},
        {"old_addr", f.old_addr.null() ? json(nullptr) : json(f.old_addr.describe())},
        {"target", f.target()},
        {"type", f.nop() ? "nop" : "jump"},
        {"new_function", f.nop() ? json(nullptr) : json(f.new_function.empty() ? f.new_addr.describe() : f.new_function)},
        {"new_size", f.new_size},
        {"old_size", f.old_size},
        {"version", f.version},
    };
    j["expectation"] = {{"enabled", f.expect_enabled()}, {"len", f.expect_len()},
                        {"reserved", (f.expect_flags >> 6) & 3}};
    if (f.expect_enabled()) {
        const size_t n = std::min<size_t>(f.expect_len(), f.expect_data.size());
        j["expectation"]["data"] = to_hex(f.expect_data.data(), n);
    }
    return j;
}

json info_json(const PayloadInfo& info) {
    json j;
    j["file"] = info.path;
    j["size"] = info.file_size;
    j["machine"] = machine_name(info.machine);
    j["relocatable"] = info.elf_type == ET_REL;
    j["build_id"] = note_json(info.build_id);
    j["depends"] = note_json(info.depends);
    j["xen_depends"] = note_json(info.xen_depends);
    j["functions"] = json::array();
    j["targets"] = json::array();
    for (const FuncInfo& f : info.funcs) {
        j["functions"].push_back(func_json(f));
        j["targets"].push_back(f.target());
    }
    j["hooks"] = json::array();
    for (const HookInfo& h : info.hooks)
        j["hooks"].push_back({{"section", h.section}, {"kind", h.kind}, {"count", h.count}, {"functions", h.functions}});
    j["undefined_symbols"] = info.undefined_symbols;
    j["sizes"] = {{"file", info.file_size}, {"text", info.text_size}, {"rw", info.rw_size}, {"ro", info.ro_size}};
    j["safe_to_reapply"] = info.safe_to_reapply;
    j["modinfo"] = info.modinfo;
    j["sections"] = json::array();
    for (const SectionInfo& s : info.sections)
        j["sections"].push_back({{"index", s.index}, {"name", s.name}, {"type", section_type(s.type)},
                                 {"flags", section_flags(s.flags)}, {"size", s.size}, {"align", s.align}});
    j["relocations"] = json::object();
    for (const auto& [type, count] : info.relocations)
        j["relocations"][type] = count;
    j["problems"] = info.problems;
    return j;
}

void print_func(std::ostream& out, const FuncInfo& f) {
    out << "  [" << f.index << "] " << f.target() << " -> ";
    if (f.nop())
        out << "NOP " << f.new_size << " bytes";
    else
        out << (f.new_function.empty() ? f.new_addr.describe() : f.new_function) << " (jump, new_size " << f.new_size
            << ")";
    out << ", old_size " << f.old_size;
    if (f.version != 2)
        out << ", version " << unsigned(f.version);
    out << "\n      expectation: ";
    if (!f.expect_enabled())
        out << "none\n";
    else
        out << f.expect_len() << " bytes "
            << to_hex(f.expect_data.data(), std::min<size_t>(f.expect_len(), f.expect_data.size())) << "\n";
}

void print_info(std::ostream& out, const PayloadInfo& info) {
    auto row = [&](const char* label) -> std::ostream& { return out << std::left << std::setw(15) << label; };
    row("Payload:") << info.path << " (" << info.file_size << " bytes, " << machine_name(info.machine)
                    << (info.elf_type == ET_REL ? " relocatable object" : ", not a relocatable object") << ")\n";
    row("Build-id:") << note_text(info.build_id, ".note.gnu.build-id") << "\n";
    row("Depends:") << note_text(info.depends, ".livepatch.depends") << "\n";
    row("Xen depends:") << note_text(info.xen_depends, ".livepatch.xen_depends") << "\n";
    row("Functions:") << info.funcs.size() << "\n";
    for (const FuncInfo& f : info.funcs)
        print_func(out, f);
    row("Hooks:") << (info.hooks.empty() ? "none" : std::to_string(info.hooks.size()) + " section(s)") << "\n";
    for (const HookInfo& h : info.hooks) {
        out << "  " << h.section << ": " << h.count;
        for (size_t i = 0; i < h.functions.size(); ++i)
            out << (i ? ", " : " (") << h.functions[i] << (i + 1 == h.functions.size() ? ")" : "");
        out << "\n";
    }
    row("Needs:");
    for (size_t i = 0; i < info.undefined_symbols.size(); ++i)
        out << (i ? ", " : "") << info.undefined_symbols[i];
    out << (info.undefined_symbols.empty() ? "nothing from the hypervisor\n" : "\n");
    row("Sizes:") << "text " << info.text_size << ", rw " << info.rw_size << ", ro " << info.ro_size << " bytes\n";
    row("Re-apply:") << (info.safe_to_reapply ? "safe (no writable data but .livepatch.funcs)"
                                              : "not safe (writable data): unload and upload again after a revert")
                     << "\n";
    row("Modinfo:") << (info.modinfo.empty() ? "none" : std::to_string(info.modinfo.size()) + " string(s)") << "\n";
    for (const std::string& m : info.modinfo)
        out << "  " << m << "\n";
    out << "Sections:\n  " << std::left << std::setw(5) << "[Nr]" << std::setw(28) << "Name" << std::setw(12) << "Type"
        << std::setw(6) << "Flags" << std::right << std::setw(10) << "Size" << std::setw(7) << "Align" << "\n";
    for (const SectionInfo& s : info.sections)
        out << "  " << std::left << std::setw(5) << ("[" + std::to_string(s.index) + "]") << std::setw(28) << s.name
            << std::setw(12) << section_type(s.type) << std::setw(6) << section_flags(s.flags) << std::right
            << std::setw(10) << s.size << std::setw(7) << s.align << "\n";
    out << std::left << "Relocations:" << (info.relocations.empty() ? " none" : "") << "\n";
    for (const auto& [type, count] : info.relocations)
        out << "  " << std::setw(26) << type << count << "\n";
    for (const std::string& p : info.problems)
        out << "Problem: " << p << "\n";
}

}  // namespace

int run_info(const std::string& payload_path, bool json_out, std::ostream& out, std::ostream& err) {
    std::string error;
    const std::optional<PayloadInfo> info = read_payload_info(payload_path, &error);
    if (!info) {
        err << "xen-livepatch: info: " << error << "\n";
        if (json_out)
            out << dump(json{{"file", payload_path}, {"error", error}}) << "\n";
        return 1;
    }
    if (json_out)
        out << dump(info_json(*info)) << "\n";
    else
        print_info(out, *info);
    return 0;
}

}  // namespace livepatch::tool::offline

namespace livepatch::tool {

int cmd_info(const std::string& payload_path, bool json) {
    return offline::run_info(payload_path, json, std::cout, std::cerr);
}

}  // namespace livepatch::tool
