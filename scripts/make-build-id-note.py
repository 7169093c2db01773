#!/usr/bin/env python3
"""Writes an ELF NT_GNU_BUILD_ID note (namesz 4 "GNU", type 3) whose desc is the given hex
build-id: the content of a payload's .livepatch.depends / .livepatch.xen_depends section."""
import struct
import sys

if len(sys.argv) != 3:
    sys.exit("usage: make-build-id-note.py <hex-build-id> <output>")
desc = bytes.fromhex(sys.argv[1])
note = struct.pack("<III", 4, len(desc), 3) + b"GNU\0" + desc
note += b"\0" * (-len(note) % 4)
with open(sys.argv[2], "wb") as f:
    f.write(note)
