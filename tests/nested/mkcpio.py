#!/usr/bin/env python3
"""Packs a directory tree into a gzip-compressed initramfs (cpio "newc", the format Linux
unpacks at boot): mkcpio.py <dir> <out.cpio.gz>.

Directories, regular files and symbolic links are stored with their permission bits, owned by
root, in sorted order (parents first), so the same tree gives the same archive. No cpio tool is
needed on the host."""
import gzip
import os
import stat
import sys


def header(ino, mode, nlink, size, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * (-n % 4)


def entries(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            yield rel
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            yield os.path.normpath(os.path.join(rel, name))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkcpio.py <dir> <out.cpio.gz>")
    root, out = sys.argv[1], sys.argv[2]
    with gzip.open(out + ".tmp", "wb", compresslevel=6) as f:
        ino = 1
        for rel in entries(root):
            path = os.path.join(root, rel)
            st = os.lstat(path)
            mode = stat.S_IFMT(st.st_mode) | stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(path).encode()
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as g:
                    data = g.read()
            elif stat.S_ISDIR(st.st_mode):
                data = b""
            else:
                sys.exit(f"mkcpio: {path}: not a file, directory or link")
            name = rel.encode()
            hdr = header(ino, mode, 2 if stat.S_ISDIR(st.st_mode) else 1, len(data), name)
            f.write(hdr + name + b"\0" + pad4(len(hdr) + len(name) + 1) + data + pad4(len(data)))
            ino += 1
        trailer = b"TRAILER!!!"
        hdr = header(0, 0, 1, 0, trailer)
        f.write(hdr + trailer + b"\0" + pad4(len(hdr) + len(trailer) + 1))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
