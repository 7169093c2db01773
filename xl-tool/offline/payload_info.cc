// Reads a payload file with libelf: sections, symbols, relocations, the three build-id notes and
// the loader's region sizes. The records (.livepatch.funcs, hooks, .modinfo) are in
// payload_records.cc.
#include "payload_info.h"

#include <gelf.h>
#include <libelf.h>
#include <errno.h>
#include <string.h>

#include "file_limits.h"
#include "payload_elf.h"
#include "reloc_names.h"

namespace livepatch::tool::offline {

namespace {

// Closes a libelf handle on every path.
struct ElfHandle {
    Elf* elf = nullptr;
    ~ElfHandle() {
        if (elf)
            elf_end(elf);
    }
};

constexpr uint32_t kNoteGnuBuildId = 3;

// Reads the first NT_GNU_BUILD_ID note with name "GNU" of a note section.
BuildIdNote read_note(const ElfContents& elf, const char* name) {
    BuildIdNote note;
    const SectionInfo* s = elf.section(name);
    if (!s)
        return note;
    note.present = true;
    const uint8_t* p = elf.bytes[s->index];
    size_t left = p ? elf.byte_count[s->index] : 0;
    if (!p || left == 0) {
        note.problem = "the section is empty or cannot be read";
        return note;
    }
    while (left >= 12) {
        uint32_t hdr[3];
        memcpy(hdr, p, sizeof(hdr));
        const uint64_t name_room = (uint64_t{hdr[0]} + 3) & ~uint64_t{3};
        const uint64_t desc_room = (uint64_t{hdr[1]} + 3) & ~uint64_t{3};
        if (12 + name_room > left || hdr[1] > left - 12 - name_room) {
            note.problem = "the note's name and desc do not fit the section";
            return note;
        }
        if (hdr[2] == kNoteGnuBuildId && hdr[0] == 4 && !memcmp(p + 12, "GNU", 4)) {
            if (hdr[1] == 0)
                note.problem = "the build-id is empty";
            else
                note.hex = to_hex(p + 12 + name_room, hdr[1]);
            return note;
        }
        const uint64_t step = 12 + name_room + desc_room;
        if (step >= left)
            break;
        p += step;
        left -= step;
    }
    note.problem = "no NT_GNU_BUILD_ID note named \"GNU\"";
    return note;
}

void read_sections(Elf* elf, size_t shstrndx, ElfContents* out, PayloadInfo* info) {
    size_t n = 0;
    elf_getshdrnum(elf, &n);
    out->sections.resize(n);
    out->bytes.assign(n, nullptr);
    out->byte_count.assign(n, 0);
    for (size_t i = 1; i < n; ++i) {
        Elf_Scn* scn = elf_getscn(elf, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh)) {
            info->problems.push_back("section [" + std::to_string(i) + "]: unreadable header");
            continue;
        }
        SectionInfo& s = out->sections[i];
        s.index = static_cast<uint32_t>(i);
        s.name = printable(elf_strptr(elf, shstrndx, sh.sh_name));
        s.type = sh.sh_type;
        s.flags = sh.sh_flags;
        s.offset = sh.sh_offset;
        s.size = sh.sh_size;
        s.align = sh.sh_addralign;
        if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
            continue;
        Elf_Data* d = elf_rawdata(scn, nullptr);
        if (!d || d->d_size != sh.sh_size) {
            info->problems.push_back("section [" + std::to_string(i) + "] '" + s.name + "': data outside the file");
            continue;
        }
        out->bytes[i] = static_cast<const uint8_t*>(d->d_buf);
        out->byte_count[i] = d->d_size;
    }
}

void read_symbols(Elf* elf, ElfContents* out) {
    for (const SectionInfo& s : out->sections) {
        if (s.type != SHT_SYMTAB)
            continue;
        Elf_Scn* scn = elf_getscn(elf, s.index);
        GElf_Shdr sh;
        Elf_Data* d = scn && gelf_getshdr(scn, &sh) ? elf_getdata(scn, nullptr) : nullptr;
        // The count is the data's size over an Elf64_Sym's, whatever sh_entsize says.
        const size_t sym_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
        if (!d || d->d_type != ELF_T_SYM || !sym_size)
            return;
        const size_t count = d->d_size / sym_size;
        out->symbols.resize(count);
        for (size_t i = 1; i < count; ++i) {
            GElf_Sym sym;
            if (!gelf_getsym(d, static_cast<int>(i), &sym))
                continue;
            ElfSymbol& e = out->symbols[i];
            e.name = printable(elf_strptr(elf, sh.sh_link, sym.st_name));
            e.value = sym.st_value;
            e.size = sym.st_size;
            e.shndx = sym.st_shndx;
            e.type = static_cast<uint8_t>(GELF_ST_TYPE(sym.st_info));
            e.bind = static_cast<uint8_t>(GELF_ST_BIND(sym.st_info));
            if (e.type == STT_SECTION && e.name.empty() && e.shndx < out->sections.size())
                e.name = out->sections[e.shndx].name;
        }
        return;  // the loader refuses a second symbol table
    }
}

void read_relocations(Elf* elf, ElfContents* out, PayloadInfo* info) {
    for (const SectionInfo& s : out->sections) {
        if (s.type != SHT_RELA && s.type != SHT_REL)
            continue;
        Elf_Scn* scn = elf_getscn(elf, s.index);
        GElf_Shdr sh;
        Elf_Data* d = scn && gelf_getshdr(scn, &sh) ? elf_getdata(scn, nullptr) : nullptr;
        // The count is the data's size over a record's, whatever sh_entsize says.
        const Elf_Type t = s.type == SHT_RELA ? ELF_T_RELA : ELF_T_REL;
        const size_t rec_size = gelf_fsize(elf, t, 1, EV_CURRENT);
        if (!d || d->d_type != t || !rec_size)
            continue;
        const size_t count = d->d_size / rec_size;
        for (size_t i = 0; i < count; ++i) {
            GElf_Rela r{};
            if (s.type == SHT_RELA) {
                if (!gelf_getrela(d, static_cast<int>(i), &r))
                    continue;
            } else {
                GElf_Rel rel;
                if (!gelf_getrel(d, static_cast<int>(i), &rel))
                    continue;
                r.r_offset = rel.r_offset;
                r.r_info = rel.r_info;
            }
            const uint32_t type = static_cast<uint32_t>(GELF_R_TYPE(r.r_info));
            ++info->relocations[reloc_type_name(out->machine, type)];
            out->rela[sh.sh_info][r.r_offset] = {static_cast<uint32_t>(GELF_R_SYM(r.r_info)), type, r.r_addend};
        }
    }
}

// The loader's regions (core/loader/layout.cc): EXEC → text, WRITE → rw, the rest → ro; each
// section aligned as the loader aligns it.
void compute_sizes(const ElfContents& elf, PayloadInfo* info) {
    for (const SectionInfo& s : elf.sections) {
        if (!(s.flags & SHF_ALLOC))
            continue;
        uint64_t* region = (s.flags & SHF_EXECINSTR) ? &info->text_size
                           : (s.flags & SHF_WRITE)    ? &info->rw_size
                                                      : &info->ro_size;
        uint64_t align = s.align > 1 ? s.align : 1;
        if (align < 8 && s.name.compare(0, 11, ".livepatch.") == 0)
            align = 8;  // the loader aligns the records it reads as typed arrays
        *region = (*region + align - 1) / align * align + s.size;
        if ((s.flags & SHF_WRITE) && s.size && s.name != ".livepatch.funcs")
            info->safe_to_reapply = false;
    }
}

}  // namespace

std::optional<PayloadInfo> read_payload_info(const std::string& path, std::string* error) {
    std::vector<uint8_t> bytes;
    if (std::string e = read_payload_file(path, &bytes); !e.empty()) {
        *error = e;
        return std::nullopt;
    }
    return read_payload_info(path, bytes, error);
}

std::optional<PayloadInfo> read_payload_info(const std::string& path, const std::vector<uint8_t>& bytes,
                                             std::string* error) {
    if (bytes.size() > kMaxPayloadSize) {
        *error = path + ": larger than the payload limit of " + std::to_string(kMaxPayloadSize) +
                 " bytes (2 MiB, Xen's LIVEPATCH_MAX_SIZE)";
        return std::nullopt;
    }
    PayloadInfo info;
    info.path = path;
    info.file_size = bytes.size();
    if (elf_version(EV_CURRENT) == EV_NONE) {
        *error = "libelf is too old";
        return std::nullopt;
    }
    // libelf may write to the image it reads (it never should for ELF_C_READ, but take a copy).
    std::vector<char> image(bytes.begin(), bytes.end());
    ElfHandle h;
    h.elf = elf_memory(image.data(), image.size());
    if (!h.elf || elf_kind(h.elf) != ELF_K_ELF) {
        *error = path + ": not an ELF file";
        return std::nullopt;
    }
    if (gelf_getclass(h.elf) != ELFCLASS64) {
        *error = path + ": not an ELF64 object (payloads are ELF64 relocatable objects)";
        return std::nullopt;
    }
    GElf_Ehdr eh;
    size_t shstrndx = 0;
    if (!gelf_getehdr(h.elf, &eh) || elf_getshdrstrndx(h.elf, &shstrndx) != 0) {
        *error = path + ": cannot read the ELF header or section table: " + elf_errmsg(-1);
        return std::nullopt;
    }
    size_t nsections = 0;
    if (elf_getshdrnum(h.elf, &nsections) != 0 || eh.e_shoff > bytes.size() ||
        nsections > (bytes.size() - eh.e_shoff) / sizeof(Elf64_Shdr)) {
        *error = path + ": the section header table is not inside the file (truncated?)";
        return std::nullopt;
    }
    info.machine = eh.e_machine;
    info.elf_type = eh.e_type;

    ElfContents elf;
    elf.machine = eh.e_machine;
    read_sections(h.elf, shstrndx, &elf, &info);
    read_symbols(h.elf, &elf);
    elf.index_symbols();
    read_relocations(h.elf, &elf, &info);
    for (size_t i = 1; i < elf.symbols.size(); ++i) {
        const ElfSymbol& s = elf.symbols[i];
        if (s.shndx == SHN_UNDEF && !s.name.empty())
            info.undefined_symbols.push_back(s.name);
    }
    info.build_id = read_note(elf, ".note.gnu.build-id");
    info.depends = read_note(elf, ".livepatch.depends");
    info.xen_depends = read_note(elf, ".livepatch.xen_depends");
    compute_sizes(elf, &info);
    read_records(elf, &info);
    info.sections.assign(elf.sections.begin() + (elf.sections.empty() ? 0 : 1), elf.sections.end());
    return info;
}

const SectionInfo* PayloadInfo::find_section(const std::string& name) const {
    for (const SectionInfo& s : sections) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

const SectionInfo* ElfContents::section(const std::string& name) const {
    for (size_t i = 1; i < sections.size(); ++i) {
        if (sections[i].name == name)
            return &sections[i];
    }
    return nullptr;
}

std::string to_hex(const uint8_t* bytes, size_t len) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(len * 2);
    for (size_t i = 0; i < len; ++i) {
        s += kDigits[bytes[i] >> 4];
        s += kDigits[bytes[i] & 15];
    }
    return s;
}

std::string machine_name(uint16_t machine) {
    switch (machine) {
    case EM_X86_64:
        return "x86-64";
    case EM_AARCH64:
        return "aarch64";
    case EM_386:
        return "i386";
    case EM_ARM:
        return "arm";
    default:
        return "machine " + std::to_string(machine);
    }
}

}  // namespace livepatch::tool::offline
