"""session.py - the session a new user has with bunpy (issue 6, acceptance 1).

Against a local index (tests/fixtures/mkindex.py) served over HTTP (tests/fixtures/
serve.py), with the index URL in $BUNPY_INDEX_URL as a person would set it:

    bunpy init app                        the project's files
    bunpy add 'httpx[http2]' rich         two packages at once, one with an extra: written
                                          as NAME[EXTRAS]>=LOCKED, locked and installed
    bunpy add 'click<9'                   a third, its specifier kept as written
    bunpy add htpx                        a typo: exit 1, pyproject.toml and the lock as
                                          they were
    bunpy run script.py ... / bunpy script.py
                                          a script importing them prints their versions,
                                          run by the venv's Python with its arguments
    bunpy remove rich                     rich and what only it needed leave .venv; the
                                          script cannot import rich, the others still work
    bunpy tree                            the project, its direct dependencies, theirs,
                                          a repeated package marked (*); --depth 1
    bunpy outdated                        nothing yet; then the index gains anyio 4.4.0,
                                          click 8.1.8 and click 9.0.0: current, wanted,
                                          latest (click wanted 8.1.8 because of '<9'),
                                          and --json with "direct"
    bunpy update                          anyio and click move; the venv has them
    bunpy init (again)                    refuses: exit 1, every file byte-identical

Commands are used as the command-line contract of issue 6 describes them. The
environment gives BUNPY and FIXTURES_DIR (make check sets them). Every check prints one
line; the exit status is 1 when any failed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock as L  # noqa: E402  (check, Server, mkindex)

check = L.check
mkindex = L.mkindex
BUNPY = L.BUNPY

# What the index holds at first: a small httpx / rich world, with older versions so
# that "the newest" means something.
INDEX = {
    "httpx": {
        "0.26.0": {"requires": ["anyio", "certifi", "httpcore==1.*", "idna", "sniffio"]},
        "0.27.0": {"requires": ["anyio", "certifi", "httpcore==1.*", "idna", "sniffio"],
                   "extras": {"http2": ["h2>=3,<5"], "brotli": ["brotli"]}},
    },
    "httpcore": {"1.0.5": {"requires": ["certifi", "h11>=0.13,<0.15", "anyio>=4,<5"]}},
    "anyio": {"4.2.0": {"requires": ["idna>=2.8", "sniffio>=1.1"]},
              "4.3.0": {"requires": ["idna>=2.8", "sniffio>=1.1"]}},
    "certifi": {"2024.2.2": {}},
    "idna": {"3.6": {}, "3.7": {}},
    "sniffio": {"1.3.1": {}},
    "h11": {"0.14.0": {}},
    "h2": {"4.1.0": {"requires": ["hyperframe>=6.0,<7", "hpack>=4.0,<5"]}},
    "hyperframe": {"6.0.1": {}},
    "hpack": {"4.0.0": {}},
    "brotli": {"1.1.0": {}},
    "rich": {"13.7.0": {"requires": ["markdown-it-py>=2.2.0", "pygments>=2.13.0,<3"]},
             "13.7.1": {"requires": ["markdown-it-py>=2.2.0", "pygments>=2.13.0,<3"],
                        "extras": {"jupyter": ["ipywidgets>=7.5.1,<9"]}}},
    "markdown-it-py": {"3.0.0": {"requires": ["mdurl~=0.1"]}},
    "mdurl": {"0.1.2": {}},
    "pygments": {"2.17.2": {}},
    "ipywidgets": {"8.1.2": {}},
    "click": {"8.1.6": {}, "8.1.7": {}},
}

# What the index gains later.
NEWER = {
    "anyio": {"4.4.0": {"requires": ["idna>=2.8", "sniffio>=1.1"]}},
    "click": {"8.1.8": {}, "9.0.0": {}},
}

# Imports the modules named on its command line and prints "name version" for each;
# also where it runs, so that the test knows it was the venv's Python.
SCRIPT = '''\
import importlib
import os
import sys

print("prefix", sys.prefix)
print("virtual_env", os.environ.get("VIRTUAL_ENV"))
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    print(name, module.__version__)
'''


def build_index(outdir, packages):
    mkindex.build({"packages": packages}, outdir)


def merged(a, b):
    out = {k: dict(v) for k, v in a.items()}
    for k, v in b.items():
        out.setdefault(k, {}).update(v)
    return out


class Session:
    def __init__(self, tmp, index_url):
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env.update({
            "NO_COLOR": "1",
            "BUNPY_CACHE_DIR": os.path.join(tmp, "cache"),
            "BUNPY_INDEX_URL": index_url,
            "BUNPY_PYTHON": sys.executable,
            "HOME": os.path.join(tmp, "home"),
        })
        for k in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "BUNPY_CONFIG"):
            self.env.pop(k, None)
        os.makedirs(self.env["HOME"], exist_ok=True)
        self.app = os.path.join(tmp, "app")

    def bunpy(self, *args, cwd=None, timeout=120):
        try:
            return subprocess.run([BUNPY, *args], cwd=cwd or self.app, capture_output=True,
                                  text=True, env=self.env, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(e.cmd, 124, e.stdout or "", "timed out")

    def pyproject(self):
        try:
            with open(os.path.join(self.app, "pyproject.toml"), "rb") as f:
                return tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError):
            return {}

    def deps(self):
        return self.pyproject().get("project", {}).get("dependencies")

    def locked(self):
        try:
            return L.locked(self.app)[0]
        except (OSError, tomllib.TOMLDecodeError):
            return {}

    def installed(self):
        """{normalized name: version} of the distributions in .venv, read by its Python."""
        py = os.path.join(self.app, ".venv", "bin", "python")
        if not os.path.exists(py):
            return {}
        code = ("import importlib.metadata as m, json, re\n"
                "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
                " for d in m.distributions()}))")
        r = subprocess.run([py, "-c", code], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"})
        return json.loads(r.stdout) if r.returncode == 0 else {}

    def files(self, names=("pyproject.toml", "pylock.toml")):
        out = {}
        for n in names:
            try:
                out[n] = L.read(os.path.join(self.app, n))
            except OSError:
                out[n] = None
        return out


def script_output(stdout):
    """The script's "name version" lines as a dict, prefix and virtual_env included."""
    out = {}
    for line in stdout.splitlines():
        k, _, v = line.partition(" ")
        out[k] = v
    return out


def parse_tree(text):
    """Lines of `bunpy tree` as (depth, label); the box prefix is 4 columns per level."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^((?:[│ ]   |[├└]── )*)(.*)$", line)
        prefix = m.group(1)
        rows.append((len(prefix) // 4, m.group(2), line))
    return rows


def tree_edges(rows):
    """(parent name, child name, child label) for every line below the root."""
    stack, edges = [], []
    for depth, label, _ in rows:
        name = re.sub(r"\[.*?\]$", "", label.split(" ", 1)[0])   # "httpx[http2]" too
        del stack[depth:]
        if stack:
            edges.append((stack[-1], name, label))
        stack.append(name)
    return edges


def outdated_table(stdout):
    lines = [l.split() for l in stdout.splitlines() if l.strip()]
    return lines[0] if lines else [], {l[0]: l[1:4] for l in lines[1:] if l}


def session(tmp):
    index = os.path.join(tmp, "index")
    build_index(index, INDEX)
    srv = L.Server(index, "--max-age", "0")
    try:
        run_session(tmp, srv)
    finally:
        srv.stop()


def run_session(tmp, srv):
    s = Session(tmp, srv.url)

    # ---------------------------------------------------------------- init
    r = s.bunpy("init", "app", cwd=tmp)
    check(r.returncode == 0 and "Initialized project app" in r.stderr, "bunpy init app", r.stderr)
    for f in ("pyproject.toml", "README.md", ".gitignore", ".python-version",
              "src/app/__init__.py", "tests/test_app.py"):
        check(os.path.isfile(os.path.join(s.app, f)), "init wrote %s" % f)
    check(s.deps() == [], "a new project has no dependencies", repr(s.deps()))

    # ---------------------------------------------------------------- add
    r = s.bunpy("add", "httpx[http2]", "rich")
    check(r.returncode == 0, "bunpy add 'httpx[http2]' rich", r.stderr)
    check("Added httpx[http2]>=0.27.0 to project.dependencies" in r.stderr and
          "Added rich>=13.7.1 to project.dependencies" in r.stderr,
          "add says what it added, with the locked version", r.stderr)
    check(s.deps() == ["httpx[http2]>=0.27.0", "rich>=13.7.1"],
          "add writes NAME[EXTRAS]>=LOCKED into project.dependencies", repr(s.deps()))
    r = s.bunpy("add", "click<9")
    check(r.returncode == 0, "bunpy add 'click<9'", r.stderr)
    # where in the array it goes is add's choice (a sorted array stays sorted)
    check(sorted(s.deps() or []) == ["click<9", "httpx[http2]>=0.27.0", "rich>=13.7.1"],
          "a specifier given is kept as written", repr(s.deps()))
    want = {"httpx": "0.27.0", "httpcore": "1.0.5", "anyio": "4.3.0", "certifi": "2024.2.2",
            "idna": "3.7", "sniffio": "1.3.1", "h11": "0.14.0", "h2": "4.1.0",
            "hyperframe": "6.0.1", "hpack": "4.0.0", "rich": "13.7.1",
            "markdown-it-py": "3.0.0", "mdurl": "0.1.2", "pygments": "2.17.2",
            "click": "8.1.7"}
    got = s.locked()
    check(got == want, "the lock holds the three packages, the extra's and their "
          "dependencies at their newest", "got %s" % got)
    inst = s.installed()
    check(all(inst.get(k) == v for k, v in want.items()) and "ipywidgets" not in inst and
          "brotli" not in inst, "the venv holds them (not the extras nobody asked for)",
          "got %s" % inst)

    before = s.files()
    r = s.bunpy("add", "htpx")
    check(r.returncode == 1, "adding a package the index lacks fails (exit 1)",
          "exit %d: %s" % (r.returncode, r.stderr))
    check(s.files() == before, "a failed add leaves pyproject.toml and pylock.toml byte-identical")

    # ---------------------------------------------------------------- run
    with open(os.path.join(s.app, "script.py"), "w") as f:
        f.write(SCRIPT)
    venv = os.path.join(s.app, ".venv")
    r = s.bunpy("run", "script.py", "httpx", "rich", "click", "h2")
    out = script_output(r.stdout)
    check(r.returncode == 0, "bunpy run script.py", r.stderr)
    check(out.get("httpx") == "0.27.0" and out.get("rich") == "13.7.1" and
          out.get("click") == "8.1.7" and out.get("h2") == "4.1.0",
          "the script imports httpx, rich, click and the extra's h2", r.stdout + r.stderr)
    check(os.path.realpath(out.get("prefix", "")) == os.path.realpath(venv) and
          out.get("virtual_env") == venv, "the script runs in .venv with VIRTUAL_ENV set",
          r.stdout)
    r = s.bunpy("script.py", "rich")
    check(r.returncode == 0 and script_output(r.stdout).get("rich") == "13.7.1",
          "bunpy script.py runs it too", r.stdout + r.stderr)

    # the project itself: a package, installed editable, its script a command
    r = s.bunpy("run", "app")
    check(r.returncode == 0 and r.stdout.strip() == "Hello from app!",
          "bunpy run app: the project's own script (the project is installed, editable)",
          "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr[-300:]))
    r = subprocess.run([os.path.join(s.app, ".venv", "bin", "python"), "-c",
                        "import app; print(app.__file__)"], cwd="/", capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.strip() == os.path.join(s.app, "src", "app", "__init__.py"),
          "the venv's python imports the project from src/ wherever it runs",
          "exit %d: %s %s" % (r.returncode, r.stdout, r.stderr[-300:]))

    # ---------------------------------------------------------------- remove
    r = s.bunpy("remove", "rich")
    check(r.returncode == 0 and "Removed rich from project.dependencies" in r.stderr,
          "bunpy remove rich", r.stderr)
    check(sorted(s.deps() or []) == ["click<9", "httpx[http2]>=0.27.0"],
          "remove takes rich out of project.dependencies, the rest as it was", repr(s.deps()))
    got, inst = s.locked(), s.installed()
    gone = ("rich", "markdown-it-py", "mdurl", "pygments")
    check(not any(g in got for g in gone) and got.get("httpx") == "0.27.0",
          "rich and what only it needed leave the lock", "%s" % got)
    check(not any(g in inst for g in gone) and inst.get("httpx") == "0.27.0" and
          inst.get("click") == "8.1.7", "rich and what only it needed leave .venv", "%s" % inst)
    r = s.bunpy("remove", "rich")
    check(r.returncode == 1 and "rich is not in project.dependencies" in r.stderr,
          "removing it again: exit 1, it is not there", r.stderr)

    r = s.bunpy("run", "script.py", "rich")
    check(r.returncode == 1 and "ModuleNotFoundError" in r.stderr and "'rich'" in r.stderr,
          "after remove, importing rich fails (the script's own exit status)",
          "exit %d: %s" % (r.returncode, r.stderr[-400:]))
    r = s.bunpy("run", "script.py", "httpx", "click", "h2", "anyio")
    out = script_output(r.stdout)
    check(r.returncode == 0 and out.get("httpx") == "0.27.0" and out.get("click") == "8.1.7"
          and out.get("h2") == "4.1.0" and out.get("anyio") == "4.3.0",
          "after remove, the others still import", r.stdout + r.stderr)

    # ---------------------------------------------------------------- tree
    r = s.bunpy("tree")
    rows = parse_tree(r.stdout)
    edges = tree_edges(rows)
    pairs = {(p, c) for p, c, _ in edges}
    check(r.returncode == 0 and rows and rows[0][0] == 0 and rows[0][1] == "app 0.1.0",
          "bunpy tree starts at the project, 'app 0.1.0'", r.stdout + r.stderr)
    direct = sorted(c for p, c, _ in edges if p == "app")
    check(direct == ["click", "httpx"], "the project's children are its direct dependencies",
          "%s in\n%s" % (direct, r.stdout))
    for parent, child in (("httpx", "httpcore"), ("httpx", "anyio"), ("httpx", "h2"),
                          ("httpcore", "h11"), ("h2", "hpack"), ("h2", "hyperframe")):
        check((parent, child) in pairs, "tree: %s under %s" % (child, parent), r.stdout)
    labels = [label for _, label, _ in rows]
    check(any(re.match(r"^httpx(\[[^\]]*\])? 0\.27\.0\b", l) for l in labels) and
          any(re.match(r"^anyio 4\.3\.0\b", l) for l in labels),
          "tree: every package with its locked version", r.stdout)
    check(r.returncode == 0 and labels and not any(l.startswith("rich") for l in labels),
          "tree: rich is gone", r.stdout)
    anyio = [i for i, (_, label, _) in enumerate(rows) if label.startswith("anyio ")]
    starred = [i for i in anyio if rows[i][1].endswith("(*)")]
    check(len(anyio) == 2 and len(starred) == 1 and
          (starred[0] + 1 == len(rows) or rows[starred[0] + 1][0] <= rows[starred[0]][0]),
          "tree: anyio, needed by httpx and httpcore, is expanded once, then shown with (*)",
          r.stdout)
    check(all(re.match(r"^(?:[│ ]   |[├└]── )*[^ │├└]", line) for _, _, line in rows) and
          "├── " in r.stdout and "└── " in r.stdout, "tree: box-drawing prefixes", r.stdout)
    r = s.bunpy("tree", "--depth", "1")
    rows = parse_tree(r.stdout)
    check(r.returncode == 0 and sorted(re.sub(r"\[.*", "", l.split(" ")[0]) for d, l, _ in rows if d == 1) ==
          ["click", "httpx"] and max((d for d, _, _ in rows), default=9) == 1,
          "tree --depth 1: the project and its direct dependencies only", r.stdout + r.stderr)

    # ---------------------------------------------------------------- outdated, update
    r = s.bunpy("outdated")
    check(r.returncode == 0 and r.stdout.strip() == "" and "up to date" in r.stderr,
          "outdated before the index changed: all up to date", r.stdout + r.stderr)

    build_index(os.path.join(tmp, "index"), merged(INDEX, NEWER))
    r = s.bunpy("outdated")
    header, table = outdated_table(r.stdout)
    check(r.returncode == 0 and header == ["Package", "Current", "Wanted", "Latest"],
          "outdated prints the table header", r.stdout + r.stderr)
    check(table == {"anyio": ["4.3.0", "4.4.0", "4.4.0"], "click": ["8.1.7", "8.1.8", "9.0.0"]},
          "outdated: anyio 4.3.0 -> 4.4.0; click wanted 8.1.8 (click<9), latest 9.0.0",
          r.stdout)
    names = [l.split()[0] for l in r.stdout.splitlines()[1:] if l.strip()]
    check(r.returncode == 0 and names and names == sorted(names), "outdated is sorted by name", r.stdout)
    r = s.bunpy("outdated", "--json")
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        doc = None
    check(r.returncode == 0 and isinstance(doc, list), "outdated --json is a JSON array",
          r.stdout + r.stderr)
    rows = {d.get("name"): d for d in doc or [] if isinstance(d, dict)}
    check(rows.get("anyio") == {"name": "anyio", "current": "4.3.0", "wanted": "4.4.0",
                                "latest": "4.4.0", "direct": False} and
          rows.get("click") == {"name": "click", "current": "8.1.7", "wanted": "8.1.8",
                                "latest": "9.0.0", "direct": True} and len(rows) == 2,
          "outdated --json: name, current, wanted, latest, direct", r.stdout)

    before = s.files()
    r = s.bunpy("update", "--dry-run")
    check(r.returncode == 0 and "anyio 4.3.0 -> 4.4.0" in r.stdout + r.stderr and
          s.files() == before and s.installed().get("anyio") == "4.3.0",
          "update --dry-run shows the changes and writes nothing", r.stdout + r.stderr)
    r = s.bunpy("update")
    said = r.stdout + r.stderr
    check(r.returncode == 0 and " ~ anyio 4.3.0 -> 4.4.0" in said and
          " ~ click 8.1.7 -> 8.1.8" in said and "Updated 2 packages" in said,
          "bunpy update moves anyio and click, and says so", said)
    got, inst = s.locked(), s.installed()
    check(got.get("anyio") == "4.4.0" and got.get("click") == "8.1.8" and
          got.get("httpx") == "0.27.0", "update: the lock has anyio 4.4.0 and click 8.1.8",
          "%s" % got)
    check(inst.get("anyio") == "4.4.0" and inst.get("click") == "8.1.8",
          "update: the venv has anyio 4.4.0 and click 8.1.8", "%s" % inst)
    r = s.bunpy("run", "script.py", "anyio", "click")
    out = script_output(r.stdout)
    check(r.returncode == 0 and out.get("anyio") == "4.4.0" and out.get("click") == "8.1.8",
          "the script sees the updated versions", r.stdout + r.stderr)
    r = s.bunpy("outdated", "--json")
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        doc = None
    check(r.returncode == 0 and isinstance(doc, list) and
          [(d.get("name"), d.get("wanted"), d.get("latest")) for d in doc] ==
          [("click", "8.1.8", "9.0.0")],
          "after update only click remains outdated (9.0.0, which click<9 excludes)",
          r.stdout + r.stderr)
    r = s.bunpy("update")
    check(r.returncode == 0 and "Nothing to update" in r.stdout + r.stderr,
          "a second update has nothing to do", r.stdout + r.stderr)
    r = s.bunpy("tree")
    check(r.returncode == 0 and re.search(r"anyio 4\.4\.0", r.stdout) is not None,
          "tree shows the updated anyio", r.stdout + r.stderr)

    # ---------------------------------------------------------------- init refuses
    names = ("pyproject.toml", "pylock.toml", "README.md", ".gitignore", ".python-version",
             "src/app/__init__.py", "tests/test_app.py")
    before = s.files(names)
    listing = sorted(os.listdir(s.app))
    r = s.bunpy("init")
    check(r.returncode == 1 and "already has a pyproject.toml" in r.stderr,
          "bunpy init in the project refuses (exit 1)", "exit %d: %s" % (r.returncode, r.stderr))
    r = s.bunpy("init", "--lib", "app", cwd=tmp)
    check(r.returncode == 1, "bunpy init app again refuses (exit 1)",
          "exit %d: %s" % (r.returncode, r.stderr))
    check(s.files(names) == before and sorted(os.listdir(s.app)) == listing,
          "the refused inits left every file byte-identical")


def main():
    tmp = tempfile.mkdtemp(prefix="bunpy-session-")
    try:
        session(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d checks, %d failed" % (L.checks, L.failures))
    return 1 if L.failures else 0


if __name__ == "__main__":
    sys.exit(main())
