#!/usr/bin/env python3
"""Benchmark what `bunpy run` adds to a program's start.

A project of the fastapi-style seed profile (tests/fixtures/scenarios/
profile-fastapi-app.json: fastapi, uvicorn, httpx, sqlalchemy, alembic and what they
need, as mkindex's one-module wheels in a local file:// index) is locked and synced
once, untimed, for the interpreter given by --python (default /usr/bin/python3; a
pyenv shim would run a shell script of its own every time). Then each case is timed
against the same program started directly with the venv's interpreter:

  -c pass        `bunpy -c pass`            vs `.venv/bin/python -c pass`
  run script.py  `bunpy run script.py`      vs `.venv/bin/python script.py` (a script doing nothing)
  run -m         `bunpy run -m benchmod`    vs `.venv/bin/python -m benchmod` (an empty module)
  start-up       `bunpy --version`          vs `/bin/true` (what starting bunpy costs at all)

Every bunpy run goes through the whole fast path: finding the project, the lock's
no-op check (pyproject.toml and pylock.toml read, the interpreter's cached probe), the
sync's no-op check (its state file and four stats), then execve of the interpreter.

Runs are interleaved: in each round every command runs once, in a shuffled order, so
that whatever else the machine does falls on both sides alike. Each run is one
posix_spawn and waitpid from this process, timed with perf_counter_ns, standard output
and error to /dev/null. Reported: the median of each side in ms, the overhead (median
bunpy minus median direct; and the median of the per-round differences, which is less
moved by drift), and the ratio. The table goes to stdout and DIR/run.md, every sample to
DIR/run.json.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

sys.path.insert(0, common.FIXTURES)
import mkindex  # noqa: E402 - a fixture module, found through FIXTURES

PROFILE = "profile-fastapi-app"


def spawn_time(argv, cwd, env, devnull):
    """Wall time of one run, in seconds, and its exit status."""
    t = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                       (os.POSIX_SPAWN_DUP2, devnull, 1),
                                       (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    elapsed = (time.perf_counter_ns() - t) / 1e9
    return elapsed, os.waitstatus_to_exitcode(status)


def setup(args, work):
    with open(os.path.join(common.FIXTURES, "scenarios", PROFILE + ".json")) as f:
        spec = json.load(f)
    index = os.path.join(work, "index")
    if not os.path.isdir(index):
        mkindex.build(spec, index)
    proj = os.path.join(work, "project")
    common.remove(proj)
    os.makedirs(proj)
    common.write_text(os.path.join(proj, "pyproject.toml"),
                      common.bunpy_pyproject(spec["root"], "file://%s/simple" % index))
    common.write_text(os.path.join(proj, "script.py"), "")
    common.write_text(os.path.join(proj, "benchmod.py"), "")
    env = common.clean_env({"BUNPY_CACHE_DIR": os.path.join(work, "cache"),
                            "BUNPY_PYTHON": args.python})
    r = subprocess.run([args.bunpy, "sync"], cwd=proj, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bunpy sync failed: %s" % r.stderr.strip())
    r = subprocess.run([args.bunpy, "-c", "import fastapi, sys; print(sys.prefix)"], cwd=proj,
                       env=env, capture_output=True, text=True)
    if r.returncode != 0 or r.stdout.strip() != os.path.join(proj, ".venv"):
        sys.exit("bunpy -c does not run in the venv: %s %s" % (r.stdout, r.stderr))
    return proj, env


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bunpy", required=True)
    ap.add_argument("--dir", default="bench/out")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--runs", type=int, default=400, help="rounds (default 400)")
    ap.add_argument("--quick", action="store_true", help="50 rounds")
    args = ap.parse_args()
    args.bunpy = os.path.abspath(args.bunpy)
    runs = 50 if args.quick else args.runs
    work = os.path.abspath(os.path.join(args.dir, "run"))
    os.makedirs(work, exist_ok=True)
    proj, env = setup(args, work)
    py = os.path.join(proj, ".venv", "bin", "python")
    true = shutil.which("true") or "/bin/true"
    cases = [
        ("-c pass", [args.bunpy, "-c", "pass"], [py, "-c", "pass"]),
        ("run script.py", [args.bunpy, "run", "script.py"], [py, "script.py"]),
        ("run -m", [args.bunpy, "run", "-m", "benchmod"], [py, "-m", "benchmod"]),
        ("start-up", [args.bunpy, "--version"], [true]),
    ]
    probe = json.loads(subprocess.run([py, "-c", common.MARKER_ENV_PROBE], capture_output=True,
                                      text=True, check=True).stdout)
    print(f"bunpy run overhead: {PROFILE} project, CPython {probe['python_full_version']} "
          f"{probe['sys_platform']} {probe['platform_machine']} ({args.python}), "
          f"{runs} interleaved rounds")
    samples = {name: {"bunpy": [], "direct": []} for name, _, _ in cases}
    jobs = [(name, side, argv) for name, b, d in cases for side, argv in (("bunpy", b), ("direct", d))]
    old = os.getcwd()
    os.chdir(proj)
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for _ in range(10):   # warm the page cache and the interpreter's .pyc files
            for name, side, argv in jobs:
                spawn_time(argv, proj, env, devnull)
        for _ in range(runs):
            random.shuffle(jobs)
            for name, side, argv in jobs:
                t, rc = spawn_time(argv, proj, env, devnull)
                if rc != 0:
                    sys.exit(f"{' '.join(argv)}: exit {rc}")
                samples[name][side].append(t)
    finally:
        os.close(devnull)
        os.chdir(old)

    lines = ["| case | direct (ms) | bunpy (ms) | overhead (ms) | paired (ms) | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    out = {}
    for name, b, d in cases:
        sb, sd = samples[name]["bunpy"], samples[name]["direct"]
        mb, md = statistics.median(sb), statistics.median(sd)
        paired = statistics.median(x - y for x, y in zip(sb, sd))
        direct = "/bin/true" if name == "start-up" else " ".join(["python"] + d[1:])
        lines.append(f"| {name}: `{' '.join(['bunpy'] + b[1:])}` vs `{direct}` | {md * 1e3:.2f} | "
                     f"{mb * 1e3:.2f} | {(mb - md) * 1e3:.2f} | {paired * 1e3:.2f} | {mb / md:.2f}x |")
        out[name] = {"bunpy": sb, "direct": sd, "median_bunpy": mb, "median_direct": md,
                     "overhead": mb - md, "paired_overhead": paired}
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(args.dir, "run.md"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(args.dir, "run.json"), "w") as f:
        json.dump(out, f)
    worst = max(out[n]["overhead"] for n in ("-c pass", "run script.py", "run -m"))
    print(f"largest overhead of a program start: {worst * 1e3:.2f} ms "
          f"({'under' if worst < 0.002 else 'NOT under'} the 2 ms goal)")


if __name__ == "__main__":
    main()
