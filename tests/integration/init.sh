#!/bin/sh
# init.sh - `bunpy init`: the files of a new project (--app, --lib, in a new directory
# NAME or the current one, -C, --name), that bunpy and tomllib read the pyproject.toml
# it writes and `bunpy lock` accepts it, that the generated test passes under pytest
# (when Debian's python3-pytest is there), and its refusals: an existing project, a
# non-empty directory, a bad name, no interpreter; each leaves every byte as it was.
. "$top_srcdir/tests/integration/lib.sh"

# No index is needed to lock a project without dependencies; none is reachable.
export BUNPY_INDEX_URL="file://$WORK/no-index"
unset BUNPY_PYTHON
PY=python3
MINOR=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# A listing of every file under a directory with its hash: equal listings, equal trees
# (bunpy's cache and lib.sh's captured stderr left out).
snapshot() {
	(cd "$1" && find . \( -path ./.cache -o -path ./.stderr \) -prune -o -print | LC_ALL=C sort | while read -r f; do
		if [ -f "$f" ]; then echo "$f $(sha256sum < "$f" | cut -d' ' -f1)"; else echo "$f"; fi
	done)
}

# toml_get FILE EXPR: a value of the parsed file, by Python's tomllib.
toml_get() {
	$PY -c 'import sys, tomllib; d = tomllib.load(open(sys.argv[1], "rb")); print(eval(sys.argv[2]))' "$1" "$2"
}

cd "$WORK" || exit 1

# ---------------------------------------------------------------- a new application
bp init app
expect_rc 0 "init app"
expect_in "$ERR" "Initialized project app in $WORK/app" "init app: summary"
for f in pyproject.toml src/app/__init__.py tests/test_app.py README.md .gitignore .python-version; do
	[ -f "app/$f" ] || fail "init app: app/$f missing"
done
expect_eq "$(cat app/.python-version)" "$MINOR" "init app: .python-version"
expect_eq "$(toml_get app/pyproject.toml 'd["project"]["name"]')" "app" "init app: name"
expect_eq "$(toml_get app/pyproject.toml 'd["project"]["version"]')" "0.1.0" "init app: version"
expect_eq "$(toml_get app/pyproject.toml 'd["project"]["requires-python"]')" ">=$MINOR" "init app: requires-python"
expect_eq "$(toml_get app/pyproject.toml 'd["project"]["dependencies"]')" "[]" "init app: dependencies"
expect_eq "$(toml_get app/pyproject.toml 'd["project"]["readme"]')" "README.md" "init app: readme"
expect_eq "$(toml_get app/pyproject.toml 'd["project"]["scripts"]')" "{'app': 'app:main'}" "init app: scripts"
expect_eq "$(toml_get app/pyproject.toml 'd["build-system"]["build-backend"]')" "setuptools.build_meta" \
	"init app: a package (sync installs it, so its script is a command)"
for pat in .venv/ __pycache__/ .bunpy/ '*.pyc' dist/; do
	grep -qxF "$pat" app/.gitignore || fail "init app: .gitignore lacks $pat"
done
OUT=$(cd app && PYTHONPATH=src $PY -c 'import app; app.main()')
expect_eq "$OUT" "Hello from app!" "init app: main()"
# bunpy reads back what it wrote, and locks it
bp -C app lock
expect_rc 0 "lock of the new project"
[ -f app/pylock.toml ] || fail "lock of the new project: no pylock.toml"

# The generated test passes under pytest (Debian's python3-pytest).
PYTEST=
for cand in "${PYTHON3:-}" python3 /usr/bin/python3; do
	[ -n "$cand" ] && "$cand" -m pytest --version >/dev/null 2>&1 && { PYTEST=$cand; break; }
done
if [ -n "$PYTEST" ]; then
	OUT=$(cd app && "$PYTEST" -m pytest -q -p no:cacheprovider 2>&1)
	[ $? -eq 0 ] || fail "pytest of the new app: $OUT"
	expect_in "$OUT" "1 passed" "pytest of the new app"
else
	echo "SKIP: pytest is not installed (apt install python3-pytest): the generated tests were not run"
fi

# ---------------------------------------------------------------- a library, --name, -C
mkdir -p "$WORK/where"
bp -C where init --lib My.Lib
expect_rc 0 "init --lib in -C"
[ -f "where/My.Lib/src/my_lib/__init__.py" ] || fail "init --lib: src/my_lib/__init__.py missing"
[ -f "where/My.Lib/tests/test_my_lib.py" ] || fail "init --lib: tests/test_my_lib.py missing"
expect_eq "$(toml_get where/My.Lib/pyproject.toml 'd["project"]["name"]')" "My.Lib" "init --lib: name as written"
expect_eq "$(toml_get where/My.Lib/pyproject.toml 'd["build-system"]["build-backend"]')" \
	"setuptools.build_meta" "init --lib: build-backend"
expect_eq "$(toml_get where/My.Lib/pyproject.toml '"scripts" in d["project"]')" "False" "init --lib: no scripts"
OUT=$(cd where/My.Lib && PYTHONPATH=src $PY -c 'import my_lib; print(my_lib.hello())')
expect_eq "$OUT" "Hello from My.Lib!" "init --lib: hello()"
if [ -n "$PYTEST" ]; then
	OUT=$(cd where/My.Lib && "$PYTEST" -m pytest -q -p no:cacheprovider 2>&1)
	[ $? -eq 0 ] || fail "pytest of the new library: $OUT"
fi
bp -C where/My.Lib lock
expect_rc 0 "lock of the new library"

# In the current directory, named after it; an existing README is kept.
mkdir "$WORK/here-proj" && echo "my own readme" > "$WORK/here-proj/README.md"
(cd "$WORK/here-proj" && "$BUNPY" init 2>"$WORK/.stderr"); RC=$?; ERR=$(cat "$WORK/.stderr")
expect_rc 0 "init in the current directory"
expect_eq "$(toml_get here-proj/pyproject.toml 'd["project"]["name"]')" "here-proj" "init here: named after the directory"
[ -f here-proj/src/here_proj/__init__.py ] || fail "init here: src/here_proj/__init__.py missing"
expect_eq "$(cat here-proj/README.md)" "my own readme" "init here: the existing README is kept"
expect_eq "$(toml_get here-proj/pyproject.toml 'd["project"]["scripts"]')" "{'here-proj': 'here_proj:main'}" "init here: the script"

bp init --name other-name named-dir
expect_rc 0 "init --name"
expect_eq "$(toml_get named-dir/pyproject.toml 'd["project"]["name"]')" "other-name" "init --name: the name"
[ -f named-dir/src/other_name/__init__.py ] || fail "init --name: src/other_name/__init__.py missing"

# An empty directory NAME is fine.
mkdir empty-dir
bp init empty-dir
expect_rc 0 "init into an empty directory"

# ---------------------------------------------------------------- refusals
BEFORE=$(snapshot "$WORK/app")
bp init app
expect_rc 1 "init over an existing project"
expect_in "$ERR" "app already has a pyproject.toml" "init over an existing project: message"
expect_eq "$(snapshot "$WORK/app")" "$BEFORE" "init over an existing project: nothing changed"
bp -C app init
expect_rc 1 "init in an existing project"
expect_eq "$(snapshot "$WORK/app")" "$BEFORE" "init in an existing project: nothing changed"
bp -C app init --lib --name different
expect_rc 1 "init --lib in an existing project"
expect_eq "$(snapshot "$WORK/app")" "$BEFORE" "init --lib in an existing project: nothing changed"

mkdir full && echo x > full/data.txt
BEFORE=$(snapshot "$WORK/full")
bp init full
expect_rc 1 "init into a non-empty directory"
expect_in "$ERR" "not empty" "init into a non-empty directory: message"
expect_eq "$(snapshot "$WORK/full")" "$BEFORE" "init into a non-empty directory: nothing changed"

echo x > afile
bp init afile
expect_rc 1 "init NAME where NAME is a file"
expect_eq "$(cat afile)" "x" "init NAME where NAME is a file: the file is intact"

TOP=$(snapshot "$WORK")
bp init 'bad name!'
expect_rc 2 "init with an invalid name"
expect_in "$ERR" "not a valid project name" "init with an invalid name: message"
bp init -- -leading-dash
expect_rc 2 "init with a name starting with '-'"
bp init 2fast
expect_rc 2 "init with a name Python cannot import"
bp init class
expect_rc 2 "init with a keyword as the name"
bp init --app --lib both
expect_rc 2 "init --app --lib"
bp init one two
expect_rc 2 "init with two names"
bp init --python "$WORK/no-such-python" nopython
expect_rc 1 "init with an interpreter that does not exist"
expect_eq "$(snapshot "$WORK")" "$TOP" "refused inits wrote nothing"

mkdir srcfile && echo x > srcfile/src
bp -C srcfile init
expect_rc 1 "init where src is a file"
[ ! -e srcfile/pyproject.toml ] || fail "init where src is a file: wrote pyproject.toml"
[ ! -e srcfile/README.md ] || fail "init where src is a file: wrote README.md"

finish
