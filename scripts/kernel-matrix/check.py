#!/usr/bin/env python3
"""Checks one guest's serial log from init.sh: from each tool's -v lines, that every probe
chosen is the first of its chain in tools.json (the preferred one) where the kernel offers it,
then the rows each tool printed for its workload, by the tool's own
Sources/<tool>/matrix/check.py (a `check(guest)` function; optional PLAN_OPTION, the option its
scenario runs with that changes the probe plan, and MAY_PASS_OVER, role -> the reason -v gives
when the first choice is missing for a reason the tool states). Prints what failed; exit 1 if any.
"""
import importlib.util, json, os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
log = open(sys.argv[1], errors="replace").read().replace("\r", "")
manifest = json.load(open(os.path.join(root, "tools.json")))
kernel = (re.search(r"@@@ KERNEL (\S+)", log) or [None, "0.0"])[1]
version = tuple(int(part) for part in re.findall(r"\d+", kernel)[:2])
# kernels older than these lack what a variant requires: its twin without it serves there
requirement_since = {"cmpxchg": (5, 12), "bpf_loop": (5, 17), "bpf_task_pt_regs": (5, 15), "bpf_snprintf": (5, 13),
                     "bpf_find_vma": (5, 17)}
failures = []


class Guest:
    """What a tool's check reads from the log, and where it says what failed."""

    def __init__(self, tool):
        self.tool = tool
        self.version = version
        self.log = log

    def expect(self, condition, what):
        if not condition:
            failures.append(f"{self.tool}: {what}")
        return condition

    def section(self, name):
        m = re.search(rf"@@@ BEGIN {name}\n(.*?)@@@ STDERR {name}\n(.*?)@@@ END {name} rc=(\d+)", log, re.S)
        if not self.expect(m, f"no output from {name} (did the guest get there?)"):
            return [], "", -1
        return m[1].splitlines(), m[2], int(m[3])

    def rows(self, name):
        return self.section(name)[0]

    def ports(self, name):
        m = re.search(rf"@@@ PORTS {name} (.*)", log)
        return m[1].split() if m else []

    @staticmethod
    def histogram_total(lines):
        return sum(int(l.split(":")[1].split("|")[0]) for l in lines if " -> " in l)


def load_check(name):
    path = os.path.join(root, "Sources", name, "matrix", "check.py")
    if not os.path.exists(path):
        sys.exit(f"kernel-matrix: {name} has no {path}")
    spec = importlib.util.spec_from_file_location(f"matrix_check_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_plan(guest, tool, module, err):
    name = tool["name"]
    may_pass_over = getattr(module, "MAY_PASS_OVER", {})
    for chain in tool["plans"][getattr(module, "PLAN_OPTION", "")]:
        candidates = chain["chain"]
        m = re.search(rf"^{name}: {re.escape(chain['role'])}: using .*? \((\w+)\)(.*)$", err, re.M)
        # an optional chain a kernel does without (entry programs where the return reads the
        # arguments itself, from 5.15)
        # or one whose every candidate needs more than this kernel has (profile's kernel symbol
        # names before 5.13)
        if not m and not chain["required"] and re.search(rf"^{name}: {re.escape(chain['role'])}: skipped", err, re.M):
            without = [r[3:] for c in candidates for r in c.get("requires", []) if r.startswith("no:")]
            unmet = all(any(not r.startswith("no:") and version < requirement_since.get(r, (0, 0)) for r in c.get("requires", []))
                        for c in candidates)
            guest.expect(unmet or (without and all(version >= requirement_since.get(r, (0, 0)) for r in without)),
                         f"'{chain['role']}' skipped on a kernel that needs it")
            continue
        if not guest.expect(m, f"-v does not say which probe serves '{chain['role']}'"):
            continue
        reason = may_pass_over.get(chain["role"])
        if m[1] != candidates[0]["program"] and reason and reason in m[2]:
            continue
        # a variant of the same probe, taken because this kernel lacks what the first requires
        first = candidates[0]
        twins = [c for c in candidates[1:] if (c["kind"], c["target"]) == (first["kind"], first["target"])]
        # (a "no:X" requirement only says when a chain is needed at all: checked above)
        def met(candidate):
            return all(version >= requirement_since.get(r, (0, 0)) for r in candidate.get("requires", []) if not r.startswith("no:"))
        if any(m[1] == c["program"] and met(c) for c in twins) and not met(first):
            continue
        guest.expect(m[1] == candidates[0]["program"],
                     f"'{chain['role']}' uses {m[1]}, not the preferred {candidates[0]['program']}: {m[0]}")


for tool in manifest["tools"]:
    guest = Guest(tool["name"])
    _, err, rc = guest.section(tool["name"])
    guest.expect(rc == 0, f"exit status {rc}; stderr: {err.strip()}")
    module = load_check(tool["name"])
    check_plan(guest, tool, module, err)
    module.check(guest)

Guest("guest").expect("@@@ DONE" in log, "the guest did not finish its script")
if failures:
    print(f"kernel-matrix: {kernel}: {len(failures)} failure(s)")
    for f in failures:
        print(f"  - {f}")
    sys.exit(1)
print(f"kernel-matrix: {kernel}: all {len(manifest['tools'])} tools passed")
