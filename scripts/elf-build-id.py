#!/usr/bin/env python3
"""Prints the build-id (hex) of an ELF file's NT_GNU_BUILD_ID note: what a payload for that
hypervisor image must carry in .livepatch.xen_depends."""
import subprocess
import sys

if len(sys.argv) != 2:
    sys.exit("usage: elf-build-id.py <elf>")
out = subprocess.run(["readelf", "-n", sys.argv[1]], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    line = line.strip()
    if line.startswith("Build ID:"):
        print(line.split(":", 1)[1].strip())
        sys.exit(0)
sys.exit(f"{sys.argv[1]}: no build-id note")
