"""cache.py - `bunpy cache` and `bunpy python` end to end (tests/integration/cache.sh).

    cache.py cache    two projects synced over HTTP into one cache: `cache size` equals
                      the apparent size of the entries summed here, adoption of a cache
                      without an index, prune --max-age with controlled last-used times,
                      prune --max-size least recently used first, leftovers of killed
                      runs, prune --max-age 0, a sync after a prune (downloads again),
                      clean NAME, clean, a prune waiting for a bunpy that holds the cache
    cache.py python   `bunpy python find [REQUEST]` and `bunpy python list`

The environment gives BUNPY and FIXTURES_DIR (make check sets them).
"""
import fcntl
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock as L  # noqa: E402
import sync as S  # noqa: E402

check = L.check
PY = sys.executable
HEX = set("0123456789abcdef")

SPEC = {"packages": {
    "alpha": {"1.0": {"requires": ["alpha-dep"], "nfiles": 30}},
    "alpha-dep": {"1.0": {"nfiles": 10}},
    "beta": {"1.0": {"requires": ["beta-dep"], "nfiles": 20}},
    "beta-dep": {"1.0": {"nfiles": 5}},
}}


def cache_cmd(cache, *args, env=None, timeout=60):
    e = dict(os.environ)
    e.update({"BUNPY_CACHE_DIR": cache, "NO_COLOR": "1"})
    e.update(env or {})
    return subprocess.run([L.BUNPY, "cache", *args], capture_output=True, text=True, env=e,
                          timeout=timeout)


def entries(cache):
    """{path relative to the cache: apparent bytes} by the layout: under each top-level
    directory a child is an entry, or, for two-hex-digit fan-out directories, their
    children; temporaries and dot names are not entries."""
    out = {}
    for top in sorted(os.listdir(cache)):
        tp = os.path.join(cache, top)
        if top.startswith(".") or top == "index.d" or top.startswith("index.db") or \
                not os.path.isdir(tp) or os.path.islink(tp):
            continue
        for child in os.listdir(tp):
            if child.startswith(".") or ".tmp-" in child:
                continue
            cp = os.path.join(tp, child)
            if len(child) == 2 and set(child) <= HEX and os.path.isdir(cp):
                for g in os.listdir(cp):
                    if not g.startswith(".") and ".tmp-" not in g:
                        out["%s/%s/%s" % (top, child, g)] = du(os.path.join(cp, g))
            else:
                out["%s/%s" % (top, child)] = du(cp)
    return out


def du(path):
    st = os.lstat(path)
    if os.path.islink(path) or os.path.isfile(path):
        return st.st_size
    total = 0
    for root, dirs, files in os.walk(path):
        for n in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            total += os.lstat(os.path.join(root, n)).st_size
    return total


def size(cache, **kw):
    """(entries, bytes, stderr) from `bunpy -v cache size`."""
    e = dict(os.environ)
    e.update({"BUNPY_CACHE_DIR": cache, "NO_COLOR": "1"})
    r = subprocess.run([L.BUNPY, "-v", "cache", "size"], capture_output=True, text=True, env=e)
    m = re.match(r"(\d+) entries, [0-9.]+ MiB\n$", r.stdout)
    b = re.search(r"(\d+) bytes", r.stderr)
    if r.returncode != 0 or not m or not b:
        return None, None, r.stdout + r.stderr
    return int(m.group(1)), int(b.group(1)), r.stderr


def wheel_dirs(cache):
    """{project: wheels/HEX} of the unpacked wheels."""
    out = {}
    w = os.path.join(cache, "wheels")
    for h in os.listdir(w) if os.path.isdir(w) else []:
        if h.startswith("."):
            continue
        for n in os.listdir(os.path.join(w, h)):
            if n.endswith(".dist-info"):
                out[n.split("-")[0].replace("_", "-")] = "wheels/" + h
    return out


def rows(cache):
    db = sqlite3.connect(os.path.join(cache, "index.db"))
    try:
        return {p: (b, u, n) for p, b, u, n in
                db.execute("SELECT path, bytes, used_us, name FROM entries")}
    finally:
        db.close()


def set_used(cache, when):
    """Give entries controlled last-used times: when(path) -> microseconds or None."""
    db = sqlite3.connect(os.path.join(cache, "index.db"))
    try:
        for (p,) in db.execute("SELECT path FROM entries").fetchall():
            t = when(p)
            if t is not None:
                db.execute("UPDATE entries SET used_us = ? WHERE path = ?", (t, p))
        db.commit()
    finally:
        db.close()


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def cache_tests(tmp):
    url_dir = os.path.join(tmp, "index")
    S.build_index(SPEC, url_dir)
    srv = L.Server(url_dir)
    cache = os.path.join(tmp, "cache")
    try:
        a = S.Project(tmp, "a", ["alpha"], srv.url, cache=cache)
        b = S.Project(tmp, "b", ["beta"], srv.url, cache=cache)
        r = a.sync()
        check(r.returncode == 0, "project a syncs over HTTP", r.stderr[-400:])
        r = b.sync()
        check(r.returncode == 0, "project b syncs over HTTP into the same cache", r.stderr[-400:])

        on_disk = entries(cache)
        n, nbytes, err = size(cache)
        kinds = {p.split("/")[0] for p in on_disk}
        check({"cas", "wheels", "metadata", "http", "interpreters"} <= kinds,
              "the cache holds blobs, wheels, metadata, pages and a probe", "%s" % kinds)
        check(n == len(on_disk) and nbytes == sum(on_disk.values()),
              "cache size equals the entries' apparent size summed",
              "bunpy %s entries %s bytes, walk %d entries %d bytes %s" %
              (n, nbytes, len(on_disk), sum(on_disk.values()), err[-300:]))
        check("Adopted" not in err, "entries recorded as made need no adoption", err[-300:])
        got = rows(cache)
        check(set(got) == set(on_disk) and all(got[p][0] == on_disk[p] for p in on_disk),
              "each entry's row has its path and bytes",
              "%s" % sorted(set(got) ^ set(on_disk))[:5])
        wd = wheel_dirs(cache)
        check(all(got.get(wd.get(k), (0, 0, None))[2] == k for k in
                  ("alpha", "alpha-dep", "beta", "beta-dep")),
              "unpacked wheels carry their project's name", "%s" % wd)

        # a cache whose index is lost is adopted by one walk
        shutil.rmtree(os.path.join(cache, "index.d"), ignore_errors=True)
        for f in os.listdir(cache):
            if f.startswith("index.db"):
                os.unlink(os.path.join(cache, f))
        n2, nbytes2, err = size(cache)
        check(n2 == len(on_disk) and nbytes2 == sum(on_disk.values()) and
              re.search(r"Adopted %d entries" % len(on_disk), err) is not None,
              "without an index, cache size adopts every entry by one walk, saying so",
              "%s %s %s" % (n2, nbytes2, err[-300:]))
        got = rows(cache)
        check(all(got.get(wd[k], (0, 0, None))[2] == k for k in wd),
              "adopted wheel directories get their project's name", "%s" % wd)
        n3, _, err = size(cache)
        check(n3 == n2 and "Adopted" not in err, "adoption happens once", err[-300:])

        # controlled last-used times: alpha's wheels 3 days old, beta's 2 hours
        now = int(time.time() * 1e6)
        hour = 3600 * 10**6
        wd = wheel_dirs(cache)
        ages = {wd["alpha"]: 72 * hour, wd["alpha-dep"]: 71 * hour,
                wd["beta"]: 2 * hour, wd["beta-dep"]: 1 * hour}
        set_used(cache, lambda p: now - ages.get(p, 0))
        r = cache_cmd(cache, "prune", "--max-age", "2d", "--dry-run")
        listed = [l.split("\t")[0] for l in r.stdout.splitlines()]
        check(r.returncode == 0 and listed == [wd["alpha"], wd["alpha-dep"]] and
              os.path.isdir(os.path.join(cache, wd["alpha"])),
              "prune --dry-run lists what is older than --max-age, oldest first, and removes nothing",
              r.stdout + r.stderr[-300:])
        r = cache_cmd(cache, "prune", "--max-age", "2d")
        m = re.search(r"Removed 2 entries \(([0-9.]+) MiB\), cache now (\d+) entries, ([0-9.]+) MiB",
                      r.stderr)
        check(r.returncode == 0 and m and not os.path.exists(os.path.join(cache, wd["alpha"])) and
              not os.path.exists(os.path.join(cache, wd["alpha-dep"])) and
              os.path.isdir(os.path.join(cache, wd["beta"])) and int(m.group(2)) == len(on_disk) - 2,
              "prune --max-age 2d removes the wheels unused for 3 days, keeps the rest",
              r.stderr[-300:])
        n4, nbytes4, _ = size(cache)
        left = entries(cache)
        check(n4 == len(left) and nbytes4 == sum(left.values()),
              "after a prune the size still equals the walk", "%s/%s %d/%d" %
              (n4, len(left), nbytes4, sum(left.values())))

        # --max-size: least recently used first until under the bound
        got = rows(cache)
        order = sorted(got, key=lambda p: (got[p][1], p))
        bound = sum(got[p][0] for p in order) // 2
        r = cache_cmd(cache, "prune", "--max-size", str(bound))
        after = rows(cache)
        removed = [p for p in order if p not in after]
        kept_bytes = sum(after[p][0] for p in after)
        check(r.returncode == 0 and removed == order[:len(removed)] and kept_bytes <= bound and
              (not removed or kept_bytes + got[removed[-1]][0] > bound) and removed,
              "prune --max-size removes the least recently used first, just until under the size",
              "%s %s %s" % (len(removed), kept_bytes, r.stderr[-300:]))
        check(all(not os.path.exists(os.path.join(cache, p)) for p in removed) and
              all(os.path.exists(os.path.join(cache, p)) for p in after),
              "what prune removed is gone from the disk, what it kept is there")
        r = cache_cmd(cache, "prune", "--max-size", "1.5GiB")
        r2 = cache_cmd(cache, "prune", "--max-size", "12parsecs")
        check(r.returncode == 0 and "Removed 0 entries" in r.stderr and r2.returncode == 2 and
              "--max-size" in r2.stderr, "sizes: 1.5GiB is understood, nonsense is a usage error",
              r.stderr + r2.stderr)

        # leftovers of killed runs
        pid = dead_pid()
        os.makedirs(os.path.join(cache, "wheels", ".tmp-%d-abcdef" % pid, "pkg"))
        with open(os.path.join(cache, "wheels", ".tmp-%d-abcdef" % pid, "pkg", "x.py"), "w") as f:
            f.write("x" * 100)
        os.makedirs(os.path.join(cache, "cas", "ab"), exist_ok=True)
        with open(os.path.join(cache, "cas", "ab", "cdef.tmp-%d-3" % pid), "w") as f:
            f.write("y" * 10)
        os.makedirs(os.path.join(cache, ".trash-%d-q1w2e3" % pid, "0"))
        live = os.path.join(cache, "cas", "ab", "cdef.tmp-%d-4" % os.getpid())
        with open(live, "w") as f:
            f.write("z")
        r = cache_cmd(cache, "prune")
        check(r.returncode == 0 and "Removed 3 leftovers of killed runs" in r.stderr and
              not os.path.exists(os.path.join(cache, "wheels", ".tmp-%d-abcdef" % pid)) and
              not os.path.exists(os.path.join(cache, ".trash-%d-q1w2e3" % pid)) and
              os.path.exists(live),
              "prune removes the temporaries and trash of dead processes, not of live ones",
              r.stderr[-300:])
        os.unlink(live)

        # --max-age 0: everything unused goes; a sync afterwards downloads again
        r = cache_cmd(cache, "prune", "--max-age", "0")
        n5, nbytes5, _ = size(cache)
        check(r.returncode == 0 and n5 == 0 and nbytes5 == 0 and entries(cache) == {},
              "prune --max-age 0 removes every entry", r.stderr[-300:] + "%s" % entries(cache))
        shutil.rmtree(a.venv)
        os.unlink(a.lockfile)
        shutil.rmtree(os.path.join(a.dir, ".bunpy"))   # its graph remembers the metadata
        before = len([q for q in srv.requests() if q.get("path", "").endswith(".whl")])
        r = a.sync()
        after_dl = len([q for q in srv.requests() if q.get("path", "").endswith(".whl")])
        r2 = L.bunpy(a.dir, "run", "--no-sync", "python", "-c", "import alpha", env=a.env())
        check(r.returncode == 0 and after_dl >= before + 2 and
              os.path.isdir(os.path.join(cache, wheel_dirs(cache).get("alpha", "x"))),
              "a sync after prune downloads and unpacks the wheels again",
              "%d -> %d %s" % (before, after_dl, r.stderr[-300:]))
        shutil.rmtree(b.venv)
        r = b.sync()
        check(r.returncode == 0, "b syncs again", r.stderr[-300:])

        # clean NAME: only that project's wheels and metadata
        wd = wheel_dirs(cache)
        size(cache)
        got = rows(cache)
        alpha_rows = [p for p in got if got[p][2] == "alpha"]
        r = cache_cmd(cache, "clean", "Alpha")
        got2 = rows(cache)
        check(r.returncode == 0 and "alpha" in wd and
              not os.path.exists(os.path.join(cache, wd["alpha"])) and
              all(os.path.isdir(os.path.join(cache, wd[k])) for k in ("alpha-dep", "beta", "beta-dep")) and
              not any(p in got2 for p in alpha_rows) and
              re.search(r"Removed %d entries" % len(alpha_rows), r.stderr),
              "clean NAME removes that project's wheels and metadata only",
              "%s %s" % (alpha_rows, r.stderr[-300:]))
        check(any(p.startswith("metadata/") for p in alpha_rows),
              "the project's metadata is among them", "%s" % alpha_rows)

        # a prune waits for a bunpy that holds the cache
        fd = os.open(os.path.join(cache, ".lock"), os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_SH)
        e = dict(os.environ, BUNPY_CACHE_DIR=cache, NO_COLOR="1")
        p = subprocess.Popen([L.BUNPY, "cache", "prune"], stderr=subprocess.PIPE, text=True, env=e)
        time.sleep(1.0)
        still = p.poll() is None
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        out = p.communicate(timeout=30)[1]
        check(still and p.returncode == 0 and
              "waiting for other bunpy processes using the cache" in out and "Removed" in out,
              "prune waits (saying so) while another bunpy uses the cache", out[-300:])

        # a sync holds the cache shared: while a prune holds it, the sync waits
        shutil.rmtree(b.venv)
        fd = os.open(os.path.join(cache, ".lock"), os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        p = b.popen()
        time.sleep(1.0)
        still = p.poll() is None
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        out = p.communicate(timeout=60)[1]
        check(still and p.returncode == 0 and "waiting for `bunpy cache`" in out,
              "a sync waits while clean or prune holds the cache", out[-300:])

        # clean: everything
        n6, nbytes6, _ = size(cache)
        r = cache_cmd(cache, "clean")
        check(r.returncode == 0 and entries(cache) == {} and size(cache)[0] == 0 and
              re.search(r"Removed %d entries" % n6, r.stderr),
              "clean removes every entry", r.stderr[-300:] + "%s" % list(entries(cache))[:5])
        shutil.rmtree(b.venv)
        r = b.sync()
        check(r.returncode == 0, "a sync after clean works", r.stderr[-300:])
        r = cache_cmd(cache, "dir")
        check(r.returncode == 0 and r.stdout == cache + "\n", "cache dir prints the cache",
              r.stdout)
        r = cache_cmd(cache, "frobnicate")
        check(r.returncode == 2, "an unknown subcommand is a usage error", r.stderr)
    finally:
        srv.stop()


def python_tests(tmp):
    real = os.path.realpath(shutil.which("python3"))
    minor = "%d.%d" % sys.version_info[:2]
    proj = os.path.join(tmp, "pp")
    L.write_project(proj, [], requires_python=">=3.8")
    e = {"BUNPY_CACHE_DIR": os.path.join(tmp, "pcache")}

    def find(*args, env=None, cwd=proj):
        ee = dict(e)
        ee.update(env or {})
        return L.bunpy(cwd, "python", *args, env=ee)

    sys_py = os.path.realpath(subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                                             capture_output=True, text=True).stdout.strip())
    r = find("find")
    check(r.returncode == 0 and os.path.isabs(r.stdout.strip()) and
          os.path.realpath(r.stdout.strip()) == sys_py,
          "python find prints the project's interpreter (python3 on PATH)", r.stdout + r.stderr)
    vmaj = subprocess.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True).stdout.strip()
    for req in (vmaj, "python" + vmaj, "3", ">=3.8", real):
        r = find("find", req)
        check(r.returncode == 0 and os.path.realpath(r.stdout.strip()) == sys_py,
              "python find %s" % req, r.stdout + r.stderr)
    for req in ("3.99", "python3.99", ">=4", "/nonexistent/python", "2"):
        r = find("find", req)
        check(r.returncode == 1 and r.stdout == "" and "bunpy: error:" in r.stderr and
              ("3.99" in r.stderr or ">=4" in r.stderr or "nonexistent" in r.stderr or
               "2" in r.stderr),
              "python find %s: not found, exit 1, says what was looked for" % req, r.stderr)
    r = find("find", "not-a-version!")
    check(r.returncode in (1, 2) and "bunpy: error:" in r.stderr,
          "python find with a malformed request fails with an error", r.stderr)
    with open(os.path.join(proj, ".python-version"), "w") as f:
        f.write(vmaj + "\n")
    r = find("find")
    check(r.returncode == 0 and os.path.realpath(r.stdout.strip()) == sys_py,
          "python find follows .python-version", r.stdout + r.stderr)
    with open(os.path.join(proj, ".python-version"), "w") as f:
        f.write("3.99\n")
    r = find("find")
    check(r.returncode == 1 and ".python-version" in r.stderr,
          "python find: a .python-version naming nothing installed is exit 1, naming the file",
          r.stderr)
    os.unlink(os.path.join(proj, ".python-version"))
    r = find("find", env={"BUNPY_PYTHON": PY})
    check(r.returncode == 0 and os.path.realpath(r.stdout.strip()) == os.path.realpath(PY),
          "python find honours BUNPY_PYTHON", r.stdout + r.stderr)
    r = find("list")
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    marked = [l for l in lines if l.startswith("*")]
    check(r.returncode == 0 and lines and len(marked) == 1 and vmaj in marked[0] and
          all(re.search(r"\d+\.\d+\.\d+", l) for l in lines),
          "python list shows the interpreters with versions, the project's one marked",
          r.stdout + r.stderr)
    outside = os.path.join(tmp, "nowhere")
    os.makedirs(outside)
    r = find("find", cwd=outside)
    check(r.returncode == 0 and os.path.realpath(r.stdout.strip()) == sys_py,
          "python find outside a project uses the default", r.stdout + r.stderr)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "cache"
    tmp = tempfile.mkdtemp(prefix="bunpy-cache-")
    try:
        {"cache": cache_tests, "python": python_tests}[what](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d checks, %d failed" % (L.checks, L.failures))
    return 1 if L.failures else 0


if __name__ == "__main__":
    sys.exit(main())
