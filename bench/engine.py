#!/usr/bin/env python3
"""Benchmark bunpy's engine against Ninja on the same task graphs.

For each shape (a long chain, a wide fan-in) and size, the same graph is written as
[tool.bunpy.tasks] in a pyproject.toml and as a build.ninja. Every node runs
`/bin/sh -c "echo N > out/N"` in both tools. Measured, each as the median of several
runs, with the two tools alternating within a round so that a noisy neighbour hits
both alike:

  full   - everything built from nothing (no state, empty cache, no outputs; the
           previous build is moved aside, not deleted, see Tools.clean)
  no-op  - nothing to do (after a full build and a warm-up run)
  touch  - one input touched without a change (stat moved, content the same)

Ratios are bunpy / ninja: below 1.0 bunpy is faster. Results also go to
bench/out/engine.json.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time


def generate(shape, n, root):
    """Write the graph into root as pyproject.toml and build.ninja."""
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(os.path.join(root, "src"))
    with open(os.path.join(root, "src", "seed.txt"), "w") as f:
        f.write("seed\n")
    toml = ['[project]\nname = "bench"\nversion = "0"\n\n[tool.bunpy.tasks]\n']
    ninja = ["rule step\n  command = $cmd\n\n"]
    for i in range(n):
        out = f"out/t{i}.txt"
        src = "src/seed.txt" if shape == "fan" or i == 0 else f"out/t{i - 1}.txt"
        cmd = f"echo {i} > {out}"
        toml.append(f't{i} = {{ cmd = "{cmd}", inputs = ["{src}"], outputs = ["{out}"] }}\n')
        ninja.append(f"build {out}: step {src}\n  cmd = {cmd}\n")
    # The goal: Ninja's phony target needs no command; bunpy's task runs `true` once
    # in a full build and never again. Both list the final outputs as inputs.
    finals = [f"out/t{n - 1}.txt"] if shape == "chain" else [f"out/t{i}.txt" for i in range(n)]
    toml.append("all = { cmd = \"true\", inputs = [" + ", ".join(f'"{p}"' for p in finals) + "] }\n")
    ninja.append("build all: phony " + " ".join(finals) + "\ndefault all\n")
    with open(os.path.join(root, "pyproject.toml"), "w") as f:
        f.write("".join(toml))
    with open(os.path.join(root, "build.ninja"), "w") as f:
        f.write("".join(ninja))


def unlimited_stack():
    # Ninja walks dependencies recursively, one frame per edge: a 100k-node chain
    # overflows the default 8 MiB stack. Both tools get the same limit.
    _, hard = resource.getrlimit(resource.RLIMIT_STACK)
    resource.setrlimit(resource.RLIMIT_STACK, (hard, hard))


def run(cmd, cwd, env):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       preexec_fn=unlimited_stack)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        status = f"signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
        sys.exit(f"{' '.join(cmd)} failed ({status}) in {cwd}:\n{p.stderr.decode(errors='replace')}")
    return elapsed


class Tools:
    def __init__(self, bunpy, ninja, jobs, root):
        self.bunpy = bunpy
        self.ninja = ninja
        self.jobs = str(jobs)
        self.cache = os.path.join(root, "cache")
        self.trash = os.path.join(root, "trash")
        self.serial = 0
        self.env = dict(os.environ, BUNPY_CACHE_DIR=self.cache, NO_COLOR="1")

    def clean(self, d):
        """Move the previous build aside; it is deleted after the last measurement.

        Deleting thousands of files just before a build slows every file the build
        then creates (ext4 avoids reusing recently freed inodes and searches for
        others), which would measure the clean-up, not the tool."""
        os.makedirs(self.trash, exist_ok=True)
        for p in ("out", ".bunpy", ".ninja_log", ".ninja_deps", self.cache):
            p = os.path.join(d, p)
            if os.path.lexists(p):
                self.serial += 1
                os.rename(p, os.path.join(self.trash, str(self.serial)))

    def empty_trash(self):
        if os.path.exists(self.trash):
            shutil.rmtree(self.trash)

    def build(self, tool, d):
        if tool == "bunpy":
            return run([self.bunpy, "-q", "run", "-j", self.jobs, "all"], d, self.env)
        return run([self.ninja, "-j", self.jobs, "all"], d, self.env)


def median(xs):
    return statistics.median(xs)


def bench_case(tools, shape, n, runs, root):
    d = os.path.join(root, f"{shape}-{n}")
    generate(shape, n, d)
    full = {"bunpy": [], "ninja": []}
    noop = {"bunpy": [], "ninja": []}
    touch = {"bunpy": [], "ninja": []}
    full_runs = runs if n <= 10000 else max(1, runs // 2)
    touch_runs = runs if n <= 10000 else max(1, runs // 2)
    seed = os.path.join(d, "src", "seed.txt")
    for r in range(full_runs):
        for tool in (("ninja", "bunpy") if r % 2 == 0 else ("bunpy", "ninja")):
            tools.clean(d)
            full[tool].append(tools.build(tool, d))
    for tool in ("ninja", "bunpy"):
        tools.clean(d)
        tools.build(tool, d)
        # Leave the files older than bunpy's racy window (100 ms), as they are
        # between real builds, then settle each tool's state with a few runs.
        time.sleep(0.3)
        for _ in range(3):
            tools.build(tool, d)
        for _ in range(runs):
            noop[tool].append(tools.build(tool, d))
        for _ in range(touch_runs):
            os.utime(seed)
            time.sleep(0.15)
            touch[tool].append(tools.build(tool, d))
    result = {"shape": shape, "nodes": n}
    for name, data in (("full", full), ("noop", noop), ("touch", touch)):
        b, k = median(data["bunpy"]), median(data["ninja"])
        result[name] = {"bunpy_s": b, "ninja_s": k, "ratio": b / k, "runs": len(data["bunpy"])}
    result["full"]["bunpy_us_per_node"] = 1e6 * result["full"]["bunpy_s"] / n
    result["full"]["ninja_us_per_node"] = 1e6 * result["full"]["ninja_s"] / n
    tools.clean(d)
    shutil.rmtree(d)
    tools.empty_trash()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bunpy", default="./bunpy")
    ap.add_argument("--ninja", default=shutil.which("ninja") or "ninja")
    ap.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,10000,100000"))
    ap.add_argument("--shapes", default="chain,fan")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--dir", default=os.environ.get("BENCH_DIR", "bench/out"))
    args = ap.parse_args()
    if not shutil.which(args.ninja):
        sys.exit("ninja is not installed (Debian: apt-get install ninja-build)")
    bunpy = os.path.abspath(args.bunpy)
    if not os.access(bunpy, os.X_OK):
        sys.exit(f"{bunpy} is not an executable bunpy (build it first)")
    root = os.path.abspath(args.dir)
    os.makedirs(root, exist_ok=True)
    tools = Tools(bunpy, args.ninja, args.jobs, root)
    version = subprocess.run([args.ninja, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"bunpy vs ninja {version}, -j{args.jobs}, median of {args.runs} runs"
          f" (full builds of 100k nodes: {max(1, args.runs // 2)} runs)\n")
    print(f"{'graph':<14} {'full bunpy':>11} {'full ninja':>11} {'ratio':>6}"
          f" {'no-op bunpy':>12} {'no-op ninja':>12} {'ratio':>6}"
          f" {'touch bunpy':>12} {'touch ninja':>12} {'ratio':>6}")
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        for shape in args.shapes.split(","):
            r = bench_case(tools, shape, n, args.runs, root)
            results.append(r)
            f, o, t = r["full"], r["noop"], r["touch"]
            print(f"{shape + ' ' + str(n):<14} {f['bunpy_s']:>10.3f}s {f['ninja_s']:>10.3f}s {f['ratio']:>6.2f}"
                  f" {o['bunpy_s'] * 1e3:>10.1f}ms {o['ninja_s'] * 1e3:>10.1f}ms {o['ratio']:>6.2f}"
                  f" {t['bunpy_s'] * 1e3:>10.1f}ms {t['ninja_s'] * 1e3:>10.1f}ms {t['ratio']:>6.2f}",
                  flush=True)
    with open(os.path.join(root, "engine.json"), "w") as f:
        json.dump({"ninja": version, "jobs": args.jobs, "runs": args.runs, "results": results}, f, indent=2)
    print(f"\nratio = bunpy / ninja (below 1.00: bunpy is faster). Full: {{us}} per node"
          .replace("{us}", "microseconds"))
    for r in results:
        f = r["full"]
        print(f"  {r['shape']} {r['nodes']}: {f['bunpy_us_per_node']:.0f} us/node vs {f['ninja_us_per_node']:.0f} us/node")


if __name__ == "__main__":
    main()
