#!/bin/sh
# bunpy graph: the persisted graph as text, Graphviz and JSON; --why; --trace; --stats.
. "$(dirname "$0")/lib.sh"

P="$WORK/proj"
mkdir -p "$P/src"
cd "$P" || exit 1
cat > pyproject.toml <<'TOML'
[tool.bunpy.tasks.compile]
cmd = "cat src/*.c > app.o"
inputs = ["src/*.c"]
outputs = ["app.o"]

[tool.bunpy.tasks.link]
cmd = "cp app.o app"
inputs = ["app.o"]
outputs = ["app"]
TOML
echo "int a;" > src/a.c
echo "int b;" > src/b.c

bp graph
expect_rc 0 "graph before any build"
expect_in "$ERR" "nothing has been built" "graph before any build says so"

bp run link
expect_rc 0 "build"

# text: nodes, what they read and write
bp graph link
expect_rc 0 "text graph"
expect_in "$OUT" "task:link  [built" "text shows the task"
expect_in "$OUT" "reads task:compile" "implicit dependency through app.o"
expect_in "$OUT" "reads file:src/b.c" "glob matches are inputs"
expect_in "$OUT" "writes file:app" "outputs"

# dot: valid for Graphviz, with the edges
bp graph --format dot
expect_rc 0 "dot graph"
if command -v dot >/dev/null 2>&1; then
	printf '%s\n' "$OUT" | dot -Tsvg > "$WORK/graph.svg" 2> "$WORK/dot.err" ||
		fail "dot -Tsvg rejected the graph: $(cat "$WORK/dot.err")"
	grep -q "<svg" "$WORK/graph.svg" || fail "dot produced no SVG"
	grep -q "task:link" "$WORK/graph.svg" || fail "the SVG does not show task:link"
else
	fail "graphviz (dot) is not installed; the dot test cannot run"
fi

# json: parses, and every dep id names a node
bp graph --format json
expect_rc 0 "json graph"
printf '%s\n' "$OUT" | python3 -c '
import json, sys
g = json.load(sys.stdin)
ids = {n["id"] for n in g["nodes"]}
names = {n["kind"] + ":" + n["key"] for n in g["nodes"]}
assert "task:link" in names and "file:src/a.c" in names, names
for n in g["nodes"]:
    for d in n["deps"] + n["outputs"]:
        assert d in ids, (n, d)
' || fail "json graph is not valid or not consistent"

# --why names the changed file, with old and new digests
settle
echo "int b2;" > src/b.c
bp graph --why link
expect_rc 0 "why"
expect_in "$OUT" "task:link would run: it depends on task:compile, which would run" "why follows the chain"
expect_in "$OUT" "task:compile would run: input file src/b.c changed (old " "why names the file"
expect_in "$OUT" ", new " "why gives both digests"
bp graph --why compile
expect_in "$OUT" "input file src/b.c changed" "why on the direct task"
rm src/b.c
bp graph --why compile
expect_in "$OUT" "task:compile would run: glob:src/*.c changed" "a deleted file changes the glob"
echo "int b2;" > src/b.c
bp run link
bp graph --why link
expect_in "$OUT" "up to date" "why after the build"
rm app
bp graph --why link
expect_in "$OUT" "output app is missing, and would be restored from the cache" "why on a missing output"
sed -i 's/cp app.o app/cp app.o app \&\& true/' pyproject.toml
bp graph --why link
expect_in "$OUT" "task-def:link changed" "why on a changed command"
bp run link

# --trace: Chrome Trace Event Format, one complete event per node of the last run
bp graph --trace "$WORK/trace.json"
expect_rc 0 "trace"
python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
ev = [e for e in t["traceEvents"] if e["ph"] == "X"]
assert ev, "no events"
for e in ev:
    for k in ("name", "cat", "ts", "dur", "pid", "tid"):
        assert k in e, (k, e)
    assert e["dur"] >= 0 and e["ts"] >= 0
names = {e["name"] for e in ev}
assert "task:link" in names, names
ran = [e for e in ev if e["name"] == "task:link"]
assert ran[0]["args"]["result"] == "ran", ran
meta = [e for e in t["traceEvents"] if e["ph"] == "M"]
assert any(m["name"] == "thread_name" for m in meta)
' "$WORK/trace.json" || fail "the trace is not valid Trace Event JSON"
bp graph --trace - 
expect_in "$OUT" '"traceEvents"' "trace to stdout"

# --stats: counts per kind and result, cache hits, critical path
bp graph --stats
expect_rc 0 "stats"
expect_in "$OUT" "task " "stats has a task row"
expect_in "$OUT" "cache hits: " "stats has cache hits"
expect_in "$OUT" "critical path: " "stats has the critical path"
expect_in "$OUT" "task:link" "the critical path ends at link"

# --kind filter and unknown targets
bp graph --kind task
expect_not_in "$OUT" "file:src/a.c  [" "--kind task hides files"
bp graph nosuchtask
expect_rc 2 "unknown target"
expect_in "$ERR" "task:nosuchtask is not in the graph" "unknown target message"
bp graph --format yaml
expect_rc 2 "bad format"

finish
