#!/usr/bin/env python3
"""Benchmark `bunpy sync` against pip, poetry and pdm installing the same pins.

Workloads, each built into a local index (tests/fixtures/mkindex.py's pages and
layout) and served over HTTP on 127.0.0.1 by tests/fixtures/serve.py:

  flat-47     47 packages without dependencies between them, each a wheel of 20 to
              200 files (spread evenly on a log scale: 3,948 files in all with the dist-info) of
              generated Python source and some JSON, lognormal sizes around 3 KB;
              every fourth has a console script
  PROFILE     the four seed profiles (tests/fixtures/scenarios/profile-*.json, from
              seed-realworld.json): fastapi-app, django-app, datascience, cli-tool;
              14 to 18 packages of mkindex's one-module wheels
  wheel-10k   one wheel of 10,000 files (sizes around 1.2 KB) and a console script

Each workload is locked once, untimed: `bunpy lock` (pylock.toml), `bunpy export`
(requirements.txt with hashes, for pip), `poetry lock --no-update` and `pdm lock`
against the same index; the bench checks that the three locks pin the same versions.
Then, in each of several rounds, each tool runs in turn (the order rotates):

  cold    empty cache, no venv: everything downloaded over loopback HTTP
  warm    the cache the cold run filled, the venv deleted: a fresh install
  no-op   the same command again, nothing changed
  copy    (bunpy only) warm with --link-mode copy instead of the default (clone,
          falling back to hardlink then copy)

Creating the venv counts for every tool:

  bunpy   `bunpy -C PROJ sync --python PY` (creates PROJ/.venv itself);
          BUNPY_CACHE_DIR is the cache
  pip     `PY -m venv --without-pip .venv`, then pip 23.0.1 from Debian's
          python3-pip-whl wheel, unpacked once and byte-compiled, run by the venv's
          own interpreter: `.venv/bin/python PIPDIR/pip install --no-deps
          --require-hashes --no-compile --only-binary :all: -r requirements.txt
          --index-url URL --cache-dir CACHE`. This is the fastest legitimate way
          found (--pip-way): importing pip from the wheel as a zip (`zip`) starts
          three times slower, and `PY -m pip --python .venv/bin/python` (`system`)
          runs two interpreters. --no-compile because bunpy does not compile bytecode
          unless asked (--compile-bytecode). pip's no-op prints "Requirement already
          satisfied" for each package. pip reads a copy of the index with HTML pages
          and no PEP 658 files (pip 23.0 mishandles PEP 691 pages with a core-metadata
          table), the wheels byte for byte the same
  poetry  `poetry install --no-root`, POETRY_VIRTUALENVS_IN_PROJECT=true,
          POETRY_CACHE_DIR the cache. poetry 1.3 creates the venv with virtualenv
          (which seeds pip, setuptools and wheel into it) and installs each wheel with
          its own `pip install --isolated --no-deps WHEEL` process; that pip compiles
          bytecode, and --isolated makes it ignore PIP_NO_COMPILE: poetry 1.3 cannot
          be told not to
  pdm     `pdm sync --no-self`; pdm creates .venv with virtualenv (no seed
          packages) and installs without compiling bytecode. The cache is HOME and
          XDG_CACHE_HOME (pdm 2.2 caches under ~/.cache/pdm). PATH starts with PY's
          directory so that the venv pdm creates is for PY

After every timed run the venv is read with its own interpreter (importlib.metadata):
each tool must have installed the same distributions (names and versions) as
pylock.toml selects, not counting virtualenv's seed packages, and every file each
RECORD lists must exist. A difference is printed as a WARNING line.

Nothing is deleted while tools are timed: the venvs and caches a run replaces are moved
aside and deleted when the benchmark ends. On ext4 without a journal (the machine this
was written on) the inode allocator skips every recently freed inode one by one, so
creating files within a few minutes of deleting thousands costs up to 0.7 ms each:
each run would pay for the cleanup of the one before it (perf: find_inode_bit ->
recently_deleted).

Times are wall-clock medians over the runs, in ms, from starting the process to its
exit. Ratios are peer / bunpy: "12.3x" means bunpy took 12.3 times less time. The
result is a markdown table on stdout, also written to DIR/sync.md; every sample and
the checks go to DIR/sync.json. --quick: the four profiles only, 2 runs of bunpy and
1 of each peer.
"""

import argparse
import glob
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile

from common import (FIXTURES, find_tools, wanted_tools, Failed, Markers, Server, bunpy_pyproject, clean_env, differences, fmt_ms,
                    normalize, pdm_pyproject, poetry_pyproject, probe_marker_env, read_pdm_lock,
                    read_poetry_lock, read_pylock, remove, run, version_of, write_text)

sys.path.insert(0, FIXTURES)
import mkindex  # noqa: E402 - a fixture module, found through FIXTURES

PROFILES = ["fastapi-app", "django-app", "datascience", "cli-tool"]
PEERS = ["pip", "poetry", "pdm"]
MODES = ["cold", "warm", "copy", "noop"]
MODE_LABEL = {"cold": "cold", "warm": "warm", "copy": "warm, copy", "noop": "no-op"}
# what virtualenv puts in a venv it creates; not counted when comparing installed sets
SEEDS = {"pip", "setuptools", "wheel"}

# Run with the venv's interpreter: every distribution it sees, and how many of the
# files its RECORD lists are missing.
INSTALLED_PROBE = r"""
import importlib.metadata as m, json, os, sys
dists = []
for d in m.distributions():
    files = d.files or []
    missing = [str(f) for f in files if not os.path.lexists(d.locate_file(f))]
    dists.append([d.metadata["Name"], d.version, len(files), len(missing), missing[:3]])
print(json.dumps({"python": sys.version.split()[0], "base": sys.base_prefix, "dists": dists}))
"""


# ------------------------------------------------------------------ wheels with real bulk

WORDS = ("data value item node config request response handle parse build render cache key index "
         "result state event buffer stream path name token field record entry table column row query "
         "session client server route header body message error retry timeout limit offset batch "
         "schema model view form user group policy rule filter order sort page cursor frame layer "
         "widget style theme color font image plot axis series metric sample vector matrix tensor "
         "graph edge vertex queue worker task job signal hook plugin loader reader writer encoder "
         "decoder codec format source target output input option flag default context scope").split()


def block_pool(rng, count=2500):
    """Pieces of plausible Python: classes, functions, tables. Files are random runs of
    these, so that they deflate like real source (about 4:1) and differ from each other."""
    pool = []
    for i in range(count):
        a, b, c, d = rng.sample(WORDS, 4)
        kind = i % 4
        if kind == 0:
            lines = [f"class {a.title()}{b.title()}({c.title()}Base):",
                     f'    """The {a} {b} of a {c}: kept until the {d} changes."""', "",
                     f"    def __init__(self, {a}, {b}=None, *, {c}={rng.randint(0, 99)}):",
                     f"        super().__init__({c}={c})", f"        self.{a} = {a}",
                     f"        self.{b} = {b} if {b} is not None else {{}}", ""]
            for _ in range(rng.randint(1, 4)):
                x, y = rng.sample(WORDS, 2)
                lines += [f"    def {x}_{y}(self, {x}, limit={rng.randint(1, 500)}):",
                          f"        if {x} is None:", f"            return self.{a}",
                          f"        found = [{y} for {y} in self.{b}.values() if {y} != {x}]",
                          "        return found[:limit]", ""]
        elif kind == 1:
            lines = [f"def {a}_{b}({c}, {d}=None):",
                     f'    """Return the {b} of each {c}, or of {d} when given."""',
                     "    out = []", f"    for {a} in {c}:",
                     f"        if {d} is not None and {a}.{b} not in {d}:", "            continue",
                     f"        out.append(({a}.{b}, {a}.{rng.choice(WORDS)} * {rng.randint(2, 64)}))",
                     "    return sorted(out, key=lambda t: t[0])", ""]
        elif kind == 2:
            keys = rng.sample(WORDS, rng.randint(4, 12))
            lines = [f"{a.upper()}_{b.upper()} = {{"]
            lines += [f'    "{k}": ({rng.randint(0, 9999)}, "{rng.choice(WORDS)}"),' for k in keys]
            lines += ["}", ""]
        else:
            lines = [f"def load_{a}(path, {b}=False):", "    try:",
                     "        with open(path, encoding=\"utf-8\") as f:",
                     f"            {c} = f.read()", "    except OSError as exc:",
                     f"        raise {d.title()}Error(f\"cannot read {{path}}: {{exc}}\") from exc",
                     f"    if {b}:", f"        return {c}.splitlines()",
                     f"    return {c}.strip() or {rng.randint(0, 9)!r}", ""]
        pool.append("\n".join(lines) + "\n\n")
    return pool


class Bulk:
    """What one fat wheel holds beyond mkindex's: n files under the package, of
    lognormal sizes around median bytes, and maybe a console script."""

    def __init__(self, nfiles, median, sigma, script):
        self.nfiles, self.median, self.sigma, self.script = nfiles, median, sigma, script


def bulk_members(name, version, bulk, pool):
    """(path, bytes) of the package's files, deterministic for (name, version)."""
    rng = random.Random(f"{name}=={version}")
    mod = mkindex.import_name(name)
    members = [(f"{mod}/__init__.py", f'"""{name} {version}."""\n\n__version__ = {version!r}\n'.encode()),
               (f"{mod}/py.typed", b"")]
    if bulk.script:
        members.append((f"{mod}/cli.py", b"import sys\n\n\ndef main():\n    print(sys.argv)\n    return 0\n"))
    dirs = [mod]
    for i in range(max(0, bulk.nfiles // 14 - 1)):
        # a tree two or three levels deep, wider at the top
        parent = rng.choice(dirs[: 1 + len(dirs) // 3])
        d = f"{parent}/{rng.choice(WORDS)}_{i}"
        dirs.append(d)
        members.append((f"{d}/__init__.py", f'"""The {d.replace("/", ".")} package."""\n'.encode()))
    k = 0
    while len(members) < bulk.nfiles:
        k += 1
        d = rng.choice(dirs)
        size = int(min(max(rng.lognormvariate(math.log(bulk.median), bulk.sigma), 60), 80000))
        if rng.random() < 0.08:
            words = rng.choices(WORDS, k=max(1, size // 12))
            data = ("{" + ", ".join(f'"{w}_{j}": {j}' for j, w in enumerate(words)) + "}\n").encode()
            members.append((f"{d}/{rng.choice(WORDS)}_{k}.json", data))
            continue
        parts = [f'"""{d.replace("/", ".")}.{WORDS[k % len(WORDS)]}_{k}: generated for the sync benchmark.\n\n'
                 f'Token {rng.getrandbits(64):016x}.\n"""\n\nfrom __future__ import annotations\n\n'
                 f"import os\nimport re\n\n"]
        n = len(parts[0])
        while n < size:
            p = rng.choice(pool)
            parts.append(p)
            n += len(p)
        members.append((f"{d}/{WORDS[k % len(WORDS)]}_{k}.py", "".join(parts).encode()))
    return members[: max(bulk.nfiles, 3)]


def fat_wheel(name, version, tag, metadata, bulk, pool):
    """A valid wheel like mkindex's, with the bulk's files, top_level.txt, a LICENSE
    and maybe entry_points.txt."""
    dist = "%s-%s.dist-info" % (mkindex.escaped(name), version)
    tags = mkindex.expand_tag(tag)
    wheel = "Wheel-Version: 1.0\nGenerator: bunpy-bench-sync 1\nRoot-Is-Purelib: true\n%s\n" % (
        "\n".join("Tag: " + t for t in tags))
    members = bulk_members(name, version, bulk, pool)
    members += [(dist + "/METADATA", metadata), (dist + "/WHEEL", wheel.encode()),
                (dist + "/top_level.txt", (mkindex.import_name(name) + "\n").encode()),
                (dist + "/LICENSE", b"Permission is granted to benchmark this file.\n" * 20)]
    if bulk.script:
        members.append((dist + "/entry_points.txt",
                        f"[console_scripts]\n{normalize(name)} = {mkindex.import_name(name)}.cli:main\n".encode()))
    record = "".join("%s,%s,%d\n" % (p, mkindex.record_hash(d), len(d)) for p, d in members)
    record += dist + "/RECORD,,\n"
    members.append((dist + "/RECORD", record.encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in members:
            mkindex.zip_member(zf, path, data)
    return buf.getvalue()


class BenchIndex(mkindex.Index):
    """mkindex's index, whose wheels come from wheel_bytes (the fat ones here, the same
    bytes for every index built from one spec)."""

    def __init__(self, outdir, wheel_bytes, **kw):
        super().__init__(outdir, **kw)
        self.wheel_bytes = wheel_bytes

    def project(self, name, versions):
        entries = []
        for version, info in versions.items():
            info = info or {}
            meta = mkindex.metadata_text(name, version, info)
            for tag in info.get("wheels", ["py3-none-any"]):
                fn = "%s-%s-%s.whl" % (mkindex.escaped(name), version, tag)
                entries.append(self.add_file(fn, self.wheel_bytes(name, version, tag, meta), info, meta))
        norm = mkindex.normalize(name)
        pdir = os.path.join(self.simple_dir, norm)
        os.makedirs(pdir, exist_ok=True)
        mkindex.write(os.path.join(pdir, "index.html"), self.project_html(norm, entries))
        if self.json_pages:
            mkindex.write(os.path.join(pdir, "index.json"), self.project_json(norm, list(versions), entries))
        return norm


def build_indexes(spec, bulks, index, pip_index):
    """The full index (PEP 691 + 658) and pip's copy (HTML only, no metadata files),
    with identical wheels; returns {normalized name: [wheels, files in them, bytes
    unpacked, bytes of wheels]}."""
    cache, pool = {}, None
    stats = {}

    def wheel_bytes(name, version, tag, meta):
        nonlocal pool
        key = (name, version, tag)
        if key not in cache:
            bulk = bulks.get(name)
            if bulk is None:
                data = mkindex.build_wheel(name, version, tag, meta)
            else:
                if pool is None:
                    pool = block_pool(random.Random(7))
                data = fat_wheel(name, version, tag, meta, bulk, pool)
            cache[key] = data
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
            s = stats.setdefault(normalize(name), [0, 0, 0, 0])
            s[0] += 1
            s[1] += len(infos)
            s[2] += sum(i.file_size for i in infos)
            s[3] += len(data)
        return cache[key]

    for outdir, kw in ((index, {}), (pip_index, {"metadata": False, "json_pages": False})):
        ix = BenchIndex(outdir, wheel_bytes, **kw)
        ix.root([ix.project(name, versions) for name, versions in spec["packages"].items()])
    return stats


def load_workloads(args, tmp):
    names = PROFILES if args.quick else [w for w in args.workloads.split(",") if w]
    wls = []
    for w in names:
        if w == "flat":
            n = args.flat
            label = f"flat-{n}"
            spec = {"packages": {}, "root": []}
            bulks = {}
            for i in range(n):
                name = f"flat-{i + 1:02d}"
                version = f"{1 + i % 4}.{i % 7}.{i % 3}"
                spec["packages"][name] = {version: {}}
                spec["root"].append(f"{name}>={version}")
                # 20 to 200 files, evenly on a log scale
                nfiles = round(20 * 10 ** (i / max(1, n - 1)))
                bulks[name] = Bulk(nfiles, 3000, 1.0, script=(i % 4 == 0))
        elif w == "big":
            n = args.big
            label = f"wheel-{n // 1000}k" if n % 1000 == 0 else f"wheel-{n}"
            spec = {"packages": {"bigwheel": {"1.0.0": {}}}, "root": ["bigwheel>=1.0"]}
            bulks = {"bigwheel": Bulk(n, 1200, 0.9, script=True)}
        elif w in PROFILES:
            label = w
            with open(os.path.join(FIXTURES, "scenarios", f"profile-{w}.json")) as f:
                spec = json.load(f)
            bulks = {}
        else:
            sys.exit(f"unknown workload {w} (known: flat, {', '.join(PROFILES)}, big)")
        index = os.path.join(tmp, "index", label)
        t = time.perf_counter()
        stats = build_indexes(spec, bulks, index, index + "-pip")
        # what is installed: a profile's reachable set, or every package
        chosen = [normalize(n) for n in (spec.get("expect") or spec["packages"])]
        nfiles, unpacked, packed = (sum(stats[n][i] for n in chosen) for i in (1, 2, 3))
        plural = "s" if len(chosen) != 1 else ""
        desc = (f"{len(chosen)} package{plural} to install ({len(stats)} in the index), {nfiles:,} files,"
                f" {unpacked / 1e6:.1f} MB unpacked, {packed / 1e6:.1f} MB of wheels")
        print(f"  {label}: {desc} (indexes built in {time.perf_counter() - t:.1f} s)", flush=True)
        wls.append({"label": label, "root": spec["root"], "index": index, "pip_index": index + "-pip",
                    "desc": desc})
    return wls


# ------------------------------------------------------------------ the tools


class Installer:
    """One tool on one workload: a project directory with its lock, a cache, a venv in
    PROJ/.venv. run_mode returns seconds or raises Failed."""

    name = "?"
    modes = ("cold", "warm", "noop")
    state = ()           # project files that go with the venv (removed with it)

    def __init__(self, bench, wl, base, url):
        self.bench, self.wl, self.base, self.url = bench, wl, base, url
        self.proj = os.path.join(base, "proj")
        self.venv = os.path.join(self.proj, ".venv")
        self.cache = None
        self.ncache = 0
        self.last_err = ""
        os.makedirs(self.proj, exist_ok=True)

    def new_cache(self):
        if self.cache:
            self.bench.discard(self.cache)
        self.ncache += 1
        self.cache = os.path.join(self.base, f"cache{self.ncache}")
        os.makedirs(os.path.join(self.cache, "home"))
        os.makedirs(os.path.join(self.cache, "xdg"))

    def env(self, extra=None):
        pydir = os.path.dirname(self.bench.python)
        env = {"HOME": os.path.join(self.cache, "home"), "XDG_CACHE_HOME": os.path.join(self.cache, "xdg")}
        env.update(extra or {})
        env = clean_env(env)
        # pdm creates its venv for the newest Python it finds, pyenv's first: every
        # tool sees PY alone, so that every venv is for the same interpreter
        for k in [k for k in env if k.startswith("PYENV")]:
            del env[k]
        path = [d for d in env.get("PATH", "").split(os.pathsep) if d and "pyenv" not in d]
        env["PATH"] = os.pathsep.join([pydir] + path)
        return env

    def timed(self, cmd, env):
        secs, _, self.last_err = run(cmd, self.proj, env, self.bench.timeout)
        return secs

    def drop_venv(self):
        self.bench.discard(self.venv, *(os.path.join(self.proj, p) for p in self.state))

    def prepare(self):
        """Write the project and lock it, untimed."""

    def run_mode(self, mode):
        if mode == "cold":
            self.new_cache()
            self.drop_venv()
        elif mode in ("warm", "copy"):
            self.drop_venv()
        return self.install(mode)

    def install(self, mode):
        raise NotImplementedError

    def python(self):
        return os.path.join(self.venv, "bin", "python")


class Bunpy(Installer):
    name = "bunpy"
    modes = ("cold", "warm", "noop", "copy")

    def bunpy_env(self):
        return self.env({"BUNPY_CACHE_DIR": os.path.join(self.cache, "bunpy")})

    def prepare(self):
        write_text(os.path.join(self.proj, "pyproject.toml"), bunpy_pyproject(self.wl["root"], self.url))
        self.new_cache()
        self.timed([self.bench.bunpy, "-C", self.proj, "lock", "--python", self.bench.python], self.bunpy_env())
        self.timed([self.bench.bunpy, "-C", self.proj, "export", "-o", self.requirements()], self.bunpy_env())

    def requirements(self):
        return os.path.join(self.base, "requirements.txt")

    def lock_path(self):
        return os.path.join(self.proj, "pylock.toml")

    def run_mode(self, mode):
        if mode == "cold":
            # the project's own state goes too: nothing from an earlier run
            self.bench.discard(os.path.join(self.proj, ".bunpy"))
        return super().run_mode(mode)

    def install(self, mode):
        cmd = [self.bench.bunpy, "-C", self.proj, "sync", "--python", self.bench.python]
        if mode == "copy":
            cmd += ["--link-mode", "copy"]
        return self.timed(cmd, self.bunpy_env())


class Pip(Installer):
    name = "pip"

    def prepare(self):
        shutil.copyfile(self.wl["requirements"], os.path.join(self.proj, "requirements.txt"))

    def pip_cmd(self):
        way = self.bench.pip_way
        if way == "system":
            return [self.bench.python, "-m", "pip", "--python", self.python()]
        return [self.python(), os.path.join(self.bench.pip_dir if way == "dir" else self.bench.pip_wheel, "pip")]

    def install(self, mode):
        secs = 0.0
        env = self.env()
        if mode != "noop":
            secs += self.timed([self.bench.python, "-m", "venv", "--without-pip", self.venv], env)
        cmd = self.pip_cmd() + [
            "install", "--isolated", "--disable-pip-version-check", "--no-input", "--quiet",
            "--no-deps", "--require-hashes", "--no-compile", "--only-binary", ":all:",
            "--index-url", self.url, "--cache-dir", os.path.join(self.cache, "pip"), "-r", "requirements.txt"]
        return secs + self.timed(cmd, env)


class Poetry(Installer):
    name = "poetry"

    def poetry_env(self):
        return self.env({"POETRY_CACHE_DIR": os.path.join(self.cache, "poetry"),
                         "POETRY_CONFIG_DIR": os.path.join(self.cache, "poetry-config"),
                         "POETRY_VIRTUALENVS_IN_PROJECT": "true",
                         "POETRY_NO_INTERACTION": "1",
                         "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})

    def prepare(self):
        write_text(os.path.join(self.proj, "pyproject.toml"), poetry_pyproject(self.wl["root"], self.url))
        self.new_cache()
        self.timed(["poetry", "--no-ansi", "lock", "--no-update"], self.poetry_env())

    def resolution(self, markers):
        got, missing = read_poetry_lock(os.path.join(self.proj, "poetry.lock"), self.wl["root"], markers)
        return got, missing

    def install(self, mode):
        return self.timed(["poetry", "--no-ansi", "install", "--no-root"], self.poetry_env())


class Pdm(Installer):
    name = "pdm"
    state = (".pdm.toml", ".pdm-python")

    def pdm_env(self):
        return self.env({"PDM_CHECK_UPDATE": "false"})

    def prepare(self):
        write_text(os.path.join(self.proj, "pyproject.toml"), pdm_pyproject(self.wl["root"], self.url))
        self.new_cache()
        self.timed(["pdm", "lock"], self.pdm_env())
        self.drop_venv()            # pdm lock made one

    def resolution(self, markers):
        return read_pdm_lock(os.path.join(self.proj, "pdm.lock"), self.wl["root"], markers)

    def install(self, mode):
        return self.timed(["pdm", "sync", "--no-self"], self.pdm_env())


TOOLS = {"bunpy": Bunpy, "pip": Pip, "poetry": Poetry, "pdm": Pdm}


# ------------------------------------------------------------------ running


class Bench:
    def __init__(self, args, root):
        self.bunpy = os.path.abspath(args.bunpy)
        self.python = args.python
        self.timeout = args.timeout
        self.pip_way = args.pip_way
        self.marker_env = probe_marker_env(args.python)
        self.base_prefix = subprocess.run([args.python, "-c", "import sys; print(sys.base_prefix)"],
                                          capture_output=True, text=True, check=True).stdout.strip()
        self.markers = Markers(self.marker_env)
        self.warnings = []
        wheels = sorted(glob.glob("/usr/share/python-wheels/pip-*.whl"))
        self.pip_wheel = wheels[-1] if wheels else None
        self.pip_dir = os.path.join(root, "pip")
        self.trash = os.path.join(root, "trash")
        self.ntrash = 0
        os.makedirs(self.trash)

    def discard(self, *paths):
        """Move paths out of the way, into a trash emptied when the benchmark ends.
        Nothing is deleted while tools are timed: on ext4 without a journal (this
        machine's) the inode allocator skips recently freed inodes one by one, so
        creating files within minutes of deleting thousands costs up to 0.7 ms each,
        and a run would pay for the one before it."""
        for p in paths:
            if os.path.lexists(p):
                self.ntrash += 1
                os.rename(p, os.path.join(self.trash, str(self.ntrash)))

    def warn(self, text):
        self.warnings.append(text)
        print(f"WARNING: {text}", flush=True)

    def setup_pip(self):
        """pip's wheel unpacked and compiled for the target interpreter, once."""
        if self.pip_wheel is None:
            return "no /usr/share/python-wheels/pip-*.whl (python3-pip-whl)"
        if self.pip_way == "dir":
            with zipfile.ZipFile(self.pip_wheel) as zf:
                zf.extractall(self.pip_dir)
            subprocess.run([self.python, "-m", "compileall", "-q", self.pip_dir], check=True,
                           stdout=subprocess.DEVNULL)
        return None

    def version(self, name):
        if name == "bunpy":
            if not os.access(self.bunpy, os.X_OK):
                return None, f"{self.bunpy} is not built"
            return version_of([self.bunpy, "--version"])
        if name == "pip":
            why = self.setup_pip()
            if why:
                return None, why
            where = {"dir": self.pip_dir, "zip": self.pip_wheel}.get(self.pip_way)
            cmd = [self.python, os.path.join(where, "pip")] if where else [self.python, "-m", "pip"]
            return version_of(cmd + ["--version"])
        if not shutil.which(name):
            return None, f"{name} is not installed"
        return version_of([name, "--version"])


def installed(bench, t, expect):
    """({normalized name: version} in the tool's venv, problems, notes)."""
    try:
        p = subprocess.run([t.python(), "-I", "-c", INSTALLED_PROBE], capture_output=True, text=True,
                           timeout=120, env=clean_env({}), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, [f"cannot read the venv: {exc}"], []
    if p.returncode != 0:
        return None, [f"cannot read the venv: exit {p.returncode}"], []
    data = json.loads(p.stdout)
    got, problems, notes = {}, [], []
    if os.path.realpath(data["base"]) != os.path.realpath(bench.base_prefix):
        problems.append(f"the venv is for {data['base']}, not {bench.base_prefix}")
    for name, version, nfiles, nmissing, missing in data["dists"]:
        got[normalize(name)] = version
        if not nmissing or (normalize(name) in SEEDS and normalize(name) not in expect):
            continue
        if nmissing == 1 and missing[0].endswith(".dist-info/direct_url.json"):
            # poetry 1.3 deletes the direct_url.json pip wrote, and leaves RECORD as it was
            notes.append("direct_url.json is listed in RECORD but absent")
            continue
        problems.append(f"{name} {version}: {nmissing} of the {nfiles} files its RECORD lists are missing"
                        f" ({', '.join(missing)}{' ...' if nmissing > len(missing) else ''})")
    return got, problems, notes


def check_venv(bench, wl, t, mode, expect, rec):
    got, problems, notes = installed(bench, t, expect or {})
    where = f"{wl['label']}: {t.name} {MODE_LABEL[mode]}"
    for p in problems:
        bench.warn(f"{where}: {p}")
    for n in notes:
        rec["notes"].setdefault(t.name, set()).add(n)
    if got is None or expect is None:
        return
    seeded = sorted(n for n in got if n in SEEDS and n not in expect)
    if seeded:
        rec["seeded"][t.name] = seeded
    got = {n: v for n, v in got.items() if n not in SEEDS or n in expect}
    d = differences(expect, got)
    rec["checked"][t.name] = rec["checked"].get(t.name, 0) + 1
    if d:
        rec["mismatch"].setdefault(t.name, []).append(mode)
        bench.warn(f"{where}: the venv differs from pylock.toml in {len(d)} distributions: "
                   + ", ".join(f"{n} {a or '-'} vs {b or '-'}" for n, a, b in d[:6]) + (" ..." if len(d) > 6 else ""))


def bench_block(bench, wl, tools, runs, root):
    """Every tool on one workload behind its servers; returns the workload's record."""
    base = os.path.join(root, wl["label"])
    os.makedirs(base, exist_ok=True)
    servers = {"full": Server(wl["index"], 0, os.path.join(root, f"serve-{wl['label']}.err"))}
    if "pip" in tools:
        servers["html"] = Server(wl["pip_index"], 0, os.path.join(root, f"serve-{wl['label']}-pip.err"),
                                 no_json=True)

    def revive():
        died = [why for why in (s.revive() for s in servers.values()) if why]
        for why in died:
            bench.warn(f"{wl['label']}: {why}")
        return bool(died)

    rec = {"workload": wl["label"], "desc": wl["desc"], "tools": {}, "checked": {}, "seeded": {},
           "mismatch": {}, "notes": {}, "expect": None, "stderr": {}}
    failed = {}
    try:
        inst = {}
        for name in tools:
            url = servers["html" if name == "pip" else "full"].url
            inst[name] = TOOLS[name](bench, wl, os.path.join(base, name), url)
        # the locks, untimed; bunpy's first (even when bunpy is not measured): pip
        # installs its export, and every venv is compared with it
        locker = inst.get("bunpy") or Bunpy(bench, wl, os.path.join(base, "bunpy"), servers["full"].url)
        try:
            locker.prepare()
            expect = rec["expect"] = read_pylock(locker.lock_path(), bench.markers)
            wl["requirements"] = locker.requirements()
        except Failed as exc:
            expect = None
            for name in ("bunpy", "pip"):
                if name in inst:
                    failed[name] = f"no pylock.toml: bunpy lock or export failed: {exc}"
            bench.warn(f"{wl['label']}: bunpy lock or export failed: {exc}")
        for name in [n for n in tools if n != "bunpy" and n not in failed]:
            try:
                inst[name].prepare()
            except Failed as exc:
                failed[name] = f"locking failed: {exc}"
                bench.warn(f"{wl['label']}: {name} {failed[name]}")
                continue
            if name in ("poetry", "pdm") and expect is not None:
                got, missing = inst[name].resolution(bench.markers)
                d = differences(expect, got)
                if d or missing:
                    bench.warn(f"{wl['label']}: {name}'s lock pins {len(d)} packages unlike pylock.toml: "
                               + ", ".join(f"{n} {a} vs {b}" for n, a, b in d[:6]))
        samples = {n: {m: [] for m in MODES} for n in tools}
        for r in range(max(runs.values()) if runs else 0):
            live = [n for n in tools if r < runs[n] and n not in failed]
            shift = r % len(live) if live else 0
            for name in live[shift:] + live[:shift]:
                t = inst[name]
                for attempt in range(3):
                    revive()
                    taken, why = {}, None
                    for mode in t.modes:
                        try:
                            taken[mode] = t.run_mode(mode)
                        except Failed as exc:
                            why = f"{MODE_LABEL[mode]} failed: {exc}"
                            break
                        if r == 0 and mode in ("cold", "warm") and name == "bunpy":
                            rec["stderr"][mode] = t.last_err[-4000:]
                        check_venv(bench, wl, t, mode, expect, rec)
                    # a failure while the server was gone is the server's, not the tool's
                    if why is None or not revive():
                        break
                    bench.warn(f"{wl['label']}: {name}'s turn {r + 1} again ({why})")
                for mode, secs in taken.items():
                    samples[name][mode].append(secs)
                if why:
                    failed[name] = why
                    bench.warn(f"{wl['label']}: {name} {why}")
        for name in tools:
            rec["tools"][name] = {
                "runs": runs[name], "failed": failed.get(name),
                "samples_s": {m: samples[name][m] for m in MODES if samples[name][m]},
                "median_s": {m: statistics.median(samples[name][m]) for m in MODES if samples[name][m]},
            }
        rec["notes"] = {n: sorted(v) for n, v in rec["notes"].items()}
        return rec
    finally:
        for s in servers.values():
            s.stop()
        bench.discard(base)


# ------------------------------------------------------------------ output


def ratio(peer, b):
    return f"{peer / b:.1f}x" if peer is not None and b else "-"


def cell(rec, name, mode):
    """The median of a tool's mode, None, or why there is none."""
    t = rec["tools"].get(name)
    if t is None:
        return None, "missing"
    v = t["median_s"].get(mode)
    if v is None:
        return None, ("failed" if t["failed"] else "-")
    return v, None


def table(records, peers):
    head = "| workload | mode | bunpy ms |" + "".join(f" {p} ms | {p} x |" for p in peers)
    lines = [head, "|---|---|---:|" + "---:|---:|" * len(peers)]
    for rec in records:
        for mode in MODES:
            b, bwhy = cell(rec, "bunpy", mode)
            line = f"| {rec['workload']} | {MODE_LABEL[mode]} | {fmt_ms(b) if b is not None else bwhy} |"
            for p in peers:
                # the copy row puts bunpy's copy against the peers' warm installs
                v, why = cell(rec, p, "warm" if mode == "copy" else mode)
                line += f" {fmt_ms(v) if v is not None else why} | {ratio(v, b)} |"
            lines.append(line)
    return "\n".join(lines)


def goals(records):
    """The issue's goals, each with what was measured; [] without bunpy's numbers."""
    out = []
    flat = next((r for r in records if r["workload"].startswith("flat-")), None)

    def med(rec, name, mode):
        return cell(rec, name, mode)[0] if rec else None

    if flat:
        w, pw = med(flat, "bunpy", "warm"), med(flat, "pip", "warm")
        c, pc = med(flat, "bunpy", "cold"), med(flat, "pip", "cold")
        lab = flat["workload"]
        if w is not None:
            out.append(f"- warm install of {lab} under 50 ms: {fmt_ms(w)} ms: {'met' if w < 0.050 else 'MISSED'}")
            if pw is not None:
                out.append(f"- warm at least 30x faster than pip ({lab}): {pw / w:.1f}x: "
                           f"{'met' if pw / w >= 30 else 'MISSED'}")
        if c is not None and pc is not None:
            out.append(f"- cold at least 10x faster than pip ({lab}): {pc / c:.1f}x: "
                       f"{'met' if pc / c >= 10 else 'MISSED'}")
    others = [(r["workload"], med(r, "bunpy", "cold"), med(r, "pip", "cold")) for r in records if r is not flat]
    others = [(w, pc / c) for w, c, pc in others if c and pc]
    if others:
        out.append("  (cold vs pip elsewhere: " + ", ".join(f"{w} {x:.1f}x" for w, x in others) + ")")
    noops = [(med(r, "bunpy", "noop"), r["workload"]) for r in records]
    noops = [(v, w) for v, w in noops if v is not None]
    if noops:
        worst = max(noops)
        out.append(f"- no-op under 5 ms: at most {fmt_ms(worst[0])} ms ({worst[1]}; "
                   + ", ".join(f"{w} {fmt_ms(v)}" for v, w in noops) + f"): {'met' if worst[0] < 0.005 else 'MISSED'}")
    return out


def check_summary(records, tools):
    lines = []
    for rec in records:
        n = len(rec["expect"]) if rec["expect"] is not None else None
        if n is None:
            lines.append(f"- {rec['workload']}: not checked (no pylock.toml)")
            continue
        bad = {t: m for t, m in rec["mismatch"].items()}
        ok = [t for t in tools if rec["checked"].get(t) and t not in bad]
        s = f"- {rec['workload']}: {', '.join(ok) if ok else 'no tool'} installed the {n} distribution{'s' if n != 1 else ''} of pylock.toml"
        s += f" ({sum(rec['checked'].get(t, 0) for t in ok)} venvs read)"
        if bad:
            s += "; DIFFERENT: " + ", ".join(f"{t} ({', '.join(sorted(set(m)))})" for t, m in bad.items())
        if rec["seeded"]:
            s += "; not counted: " + ", ".join(f"{t}'s {'/'.join(v)}" for t, v in rec["seeded"].items())
        for t, notes in rec["notes"].items():
            s += f"; {t}: " + ", ".join(notes)
        lines.append(s)
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bunpy", default="./bunpy")
    ap.add_argument("--python", default="/usr/bin/python3", help="the interpreter of every venv")
    ap.add_argument("--tools", default="bunpy,pip,poetry,pdm")
    ap.add_argument("--workloads", default="flat," + ",".join(PROFILES) + ",big",
                    help="flat, the profiles, big (default: all)")
    ap.add_argument("--flat", type=int, default=47, help="packages of the flat workload")
    ap.add_argument("--big", type=int, default=10000, help="files of the big wheel")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")),
                    help="runs of bunpy (default: BENCH_RUNS or 5)")
    ap.add_argument("--peer-runs", type=int, default=None, help="runs of each peer (default: 3, at most --runs)")
    ap.add_argument("--pip-way", choices=["dir", "zip", "system"], default="dir",
                    help="how pip runs: from its wheel unpacked (dir), from the wheel file (zip), or "
                         "the system pip with --python (system)")
    ap.add_argument("--quick", action="store_true", help="the four profiles, 2 runs of bunpy, 1 of each peer")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one tool run may take")
    ap.add_argument("--dir", default=os.environ.get("BENCH_DIR", "bench/out"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.peer_runs = 2, 1
    peer_runs = args.peer_runs if args.peer_runs is not None else min(3, args.runs)
    wanted = wanted_tools(args, TOOLS)

    out = os.path.abspath(args.dir)
    root = os.path.join(out, "sync-tmp")
    remove(root)
    os.makedirs(root)
    bench = Bench(args, root)
    env = bench.marker_env
    tools, peers, runs, versions, missing = find_tools(wanted, bench.version, args.runs, peer_runs, PEERS,
                                    "bunpy sync vs {peers}; venvs for CPython",
                                    env, args.python)
    print("workloads:", flush=True)
    records = []
    load_before = os.getloadavg()
    try:
        wls = load_workloads(args, os.path.join(root, "work"))
        for wl in wls:
            t0 = time.perf_counter()
            rec = bench_block(bench, wl, tools, runs, os.path.join(root, "run"))
            for t in missing:
                rec["tools"][t] = None
            records.append(rec)
            line = f"  {wl['label']} done in {time.perf_counter() - t0:.0f} s:"
            for m in MODES:
                line += f" {MODE_LABEL[m]} " + "/".join(
                    (fmt_ms(cell(rec, n, m)[0]) if cell(rec, n, m)[0] is not None else "-") for n in wanted)
                line += ";"
            print(line + f" ms ({'/'.join(wanted)})", flush=True)
    finally:
        remove(root)
    def short(v):
        m = re.search(r"\d+(\.\d+)+", v or "")
        return m.group(0) if m else "missing"

    report = ["### bunpy sync vs " + ", ".join(f"{p} {short(versions.get(p))}" for p in peers), "",
              f"CPython {env['python_full_version']} ({args.python}), {os.cpu_count()} CPUs; bunpy: "
              f"{versions.get('bunpy', 'missing')}, median of {runs.get('bunpy', 0)} runs; peers: median of "
              f"{peer_runs} runs. Index over loopback HTTP (serve.py). Load average {load_before[0]:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after (a shared machine: other work adds noise).", "",
              "Workloads:"]
    report += [f"- {r['workload']}: {r['desc']}" for r in records]
    report += ["", table(records, peers), "",
               "ms = median wall time of the command (venv creation included); x = peer / bunpy. "
               "cold: empty cache, no venv; warm: cache filled, venv deleted; no-op: again, nothing changed; "
               "warm, copy: bunpy --link-mode copy, against the peers' warm runs. Nothing is deleted while tools are timed "
               "(see --help: ext4 without a journal makes creating files after mass deletion slow). pip: "
               + {"dir": "its wheel unpacked, run by the venv's python",
                  "zip": "run from its wheel file", "system": "the system pip with --python"}[args.pip_way]
               + ", --no-compile (bunpy does not compile bytecode by default); pdm compiles no bytecode either; "
               "poetry 1.3 installs through pip, which compiles bytecode (poetry 1.3 cannot turn it off).", "",
               "Installed sets (importlib.metadata in each venv after every run, and every file of each RECORD present):"]
    report += check_summary(records, tools)
    g = goals(records)
    if g:
        report += ["", "Goals of the issue:"] + g
    report += ["", f"{len(bench.warnings)} warning(s)." + (" Missing: " + "; ".join(f"{t}: {w}" for t, w in missing.items())
                                                          if missing else "")]
    text = "\n".join(report) + "\n"
    print("\n" + text, end="", flush=True)
    with open(os.path.join(out, "sync.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "sync.json"), "w") as f:
        json.dump({"python": args.python, "marker_env": env, "versions": versions, "missing": missing,
                   "runs": runs, "pip_way": args.pip_way, "warnings": bench.warnings, "results": records},
                  f, indent=2)
    for u in sorted(bench.markers.unknown):
        print(f"note: {u}")


if __name__ == "__main__":
    main()
