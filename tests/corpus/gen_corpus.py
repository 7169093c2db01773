#!/usr/bin/env python3
"""The differential corpus: payload variants, valid and invalid, derived deterministically from a
few base payloads that livepatch-build made against Debian's xen-syms (tests/corpus/bases/), each
with the steps the recorder runs on real Xen (tests/corpus/record.py) and the compare test replays
offline (tests/corpus/compare.py). docs/corpus.md describes the whole.

    gen_corpus.py --bases tests/corpus/bases --xen-syms XEN_SYMS --out DIR [--list FILE]

Writes DIR/<variant>/<payload>.livepatch for every variant, DIR/variants.json (each variant's
name, description, category, steps and the sha256 of each payload) and DIR/variants.list (the
steps, one variant a line, as dom0 reads them). --list also writes "<name>  <description>" lines.

A variant is a mutation of a base payload: either of the parsed file (elfedit.Elf, then laid out
again) or of the written bytes (a field patched in place). No verdict is written here: what Xen
does is recorded, never assumed.

Steps (the verbs of Xen's own xen-livepatch): upload:<name>:<file>, apply:<name>,
apply-nodeps:<name>, revert:<name>, unload:<name>, replace:<name>. The recorder runs them in order
and skips the steps naming a payload whose upload failed. Each step carries `offline`: whether `xen-livepatch check`
can predict it from the payload file and the xen-syms alone (an upload into an empty hypervisor, a
first apply with nothing else applied and no hook code to run); that is a fact of the sequence, not
a verdict."""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elfedit as E  # noqa: E402

BASE_NAMES = ["base", "stacked", "third", "nop", "hooks", "veto", "loadhook", "exporter", "special",
              "applyhook", "expect"]
FUNC_SIZE = 104
R_X86_64_NONE, R_X86_64_64, R_X86_64_PC32, R_X86_64_GOT32, R_X86_64_PLT32 = 0, 1, 2, 3, 4
R_X86_64_GOTPCREL, R_X86_64_32, R_X86_64_32S, R_X86_64_PC64 = 9, 10, 11, 24


class Ctx:
    def __init__(self, bases, xen_syms):
        self.bases = bases
        self.xen_syms = xen_syms
        self.xsyms = xen_symbols(xen_syms)
        self.xen_build_id = xen_build_id(xen_syms)


def xen_symbols(path):
    out = {}
    text = subprocess.run(["nm", "-S", path], check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "TDRB":
            out.setdefault(parts[3], (int(parts[0], 16), int(parts[1], 16)))
    return out


def xen_build_id(path):
    text = subprocess.run(["readelf", "-n", path], check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        if "Build ID:" in line:
            return bytes.fromhex(line.split("Build ID:")[1].strip())
    raise SystemExit(f"gen_corpus: no build-id in {path}")


# -- helpers on a parsed payload ------------------------------------------------------------
def text_sections(e):
    return [i for i, s in enumerate(e.sections) if s.h["sh_flags"] & E.SHF_EXECINSTR and s.h["sh_type"] == E.SHT_PROGBITS]


def text_of(e, sym):
    """Section index holding symbol `sym`."""
    return next(s[5] for s in e.symbols() if s[1] == sym)


def func_field(e, k, field, value, size):
    off = {"name": 0, "new_addr": 8, "old_addr": 16, "new_size": 24, "old_size": 28, "version": 32,
           "pad": 33, "expect": 72}[field] + k * FUNC_SIZE
    struct.pack_into(E.FMT[size], e.sec(".livepatch.funcs").data, off, value & ((1 << (8 * size)) - 1))


def note(name_sz, desc, ntype=3, name=b"GNU\0"):
    return struct.pack("<III", name_sz, len(desc), ntype) + name + desc


def read_note(data):
    namesz, descsz, ntype = struct.unpack_from("<III", data, 0)
    nlen = (namesz + 3) & ~3
    return namesz, descsz, ntype, bytes(data[12:12 + namesz]), bytes(data[12 + nlen:12 + nlen + descsz])


def drop_rela(e, target, k):
    """Turns relocation k of `target` into R_X86_64_NONE against symbol 0 (STN_UNDEF)."""
    e.set_rela(target, k, rtype=R_X86_64_NONE, sym=0, addend=0)


def remove_rela(e, target, k):
    """Deletes relocation k of `target`: the field it would fill stays 0 (a NULL pointer)."""
    ri, _ = e.relas(target)
    d = e.sections[ri].data
    e.sections[ri].data = d[:k * E.RELA.size] + d[(k + 1) * E.RELA.size:]


def set_func_name(e, k, name):
    """Points record k's name at a new string appended to the section its name lives in."""
    ri = e.rela_at(".livepatch.funcs", k * FUNC_SIZE + 0)
    _, rel = e.relas(".livepatch.funcs")
    off, sym, ty, add = rel[ri]
    shndx = e.symbols()[sym][5]
    strsec = e.sections[shndx]
    new_off = len(strsec.data)
    strsec.data += name.encode() + b"\0"
    value = e.symbols()[sym][6]
    e.set_rela(".livepatch.funcs", ri, addend=new_off - value)


def add_func_record(e, rec_bytes):
    """Appends a copy of record 0 (with its relocations) as record k = n."""
    funcs = e.sec(".livepatch.funcs")
    n = len(funcs.data) // FUNC_SIZE
    funcs.data += rec_bytes
    ri, rel = e.relas(".livepatch.funcs")
    for off, sym, ty, add in list(rel):
        if off < FUNC_SIZE:
            e.sections[ri].data += E.RELA.pack(off + n * FUNC_SIZE, (sym << 32) | ty, add)


# -- building variants ----------------------------------------------------------------------
class Variant:
    def __init__(self, name, desc, category):
        self.name, self.desc, self.category = name, desc, category
        self.files = {}     # file name -> bytes
        self.steps = []     # dicts: verb, payload, file (upload), offline


def std_steps(v, payload="p", file="p.livepatch", apply=True, offline_apply=True):
    v.steps.append({"verb": "upload", "payload": payload, "file": file, "offline": True})
    if apply:
        v.steps.append({"verb": "apply", "payload": payload, "offline": offline_apply})
        v.steps.append({"verb": "revert", "payload": payload, "offline": False})
    v.steps.append({"verb": "unload", "payload": payload, "offline": False})


def generate(ctx):
    B = ctx.bases
    out = []

    def add(name, desc, category, data, steps="std", base=None, offline_apply=None):
        v = Variant(name, desc, category)
        v.files["p.livepatch"] = data
        runs_hooks = base in ("hooks", "veto", "loadhook", "applyhook")
        if steps == "std":
            std_steps(v, offline_apply=not runs_hooks if offline_apply is None else offline_apply)
        elif steps == "upload":
            std_steps(v, apply=False)
        out.append(v)
        return v

    def parsed(base, fn):
        e = E.Elf.parse(B[base])
        fn(e)
        return e.write()

    def raw(base, fn):
        return fn(B[base])

    # ---- valid payloads and action sequences -----------------------------------------------
    for b in ["base", "nop", "hooks", "special", "expect", "loadhook", "exporter"]:
        add(f"valid-{b}", f"the {b} payload as livepatch-build made it: upload, apply, revert, unload", "valid",
            B[b], base=b)
    add("valid-base-relaid", "base parsed and laid out again by the generator (identity mutation)", "valid",
        parsed("base", lambda e: None), base="base")
    add("valid-veto", "pre-apply and pre-revert hooks that refuse the first call (-EACCES)", "hooks",
        B["veto"], base="veto")
    v = add("valid-veto-retry", "veto: apply refused, apply again, revert refused, revert again, unload", "hooks",
            B["veto"], steps=None)
    v.steps = [up("p"), act("apply", "p"), act("apply", "p"), act("revert", "p"), act("revert", "p"),
               act("unload", "p")]
    v = add("seq-base-reapply", "base: apply, revert, apply again (safe to re-apply), revert, unload", "sequence",
            B["base"], steps=None)
    v.steps = [up("p"), act("apply", "p", True), act("revert", "p"), act("apply", "p"), act("revert", "p"),
               act("unload", "p")]
    v = add("seq-base-apply-twice", "base: apply twice (the second finds it applied)", "sequence", B["base"],
            steps=None)
    v.steps = [up("p"), act("apply", "p", True), act("apply", "p"), act("revert", "p"), act("unload", "p")]
    v = add("seq-base-unload-applied", "base: unload while applied (refused)", "sequence", B["base"], steps=None)
    v.steps = [up("p"), act("apply", "p", True), act("unload", "p")]
    v = add("seq-base-revert-unapplied", "base: revert a payload that is not applied", "sequence", B["base"],
            steps=None)
    v.steps = [up("p"), act("revert", "p")]
    v = add("seq-base-replace", "base: REPLACE with nothing applied, revert, unload", "sequence", B["base"],
            steps=None)
    v.steps = [up("p"), act("replace", "p", True), act("revert", "p"), act("unload", "p")]
    v = add("seq-hooks-replace", "hooks: REPLACE of a payload with pre/post hooks", "sequence", B["hooks"],
            steps=None)
    v.steps = [up("p"), act("replace", "p"), act("unload", "p")]
    v = add("seq-applyhook-upload", "an APPLY action hook that patches nothing: upload and unload only",
            "hooks", B["applyhook"], steps="upload")

    # ---- dependency chains and multi-payload sequences ------------------------------------
    def chain(name, desc, files, steps):
        v = Variant(name, desc, "chain")
        v.files.update(files)
        v.steps = steps
        out.append(v)

    chain("chain-base-stacked", "base then stacked (depends on base): apply both, revert top first, unload",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"]},
          [up("a"), up("b", offline=True), act("apply", "a", True), act("apply", "b"), act("revert", "b"),
           act("revert", "a"), act("unload", "b"), act("unload", "a")])
    chain("chain-three", "base, stacked, third: a chain of three applied in order and reverted",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"], "c.livepatch": B["third"]},
          [up("a"), up("b", offline=True), up("c", offline=True), act("apply", "a", True), act("apply", "b"),
           act("apply", "c"), act("revert", "c"), act("revert", "b"), act("revert", "a"), act("unload", "c"),
           act("unload", "b"), act("unload", "a")])
    chain("chain-stacked-alone", "stacked applied with nothing applied (its depends is base's build-id)",
          {"b.livepatch": B["stacked"]}, [up("b"), act("apply", "b", True), act("unload", "b")])
    chain("chain-stacked-nodeps", "stacked applied alone with --nodeps",
          {"b.livepatch": B["stacked"]},
          [up("b"), act("apply-nodeps", "b"), act("revert", "b"), act("unload", "b")])
    chain("chain-third-on-base", "third (depends on stacked) applied on base",
          {"a.livepatch": B["base"], "c.livepatch": B["third"]},
          [up("a"), up("c", offline=True), act("apply", "a", True), act("apply", "c"), act("revert", "a"),
           act("unload", "c"), act("unload", "a")])
    chain("chain-revert-below-top", "base and stacked applied; revert base (not the top)",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"]},
          [up("a"), up("b", offline=True), act("apply", "a", True), act("apply", "b"), act("revert", "a")])
    chain("chain-unload-base-under-stacked", "base and stacked applied; unload base",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"]},
          [up("a"), up("b", offline=True), act("apply", "a", True), act("apply", "b"), act("unload", "a")])
    chain("chain-replace-stack", "base and stacked applied, then REPLACE by nop",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"], "r.livepatch": B["nop"]},
          [up("a"), up("b", offline=True), up("r", offline=True), act("apply", "a", True), act("apply", "b"),
           act("replace", "r"), act("revert", "r"), act("unload", "r"), act("unload", "b"), act("unload", "a")])
    chain("chain-replace-stacked-payload", "REPLACE by stacked (its depends is not Xen's build-id)",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"]},
          [up("a"), up("b", offline=True), act("apply", "a", True), act("replace", "b")])
    chain("chain-replace-over-hooks", "hooks applied, then REPLACE by base (an applied payload has hooks)",
          {"h.livepatch": B["hooks"], "a.livepatch": B["base"]},
          [up("h"), up("a", offline=True), act("apply", "h"), act("replace", "a")])
    chain("chain-duplicate-name", "base uploaded twice under one name",
          {"a.livepatch": B["base"], "n.livepatch": B["nop"]},
          [up("a"), {"verb": "upload", "payload": "a", "file": "n.livepatch", "offline": False}])
    chain("chain-duplicate-build-id", "the same file uploaded under two names",
          {"a.livepatch": B["base"]},
          [up("a"), {"verb": "upload", "payload": "a2", "file": "a.livepatch", "offline": False}])
    chain("chain-two-patch-one-function", "base and nop (both Xen's build-id) applied together, nop on top",
          {"a.livepatch": B["base"], "n.livepatch": B["nop"]},
          [up("a"), up("n", offline=True), act("apply", "a", True), act("apply", "n"), act("revert", "n"),
           act("revert", "a"), act("unload", "n"), act("unload", "a")])
    chain("chain-export-import", "exporter then a payload whose record's new_addr is the exporter's symbol "
          "(its own xen_extra_version then is a new symbol, clashing with Xen's)",
          {"x.livepatch": B["exporter"], "i.livepatch": importer(B["base"])},
          [up("x"), up("i", offline=False), act("apply", "x", True), act("apply-nodeps", "i"), act("revert", "i"),
           act("revert", "x"), act("unload", "i"), act("unload", "x")])
    chain("chain-import-alone", "the payload of chain-export-import alone (its new_addr symbol is nowhere)",
          {"i.livepatch": importer(B["base"])}, [up("i"), act("unload", "i")])
    chain("chain-unload-exporter-under-importer", "exporter, then the payload of chain-export-import; unload "
          "the exporter first",
          {"x.livepatch": B["exporter"], "i.livepatch": importer(B["base"])},
          [up("x"), up("i", offline=False), act("unload", "x"), act("unload", "i")])
    chain("chain-new-symbol-twice", "base uploaded twice under two names after relinking (same new symbol)",
          {"a.livepatch": B["base"], "b.livepatch": rebuild_id(B["base"], b"\x11")},
          [up("a"), up("b", offline=False)])
    chain("chain-depends-on-unloaded", "stacked whose base was uploaded and unloaded again",
          {"a.livepatch": B["base"], "b.livepatch": B["stacked"]},
          [up("a"), act("unload", "a"), up("b"), act("apply", "b"), act("unload", "b")])

    # ---- the ELF header ---------------------------------------------------------------------
    def hdr(name, desc, fn):
        add(name, desc, "elf-header", raw("base", fn), base="base")

    def ident(i, val):
        return lambda r: r[:i] + bytes([val]) + r[i + 1:]

    hdr("ehdr-magic", "e_ident magic \\x7fELF changed to \\x7fELG", ident(3, ord("G")))
    hdr("ehdr-class-32", "EI_CLASS = ELFCLASS32", ident(4, 1))
    hdr("ehdr-class-none", "EI_CLASS = ELFCLASSNONE", ident(4, 0))
    hdr("ehdr-data-msb", "EI_DATA = ELFDATA2MSB", ident(5, 2))
    hdr("ehdr-data-none", "EI_DATA = ELFDATANONE", ident(5, 0))
    hdr("ehdr-ei-version-0", "EI_VERSION = 0", ident(6, 0))
    hdr("ehdr-ei-version-2", "EI_VERSION = 2", ident(6, 2))
    hdr("ehdr-osabi-linux", "EI_OSABI = ELFOSABI_LINUX (3)", ident(7, 3))
    hdr("ehdr-osabi-freebsd", "EI_OSABI = ELFOSABI_FREEBSD (9)", ident(7, 9))
    hdr("ehdr-osabi-standalone", "EI_OSABI = ELFOSABI_STANDALONE (255)", ident(7, 255))
    hdr("ehdr-abiversion-1", "EI_ABIVERSION = 1", ident(8, 1))
    hdr("ehdr-pad-nonzero", "a nonzero EI_PAD byte (e_ident[12])", ident(12, 0x5a))
    hdr("ehdr-type-exec", "e_type = ET_EXEC", lambda r: E.ehdr_field(r, "e_type", 2))
    hdr("ehdr-type-dyn", "e_type = ET_DYN", lambda r: E.ehdr_field(r, "e_type", 3))
    hdr("ehdr-type-none", "e_type = ET_NONE", lambda r: E.ehdr_field(r, "e_type", 0))
    hdr("ehdr-machine-386", "e_machine = EM_386", lambda r: E.ehdr_field(r, "e_machine", 3))
    hdr("ehdr-machine-aarch64", "e_machine = EM_AARCH64", lambda r: E.ehdr_field(r, "e_machine", 183))
    hdr("ehdr-version-0", "e_version = EV_NONE", lambda r: E.ehdr_field(r, "e_version", 0))
    hdr("ehdr-version-2", "e_version = 2", lambda r: E.ehdr_field(r, "e_version", 2))
    hdr("ehdr-entry-set", "e_entry nonzero", lambda r: E.ehdr_field(r, "e_entry", 0x1000))
    hdr("ehdr-phoff-set", "e_phoff nonzero with e_phnum 0", lambda r: E.ehdr_field(r, "e_phoff", 64))
    hdr("ehdr-phnum-1", "e_phnum = 1 (no program header there)", lambda r: E.ehdr_field(r, "e_phnum", 1))
    hdr("ehdr-phentsize-56", "e_phentsize = 56 with e_phnum 0", lambda r: E.ehdr_field(r, "e_phentsize", 56))
    hdr("ehdr-flags-set", "e_flags nonzero", lambda r: E.ehdr_field(r, "e_flags", 0x80000001))
    hdr("ehdr-ehsize-0", "e_ehsize = 0", lambda r: E.ehdr_field(r, "e_ehsize", 0))
    hdr("ehdr-ehsize-128", "e_ehsize = 128", lambda r: E.ehdr_field(r, "e_ehsize", 128))
    hdr("ehdr-shentsize-0", "e_shentsize = 0", lambda r: E.ehdr_field(r, "e_shentsize", 0))
    hdr("ehdr-shentsize-63", "e_shentsize = 63 (smaller than Elf64_Shdr)", lambda r: E.ehdr_field(r, "e_shentsize", 63))
    hdr("ehdr-shentsize-72", "e_shentsize = 72 (larger than Elf64_Shdr)", lambda r: E.ehdr_field(r, "e_shentsize", 72))
    hdr("ehdr-shnum-0", "e_shnum = 0", lambda r: E.ehdr_field(r, "e_shnum", 0))
    hdr("ehdr-shnum-1", "e_shnum = 1 (only the null section)", lambda r: E.ehdr_field(r, "e_shnum", 1))
    hdr("ehdr-shnum-minus-1", "e_shnum one less (the last section header dropped)",
        lambda r: E.ehdr_field(r, "e_shnum", struct.unpack_from("<H", r, 60)[0] - 1))
    hdr("ehdr-shnum-plus-1", "e_shnum one more (past the end of the file)",
        lambda r: E.ehdr_field(r, "e_shnum", struct.unpack_from("<H", r, 60)[0] + 1))
    hdr("ehdr-shnum-1024", "e_shnum = 1024", lambda r: E.ehdr_field(r, "e_shnum", 1024))
    hdr("ehdr-shoff-0", "e_shoff = 0", lambda r: E.ehdr_field(r, "e_shoff", 0))
    hdr("ehdr-shoff-eof", "e_shoff = file size", lambda r: E.ehdr_field(r, "e_shoff", len(r)))
    hdr("ehdr-shoff-plus-1", "e_shoff + 1 (misaligned section header table)",
        lambda r: E.ehdr_field(r, "e_shoff", struct.unpack_from("<Q", r, 40)[0] + 1))
    hdr("ehdr-shoff-huge", "e_shoff = 2^63", lambda r: E.ehdr_field(r, "e_shoff", 1 << 63))
    hdr("ehdr-shoff-wrap", "e_shoff such that e_shoff + e_shnum*e_shentsize wraps",
        lambda r: E.ehdr_field(r, "e_shoff", (1 << 64) - 64))
    hdr("ehdr-shstrndx-0", "e_shstrndx = SHN_UNDEF", lambda r: E.ehdr_field(r, "e_shstrndx", 0))
    hdr("ehdr-shstrndx-shnum", "e_shstrndx = e_shnum",
        lambda r: E.ehdr_field(r, "e_shstrndx", struct.unpack_from("<H", r, 60)[0]))
    hdr("ehdr-shstrndx-xindex", "e_shstrndx = SHN_XINDEX (0xffff)", lambda r: E.ehdr_field(r, "e_shstrndx", 0xffff))
    e0 = E.Elf.parse(B["base"])
    hdr("ehdr-shstrndx-symtab", "e_shstrndx points at the symbol table",
        lambda r: E.ehdr_field(r, "e_shstrndx", e0.symtab_index()))
    hdr("ehdr-shstrndx-strtab", "e_shstrndx points at .strtab (names read from the wrong table)",
        lambda r: E.ehdr_field(r, "e_shstrndx", e0.index(".strtab")))
    add("file-empty", "a zero-byte file", "file", b"", steps="upload")
    add("file-header-only", "the ELF header alone (64 bytes)", "file", B["base"][:64], steps="upload")
    add("file-truncated-half", "base cut at half its size", "file", B["base"][:len(B["base"]) // 2], steps="upload")
    add("file-truncated-shdr", "base without its last section header's final byte", "file", B["base"][:-1],
        steps="upload")
    add("file-trailing-zeros", "base with 4 KiB of zeros appended", "file", B["base"] + bytes(4096), base="base")
    add("file-over-2mib", "base padded with zeros past 2 MiB", "file", B["base"] + bytes(2 * 1024 * 1024), steps="upload")

    # ---- section headers --------------------------------------------------------------------
    tsec = text_of(e0, "xen_extra_version")
    tname = e0.sections[tsec].name
    rod = next(i for i, s in enumerate(e0.sections) if s.name.startswith(".rodata"))

    def sh(name, desc, index, field, value_fn, base="base"):
        def fn(r):
            return E.shdr_field(r, index, field, value_fn(r))
        add(name, desc, "section", raw(base, fn), base=base)

    sh("shdr-text-offset-eof", f"{tname}: sh_offset = file size", tsec, "sh_offset", len)
    sh("shdr-text-offset-0", f"{tname}: sh_offset = 0 (inside the ELF header)", tsec, "sh_offset", lambda r: 0)
    sh("shdr-text-offset-63", f"{tname}: sh_offset = 63", tsec, "sh_offset", lambda r: 63)
    sh("shdr-text-size-huge", f"{tname}: sh_size = 2^40", tsec, "sh_size", lambda r: 1 << 40)
    sh("shdr-text-size-wrap", f"{tname}: sh_offset + sh_size wraps", tsec, "sh_size",
       lambda r: (1 << 64) - E.read_shdr(r, tsec, "sh_offset") + 16)
    sh("shdr-text-size-0", f"{tname}: sh_size = 0 (its relocations then point outside)", tsec, "sh_size", lambda r: 0)
    sh("shdr-text-align-3", f"{tname}: sh_addralign = 3 (not a power of two)", tsec, "sh_addralign", lambda r: 3)
    sh("shdr-text-align-0", f"{tname}: sh_addralign = 0", tsec, "sh_addralign", lambda r: 0)
    sh("shdr-text-align-4096", f"{tname}: sh_addralign = 4096", tsec, "sh_addralign", lambda r: 4096)
    sh("shdr-text-align-2g", f"{tname}: sh_addralign = 2^31", tsec, "sh_addralign", lambda r: 1 << 31)
    sh("shdr-text-addr-unaligned", f"{tname}: sh_addr = 1 (not aligned to sh_addralign)", tsec, "sh_addr", lambda r: 1)
    sh("shdr-text-addr-aligned", f"{tname}: sh_addr = 0x1000 (aligned, nonzero)", tsec, "sh_addr", lambda r: 0x1000)
    sh("shdr-text-flags-wx", f"{tname}: SHF_WRITE added (writable and executable)", tsec, "sh_flags",
       lambda r: E.read_shdr(r, tsec, "sh_flags") | E.SHF_WRITE)
    sh("shdr-text-flags-noalloc", f"{tname}: SHF_ALLOC removed (the replacement is not loaded)", tsec, "sh_flags",
       lambda r: E.read_shdr(r, tsec, "sh_flags") & ~E.SHF_ALLOC)
    sh("shdr-text-flags-noexec", f"{tname}: SHF_EXECINSTR removed", tsec, "sh_flags",
       lambda r: E.read_shdr(r, tsec, "sh_flags") & ~E.SHF_EXECINSTR)
    sh("shdr-text-flags-unknown", f"{tname}: an OS-specific flag bit (0x00100000) added", tsec, "sh_flags",
       lambda r: E.read_shdr(r, tsec, "sh_flags") | 0x00100000)
    sh("shdr-text-type-nobits", f"{tname}: sh_type = SHT_NOBITS", tsec, "sh_type", lambda r: E.SHT_NOBITS)
    sh("shdr-text-type-note", f"{tname}: sh_type = SHT_NOTE", tsec, "sh_type", lambda r: E.SHT_NOTE)
    sh("shdr-text-type-unknown", f"{tname}: sh_type = 0x60000000 (OS-specific)", tsec, "sh_type", lambda r: 0x60000000)
    sh("shdr-text-name-oob", f"{tname}: sh_name past the end of .shstrtab", tsec, "sh_name", lambda r: 0xfffff)
    sh("shdr-rodata-flags-exec", f"{e0.sections[rod].name}: SHF_EXECINSTR added", rod, "sh_flags",
       lambda r: E.read_shdr(r, rod, "sh_flags") | E.SHF_EXECINSTR)
    sh("shdr-rodata-flags-write", f"{e0.sections[rod].name}: SHF_WRITE added (payload no longer safe to re-apply)",
       rod, "sh_flags", lambda r: E.read_shdr(r, rod, "sh_flags") | E.SHF_WRITE)
    fi = e0.index(".livepatch.funcs")
    sh("shdr-funcs-flags-readonly", ".livepatch.funcs: SHF_WRITE removed (read-only, as livepatch-build-tools "
       "emits it)", fi, "sh_flags", lambda r: E.read_shdr(r, fi, "sh_flags") & ~E.SHF_WRITE)
    sh("shdr-funcs-flags-noalloc", ".livepatch.funcs: SHF_ALLOC removed", fi, "sh_flags",
       lambda r: E.read_shdr(r, fi, "sh_flags") & ~E.SHF_ALLOC)
    sh("shdr-funcs-size-103", ".livepatch.funcs: sh_size 103 (not a multiple of the record)", fi, "sh_size",
       lambda r: 103)
    sh("shdr-funcs-size-0", ".livepatch.funcs: sh_size 0", fi, "sh_size", lambda r: 0)
    sh("shdr-funcs-type-nobits", ".livepatch.funcs: SHT_NOBITS (zero records of the same size)", fi, "sh_type",
       lambda r: E.SHT_NOBITS)
    sh("shdr-funcs-entsize-0", ".livepatch.funcs: sh_entsize 0", fi, "sh_entsize", lambda r: 0)
    sh("shdr-funcs-entsize-1", ".livepatch.funcs: sh_entsize 1", fi, "sh_entsize", lambda r: 1)
    si = e0.symtab_index()
    sh("shdr-symtab-entsize-0", ".symtab: sh_entsize 0", si, "sh_entsize", lambda r: 0)
    sh("shdr-symtab-entsize-23", ".symtab: sh_entsize 23", si, "sh_entsize", lambda r: 23)
    sh("shdr-symtab-entsize-48", ".symtab: sh_entsize 48", si, "sh_entsize", lambda r: 48)
    sh("shdr-symtab-size-odd", ".symtab: sh_size not a multiple of 24", si, "sh_size",
       lambda r: E.read_shdr(r, si, "sh_size") - 1)
    sh("shdr-symtab-size-0", ".symtab: sh_size 0", si, "sh_size", lambda r: 0)
    sh("shdr-symtab-link-shnum", ".symtab: sh_link = e_shnum", si, "sh_link",
       lambda r: struct.unpack_from("<H", r, 60)[0])
    sh("shdr-symtab-link-0", ".symtab: sh_link = 0 (the null section)", si, "sh_link", lambda r: 0)
    sh("shdr-symtab-link-shstrtab", ".symtab: sh_link = .shstrtab (names from the wrong table)", si, "sh_link",
       lambda r: e0.ehdr["e_shstrndx"])
    sh("shdr-symtab-link-text", ".symtab: sh_link = the text section (not SHT_STRTAB)", si, "sh_link",
       lambda r: tsec)
    sh("shdr-symtab-type-progbits", ".symtab: sh_type = SHT_PROGBITS (no symbol table)", si, "sh_type",
       lambda r: E.SHT_PROGBITS)
    sh("shdr-symtab-type-dynsym", ".symtab: sh_type = SHT_DYNSYM", si, "sh_type", lambda r: 11)
    sh("shdr-second-symtab", f"{e0.sections[rod].name} retyped SHT_SYMTAB: two symbol tables", rod,
       "sh_type", lambda r: E.SHT_SYMTAB)
    sti = e0.index(".strtab")
    shs = e0.ehdr["e_shstrndx"]
    sh("shdr-strtab-type-progbits", ".strtab: sh_type = SHT_PROGBITS", sti, "sh_type", lambda r: E.SHT_PROGBITS)
    sh("shdr-strtab-size-0", ".strtab: sh_size 0", sti, "sh_size", lambda r: 0)
    sh("shdr-strtab-unterminated", ".strtab: last byte cut off (no final NUL)", sti, "sh_size",
       lambda r: E.read_shdr(r, sti, "sh_size") - 1)
    sh("shdr-shstrtab-unterminated", ".shstrtab: last byte cut off (no final NUL)", shs, "sh_size",
       lambda r: E.read_shdr(r, shs, "sh_size") - 1)
    sh("shdr-shstrtab-type-progbits", ".shstrtab: sh_type = SHT_PROGBITS", shs, "sh_type", lambda r: E.SHT_PROGBITS)

    def strtab_first(e):
        e.sec(".strtab").data[0] = ord("x")
    add("shdr-strtab-first-nonnul", ".strtab: first byte not NUL", "section", parsed("base", strtab_first), base="base")

    def null_section_fields(r):
        return E.shdr_field(r, 0, "sh_size", 16)
    add("shdr-null-section-size", "section 0 (SHT_NULL) with sh_size 16", "section", raw("base", null_section_fields),
        base="base")
    add("shdr-null-section-type", "section 0 with sh_type SHT_PROGBITS", "section",
        raw("base", lambda r: E.shdr_field(r, 0, "sh_type", E.SHT_PROGBITS)), base="base")

    def add_bss(size, flags):
        def fn(e):
            e.add_section(".bss.corpus", E.SHT_NOBITS, flags, b"", align=8, size=size)
        return fn
    add("shdr-nobits-3mib-rw", "an added writable NOBITS section of 3 MiB", "section",
        parsed("base", add_bss(3 << 20, E.SHF_ALLOC | E.SHF_WRITE)), base="base")
    add("shdr-nobits-2mib-rw", "an added writable NOBITS section of exactly 2 MiB", "section",
        parsed("base", add_bss(2 << 20, E.SHF_ALLOC | E.SHF_WRITE)), base="base")
    add("shdr-nobits-4kib-rw", "an added writable NOBITS section of 4 KiB (not safe to re-apply)", "section",
        parsed("base", add_bss(4096, E.SHF_ALLOC | E.SHF_WRITE)), base="base")
    add("shdr-nobits-huge-ro", "an added read-only NOBITS section of 2^40 bytes", "section",
        parsed("base", add_bss(1 << 40, E.SHF_ALLOC)), base="base", steps="upload")
    add("shdr-added-noalloc-garbage", "an added non-alloc section with garbage and an unknown name", "section",
        parsed("base", lambda e: e.add_section(".corpus.junk", E.SHT_PROGBITS, 0, bytes(range(256)))), base="base")
    add("shdr-added-empty-alloc", "an added empty allocated PROGBITS section", "section",
        parsed("base", lambda e: e.add_section(".rodata.corpus", E.SHT_PROGBITS, E.SHF_ALLOC, b"")), base="base")
    add("shdr-added-rel", "an added SHT_REL section applying to the text section", "section",
        parsed("base", lambda e: e.add_section(".rel" + tname, E.SHT_REL, 0, struct.pack("<QQ", 0, (1 << 32) | 2),
                                               align=8, entsize=16, link=e.symtab_index(), info=tsec)), base="base")

    # ---- relocations ------------------------------------------------------------------------
    rtext = ".rela" + tname
    _, trel = e0.relas(tname)
    _, frel = e0.relas(".livepatch.funcs")

    def rel(name, desc, target, k, **kw):
        add(name, desc, "relocation", parsed("base", lambda e: e.set_rela(target, k, **kw)), base="base")

    rel("rela-text-type-none", f"{rtext}[0]: R_X86_64_NONE (the string address stays unrelocated)", tname, 0,
        rtype=R_X86_64_NONE)
    rel("rela-text-type-32", f"{rtext}[0]: R_X86_64_32", tname, 0, rtype=R_X86_64_32)
    rel("rela-text-type-32s", f"{rtext}[0]: R_X86_64_32S", tname, 0, rtype=R_X86_64_32S)
    rel("rela-text-type-plt32", f"{rtext}[0]: R_X86_64_PLT32 instead of PC32", tname, 0, rtype=R_X86_64_PLT32)
    rel("rela-text-type-pc64", f"{rtext}[0]: R_X86_64_PC64", tname, 0, rtype=R_X86_64_PC64)
    rel("rela-text-type-gotpcrel", f"{rtext}[0]: R_X86_64_GOTPCREL", tname, 0, rtype=R_X86_64_GOTPCREL)
    rel("rela-text-type-255", f"{rtext}[0]: relocation type 255", tname, 0, rtype=255)
    rel("rela-text-sym-0", f"{rtext}[0]: symbol index 0 (STN_UNDEF)", tname, 0, sym=0)
    rel("rela-text-sym-oob", f"{rtext}[0]: symbol index past the symbol table", tname, 0, sym=100000)
    rel("rela-text-offset-oob", f"{rtext}[0]: r_offset past its section", tname, 0, off=0x10000)
    rel("rela-text-offset-edge", f"{rtext}[0]: r_offset so the 4-byte field straddles the end", tname, 0,
        off=len(e0.sections[tsec].data) - 2)
    rel("rela-text-offset-huge", f"{rtext}[0]: r_offset = 2^64 - 2 (offset + 4 wraps)", tname, 0, off=(1 << 64) - 2)
    rel("rela-text-addend-overflow", f"{rtext}[0]: addend 2^40 (PC32 overflows)", tname, 0, addend=1 << 40)
    rel("rela-text-addend-negative", f"{rtext}[0]: addend -2^33 (PC32 overflows downwards)", tname, 0,
        addend=-(1 << 33))
    rel("rela-text-addend-inside", f"{rtext}[0]: addend +8 (still inside the string section)", tname, 0,
        addend=trel[0][3] + 8)
    rel("rela-funcs-name-type-pc32", ".rela.livepatch.funcs: the name pointer relocated PC32", ".livepatch.funcs",
        e0.rela_at(".livepatch.funcs", 0), rtype=R_X86_64_PC32)
    rel("rela-funcs-newaddr-type-32", ".rela.livepatch.funcs: new_addr relocated R_X86_64_32 (truncated)",
        ".livepatch.funcs", e0.rela_at(".livepatch.funcs", 8), rtype=R_X86_64_32)

    def rela_link(value_fn, field):
        def fn(r):
            ri, _ = E.Elf.parse(r).relas(tname)
            return E.shdr_field(r, ri, field, value_fn(r))
        return fn
    add("rela-link-strtab", f"{rtext}: sh_link = .strtab (not the symbol table)", "relocation",
        raw("base", rela_link(lambda r: sti, "sh_link")), base="base")
    add("rela-link-oob", f"{rtext}: sh_link = e_shnum", "relocation",
        raw("base", rela_link(lambda r: struct.unpack_from("<H", r, 60)[0], "sh_link")), base="base")
    add("rela-info-oob", f"{rtext}: sh_info = e_shnum", "relocation",
        raw("base", rela_link(lambda r: struct.unpack_from("<H", r, 60)[0], "sh_info")), base="base")
    add("rela-info-noalloc", f"{rtext}: sh_info = .strtab (a section that is not loaded)", "relocation",
        raw("base", rela_link(lambda r: sti, "sh_info")), base="base")
    add("rela-info-self", f"{rtext}: sh_info = itself", "relocation",
        raw("base", rela_link(lambda r: E.Elf.parse(r).relas(tname)[0], "sh_info")), base="base")
    add("rela-entsize-0", f"{rtext}: sh_entsize 0", "relocation", raw("base", rela_link(lambda r: 0, "sh_entsize")),
        base="base")
    add("rela-entsize-23", f"{rtext}: sh_entsize 23", "relocation", raw("base", rela_link(lambda r: 23, "sh_entsize")),
        base="base")
    add("rela-size-odd", f"{rtext}: sh_size not a multiple of 24", "relocation",
        raw("base", rela_link(lambda r: E.read_shdr(r, E.Elf.parse(r).relas(tname)[0], "sh_size") - 1, "sh_size")),
        base="base")
    add("rela-type-rel", f"{rtext}: sh_type = SHT_REL", "relocation", raw("base", rela_link(lambda r: E.SHT_REL, "sh_type")),
        base="base")

    def sym_in_noalloc(e):
        # The string symbol the text relocation uses, moved into .comment-like non-alloc .strtab.
        _, rl = e.relas(tname)
        sym = rl[0][1]
        e.set_sym(sym, st_shndx=e.index(".strtab"))
    add("rela-sym-in-noalloc", f"{rtext}[0]: its symbol moved into .strtab (a section that is not loaded)",
        "relocation", parsed("base", sym_in_noalloc), base="base")

    # ---- symbols ------------------------------------------------------------------------------
    def symmut(name, desc, sym, **kw):
        def fn(e):
            e.set_sym(e.sym_index(sym), **kw)
        add(name, desc, "symbol", parsed("base", fn), base="base")

    marker = "corpus_base_marker"
    symmut("sym-marker-common", f"{marker}: st_shndx = SHN_COMMON", marker, st_shndx=0xfff2)
    symmut("sym-marker-abs", f"{marker}: st_shndx = SHN_ABS", marker, st_shndx=0xfff1)
    symmut("sym-marker-loreserve", f"{marker}: st_shndx = SHN_LORESERVE (0xff00)", marker, st_shndx=0xff00)
    symmut("sym-marker-xindex", f"{marker}: st_shndx = SHN_XINDEX", marker, st_shndx=0xffff)
    symmut("sym-marker-shndx-oob", f"{marker}: st_shndx = 200 (no such section)", marker, st_shndx=200)
    symmut("sym-marker-name-oob", f"{marker}: st_name past .strtab", marker, st_name=0xfffff)
    symmut("sym-marker-value-oob", f"{marker}: st_value far past its section", marker, st_value=0x100000)
    symmut("sym-marker-undef", f"{marker}: made undefined (SHN_UNDEF; Xen has no such symbol)", marker, st_shndx=0,
           st_value=0)
    symmut("sym-marker-weak", f"{marker}: STB_WEAK", marker, st_info=(2 << 4) | 2)
    symmut("sym-marker-local", f"{marker}: STB_LOCAL (out of place after the globals)", marker, st_info=(0 << 4) | 2)
    symmut("sym-marker-type-object", f"{marker}: STT_OBJECT", marker, st_info=(1 << 4) | 1)
    symmut("sym-marker-type-tls", f"{marker}: STT_TLS", marker, st_info=(1 << 4) | 6)
    symmut("sym-marker-type-gnu-ifunc", f"{marker}: STT_GNU_IFUNC", marker, st_info=(1 << 4) | 10)
    symmut("sym-marker-size-huge", f"{marker}: st_size 2^40", marker, st_size=1 << 40)
    symmut("sym-marker-other-default", f"{marker}: STV_DEFAULT instead of STV_HIDDEN", marker, st_other=0)
    symmut("sym-marker-other-protected", f"{marker}: STV_PROTECTED", marker, st_other=3)

    def rename(sym, new):
        return lambda e: e.rename_symbol(sym, new)
    add("sym-marker-named-printk", f"{marker} renamed printk (a new symbol Xen already has)", "symbol",
        parsed("base", rename(marker, "printk")), base="base")
    add("sym-marker-named-static", f"{marker} renamed 'common/kernel.c#do_xen_version'", "symbol",
        parsed("base", rename(marker, "common/kernel.c#do_xen_version")), base="base")
    add("sym-marker-named-empty", f"{marker} renamed '' (an empty name)", "symbol",
        parsed("base", rename(marker, "")), base="base")
    add("sym-replacement-renamed", "the replacement xen_extra_version renamed corpus_new (still the record's new_addr)",
        "symbol", parsed("base", rename("xen_extra_version", "corpus_new")), base="base")
    add("sym-undef-renamed-missing", "an undefined symbol referring to a name no one defines", "symbol",
        parsed("hooks", rename("printk", "corpus_no_such_function")), base="hooks")
    add("sym-undef-renamed-static", "the undefined printk renamed to a Xen static, 'common/kernel.c#do_xen_version'",
        "symbol", parsed("hooks", rename("printk", "common/kernel.c#do_xen_version")), base="hooks", steps="upload")

    def null_sym_nonzero(e):
        e.set_sym(0, st_value=8, st_shndx=1)
    add("sym-null-nonzero", "symbol 0 not all zeros", "symbol", parsed("base", null_sym_nonzero), base="base")

    # ---- the function records ----------------------------------------------------------------
    old_addr, old_size = ctx.xsyms["xen_extra_version"]
    minor_addr, _ = ctx.xsyms["xen_minor_version"]

    def fr(name, desc, mut, base="base", steps="std"):
        add(name, desc, "livepatch_func", parsed(base, mut), base=base, steps=steps)

    def fset(field, value, size):
        return lambda e: func_field(e, 0, field, value, size)

    fr("func-version-1", "version 1", fset("version", 1, 1))
    fr("func-version-3", "version 3", fset("version", 3, 1))
    fr("func-version-0", "version 0", fset("version", 0, 1))
    fr("func-version-255", "version 255", fset("version", 255, 1))
    fr("func-old-size-0", "old_size 0", fset("old_size", 0, 4))
    fr("func-old-size-4", "old_size 4 (too small for a 5-byte jump)", fset("old_size", 4, 4))
    fr("func-old-size-5", "old_size 5 (exactly a jump)", fset("old_size", 5, 4))
    fr("func-old-size-huge", "old_size 0xffffffff", fset("old_size", 0xffffffff, 4))
    fr("func-new-size-0", "new_size 0 with new_addr set", fset("new_size", 0, 4))
    fr("func-new-size-huge", "new_size 0xffffffff", fset("new_size", 0xffffffff, 4))
    fr("func-old-addr-real", "old_addr = xen_extra_version's address in xen-syms (no lookup by name)",
       fset("old_addr", old_addr, 8))
    fr("func-old-addr-far", "old_addr = 0x100000000 (beyond the jump's reach)", fset("old_addr", 1 << 32, 8),
       steps="upload")
    fr("func-old-addr-noncanonical", "old_addr = 0x8000000000000000", fset("old_addr", 1 << 63, 8), steps="upload")
    fr("func-old-addr-minor", "old_addr = xen_minor_version's address, old_size from the record "
       "(patches a different function than named)", fset("old_addr", minor_addr, 8), steps="upload")
    fr("func-pad-nonzero", "a nonzero byte in the reserved _pad[39]", fset("pad", 0x5a, 1))
    fr("func-pad-last-nonzero", "the last reserved byte (offset 71) nonzero",
       lambda e: func_field(e, 0, "pad", 0, 1) or struct.pack_into("<B", e.sec(".livepatch.funcs").data, 71, 1))
    fr("func-name-missing", "name = a function Xen does not have", lambda e: set_func_name(e, 0, "corpus_no_such_fn"))
    fr("func-name-static", "name = 'common/kernel.c#do_xen_version' (a static, by Xen's naming)",
       lambda e: set_func_name(e, 0, "common/kernel.c#do_xen_version"), steps="upload")
    fr("func-name-empty", "name = ''", lambda e: set_func_name(e, 0, ""))
    fr("func-name-null", "name's relocation turned R_X86_64_NONE against STN_UNDEF, old_addr 0",
       lambda e: drop_rela(e, ".livepatch.funcs", e.rela_at(".livepatch.funcs", 0)), steps="upload")
    fr("func-name-null-old-addr-set", "name's relocation turned R_X86_64_NONE against STN_UNDEF, old_addr set",
       lambda e: (drop_rela(e, ".livepatch.funcs", e.rela_at(".livepatch.funcs", 0)),
                  func_field(e, 0, "old_addr", old_addr, 8)))
    fr("func-new-addr-null", "new_addr's relocation turned R_X86_64_NONE against STN_UNDEF",
       lambda e: drop_rela(e, ".livepatch.funcs", e.rela_at(".livepatch.funcs", 8)), steps="upload")
    fr("func-duplicate-record", "the record twice (one function patched twice by one payload)",
       lambda e: add_func_record(e, bytes(e.sec(".livepatch.funcs").data[:FUNC_SIZE])))
    fr("func-expect-match", "expectation enabled, 5 bytes equal to xen_extra_version's first bytes",
       lambda e: set_expect(e, ctx, 1, 5, None))
    fr("func-expect-mismatch", "expectation enabled, 5 bytes that differ from the live text",
       lambda e: set_expect(e, ctx, 1, 5, b"\xcc" * 5))
    fr("func-expect-len-31", "expectation len 31 (> old_size 12)",
       lambda e: set_expect(e, ctx, 1, 31, b"\x00" * 31))
    fr("func-expect-len-0", "expectation enabled with len 0",
       lambda e: set_expect(e, ctx, 1, 0, b""))
    fr("func-expect-rsv", "expectation with a reserved bit (bit 6) set",
       lambda e: set_expect(e, ctx, 1 | 0x40, 5, None))
    fr("func-expect-disabled-garbage", "expectation disabled with garbage in its data",
       lambda e: set_expect(e, ctx, 0, 0, b"\xcc" * 31))
    fr("func-expect-old-addr-set", "expectation enabled and matching, old_addr set explicitly",
       lambda e: (set_expect(e, ctx, 1, 5, None), func_field(e, 0, "old_addr", old_addr, 8)))
    # NOP records (the nop base: new_addr 0, new_size 5, xen_minor_version)
    fr("nop-size-3", "NOP record of 3 bytes (ends inside the 5-byte mov)", fset("new_size", 3, 4), base="nop")
    fr("nop-size-1", "NOP record of 1 byte", fset("new_size", 1, 4), base="nop")
    fr("nop-size-0", "NOP record of 0 bytes", fset("new_size", 0, 4), base="nop")
    fr("nop-size-31", "NOP record of 31 bytes (old_size 10)", fset("new_size", 31, 4), base="nop")
    fr("nop-size-32", "NOP record of 32 bytes", fset("new_size", 32, 4), base="nop")
    fr("nop-size-10-old-10", "NOP record of 10 bytes = old_size (the whole function: NOPs the return)",
       fset("new_size", 10, 4), base="nop", steps="upload")
    fr("nop-old-size-3", "NOP record of 5 bytes with old_size 3", fset("old_size", 3, 4), base="nop")
    endbr = pick_endbr(ctx)
    fr("nop-endbr-size-2", f"NOP record of 2 bytes on {endbr}, which starts with ENDBR64",
       lambda e: (set_func_name(e, 0, endbr), func_field(e, 0, "new_size", 2, 4),
                  func_field(e, 0, "old_size", ctx.xsyms[endbr][1], 4)), base="nop")
    fr("nop-endbr-size-4", f"NOP record of 4 bytes on {endbr} (exactly the ENDBR64)",
       lambda e: (set_func_name(e, 0, endbr), func_field(e, 0, "new_size", 4, 4),
                  func_field(e, 0, "old_size", ctx.xsyms[endbr][1], 4)), base="nop")
    fr("func-endbr-old-size-8", f"a jump record on {endbr} (ENDBR64) with old_size 8 (< 9)",
       lambda e: (set_func_name(e, 0, endbr), func_field(e, 0, "old_size", 8, 4)), steps="upload")

    # ---- hooks --------------------------------------------------------------------------------
    def hk(name, desc, mut, steps="std", base="hooks"):
        add(name, desc, "hooks", parsed(base, mut), base=base, steps=steps)

    def hook_size(sec, size):
        return lambda e: setattr(e.sec(sec), "data", bytearray(bytes(e.sec(sec).data) + bytes(16))[:size])

    hk("hook-preapply-size-16", ".livepatch.hooks.preapply: two pointers (16 bytes)", hook_size(".livepatch.hooks.preapply", 16))
    hk("hook-preapply-size-4", ".livepatch.hooks.preapply: 4 bytes", hook_size(".livepatch.hooks.preapply", 4))
    hk("hook-preapply-empty", ".livepatch.hooks.preapply: empty", hook_size(".livepatch.hooks.preapply", 0))
    hk("hook-load-size-12", ".livepatch.hooks.load: 12 bytes (not a multiple of 8)", hook_size(".livepatch.hooks.load", 12))
    hk("hook-load-empty", ".livepatch.hooks.load: empty", hook_size(".livepatch.hooks.load", 0))
    for sec in ["preapply", "postapply", "prerevert", "postrevert"]:
        hk(f"hook-{sec}-null", f".livepatch.hooks.{sec}: its relocation turned R_X86_64_NONE against STN_UNDEF",
           lambda e, s=sec: drop_rela(e, f".livepatch.hooks.{s}", 0))
    hk("hook-load-null", ".livepatch.hooks.load: its relocation turned R_X86_64_NONE against STN_UNDEF",
       lambda e: drop_rela(e, ".livepatch.hooks.load", 0))
    hk("hook-unload-null", ".livepatch.hooks.unload: its relocation turned R_X86_64_NONE against STN_UNDEF",
       lambda e: drop_rela(e, ".livepatch.hooks.unload", 0))
    hk("hook-load-two", ".livepatch.hooks.load: the load hook twice", lambda e: dup_hook(e, ".livepatch.hooks.load"))
    hk("hook-preapply-noalloc", ".livepatch.hooks.preapply: SHF_ALLOC removed",
       lambda e: e.sec(".livepatch.hooks.preapply").h.__setitem__("sh_flags", 0), steps="upload")
    hk("hook-preapply-into-rodata", ".livepatch.hooks.preapply: the pointer aimed at the start of the record's "
       "string section (not code)", lambda e: aim_hook_at_rodata(e), steps="upload")
    add("hook-applyhook-apply", "an APPLY action hook that returns 0 without patching: apply", "hooks",
        B["applyhook"], base="applyhook")
    add("hook-only-loadhook-replace", "loadhook (no function record) applied by REPLACE", "hooks", B["loadhook"],
        steps=None, base="loadhook").steps = [up("p"), act("replace", "p"), act("revert", "p"), act("unload", "p")]
    hk("hook-funcs-removed", "hooks with .livepatch.funcs renamed away (hooks only)",
       lambda e: e.rename_section(".livepatch.funcs", ".corpus.funcs"))
    add("hook-none-funcs-removed", "base with .livepatch.funcs renamed away: nothing to patch", "hooks",
        parsed("base", lambda e: e.rename_section(".livepatch.funcs", ".corpus.funcs")), base="base")

    # ---- notes --------------------------------------------------------------------------------
    for sec, short in [(".note.gnu.build-id", "buildid"), (".livepatch.xen_depends", "xendeps"),
                       (".livepatch.depends", "deps")]:
        def nt(suffix, desc, mut, steps="std", sec=sec, short=short):
            add(f"note-{short}-{suffix}", f"{sec}: {desc}", "note", parsed("base", lambda e: mut(e, sec)), base="base",
                steps=steps)

        def rewrite(e, s, **kw):
            namesz, descsz, ntype, name, desc = read_note(e.sec(s).data)
            namesz = kw.get("namesz", namesz)
            ntype = kw.get("ntype", ntype)
            name = kw.get("name", name)
            desc = kw.get("desc", desc)
            data = struct.pack("<III", namesz, kw.get("descsz", len(desc)), ntype) + name.ljust((len(name) + 3) & ~3, b"\0") + desc
            e.sec(s).data = bytearray(data)

        nt("type-1", "note type 1 instead of NT_GNU_BUILD_ID", lambda e, s: rewrite(e, s, ntype=1))
        nt("namesz-3", "namesz 3", lambda e, s: rewrite(e, s, namesz=3))
        nt("name-gnx", "name 'GNX'", lambda e, s: rewrite(e, s, name=b"GNX\0"))
        nt("descsz-overflow", "descsz larger than the section", lambda e, s: rewrite(e, s, descsz=4096))
        nt("desc-empty", "descsz 0 (section of 16 bytes)", lambda e, s: rewrite(e, s, desc=b""))
        nt("desc-16", "a 16-byte build-id (its first 16 bytes)", lambda e, s: rewrite(e, s, desc=read_note(e.sec(s).data)[4][:16]))
        nt("size-12", "the section cut to its 12-byte note header", lambda e, s: setattr(e.sec(s), "data", e.sec(s).data[:12]))
        nt("empty", "an empty section", lambda e, s: setattr(e.sec(s), "data", bytearray()))
        nt("missing", "renamed away (absent)", lambda e, s: e.rename_section(s, ".corpus.gone"))
        nt("noalloc", "SHF_ALLOC removed", lambda e, s: e.sec(s).h.__setitem__("sh_flags", 0), steps="upload")
        nt("flip-id", "the last byte of its build-id flipped", lambda e, s: flip_last(e.sec(s).data))
    add("note-buildid-is-xen", ".note.gnu.build-id: Xen's own build-id", "note",
        parsed("base", lambda e: set_desc(e, ".note.gnu.build-id", ctx.xen_build_id)), base="base")
    add("note-depends-zero", ".livepatch.depends: an all-zero build-id", "note",
        parsed("base", lambda e: set_desc(e, ".livepatch.depends", bytes(20))), base="base")
    add("note-two-notes", ".livepatch.xen_depends: a second note after Xen's build-id", "note",
        parsed("base", lambda e: e.sec(".livepatch.xen_depends").data.extend(note(4, b"\x01" * 20))), base="base")

    # ---- special sections (the special base) ------------------------------------------------
    def sp(name, desc, mut, steps="std"):
        add(name, desc, "special", parsed("special", mut), base="special", steps=steps)

    def trunc(sec, n):
        return lambda e: setattr(e.sec(sec), "data", e.sec(sec).data[:n])

    sp("alt-size-13", ".altinstructions: 13 bytes (not a multiple of 14)", trunc(".altinstructions", 13))
    sp("alt-empty", ".altinstructions: empty", trunc(".altinstructions", 0))
    sp("alt-no-replacement", ".altinstr_replacement renamed away",
       lambda e: e.rename_section(".altinstr_replacement", ".corpus.repl"))
    sp("alt-orig-outside", ".altinstructions: orig 64 KiB past the payload text",
       lambda e: bump_rela(e, ".altinstructions", 0, 0x10000))
    sp("alt-orig-before", ".altinstructions: orig 64 KiB before the payload text",
       lambda e: bump_rela(e, ".altinstructions", 0, -0x10000))
    sp("alt-repl-outside", ".altinstructions: repl 64 KiB past .altinstr_replacement",
       lambda e: bump_rela(e, ".altinstructions", 4, 0x10000))
    sp("alt-orig-len-255", ".altinstructions: orig_len 255", lambda e: setb(e, ".altinstructions", 10, 255))
    sp("alt-repl-len-6", ".altinstructions: repl_len 6 (past .altinstr_replacement, > orig_len)",
       lambda e: setb(e, ".altinstructions", 11, 6))
    sp("alt-repl-len-0", ".altinstructions: repl_len 0 (NOP the original)", lambda e: setb(e, ".altinstructions", 11, 0))
    sp("alt-pad-len-3", ".altinstructions: pad_len 3", lambda e: setb(e, ".altinstructions", 12, 3))
    sp("alt-feature-absent", ".altinstructions: a feature bit no CPU has (word 7 bit 31)",
       lambda e: struct.pack_into("<H", e.sec(".altinstructions").data, 8, 7 * 32 + 31))
    sp("alt-no-dot-text", "the empty .text section renamed .text.unused: only .text.<fn> sections hold code "
       "(as Xen's livepatch-build-tools make payloads)", lambda e: e.rename_section(".text", ".text.unused"))
    sp("alt-text-renamed", "the text holding the alternative renamed .text.corpus_alt (orig still in payload text)",
       lambda e: e.rename_section(e.sections[text_of(e, "corpus_special")].name, ".text.corpus_alt"))
    sp("extable-size-7", ".ex_table: 7 bytes", trunc(".ex_table", 7))
    sp("extable-size-12", ".ex_table: 12 bytes (not a multiple of 8)", trunc(".ex_table", 12))
    sp("extable-empty", ".ex_table: empty", trunc(".ex_table", 0))
    sp("extable-outside", ".ex_table: an entry's address 64 KiB outside the payload",
       lambda e: bump_rela(e, ".ex_table", 0, 0x10000))
    sp("bugframe-size-7", ".bug_frames.0: 7 bytes", trunc(".bug_frames.0", 7))
    sp("bugframe-size-12", ".bug_frames.0: 12 bytes", trunc(".bug_frames.0", 12))
    sp("bugframe-empty", ".bug_frames.0: empty", trunc(".bug_frames.0", 0))
    sp("bugframe-3", ".bug_frames.0 renamed .bug_frames.3", lambda e: e.rename_section(".bug_frames.0", ".bug_frames.3"))
    sp("bugframe-4", ".bug_frames.0 renamed .bug_frames.4 (no such type)",
       lambda e: e.rename_section(".bug_frames.0", ".bug_frames.4"))
    sp("bugframe-outside", ".bug_frames.0: a frame's location 64 KiB outside the payload",
       lambda e: bump_rela(e, ".bug_frames.0", 0, 0x10000))
    sp("special-noalloc-extable", ".ex_table: SHF_ALLOC removed",
       lambda e: e.sec(".ex_table").h.__setitem__("sh_flags", 0), steps="upload")
    add("modinfo-unterminated", ".modinfo added without its final NUL", "special",
        parsed("base", lambda e: e.add_section(".modinfo", E.SHT_PROGBITS, E.SHF_ALLOC, b"version=1")), base="base")
    add("modinfo-ok", ".modinfo added: 'version=1\\0author=corpus\\0'", "special",
        parsed("base", lambda e: e.add_section(".modinfo", E.SHT_PROGBITS, E.SHF_ALLOC, b"version=1\0author=corpus\0")),
        base="base")
    add("modinfo-empty", ".modinfo added, empty", "special",
        parsed("base", lambda e: e.add_section(".modinfo", E.SHT_PROGBITS, E.SHF_ALLOC, b"")), base="base")
    add("modinfo-noalloc", ".modinfo added without SHF_ALLOC", "special",
        parsed("base", lambda e: e.add_section(".modinfo", E.SHT_PROGBITS, 0, b"version=1\0")), base="base",
        steps="upload")
    add("livepatch-strip-section", "an added .livepatch.strip section (not a Xen section)", "special",
        parsed("base", lambda e: e.add_section(".livepatch.strip", E.SHT_PROGBITS, E.SHF_ALLOC, b"x\0")), base="base")
    add("livepatch-funcs-second", "an added second, empty-named .livepatch.funcs-like section", "special",
        parsed("base", lambda e: e.add_section(".livepatch.funcs.extra", E.SHT_PROGBITS, E.SHF_ALLOC, bytes(104))),
        base="base")

    # ---- appended after the first recording (line numbers of the variants above stay put) ----
    chain("chain-link-import", "exporter then linker, whose unused function jumps to the exporter's new "
          "global corpus_exported (an undefined symbol resolved from a loaded payload)",
          {"x.livepatch": B["exporter"], "l.livepatch": linker(B["base"])},
          [up("x"), up("l", offline=False), act("apply", "x", True), act("apply-nodeps", "l"), act("revert", "l"),
           act("revert", "x"), act("unload", "l"), act("unload", "x")])
    chain("chain-link-alone", "linker without the exporter loaded (corpus_exported is nowhere)",
          {"l.livepatch": linker(B["base"])}, [up("l"), act("unload", "l")])
    chain("chain-link-unload-exporter", "exporter and linker loaded; unload the exporter (linker still uses it)",
          {"x.livepatch": B["exporter"], "l.livepatch": linker(B["base"])},
          [up("x"), up("l", offline=False), act("unload", "x"), act("unload", "l")])

    for sec in ["preapply", "postapply", "prerevert", "postrevert", "load", "unload"]:
        hk(f"hook-{sec}-null-pointer", f".livepatch.hooks.{sec}: a NULL pointer (its relocation deleted)",
           lambda e, s=sec: remove_rela(e, f".livepatch.hooks.{s}", 0))
    fr("func-name-null-pointer", "name = NULL (its relocation deleted), old_addr 0",
       lambda e: remove_rela(e, ".livepatch.funcs", e.rela_at(".livepatch.funcs", 0)), steps="upload")
    fr("func-new-addr-null-pointer", "new_addr = NULL (its relocation deleted): a NOP record of new_size 16 "
       "on the 12-byte xen_extra_version", lambda e: remove_rela(e, ".livepatch.funcs", e.rela_at(".livepatch.funcs", 8)),
       steps="upload")

    names = [v.name for v in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"gen_corpus: duplicate variant names {sorted(dup)}")
    return out


def up(payload, offline=True):
    return {"verb": "upload", "payload": payload, "file": f"{payload}.livepatch", "offline": offline}


def act(verb, payload, offline=False):
    return {"verb": verb, "payload": payload, "offline": offline}


def setb(e, sec, off, val):
    e.sec(sec).data[off] = val


def flip_last(data):
    data[-1] ^= 0xff


def set_desc(e, sec, desc):
    namesz, _, ntype, name, _ = read_note(e.sec(sec).data)
    e.sec(sec).data = bytearray(struct.pack("<III", namesz, len(desc), ntype) + name.ljust((namesz + 3) & ~3, b"\0") + desc)


def bump_rela(e, target, offset, delta):
    k = e.rela_at(target, offset)
    _, rel = e.relas(target)
    e.set_rela(target, k, addend=rel[k][3] + delta)


def dup_hook(e, sec):
    s = e.sec(sec)
    n = len(s.data)
    s.data += s.data[:8]
    ri, rel = e.relas(sec)
    off, sym, ty, add = rel[0]
    e.sections[ri].data += E.RELA.pack(off + n, (sym << 32) | ty, add)


def aim_hook_at_rodata(e):
    _, frel = e.relas(".livepatch.funcs")
    name_rel = frel[e.rela_at(".livepatch.funcs", 0)]
    e.set_rela(".livepatch.hooks.preapply", 0, sym=name_rel[1], addend=0)


def set_expect(e, ctx, flags_len_byte, length, data):
    """expect: byte 0 = enabled (bit 0), len (bits 1-5), rsv (bits 6-7); data[31]."""
    if data is None:
        data = xen_bytes(ctx, "xen_extra_version", length)
    b = (flags_len_byte & 1) | ((length & 0x1f) << 1) | (flags_len_byte & 0xc0)
    f = e.sec(".livepatch.funcs").data
    f[72] = b
    f[73:73 + 31] = data.ljust(31, b"\0")[:31]


def xen_bytes(ctx, sym, n):
    addr, _ = ctx.xsyms[sym]
    x = E.Elf.parse(open(ctx.xen_syms, "rb").read())
    for s in x.sections:
        if s.h["sh_addr"] <= addr < s.h["sh_addr"] + s.h["sh_size"] and s.h["sh_type"] == E.SHT_PROGBITS:
            o = addr - s.h["sh_addr"]
            return bytes(s.data[o:o + n])
    raise SystemExit(f"gen_corpus: {sym} not in xen-syms' sections")


def pick_endbr(ctx):
    """A global function of xen-syms that starts with ENDBR64 and that nothing in the corpus
    sequence calls (dom0 writes no hypfs node), chosen by name so the choice is stable."""
    for name in ["hypfs_write_deny", "hypfs_getsize"]:
        if name in ctx.xsyms and xen_bytes(ctx, name, 4) == b"\xf3\x0f\x1e\xfa":
            return name
    raise SystemExit("gen_corpus: no ENDBR64 function found for the NOP-on-ENDBR variants")


def importer(base_raw):
    """base, relinked to call a symbol only the exporter defines: corpus_base_marker made
    undefined and renamed corpus_exported, and a fresh build-id."""
    e = E.Elf.parse(rebuild_id(base_raw, b"\x22"))
    idx = e.sym_index("corpus_base_marker")
    e.set_sym(idx, st_shndx=0, st_value=0, st_size=0)
    e.rename_symbol("corpus_base_marker", "corpus_exported")
    # Something must use it: the record's new_addr now points at the import (the jump goes to
    # the exporter's function).
    k = e.rela_at(".livepatch.funcs", 8)
    e.set_rela(".livepatch.funcs", k, sym=idx, addend=0)
    return e.write()


def linker(base_raw):
    """base with a fresh build-id whose corpus_base_marker (never called) tail-jumps to
    corpus_exported, an undefined global only the exporter defines."""
    e = E.Elf.parse(rebuild_id(base_raw, b"\x33"))
    idx = e.add_symbol("corpus_exported", (1 << 4) | 0)
    k = e.rela_at(".text.corpus_base_marker", 10)
    e.set_rela(".text.corpus_base_marker", k, sym=idx)
    return e.write()


def rebuild_id(raw, tag):
    """The same payload with its own build-id's last byte replaced by `tag`."""
    e = E.Elf.parse(raw)
    d = e.sec(".note.gnu.build-id").data
    d[-1] = tag[0]
    return e.write()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", required=True)
    ap.add_argument("--xen-syms", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--list")
    a = ap.parse_args()
    bases = {}
    for b in BASE_NAMES:
        with open(os.path.join(a.bases, f"{b}.livepatch"), "rb") as f:
            bases[b] = f.read()
    ctx = Ctx(bases, a.xen_syms)
    variants = generate(ctx)
    os.makedirs(a.out, exist_ok=True)
    doc = []
    lines = []
    for v in variants:
        d = os.path.join(a.out, v.name)
        os.makedirs(d, exist_ok=True)
        for fname, data in v.files.items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
        doc.append({"name": v.name, "description": v.desc, "category": v.category, "steps": v.steps,
                    "files": {k: hashlib.sha256(x).hexdigest() for k, x in sorted(v.files.items())}})
        lines.append(v.name + " " + " ".join(
            f"upload:{s['payload']}:{s['file']}" if s["verb"] == "upload" else f"{s['verb']}:{s['payload']}"
            for s in v.steps))
    with open(os.path.join(a.out, "variants.json"), "w") as f:
        json.dump({"bases": {b: hashlib.sha256(x).hexdigest() for b, x in sorted(bases.items())},
                   "variants": doc}, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, "variants.list"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if a.list:
        with open(a.list, "w") as f:
            for v in variants:
                f.write(f"{v.name}  {v.desc}\n")
    print(f"gen_corpus: {len(variants)} variants in {a.out}")


if __name__ == "__main__":
    main()
