#!/usr/bin/env python3
"""Benchmark bunpy's packaging library against Python's packaging on the same inputs.

Inputs are generated with a fixed seed and written to files; both sides load them
first and then time only the work, in-process (bunpy: tests/packaging/pkgtool's bench
mode, clock_gettime; Python: time.perf_counter in a worker process), so neither
interpreter start-up nor reading the inputs is measured. Each run is one process per
side doing a few passes; runs alternate which side goes first, so that a noisy
neighbour hits both alike, and the result is the median pass.

  versions    parse 100k version strings and sort them (version_cmp / Version.__lt__)
  specparse   parse 100k specifier sets
  specifiers  100k (specifier set, version) pairs, both parsed beforehand: contains(),
              pre-releases allowed on both sides (see pkgtool.c for why)
  metadata    parse 3,000 METADATA files held in memory (20-60 header lines, most of
              them Requires-Dist, and a description): the headers, Name, Version,
              Requires-Python, every Requires-Dist, Provides-Extra. bunpy:
              metadata_parse; Python: email.parser with the compat32 policy (as pip
              reads these files) and packaging for the fields.

Ratios are packaging's time / bunpy's time: "12.3x" means bunpy did the work 12.3 times
faster. Results also go to bench/out/packaging.json.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# ------------------------------------------------------------------ inputs


def gen_version(r):
    """A version as found on an index: mostly X.Y(.Z), some pre/post/dev, rare epochs and
    locals, a few spelled permissively."""
    n = r.choices([1, 2, 3, 4], [5, 35, 55, 5])[0]
    rel = [r.choices([r.randint(0, 3), r.randint(0, 30), r.randint(2000, 2026)], [70, 27, 3])[0]
           for _ in range(n)]
    s = ("1!" if r.random() < 0.005 else "") + ".".join(map(str, rel))
    x = r.random()
    if x < 0.12:
        s += r.choice(["a", "b", "rc"]) + str(r.randint(0, 5))
    elif x < 0.16:
        s += r.choice(["-alpha", ".beta", "-RC", "c", "pre"]) + str(r.randint(0, 5))
    if r.random() < 0.05:
        s += ".post" + str(r.randint(0, 3))
    if r.random() < 0.05:
        s += ".dev" + str(r.randint(0, 20))
    if r.random() < 0.01:
        s += "+" + r.choice(["ubuntu1", "cpu", "cu121", "local.7"])
    return s


def gen_specset(r):
    """A set as found in Requires-Dist / Requires-Python: one to three clauses."""
    def ver(parts):
        return ".".join(str(r.randint(0, 12)) for _ in range(parts))
    k = r.choices([1, 2, 3], [50, 40, 10])[0]
    clauses = []
    for _ in range(k):
        op = r.choices([">=", "<", "==", "!=", "~=", "<=", ">", "==*", "!=*"],
                       [30, 18, 14, 8, 12, 5, 5, 5, 3])[0]
        if op == "~=":
            c = "~=" + ver(r.choice([2, 3]))
        elif op.endswith("*"):
            c = op[:2] + ver(r.choice([1, 2])) + ".*"
        else:
            v = ver(r.choice([1, 2, 3]))
            if r.random() < 0.05:
                v += r.choice(["a1", "rc1", ".dev0", ".post1"])
            c = op + v
        # Clauses equal to one already there (">=1" and ">=1.0") would be merged by
        # packaging and not by bunpy's parser, and the clause counts would differ.
        key = c.rstrip("*").rstrip(".")
        while key.endswith(".0"):
            key = key[:-2]
        if key not in [k for k, _ in clauses]:
            clauses.append((key, c))
    clauses = [c for _, c in clauses]
    return r.choice([",", ", "]).join(clauses)


NAMES = ["requests", "urllib3", "idna", "certifi", "charset-normalizer", "numpy", "pandas",
         "typing-extensions", "packaging", "attrs", "pydantic", "click", "jinja2",
         "markupsafe", "pyyaml", "six", "python-dateutil", "pytz", "tomli", "filelock",
         "platformdirs", "colorama", "importlib-metadata", "zipp", "cryptography", "cffi"]
EXTRAS = ["test", "docs", "dev", "socks", "all", "lint"]
MARKERS = ['python_version < "3.11"', 'sys_platform == "win32"', 'python_version >= "3.8"',
           'platform_python_implementation == "CPython"', 'os_name == "nt"',
           'python_version < "3.10" and platform_system != "Windows"']
CLASSIFIERS = ["Development Status :: 5 - Production/Stable", "Intended Audience :: Developers",
               "License :: OSI Approved :: MIT License", "Operating System :: OS Independent",
               "Programming Language :: Python :: 3", "Programming Language :: Python :: 3.8",
               "Programming Language :: Python :: 3.9", "Programming Language :: Python :: 3.10",
               "Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.12",
               "Topic :: Software Development :: Libraries", "Typing :: Typed"]


def gen_requirement(r):
    name = r.choice(NAMES)
    s = name
    if r.random() < 0.1:
        s += "[" + r.choice(["socks", "security", "speedups"]) + "]"
    if r.random() < 0.85:
        s += gen_specset(r)
    markers = []
    if r.random() < 0.25:
        markers.append(r.choice(MARKERS))
    if r.random() < 0.3:
        markers.append(f'extra == "{r.choice(EXTRAS)}"')
    if markers:
        s += "; " + " and ".join(markers)
    return s


def gen_metadata(r, i):
    """A wheel's METADATA: 20-60 header lines, then a description body."""
    name = f"project-{i}"
    h = [f"Metadata-Version: {r.choice(['2.1', '2.1', '2.3', '2.4'])}", f"Name: {name}",
         f"Version: {gen_version(r)}", f"Summary: The {name} library, fast and small",
         f"Home-page: https://example.org/{name}", "Author: A. Person",
         f"Author-email: A. Person <person{i}@example.org>", "License: MIT"]
    for label in r.sample(["Homepage", "Documentation", "Source", "Changelog", "Issues"], r.randint(1, 4)):
        h.append(f"Project-URL: {label}, https://example.org/{name}/{label.lower()}")
    h += [f"Classifier: {c}" for c in r.sample(CLASSIFIERS, r.randint(3, len(CLASSIFIERS)))]
    h.append(f"Requires-Python: >={r.choice(['3.7', '3.8', '3.9'])}")
    extras = r.sample(EXTRAS, r.randint(0, 3))
    h += [f"Provides-Extra: {e}" for e in extras]
    target = r.randint(20, 60)
    while len(h) < target - 1:
        h.append(f"Requires-Dist: {gen_requirement(r)}")
    h.append("Description-Content-Type: text/markdown")
    body = "\n".join(f"# {name}\n\nParagraph {k}: " + "lorem ipsum dolor sit amet " * r.randint(2, 12)
                     for k in range(r.randint(1, 6)))
    return "\n".join(h) + "\n\n" + body + "\n"


def write_inputs(root, seed, sizes):
    r = random.Random(seed)
    files = {}
    path = os.path.join(root, "versions.txt")
    with open(path, "w") as f:
        f.write("".join(gen_version(r) + "\n" for _ in range(sizes["versions"])))
    files["versions"] = path
    path = os.path.join(root, "specparse.txt")
    with open(path, "w") as f:
        f.write("".join(gen_specset(r) + "\n" for _ in range(sizes["specparse"])))
    files["specparse"] = path
    path = os.path.join(root, "specifiers.txt")
    with open(path, "w") as f:
        f.write("".join(f"{gen_specset(r)}\t{gen_version(r)}\n" for _ in range(sizes["specifiers"])))
    files["specifiers"] = path
    mdir = os.path.join(root, "metadata")
    os.makedirs(mdir, exist_ok=True)
    paths = []
    for i in range(sizes["metadata"]):
        p = os.path.join(mdir, f"project_{i}-METADATA")
        with open(p, "w") as f:
            f.write(gen_metadata(r, i))
        paths.append(p)
    path = os.path.join(root, "metadata.txt")
    with open(path, "w") as f:
        f.write("".join(p + "\n" for p in paths))
    files["metadata"] = path
    return files


# ------------------------------------------------------------------ the Python side


def worker(kind, path, reps):
    """Runs under an interpreter with packaging; prints what pkgtool bench prints."""
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    # This file is itself named packaging.py: its directory must not shadow the module.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    secs, check = [], 0
    if kind == "versions":
        for _ in range(reps):
            t = time.perf_counter()
            vs = [Version(s) for s in lines]
            vs.sort()
            secs.append(time.perf_counter() - t)
            check = sum(vs[i - 1] == vs[i] for i in range(1, len(vs)))
    elif kind == "specparse":
        for _ in range(reps):
            t = time.perf_counter()
            sets = [SpecifierSet(s) for s in lines]
            secs.append(time.perf_counter() - t)
            check = sum(len(s) for s in sets)
    elif kind == "specifiers":
        pairs = [line.split("\t") for line in lines]
        sets = [SpecifierSet(s) for s, _ in pairs]
        vs = [Version(v) for _, v in pairs]
        for _ in range(reps):
            t = time.perf_counter()
            hits = 0
            for s, v in zip(sets, vs):
                hits += s.contains(v, prereleases=True)
            secs.append(time.perf_counter() - t)
            check = hits
    elif kind == "metadata":
        import email.parser
        import email.policy
        blobs = []
        for p in lines:
            with open(p, "rb") as f:
                blobs.append(f.read())
        parser = email.parser.BytesParser(policy=email.policy.compat32)
        for _ in range(reps):
            t = time.perf_counter()
            n = 0
            for b in blobs:
                msg = parser.parsebytes(b)
                canonicalize_name(msg["Name"])
                Version(msg["Version"])
                for extra in msg.get_all("Provides-Extra") or ():
                    canonicalize_name(extra)
                rp = msg.get("Requires-Python")
                if rp is not None:
                    SpecifierSet(rp)
                for req in msg.get_all("Requires-Dist") or ():
                    Requirement(req)
                    n += 1
            secs.append(time.perf_counter() - t)
            check = n
    else:
        sys.exit(f"unknown kind {kind}")
    med = statistics.median(secs)
    print(json.dumps({"kind": kind, "ops": len(lines), "seconds": secs,
                      "ops_per_sec": len(lines) / med if med > 0 else 0.0, "check": check}))


def find_python(explicit):
    probe = "import packaging, packaging.version, packaging.specifiers, packaging.requirements; print(packaging.__version__)"
    for cand in ([explicit] if explicit else [sys.executable, "python3", "/usr/bin/python3"]):
        exe = shutil.which(cand) if cand else None
        if not exe:
            continue
        p = subprocess.run([exe, "-c", probe], capture_output=True, text=True)
        if p.returncode == 0:
            v = subprocess.run([exe, "-c", "import sys; print(sys.version.split()[0])"],
                               capture_output=True, text=True).stdout.strip()
            return exe, p.stdout.strip(), v
    sys.exit("no Python with the 'packaging' module found (Debian: apt-get install python3-packaging); "
             "name one with --python")


# ------------------------------------------------------------------ running


def run_side(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
    return json.loads(p.stdout)


def bench_kind(kind, path, pkgtool, python, runs, reps):
    me = os.path.abspath(__file__)
    sides = {"bunpy": [pkgtool, "bench", kind, path, str(reps)],
             "packaging": [python, me, "--worker", kind, path, str(reps)]}
    secs = {"bunpy": [], "packaging": []}
    checks, ops = {}, None
    for r in range(runs):
        for side in (("bunpy", "packaging") if r % 2 == 0 else ("packaging", "bunpy")):
            out = run_side(sides[side])
            secs[side] += out["seconds"]
            checks[side] = out["check"]
            ops = out["ops"]
    b, p = statistics.median(secs["bunpy"]), statistics.median(secs["packaging"])
    return {"kind": kind, "inputs": ops, "passes": len(secs["bunpy"]),
            "bunpy_s": b, "packaging_s": p,
            "bunpy_ops_per_s": ops / b, "packaging_ops_per_s": ops / p,
            "ratio": p / b, "check": checks}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pkgtool", default="tests/packaging/pkgtool")
    ap.add_argument("--python", help="interpreter with packaging (default: this one, python3, /usr/bin/python3)")
    ap.add_argument("--kinds", default="versions,specparse,specifiers,metadata")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--reps", type=int, default=3, help="passes per process")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the input sizes")
    ap.add_argument("--seed", type=int, default=440)
    ap.add_argument("--dir", default=os.environ.get("BENCH_DIR", "bench/out"))
    ap.add_argument("--worker", nargs=3, metavar=("KIND", "FILE", "REPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], int(args.worker[2]))
        return
    pkgtool = os.path.abspath(args.pkgtool)
    if not os.access(pkgtool, os.X_OK):
        sys.exit(f"{pkgtool} is not built (make tests/packaging/pkgtool)")
    python, pkg_version, py_version = find_python(args.python)
    sizes = {k: max(1, int(n * args.scale)) for k, n in
             {"versions": 100000, "specparse": 100000, "specifiers": 100000, "metadata": 3000}.items()}
    root = os.path.abspath(args.dir)
    os.makedirs(root, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bunpy-bench-packaging-") as tmp:
        files = write_inputs(tmp, args.seed, sizes)
        print(f"bunpy vs packaging {pkg_version} on Python {py_version}, seed {args.seed}, "
              f"median of {args.runs} runs x {args.reps} passes\n")
        print(f"{'work':<11} {'inputs':>8} {'bunpy':>11} {'packaging':>11} {'bunpy/s':>12} "
              f"{'packaging/s':>12} {'ratio':>7}")
        for kind in args.kinds.split(","):
            r = bench_kind(kind, files[kind], pkgtool, python, args.runs, args.reps)
            results.append(r)
            note = "" if r["check"]["bunpy"] == r["check"]["packaging"] else \
                f"  (check: bunpy {r['check']['bunpy']}, packaging {r['check']['packaging']})"
            print(f"{kind:<11} {r['inputs']:>8} {r['bunpy_s'] * 1e3:>9.1f}ms {r['packaging_s'] * 1e3:>9.1f}ms "
                  f"{r['bunpy_ops_per_s']:>12,.0f} {r['packaging_ops_per_s']:>12,.0f} {r['ratio']:>6.1f}x{note}",
                  flush=True)
    with open(os.path.join(root, "packaging.json"), "w") as f:
        json.dump({"packaging": pkg_version, "python": py_version, "seed": args.seed,
                   "runs": args.runs, "reps": args.reps, "results": results}, f, indent=2)
    print("\nratio = packaging's time / bunpy's time (above 1.0x: bunpy is faster); "
          "check = what both computed (equal-neighbour count, clauses, matches, requirements);"
          " a difference in the specifiers row is one of packaging 23.0's known differences"
          " from >= 26.1 (tests/packaging/differential.py lists them)")


if __name__ == "__main__":
    main()
