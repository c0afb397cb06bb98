#!/usr/bin/env python3
"""What the benchmarks against peers share (bench/lock.py, bench/sync.py).

Names and PEP 508 requirements, marker evaluation for the target interpreter, reading
each tool's lock back (pylock.toml, poetry.lock, pdm.lock), running a tool as a timed
child in a clean environment, serve.py on loopback, and the pyproject.toml each tool
reads for the same root requirements on the same index. Python 3.11 stdlib only
(markers use the packaging module when one can be imported).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "tests", "fixtures")

# What PEP 508 markers see on the target interpreter (packaging's default_environment).
MARKER_ENV_PROBE = """
import json, os, platform, sys
i = sys.implementation.version
iv = "%d.%d.%d" % (i.major, i.minor, i.micro)
if i.releaselevel != "final":
    iv += i.releaselevel[0] + str(i.serial)
print(json.dumps({"implementation_name": sys.implementation.name,
                  "implementation_version": iv, "os_name": os.name,
                  "platform_machine": platform.machine(),
                  "platform_release": platform.release(),
                  "platform_system": platform.system(),
                  "platform_version": platform.version(),
                  "python_full_version": platform.python_version(),
                  "platform_python_implementation": platform.python_implementation(),
                  "python_version": ".".join(platform.python_version_tuple()[:2]),
                  "sys_platform": sys.platform}))
"""

try:
    from packaging.markers import Marker
except ImportError:
    try:
        from pip._vendor.packaging.markers import Marker
    except ImportError:
        Marker = None


class Failed(Exception):
    """A tool run that did not succeed; the message says why, in a few words."""


# ------------------------------------------------------------------ names, requirements


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


REQ_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*([^;]*?)\s*(?:;\s*(.*?))?\s*$")


def parse_req(text):
    """(name, extras, specifier text, marker text or None) of a PEP 508 string without
    a URL, or None when it is not one."""
    m = REQ_RE.match(text)
    if not m:
        return None
    name, extras, spec, marker = m.groups()
    extras = [normalize(e) for e in (extras or "").split(",") if e.strip()]
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    return name, extras, spec, marker


class Markers:
    """Marker evaluation for the target interpreter; everything is true (and said so
    once) when no packaging module can be imported."""

    def __init__(self, env):
        self.env = env
        self.cache = {}
        self.unknown = set()

    def true(self, marker, extras=()):
        if not marker:
            return True
        if Marker is None:
            self.unknown.add("no packaging module: markers taken as true")
            return True
        try:
            m = self.cache.get(marker)
            if m is None:
                m = self.cache[marker] = Marker(marker)
            for extra in [""] + list(extras):
                if m.evaluate(dict(self.env, extra=extra)):
                    return True
            return False
        except Exception as exc:  # a marker syntax this packaging does not know
            self.unknown.add(f"marker {marker!r} not evaluated ({type(exc).__name__}): taken as true")
            return True


# ------------------------------------------------------------------ reading each tool's result


def read_pylock(path, markers):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    out = {}
    for p in data.get("packages", []):
        if markers.true(p.get("marker")):
            out[normalize(p["name"])] = p.get("version", "?")
    return out

def walk(roots, deps_of, markers):
    """The packages a platform-independent lock installs on the target: from the
    roots, follow each package's dependencies whose markers hold. deps_of(name,
    extras) gives (name, extras, marker) triples, or None when name is not locked."""
    reached, missing = {}, set()
    queue = []
    for r in roots:
        req = parse_req(r)
        if req and markers.true(req[3]):
            queue.append((normalize(req[0]), set(req[1])))
    while queue:
        name, extras = queue.pop()
        if name in reached and extras <= reached[name]:
            continue
        reached.setdefault(name, set()).update(extras)
        deps = deps_of(name, reached[name])
        if deps is None:
            missing.add(name)
            continue
        for dname, dextras, dmarker in deps:
            if markers.true(dmarker, reached[name]):
                queue.append((normalize(dname), set(dextras)))
    return reached, missing


def read_poetry_lock(path, roots, markers):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    pkgs = {}
    for p in data.get("package", []):
        pkgs.setdefault(normalize(p["name"]), []).append(p)

    def deps_of(name, extras):
        if name not in pkgs:
            return None
        out = []
        for p in pkgs[name]:
            # an optional dependency that no extra marker names is switched on by
            # the package's [package.extras] lists
            by_extra = {}
            for extra, reqs in p.get("extras", {}).items():
                for r in reqs:
                    req = parse_req(r.split(" ")[0])
                    if req:
                        by_extra.setdefault(normalize(req[0]), set()).add(normalize(extra))
            for dname, specs in p.get("dependencies", {}).items():
                for s in specs if isinstance(specs, list) else [specs]:
                    if isinstance(s, str):
                        s = {"version": s}
                    marker = s.get("markers")
                    if s.get("optional") and not (marker and "extra" in marker):
                        if not by_extra.get(normalize(dname), set()) & extras:
                            continue
                    out.append((dname, s.get("extras", []), marker))
        return out

    reached, missing = walk(roots, deps_of, markers)
    return {n: pkgs[n][0]["version"] for n in reached if n in pkgs}, missing


def read_pdm_lock(path, roots, markers):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    pkgs = {}
    for p in data.get("package", []):
        pkgs.setdefault(normalize(p["name"]), []).append(p)

    def deps_of(name, extras):
        if name not in pkgs:
            return None
        out = []
        for p in pkgs[name]:
            own = {normalize(e) for e in p.get("extras", [])}
            if own and not own <= extras:
                continue
            for d in p.get("dependencies", []):
                req = parse_req(d)
                if req:
                    out.append((req[0], req[1], req[3]))
        return out

    reached, missing = walk(roots, deps_of, markers)
    return {n: pkgs[n][0]["version"] for n in reached if n in pkgs}, missing


# ------------------------------------------------------------------ processes


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "POETRY_", "PDM_", "BUNPY_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(NO_COLOR="1", no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env.update(extra)
    return env


def last_line(text):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= 200 else line[:197] + "..."


def run(cmd, cwd, env, timeout, ok=(0,)):
    """Run cmd and return (seconds, exit status, its stderr); Failed when it does not
    exit with a status in ok. The child gets its own process group, killed on a timeout."""
    t = time.perf_counter()
    try:
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise Failed(f"cannot start {cmd[0]}: {exc.strerror}")
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise Failed(f"timed out after {timeout:.0f} s")
    elapsed = time.perf_counter() - t
    if p.returncode not in ok:
        status = f"signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
        why = last_line(err.decode(errors="replace")) or last_line(out.decode(errors="replace"))
        raise Failed(f"{status}: {why}" if why else status)
    return elapsed, p.returncode, err.decode(errors="replace")


def remove(*paths):
    for p in paths:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.unlink(p)


class Server:
    """serve.py over one index directory on 127.0.0.1. The port is chosen once; a
    server that died (killed from outside: the machine is shared) is started again
    on the same port, since the projects name it."""

    def __init__(self, indexdir, delay_ms, log, no_json=False):
        self.indexdir, self.delay_ms, self.no_json, self.log = indexdir, delay_ms, no_json, log
        self.port = 0
        self.start()
        self.url = f"http://127.0.0.1:{self.port}/simple"

    def start(self):
        cmd = [sys.executable, os.path.join(FIXTURES, "serve.py"), self.indexdir,
               "--port", str(self.port), "--bind", "127.0.0.1", "--delay-ms", str(self.delay_ms)]
        if self.no_json:
            cmd.append("--no-json")
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=err, start_new_session=True)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            sys.exit(f"serve.py did not start on {self.indexdir}: {line!r}; {self.stderr_tail()}")
        self.port = int(line.split()[1])

    def stderr_tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return last_line(f.read()) or "nothing on stderr"
        except OSError:
            return "no stderr"

    def revive(self):
        """None while the server runs; else start it again and say how it ended."""
        rc = self.proc.poll()
        if rc is None:
            return None
        how = f"signal {-rc}" if rc < 0 else f"exit {rc}"
        why = f"serve.py on port {self.port} ended ({how}; {self.stderr_tail()}): started again"
        self.start()
        return why

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()



# ------------------------------------------------------------------ projects


def toml_str(s):
    return json.dumps(s)



def bunpy_pyproject(roots, url):
    deps = ",\n".join("    " + toml_str(r) for r in roots)
    return (f'[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            f"dependencies = [\n{deps},\n]\n\n[tool.bunpy]\nindex-url = {toml_str(url)}\n")


def poetry_pyproject(roots, url):
    lines = []
    for r in roots:
        name, extras, spec, marker = parse_req(r)
        spec = spec or "*"
        if extras or marker:
            fields = [f"version = {toml_str(spec)}"]
            if extras:
                fields.append("extras = [" + ", ".join(toml_str(e) for e in extras) + "]")
            if marker:
                fields.append(f"markers = {toml_str(marker)}")
            lines.append(f"{toml_str(name)} = {{{', '.join(fields)}}}")
        else:
            lines.append(f"{toml_str(name)} = {toml_str(spec)}")
    return ('[tool.poetry]\nname = "bench"\nversion = "0.1.0"\ndescription = ""\n'
            'authors = ["bench <bench@example.invalid>"]\n\n'
            '[tool.poetry.dependencies]\npython = "^3.11"\n' + "\n".join(lines) + "\n\n"
            # default = true: the only source, PyPI is not asked (poetry 1.3)
            f'[[tool.poetry.source]]\nname = "local"\nurl = {toml_str(url + "/")}\n'
            "default = true\n\n"
            '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n')


def pdm_pyproject(roots, url):
    deps = ",\n".join("    " + toml_str(r) for r in roots)
    return ('[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            f"dependencies = [\n{deps},\n]\n\n"
            # named "pypi": replaces the default source
            f'[[tool.pdm.source]]\nname = "pypi"\nurl = {toml_str(url)}\nverify_ssl = false\n')


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def version_of(cmd):
    """(the last line cmd prints, None), or (None, why it cannot run)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           env=clean_env({}), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{' '.join(cmd)}: {exc}"
    if p.returncode != 0:
        return None, f"{' '.join(cmd)}: exit {p.returncode}: {last_line(p.stderr)}"
    return last_line(p.stdout), None


def probe_marker_env(python):
    """What PEP 508 markers see on python."""
    return json.loads(subprocess.run([python, "-c", MARKER_ENV_PROBE], capture_output=True,
                                     text=True, check=True).stdout)


def differences(a, b):
    return sorted((n, a.get(n), b.get(n)) for n in set(a) | set(b) if a.get(n) != b.get(n))


# ------------------------------------------------------------------ output


def fmt_ms(s):
    if s is None:
        return "-"
    ms = s * 1e3
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def wanted_tools(args, known):
    """The --tools list, each checked against known, and --python checked: exits with a
    message on a mistake."""
    wanted = [t for t in args.tools.split(",") if t]
    for t in wanted:
        if t not in known:
            sys.exit(f"unknown tool {t} (known: {', '.join(known)})")
    if not os.access(args.python, os.X_OK):
        sys.exit(f"{args.python} is not an interpreter")
    return wanted


def find_tools(wanted, version, runs, peer_runs, peers, title, env, python):
    """Which of the wanted tools are installed (version(name) gives (version, why)),
    how many runs each gets, printed as the benchmark's header after title ("bunpy lock
    vs pip, poetry; target CPython"). Returns the tools found, the peers among them, runs
    per tool, and the versions and reasons (why a tool is missing) by tool."""
    versions, missing = {}, {}
    for t in wanted:
        v, why = version(t)
        if v is None:
            missing[t] = why
        else:
            versions[t] = v
    tools = [t for t in wanted if t in versions]
    peers = [p for p in peers if p in wanted]
    nruns = {t: (runs if t == "bunpy" else peer_runs) for t in tools}
    print(title.format(peers=", ".join(peers)) + f" {env['python_full_version']} "
          f"{env['sys_platform']} {env['platform_machine']} ({python})")
    for t in wanted:
        print(f"  {t}: {versions.get(t) or 'MISSING: ' + missing[t]}"
              + (f", median of {nruns[t]} runs" if t in nruns else ""))
    return tools, peers, nruns, versions, missing
