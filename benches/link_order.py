#!/usr/bin/env python3
"""Makes benches/link-order.txt: the functions a run of cairn executes, for the linker to place
together (see build.rs).

Runs every verb of the benchmark's workloads (init, validate, plan, apply, show, a no-change
plan, destroy, fmt) on each shape of benches/run.py at the benchmark's size (2,000: at a small
size the helper threads of a batch never start, and their code would be left out) under
valgrind's callgrind, about two minutes, and lists the functions of the binary that ran,
grouped so that each verb touches few stretches of code (see PRIORITY). The names are the
binary's own symbols, so they belong to one toolchain, one set of dependency versions and one
set of features: make the list again from a release build after updating any of those.

    cargo build --release
    benches/link_order.py                       # writes benches/link-order.txt
    benches/link_order.py --check               # how much of the list the binary has

Needs valgrind and nm (binutils).
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the generators and the way the benchmark finds the binary)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "link-order.txt")
SHAPES = ["flat", "chain", "fanout", "count", "for_each", "module"]
HEADER = """\
# Functions of the cairn executable that runs of the benchmark's shapes execute, plan's first.
# build.rs asks the linker to place them together; a name the binary lacks is skipped.
# Made by benches/link_order.py from a release build with {rustc} ({count} of its {total}
# functions); make it again after a change of toolchain, dependency versions or features.
"""


def text_symbols(binary):
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            names.add(parts[2])
    return names


def executed(callgrind_out):
    """Names of the functions a callgrind profile saw run or be called, in order of appearance."""
    seen = {}
    pattern = re.compile(r"^c?fn=\(\d+\) (.*)$")
    with open(callgrind_out, errors="replace") as f:
        for line in f:
            m = pattern.match(line)
            if m:
                # callgrind marks recursion depth as name'2.
                seen.setdefault(m.group(1).split("'")[0], None)
    return list(seen)


def verbs(binary):
    common = ["-input=false", "-no-color"]
    return [
        ("init", [binary, "init", *common]),
        ("validate", [binary, "validate", "-no-color"]),
        ("plan", [binary, "plan", *common]),
        ("apply", [binary, "apply", "-auto-approve", *common]),
        ("show", [binary, "show", "-json"]),
        ("noop", [binary, "plan", *common]),
        ("fmt", [binary, "fmt", "-check", "-recursive"]),
        ("destroy", [binary, "destroy", "-auto-approve", *common]),
    ]


def profile(binary, size, work):
    """Runs each verb on each shape under callgrind; returns (verb, names it executed) pairs."""
    runs = []
    env = dict(os.environ, CHECKPOINT_DISABLE="1", NO_COLOR="1")
    for shape in SHAPES:
        d = os.path.join(work, shape)
        os.makedirs(d)
        run.write_config(d, run.GENERATORS[shape](size))
        for verb, argv in verbs(binary):
            out = os.path.join(work, f"{shape}.{verb}.callgrind")
            cmd = ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}", *argv]
            proc = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True)
            # fmt -check exits 3 when a file would change; the verb still ran.
            if proc.returncode not in (0, 3) or not os.path.exists(out):
                raise SystemExit(f"{shape} {verb} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
            runs.append((verb, executed(out)))
            print(f"{shape:9s} {verb:9s} {len(runs[-1][1]):6d} functions", file=sys.stderr)
    return runs


# The verbs in the order their code is placed: the functions of a plan first, so that a plan
# touches one stretch of code; within them those an apply also runs, so that an apply touches
# few stretches; and so on.
PRIORITY = ["plan", "apply", "noop", "destroy", "validate", "init", "show", "fmt"]


def order(runs, symbols):
    """The binary's executed functions, grouped by the verbs that ran them (see PRIORITY), each
    group sorted by name: a verb touches a group whole, and the list comes out the same from
    one making to the next but for the few functions whose use depends on the threads' timing."""
    verbs_of = collections.defaultdict(set)
    for verb, names in runs:
        for name in names:
            if name in symbols:
                verbs_of[name].add(verb)
    return sorted(verbs_of, key=lambda n: ([v not in verbs_of[n] for v in PRIORITY], n))


def check(binary, path):
    """How many of the functions listed in `path` the binary has, and how many are listed."""
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found")
    symbols = text_symbols(binary)
    with open(path) as f:
        listed = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    found = sum(1 for name in listed if name in symbols)
    print(f"{found} of the {len(listed)} functions listed in {path} are in {binary}")
    return found, len(listed)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cairn", help="the release binary (default: as benches/run.py finds it)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="the list to write (default: %(default)s)")
    ap.add_argument("--size", type=int, default=2000, help="resources per shape (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="only say how much of the list the binary has")
    args = ap.parse_args()
    binary = run.find_cairn(args.cairn)
    if args.check:
        found, listed = check(binary, args.out)
        sys.exit(0 if found * 2 >= listed else 1)
    for tool in ("valgrind", "nm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: it is needed to list the functions a run executes")
    symbols = text_symbols(binary)
    with tempfile.TemporaryDirectory(prefix="cairn-link-order-") as work:
        names = order(profile(binary, args.size, work), symbols)
    with open(args.out, "w") as f:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip() or "rustc"
        f.write(HEADER.format(rustc=rustc, count=len(names), total=len(symbols)))
        f.write("\n".join(names) + "\n")
    print(f"{len(names)} of {len(symbols)} functions written to {args.out}")


if __name__ == "__main__":
    main()
