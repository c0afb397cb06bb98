#!/usr/bin/env python3
"""Benchmark `bunpy lock` against pip, poetry and pdm on the same indexes.

Workloads: the four seed profiles of tests/fixtures/scenarios (profile-*.json) and
one generated universe (tests/fixtures/universe.py, 300 packages x 25 versions by
default, about 15 root requirements). Each is built into a local index
(tests/fixtures/mkindex.py: real wheels, PEP 658 .metadata files, PEP 691 JSON and
PEP 503 HTML pages) and served over HTTP on 127.0.0.1 by tests/fixtures/serve.py,
once without and once with a per-request delay (--delay-ms), as a distant index
would add. Every tool resolves the workload's root requirements for CPython 3.11
(--python, default /usr/bin/python3):

  bunpy   `bunpy -C DIR lock --python PY` on a project whose [tool.bunpy] index-url
          is the server
  pip     `PY -m pip install --dry-run --ignore-installed --report R.json
          --only-binary :all: ROOT...` (pip resolves and writes a report, installs
          nothing). pip 23.0 can read neither PEP 691 pages with a core-metadata
          table nor PEP 658 metadata whose Name is spelled unlike the requirement:
          it gets a copy of the index with HTML pages only and no metadata files,
          and reads each candidate's METADATA from its wheel (about 1 KB)
  poetry  `poetry lock --no-update` on an equivalent [tool.poetry] project whose
          only source is the server
  pdm     `pdm lock` on an equivalent [project] whose "pypi" source is the server

Modes, each the median of several runs:

  cold    empty cache and no lock or project state
  warm    the cache an earlier run filled, lock and project state removed: the tool
          must resolve again, reading pages and metadata from its cache (pip:
          --cache-dir filled by an untimed run; cold pip runs with --no-cache-dir)
  reval   bunpy's warm run with --refresh: every cached page revalidated (a
          conditional GET), as pip and pdm do in each of their warm runs; the
          peers' columns repeat their warm medians (poetry's warm run asks the
          index nothing, as bunpy's plain warm run: pages are fresh for max-age)
  no-op   the lock is there and nothing changed: the tool is run again (poetry
          `lock --no-update`, pdm `lock`; both re-resolve); pip has no lock: n/a
  check   `lock --check` (bunpy, poetry, pdm): verify that the lock matches the
          project and write nothing

Rounds alternate the order of the tools so that a noisy neighbour hits all alike; in
a tool's turn it runs its modes in the order above. A server that died is started
again on its port and the turn it spoilt is run again. Every cold and warm result is
read back (pylock.toml, pip's report, poetry.lock, pdm.lock) and compared
with bunpy's and with the workload's expected resolution; a difference is printed as
a WARNING line, since timing different work says nothing. poetry and pdm lock for
every platform: their locks are walked from the root with the target's markers, and
a version they pick that has no wheel for the target is marked as such.

Each cache is a fresh directory that is also the tool's HOME and XDG_CACHE_HOME
(pdm 2.2 ignores PDM_CACHE_DIR and caches under ~/.cache/pdm). PIP_*, POETRY_* and
PDM_* variables of the caller are dropped.

Ratios are peer / bunpy: "12.3x" means bunpy took 12.3 times less time.
"vs fastest" is the fastest peer's median over bunpy's. Results (every sample) also go
to bench/out/lock.json. --quick: one run of each tool on two profiles.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from common import (FIXTURES, find_tools, wanted_tools, MARKER_ENV_PROBE, Failed, Markers, Server, bunpy_pyproject, clean_env,
                    differences, fmt_ms, normalize, pdm_pyproject, poetry_pyproject, read_pdm_lock,
                    read_poetry_lock, read_pylock, remove, run, version_of, write_text)

PROFILES = ["fastapi-app", "django-app", "datascience", "cli-tool"]
QUICK_PROFILES = ["fastapi-app", "cli-tool"]
PEERS = ["pip", "poetry", "pdm"]
MODES = ["cold", "warm", "refresh", "noop", "check"]
MODE_LABEL = {"cold": "cold", "warm": "warm", "refresh": "reval", "noop": "no-op", "check": "check"}


# ------------------------------------------------------------------ the tools


def read_pip_report(path):
    with open(path) as f:
        data = json.load(f)
    return {normalize(i["metadata"]["name"]): i["metadata"]["version"] for i in data.get("install", [])}


class Tool:
    """One tool on one workload and one server: a project directory, a cache, and the
    commands of each mode. run_mode returns seconds or raises Failed."""

    name = "?"
    lock_name = None
    state = ()
    modes = ("cold", "warm", "noop")

    def __init__(self, bench, wl, base, url):
        self.bench, self.wl, self.base, self.url = bench, wl, base, url
        self.proj = os.path.join(base, "proj")
        self.cache = None
        self.ncache = 0
        os.makedirs(self.proj, exist_ok=True)
        self.write_project()

    def write_project(self):
        pass

    def new_cache(self):
        if self.cache:
            remove(self.cache)
        self.ncache += 1
        self.cache = os.path.join(self.base, f"cache{self.ncache}")
        os.makedirs(os.path.join(self.cache, "home"))
        os.makedirs(os.path.join(self.cache, "xdg"))

    def env(self, extra=None):
        env = {"HOME": os.path.join(self.cache, "home"), "XDG_CACHE_HOME": os.path.join(self.cache, "xdg")}
        env.update(extra or {})
        return clean_env(env)

    def clear_state(self):
        remove(*(os.path.join(self.proj, p) for p in (self.lock_name,) + tuple(self.state) if p))

    def lock_path(self):
        return os.path.join(self.proj, self.lock_name)

    def timed(self, cmd, env, ok=(0,)):
        return run(cmd, self.proj, env, self.bench.timeout, ok)[0]

    def run_mode(self, mode):
        if mode == "cold":
            self.new_cache()
            self.clear_state()
        elif mode in ("warm", "refresh"):
            self.clear_state()
        return self.lock(mode)

    def resolution(self):
        """({name: version}, notes) of the last lock."""
        raise NotImplementedError


class Bunpy(Tool):
    name = "bunpy"
    lock_name = "pylock.toml"
    state = (".bunpy",)
    modes = ("cold", "warm", "refresh", "noop", "check")

    def write_project(self):
        write_text(os.path.join(self.proj, "pyproject.toml"), bunpy_pyproject(self.wl["root"], self.url))

    def lock(self, mode):
        env = self.env({"BUNPY_CACHE_DIR": os.path.join(self.cache, "bunpy")})
        cmd = [self.bench.bunpy, "-C", self.proj, "lock", "--python", self.bench.python]
        if mode == "check":
            cmd.append("--check")
        elif mode == "refresh":
            cmd.append("--refresh")
        if not os.path.exists(self.bench.bunpy):
            raise Failed(f"{self.bench.bunpy} not built")
        return self.timed(cmd, env)

    def resolution(self):
        return read_pylock(self.lock_path(), self.bench.markers), []


class Pip(Tool):
    name = "pip"
    lock_name = "report.json"
    modes = ("cold", "warm")

    def cmd(self, cache_args):
        return ([self.bench.python, "-m", "pip", "install", "--isolated", "--disable-pip-version-check",
                 "--no-input", "--dry-run", "--ignore-installed", "--report", self.lock_path(),
                 "--index-url", self.url, "--only-binary", ":all:", "--quiet"]
                + cache_args + list(self.wl["root"]))

    def run_mode(self, mode):
        if mode == "cold":
            # a fresh cache for the warm runs to come, filled by an untimed run
            self.new_cache()
            self.clear_state()
            t = self.timed(self.cmd(["--no-cache-dir"]), self.env())
            saved = self.lock_path() + ".cold"
            os.replace(self.lock_path(), saved)
            self.timed(self.cmd(["--cache-dir", os.path.join(self.cache, "pip")]), self.env())
            os.replace(saved, self.lock_path())
            return t
        self.clear_state()
        return self.timed(self.cmd(["--cache-dir", os.path.join(self.cache, "pip")]), self.env())

    def resolution(self):
        return read_pip_report(self.lock_path()), []


class Poetry(Tool):
    name = "poetry"
    lock_name = "poetry.lock"
    modes = ("cold", "warm", "noop", "check")

    def write_project(self):
        write_text(os.path.join(self.proj, "pyproject.toml"), poetry_pyproject(self.wl["root"], self.url))

    def lock(self, mode):
        env = self.env({"POETRY_CACHE_DIR": os.path.join(self.cache, "poetry"),
                        "POETRY_CONFIG_DIR": os.path.join(self.cache, "poetry-config"),
                        # lock needs an interpreter, not a virtualenv of its own
                        "POETRY_VIRTUALENVS_CREATE": "false",
                        "POETRY_NO_INTERACTION": "1",
                        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
        args = ["lock", "--check"] if mode == "check" else ["lock", "--no-update"]
        return self.timed(["poetry", "--no-ansi"] + args, env)

    def resolution(self):
        got, missing = read_poetry_lock(self.lock_path(), self.wl["root"], self.bench.markers)
        return got, [f"{n} is required but not in poetry.lock" for n in sorted(missing)]


class Pdm(Tool):
    name = "pdm"
    lock_name = "pdm.lock"
    state = (".pdm.toml", ".pdm-python", ".venv", "__pypackages__")
    modes = ("cold", "warm", "noop", "check")

    def write_project(self):
        write_text(os.path.join(self.proj, "pyproject.toml"), pdm_pyproject(self.wl["root"], self.url))

    def lock(self, mode):
        env = self.env({"PDM_CACHE_DIR": os.path.join(self.cache, "pdm"),
                        "PDM_IGNORE_SAVED_PYTHON": "1", "PDM_PYTHON": self.bench.python,
                        "PDM_USE_VENV": "false", "PDM_CHECK_UPDATE": "false"})
        args = ["lock", "--check"] if mode == "check" else ["lock"]
        return self.timed(["pdm"] + args, env)

    def resolution(self):
        got, missing = read_pdm_lock(self.lock_path(), self.wl["root"], self.bench.markers)
        return got, [f"{n} is required but not in pdm.lock" for n in sorted(missing)]


TOOLS = {"bunpy": Bunpy, "pip": Pip, "poetry": Poetry, "pdm": Pdm}


def tool_version(name, bench):
    """The version line of a tool, or None with the reason it cannot run."""
    cmds = {"bunpy": [bench.bunpy, "--version"],
            "pip": [bench.python, "-m", "pip", "--version"],
            "poetry": ["poetry", "--version"], "pdm": ["pdm", "--version"]}
    cmd = cmds[name]
    if name in ("poetry", "pdm") and not shutil.which(cmd[0]):
        return None, f"{cmd[0]} is not installed"
    if name == "bunpy" and not os.access(bench.bunpy, os.X_OK):
        return None, f"{bench.bunpy} is not built"
    return version_of(cmd)


# ------------------------------------------------------------------ workloads


def load_workloads(args, tmp, tools):
    sys.path.insert(0, FIXTURES)
    import mkindex  # noqa: E402 - a fixture module, found through FIXTURES

    os.makedirs(tmp, exist_ok=True)
    wls = []
    names = QUICK_PROFILES if args.quick else [w for w in args.workloads.split(",") if w]
    for w in names:
        if w == "universe":
            path = os.path.join(tmp, "universe.json")
            subprocess.run([sys.executable, os.path.join(FIXTURES, "universe.py"),
                            "--packages", str(args.universe_packages), "--versions", str(args.universe_versions),
                            "--seed", str(args.seed), path], check=True, stdout=subprocess.DEVNULL)
            label = f"universe-{args.universe_packages}x{args.universe_versions}"
        else:
            path = os.path.join(FIXTURES, "scenarios", f"profile-{w}.json")
            label = w
        with open(path) as f:
            spec = json.load(f)
        index = os.path.join(tmp, "index", label)
        t = time.perf_counter()
        mkindex.build(spec, index)
        files = sum(len(v) for v in spec["packages"].values())
        print(f"  {label}: {len(spec['packages'])} packages, {files} versions, {len(spec['root'])} roots,"
              f" {len(spec.get('expect', {}))} expected in the lock (index built in {time.perf_counter() - t:.1f} s)",
              flush=True)
        pip_index = None
        if "pip" in tools:
            # pip 23.0 compares the Name of PEP 658 metadata with the requirement
            # as written ("Foo_Bar" fails "foo-bar": "inconsistent Name") and
            # quietly takes another version: it gets pages without the metadata
            # attributes and reads METADATA from the (1 KB) wheels instead
            pip_index = index + "-pip"
            mkindex.build(spec, pip_index, metadata=False, json_pages=False)
        wls.append({"label": label, "root": spec["root"], "spec": spec, "index": index, "pip_index": pip_index,
                    "expect": {normalize(k): v for k, v in spec.get("expect", {}).items()}})
    return wls


def wheel_fits(tag, env):
    """Whether a wheel tag set installs on the target (CPython 3.X, linux x86_64)."""
    sys.path.insert(0, FIXTURES)
    import mkindex
    py = "cp" + env["python_version"].replace(".", "")
    for t in mkindex.expand_tag(tag):
        p, a, plat = t.split("-")
        if p not in ("py3", py, "py" + py[2:]) and not (p.startswith("cp3") and a == "abi3" and p <= py):
            continue
        if a not in ("none", py, "abi3"):
            continue
        if plat == "any" or (env["sys_platform"] == "linux" and plat.endswith("_" + env["platform_machine"])
                             and "linux" in plat):
            return True
    return False


def explain(wl, name, version, env):
    """Why a universal lock's pick may differ from a lock for the target."""
    info = (wl["spec"]["packages"].get(name) or
            {normalize(k): v for k, v in wl["spec"]["packages"].items()}.get(name) or {}).get(version)
    if info is None:
        return ""
    info = info or {}
    if not any(wheel_fits(t, env) for t in info.get("wheels", ["py3-none-any"])):
        return " (no wheel for the target: a lock for every platform may take it)"
    return ""


# ------------------------------------------------------------------ running


class Bench:
    def __init__(self, args):
        self.bunpy = os.path.abspath(args.bunpy)
        self.python = args.python
        self.timeout = args.timeout
        env = json.loads(subprocess.run([args.python, "-c", MARKER_ENV_PROBE], capture_output=True,
                                        text=True, check=True).stdout)
        self.marker_env = env
        self.markers = Markers(env)
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)
        print(f"WARNING: {text}", flush=True)


def tool_turn(bench, wl, delay, t, first, results, notes):
    """One tool's modes in a row; returns ({mode: seconds}, None) or (the samples
    taken, why it failed)."""
    where = f"{wl['label']} @{delay}ms"
    taken, cold_lock = {}, None
    for mode in t.modes:
        try:
            before = None
            if mode in ("noop", "check") and os.path.exists(t.lock_path()):
                st = os.stat(t.lock_path())
                with open(t.lock_path(), "rb") as f:
                    before = (f.read(), st.st_mtime_ns)
            secs = t.run_mode(mode)
        except Failed as exc:
            return taken, f"{MODE_LABEL[mode]} failed: {exc}"
        taken[mode] = secs
        if mode in ("cold", "warm", "refresh"):
            check_result(bench, wl, delay, t, mode, results, notes)
        if t.name != "bunpy" or not first:
            continue
        if mode == "cold":
            with open(t.lock_path(), "rb") as f:
                cold_lock = f.read()
        elif mode == "warm" and cold_lock is not None:
            with open(t.lock_path(), "rb") as f:
                if f.read() != cold_lock:
                    bench.warn(f"{where}: bunpy's warm pylock.toml differs from its cold one")
        elif mode == "noop" and before is not None:
            st = os.stat(t.lock_path())
            with open(t.lock_path(), "rb") as f:
                if f.read() != before[0]:
                    bench.warn(f"{where}: bunpy's no-op changed pylock.toml")
                elif st.st_mtime_ns != before[1]:
                    notes.setdefault("bunpy", set()).add("no-op rewrote pylock.toml (same bytes)")
    return taken, None


def bench_block(bench, wl, delay, tools, runs, root):
    """Every tool on one workload behind one server; returns the block's record."""
    where = f"{wl['label']} @{delay}ms"
    base = os.path.join(root, f"d{delay}", wl["label"])
    os.makedirs(base, exist_ok=True)
    servers = {"full": Server(wl["index"], delay, os.path.join(root, f"serve-{delay}-{wl['label']}.err"))}
    if "pip" in tools:
        # pip 23.0 fails on PEP 691 JSON pages that carry core-metadata as a table
        # (TypeError: unhashable type: 'dict'): it gets HTML pages only
        servers["html"] = Server(wl["pip_index"], delay,
                                 os.path.join(root, f"serve-{delay}-{wl['label']}-pip.err"), no_json=True)

    def revive():
        died = [why for why in (s.revive() for s in servers.values()) if why]
        for why in died:
            bench.warn(f"{where}: {why}")
        return bool(died)

    try:
        inst = {}
        for name in tools:
            url = servers["html" if name == "pip" else "full"].url
            inst[name] = TOOLS[name](bench, wl, os.path.join(base, name), url)
        samples = {n: {m: [] for m in MODES} for n in tools}
        failed, results, notes = {}, {}, {}
        nrounds = max(runs.values()) if runs else 0
        for r in range(nrounds):
            live = [n for n in tools if r < runs[n] and n not in failed]
            shift = r % len(live) if live else 0
            for name in live[shift:] + live[:shift]:
                for attempt in range(3):
                    revive()
                    taken, why = tool_turn(bench, wl, delay, inst[name], r == 0, results, notes)
                    # a failure while the server was gone is the server's, not the tool's
                    if why is None or not revive():
                        break
                    bench.warn(f"{where}: {name}'s turn {r + 1} again ({why})")
                for mode, secs in taken.items():
                    samples[name][mode].append(secs)
                if why:
                    failed[name] = why
                    bench.warn(f"{where}: {name} {why}")
        compare_block(bench, wl, delay, tools, results)
        rec = {"workload": wl["label"], "delay_ms": delay, "tools": {}}
        for name in tools:
            rec["tools"][name] = {
                "runs": runs[name], "failed": failed.get(name),
                "notes": sorted(notes.get(name, set())),
                "locked": len(results.get(name, {})),
                "samples_s": {m: samples[name][m] for m in MODES if samples[name][m]},
                "median_s": {m: statistics.median(samples[name][m]) for m in MODES if samples[name][m]},
            }
        return rec
    finally:
        for s in servers.values():
            s.stop()
        remove(base)


def check_result(bench, wl, delay, t, mode, results, notes):
    """Read back the lock a run wrote; keep the first, warn when a later one differs."""
    try:
        got, problems = t.resolution()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        bench.warn(f"{wl['label']} @{delay}ms: cannot read {t.name}'s {t.lock_name}: {exc}")
        return
    for p in problems:
        notes.setdefault(t.name, set()).add(p)
    first = results.setdefault(t.name, got)
    if got != first:
        d = differences(first, got)
        bench.warn(f"{wl['label']} @{delay}ms: {t.name} {mode} locked differently from its first run: "
                   + ", ".join(f"{n} {a} -> {b}" for n, a, b in d[:5]))


def compare_block(bench, wl, delay, tools, results):
    """Each peer against bunpy, bunpy against the workload's expected resolution (and
    the peers too when bunpy has no result)."""
    where = f"{wl['label']} @{delay}ms"
    ref_name = "bunpy" if "bunpy" in results else None
    if ref_name and wl["expect"]:
        d = differences(wl["expect"], results["bunpy"])
        if d:
            bench.warn(f"{where}: bunpy's lock differs from the expected resolution in {len(d)} packages: "
                       + ", ".join(f"{n} expected {a} got {b}" for n, a, b in d[:6]))
    for name in tools:
        if name == "bunpy" or name not in results:
            continue
        ref = results[ref_name] if ref_name else wl["expect"]
        label = "bunpy's" if ref_name else "the expected"
        if not ref:
            continue
        d = differences(ref, results[name])
        if d:
            why = [f"{n} {a} vs {b}{explain(wl, n, b, bench.marker_env) if b else ''}" for n, a, b in d[:6]]
            bench.warn(f"{where}: {name} resolved {len(d)} packages unlike {label} lock "
                       f"({len(ref)} vs {len(results[name])} packages): " + "; ".join(why)
                       + (" ..." if len(d) > 6 else ""))


# ------------------------------------------------------------------ output


def print_header(delay, peers):
    print(f"\n--- {delay} ms per request ---")
    head = f"{'workload':<20} {'mode':<6} {'bunpy ms':>9}"
    for p in peers:
        head += f" {p + ' ms':>10} {'x':>6}"
    head += f" {'vs fastest':>10}  notes"
    print(head, flush=True)


def print_block(rec, peers):
    tools = rec["tools"]

    def med(name, mode):
        t = tools.get(name)
        if not t:
            return None
        if mode == "refresh" and name != "bunpy":
            mode = "warm"
        return t["median_s"].get(mode)

    for mode in MODES:
        b = med("bunpy", mode)
        line = f"{rec['workload']:<20} {MODE_LABEL[mode]:<6} {fmt_ms(b):>9}"
        best = None
        for p in peers:
            v = med(p, mode)
            if v is None:
                t = tools.get(p)
                if t is None:
                    cell = "missing"
                elif mode not in TOOLS[p].modes and mode != "refresh":
                    cell = "n/a"
                else:
                    cell = "failed" if t["failed"] else "-"
                line += f" {cell:>10} {'':>6}"
                continue
            best = v if best is None else min(best, v)
            ratio = f"{v / b:.1f}x" if b else "-"
            line += f" {fmt_ms(v):>10} {ratio:>6}"
        line += f" {(f'{best / b:.1f}x' if best and b else '-'):>10}"
        why = []
        if mode == "cold":
            for name, t in tools.items():
                if t is None:
                    why.append(f"{name}: {rec['missing'].get(name, 'missing')}")
                    continue
                if t["failed"]:
                    why.append(f"{name}: {t['failed']}")
                for n in t["notes"]:
                    why.append(f"{name}: {n}")
        if why:
            line += "  " + "; ".join(why)
        print(line, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bunpy", default="./bunpy")
    ap.add_argument("--python", default="/usr/bin/python3", help="the target interpreter (and pip's)")
    ap.add_argument("--tools", default="bunpy,pip,poetry,pdm")
    ap.add_argument("--workloads", default=",".join(PROFILES) + ",universe")
    ap.add_argument("--delays", default="0,20", help="per-request delays of the server, in ms")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")),
                    help="runs of bunpy (default: BENCH_RUNS or 5)")
    ap.add_argument("--peer-runs", type=int, default=None,
                    help="runs of each peer (default: 3, at most --runs)")
    ap.add_argument("--quick", action="store_true", help="one run of each tool, two profiles")
    ap.add_argument("--universe-packages", type=int, default=300)
    ap.add_argument("--universe-versions", type=int, default=25)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=300, help="seconds one tool run may take")
    ap.add_argument("--dir", default=os.environ.get("BENCH_DIR", "bench/out"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.peer_runs = 1, 1
    peer_runs = args.peer_runs if args.peer_runs is not None else min(3, args.runs)
    wanted = wanted_tools(args, TOOLS)

    bench = Bench(args)
    out = os.path.abspath(args.dir)
    root = os.path.join(out, "lock-tmp")
    remove(root)
    os.makedirs(root)
    env = bench.marker_env
    tools, peers, runs, versions, missing = find_tools(wanted, lambda t: tool_version(t, bench), args.runs,
                                    peer_runs, PEERS, "bunpy lock vs {peers}; target CPython",
                                    env, args.python)
    print("workloads:", flush=True)
    records = []
    try:
        wls = load_workloads(args, os.path.join(root, "work"), tools)
        for delay in [int(d) for d in args.delays.split(",") if d]:
            print_header(delay, peers)
            for wl in wls:
                rec = bench_block(bench, wl, delay, tools, runs, os.path.join(root, "run"))
                for t in missing:
                    rec["tools"][t] = None
                rec["missing"] = missing
                records.append(rec)
                print_block(rec, peers)
    finally:
        remove(root)
        with open(os.path.join(out, "lock.json"), "w") as f:
            json.dump({"python": args.python, "marker_env": env, "versions": versions, "missing": missing,
                       "runs": runs, "warnings": bench.warnings, "results": records}, f, indent=2)
    for u in sorted(bench.markers.unknown):
        print(f"note: {u}")
    print("\nms = median wall time; x = peer / bunpy (above 1.0x: bunpy is faster); vs fastest = the fastest"
          " peer's median / bunpy's. reval = bunpy's warm run with --refresh, against the peers' warm runs;"
          " check = `lock --check`."
          f" {len(bench.warnings)} warning(s). Raw numbers: {os.path.join(args.dir, 'lock.json')}")


if __name__ == "__main__":
    main()
