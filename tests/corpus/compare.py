#!/usr/bin/env python3
"""The corpus compare test (`make corpus-test`, part of `make test`; docs/corpus.md): the engine's
verdict on every corpus variant, through `xen-livepatch check --json <payload> --against
<xen-syms>`, against real Xen 4.17's recorded verdict (tests/corpus/xen-verdicts.json).

    compare.py --table T --corpus DIR --allowlist A --tool XEN_LIVEPATCH --xen-syms XEN_SYMS
               --design docs/design.md [--verbose]

What `check` can predict offline, it is compared on:
  - UPLOAD into an empty hypervisor (steps the generator marks offline): the errno, 0 when
    accepted; a hypervisor crash at that step is a verdict of its own ("crashed").
  - the first APPLY or REPLACE with nothing else applied and no hook code to run: -EINVAL when
    `check`'s depends check finds the payload built on another build-id (APPLY without --nodeps,
    REPLACE), the errno of its expectations or patch check when they fail, else 0.
Every other step (REVERT, UNLOAD, steps that depend on other loaded payloads or on what hooks do)
is listed as not predicted offline.

A difference must be in the allowlist, one line each:
    <variant> <step number> xen=<verdict> engine=<verdict> | <text found in docs/design.md>
(# starts a comment). The text after `|` must occur in docs/design.md (the deviation, or the
known divergence, it names). Fails on any difference not listed, on a listed one that no longer
differs (the list stays true), on a listed text design.md does not have, on a `check` run that
gives no verdict (died by a signal, exited other than 0/1/2, printed no JSON, or an error without
an rc: named with its variant), when the generated payloads are not the ones recorded
(re-record: docs/corpus.md), or when the xen-syms is not the recorded Xen's."""
import argparse
import errno as errno_mod
import json
import os
import re
import signal as signal_mod
import subprocess
import sys


def ename(v):
    if isinstance(v, int):
        if v == 0:
            return "0"
        return "-" + errno_mod.errorcode.get(-v, str(-v))
    return str(v)


# The exit statuses xen-livepatch documents (docs/xen-livepatch.md, "Exit status"): 0 success,
# 1 failure, 2 retry later. Anything else, or death by a signal, is the tool failing.
TOOL_EXIT_CODES = (0, 1, 2)


def run_check(tool, path, xen_syms, cache):
    """`check`'s JSON document on `path`, or {"tool_failure": why} when the tool died by a signal,
    exited with a status it does not document, printed no JSON, or reported an error with no
    errno: such a run is no verdict, and must never pass for a refusal."""
    if path in cache:
        return cache[path]
    p = subprocess.run([tool, "--json", "check", path, "--against", xen_syms], capture_output=True, text=True)
    err = p.stderr.strip()[:200]
    doc = None
    if p.returncode < 0:
        try:
            sig = signal_mod.Signals(-p.returncode).name
        except ValueError:
            sig = f"signal {-p.returncode}"
        why = f"xen-livepatch check died by {sig}"
    elif p.returncode not in TOOL_EXIT_CODES:
        why = f"xen-livepatch check exited {p.returncode}, not one of its exit codes 0, 1, 2"
    else:
        try:
            doc = json.loads(p.stdout)
            why = None
        except json.JSONDecodeError:
            why = f"xen-livepatch check printed no JSON (exit {p.returncode})"
        if doc is not None and doc.get("result") == "error" and not isinstance(error_rc(doc), int):
            doc, why = None, "xen-livepatch check reported an error without an rc"
    if doc is None:
        doc = {"tool_failure": why + (f": {err}" if err else "")}
    cache[path] = doc
    return doc


def error_rc(doc):
    """The -errno of a `result: error` document (its rc, else its error's rc), or None."""
    for rc in (doc.get("rc"), (doc.get("error") or {}).get("rc")):
        if isinstance(rc, int) and not isinstance(rc, bool) and rc < 0:
            return rc
    return None


def engine_upload(doc):
    """The UPLOAD verdict: the upload check's errno (with the xen-depends check, part of UPLOAD);
    the APPLY checks (depends, expectations, patch) are not part of it. A payload `check` cannot
    read at all (`result: error`) is refused with the rc it reports."""
    if doc.get("result") == "error":
        return error_rc(doc)
    for c in doc.get("checks", []):
        if c["name"] in ("upload", "xen-depends") and c["status"] == "failed":
            return c.get("rc", -errno_mod.EINVAL)
    return 0


def engine_apply(doc, verb):
    """The APPLY/REPLACE verdict check's model gives, or None when the upload was refused."""
    if engine_upload(doc) != 0:
        return None
    checks = {c["name"]: c for c in doc.get("checks", [])}
    dep = checks.get("depends")
    if verb in ("apply", "replace") and dep and dep["status"] != "passed":
        return -errno_mod.EINVAL
    for name in ("expectations", "patch"):
        c = checks.get(name)
        if c and c["status"] == "failed":
            return c.get("rc", -errno_mod.EINVAL)
    return 0


def xen_step(variant, k):
    """Xen's verdict on step k (1-based): an int, a string, or "crashed"."""
    s = variant["steps"][k - 1]
    rc = s["rc"]
    if rc == "not-run" and variant["outcome"] in ("crashed", "hung"):
        ran = [i for i, t in enumerate(variant["steps"], 1) if t["rc"] != "not-run"]
        # The step the machine died in is the first that did not report.
        first_missing = (max(ran) + 1) if ran else 1
        return "crashed" if k == first_missing else "not-run"
    return rc


def load_allowlist(path, design_text):
    entries, errors = {}, []
    if not os.path.exists(path):
        return entries, errors
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
            if not line:
                continue
            m = re.match(r"^(\S+)\s+(\d+)\s+xen=(\S+)\s+engine=(\S+)\s*\|\s*(.+)$", line)
            if not m:
                errors.append(f"{path}:{n}: not '<variant> <step> xen=<v> engine=<v> | <design.md text>': {line}")
                continue
            name, k, xv, ev, why = m.groups()
            if why.strip() not in design_text:
                errors.append(f"{path}:{n}: '{why.strip()}' is not in docs/design.md")
            entries[(name, int(k))] = (xv, ev, why.strip(), n)
    return entries, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--allowlist", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--xen-syms", required=True)
    ap.add_argument("--design", required=True)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    failures = []
    if not os.path.exists(a.xen_syms):
        sys.exit(f"corpus: FAILED: the pinned xen-syms {a.xen_syms} is missing (make nested-packages fetches it)")
    with open(a.table) as f:
        table = json.load(f)
    with open(os.path.join(a.corpus, "variants.json")) as f:
        spec = json.load(f)
    with open(a.design) as f:
        design = f.read()
    text = subprocess.run(["readelf", "-n", a.xen_syms], check=True, capture_output=True, text=True).stdout
    build_id = next(l.split("Build ID:")[1].strip() for l in text.splitlines() if "Build ID:" in l)
    if build_id != table["xen"]["build_id"]:
        failures.append(f"the xen-syms' build-id {build_id} is not the recorded Xen's {table['xen']['build_id']}: "
                        "re-record (make nested-corpus)")
    recorded = {v["name"]: v for v in table["variants"]}
    generated = {v["name"]: v for v in spec["variants"]}
    if set(recorded) != set(generated):
        failures.append(f"the generated variants differ from the recorded ones (only generated: "
                        f"{sorted(set(generated) - set(recorded))[:5]}, only recorded: "
                        f"{sorted(set(recorded) - set(generated))[:5]}): re-record (make nested-corpus)")
    allow, errs = load_allowlist(a.allowlist, design)
    failures += errs
    print(f"corpus: {len(recorded)} variants recorded on Xen {table['xen']['version']} "
          f"(build-id {table['xen']['build_id'][:12]}...) on {table['recorded']}")

    cache = {}
    counts = {"compared": 0, "agree": 0, "allowlisted": 0, "unpredicted": 0, "tool_failures": 0}
    differences = []
    seen_allowed = set()
    for name in sorted(set(recorded) & set(generated), key=lambda n: [v["name"] for v in table["variants"]].index(n)):
        rv, gv = recorded[name], generated[name]
        if rv["files"] != gv["files"]:
            failures.append(f"{name}: the generated payloads are not the recorded ones (sha256): re-record")
            continue
        if rv["outcome"] in ("not-run", "running"):
            failures.append(f"{name}: not recorded on Xen: re-record (make nested-corpus)")
            continue
        parts, uploaded_ok, applied_any = [], {}, False
        for k, (gs, rs) in enumerate(zip(gv["steps"], rv["steps"]), 1):
            xv = xen_step(rv, k)
            if xv in ("not-run", "skipped"):
                continue
            verb, payload = gs["verb"], gs["payload"]
            ev = None
            if gs["offline"] and verb == "upload":
                path = os.path.join(a.corpus, name, gs["file"])
                doc = run_check(a.tool, path, a.xen_syms, cache)
                if "tool_failure" in doc:
                    # No verdict: a crashing or mute checker never counts as agreeing.
                    counts["tool_failures"] += 1
                    failures.append(f"{name} step {k} ({verb} {gs['file']}): {doc['tool_failure']}")
                    parts.append(f"{k}:{verb} xen {ename(xv)}, engine TOOL FAILED")
                    continue
                uploaded_ok[payload] = doc
                ev = engine_upload(doc)
            elif gs["offline"] and verb in ("apply", "apply-nodeps", "replace") and not applied_any \
                    and payload in uploaded_ok:
                ev = engine_apply(uploaded_ok[payload], verb)
            if verb in ("apply", "apply-nodeps", "replace") and xv == 0:
                applied_any = True
            if ev is None:
                counts["unpredicted"] += 1
                parts.append(f"{k}:{verb} {ename(xv)} (not predicted offline)")
                continue
            counts["compared"] += 1
            if ev == xv:
                counts["agree"] += 1
                parts.append(f"{k}:{verb} {ename(xv)} agree")
                continue
            key = (name, k)
            if key in allow:
                xa, ea, why, _ = allow[key]
                if (xa, ea) == (ename(xv), ename(ev)):
                    counts["allowlisted"] += 1
                    seen_allowed.add(key)
                    parts.append(f"{k}:{verb} xen {ename(xv)}, engine {ename(ev)} (allowed: {why})")
                    continue
            differences.append(f"{name} {k} xen={ename(xv)} engine={ename(ev)}")
            parts.append(f"{k}:{verb} xen {ename(xv)}, engine {ename(ev)} DIFFERENT")
        crashed = f" [Xen {rv['outcome']}]" if rv["outcome"] in ("crashed", "hung") else ""
        print(f"  {name}{crashed}: " + "; ".join(parts))
    for key, (xa, ea, why, n) in sorted(allow.items()):
        if key not in seen_allowed:
            failures.append(f"{a.allowlist}:{n}: {key[0]} step {key[1]} (xen={xa} engine={ea}) no longer differs "
                            "this way: remove it")
    for d in differences:
        failures.append(f"unlisted difference: {d}")
    print(f"corpus: {counts['compared']} steps compared: {counts['agree']} agree, {counts['allowlisted']} allowlisted "
          f"differences, {len(differences)} unlisted; {counts['unpredicted']} steps not predicted offline; "
          f"{counts['tool_failures']} runs of the tool failed")
    if failures:
        for f in failures:
            print(f"corpus: FAIL: {f}")
        sys.exit(1)
    print("corpus: passed")


if __name__ == "__main__":
    main()
