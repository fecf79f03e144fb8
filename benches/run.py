#!/usr/bin/env python3
"""Whole-process benchmark of cairn (and terraform, when installed) on generated configurations.

Generates a configuration of a given shape and size in a temporary directory, then runs each
operation (plan on an empty state, apply, no-change plan, destroy) as a child process of each
tool on its own copy of that directory, and prints wall time, CPU time (user + system) and peak
resident memory of the child, with cairn's ratio to terraform.

Shapes (every one uses only `terraform_data`, so terraform runs offline):
  flat     N independent resources whose inputs use variables, locals and function calls
  chain    N resources, each referencing the previous one's id (a dependency chain)
  fanout   one root resource and N-1 resources referencing it
  count    two `count` blocks of N/2, the second using `a[count.index]` of the first
  for_each one `for_each` block over a generated set of N keys
  module   10 calls (for_each) of a local module holding N/10 resources (count)

Examples:
  benches/run.py --shape flat --size 2000
  benches/run.py --shape chain --size 1000 --ops apply,destroy
  benches/run.py --shape flat --size 100000 --no-terraform --ops plan,apply,noop
  benches/run.py --suite --size 200 --no-terraform          # every shape, small: what CI runs

Options for the tools: --cairn PATH (default: target/release/cairn, else `cairn` on PATH),
--terraform PATH (default: `terraform` on PATH), --no-terraform, --parallelism N (passed to both).
--json FILE appends the results as JSON lines; --plot FILE writes a PNG (needs matplotlib).
Nothing here asserts on time: a slow machine gives slow numbers, not a failure; a failing
command fails the script.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SHAPES = ["flat", "chain", "fanout", "count", "for_each", "module"]
OPS = ["plan", "apply", "noop", "destroy"]

COMMON = """
variable "env" {
  type    = string
  default = "bench"
}

variable "tags" {
  type    = map(string)
  default = { team = "infra", cost = "shared" }
}

locals {
  prefix = "${var.env}-${upper(substr(var.env, 0, 3))}"
  tags   = merge(var.tags, { managed_by = "bench" })
}
"""


def gen_flat(n):
    out = [COMMON]
    for i in range(n):
        out.append(
            f'resource "terraform_data" "r{i}" {{\n'
            f'  input = {{\n'
            f'    name = format("%s-%05d", local.prefix, {i})\n'
            f'    tags = local.tags\n'
            f'    hash = substr(md5("{i}"), 0, 8)\n'
            f'  }}\n'
            f'}}\n'
        )
    return {"main.tf": "\n".join(out)}


def gen_chain(n):
    out = [COMMON]
    out.append(
        'resource "terraform_data" "r0" {\n'
        '  input = format("%s-start", local.prefix)\n'
        '}\n'
    )
    for i in range(1, n):
        out.append(
            f'resource "terraform_data" "r{i}" {{\n'
            f'  input = "${{terraform_data.r{i - 1}.id}}-{i}"\n'
            f'}}\n'
        )
    return {"main.tf": "\n".join(out)}


def gen_fanout(n):
    out = [COMMON]
    out.append(
        'resource "terraform_data" "root" {\n'
        '  input = local.prefix\n'
        '}\n'
    )
    for i in range(1, n):
        out.append(
            f'resource "terraform_data" "r{i}" {{\n'
            f'  input = "${{terraform_data.root.id}}-${{lower(local.prefix)}}-{i}"\n'
            f'}}\n'
        )
    return {"main.tf": "\n".join(out)}


def gen_count(n):
    half = max(n // 2, 1)
    return {
        "main.tf": COMMON
        + f"""
resource "terraform_data" "a" {{
  count = {half}
  input = format("%s-a-%d", local.prefix, count.index)
}}

resource "terraform_data" "b" {{
  count = {half}
  input = {{
    from = terraform_data.a[count.index].id
    tags = local.tags
  }}
}}
"""
    }


def gen_for_each(n):
    return {
        "main.tf": COMMON
        + f"""
locals {{
  keys = toset([for i in range({n}) : format("k%06d", i)])
}}

resource "terraform_data" "e" {{
  for_each = local.keys
  input    = "${{local.prefix}}-${{each.key}}-${{length(each.value)}}"
}}
"""
    }


def gen_module(n):
    calls = 10 if n >= 10 else 1
    per = max(n // calls, 1)
    keys = ", ".join(f'"m{i}"' for i in range(calls))
    return {
        "main.tf": COMMON
        + f"""
module "group" {{
  source   = "./modules/group"
  for_each = toset([{keys}])
  name     = "${{local.prefix}}-${{each.key}}"
  size     = {per}
  tags     = local.tags
}}

output "first_ids" {{
  value = {{ for k, m in module.group : k => m.first_id }}
}}
""",
        "modules/group/main.tf": """
variable "name" {
  type = string
}

variable "size" {
  type = number
}

variable "tags" {
  type = map(string)
}

resource "terraform_data" "r" {
  count = var.size
  input = {
    name = format("%s-%d", var.name, count.index)
    tags = var.tags
  }
}

output "first_id" {
  value = terraform_data.r[0].id
}
""",
    }


GENERATORS = {
    "flat": gen_flat,
    "chain": gen_chain,
    "fanout": gen_fanout,
    "count": gen_count,
    "for_each": gen_for_each,
    "module": gen_module,
}


def write_config(root, files):
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def measure(argv, cwd, env, ok_codes=(0,)):
    """Runs argv as a child; returns (wall seconds, cpu seconds, peak RSS in bytes)."""
    start = time.monotonic()
    with open(os.path.join(cwd, ".bench.log"), "ab") as log:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok_codes:
        with open(os.path.join(cwd, ".bench.log"), "rb") as log:
            tail = log.read()[-3000:].decode(errors="replace")
        raise SystemExit(f"{' '.join(argv)} in {cwd} exited {code}:\n{tail}")
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def tool_commands(tool, binary, parallelism):
    par = [f"-parallelism={parallelism}"] if parallelism else []
    common = ["-input=false", "-no-color"]
    return {
        "init": [binary, "init", "-input=false", "-no-color"],
        "plan": [binary, "plan", *common],
        "apply": [binary, "apply", "-auto-approve", *common, *par],
        "noop": [binary, "plan", *common],
        "destroy": [binary, "destroy", "-auto-approve", *common, *par],
    }


def run_tool(tool, binary, config_dir, work, ops, parallelism):
    """Runs `ops` in order in a fresh copy of the configuration. An op needing applied state
    (noop, destroy) gets an unmeasured apply first if none was measured."""
    d = os.path.join(work, tool)
    shutil.copytree(config_dir, d)
    env = dict(os.environ)
    env.update(CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1", NO_COLOR="1")
    cmds = tool_commands(tool, binary, parallelism)
    measure(cmds["init"], d, env)
    results = {}
    applied = False
    for op in OPS:
        if op not in ops:
            if op == "apply" and any(o in ops for o in ("noop", "destroy")):
                measure(cmds["apply"], d, env)
                applied = True
            continue
        if op in ("noop", "destroy") and not applied:
            measure(cmds["apply"], d, env)
            applied = True
        results[op] = measure(cmds[op], d, env)
        if op == "apply":
            applied = True
        if op == "destroy":
            applied = False
        state = os.path.join(d, "terraform.tfstate")
        if op == "apply" and os.path.exists(state):
            results["state_bytes"] = os.path.getsize(state)
    return results


def fmt_time(s):
    return f"{s:.2f} s" if s >= 0.1 else f"{s * 1000:.0f} ms"


def fmt_mib(b):
    return f"{b / 1048576:.0f} MiB" if b >= 10 * 1048576 else f"{b / 1048576:.1f} MiB"


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return "-"
    return f"{a / b:.0f}x" if a / b >= 10 else f"{a / b:.1f}x"


def find_cairn(arg):
    if arg:
        return os.path.abspath(arg)
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    for profile in ("release", "debug"):
        p = os.path.join(target, profile, "cairn")
        if os.path.exists(p):
            return os.path.abspath(p)
    found = shutil.which("cairn")
    if not found:
        raise SystemExit("cairn not found: build it (cargo build --release) or pass --cairn PATH")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=SHAPES, default="flat")
    ap.add_argument("--suite", action="store_true", help="every shape, one after another")
    ap.add_argument("--size", type=int, default=2000, help="number of resource instances")
    ap.add_argument("--ops", default="plan,apply,noop,destroy", help="comma-separated: " + ",".join(OPS))
    ap.add_argument("--cairn", help="path of the cairn binary")
    ap.add_argument("--terraform", help="path of the terraform binary (default: on PATH)")
    ap.add_argument("--no-terraform", action="store_true", help="run cairn only")
    ap.add_argument("--no-cairn", action="store_true", help="run terraform only")
    ap.add_argument("--parallelism", type=int, default=0, help="-parallelism for apply and destroy")
    ap.add_argument("--json", help="append results to this file as JSON lines")
    ap.add_argument("--plot", help="write a PNG bar chart of wall times (needs matplotlib)")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    args = ap.parse_args()

    ops = [o for o in args.ops.split(",") if o]
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown op {o!r}; expected some of {OPS}")
    tools = []
    if not args.no_cairn:
        tools.append(("cairn", find_cairn(args.cairn)))
    if not args.no_terraform:
        tf = args.terraform or shutil.which("terraform")
        if tf:
            tools.append(("terraform", tf))
        else:
            print("terraform not found: running cairn only", file=sys.stderr)
    if not tools:
        ap.error("nothing to run")

    shapes = SHAPES if args.suite else [args.shape]
    rows = []
    for shape in shapes:
        work = tempfile.mkdtemp(prefix=f"cairn-bench-{shape}-")
        config = os.path.join(work, "config")
        write_config(config, GENERATORS[shape](args.size))
        per_tool = {}
        for tool, binary in tools:
            print(f"... {shape} {args.size}: {tool} {','.join(ops)}", file=sys.stderr, flush=True)
            per_tool[tool] = run_tool(tool, binary, config, work, ops, args.parallelism)
        for op in ops:
            row = {"shape": shape, "size": args.size, "op": op}
            for tool, _ in tools:
                wall, cpu, rss = per_tool[tool][op]
                row[tool] = {"wall": wall, "cpu": cpu, "rss": rss}
                if op == "apply" and "state_bytes" in per_tool[tool]:
                    row[tool]["state_bytes"] = per_tool[tool]["state_bytes"]
            rows.append(row)
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    names = [t for t, _ in tools]
    header = ["workload", "N"]
    for t in names:
        header += [f"{t} wall", f"{t} cpu", f"{t} peak RSS"]
    if len(names) == 2:
        header += ["wall ratio", "RSS ratio"]
    table = [header]
    for r in rows:
        line = [f"{r['shape']} {r['op']}", str(r["size"])]
        for t in names:
            m = r[t]
            line += [fmt_time(m["wall"]), fmt_time(m["cpu"]), fmt_mib(m["rss"])]
        if len(names) == 2:
            c, t = r["cairn"], r["terraform"]
            line += [ratio(t["wall"], c["wall"]), ratio(t["rss"], c["rss"])]
        table.append(line)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        for t in names:
            if "state_bytes" in r[t]:
                print(f"state after {r['shape']} apply of {r['size']} ({t}): {r[t]['state_bytes']} bytes")

    if args.json:
        with open(args.json, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not importable: no plot written", file=sys.stderr)
            return
        labels = [f"{r['shape']} {r['op']}" for r in rows]
        fig, ax = plt.subplots(figsize=(max(6, len(rows) * 0.9), 4))
        width = 0.8 / len(names)
        for k, t in enumerate(names):
            xs = [i + k * width for i in range(len(rows))]
            ax.bar(xs, [r[t]["wall"] for r in rows], width, label=t)
        ax.set_yscale("log")
        ax.set_ylabel("wall time (s, log scale)")
        ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(rows))])
        ax.set_xticklabels(labels, rotation=30, ha="right")
        ax.set_title(f"N = {args.size}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
