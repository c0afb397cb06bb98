#!/bin/sh
# tree.sh - `bunpy tree`, `bunpy why`, `bunpy outdated` and `bunpy update` against a
# local index (tests/fixtures/mkindex.py, read through file:// URLs) that gains newer
# versions between the lock and the update.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/packaging/find_python.sh"
find_python json "json"
export BUNPY_PYTHON="$py"

INDEX="$WORK/index"
P="$WORK/app"
mkdir -p "$P"

# The first index: what the project is locked against. cyc-a and cyc-b require each
# other; colorama only on Windows (so never in this lock).
cat > "$WORK/spec1.json" <<'EOF'
{"packages": {
 "httpx": {"0.27.0": {"requires": ["anyio>=4", "certifi", "idna"]}},
 "anyio": {"4.3.0": {"requires": ["idna>=2.8", "sniffio"]}},
 "idna": {"3.6": {}},
 "sniffio": {"1.3.1": {}},
 "certifi": {"2024.2.2": {}},
 "cyc-a": {"1.0": {"requires": ["cyc-b"]}},
 "cyc-b": {"1.0": {"requires": ["cyc-a"]}},
 "pytest": {"8.2.0": {"requires": ["iniconfig", "colorama; sys_platform == 'win32'"]}},
 "iniconfig": {"2.0.0": {}},
 "colorama": {"0.4.6": {}},
 "rich": {"13.0.0": {"extras": {"jupyter": ["ipywidgets"]}}},
 "ipywidgets": {"8.0.0": {}}
}}
EOF
# The second: newer versions. anyio 4.5.0 is above what pyproject allows (wanted 4.4.0,
# latest 4.5.0); a pre-release, a yanked release and one for a newer Python are never
# "latest"; httpx 0.28.0 trades certifi for h11.
"$py" - "$WORK/spec1.json" "$WORK/spec2.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
p = s["packages"]
p["anyio"]["4.4.0"] = {"requires": ["idna>=2.8", "sniffio"]}
p["anyio"]["4.5.0"] = {"requires": ["idna>=2.8", "sniffio"]}
p["anyio"]["5.0.0rc1"] = {"requires": ["idna>=2.8", "sniffio"]}
p["idna"]["3.7"] = {}
p["idna"]["3.9"] = {"yanked": True}
p["certifi"]["2099.1.1"] = {"requires_python": ">=3.99"}
p["httpx"]["0.28.0"] = {"requires": ["anyio>=4", "h11", "idna"]}
p["h11"] = {"1.0.0": {}}
json.dump(s, open(sys.argv[2], "w"))
EOF
"$py" "$FIXTURES_DIR/mkindex.py" "$WORK/spec1.json" "$INDEX" || fail "mkindex spec1"

cat > "$P/pyproject.toml" <<EOF
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["httpx", "anyio<4.5", "cyc-a", "colorama; sys_platform == 'win32'"]

[project.optional-dependencies]
fancy = ["rich[jupyter]"]

[dependency-groups]
dev = ["pytest"]

[tool.bunpy]
index-url = "file://$INDEX/simple"
EOF
cd "$P" || exit 1

bp sync
expect_rc 0 "first sync"

# ---- tree ------------------------------------------------------------------------------
bp tree
expect_rc 0 "tree"
expect_eq "$OUT" "app 0.1.0
├── httpx 0.27.0
│   ├── anyio 4.3.0
│   │   ├── idna 3.6
│   │   └── sniffio 1.3.1
│   ├── certifi 2024.2.2
│   └── idna 3.6
├── anyio 4.3.0 (*)
├── cyc-a 1.0
│   └── cyc-b 1.0
│       └── cyc-a 1.0 (*)
└── pytest 8.2.0 (group: dev)
    └── iniconfig 2.0.0" "tree of the lock"

bp tree --depth 1
expect_rc 0 "tree --depth 1"
expect_eq "$OUT" "app 0.1.0
├── httpx 0.27.0
├── anyio 4.3.0
├── cyc-a 1.0
└── pytest 8.2.0 (group: dev)" "tree --depth 1"

bp tree --depth 0
expect_eq "$OUT" "app 0.1.0" "tree --depth 0"

bp tree --depth x
expect_rc 2 "tree --depth x"

bp tree --all-extras --no-dev
expect_rc 0 "tree --all-extras --no-dev"
expect_in "$OUT" "└── rich 13.0.0 (extra: fancy)
    └── ipywidgets 8.0.0" "tree with the extra"
expect_not_in "$OUT" "pytest" "tree --no-dev"

bp tree anyio
expect_rc 0 "tree anyio"
expect_eq "$OUT" "anyio 4.3.0
├── idna 3.6
└── sniffio 1.3.1" "tree NAME"

bp tree --invert idna
expect_rc 0 "tree --invert idna"
expect_eq "$OUT" "idna 3.6
├── anyio 4.3.0
│   ├── httpx 0.27.0
│   │   └── app 0.1.0
│   └── app 0.1.0
└── httpx 0.27.0 (*)" "tree --invert NAME"

bp tree --invert
expect_rc 0 "tree --invert"
expect_eq "$OUT" "certifi 2024.2.2
└── httpx 0.27.0
    └── app 0.1.0
idna 3.6
├── anyio 4.3.0
│   ├── httpx 0.27.0
│   │   └── app 0.1.0
│   └── app 0.1.0
└── httpx 0.27.0 (*)
iniconfig 2.0.0
└── pytest 8.2.0
    └── app 0.1.0 (group: dev)
sniffio 1.3.1
└── anyio 4.3.0
    ├── httpx 0.27.0
    │   └── app 0.1.0
    └── app 0.1.0" "tree --invert: every leaf"

bp tree colorama
expect_rc 1 "tree of a package not in the lock"
expect_in "$ERR" "colorama is not in pylock.toml" "tree NAME not locked"

bp tree ipywidgets
expect_rc 1 "tree of a package of an extra not chosen"
expect_in "$ERR" "--all-extras" "tree NAME of an extra: the hint"

bp --color always tree --depth 1
expect_in "$OUT" "$(printf '\033[1mhttpx\033[0m \033[2m0.27.0\033[0m')" "tree with colour"

# ---- why ---------------------------------------------------------------------------------
bp why idna
expect_rc 0 "why idna"
expect_eq "$OUT" "app -> httpx -> anyio -> idna 3.6
app -> httpx -> idna 3.6
app -> anyio -> idna 3.6" "why: every path"

bp why anyio
expect_eq "$OUT" "app -> httpx -> anyio 4.3.0
app -> anyio 4.3.0 (project.dependencies)" "why of a direct dependency"

bp why iniconfig
expect_eq "$OUT" "app -> pytest -> iniconfig 2.0.0" "why through a group"

bp why ipywidgets
expect_eq "$OUT" "app -> rich -> ipywidgets 8.0.0" "why through an extra"

bp why cyc-b
expect_rc 0 "why in a cycle"
expect_eq "$OUT" "app -> cyc-a -> cyc-b 1.0" "why in a cycle"

bp why colorama
expect_rc 1 "why of a package not in the lock"
expect_in "$ERR" "colorama is not in pylock.toml" "why NAME not locked"

bp why
expect_rc 2 "why without a NAME"

# ---- outdated ----------------------------------------------------------------------------
bp outdated
expect_rc 0 "outdated, nothing newer"
expect_eq "$OUT" "" "outdated, nothing newer: no table"
expect_in "$ERR" "All 11 packages are up to date" "outdated, nothing newer"

"$py" "$FIXTURES_DIR/mkindex.py" "$WORK/spec2.json" "$INDEX" || fail "mkindex spec2"
cp pylock.toml "$WORK/lock.before"
cp pyproject.toml "$WORK/pyproject.before"
ls .venv/lib/python*/site-packages | grep dist-info > "$WORK/venv.before"

bp outdated
expect_rc 0 "outdated"
expect_eq "$(echo "$OUT" | head -n 1)" "Package  Current  Wanted  Latest" "outdated: the header"
expect_eq "$OUT" "Package  Current  Wanted  Latest
anyio    4.3.0    4.4.0   4.5.0
httpx    0.27.0   0.28.0  0.28.0
idna     3.6      3.7     3.7" "outdated: the table"
expect_not_in "$OUT" "5.0.0rc1" "outdated: no pre-release"
expect_not_in "$OUT" "3.9" "outdated: no yanked release"
expect_not_in "$OUT" "certifi" "outdated: no release for another Python"
expect_not_in "$OUT" "pytest" "outdated: only what has newer versions"

bp outdated --json
expect_rc 0 "outdated --json"
echo "$OUT" > "$WORK/outdated.json"
check=$("$py" - "$WORK/outdated.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
by = {r["name"]: r for r in rows}
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want([r["name"] for r in rows] == sorted(by), "sorted by name")
want(set(by) == {"anyio", "httpx", "idna"}, "the outdated packages: %s" % sorted(by))
a = by.get("anyio", {})
want((a.get("current"), a.get("wanted"), a.get("latest"), a.get("direct")) ==
     ("4.3.0", "4.4.0", "4.5.0", True), "anyio: %r" % a)
i = by.get("idna", {})
want((i.get("current"), i.get("wanted"), i.get("latest"), i.get("direct")) ==
     ("3.6", "3.7", "3.7", False), "idna: %r" % i)
want(by.get("httpx", {}).get("direct") is True, "httpx is direct")
want(all(set(r) == {"name", "current", "wanted", "latest", "direct"} for r in rows), "keys")
print("; ".join(problems) or "ok")
EOF
)
expect_eq "$check" "ok" "outdated --json"

cmp -s pylock.toml "$WORK/lock.before" || fail "outdated changed pylock.toml"

# ---- update ------------------------------------------------------------------------------
bp update --dry-run
expect_rc 0 "update --dry-run"
expect_in "$ERR" " ~ anyio 4.3.0 -> 4.4.0" "update --dry-run: anyio"
expect_in "$ERR" " + h11 1.0.0" "update --dry-run: a new package"
expect_in "$ERR" " - certifi 2024.2.2" "update --dry-run: a package that goes"
expect_in "$ERR" "Would update 5 packages" "update --dry-run: the count"
cmp -s pylock.toml "$WORK/lock.before" || fail "update --dry-run changed pylock.toml"
cmp -s pyproject.toml "$WORK/pyproject.before" || fail "update --dry-run changed pyproject.toml"
ls .venv/lib/python*/site-packages | grep dist-info > "$WORK/venv.dry"
cmp -s "$WORK/venv.before" "$WORK/venv.dry" || fail "update --dry-run changed .venv"

bp update nope
expect_rc 1 "update of a package not in the lock"
expect_in "$ERR" "nope is not in pylock.toml" "update NAME not locked"
cmp -s pylock.toml "$WORK/lock.before" || fail "a failed update changed pylock.toml"

bp update idna
expect_rc 0 "update idna"
expect_eq "$(echo "$ERR" | grep '^ [~+-] ' | grep -v '==')" " ~ idna 3.6 -> 3.7" "update NAME: only it moves"
expect_in "$ERR" "Updated 1 package" "update NAME: the count"
expect_in "$(cat pylock.toml)" 'version = "4.3.0"' "update NAME: anyio stays"
expect_in "$(cat pylock.toml)" 'version = "0.27.0"' "update NAME: httpx stays"
[ -d .venv/lib/python*/site-packages/idna-3.7.dist-info ] || fail "update NAME: .venv has idna 3.7"
[ -d .venv/lib/python*/site-packages/anyio-4.3.0.dist-info ] || fail "update NAME: .venv keeps anyio 4.3.0"

bp update
expect_rc 0 "update"
expect_in "$ERR" " ~ anyio 4.3.0 -> 4.4.0" "update: anyio"
expect_in "$ERR" " ~ httpx 0.27.0 -> 0.28.0" "update: httpx"
expect_in "$ERR" " + h11 1.0.0" "update: h11 comes"
expect_in "$ERR" " - certifi 2024.2.2" "update: certifi goes"
expect_in "$ERR" "Updated 4 packages" "update: the count"
ls .venv/lib/python*/site-packages | grep dist-info > "$WORK/venv.after"
expect_eq "$(cat "$WORK/venv.after" | tr '\n' ' ')" "anyio-4.4.0.dist-info cyc_a-1.0.dist-info cyc_b-1.0.dist-info h11-1.0.0.dist-info httpx-0.28.0.dist-info idna-3.7.dist-info iniconfig-2.0.0.dist-info pytest-8.2.0.dist-info sniffio-1.3.1.dist-info " ".venv after update"

bp update
expect_rc 0 "update again"
expect_in "$ERR" "Nothing to update" "update again"

bp outdated --json
expect_rc 0 "outdated after update"
expect_eq "$OUT" '[{"name":"anyio","current":"4.4.0","wanted":"4.4.0","latest":"4.5.0","direct":true}]' \
	"outdated after update: anyio is held back by pyproject"

bp tree --depth 1
expect_eq "$OUT" "app 0.1.0
├── httpx 0.28.0
├── anyio 4.4.0
├── cyc-a 1.0
└── pytest 8.2.0 (group: dev)" "tree after update"

# an index that cannot be read: outdated fails
mv "$INDEX" "$INDEX.gone"
bp outdated --refresh
expect_rc 1 "outdated without the index"
mv "$INDEX.gone" "$INDEX"

finish
