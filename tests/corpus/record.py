#!/usr/bin/env python3
"""Records real Xen's verdict on every corpus variant (`make nested-corpus`, docs/corpus.md).

    record.py --corpus DIR --pkgroot PKGROOT --initrd INITRD --out TABLE.json [--work DIR]
              [--idle-timeout S] [--only N]

DIR is gen_corpus.py's output; INITRD the dom0 initramfs holding it (/payloads), the variants'
steps (/test/variants.list) and tests/corpus/dom0/corpus-run.sh as /test/run. The machine is the
nested test's (tests/nested/boot-xen.sh: Debian's Xen 4.17 under QEMU/TCG). dom0 runs the
variants in order with Xen's own xen-livepatch and prints each step's outcome on the console.
When QEMU exits before the last variant (Xen or dom0 died: the machine runs with -no-reboot), or
the console shows no progress for --idle-timeout seconds (it hung; QEMU is killed), the variant
that was running is recorded as having crashed the hypervisor, and the machine boots again from
the next variant. A variant after which the hypervisor could not be emptied ("dirty") also
restarts the machine.

TABLE.json: where the verdicts come from (Xen's package version and build-id, the date, the run's
duration and boots) and, per variant, each step with Xen's tool's exit status, the errno it
printed and the verdict derived from them (`rc`: 0, a negative errno, "wrong-state:<STATE>",
"skipped", or "not-run" after a crash), the outcome ("completed", "crashed", "hung", "dirty")
and the hypervisor's livepatch log lines while it ran."""
import argparse
import datetime
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def xen_identity(pkgroot):
    syms = os.path.join(pkgroot, "usr/lib/debug/boot/xen-syms-4.17-amd64")
    text = subprocess.run(["readelf", "-n", syms], check=True, capture_output=True, text=True).stdout
    build_id = next(l.split("Build ID:")[1].strip() for l in text.splitlines() if "Build ID:" in l)
    version = None
    with open(os.path.join(pkgroot, ".packages")) as f:
        for line in f:
            if line.startswith("xen-hypervisor-4.17-amd64="):
                version = line.strip().split("=", 1)[1]
    return {"package": "xen-hypervisor-4.17-amd64", "version": version, "build_id": build_id,
            "xen_syms": "usr/lib/debug/boot/xen-syms-4.17-amd64"}


class Boot:
    """One run of the machine from variant line `start`; fills `events`."""

    def __init__(self, args, start, n):
        self.args, self.start, self.n = args, start, n
        self.log = os.path.join(args.work, f"serial-{start:04d}.log")
        k = 1
        while os.path.exists(self.log):
            self.log = os.path.join(args.work, f"serial-{start:04d}-{k}.log")
            k += 1

    def run(self):
        stop = f" corpus_stop={self.args.stop_at}" if self.args.stop_at else ""
        env = dict(os.environ, NESTED_DOM0_ARGS=f"corpus_start={self.start}{stop}", NESTED_SMP=str(self.args.smp))
        with open(self.log + ".boot", "w") as bl:
            p = subprocess.Popen(["bash", os.path.join(TOP, "tests/nested/boot-xen.sh"), self.args.pkgroot,
                                  self.args.initrd, self.log, str(self.args.boot_timeout)],
                                 stdout=bl, stderr=subprocess.STDOUT, env=env, start_new_session=True)
            last_progress = time.time()
            seen = 0
            self.hung = False
            self.dead = None
            while p.poll() is None:
                time.sleep(1)
                try:
                    size = os.path.getsize(self.log)
                except OSError:
                    size = 0
                if size != seen:
                    # Progress is a corpus line (or, before the first, any output at all).
                    with open(self.log, "rb") as f:
                        f.seek(seen)
                        chunk = f.read()
                    seen = size
                    if b"CORPUS-" in chunk or b"CORPUS-START" not in open(self.log, "rb").read():
                        last_progress = time.time()
                    # Xen reboots after a panic (QEMU then exits: -no-reboot), but a double fault
                    # can repeat forever: end the machine and record the crash.
                    if b"DOUBLE FAULT" in chunk and self.dead is None:
                        self.dead = time.time()
                if self.dead is not None and time.time() - self.dead > 10:
                    kill_session(p.pid)
                    p.wait()
                    break
                if time.time() - last_progress > self.args.idle_timeout:
                    self.hung = True
                    kill_session(p.pid)
                    p.wait()
                    break
        return self.parse()

    def parse(self):
        """[(kind, fields...)] from the serial log, with the Xen lines in between."""
        events = []
        with open(self.log, "rb") as f:
            for raw in f:
                line = raw.decode("latin-1").replace("\r", "").rstrip("\n")
                m = re.search(r"CORPUS-(START|BEGIN|STEP|MSG|PROBE|END|DONE)\b ?(.*)", line)
                if m and not line.startswith("NESTED-DATA"):
                    events.append((m.group(1), m.group(2)))
                elif line.startswith("(XEN)"):
                    events.append(("XEN", line[5:].strip()))
        return events


def kill_session(sid):
    """Kills every process of session `sid` (boot-xen.sh's: `timeout` puts QEMU in a process
    group of its own, so killing boot-xen.sh's group is not enough)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def interesting(xen_line):
    return re.search(r"livepatch|panic|fatal|bug|fault|assert|trace|RIP:|corpus-", xen_line, re.I) is not None


def verdict(exit_code, errno, note):
    if note == "skipped":
        return "skipped"
    if note.startswith("polled:"):
        _, state, rc = note.split(":")
        return 0 if int(rc) == 0 else -abs(int(rc))
    if exit_code == 0:
        return 0
    if errno != "-":
        return -int(errno)
    if note.startswith("wrong-state:"):
        return note
    return f"exit-{exit_code}"


def absorb(events, variants, results):
    """Folds one boot's events into `results`. Returns (done, current, last_began)."""
    current, xen, done, last = None, [], False, None
    for kind, rest in events:
        if kind == "BEGIN":
            line, name = rest.split(" ", 1)
            current = last = int(line)
            xen = []
            results[current] = {"steps": {}, "msgs": {}, "xen_log": xen, "outcome": None}
            if variants[current - 1]["name"] != name:
                sys.exit(f"record: line {current} is {name} in dom0, {variants[current - 1]['name']} here")
        elif kind == "STEP" and current is not None:
            f = rest.split(" ")
            results[current]["steps"][int(f[1])] = {"verb": f[2], "payload": f[3],
                                                   "exit": None if f[4] == "-" else int(f[4]),
                                                   "errno": f[5], "retries": int(f[6]), "note": f[7]}
        elif kind == "MSG" and current is not None:
            f = rest.split(" ", 2)
            results[current]["msgs"][int(f[1])] = (f[2] if len(f) > 2 else "").strip()
        elif kind == "PROBE" and current is not None:
            results[current]["probe"] = rest.split(" ", 1)[1] if " " in rest else rest
        elif kind == "END" and current is not None:
            results[current]["outcome"] = "completed" if rest.endswith(" clean") else "dirty"
            current = None
        elif kind == "DONE":
            done = True
        elif kind == "XEN" and current is not None and interesting(rest) and len(xen) < 12:
            xen.append(re.sub(r"^\[[^\]]*\] ", "", rest))
    return done, current, last


def write_table(a, spec, results, boots, seconds):
    variants = spec["variants"]
    table = []
    for i, v in enumerate(variants, 1):
        r = results.get(i)
        steps = []
        for k, s in enumerate(v["steps"], 1):
            rec = dict(verb=s["verb"], payload=s["payload"])
            if "file" in s:
                rec["file"] = s["file"]
            got = r["steps"].get(k) if r else None
            if got is None:
                rec["rc"] = "not-run"
            else:
                rec.update(exit=got["exit"], errno=got["errno"], note=got["note"], retries=got["retries"],
                           rc=verdict(got["exit"], got["errno"], got["note"]), output=r["msgs"].get(k, ""))
            steps.append(rec)
        table.append({"name": v["name"], "description": v["description"], "category": v["category"],
                      "files": v["files"], "outcome": (r["outcome"] or "running") if r else "not-run",
                      "steps": steps, "xen_log": r["xen_log"] if r else []})
        if r and r.get("probe"):
            table[-1]["after"] = r["probe"]
    doc = {
        "what": "Xen 4.17's verdicts on the corpus variants (tests/corpus/gen_corpus.py), recorded by "
                "`make nested-corpus` (tests/corpus/record.py) with Xen's own xen-livepatch in dom0. Generated: do not edit.",
        "xen": xen_identity(a.pkgroot),
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"QEMU TCG, -cpu qemu64 -smp {a.smp} -m 2048 (tests/nested/boot-xen.sh)",
        "runtime_seconds": round(seconds, 1),
        "boots": boots,
        "bases": spec["bases"],
        "variants": table,
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.out)
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--pkgroot", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="build/nested/corpus-run")
    ap.add_argument("--idle-timeout", type=int, default=150)
    ap.add_argument("--boot-timeout", type=int, default=14400)
    ap.add_argument("--smp", type=int, default=1, help="CPUs of the machine (NESTED_SMP)")
    ap.add_argument("--resume", action="store_true",
                    help="continue the run whose serial logs are in --work (after an interruption)")
    ap.add_argument("--restart-at", type=int, default=0,
                    help="with --resume: record again from this variant on (its line in variants.list)")
    ap.add_argument("--stop-at", type=int, default=0,
                    help="with --restart-at: record again only up to this variant")
    a = ap.parse_args()
    with open(os.path.join(a.corpus, "variants.json")) as f:
        spec = json.load(f)
    variants = spec["variants"]
    n = len(variants)
    results = {}
    boots = []
    start = 1
    spent = 0.0
    if a.resume and os.path.isdir(a.work):
        state = os.path.join(a.work, "boots.json")
        if os.path.exists(state):
            with open(state) as f:
                saved = json.load(f)
            boots, spent = saved["boots"], saved["seconds"]
        logs = [x for x in os.listdir(a.work) if re.match(r"serial-\d+(-\d+)?\.log$", x)]
        for log in sorted(logs, key=lambda x: os.path.getmtime(os.path.join(a.work, x))):
            b = Boot(a, int(log[7:11]), n)
            b.log = os.path.join(a.work, log)
            done, current, last = absorb(b.parse(), variants, results)
            if done:
                # The list may have grown since: go on after the last variant that log ran.
                start = max(start, (last or n) + 1)
            elif current is not None:
                if results[current]["outcome"] is None:
                    results[current]["outcome"] = "crashed"
                start = max(start, current + 1)
            elif last is not None:
                start = max(start, last + 1)
        if a.restart_at:
            for k in [k for k in results if k >= a.restart_at and (not a.stop_at or k <= a.stop_at)]:
                del results[k]
            start = a.restart_at
        print(f"record: resuming from variant {start} ({len(results)} recorded)", flush=True)
    else:
        if os.path.isdir(a.work):
            for x in os.listdir(a.work):
                os.unlink(os.path.join(a.work, x))
        os.makedirs(a.work, exist_ok=True)
    t0 = time.time() - spent
    last_line = min(n, a.stop_at) if a.stop_at else n
    while start <= last_line:
        tb = time.time()
        b = Boot(a, start, n)
        done, current, last = absorb(b.run(), variants, results)
        took = round(time.time() - tb, 1)
        if done:
            boots.append({"from": start, "to": last, "seconds": took, "ended": "done"})
            start = n + 1
        elif current is not None:
            # The machine died (or hung) while this variant ran.
            results[current]["outcome"] = "hung" if b.hung else "crashed"
            boots.append({"from": start, "to": current, "seconds": took, "ended": results[current]["outcome"]})
            print(f"record: variant {current} {variants[current - 1]['name']}: {results[current]['outcome']} "
                  f"(boot {len(boots)}, {took}s)", flush=True)
            start = current + 1
        elif last is not None:
            boots.append({"from": start, "to": last, "seconds": took, "ended": results[last]["outcome"]})
            print(f"record: variant {last} {variants[last - 1]['name']}: {results[last]['outcome']}, restarting",
                  flush=True)
            start = last + 1
        else:
            boots.append({"from": start, "to": None, "seconds": took, "ended": "no-variant-ran"})
            if len(boots) >= 2 and boots[-2]["ended"] == "no-variant-ran":
                sys.exit(f"record: the machine ran no variant twice from {start}: see {b.log}")
            print(f"record: boot from {start} ran no variant, trying again", flush=True)
        with open(os.path.join(a.work, "boots.json"), "w") as f:
            json.dump({"boots": boots, "seconds": time.time() - t0}, f)
        write_table(a, spec, results, boots, time.time() - t0)
        print(f"record: {len(results)}/{n} variants recorded after {round(time.time() - t0)}s", flush=True)

    table = write_table(a, spec, results, boots, time.time() - t0)
    outcomes = {}
    for t in table:
        key = t["outcome"]
        if key == "completed":
            up = t["steps"][0]["rc"]
            key = "upload accepted" if up == 0 else "upload refused"
        outcomes[key] = outcomes.get(key, 0) + 1
    print(f"record: {len(table)} variants in {round(time.time() - t0, 1)}s, {len(boots)} boots: "
          + ", ".join(f"{v} {k}" for k, v in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
