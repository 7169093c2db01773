#!/usr/bin/env python3
"""Judges a nested test run: what dom0 recorded (tests/nested/dom0/checks.sh, unpacked by
serial-results.py) and the serial log of the machine.

    judge.py --results DIR --serial LOG --xen-syms FILE --tool XEN_LIVEPATCH --payloads DIR

Prints one line per check ("PASS <check>" or "FAIL <check>: <why>", with a diff for output
that differs), then "nested-test: <n> passed, <n> failed". Exits 1 when any check failed.

The checks:
  - the machine runs the packaged Xen (its build-id is xen-syms'), with livepatch;
  - Xen's own xen-livepatch behaves as expected on each step of the sequence (exit status), so
    the comparison below compares meaningful runs;
  - this project's xen-livepatch printed exactly what Xen's did (stdout, stderr, exit status)
    on every step; its own explanation lines ("xen-livepatch: ...", after Xen's text on stderr,
    docs/xen-livepatch.md ERRORS) are set apart, checked for their form, and not compared;
  - the effect of each payload, seen by dom0 (xen_extra, the minor version), for both tools;
  - the hooks ran in order, on the serial console, for both tools;
  - --json reports what Xen holds (Xen's own `list` at the same moment) and each command's result;
  - offline, this project's `check --against xen-syms` agrees with what Xen did at upload.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

from expected import HOOK_ORDER, SEQUENCE_EFFECTS, SEQUENCE_EXPECTED
from judge_json import judge_json


# This project's explanation line (docs/xen-livepatch.md, ERRORS).
# A failed step: "xen-livepatch: <command> <subject>: <STEP> failed|did not complete: <ENAME> (<n>,
# <strerror>): <meaning>"; a refused command line: "xen-livepatch: <command>: <meaning>".
EXPLANATION_STEP = re.compile(r"^xen-livepatch: \S+( \S.*)?: [A-Za-z ]+ (failed|did not complete): "
                              r"E[A-Z0-9]+ \(\d+, [^)]*\): .+$")
EXPLANATION_ARGS = re.compile(r"^xen-livepatch: [^ :]+: .+$")


def explanation_ok(line):
    if " failed: " in line or " did not complete: " in line:
        return bool(EXPLANATION_STEP.match(line))
    return bool(EXPLANATION_ARGS.match(line))
XEN_HELP_FIRST_LINE = "xen-livepatch: live patching tool"


class Judge:
    def __init__(self, results):
        self.results = results
        self.passed = 0
        self.failed = 0

    def check(self, ok, name, why="", detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {why}")
            if detail:
                print(detail.rstrip("\n"))

    def read(self, *parts):
        path = os.path.join(self.results, *parts)
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def step(self, sid):
        try:
            return {"out": self.read("steps", sid + ".out"), "err": self.read("steps", sid + ".err"),
                    "rc": int(self.read("steps", sid + ".rc").strip())}
        except (OSError, ValueError):
            return None

    def probe(self, pid):
        try:
            text = self.read("probes", pid)
        except OSError:
            return None
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def split_explanations(stderr):
    """This tool's stderr: (Xen's lines, its own explanation lines)."""
    xen, own = [], []
    for line in stderr.splitlines(keepends=True):
        if line.startswith("xen-livepatch: ") and line.rstrip("\n") != XEN_HELP_FIRST_LINE:
            own.append(line.rstrip("\n"))
        else:
            xen.append(line)
    return "".join(xen), own


def diff(a, b, name_a, name_b):
    return "".join(difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                        name_a, name_b))


def judge_machine(j, build_id):
    base = j.probe("baseline")
    j.check(base is not None, "machine: dom0 recorded the baseline", "no baseline probe")
    if base is None:
        return None
    j.check(base.get("build_id") == build_id, "machine: the running Xen is the packaged xen-syms build",
            f"xl info build_id {base.get('build_id')!r}, xen-syms {build_id}")
    info = j.step("boot-xl-info")
    j.check(info is not None and info["rc"] == 0 and "xen_version" in info["out"],
            "machine: xl info works in dom0", info and info["err"])
    return base


def judge_sequence(j, prefix, tool, base):
    for suffix, (rc, needle, *err_needle) in SEQUENCE_EXPECTED.items():
        err_needle = err_needle[0] if err_needle else ""
        s = j.step(f"{prefix}-{suffix}")
        name = f"{tool}: {suffix}"
        if s is None:
            j.check(False, name, "step did not run")
            continue
        j.check(s["rc"] == rc and needle in s["out"] and err_needle in s["err"], name,
                f"exit {s['rc']} (expected {rc}), stdout should contain {needle!r}, stderr {err_needle!r}",
                f"--- stdout\n{s['out']}--- stderr\n{s['err']}")
    for pid, key, want in SEQUENCE_EFFECTS:
        p = j.probe(f"{prefix}-{pid}") or {}
        want = base.get(key) if want is None else want
        j.check(p.get(key) == want, f"{tool}: effect {pid} ({key} = {want!r})", f"dom0 read {p.get(key)!r}")
    nop = j.probe(f"{prefix}-nop-applied") or {}
    j.check(nop.get("minor") not in (None, base.get("minor")), f"{tool}: effect nop-applied (minor version is not "
            f"{base.get('minor')} while xen_minor_version's mov is NOPed)", f"dom0 read {nop.get('minor')!r}")


def judge_comparison(j):
    explanations = 0
    for suffix in SEQUENCE_EXPECTED:
        x, o = j.step(f"x-{suffix}"), j.step(f"o-{suffix}")
        name = f"identical output: {suffix}"
        if x is None or o is None:
            j.check(False, name, "step missing")
            continue
        o_err, own = split_explanations(o["err"])
        explanations += len(own)
        problems, detail = [], ""
        if x["out"] != o["out"]:
            problems.append("stdout differs")
            detail += diff(x["out"], o["out"], "xen/stdout", "ours/stdout")
        if x["err"] != o_err:
            problems.append("stderr differs")
            detail += diff(x["err"], o_err, "xen/stderr", "ours/stderr (explanations removed)")
        if x["rc"] != o["rc"]:
            problems.append(f"exit status {x['rc']} (Xen's) vs {o['rc']} (ours)")
        bad = [line for line in own if not explanation_ok(line)]
        if bad:
            problems.append("explanation lines not in the documented form")
            detail += "".join(f"  {line}\n" for line in bad)
        if own and x["rc"] == 0:
            problems.append("explanation printed although the command succeeded")
        j.check(not problems, name, "; ".join(problems), detail)
    print(f"  ({explanations} explanation lines of this tool set apart from the comparison)")


def report_retries(j):
    """Steps run again after a rendezvous timeout (dom0/lib.sh, step): reported, not failures."""
    steps = os.path.join(j.results, "steps")
    for name in sorted(os.listdir(steps)):
        if name.endswith(".retries"):
            n = j.read("steps", name).strip()
            print(f"  note: {name[:-8]} ran again {n} time(s) after a rendezvous timeout (-EBUSY)")


def judge_hooks(j, serial):
    lines = [m.group(1) for m in re.finditer(r"nested-hooks: ([a-z-]+)", serial)]
    j.check(lines == HOOK_ORDER * 2, "hooks: every hook ran, in order, once per tool",
            f"hook lines on the console: {lines}")


def judge_offline(j, tool, xen_syms, payloads):
    """This project's loader (xen-livepatch check) against the real xen-syms agrees with Xen."""
    for name in sorted(os.listdir(payloads)):
        if not name.endswith(".livepatch"):
            continue
        r = subprocess.run([tool, "check", os.path.join(payloads, name), "--against", xen_syms],
                           capture_output=True, text=True)
        want = 1 if name.startswith("wrong-build-id") else 0
        j.check(r.returncode == want, f"offline check of {name} against xen-syms (exit {want}, as Xen's upload)",
                f"exit {r.returncode}", r.stdout + r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--serial", required=True)
    ap.add_argument("--xen-syms", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--payloads", required=True)
    a = ap.parse_args()
    out = subprocess.run(["readelf", "-n", a.xen_syms], capture_output=True, text=True, check=True).stdout
    build_id = re.search(r"Build ID: ([0-9a-f]+)", out).group(1)
    with open(a.serial, "rb") as f:
        serial = f.read().decode("latin-1")

    j = Judge(a.results)
    base = judge_machine(j, build_id)
    if base is not None:
        judge_sequence(j, "x", "Xen's tool", base)
        judge_sequence(j, "o", "our tool", base)
        judge_comparison(j)
        report_retries(j)
        judge_hooks(j, serial)
        judge_json(j)
    judge_offline(j, a.tool, a.xen_syms, a.payloads)
    print(f"nested-test: {j.passed} passed, {j.failed} failed")
    sys.exit(1 if j.failed else 0)


if __name__ == "__main__":
    main()
