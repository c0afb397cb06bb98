#!/bin/sh
# The documentation and the completions against the binary itself: every command of
# `bunpy --help` and every option of `bunpy COMMAND --help` is in the man page and is
# offered by `bunpy complete`; every BUNPY_* variable the binary reads is in the man
# page and docs/settings.md (and nothing they name is missing from the binary); the
# man page renders without warnings; the bash, zsh and fish scripts complete.
. "$(dirname "$0")/lib.sh"

MAN="$top_srcdir/docs/bunpy.1"
SETTINGS="$top_srcdir/docs/settings.md"
COMPL="$top_srcdir/contrib/completions"
PY=${PYTHON3:-python3}
BINDIR=$(cd "$(dirname "$BUNPY")" && pwd)
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
mkdir -p "$HOME"

for f in "$MAN" "$SETTINGS" "$COMPL/bunpy.bash" "$COMPL/_bunpy" "$COMPL/bunpy.fish"; do
	[ -f "$f" ] || fail "missing $f"
done

# ---------------------------------------------------------------- help, man page, complete
# Commands and options come from the live --help, so what is added later is checked too.
# A command's option must be in its own subsection of COMMANDS, or in a subsection of
# SHARED OPTIONS that its subsection names ("Locking options").
mkdir -p "$WORK/empty"
cd "$WORK/empty" || exit 1
"$PY" - "$BUNPY" "$MAN" > "$WORK/cross.out" 2>&1 <<'EOF'
import re, subprocess, sys

bunpy, man_path = sys.argv[1], sys.argv[2]
failures = []

def fail(msg):
    failures.append(msg)

def run(*args):
    p = subprocess.run([bunpy, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr

def complete(*words):
    rc, out, err = run("complete", "--", *words)
    if rc != 0 or err:
        fail(f"bunpy complete -- {' '.join(words)!r}: status {rc}, stderr {err!r}")
    return out.splitlines()

def plain(line):
    line = re.sub(r"\\f(\[[^]]*\]|.)", "", line)
    line = line.replace("\\-", "-").replace("\\(aq", "'").replace("\\(dq", '"').replace("\\&", "")
    return line

# the man page, by section and subsection
sections, subsections = {}, {}
sh = ss = None
for raw in open(man_path, encoding="utf-8"):
    raw = raw.rstrip("\n")
    if raw.startswith('.\\"'):
        continue
    m = re.match(r'\.(SH|SS)\s+"?(.*?)"?\s*$', raw)
    if m and m.group(1) == "SH":
        sh, ss = plain(m.group(2)), None
        sections.setdefault(sh, "")
        continue
    if m:
        ss = plain(m.group(2))
        subsections[(sh, ss)] = ss + "\n"
        sections[sh] += ss + "\n"
        continue
    text = plain(re.sub(r"^\.[A-Z]+\s*", "", raw)) + "\n"
    if sh:
        sections[sh] += text
    if ss:
        subsections[(sh, ss)] += text

for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "SHARED OPTIONS", "GLOBAL OPTIONS",
          "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
    if s not in sections:
        fail(f"man page: no section {s}")
for status in ("0", "1", "2", "127", "130"):
    if not re.search(rf"(?m)^{status}$", sections.get("EXIT STATUS", "")):
        fail(f"man page: exit status {status} not in EXIT STATUS")

def command_text(name):
    for (s, t), text in subsections.items():
        if s == "COMMANDS" and (t == f"bunpy {name}" or t.startswith(f"bunpy {name} ")):
            return text
    return None

shared = {t.lower(): text for (s, t), text in subsections.items() if s == "SHARED OPTIONS"}

def mentions(text, opt):
    return re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text) is not None

def options(help_text, heading):
    """(short, long) for each option listed under a heading of a --help output."""
    out, inside = [], False
    for line in help_text.splitlines():
        if line.startswith(heading):
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            m = re.match(r"\s+(?:-(\w), )?--([\w-]+)", line)
            if m:
                out.append(m.groups())   # else the help's second line
    return out

rc, top, _ = run("--help")
if rc != 0:
    fail(f"bunpy --help: status {rc}")
commands = []
inside = False
for line in top.splitlines():
    if line.startswith("Commands:"):
        inside = True
    elif inside:
        m = re.match(r"  (\S+)\s", line)
        if not m:
            break
        commands.append(m.group(1))
if len(commands) < 10:
    fail(f"bunpy --help lists only {commands}")
checked_cmds = checked_opts = 0
offered = complete("")
if "complete" in offered:
    fail("bunpy complete offers the hidden command 'complete'")
for cmd in commands:
    checked_cmds += 1
    if cmd not in offered:
        fail(f"bunpy complete -- '' does not offer the command {cmd}")
    if cmd not in complete(cmd[:2]):
        fail(f"bunpy complete -- {cmd[:2]} does not offer the command {cmd}")
    text = command_text(cmd)
    if text is None:
        fail(f"man page: no subsection 'bunpy {cmd}' under COMMANDS")
        continue
    if cmd == "help":
        continue
    rc, out, err = run(cmd, "--help")
    if rc != 0:
        fail(f"bunpy {cmd} --help: status {rc} ({err})")
        continue
    where = text + "".join(body for title, body in shared.items() if title in text.lower())
    longs = complete(cmd, "--")
    shorts = complete(cmd, "-")
    for short, long in options(out, "Options:"):
        checked_opts += 1
        if not mentions(where, "--" + long):
            fail(f"man page: bunpy {cmd} --{long} is not in its subsection (nor in the shared options it names)")
        if "--" + long not in longs:
            fail(f"bunpy complete -- {cmd} -- does not offer --{long}")
        if short:
            if not mentions(where, "-" + short):
                fail(f"man page: bunpy {cmd} -{short} (--{long}) is not in its subsection")
            if "-" + short not in shorts:
                fail(f"bunpy complete -- {cmd} - does not offer -{short}")
    for short, long in options(out, "Global options:"):
        checked_opts += 1
        if not mentions(sections.get("GLOBAL OPTIONS", ""), "--" + long):
            fail(f"man page: global option --{long} is not in GLOBAL OPTIONS")
        if "--" + long not in longs:
            fail(f"bunpy complete -- {cmd} -- does not offer the global option --{long}")
    # subcommands (and any other fixed words) offered for the first operand are documented
    for word in complete(cmd, ""):
        if not mentions(text, word):
            fail(f"bunpy complete -- {cmd} '' offers '{word}', which the man page's 'bunpy {cmd}' does not mention")
top_offered = complete("--")
for short, long in options(top, "Global options"):
    checked_opts += 1
    if not mentions(sections.get("GLOBAL OPTIONS", ""), "--" + long):
        fail(f"man page: global option --{long} (bunpy --help) is not in GLOBAL OPTIONS")
    if short and not mentions(sections.get("GLOBAL OPTIONS", ""), "-" + short):
        fail(f"man page: global option -{short} (bunpy --help) is not in GLOBAL OPTIONS")
    if long != "version" and "--" + long not in top_offered:
        fail(f"bunpy complete -- -- does not offer --{long}")

for f in failures:
    print("FAIL:", f)
print(f"checked {checked_cmds} commands and {checked_opts} options")
sys.exit(1 if failures else 0)
EOF
RC=$?
cat "$WORK/cross.out" >&2
[ "$RC" -eq 0 ] || fail "the man page or bunpy complete disagree with --help (above)"
grep -q '^checked' "$WORK/cross.out" || fail "the cross-check did not run"

# ---------------------------------------------------------------- environment variables
# Every BUNPY_* in the binary is documented, and everything documented is in the binary.
man_env=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$MAN")
vars=$(grep -aoE '(^|[^A-Za-z0-9_])BUNPY_[A-Z0-9_]*[A-Z0-9]' "$BUNPY" | sed 's/^[^B]*//' | sort -u)
[ "$(echo "$vars" | wc -w)" -ge 10 ] || fail "found only these BUNPY_ variables in the binary: $vars"
for v in $vars; do
	grep -q "\`$v[\`=]" "$SETTINGS" || fail "docs/settings.md does not list $v"
	case "$man_env" in
	*".B $v"*) ;;
	*) fail "the man page's ENVIRONMENT does not list $v" ;;
	esac
done
for v in $(grep -oE 'BUNPY_[A-Z0-9_]*[A-Z0-9]' "$SETTINGS" "$MAN" | sed 's/.*://' | sort -u); do
	echo "$vars" | grep -qx "$v" || fail "$v is documented but the binary does not know it"
done
# every variable the source reads (PATH and HOME included) is in settings.md
for v in $(cat "$top_srcdir"/engine/*.c "$top_srcdir"/packaging/*.c "$top_srcdir"/rules/*.c \
	"$top_srcdir"/frontends/*.c | grep -oE 'getenv\("[A-Za-z0-9_]+"\)' | sed 's/getenv("//; s/")//' | sort -u); do
	grep -q "$v" "$SETTINGS" || fail "the source reads \$$v but docs/settings.md does not mention it"
done
# every [tool.bunpy] key pyproject.c reads is in settings.md
keys=$(grep -oE 'toml_get\(b, "[a-z-]+"\)' "$top_srcdir/packaging/pyproject.c" | sed 's/.*"\(.*\)".*/\1/')
[ -n "$keys" ] || fail "found no [tool.bunpy] keys in packaging/pyproject.c"
for k in $keys tasks; do
	grep -qE "\`($k = |\[tool\.bunpy\.$k\])" "$SETTINGS" || fail "docs/settings.md does not list the [tool.bunpy] key $k"
done
for v in NO_COLOR SSL_CERT_FILE XDG_CACHE_HOME; do
	case "$man_env" in
	*".B $v"*) ;;
	*) fail "the man page's ENVIRONMENT does not list $v" ;;
	esac
done
for f in pyproject.toml pylock.toml .venv/ .bunpy/ '.python\-version' '$BUNPY_CACHE_DIR'; do
	sed -n '/^\.SH FILES/,/^\.SH /p' "$MAN" | grep -qF ".I $f" || fail "the man page's FILES does not list $f"
done

# ---------------------------------------------------------------- rendering
if command -v groff >/dev/null 2>&1; then
	warnings=$(groff -man -ww -z "$MAN" 2>&1)
	[ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
	text=$(groff -man -Tutf8 -P-cbou "$MAN" 2>/dev/null)
	expect_in "$text" "EXIT STATUS" "the rendered man page"
	expect_in "$text" "bunpy sync [OPTIONS]" "the rendered man page"
else
	echo "docs: groff is not installed; the man page's rendering is not checked" >&2
fi

# ---------------------------------------------------------------- bunpy complete in a project
P="$WORK/proj"
mkdir -p "$P/sub"
cat > "$P/pyproject.toml" <<'EOF'
[project]
name = "app"
version = "1.0"
dependencies = ["anyio"]

[project.optional-dependencies]
cli = ["click"]
links = ["linkify"]

[dependency-groups]
dev = ["pytest"]
docs = ["sphinx"]

[tool.bunpy.tasks]
build = "make"
"test:unit" = "pytest"
EOF
cat > "$P/pylock.toml" <<'EOF'
lock-version = "1.0"
created-by = "docs.sh"

[[packages]]
name = "anyio"
version = "4.4.0"

[[packages]]
name = "certifi"
version = "2024.2.2"
EOF
cd "$P/sub" || exit 1
c() {   # c WORD...: the candidates, one line, space-separated
	OUT=$("$BUNPY" complete -- "$@" 2>"$WORK/.stderr")
	RC=$?
	ERR=$(cat "$WORK/.stderr")
	OUT=$(echo $OUT)
	[ "$RC" -eq 0 ] && [ -z "$ERR" ] || fail "bunpy complete -- $*: status $RC, stderr: $ERR"
}
c run ''; expect_eq "$OUT" "build test:unit" "tasks for run (from a subdirectory)"
c run b; expect_eq "$OUT" "build" "tasks for run, by prefix"
c run build ''; expect_eq "$OUT" "build test:unit" "run takes several tasks"
c run script.py --; expect_eq "$OUT" "" "the words after run's target are the program's"
if "$BUNPY" run --help | grep -q -- '-m, --[a-z-]* MODULE'; then
	c run -m ''; expect_eq "$OUT" "" "run -m MODULE"
	c run -m http.server --; expect_eq "$OUT" "" "after run -m MODULE, the program's arguments"
fi
c script.py -; expect_eq "$OUT" "" "bunpy SCRIPT.py ARGS"
c why an; expect_eq "$OUT" "anyio" "locked packages for why"
c remove ''; expect_eq "$OUT" "anyio certifi" "locked packages for remove"
c lock -P c; expect_eq "$OUT" "certifi" "locked packages for -P"
c lock --upgrade-package=a; expect_eq "$OUT" "--upgrade-package=anyio" "locked packages for --upgrade-package="
c sync --extra ''; expect_eq "$OUT" "cli links" "extras for --extra"
c sync --group d; expect_eq "$OUT" "dev docs" "groups for --group"
c sync --link-mode ''; expect_eq "$OUT" "clone hardlink copy" "link modes"
c lock --resolution low; expect_eq "$OUT" "lowest lowest-direct" "resolution modes"
c --color ''; expect_eq "$OUT" "auto always never" "--color values"
c sync --color=n; expect_eq "$OUT" "--color=never" "--color=VALUE"
c export --output ''; expect_eq "$OUT" "" "a FILE argument: nothing, the shell completes files"
c -C ''; expect_eq "$OUT" "" "a DIR argument: nothing"
c help s; expect_eq "$OUT" "sync" "commands after help"
c sync -- --; expect_eq "$OUT" "" "no options after --"
c nosuch ''; expect_eq "$OUT" "" "an unknown command: nothing"
cd "$WORK/empty" || exit 1
c -C "$P" run t; expect_eq "$OUT" "test:unit" "tasks of the project named by -C"
c run ''; expect_eq "$OUT" "" "no project: no tasks"
c --directory="$P" why ''; expect_eq "$OUT" "anyio certifi" "--directory=DIR"
printf '[project\n' > "$WORK/empty/pyproject.toml"
c run ''; expect_eq "$OUT" "" "a broken pyproject.toml: no tasks, no error"
c why ''; expect_eq "$OUT" "" "no pylock.toml: no packages"
rm -f "$WORK/empty/pyproject.toml"
bp complete --help
expect_rc 0 "complete --help"
expect_in "$OUT" "Usage: bunpy complete" "complete --help"
bp --help
expect_not_in "$OUT" "  complete " "complete is hidden from bunpy --help"

# ---------------------------------------------------------------- the shells
PATH="$BINDIR:$PATH"
export PATH
cd "$P" || exit 1
# bash: the function fills COMPREPLY as bash would ask it to
bash_complete() {   # bash_complete CWORD WORD...: COMPREPLY, space-separated
	cword=$1
	shift
	bash --norc --noprofile -c '
		. "$1"
		shift
		cword=$1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$cword
		_bunpy
		echo "${COMPREPLY[*]}"
		complete -p bunpy' bash "$COMPL/bunpy.bash" "$cword" "$@" 2>&1
}
out=$(bash_complete 1 bunpy ru)
expect_eq "$(echo "$out" | head -1)" "run" "bash: bunpy ru"
expect_in "$out" "-o default" "bash: falls back to file names"
expect_in "$out" "-F _bunpy bunpy" "bash: registered for bunpy"
out=$(bash_complete 2 bunpy lock --up | head -1)
expect_eq "$out" "--upgrade --upgrade-package" "bash: options"
out=$(bash_complete 3 bunpy --color = al | head -1)
expect_eq "$out" "always" "bash: --color=al (bash splits at '=')"
out=$(bash_complete 2 bunpy --color = | head -1)
expect_eq "$out" "auto always never" "bash: --color= (bash splits at '=')"
out=$(bash_complete 2 bunpy run '' | head -1)
expect_eq "$out" "build test:unit" "bash: tasks"
out=$(bash_complete 4 bunpy run test : u | head -1)
expect_eq "$out" "unit" "bash: a task name with ':' (bash splits at ':')"
out=$(bash_complete 3 bunpy export --output '' | head -1)
expect_eq "$out" "" "bash: files (nothing from bunpy)"
out=$(bash_complete 1 "$BINDIR/bunpy" sy | head -1)
expect_eq "$out" "sync" "bash: bunpy called by its path"

if command -v zsh >/dev/null 2>&1; then
	out=$(zsh -n "$COMPL/_bunpy" 2>&1) || fail "zsh: _bunpy does not parse: $out"
	# compsys finds it by its #compdef line
	out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$2"; print -r -- ${_comps[bunpy]}' \
		zsh "$COMPL" "$WORK/zcompdump" 2>&1)
	expect_eq "$out" "_bunpy" "zsh: compinit registers _bunpy for bunpy"
	# and it hands compadd what bunpy complete says, or asks for files
	zsh_complete() {
		zsh -f -c 'compadd() { shift ${@[(i)--]}; print -r -- "$@"; }
			_files() { print -r -- FILES; }
			_b() { source "$1"; }
			words=("${@[2,-1]}"); CURRENT=$#words; _b "$1"' zsh "$COMPL/_bunpy" "$@" 2>&1
	}
	expect_eq "$(zsh_complete bunpy ru)" "run" "zsh: bunpy ru"
	expect_eq "$(zsh_complete bunpy run '')" "build test:unit" "zsh: tasks"
	expect_eq "$(zsh_complete bunpy --color=al)" "--color=always" "zsh: --color=al"
	expect_eq "$(zsh_complete bunpy export -o '')" "FILES" "zsh: files"
else
	echo "docs: zsh is not installed; its completion is not checked" >&2
fi

if command -v fish >/dev/null 2>&1; then
	out=$(fish --no-config -n "$COMPL/bunpy.fish" 2>&1) || fail "fish: bunpy.fish does not parse: $out"
	fish_complete() {
		fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$COMPL/bunpy.fish" "$1" 2>&1 |
			cut -f1 | tr '\n' ' ' | sed 's/ $//'
	}
	expect_eq "$(fish_complete 'bunpy ru')" "run" "fish: bunpy ru"
	expect_eq "$(fish_complete 'bunpy lock --che')" "--check" "fish: options"
	expect_eq "$(fish_complete 'bunpy run ')" "build test:unit" "fish: tasks"
	expect_eq "$(fish_complete 'bunpy --color=ne')" "--color=never" "fish: --color=ne"
	expect_eq "$(fish_complete 'bunpy export -o pyproj')" "pyproject.toml" "fish: files"
else
	echo "docs: fish is not installed; its completion is not checked" >&2
fi

finish
