#!/usr/bin/env python3
"""Benchmark `bunpy add PKG` against `poetry add PKG` and `pdm add PKG`.

The workload is the fastapi-style seed profile (tests/fixtures/scenarios/
profile-fastapi-app.json: fastapi, uvicorn, httpx, sqlalchemy, alembic, 18 packages
installed, 54 in the index) built into a local index with tests/fixtures/mkindex.py
and served over loopback HTTP by tests/fixtures/serve.py. PKG (default rich, which
brings markdown-it-py, mdurl and pygments: four new packages) is in the same index.

Each tool gets its own copy of the project, its own cache, and the same interpreter
(--python; PATH starts with its directory, pyenv left out, as in bench/sync.py):

  bunpy   pyproject.toml [project] with [tool.bunpy] index-url; locked and synced
          (`bunpy lock`, `bunpy sync`); timed: `bunpy -C PROJ add PKG --python PY`
  poetry  [tool.poetry] with the index as the only source; `poetry lock --no-update`,
          `poetry install --no-root`; timed: `poetry add PKG`
  pdm     [project] with the index as the "pypi" source; `pdm lock`, `pdm sync
          --no-self`; timed: `pdm add --no-self PKG`

Before the timed runs, every tool adds PKG once untimed, so that its cache holds the
package's pages, metadata and wheels (warm cache), and the project is reset. Reset,
untimed, after every run: pyproject.toml and the lock file put back byte for byte as
they were after the first sync, then the tool's own exact sync (`bunpy sync`,
`poetry install --sync --no-root`, `pdm sync --clean --no-self`), which takes PKG and
its dependencies out of the venv again; the bench checks they are gone. So every timed
run is the same work: edit pyproject.toml, resolve with PKG added, write the lock,
install four packages from a warm cache.

After every run (untimed too) the bench checks that the tool really added PKG: its
pyproject.toml names it, its lock pins what the profile plus PKG reaches at the
expected versions (read as in bench/lock.py), and its venv (importlib.metadata, read by
the venv's interpreter) holds exactly those distributions, virtualenv's seed packages
aside. A mismatch is a WARNING and the run does not count.

Runs rotate the order of the tools; the result is the median of --runs runs each, and
the ratio peer / bunpy, printed and written to DIR/add.md and DIR/add.json.
"""

import argparse
import json
import os
import re
import statistics
import sys
import tomllib

from common import FIXTURES, Failed, Server, find_tools, wanted_tools, fmt_ms, normalize, read_pdm_lock, \
    read_poetry_lock, read_pylock, remove
import sync as S

sys.path.insert(0, FIXTURES)
import profiles  # noqa: E402 - a fixture module, found through FIXTURES
import mkindex  # noqa: E402

PEERS = ["poetry", "pdm"]
PROFILE = "fastapi-app"


class BunpyAdd(S.Bunpy):
    def add_cmd(self, pkg):
        return [self.bench.bunpy, "-C", self.proj, "add", pkg, "--python", self.bench.python]

    def add(self, pkg):
        return self.timed(self.add_cmd(pkg), self.bunpy_env())

    def reset_sync(self):
        self.timed([self.bench.bunpy, "-C", self.proj, "sync", "--python", self.bench.python],
                   self.bunpy_env())

    def lock_file(self):
        return os.path.join(self.proj, "pylock.toml")

    def locked(self, roots, markers):
        return read_pylock(self.lock_file(), markers), set()

    def declared(self, doc):
        return [re.match(r"[A-Za-z0-9._-]+", d).group(0) for d in doc.get("project", {}).get("dependencies", [])]


class PoetryAdd(S.Poetry):
    def add(self, pkg):
        return self.timed(["poetry", "--no-ansi", "add", pkg], self.poetry_env())

    def reset_sync(self):
        self.timed(["poetry", "--no-ansi", "install", "--sync", "--no-root"], self.poetry_env())

    def lock_file(self):
        return os.path.join(self.proj, "poetry.lock")

    def locked(self, roots, markers):
        return read_poetry_lock(self.lock_file(), roots, markers)

    def declared(self, doc):
        return [n for n in doc.get("tool", {}).get("poetry", {}).get("dependencies", {}) if n != "python"]


class PdmAdd(S.Pdm):
    def add(self, pkg):
        return self.timed(["pdm", "add", "--no-self", pkg], self.pdm_env())

    def reset_sync(self):
        self.timed(["pdm", "sync", "--clean", "--no-self"], self.pdm_env())

    def lock_file(self):
        return os.path.join(self.proj, "pdm.lock")

    def locked(self, roots, markers):
        return read_pdm_lock(self.lock_file(), roots, markers)

    def declared(self, doc):
        return [re.match(r"[A-Za-z0-9._-]+", d).group(0) for d in doc.get("project", {}).get("dependencies", [])]


TOOLS = {"bunpy": BunpyAdd, "poetry": PoetryAdd, "pdm": PdmAdd}


class Tool:
    """One tool's project: synced once, its files kept to reset it to that state."""

    def __init__(self, bench, t, spec, pkg):
        self.bench, self.t, self.spec, self.pkg = bench, t, spec, pkg
        self.saved = {}
        self.before = profiles.reachable(spec["packages"], spec["root"])
        self.after = profiles.reachable(spec["packages"], spec["root"] + [pkg])

    def files(self):
        return [os.path.join(self.t.proj, "pyproject.toml"), self.t.lock_file()]

    def prepare(self):
        """Lock and sync the project (untimed), and keep its files."""
        self.t.prepare()
        self.t.install("warm")
        for f in self.files():
            with open(f, "rb") as fh:
                self.saved[f] = fh.read()
        problems = self.check_venv(self.before)
        if problems:
            raise Failed("the first sync: " + "; ".join(problems))

    def reset(self):
        for f, data in self.saved.items():
            with open(f, "wb") as fh:
                fh.write(data)
        self.t.reset_sync()
        problems = self.check_venv(self.before)
        if problems:
            raise Failed("the reset: " + "; ".join(problems))

    def check_venv(self, expect):
        got, problems, _ = S.installed(self.bench, self.t, expect)
        if got is None:
            return problems
        got = {n: v for n, v in got.items() if n not in S.SEEDS or n in expect}
        d = S.differences(expect, got)
        if d:
            problems.append("the venv differs in " + ", ".join(f"{n} {a or '-'} vs {b or '-'}" for n, a, b in d[:6]))
        return problems

    def check_added(self):
        """What is wrong with the project after an add: [] when it really added PKG."""
        problems = []
        with open(os.path.join(self.t.proj, "pyproject.toml"), "rb") as f:
            doc = tomllib.load(f)
        if normalize(self.pkg) not in [normalize(n) for n in self.t.declared(doc)]:
            problems.append(f"pyproject.toml does not name {self.pkg}")
        got, missing = self.t.locked(self.spec["root"] + [self.pkg], self.bench.markers)
        d = S.differences(self.after, got)
        if d or missing:
            problems.append("the lock differs in " + ", ".join(f"{n} {a or '-'} vs {b or '-'}" for n, a, b in d[:6])
                            + (f" (missing {sorted(missing)})" if missing else ""))
        return problems + self.check_venv(self.after)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bunpy", default="./bunpy")
    ap.add_argument("--python", default="/usr/bin/python3", help="the interpreter of every venv")
    ap.add_argument("--tools", default="bunpy,poetry,pdm")
    ap.add_argument("--package", default="rich", help="what is added (in the profile's index; default rich)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")),
                    help="timed runs of each tool (default: BENCH_RUNS or 5)")
    ap.add_argument("--quick", action="store_true", help="2 runs each")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one tool run may take")
    ap.add_argument("--dir", default=os.environ.get("BENCH_DIR", "bench/out"))
    args = ap.parse_args()
    if args.quick:
        args.runs = 2
    args.pip_way = "system"          # sync.Bench wants one; pip is not used here
    wanted = wanted_tools(args, TOOLS)
    with open(os.path.join(FIXTURES, "scenarios", f"profile-{PROFILE}.json")) as f:
        spec = json.load(f)
    if normalize(args.package) not in {normalize(n) for n in spec["packages"]}:
        sys.exit(f"{args.package} is not in the {PROFILE} index")
    if normalize(args.package) in spec["expect"]:
        sys.exit(f"{args.package} is already installed by the {PROFILE} profile")

    out = os.path.abspath(args.dir)
    root = os.path.join(out, "add-tmp")
    remove(root)
    os.makedirs(root)
    bench = S.Bench(args, root)
    env = bench.marker_env
    tools, peers, runs, versions, missing = find_tools(
        wanted, bench.version, args.runs, args.runs, PEERS,
        f"bunpy add {args.package} vs {{peers}} add, {PROFILE} project, warm caches; venvs for CPython",
        env, args.python)
    load_before = os.getloadavg()
    index = os.path.join(root, "index")
    mkindex.build(spec, index)
    server = Server(index, 0, os.path.join(root, "serve.err"))
    wl = {"label": PROFILE, "root": spec["root"], "index": index}
    samples = {n: [] for n in tools}
    failed, bad_runs = {}, {n: 0 for n in tools}
    try:
        inst = {}
        for name in tools:
            t = Tool(bench, TOOLS[name](bench, wl, os.path.join(root, name), server.url), spec, args.package)
            try:
                t.prepare()
                # warm the cache with PKG: an untimed add, checked, then the reset
                t.t.add(args.package)
                problems = t.check_added()
                if problems:
                    raise Failed("the warm-up add: " + "; ".join(problems))
                t.reset()
                inst[name] = t
            except Failed as exc:
                failed[name] = str(exc)
                bench.warn(f"{name}: {exc}")
        new = len(profiles.reachable(spec["packages"], spec["root"] + [args.package])) - len(spec["expect"])
        print(f"  {len(spec['expect'])} packages synced; adding {args.package} brings {new} new ones", flush=True)
        live = [n for n in tools if n in inst]
        for r in range(args.runs):
            shift = r % len(live) if live else 0
            for name in live[shift:] + live[:shift]:
                if name in failed:
                    continue
                t = inst[name]
                if server.revive():
                    bench.warn("serve.py had ended: started again")
                try:
                    secs = t.t.add(args.package)
                    problems = t.check_added()
                    if problems:
                        bad_runs[name] += 1
                        bench.warn(f"{name} run {r + 1}: did not add {args.package}: " + "; ".join(problems))
                    else:
                        samples[name].append(secs)
                    t.reset()
                except Failed as exc:
                    failed[name] = f"run {r + 1}: {exc}"
                    bench.warn(f"{name}: {failed[name]}")
            print(f"  run {r + 1}: " + ", ".join(f"{n} {fmt_ms(samples[n][-1]) if samples[n] else '-'} ms"
                                                 for n in tools), flush=True)
    finally:
        server.stop()
        remove(root)

    med = {n: statistics.median(samples[n]) if samples[n] else None for n in tools}

    def short(v):
        m = re.search(r"\d+(\.\d+)+", v or "")
        return m.group(0) if m else "missing"

    b = med.get("bunpy")
    lines = ["| tool | command | ms (median) | runs | x bunpy |", "|---|---|---:|---:|---:|"]
    commands = {"bunpy": f"bunpy add {args.package}", "poetry": f"poetry add {args.package}",
                "pdm": f"pdm add --no-self {args.package}"}
    for n in wanted:
        v = med.get(n)
        why = "missing" if n in missing else ("failed" if n in failed else "-")
        x = f"{v / b:.1f}x" if v is not None and b else "-"
        lines.append(f"| {n} | `{commands[n]}` | {fmt_ms(v) if v is not None else why} | "
                     f"{len(samples.get(n, []))} | {x} |")
    report = ["### bunpy add vs " + ", ".join(f"{p} {short(versions.get(p))}" for p in peers), "",
              f"CPython {env['python_full_version']} ({args.python}), {os.cpu_count()} CPUs; bunpy: "
              f"{versions.get('bunpy', 'missing')}. Adding {args.package} to the {PROFILE} project "
              f"({len(spec['expect'])} packages locked and installed), warm caches, index over loopback HTTP "
              f"(serve.py); median of {args.runs} runs each. Load average {load_before[0]:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after (a shared machine: other work adds noise).", "",
              "\n".join(lines), "",
              "ms = wall time of the command: edit pyproject.toml, resolve, write the lock, install the new "
              "packages; x = tool / bunpy. Each run was checked (pyproject.toml, lock, venv) and the project "
              "reset to its synced state, untimed, before the next."]
    for n, k in bad_runs.items():
        if k:
            report.append(f"- {n}: {k} run(s) did not add {args.package} and were not counted")
    for n, why in failed.items():
        report.append(f"- {n} FAILED: {why}")
    report += ["", f"{len(bench.warnings)} warning(s)." + (" Missing: " + "; ".join(f"{t}: {w}" for t, w in missing.items())
                                                          if missing else "")]
    text = "\n".join(report) + "\n"
    print("\n" + text, end="", flush=True)
    with open(os.path.join(out, "add.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "add.json"), "w") as f:
        json.dump({"python": args.python, "package": args.package, "profile": PROFILE, "versions": versions,
                   "missing": missing, "runs": args.runs, "samples_s": samples, "median_s": med,
                   "failed": failed, "warnings": bench.warnings}, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
