#!/usr/bin/env python3
"""Takes the results the nested test machine's dom0 sent over the serial console
(tests/nested/dom0/init: "NESTED-DATA <base64>" lines, then "NESTED-END <md5> <status>") and
unpacks them: serial-results.py <serial-log> <out-dir>.

Writes <out-dir>/STATUS (the exit status of dom0's /test/run). Exits 1, saying why, when the
log has no complete results (the machine crashed or hung) or the checksum does not match."""
import hashlib
import io
import os
import shutil
import sys
import tarfile


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: serial-results.py <serial-log> <out-dir>")
    log, out = sys.argv[1], sys.argv[2]
    chunks, end = [], None
    with open(log, "rb") as f:
        for raw in f:
            line = raw.decode("latin-1").strip("\r\n")
            if line.startswith("NESTED-DATA "):
                chunks.append(line[len("NESTED-DATA "):].strip())
            elif line.startswith("NESTED-END "):
                end = line.split()
    if end is None or len(end) != 3:
        sys.exit(f"serial-results: no results in {log}: dom0 did not finish its test")
    import base64
    try:
        data = base64.b64decode("".join(chunks), validate=True)
    except ValueError as e:
        sys.exit(f"serial-results: results garbled on the console: {e}")
    if hashlib.md5(data).hexdigest() != end[1]:
        sys.exit("serial-results: results garbled on the console (checksum mismatch)")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        t.extractall(out, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(out)
    with open(os.path.join(out, "STATUS"), "w") as f:
        f.write(end[2] + "\n")


if __name__ == "__main__":
    main()
