#!/usr/bin/env python3
"""Whole-process benchmark of cairn (and terraform, when installed) on generated configurations.

Generates a configuration of a given shape and size in a temporary directory, then runs each
operation (plan on an empty state, apply, no-change plan, destroy) as a child process of each
tool on its own copy of that directory, and prints wall time, CPU time (user + system) and peak
resident memory of the child, with cairn's ratio to terraform.

Shapes (every one but `sleep` uses only `terraform_data`, so terraform runs offline):
  flat     N independent resources whose inputs use variables, locals and function calls
  chain    N resources, each referencing the previous one's id (a dependency chain)
  fanout   one root resource and N-1 resources referencing it
  count    two `count` blocks of N/2, the second using `a[count.index]` of the first
  for_each one `for_each` block over a generated set of N keys
  module   10 calls (for_each) of a local module holding N/10 resources (count)
  sleep    N `time_sleep` resources (cairn only: terraform cannot download hashicorp/time
           offline): parallel chains of 1..6 sleeps of different lengths plus a fan-out, each
           sleep 1-4 units of --sleep-unit-ms. Prints apply's and destroy's wall time against
           the critical path (the longest chain's total sleep, computed from the generated
           graph), and apply under `-parallelism=P` and under `provider "time" { parallelism = P }`
           against the lower bound max(critical path, total sleep / P).

Examples:
  benches/run.py --shape flat --size 2000
  benches/run.py --shape chain --size 1000 --ops apply,destroy
  benches/run.py --shape flat --size 100000 --no-terraform --ops plan,apply,noop
  benches/run.py --shape sleep --size 60 --sleep-unit-ms 200
  benches/run.py --suite --size 200 --no-terraform          # every shape, small: what CI runs
  # how cost grows with N, plotted (wall time and peak RSS against N):
  benches/run.py --shape flat --size 1000,10000,100000 --no-terraform --ops plan,apply,noop --plot growth.png

Options for the tools: --cairn PATH (default: target/release/cairn, else `cairn` on PATH),
--terraform PATH (default: `terraform` on PATH), --no-terraform, --parallelism N (passed to both).
--json FILE appends the results as JSON lines; --plot FILE writes a PNG (needs matplotlib).
--sleep-unit-ms MS sets the sleep shape's unit (default 100, 50 with --suite).
--repeat K runs each plan (plan, noop) K times per tool and reports the medians (default 5): a
run of a few milliseconds varies by a sixth or more with the machine's load; apply and destroy
change the state and run once.
Nothing here asserts on time: a slow machine gives slow numbers, not a failure; a failing
command fails the script.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SHAPES = ["flat", "chain", "fanout", "count", "for_each", "module", "sleep"]
OPS = ["plan", "apply", "noop", "destroy"]
# The operations that leave the state as it is, run `--repeat` times.
REPEATABLE = ("plan", "noop")

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
  # range() yields at most 1,024 values (as in Terraform): chunks of 1,000.
  keys = toset(flatten([
    for c in range({(n + 999) // 1000}) : [
      for i in range(c * 1000, min({n}, c * 1000 + 1000)) : format("k%06d", i)
    ]
  ]))
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


# --- sleep: wall time against the critical path -------------------------------------------

SLEEP_MAX_CHAIN = 6


def sleep_graph(n, unit_ms):
    """The `sleep` shape's graph: a list of (name, duration in ms, names it depends on), in
    dependency order. Half the resources form a fan-out (one root, children of 1-4 units), the
    rest parallel chains whose lengths cycle through 1..SLEEP_MAX_CHAIN, each sleep 1-3 units."""
    nodes = []
    fan = max(n // 2, 2)
    nodes.append(("root", 2 * unit_ms, []))
    for i in range(1, fan):
        nodes.append((f"leaf{i}", unit_ms * (1 + i % 4), ["root"]))
    left = max(n - fan, 1)
    c = 0
    while left > 0:
        length = min(c % SLEEP_MAX_CHAIN + 1, left)
        prev = None
        for j in range(length):
            name = f"c{c}_{j}"
            nodes.append((name, unit_ms * (1 + (c + j) % 3), [prev] if prev else []))
            prev = name
        left -= length
        c += 1
    return nodes


def critical_path_ms(nodes):
    """The longest total sleep along any dependency path (nodes are in dependency order).
    The same path bounds a destroy, which walks the edges backwards with the same sleeps."""
    finish = {}
    for name, ms, deps in nodes:
        finish[name] = ms + max((finish[d] for d in deps), default=0)
    return max(finish.values())


def greedy_schedule_ms(nodes, limit):
    """The makespan of a greedy list schedule with `limit` slots: whenever a slot is free, start
    the sleep that became ready first (ties in generation order). What an executor that never
    idles a slot would reach; at least max(critical path, total / limit)."""
    import heapq

    children = {name: [] for name, _, _ in nodes}
    waiting = {}
    ms_of = {}
    for name, ms, deps in nodes:
        ms_of[name] = ms
        waiting[name] = len(deps)
        for d in deps:
            children[d].append(name)
    ready = [name for name, _, deps in nodes if not deps]
    running = []
    now = 0
    while ready or running:
        while ready and len(running) < limit:
            name = ready.pop(0)
            heapq.heappush(running, (now + ms_of[name], name))
        now, name = heapq.heappop(running)
        done = [name]
        while running and running[0][0] == now:
            done.append(heapq.heappop(running)[1])
        for d in done:
            for c in children[d]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    ready.append(c)
    return now


def gen_sleep(n, unit_ms=100, provider_parallelism=None):
    out = []
    if provider_parallelism:
        out.append(f'provider "time" {{\n  parallelism = {provider_parallelism}\n}}\n')
    for name, ms, deps in sleep_graph(n, unit_ms):
        triggers = "".join(f"    after = time_sleep.{d}.id\n" for d in deps)
        out.append(
            f'resource "time_sleep" "{name}" {{\n'
            f'  create_duration  = "{ms}ms"\n'
            f'  destroy_duration = "{ms}ms"\n'
            + (f"  triggers = {{\n{triggers}  }}\n" if triggers else "")
            + "}\n"
        )
    return {"main.tf": "\n".join(out)}


GENERATORS = {
    "flat": gen_flat,
    "chain": gen_chain,
    "fanout": gen_fanout,
    "count": gen_count,
    "for_each": gen_for_each,
    "module": gen_module,
    "sleep": gen_sleep,
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


def run_tool(tool, binary, config_dir, work, ops, parallelism, repeat=1):
    """Runs `ops` in order in a fresh copy of the configuration. An op needing applied state
    (noop, destroy) gets an unmeasured apply first if none was measured. The plans (`plan`,
    `noop`), which leave the state as it is, run `repeat` times, and each of their figures is
    the median of those runs."""
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
        if op in REPEATABLE:
            runs = [measure(cmds[op], d, env) for _ in range(max(1, repeat))]
            results[op] = tuple(statistics.median(r[i] for r in runs) for i in range(3))
        else:
            results[op] = measure(cmds[op], d, env)
        if op == "apply":
            applied = True
        if op == "destroy":
            applied = False
        state = os.path.join(d, "terraform.tfstate")
        if op == "apply" and os.path.exists(state):
            results["state_bytes"] = os.path.getsize(state)
    return results


def run_sleep(binary, size, unit_ms, work):
    """Runs the `sleep` shape with cairn; returns rows of (op, N, critical path, lower bound,
    greedy schedule, wall, cpu, limits), times in seconds."""
    nodes = sleep_graph(size, unit_ms)
    n = len(nodes)
    cp = critical_path_ms(nodes) / 1000
    total = sum(ms for _, ms, _ in nodes) / 1000
    # A limit that makes the expected time about twice the critical path.
    limit = max(1, min(n - 1, int(total / (2 * cp)) + 1))
    bound = max(cp, total / limit)
    greedy = greedy_schedule_ms(nodes, limit) / 1000
    env = dict(os.environ)
    env.update(NO_COLOR="1")
    common = ["-input=false", "-no-color"]
    rows = []

    def fresh(tag, provider_parallelism=None):
        d = os.path.join(work, tag)
        write_config(d, gen_sleep(size, unit_ms, provider_parallelism))
        measure([binary, "init", *common], d, env)
        return d

    enough = f"-parallelism={n}"
    d = fresh("enough")
    wall, cpu, _ = measure([binary, "apply", "-auto-approve", *common, enough], d, env)
    rows.append(("apply", n, cp, cp, cp, wall, cpu, f"-parallelism={n}"))
    wall, cpu, _ = measure([binary, "destroy", "-auto-approve", *common, enough], d, env)
    rows.append(("destroy", n, cp, cp, cp, wall, cpu, f"-parallelism={n}"))
    d = fresh("global")
    wall, cpu, _ = measure([binary, "apply", "-auto-approve", *common, f"-parallelism={limit}"], d, env)
    rows.append(("apply", n, cp, bound, greedy, wall, cpu, f"-parallelism={limit}"))
    d = fresh("provider", limit)
    wall, cpu, _ = measure([binary, "apply", "-auto-approve", *common, enough], d, env)
    rows.append(("apply", n, cp, bound, greedy, wall, cpu, f'-parallelism={n}, provider "time" {{ parallelism = {limit} }}'))
    return rows, total


def print_sleep(rows, total, unit_ms):
    header = ["workload", "N", "critical path", "lower bound", "greedy", "cairn wall", "cairn cpu", "wall / bound", "wall / greedy", "limits"]
    table = [header]
    for op, n, cp, bound, greedy, wall, cpu, note in rows:
        table.append([f"sleep {op}", str(n), fmt_time(cp), fmt_time(bound), fmt_time(greedy), fmt_time(wall), fmt_time(cpu), f"{wall / bound:.3f}", f"{wall / greedy:.3f}", note])
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(f"sleep: {unit_ms} ms units, {fmt_time(total)} of sleep in all; lower bound = max(critical path, total sleep / limit);")
    print("greedy = a list schedule that starts the earliest-ready sleep whenever a slot is free (no overhead)")


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


def link_order_coverage(binary):
    """(functions of benches/link-order.txt the binary has, functions listed), or None when it
    cannot be told (see benches/link_order.py). Asked of a child process: the peak memory a
    child reports includes this process's at the time it starts, so this one stays small."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "link_order.py")
    out = subprocess.run([sys.executable, script, "--check", "--cairn", binary], capture_output=True, text=True)
    m = re.match(r"(\d+) of the (\d+) functions", out.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else None


def optimized(binary):
    """True for a binary without debug information: a release build, as the figures are."""
    out = subprocess.run(["readelf", "-S", "-W", binary], capture_output=True, text=True)
    return out.returncode == 0 and ".debug_" not in out.stdout


def sizes_arg(text):
    try:
        sizes = [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 2000 or 1000,10000, not {text!r}")
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected positive sizes, not {text!r}")
    return sizes


def plot_growth(plt, rows, names, path):
    """Wall time and peak RSS against N, log-log, one line per tool, shape and operation, with
    a dotted line of slope 1 (linear growth) through the first point of each for reference."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    series = {}
    for r in rows:
        for t in names:
            series.setdefault((t, r["shape"], r["op"]), []).append((r["size"], r[t]["wall"], r[t]["rss"]))
    for ax, k, label in ((axes[0], 1, "wall time (s)"), (axes[1], 2, "peak RSS (MiB)")):
        for (t, shape, op), pts in sorted(series.items()):
            pts.sort()
            xs = [p[0] for p in pts]
            ys = [p[k] / (1 << 20) if k == 2 else p[k] for p in pts]
            line, = ax.plot(xs, ys, marker="o", label=f"{t} {shape} {op}")
            ax.plot(xs, [ys[0] * x / xs[0] for x in xs], linestyle=":", color=line.get_color(), alpha=0.5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N (resources)")
        ax.set_ylabel(label + ", log scale")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[0].set_title("wall time against N (dotted: linear)")
    axes[1].set_title("peak memory against N (dotted: linear)")
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot written to {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=SHAPES, default="flat")
    ap.add_argument("--suite", action="store_true", help="every shape, one after another")
    ap.add_argument("--size", type=sizes_arg, default=[2000], help="number of resource instances; several, comma-separated, run each in turn (how cost grows)")
    ap.add_argument("--ops", default="plan,apply,noop,destroy", help="comma-separated: " + ",".join(OPS))
    ap.add_argument("--cairn", help="path of the cairn binary")
    ap.add_argument("--terraform", help="path of the terraform binary (default: on PATH)")
    ap.add_argument("--no-terraform", action="store_true", help="run cairn only")
    ap.add_argument("--no-cairn", action="store_true", help="run terraform only")
    ap.add_argument("--parallelism", type=int, default=0, help="-parallelism for apply and destroy")
    ap.add_argument("--json", help="append results to this file as JSON lines")
    ap.add_argument("--plot", help="write a PNG (needs matplotlib): wall times as bars for one size, wall time and peak RSS against N for several")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each plan (plan, noop: they leave the state as it is) per tool; their figures are the medians (default 5)")
    ap.add_argument("--sleep-unit-ms", type=int, help="sleep shape: length of one sleep unit (default 100, 50 with --suite)")
    args = ap.parse_args()

    ops = [o for o in args.ops.split(",") if o]
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown op {o!r}; expected some of {OPS}")
    tools = []
    if not args.no_cairn:
        tools.append(("cairn", find_cairn(args.cairn)))
        binary = tools[-1][1]
        coverage = link_order_coverage(binary) if shutil.which("readelf") and optimized(binary) else None
        if coverage and coverage[0] < 0.9 * coverage[1]:
            print(
                f"note: {binary} has {coverage[0]} of the {coverage[1]} functions benches/link-order.txt "
                "places together; its memory figures are higher than they should be. Remake the list "
                "(benches/link_order.py) and rebuild.",
                file=sys.stderr,
            )
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
    sleep_report = None
    for size, shape in [(n, s) for n in args.size for s in shapes]:
        if shape == "sleep":
            cairn = dict(tools).get("cairn")
            if any(t == "terraform" for t, _ in tools):
                print("sleep: skipping terraform (the hashicorp/time provider cannot be downloaded offline); cairn only", file=sys.stderr)
            if not cairn:
                print("sleep: cairn not selected, nothing to run", file=sys.stderr)
                continue
            unit = args.sleep_unit_ms or (50 if args.suite else 100)
            work = tempfile.mkdtemp(prefix="cairn-bench-sleep-")
            print(f"... sleep {size}: cairn apply,destroy and limited applies ({unit} ms units)", file=sys.stderr, flush=True)
            srows, total = run_sleep(cairn, size, unit, work)
            sleep_report = (srows, total, unit)
            if args.keep:
                print(f"kept {work}", file=sys.stderr)
            else:
                shutil.rmtree(work, ignore_errors=True)
            continue
        work = tempfile.mkdtemp(prefix=f"cairn-bench-{shape}-")
        config = os.path.join(work, "config")
        write_config(config, GENERATORS[shape](size))
        per_tool = {}
        for tool, binary in tools:
            print(f"... {shape} {size}: {tool} {','.join(ops)}", file=sys.stderr, flush=True)
            per_tool[tool] = run_tool(tool, binary, config, work, ops, args.parallelism, args.repeat)
        for op in ops:
            row = {"shape": shape, "size": size, "op": op, "runs": args.repeat if op in REPEATABLE else 1}
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

    if sleep_report:
        print_sleep(*sleep_report)
        if args.json:
            with open(args.json, "a") as f:
                for op, n, cp, bound, greedy, wall, cpu, note in sleep_report[0]:
                    f.write(json.dumps({"shape": "sleep", "size": n, "op": op, "limits": note, "critical_path": cp, "lower_bound": bound, "greedy": greedy, "cairn": {"wall": wall, "cpu": cpu}}) + "\n")
        if not rows:
            return
        print()
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
        if len(args.size) > 1:
            plot_growth(plt, rows, names, args.plot)
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
        ax.set_title(f"N = {args.size[0]}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
