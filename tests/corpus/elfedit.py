"""A small ELF64 little-endian relocatable-file editor for the corpus generator (gen_corpus.py).

Elf.parse(bytes) reads the header, the section headers and each section's bytes; the editing
helpers change them; Elf.write() lays the file out again (header, each section's data in section
order at its alignment, the section header table last) and returns the bytes. Fields that must
stay inconsistent with the layout (sh_offset, e_shoff, ...) are patched in the written bytes
afterwards with the *_offset helpers, which name where each field of the written file lives."""
import struct

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
RELA = struct.Struct("<QQq")

SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOTE, SHT_NOBITS, SHT_REL = 0, 1, 2, 3, 4, 7, 8, 9
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4

EHDR_FIELDS = ["e_ident", "e_type", "e_machine", "e_version", "e_entry", "e_phoff", "e_shoff",
               "e_flags", "e_ehsize", "e_phentsize", "e_phnum", "e_shentsize", "e_shnum", "e_shstrndx"]
SHDR_FIELDS = ["sh_name", "sh_type", "sh_flags", "sh_addr", "sh_offset", "sh_size", "sh_link",
               "sh_info", "sh_addralign", "sh_entsize"]
# Offsets of the header fields in the file.
EHDR_OFF = {"e_type": 16, "e_machine": 18, "e_version": 20, "e_entry": 24, "e_phoff": 32,
            "e_shoff": 40, "e_flags": 48, "e_ehsize": 52, "e_phentsize": 54, "e_phnum": 56,
            "e_shentsize": 58, "e_shnum": 60, "e_shstrndx": 62}
EHDR_SIZE = {"e_type": 2, "e_machine": 2, "e_version": 4, "e_entry": 8, "e_phoff": 8, "e_shoff": 8,
             "e_flags": 4, "e_ehsize": 2, "e_phentsize": 2, "e_phnum": 2, "e_shentsize": 2,
             "e_shnum": 2, "e_shstrndx": 2}
SHDR_OFF = {"sh_name": (0, 4), "sh_type": (4, 4), "sh_flags": (8, 8), "sh_addr": (16, 8),
            "sh_offset": (24, 8), "sh_size": (32, 8), "sh_link": (40, 4), "sh_info": (44, 4),
            "sh_addralign": (48, 8), "sh_entsize": (56, 8)}
FMT = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}


class Section:
    def __init__(self, hdr, data):
        self.h = dict(zip(SHDR_FIELDS, hdr))
        self.data = bytearray(data)
        self.name = ""


class Elf:
    @classmethod
    def parse(cls, raw):
        e = cls()
        e.ehdr = dict(zip(EHDR_FIELDS, EHDR.unpack_from(raw, 0)))
        e.sections = []
        for i in range(e.ehdr["e_shnum"]):
            hdr = SHDR.unpack_from(raw, e.ehdr["e_shoff"] + i * e.ehdr["e_shentsize"])
            s = Section(hdr, b"")
            if s.h["sh_type"] not in (SHT_NULL, SHT_NOBITS):
                s.data = bytearray(raw[s.h["sh_offset"]:s.h["sh_offset"] + s.h["sh_size"]])
            e.sections.append(s)
        shstr = e.sections[e.ehdr["e_shstrndx"]].data
        for s in e.sections:
            s.name = cstr(shstr, s.h["sh_name"])
        return e

    # -- lookups ---------------------------------------------------------------------------
    def index(self, name):
        for i, s in enumerate(self.sections):
            if s.name == name:
                return i
        raise KeyError(f"no section {name}")

    def sec(self, name):
        return self.sections[self.index(name)]

    def has(self, name):
        return any(s.name == name for s in self.sections)

    def names(self):
        return [s.name for s in self.sections]

    def symtab_index(self):
        return next(i for i, s in enumerate(self.sections) if s.h["sh_type"] == SHT_SYMTAB)

    def symbols(self):
        """[(index, name, st_name, info, other, shndx, value, size)]"""
        st = self.sections[self.symtab_index()]
        strtab = self.sections[st.h["sh_link"]].data
        out = []
        for i in range(len(st.data) // SYM.size):
            n, info, other, shndx, value, size = SYM.unpack_from(st.data, i * SYM.size)
            out.append((i, cstr(strtab, n), n, info, other, shndx, value, size))
        return out

    def sym_index(self, name):
        for s in self.symbols():
            if s[1] == name:
                return s[0]
        raise KeyError(f"no symbol {name}")

    def set_sym(self, idx, **kw):
        st = self.sections[self.symtab_index()]
        n, info, other, shndx, value, size = SYM.unpack_from(st.data, idx * SYM.size)
        cur = dict(st_name=n, st_info=info, st_other=other, st_shndx=shndx, st_value=value, st_size=size)
        cur.update(kw)
        SYM.pack_into(st.data, idx * SYM.size, cur["st_name"], cur["st_info"], cur["st_other"],
                      cur["st_shndx"], cur["st_value"], cur["st_size"])

    def add_symbol(self, name, info, shndx=0, value=0, size=0, other=0):
        """Appends a symbol (after the globals, where a new global belongs); returns its index."""
        si = self.symtab_index()
        st = self.sections[si]
        off = self.add_string(st.h["sh_link"], name)
        st.data += SYM.pack(off, info, other, shndx, value, size)
        st.h["sh_size"] = len(st.data)
        return len(st.data) // SYM.size - 1

    def add_string(self, sec_index, text):
        """Appends a NUL-terminated string to a string table; returns its offset."""
        s = self.sections[sec_index]
        off = len(s.data)
        s.data += text.encode() + b"\0"
        s.h["sh_size"] = len(s.data)
        return off

    def rename_section(self, name, new):
        s = self.sec(name)
        s.h["sh_name"] = self.add_string(self.ehdr["e_shstrndx"], new)
        s.name = new

    def rename_symbol(self, name, new):
        strndx = self.sections[self.symtab_index()].h["sh_link"]
        self.set_sym(self.sym_index(name), st_name=self.add_string(strndx, new))

    def relas(self, target):
        """The RELA section applying to section `target` (by name): (rela index, [(off, sym, type, addend)])."""
        ti = self.index(target)
        for i, s in enumerate(self.sections):
            if s.h["sh_type"] == SHT_RELA and s.h["sh_info"] == ti:
                out = []
                for k in range(len(s.data) // RELA.size):
                    off, info, add = RELA.unpack_from(s.data, k * RELA.size)
                    out.append((off, info >> 32, info & 0xffffffff, add))
                return i, out
        raise KeyError(f"no relocations for {target}")

    def set_rela(self, target, k, off=None, sym=None, rtype=None, addend=None):
        ri, rel = self.relas(target)
        o, sy, ty, ad = rel[k]
        o = o if off is None else off
        sy = sy if sym is None else sym
        ty = ty if rtype is None else rtype
        ad = ad if addend is None else addend
        RELA.pack_into(self.sections[ri].data, k * RELA.size, o, (sy << 32) | ty, ad)

    def rela_at(self, target, offset):
        """The index in relas(target) of the relocation at `offset` of `target`."""
        _, rel = self.relas(target)
        for k, r in enumerate(rel):
            if r[0] == offset:
                return k
        raise KeyError(f"no relocation at {target}+{offset:#x}")

    def add_section(self, name, sh_type, flags, data, align=1, entsize=0, link=0, info=0, size=None):
        s = Section((0, sh_type, flags, 0, 0, len(data) if size is None else size, link, info, align, entsize), data)
        s.h["sh_name"] = self.add_string(self.ehdr["e_shstrndx"], name)
        s.name = name
        self.sections.append(s)
        return len(self.sections) - 1

    # -- layout ----------------------------------------------------------------------------
    def write(self, pad_to=None):
        out = bytearray(64)
        for i, s in enumerate(self.sections):
            if i == 0 or s.h["sh_type"] == SHT_NOBITS:
                if s.h["sh_type"] == SHT_NOBITS:
                    s.h["sh_offset"] = len(out)
                continue
            align = max(1, s.h["sh_addralign"]) if s.h["sh_addralign"] & (s.h["sh_addralign"] - 1) == 0 else 8
            align = min(align, 4096)
            while len(out) % align:
                out.append(0)
            s.h["sh_offset"] = len(out)
            if s.h["sh_type"] != SHT_NULL:
                s.h["sh_size"] = len(s.data)
            out += s.data
        while len(out) % 8:
            out.append(0)
        self.ehdr["e_shoff"] = len(out)
        self.ehdr["e_shnum"] = len(self.sections)
        for s in self.sections:
            out += SHDR.pack(*[s.h[f] for f in SHDR_FIELDS])
        EHDR.pack_into(out, 0, *[self.ehdr[f] for f in EHDR_FIELDS])
        return bytes(out)


def cstr(buf, off):
    if off >= len(buf):
        return ""
    end = buf.find(b"\0", off)
    return bytes(buf[off:end if end >= 0 else len(buf)]).decode("latin-1")


def patch(raw, off, size, value):
    """Returns raw with the little-endian unsigned `size`-byte field at `off` set to value."""
    b = bytearray(raw)
    struct.pack_into(FMT[size], b, off, value & ((1 << (8 * size)) - 1))
    return bytes(b)


def ehdr_field(raw, field, value):
    return patch(raw, EHDR_OFF[field], EHDR_SIZE[field], value)


def shdr_field(raw, index, field, value):
    shoff = struct.unpack_from("<Q", raw, 40)[0]
    shentsize = struct.unpack_from("<H", raw, 58)[0]
    off, size = SHDR_OFF[field]
    return patch(raw, shoff + index * shentsize + off, size, value)


def read_shdr(raw, index, field):
    shoff = struct.unpack_from("<Q", raw, 40)[0]
    shentsize = struct.unpack_from("<H", raw, 58)[0]
    off, size = SHDR_OFF[field]
    return struct.unpack_from(FMT[size], raw, shoff + index * shentsize + off)[0]
