"""The --json checks of the nested test (judge.py): each document of this project's tool
(tests/nested/dom0/checks.sh, steps j-*) has the command's result, the xen backend, and for
`list` the payloads and states Xen's own `list` showed at the same moment."""
import json

from expected import HELLO


def xen_list_rows(text):
    """Xen's `list` text: {name: state word}."""
    rows = {}
    for line in text.splitlines()[2:]:
        if "|" in line:
            name, rest = line.split("|", 1)
            rows[name.strip()] = rest.strip().split()[0]
    return rows



def judge_json(j):
    def doc(sid):
        s = j.step(sid)
        if s is None:
            return None, None
        try:
            return s, json.loads(s["out"])
        except ValueError:
            return s, None

    def expect(sid, what, **fields):
        s, d = doc(sid)
        if d is None:
            j.check(False, f"json: {sid} ({what})", "no JSON document on stdout", s and s["out"] + s["err"])
            return None
        wrong = {k: (d.get(k), v) for k, v in fields.items() if d.get(k) != v}
        j.check(not wrong and d.get("exit_code") == s["rc"] and d.get("backend") == "xen",
                f"json: {sid} ({what})", f"fields (got, expected): {wrong}; exit {s['rc']}, "
                f"exit_code {d.get('exit_code')}, backend {d.get('backend')!r}")
        return d

    def same_as_xen(sid, xen_sid):
        _, d = doc(sid)
        x = j.step(xen_sid)
        ours = {p["name"]: p["state"] for p in (d or {}).get("payloads", [])}
        xen = xen_list_rows(x["out"]) if x else None
        j.check(d is not None and ours == xen, f"json: {sid} lists what Xen holds",
                f"--json list {ours}, Xen's list {xen}")

    expect("j-01-list-empty", "empty", ok=True, payloads=[])
    same_as_xen("j-01-list-empty", "x-01-list-empty")
    d = expect("j-02-upload-hello", "upload", ok=True, rc=0, name="hello")
    d = expect("j-03-upload-wrong-build-id", "refused upload", ok=False, rc=-22, rc_name="EINVAL")
    if d:
        err = d.get("error") or {}
        j.check(err.get("step") == "UPLOAD" and err.get("rc_name") == "EINVAL",
                "json: the refused upload names step UPLOAD and EINVAL", f"error {err}")
    expect("j-04-upload-stacked", "upload", ok=True, rc=0)
    same_as_xen("j-05-list-checked", "j-05-xen-list")
    expect("j-06-apply-hello", "apply", ok=True, outcome="completed", state="APPLIED", state_before="CHECKED")
    p = j.probe("j-hello-applied") or {}
    j.check(p.get("extra") == HELLO, "json: apply's effect is visible", f"dom0 read {p.get('extra')!r}")
    expect("j-07-status-hello", "status", ok=True, state="APPLIED")
    s = j.step("j-08-status-hello-text")
    j.check(s is not None and s["rc"] == 0 and s["out"].startswith("hello: APPLIED, rc 0"),
            "status: text on the xen backend", s and s["out"] + s["err"])
    d = expect("j-09-apply-stacked-wait", "--timeout 1s --wait 10s", ok=True, outcome="completed",
               state="APPLIED", timeout_ns=1000000000, wait_ns=10000000000)
    same_as_xen("j-10-list-applied", "j-10-xen-list")
    d = expect("j-11-revert-not-top", "revert below the top", ok=False, rc=-16, rc_name="EBUSY", exit_code=2)
    expect("j-12-unload-applied", "unload while applied", ok=False, outcome="wrong_state", exit_code=1)
    expect("j-13-revert-stacked", "revert", ok=True, outcome="completed", state="CHECKED")
    expect("j-14-revert-hello", "revert", ok=True, outcome="completed", state="CHECKED")
    p = j.probe("j-reverted") or {}
    base = j.probe("baseline") or {}
    j.check(p.get("extra") == base.get("extra"), "json: revert's effect is visible", f"dom0 read {p.get('extra')!r}")
    expect("j-15-unload-stacked", "unload", ok=True, outcome="completed")
    expect("j-16-unload-hello", "unload", ok=True, outcome="completed")
    same_as_xen("j-17-list-empty", "j-17-xen-list")
