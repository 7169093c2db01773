#include "record_editor.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "build_error.h"

namespace livepatch::build {

namespace {

constexpr size_t kRecordSize = 104;

// The object opened for update; written back by commit().
class ElfEdit {
public:
    explicit ElfEdit(const std::string& path) : m_path(path) {
        if (elf_version(EV_CURRENT) == EV_NONE)
            fail("libelf is too old");
        m_fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (m_fd < 0)
            fail(std::string("cannot open: ") + strerror(errno));
        m_elf = elf_begin(m_fd, ELF_C_RDWR, nullptr);
        if (!m_elf || elf_getshdrstrndx(m_elf, &m_shstrndx) != 0)
            fail(std::string("not an ELF object: ") + elf_errmsg(-1));
    }
    ~ElfEdit() {
        if (m_elf)
            elf_end(m_elf);
        if (m_fd >= 0)
            close(m_fd);
    }
    ElfEdit(const ElfEdit&) = delete;
    ElfEdit& operator=(const ElfEdit&) = delete;

    [[noreturn]] void fail(const std::string& why) const { throw BuildError(m_path + ": " + why); }

    Elf* elf() const { return m_elf; }
    std::string name_of(Elf_Scn* scn) const {
        GElf_Shdr sh;
        const char* n = gelf_getshdr(scn, &sh) ? elf_strptr(m_elf, m_shstrndx, sh.sh_name) : nullptr;
        return n ? n : "";
    }
    Elf_Scn* find(const std::string& name) const {
        for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(m_elf, scn));)
            if (name_of(scn) == name)
                return scn;
        return nullptr;
    }
    void commit() {
        if (elf_update(m_elf, ELF_C_WRITE) < 0)
            fail(std::string("cannot write the edited object: ") + elf_errmsg(-1));
    }

private:
    std::string m_path;
    int m_fd = -1;
    Elf* m_elf = nullptr;
    size_t m_shstrndx = 0;
};

void store_u32(uint8_t* p, uint32_t v) { memcpy(p, &v, sizeof(v)); }

}  // namespace

void edit_records(const std::string& path, const std::vector<RecordEdit>& edits) {
    if (edits.empty())
        return;
    std::vector<char> table;  // the new .livepatch.strings: libelf reads it at commit, so it outlives `e`
    ElfEdit e(path);
    Elf_Scn* funcs = e.find(".livepatch.funcs");
    Elf_Scn* strings = e.find(".livepatch.strings");
    if (!funcs || !strings)
        e.fail("no .livepatch.funcs or .livepatch.strings section");
    const size_t funcs_index = elf_ndxscn(funcs), strings_index = elf_ndxscn(strings);

    // The relocations of .livepatch.funcs, and the symbol table with the section symbol of
    // .livepatch.strings (the name relocations are pointed at it).
    Elf_Scn* rela = nullptr;
    Elf_Scn* symtab = nullptr;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e.elf(), scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_RELA && sh.sh_info == funcs_index)
            rela = scn;
        if (sh.sh_type == SHT_SYMTAB)
            symtab = scn;
    }
    if (!rela || !symtab)
        e.fail("no relocations for .livepatch.funcs, or no symbol table");
    Elf_Data* symdata = elf_getdata(symtab, nullptr);
    size_t strings_symbol = 0;
    for (size_t i = 1; symdata && i < symdata->d_size / sizeof(Elf64_Sym); ++i) {
        GElf_Sym s;
        if (gelf_getsym(symdata, static_cast<int>(i), &s) && GELF_ST_TYPE(s.st_info) == STT_SECTION &&
            s.st_shndx == strings_index) {
            strings_symbol = i;
            break;
        }
    }
    if (!strings_symbol)
        e.fail("no section symbol for .livepatch.strings");

    Elf_Data* fd = elf_getdata(funcs, nullptr);
    if (!fd || fd->d_size % kRecordSize)
        e.fail(".livepatch.funcs is not a whole number of records");
    auto* records = static_cast<uint8_t*>(fd->d_buf);

    // The new string table: each record's name, in record order.
    std::vector<uint64_t> name_offset(fd->d_size / kRecordSize, UINT64_MAX);
    for (const RecordEdit& ed : edits) {
        if (ed.index >= name_offset.size())
            e.fail("record " + std::to_string(ed.index) + " is not in .livepatch.funcs");
        name_offset[ed.index] = table.size();
        table.insert(table.end(), ed.name.begin(), ed.name.end());
        table.push_back('\0');
        uint8_t* rec = records + ed.index * kRecordSize;
        store_u32(rec + 24, ed.new_size);
        store_u32(rec + 28, ed.old_size);
        memset(rec + 72, 0, 32);
        if (!ed.expect.empty()) {
            if (ed.expect.size() > 31)
                e.fail("an expectation holds at most 31 bytes");
            rec[72] = static_cast<uint8_t>(1u | (ed.expect.size() << 1));
            memcpy(rec + 73, ed.expect.data(), ed.expect.size());
        }
    }
    elf_flagdata(fd, ELF_C_SET, ELF_F_DIRTY);

    Elf_Data* rd = elf_getdata(rela, nullptr);
    size_t pointed = 0;
    for (size_t k = 0; rd && k < rd->d_size / sizeof(Elf64_Rela); ++k) {
        GElf_Rela r;
        if (!gelf_getrela(rd, static_cast<int>(k), &r) || r.r_offset % kRecordSize != 0)
            continue;
        const size_t rec = r.r_offset / kRecordSize;
        if (rec >= name_offset.size() || name_offset[rec] == UINT64_MAX)
            continue;
        r.r_info = GELF_R_INFO(strings_symbol, GELF_R_TYPE(r.r_info));
        r.r_addend = static_cast<int64_t>(name_offset[rec]);
        gelf_update_rela(rd, static_cast<int>(k), &r);
        ++pointed;
    }
    if (pointed != edits.size())
        e.fail("a record of .livepatch.funcs has no name relocation");
    elf_flagdata(rd, ELF_C_SET, ELF_F_DIRTY);

    Elf_Data* sd = elf_getdata(strings, nullptr);
    if (!sd || elf_getdata(strings, sd))
        e.fail(".livepatch.strings is not one block of data");
    sd->d_buf = table.data();
    sd->d_size = table.size();
    elf_flagdata(sd, ELF_C_SET, ELF_F_DIRTY);
    e.commit();
}

void protect_readonly_sections(const std::string& path) {
    ElfEdit e(path);
    bool changed = false;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e.elf(), scn));) {
        const std::string name = e.name_of(scn);
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_WRITE) || sh.sh_type != SHT_PROGBITS)
            continue;
        if (name.rfind(".livepatch.hooks.", 0) != 0 && name.rfind(".data.rel.ro", 0) != 0)
            continue;
        sh.sh_flags &= ~static_cast<uint64_t>(SHF_WRITE);
        gelf_update_shdr(scn, &sh);
        changed = true;
    }
    if (changed)
        e.commit();
}

}  // namespace livepatch::build
