"""What Xen 4.17 does in the nested test (tests/nested/dom0/compare-sequence.sh and checks.sh),
as observed on Debian's xen-hypervisor-4.17-amd64 and as Xen's code and tool define it: the
tables judge.py checks the recorded runs against."""

HELLO, STACKED, REPLACE, HOOKS = "-nested-hello", "-nested-stacked", "-nested-replace", "-nested-hooks"

# Xen's tool on each step of compare-sequence.sh: the exit status, text stdout must contain and,
# for the refusals, text stderr must contain (Xen 4.17's errno for each).
SEQUENCE_EXPECTED = {
    "01-list-empty": (0, "Nothing to list"),
    "02-upload-hello": (0, "completed"),
    "03-upload-same-name": (1, "failed", "Error 17: File exists"),
    "04-upload-same-build-id": (1, "failed", "Error 17: File exists"),
    "05-upload-wrong-build-id": (1, "failed", "Error 22: Invalid argument"),
    "06-upload-missing-file": (1, "", "Could not open /payloads/does-not-exist.livepatch."),
    "07-list-checked": (0, "CHECKED"),
    "08-apply-hello": (0, "completed"),
    "09-apply-again": (0, "No action needed"),
    "10-unload-applied": (1, "", "hello is in the wrong state."),
    "11-upload-stacked": (0, "completed"),
    "12-apply-stacked": (0, "completed"),
    "13-revert-not-top": (2, "failed", "Error 16: Device or resource busy"),
    "14-list-stacked": (0, "APPLIED"),
    "15-revert-stacked": (0, "completed"),
    "16-revert-hello": (0, "completed"),
    "17-revert-again": (0, "No action needed"),
    "18-apply-stacked-without-base": (1, "failed", "Error 22: Invalid argument"),
    "19-apply-stacked-nodeps": (0, "completed"),
    "20-revert-stacked-nodeps": (0, "completed"),
    "21-apply-unknown-flag": (1, "", "Unsupported flag: --bogus."),
    "22-apply-missing": (1, "", "Failed to get status of nosuch."),
    "23-revert-missing": (1, "", "Failed to get status of nosuch."),
    "24-unload-missing": (1, "", "Failed to get status of nosuch."),
    "25-replace-missing": (1, "", "Failed to get status of nosuch."),
    "26-upload-replace": (0, "completed"),
    "27-apply-hello": (0, "completed"),
    "28-apply-stacked": (0, "completed"),
    "29-replace": (0, "completed"),
    "30-list-replaced": (0, "APPLIED"),
    "31-replace-again": (0, "No action needed"),
    "32-revert-replace": (0, "completed"),
    "33-upload-hooks": (0, "completed"),
    "34-replace-with-hooks": (1, "failed", "Error 95: Operation not supported"),
    "35-apply-hooks": (0, "completed"),
    "36-revert-hooks": (0, "completed"),
    "37-unload-stacked": (0, "completed"),
    "38-unload-replace": (0, "completed"),
    "39-unload-hooks": (0, "completed"),
    "40-unload-hello": (0, "completed"),
    "41-load-nop": (0, "completed"),
    "42-revert-nop": (0, "completed"),
    "43-unload-nop": (0, "completed"),
    "44-unknown-command": (1, "", "Unrecognised command 'frobnicate'"),
    "45-list-empty-again": (0, "Nothing to list"),
}

# Probes of each sequence run: (probe, key, expected value; None = the baseline's).
SEQUENCE_EFFECTS = [
    ("hello-checked", "extra", None),
    ("hello-applied", "extra", HELLO),
    ("hello-applied", "xen_extra", HELLO),
    ("stacked-applied", "extra", STACKED),
    ("stacked-reverted", "extra", HELLO),
    ("hello-reverted", "extra", None),
    ("hello-reverted", "xen_extra", None),
    ("stacked-nodeps", "extra", STACKED),
    ("replaced", "extra", REPLACE),
    ("replace-reverted", "extra", None),
    ("hooks-applied", "extra", HOOKS),
    ("nop-reverted", "minor", None),
]

HOOK_ORDER = ["pre-apply", "load", "post-apply", "pre-revert", "unload", "post-revert"]
