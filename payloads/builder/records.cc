#include "records.h"

#include <elf.h>
#include <string.h>

#include <map>

#include "insn_bounds.h"

namespace livepatch::build {

namespace {

constexpr size_t kRecordSize = 104;
constexpr uint32_t kEndbrSize = 4;       // ENDBR64, kept in front of the jump
constexpr uint32_t kMaxNop = 31;         // Xen keeps the NOPs in a 31-byte buffer
constexpr uint32_t kMaxExpect = 31;
constexpr uint32_t kA64InsnSize = 4;     // AArch64: every instruction is one 32-bit word

uint32_t load_u32(const std::vector<uint8_t>& b, size_t at) {
    uint32_t v = 0;
    if (at + 4 <= b.size())
        memcpy(&v, b.data() + at, 4);
    return v;
}

bool all_zero(const std::vector<uint8_t>& b, size_t at, size_t len) {
    for (size_t i = at; i < at + len && i < b.size(); ++i)
        if (b[i])
            return false;
    return true;
}

std::string in_source(const SourceObject& o) { return o.source + ": "; }

// The payload function defined (as a global) by any object, or nullptr.
const ObjSymbol* global_function(const std::vector<SourceObject>& objects, const std::string& name) {
    for (const SourceObject& o : objects)
        for (const ObjSymbol& s : o.elf.symbols())
            if (s.name == name && s.defined() && s.bind != STB_LOCAL && s.type == STT_FUNC)
                return &s;
    return nullptr;
}

// Fills r.new_symbol and r.new_size from the new_addr relocation `rel`; false with a problem when
// the replacement is not a function defined in the payload's sources.
bool read_replacement(const std::vector<SourceObject>& objects, const SourceObject& o, const ObjReloc& rel,
                      RecordSource* r, Problems& problems) {
    const ObjSymbol& sym = o.elf.symbols().at(rel.symbol);
    const ObjSymbol* fn = nullptr;
    if (sym.type == STT_SECTION)
        fn = o.elf.symbol_covering(sym.shndx, static_cast<uint64_t>(rel.addend));
    else if (sym.defined())
        fn = &sym;
    else
        fn = global_function(objects, sym.name);
    const std::string name = fn ? fn->name : sym.name;
    if (!fn) {
        problems.add(in_source(o) + r->label() + ": " + name +
                     " is not defined in the payload's sources: the replacement must be defined (with the "
                     "same name and signature as the hypervisor function) before LIVEPATCH_REPLACE; as it "
                     "stands the record would patch the hypervisor's function with itself");
        return false;
    }
    if (fn->type != STT_FUNC || (sym.type != STT_SECTION && rel.addend != 0)) {
        problems.add(in_source(o) + r->label() + ": " + name + " is not a function");
        return false;
    }
    r->new_symbol = fn->name;
    r->new_size = static_cast<uint32_t>(fn->size);
    return true;
}

void read_object_records(const std::vector<SourceObject>& objects, size_t oi, std::vector<RecordSource>* out,
                         Problems& problems) {
    const SourceObject& o = objects[oi];
    const ObjSection* funcs = o.elf.section(".livepatch.funcs");
    if (!funcs)
        return;
    const ObjSection* strings = o.elf.section(".livepatch.strings");
    if (funcs->size % kRecordSize) {
        problems.add(in_source(o) + ".livepatch.funcs is " + std::to_string(funcs->size) +
                     " bytes, not a multiple of the 104-byte record: write records with LIVEPATCH_REPLACE and "
                     "LIVEPATCH_NOP only");
        return;
    }
    for (size_t i = 0; i < funcs->size / kRecordSize; ++i) {
        const size_t base = i * kRecordSize;
        RecordSource r;
        r.object = oi;
        r.index = i;
        const ObjReloc* name_rel = o.elf.relocation_at(funcs->index, base);
        const ObjSymbol* name_sym = name_rel ? &o.elf.symbols().at(name_rel->symbol) : nullptr;
        if (!name_sym || !strings || name_sym->shndx != strings->index) {
            problems.add(in_source(o) + "record " + std::to_string(i) +
                         " of .livepatch.funcs was not made by LIVEPATCH_REPLACE or LIVEPATCH_NOP (its name is "
                         "not in .livepatch.strings): use the macros of livepatch/payload.h");
            continue;
        }
        const auto written = o.elf.string_at(strings->index, name_sym->value + static_cast<uint64_t>(name_rel->addend));
        if (!written || written->empty()) {
            problems.add(in_source(o) + "record " + std::to_string(i) + ": its name is not a string");
            continue;
        }
        r.written = *written;
        const ObjReloc* new_rel = o.elf.relocation_at(funcs->index, base + 8);
        r.nop = !new_rel && all_zero(funcs->bytes, base + 8, 8);
        if (r.nop)
            r.new_size = load_u32(funcs->bytes, base + 24);
        else if (!new_rel || !read_replacement(objects, o, *new_rel, &r, problems)) {
            if (!new_rel)
                problems.add(in_source(o) + r.label() + ": new_addr is a literal address; use the macros");
            continue;
        }
        if (o.elf.relocation_at(funcs->index, base + 16) || !all_zero(funcs->bytes, base + 16, 8)) {
            problems.add(in_source(o) + r.label() +
                         ": old_addr is set; the hypervisor resolves the target by name (leave it 0)");
            continue;
        }
        if (funcs->bytes[base + 32] != 2 || !all_zero(funcs->bytes, base + 33, 39) ||
            !all_zero(funcs->bytes, base + 72, 32)) {
            problems.add(in_source(o) + r.label() +
                         ": the record's version is not 2 or its reserved bytes or expectation are not zero; use "
                         "the macros (livepatch-build --expect fills expectations)");
            continue;
        }
        out->push_back(r);
    }
}

// The target of record `r` in the image, or nullptr with a problem.
const ImageSymbol* find_target(const SourceObject& o, const RecordSource& r, const TargetImage& image,
                               Problems& problems) {
    const std::string where = in_source(o) + r.label() + ": ";
    const ImageSymbol* t = nullptr;
    if (r.written.find('#') != std::string::npos) {
        t = image.find(r.written);
    } else {
        // The global of that name; for a C++ replacement, the global its (mangled) symbol names.
        for (const std::string& name : {r.written, r.new_symbol}) {
            const ImageSymbol* s = name.empty() ? nullptr : image.find(name);
            if (s && !t)
                t = s;
        }
        if (!t) {
            std::vector<const ImageSymbol*> statics = image.statics_named(r.written);
            if (statics.empty() && !r.new_symbol.empty() && r.new_symbol != r.written)
                statics = image.statics_named(r.new_symbol);
            if (statics.size() > 1) {
                std::string list;
                for (const ImageSymbol* s : statics)
                    list += (list.empty() ? "" : ", ") + s->name;
                problems.add(where + "ambiguous: " + image.path() + " has " + std::to_string(statics.size()) +
                             " static functions named " + r.written + " (" + list +
                             "); choose one with LIVEPATCH_" + (r.nop ? "NOP" : "REPLACE") + "_IN(\"" +
                             statics[0]->file + "\", " + r.written + (r.nop ? ", len" : "") + ")");
                return nullptr;
            }
            if (statics.size() == 1)
                t = statics[0];
        }
    }
    if (!t) {
        problems.add(where + "no function " + r.written + " in " + image.path());
        return nullptr;
    }
    if (!t->function) {
        problems.add(where + t->name + " in " + image.path() + " is " + (t->object ? "a data object" : "not a function") +
                     ", not a function: only functions can be patched");
        return nullptr;
    }
    if (t->size == 0) {
        problems.add(where + t->name + " has no size in the symbol table of " + image.path() +
                     ": its old_size is unknown");
        return nullptr;
    }
    return t;
}

// Xen's rules for a NOP patch of `r.new_size` bytes on the target of `p`: 1 to 31 bytes within
// the function; on x86-64 ending on an instruction boundary (capstone) and past a kept ENDBR64;
// on AArch64 a multiple of 4 (whole instructions). False with a problem otherwise.
bool nop_fits(const RecordSource& r, const RecordPlan& p, const std::vector<uint8_t>& code,
              const std::string& size_text, TargetArch arch, const std::string& where, Problems& problems) {
    const uint32_t len = r.new_size;
    if (arch == TargetArch::kAArch64 && (len == 0 || len > kMaxNop || len % kA64InsnSize)) {
        problems.add(where + "an AArch64 NOP patch covers whole 4-byte instructions, at most 31 bytes: 4, 8, ... 28");
        return false;
    }
    if (len == 0 || len > kMaxNop) {
        problems.add(where + "a NOP patch covers 1 to " + std::to_string(kMaxNop) + " bytes");
        return false;
    }
    if (len > p.old_size) {
        problems.add(where + "the NOPs would run past the end of the function: " + size_text);
        return false;
    }
    if (arch == TargetArch::kAArch64)
        return true;  // fixed-width instructions: every multiple of 4 is a boundary
    if (len <= p.patch_offset) {
        problems.add(where + p.target + " starts with ENDBR64, which is kept: the length counts from the "
                     "start of the function, so it must be more than 4");
        return false;
    }
    const std::vector<uint32_t> ends = instruction_ends(code, std::min(p.old_size, kMaxNop));
    bool boundary = false;
    std::string list;
    for (uint32_t e : ends) {
        boundary = boundary || e == len;
        if (e <= kMaxNop && e <= p.old_size)
            list += (list.empty() ? "" : ", ") + std::to_string(e);
    }
    if (!boundary) {
        problems.add(where + "the NOPs would end inside an instruction of " + p.target +
                     " (its instructions end at offsets " + list + ")");
        return false;
    }
    return true;
}

}  // namespace

std::string RecordSource::label() const {
    if (nop)
        return "LIVEPATCH_NOP(" + written + ", " + std::to_string(new_size) + ")";
    return "LIVEPATCH_REPLACE(" + written + ")";
}

std::vector<RecordSource> read_records(const std::vector<SourceObject>& objects, Problems& problems) {
    std::vector<RecordSource> out;
    for (size_t i = 0; i < objects.size(); ++i)
        read_object_records(objects, i, &out, problems);
    return out;
}

std::vector<RecordPlan> plan_records(const std::vector<SourceObject>& objects,
                                     const std::vector<RecordSource>& records, const TargetImage& image, bool expect,
                                     Problems& problems) {
    std::vector<RecordPlan> plans;
    std::map<std::string, std::string> seen;  // target -> label of the record patching it
    const TargetArch arch = image.arch();
    const uint32_t jump = jump_size(arch);
    for (const RecordSource& r : records) {
        const SourceObject& o = objects[r.object];
        const ImageSymbol* t = find_target(o, r, image, problems);
        if (!t)
            continue;
        const std::string where = in_source(o) + r.label() + ": ";
        RecordPlan p;
        p.src = r;
        p.target = t->name;
        p.target_addr = t->addr;
        p.old_size = static_cast<uint32_t>(t->size);
        const std::vector<uint8_t> code = image.code_at(t->addr, std::min<uint64_t>(t->size, 64));
        const bool endbr = arch == TargetArch::kX86_64 && p.old_size >= kEndbrSize && starts_with_endbr64(code);
        p.patch_offset = endbr ? kEndbrSize : 0;
        const std::string size_text = t->name + " is " + std::to_string(p.old_size) + " bytes";
        if (!r.nop) {
            const uint32_t needed = p.patch_offset + jump;
            if (p.old_size < needed) {
                problems.add(where + size_text + ", too small for the jump: patching needs at least " +
                             std::to_string(needed) + " bytes" +
                             (arch == TargetArch::kAArch64 ? " (the 4-byte B instruction)"
                              : endbr                      ? " (5 for the jump after its 4-byte ENDBR64)"
                                                           : " (the 5-byte jump)"));
                continue;
            }
        } else if (!nop_fits(r, p, code, size_text, arch, where, problems)) {
            continue;
        }
        if (auto [it, fresh] = seen.emplace(p.target, r.label()); !fresh) {
            problems.add(where + t->name + " is already patched by " + it->second +
                         ": a payload patches a function once");
            continue;
        }
        if (expect) {
            const uint32_t len = r.nop ? r.new_size : p.patch_offset + jump;
            p.expect = image.code_at(t->addr, std::min(len, kMaxExpect));
            if (p.expect.size() != len) {
                problems.add(where + "the image has no bytes at " + t->name + " to expect");
                continue;
            }
        }
        plans.push_back(std::move(p));
    }
    return plans;
}

}  // namespace livepatch::build
