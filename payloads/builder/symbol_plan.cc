#include "symbol_plan.h"

#include <elf.h>

namespace livepatch::build {

namespace {

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// An AArch64 mapping symbol ($x code, $d data, optionally ".<suffix>"): marks where code and
// data start in a section, is never referenced, and is left out of the hypervisor's symbol table
// by name, so it keeps its name.
bool mapping_symbol(uint16_t machine, const std::string& name) {
    return machine == EM_AARCH64 && name.size() >= 2 && name[0] == '$' && (name[1] == 'x' || name[1] == 'd') &&
           (name.size() == 2 || name[2] == '.');
}

bool renamable_local(uint16_t machine, const ObjSymbol& s) {
    return !mapping_symbol(machine, s.name) && s.bind == STB_LOCAL && s.defined() && !s.name.empty() && s.shndx < SHN_LORESERVE &&
           (s.type == STT_FUNC || s.type == STT_OBJECT || s.type == STT_NOTYPE) && s.name.rfind(".L", 0) != 0 &&
           !is_metadata_symbol(s.name);
}

const char* kDataRule =
    ": a live patch cannot change an existing data object in place (the hypervisor's code keeps using the "
    "old one); declare it `extern` to use the hypervisor's, and keep new state in new variables (set up by a "
    "load hook, or a shadow variable)";

// The image's data object that a payload static `name` of `o` would be a changed copy of: a
// static of the same name in a hypervisor source with the same file name.
const ImageSymbol* same_file_static_object(const TargetImage& image, const SourceObject& o, const std::string& name) {
    for (const ImageSymbol* s : image.statics_named(name))
        if (s->object && base_name(s->file) == o.file_name)
            return s;
    return nullptr;
}

class Planner {
public:
    Planner(const std::vector<SourceObject>& objects, const std::vector<RecordSource>& records,
            const TargetImage& image, const DependsPayload* depends, Problems& problems)
        : m_objects(objects), m_image(image), m_depends(depends), m_problems(problems) {
        for (const RecordSource& r : records)
            if (!r.nop)
                m_overriding.insert({r.object, r.new_symbol});
        for (const SourceObject& o : objects)
            for (const ObjSymbol& s : o.elf.symbols())
                if (s.defined() && s.bind != STB_LOCAL && !s.name.empty() && s.type != STT_SECTION &&
                    s.type != STT_FILE)
                    m_payload_globals.insert(s.name);
        m_plan.renames.resize(objects.size());
    }

    SymbolPlan run() {
        for (size_t i = 0; i < m_objects.size(); ++i) {
            for (const ObjSymbol& s : m_objects[i].elf.symbols()) {
                if (s.index == 0 || s.type == STT_SECTION || s.type == STT_FILE || s.name.empty())
                    continue;
                if (!s.defined())
                    undefined(i, s);
                else if (s.bind == STB_LOCAL)
                    local(i, s);
                else
                    global(i, s);
            }
        }
        return std::move(m_plan);
    }

private:
    std::string in(size_t i) const { return m_objects[i].source + ": "; }
    bool overriding(size_t i, const std::string& name) const { return m_overriding.count({i, name}) > 0; }
    bool in_depends(const std::string& name) const { return m_depends && m_depends->symbols.count(name); }
    std::string not_found(const std::string& name) const {
        return "undefined symbol " + name + ": not in " + m_image.path() +
               (m_depends ? " nor in " + m_depends->path : "") +
               (m_depends ? " (a payload can use only what the hypervisor and the payload it depends on define)"
                          : " (a payload can use only what the hypervisor defines; for a symbol of another payload, "
                            "build with --depends that payload)");
    }

    void undefined(size_t i, const ObjSymbol& s) {
        if (m_payload_globals.count(s.name) || in_depends(s.name))
            return;
        if (m_image.find(s.name))
            return;  // a global, or "file#name" written with LIVEPATCH_STATIC_SYMBOL
        if (s.name.find('#') != std::string::npos) {
            m_problems.add(in(i) + not_found(s.name));
            return;
        }
        const std::vector<const ImageSymbol*> statics = m_image.statics_named(s.name);
        if (statics.empty()) {
            m_problems.add(in(i) + not_found(s.name));
        } else if (statics.size() > 1) {
            std::string list;
            for (const ImageSymbol* t : statics)
                list += (list.empty() ? "" : ", ") + t->name;
            m_problems.add(in(i) + "undefined symbol " + s.name + " is ambiguous: " + m_image.path() + " has " +
                           std::to_string(statics.size()) + " statics named " + s.name + " (" + list +
                           "); name one on its declaration with LIVEPATCH_STATIC_SYMBOL(\"" + statics[0]->file +
                           "\", " + s.name + ")");
        } else {
            m_plan.renames[i].push_back({s.name, statics[0]->name});
            m_plan.resolved_statics.push_back(in(i) + s.name + " -> " + statics[0]->name);
        }
    }

    void local(size_t i, const ObjSymbol& s) {
        if (!renamable_local(m_objects[i].elf.machine(), s))
            return;
        const SourceObject& o = m_objects[i];
        const std::string renamed = o.file_name + "#" + s.name;
        if (s.type == STT_OBJECT) {
            if (const ImageSymbol* t = same_file_static_object(m_image, o, s.name)) {
                m_problems.add(in(i) + "defines static data object " + s.name + ", and " + m_image.path() +
                               " has the data object " + t->name + kDataRule);
                return;
            }
        }
        const ImageSymbol* clash = m_image.find(renamed);
        if (clash && !overriding(i, s.name)) {
            m_problems.add(in(i) + "static " + s.name + " would be named " + renamed + ", which " + m_image.path() +
                           " already has: LIVEPATCH_REPLACE it, declare it without a body to use the "
                           "hypervisor's, or rename it");
            return;
        }
        if (in_depends(renamed)) {
            m_problems.add(in(i) + "static " + s.name + " would be named " + renamed + ", which " +
                           m_depends->path + " already defines: rename the source file or the static");
            return;
        }
        m_plan.renames[i].push_back({s.name, renamed});
        ++m_plan.statics_renamed;
    }

    void global(size_t i, const ObjSymbol& s) {
        if (s.shndx == SHN_COMMON) {
            m_problems.add(in(i) + s.name + " is a common symbol, which Xen refuses: give it an initialiser or "
                                            "compile with -fno-common");
            return;
        }
        if (is_metadata_symbol(s.name))
            return;
        const ImageSymbol* t = m_image.find(s.name);
        if (t && s.type == STT_OBJECT && t->object) {
            m_problems.add(in(i) + "defines data object " + s.name + ", and " + m_image.path() +
                           " has the data object " + t->name + kDataRule);
            return;
        }
        if (t && !overriding(i, s.name)) {
            m_problems.add(in(i) + "defines " + (s.type == STT_FUNC ? "function " : "") + s.name + ", which " +
                           m_image.path() + " already has: only the function named by LIVEPATCH_REPLACE(" +
                           s.name + ") may take a hypervisor symbol's name (make it static, or rename it)");
            return;
        }
        if (in_depends(s.name) && !overriding(i, s.name))
            m_problems.add(in(i) + "defines " + s.name + ", which " + m_depends->path +
                           " already defines: the hypervisor refuses a second definition (-EEXIST)");
    }

    const std::vector<SourceObject>& m_objects;
    const TargetImage& m_image;
    const DependsPayload* m_depends;
    Problems& m_problems;
    std::set<std::pair<size_t, std::string>> m_overriding;
    std::set<std::string> m_payload_globals;
    SymbolPlan m_plan;
};

}  // namespace

bool is_metadata_symbol(const std::string& name) { return name.find("__livepatch_") != std::string::npos; }

SymbolPlan plan_symbols(const std::vector<SourceObject>& objects, const std::vector<RecordSource>& records,
                        const TargetImage& image, const DependsPayload* depends, Problems& problems) {
    return Planner(objects, records, image, depends, problems).run();
}

}  // namespace livepatch::build
