"""run.py - `bunpy run` of programs end to end, in a project synced from a local index.

What is checked: the program replaces bunpy (same pid; exit statuses 0, 1 and 42 and
SIGTERM come back unchanged, a program trapping TERM gets it), its standard streams are
the caller's (stdin piped through, stdout and stderr apart, a terminal stays a
terminal), its arguments arrive untouched, VIRTUAL_ENV/PATH/PYTHONHOME are as promised
and sys.prefix is the venv, no descriptor leaks into it, `bunpy SCRIPT.py` and
`bunpy -c`, the sync before running (and --no-sync), --with, a missing command (127),
and that tasks still run.

The environment gives BUNPY and FIXTURES_DIR (make check sets them). The target
interpreter is the one running this script. Every check prints one line; the exit
status is 1 when any failed.
"""
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock as L  # noqa: E402
import sync as S  # noqa: E402

check = L.check
PY = sys.executable

SPEC = {"packages": {
    "alpha": {"1.0": {
        "entry_points": "[console_scripts]\nalpha-tool = alpha_cli:main\n",
        "files": {"alpha_cli.py": "import sys\n\ndef main():\n"
                                  "    print('alpha-tool', sys.argv[1:])\n"
                                  "    return int(sys.argv[1]) if len(sys.argv) > 1 else 0\n"}}},
    "beta": {"1.0": {}},
    "gamma": {"1.0": {}},
}}

EXIT_SCRIPT = "import sys\nsys.exit(int(sys.argv[1]))\n"
ARGV_SCRIPT = "import json, sys\nprint(json.dumps(sys.argv))\n"
WAIT_CODE = ("import os, sys, time\n"
             "print(os.getpid(), flush=True)\n"
             "time.sleep(60)\n")
TRAP_CODE = ("import os, signal, sys, time\n"
             "def on_term(n, f):\n"
             "    print('got TERM', flush=True)\n"
             "    sys.exit(7)\n"
             "signal.signal(signal.SIGTERM, on_term)\n"
             "print(os.getpid(), flush=True)\n"
             "time.sleep(60)\n")


class Proj:
    def __init__(self, tmp, name, index_url, deps, extra=""):
        self.dir = os.path.join(tmp, name)
        self.index_url = index_url
        self.env = dict(os.environ)
        self.env.update(BUNPY_CACHE_DIR=os.path.join(tmp, "cache"),
                        HOME=os.path.join(tmp, "home"), BUNPY_PYTHON=PY, NO_COLOR="1")
        os.makedirs(self.env["HOME"], exist_ok=True)
        self.write(deps, extra)

    def write(self, deps, extra=""):
        L.write_project(self.dir, deps, self.index_url, extra=extra)

    @property
    def venv(self):
        return os.path.join(self.dir, ".venv")

    def file(self, name, text, mode=0o644):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def run(self, *args, cwd=None, env=None, **kw):
        e = dict(self.env)
        e.update(env or {})
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 120)
        return subprocess.run([L.BUNPY, *args], cwd=cwd or self.dir, env=e, **kw)

    def popen(self, *args, **kw):
        return subprocess.Popen([L.BUNPY, *args], cwd=self.dir, env=self.env, **kw)


def detail(r):
    return "exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout[-300:], r.stderr[-300:])


def exit_statuses(p):
    p.file("exit.py", EXIT_SCRIPT)
    p.file("exitmod.py", EXIT_SCRIPT)
    for n in (0, 1, 42):
        r = p.run("run", "exit.py", str(n))
        check(r.returncode == n, "bunpy run SCRIPT.py exits %d" % n, detail(r))
        r = p.run("exit.py", str(n))
        check(r.returncode == n, "bunpy SCRIPT.py exits %d" % n, detail(r))
        r = p.run("-c", "import sys; sys.exit(%d)" % n)
        check(r.returncode == n, "bunpy -c exits %d" % n, detail(r))
        r = p.run("run", "-m", "exitmod", str(n))
        check(r.returncode == n, "bunpy run -m exits %d" % n, detail(r))
        r = p.run("run", "alpha-tool", str(n))
        check(r.returncode == n and "alpha-tool ['%d']" % n in r.stdout,
              "bunpy run CONSOLE-SCRIPT exits %d" % n, detail(r))
    r = p.run("-c", "raise SystemExit('boom')")
    check(r.returncode == 1 and r.stderr == "boom\n",
          "an uncaught exit message is the program's only output", detail(r))


def wait_pid(proc):
    """The pid the program printed (its first line), or None after 30 s."""
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    if not ready:
        return None
    line = proc.stdout.readline()
    return int(line) if line.strip().isdigit() else None


def signals(p):
    proc = p.popen("-c", WAIT_CODE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = wait_pid(proc)
    check(pid == proc.pid, "the program runs as bunpy's own process (same pid)",
          "bunpy %d, program %s" % (proc.pid, pid))
    os.kill(proc.pid, signal.SIGTERM)
    rc = proc.wait(timeout=30)
    check(rc == -signal.SIGTERM, "SIGTERM sent to bunpy's pid ends the program by TERM",
          "wait status %d" % rc)
    proc.stdout.close()
    proc.stderr.close()

    p.file("trap.py", TRAP_CODE)
    proc = p.popen("run", "trap.py", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = wait_pid(proc)
    os.kill(proc.pid, signal.SIGTERM)
    rc = proc.wait(timeout=30)
    out = proc.stdout.read()
    check(pid == proc.pid and rc == 7 and out == "got TERM\n",
          "a program trapping TERM gets it and its own exit status comes back",
          "pid %s/%d, status %d, output %r" % (pid, proc.pid, rc, out))
    proc.stdout.close()
    proc.stderr.close()

    # the shell's own (128 + signal) when a shell waits for it
    r = subprocess.run(["sh", "-c", '"$0" -c "import os, signal; os.kill(os.getpid(), '
                        'signal.SIGTERM)"; echo "status $?"', L.BUNPY],
                       cwd=p.dir, env=p.env, capture_output=True, text=True, timeout=60)
    check(r.stdout.strip() == "status 143", "a shell sees status 128+15 for a program killed by TERM",
          detail(r))


def streams(p):
    r = p.run("-c", "import sys; data = sys.stdin.read(); print(data.upper(), end='')",
              input="piped\nthrough\n")
    check(r.returncode == 0 and r.stdout == "PIPED\nTHROUGH\n", "stdin is piped through", detail(r))
    r = p.run("-c", "import sys; print('to out'); print('to err', file=sys.stderr)")
    check(r.returncode == 0 and r.stdout == "to out\n" and r.stderr == "to err\n",
          "stdout and stderr stay apart, nothing of bunpy's on either", detail(r))

    # on a terminal: all three are the terminal
    code = ("import os, sys; print('tty', sys.stdin.isatty(), sys.stdout.isatty(), "
            "sys.stderr.isatty(), os.ttyname(0) == os.ttyname(1) == os.ttyname(2))")
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([L.BUNPY, "-c", code], cwd=p.dir, env=p.env, stdin=slave,
                                stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        got = b""
        deadline = time.time() + 30
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
            elif proc.poll() is not None:
                break
        proc.wait(timeout=30)
    finally:
        os.close(master)
    check(b"tty True True True True" in got, "on a terminal, the program's three streams are it",
          repr(got[-300:]))


def arguments(p):
    p.file("argv.py", ARGV_SCRIPT)
    p.file("argvmod.py", ARGV_SCRIPT)
    args = ["a b", "'single'", '"double"', "--", "-v", "--help", "-c", "$HOME", "", "*"]
    r = p.run("run", "argv.py", *args)
    check(r.returncode == 0 and r.stdout.strip() == L.json.dumps(["argv.py"] + args),
          "bunpy run SCRIPT.py: arguments arrive untouched", detail(r))
    r = p.run("argv.py", *args)
    check(r.returncode == 0 and r.stdout.strip() == L.json.dumps(["argv.py"] + args),
          "bunpy SCRIPT.py: arguments arrive untouched", detail(r))
    r = p.run("-c", ARGV_SCRIPT, *args)
    check(r.returncode == 0 and r.stdout.strip() == L.json.dumps(["-c"] + args),
          "bunpy -c: arguments arrive untouched", detail(r))
    r = p.run("run", "-m", "argvmod", *args)
    check(r.returncode == 0 and L.json.loads(r.stdout)[1:] == args,
          "bunpy run -m: arguments arrive untouched", detail(r))
    r = p.run("run", "alpha-tool", "7", "--help", "-v")
    check(r.returncode == 7 and "alpha-tool ['7', '--help', '-v']" in r.stdout,
          "bunpy run COMMAND: arguments arrive untouched", detail(r))
    # options before the program are bunpy's: -q is taken, --help after it is not
    r = p.run("-q", "run", "--no-sync", "argv.py", "--help")
    check(r.returncode == 0 and L.json.loads(r.stdout) == ["argv.py", "--help"],
          "options end at the program", detail(r))


def environment(p):
    code = ("import json, os, sys; print(json.dumps({'prefix': sys.prefix, "
            "'venv': os.environ.get('VIRTUAL_ENV'), 'path': os.environ['PATH'], "
            "'home': os.environ.get('PYTHONHOME'), 'cwd': os.getcwd(), "
            "'fds': sorted(os.listdir('/proc/self/fd'))}))")
    base_path = "/usr/local/bin:/usr/bin:/bin"
    r = p.run("-c", code, env={"PYTHONHOME": "/nonexistent", "PATH": base_path,
                               "VIRTUAL_ENV": "/elsewhere"})
    got = L.json.loads(r.stdout) if r.returncode == 0 else {}
    check(got.get("prefix") == p.venv, "sys.prefix is the venv", detail(r))
    check(got.get("venv") == p.venv, "VIRTUAL_ENV is the venv", detail(r))
    check(got.get("path") == os.path.join(p.venv, "bin") + ":" + base_path,
          "PATH is the venv's bin, then the caller's PATH", detail(r))
    check(r.returncode == 0 and got.get("home") is None, "PYTHONHOME is unset", detail(r))
    direct = subprocess.run([os.path.join(p.venv, "bin", "python"), "-c", code], cwd=p.dir,
                            capture_output=True, text=True)
    want = L.json.loads(direct.stdout)["fds"] if direct.returncode == 0 else None
    check(want is not None and got.get("fds") == want,
          "no descriptor of bunpy's reaches the program (the same as python run directly)",
          "via bunpy %s, direct %s" % (got.get("fds"), want))
    # with descriptors of the caller's: they are the program's
    r = subprocess.run([L.BUNPY, "-c", "import os; os.write(5, b'via fd 5')"], cwd=p.dir,
                       env=p.env, capture_output=True, timeout=60,
                       pass_fds=(5,) if os.dup2(os.open(os.path.join(p.dir, "fd5.txt"),
                                                        os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                                5) == 5 else ())
    os.close(5)
    check(r.returncode == 0 and L.read(os.path.join(p.dir, "fd5.txt")) == b"via fd 5",
          "a descriptor the caller passes is the program's", r.stderr)
    sub = os.path.join(p.dir, "sub")
    os.makedirs(sub, exist_ok=True)
    r = p.run("-c", code, cwd=sub)
    check(r.returncode == 0 and L.json.loads(r.stdout)["cwd"] == sub and
          L.json.loads(r.stdout)["prefix"] == p.venv,
          "from a subdirectory: the project's venv, the caller's directory", detail(r))
    r = p.run("-C", p.dir, "exit.py", "3", cwd=os.path.dirname(p.dir))
    check(r.returncode == 3, "-C DIR: the script is found in DIR", detail(r))
    r = p.run("run", "sh", "-c", 'echo "$VIRTUAL_ENV"; command -v alpha-tool')
    check(r.returncode == 0 and r.stdout.split() == [p.venv, os.path.join(p.venv, "bin", "alpha-tool")],
          "a command from PATH runs with the venv's bin first", detail(r))
    p.file("shebang-tool", "#!/usr/bin/env python3\nimport sys\nprint(sys.prefix)\n", 0o755)
    r = p.run("run", "./shebang-tool")
    check(r.returncode == 0 and r.stdout.strip() == p.venv,
          "a file with a python shebang runs on the venv's python", detail(r))
    r = p.run("-C", p.dir, "run", "shebang-tool", cwd=os.path.dirname(p.dir))
    check(r.returncode == 0 and r.stdout.strip() == p.venv,
          "-C DIR: a shebang file in DIR is found and runs on the venv's python", detail(r))


def syncing(p):
    r = p.run("-c", "import beta")
    check(r.returncode == 1 and "ModuleNotFoundError" in r.stderr, "beta is not there yet", detail(r))
    p.write(["alpha", "beta"])
    r = p.run("run", "--no-sync", "-c", "import beta")
    check(r.returncode == 1 and "ModuleNotFoundError" in r.stderr,
          "--no-sync runs in the venv as it is (the new dependency is not there)", detail(r))
    fds = "import os; print(sorted(os.listdir('/proc/self/fd')))"
    r = p.run("-c", "import beta; print(beta.__version__); " + fds)
    check(r.returncode == 0 and r.stdout.startswith("1.0\n") and "Synced" in r.stderr and
          "1 installed" in r.stderr, "a stale venv is synced before running, in one line", detail(r))
    direct = subprocess.run([os.path.join(p.venv, "bin", "python"), "-c", fds], cwd=p.dir,
                            capture_output=True, text=True)
    check(direct.returncode == 0 and r.stdout[4:] == direct.stdout,
          "after a sync that installed (engine, database, threads), no descriptor leaks either",
          "via bunpy %r, direct %r" % (r.stdout[4:], direct.stdout))
    r = p.run("-c", "import beta")
    check(r.returncode == 0 and r.stderr == "", "the next run says nothing (no-op sync)", detail(r))


def with_overlay(p, tmp):
    code = "import alpha, beta, gamma, sys; print(gamma.__version__, alpha.__version__)"
    r = p.run("run", "--with", "gamma", "-c", code)
    check(r.returncode == 0 and r.stdout == "1.0 1.0\n",
          "--with PKG: importable along with the project's packages", detail(r))
    envs = os.path.join(tmp, "cache", "environments")
    made = sorted(os.listdir(envs)) if os.path.isdir(envs) else []
    check(len(made) == 1, "--with made one overlay environment in the cache", "%s" % made)
    r = p.run("run", "--with", "gamma", "alpha-tool", "5")
    check(r.returncode == 5 and r.stderr == "" and
          sorted(os.listdir(envs)) == made, "--with again: reused, quietly", detail(r))
    r = p.run("-c", "import gamma")
    check(r.returncode == 1 and "ModuleNotFoundError" in r.stderr,
          "without --with, the package is not importable", detail(r))
    r = p.run("-c", "import importlib.metadata as m; print(m.version('gamma'))")
    check(r.returncode == 1, "and the project's venv does not hold it", detail(r))


def failures(p, tmp):
    r = p.run("run", "no-such-command-xyz", "arg")
    check(r.returncode == 127 and "no command 'no-such-command-xyz'" in r.stderr,
          "a missing command exits 127 and says so", detail(r))
    fresh = Proj(tmp, "fresh", p.index_url, ["alpha"])
    r = fresh.run("run", "--no-sync", "-c", "pass")
    check(r.returncode == 1 and "bunpy sync" in r.stderr and not os.path.exists(fresh.venv),
          "--no-sync without a .venv names the fix", detail(r))
    r = fresh.run("-c", "import alpha; print(alpha.__version__)")
    check(r.returncode == 0 and r.stdout == "1.0\n" and os.path.isdir(fresh.venv),
          "without --no-sync, the first run makes the venv", detail(r))
    r = p.run("run", "-j", "2", "exit.py", "0")
    check(r.returncode == 2 and "-j is for tasks" in r.stderr, "-j with a program is a usage error",
          detail(r))


def tasks(p):
    extra = ('[tool.bunpy.tasks]\nhello = "echo hello >> hello.txt"\n'
             'two = { cmd = "echo two >> hello.txt", deps = ["hello"] }\n')
    p.write(["alpha", "beta"], extra=extra)
    r = p.run("run")
    check(r.returncode == 0 and "hello" in r.stdout and "two" in r.stdout, "bunpy run lists the tasks",
          detail(r))
    r = p.run("run", "two", "-j", "1")
    got = L.read(os.path.join(p.dir, "hello.txt")).decode() if r.returncode == 0 else ""
    check(r.returncode == 0 and got == "hello\ntwo\n", "tasks still run (options after the names too)",
          detail(r))
    r = p.run("run", "-n", "two")
    check(r.returncode == 0, "a dry run of a task", detail(r))
    r = p.run("run", "helo")
    check(r.returncode == 2 and "no task named 'helo'" in r.stderr,
          "a mistyped task in a project with tasks lists them", detail(r))
    r = p.run("run", "exit.py", "42")
    check(r.returncode == 42, "scripts still run in a project with tasks", detail(r))


def main():
    tmp = tempfile.mkdtemp(prefix="bunpy-run-")
    try:
        url = S.build_index(SPEC, os.path.join(tmp, "index"))
        p = Proj(tmp, "proj", url, ["alpha"])
        r = p.run("sync")
        check(r.returncode == 0, "the project syncs", detail(r))
        exit_statuses(p)
        signals(p)
        streams(p)
        arguments(p)
        environment(p)
        failures(p, tmp)
        syncing(p)
        with_overlay(p, tmp)
        tasks(p)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    print("%d checks, %d failed" % (L.checks, L.failures))
    return 1 if L.failures else 0


if __name__ == "__main__":
    sys.exit(main())
