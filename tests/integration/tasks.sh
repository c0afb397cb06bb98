#!/bin/sh
# The task runner end to end: a three-task chain, what re-runs after each change,
# outputs restored from the cache, parallel independent tasks, exit statuses.
. "$(dirname "$0")/lib.sh"

P="$WORK/chain"
mkdir -p "$P/src"
cd "$P" || exit 1
cat > pyproject.toml <<'TOML'
[project]
name = "chain"
version = "0.1.0"

[tool.bunpy.tasks.gen]
cmd = "echo gen >> ran.log && mkdir -p build && tr a-z A-Z < src/words.txt > build/upper.txt"
inputs = ["src/words.txt"]
outputs = ["build/upper.txt"]

[tool.bunpy.tasks.count]
cmd = ["sh", "-c", "echo count >> ran.log && wc -l < build/upper.txt > build/count.txt"]
deps = ["gen"]
inputs = ["build/upper.txt"]
outputs = ["build/count.txt"]

[tool.bunpy.tasks.report]
cmd = "echo report >> ran.log && echo lines: $(cat build/count.txt) > build/report.txt"
deps = ["count"]
inputs = ["build/count.txt", "notes.txt"]
outputs = ["build/report.txt"]
TOML
printf 'alpha\nbeta\n' > src/words.txt
echo "first notes" > notes.txt

# 1. the first run runs all three, in dependency order
bp run report
expect_rc 0 "first run"
expect_eq "$(cat ran.log | tr '\n' ' ')" "gen count report " "first run order"
expect_eq "$(cat build/report.txt)" "lines: 2" "report content"
expect_in "$ERR" "3 tasks: 3 ran" "first summary"

# 2. the second run runs none
bp run report
expect_rc 0 "second run"
expect_eq "$(lines ran.log)" 3 "second run ran nothing"
expect_in "$ERR" "3 tasks: 3 up to date" "second summary"

# 3. changing one input re-runs only what depends on it
settle
echo "second notes" > notes.txt
bp run report
expect_eq "$(tail -n +4 ran.log | tr '\n' ' ')" "report " "notes change re-runs only report"
settle
printf 'alpha\nbeta\ngamma\n' > src/words.txt
bp run report
expect_eq "$(tail -n +5 ran.log | tr '\n' ' ')" "gen count report " "words change re-runs the chain"
expect_eq "$(cat build/report.txt)" "lines: 3" "report after change"

# 4. early cutoff: gen re-runs, writes the same file, the rest stays
settle
printf 'ALPHA\nbeta\ngamma\n' > src/words.txt
bp run report
expect_eq "$(tail -n +8 ran.log | tr '\n' ' ')" "gen " "same output stops at gen"

# 5. touch re-runs nothing
settle
touch src/words.txt notes.txt
bp run report
expect_eq "$(lines ran.log)" 8 "touch re-ran something"

# 6. a deleted output is restored from the cache, not re-run
rm build/count.txt
bp run report
expect_eq "$(lines ran.log)" 8 "deleted output re-ran a task"
expect_eq "$(cat build/count.txt | tr -d ' ')" "3" "restored output content"
expect_in "$ERR" "1 restored from cache" "restore summary"

# 7. an output replaced by another file is restored too; one edited in place (it
# shares its inode with the cached copy, which the edit damaged) makes its task run
settle
echo tampered > build/report.txt
bp run report
expect_eq "$(tail -n 1 ran.log)" "report" "output edited in place: its task runs"
expect_eq "$(cat build/report.txt)" "lines: 3" "output edited in place rebuilt"
settle
echo tampered > "$WORK/tampered" && mv "$WORK/tampered" build/report.txt
bp run report
expect_eq "$(lines ran.log)" 9 "replaced output re-ran a task"
expect_eq "$(cat build/report.txt)" "lines: 3" "replaced output restored"

# 8. editing one task's command re-runs that task only
settle
sed -i 's/echo lines: /echo LINES: /' pyproject.toml
bp run report
expect_eq "$(tail -n +10 ran.log | tr '\n' ' ')" "report " "command change"
expect_eq "$(cat build/report.txt)" "LINES: 3" "new command's output"

# 9. back to an earlier state: restored, not re-run (constructive traces)
settle
sed -i 's/echo LINES: /echo lines: /' pyproject.toml
bp run report
expect_eq "$(lines ran.log)" 10 "earlier state re-ran a task"
expect_eq "$(cat build/report.txt)" "lines: 3" "earlier output restored"

# 10. a deleted output whose cache copy is gone is rebuilt
rm -rf "$BUNPY_CACHE_DIR" build/upper.txt
bp run report
expect_rc 0 "rebuild without cache"
expect_eq "$(tail -n +11 ran.log | tr '\n' ' ')" "gen " "missing output without cache re-runs its task"

# 11. a failing task: its exit status comes back, dependents do not run
settle
cat >> pyproject.toml <<'TOML'

[tool.bunpy.tasks.broken]
cmd = "echo broken >> ran.log; exit 3"
inputs = ["notes.txt"]

[tool.bunpy.tasks.after]
cmd = "echo after >> ran.log"
deps = ["broken"]
TOML
bp run after
expect_rc 3 "failing task's status"
expect_in "$ERR" "task 'broken' failed with exit status 3" "failure message"
expect_not_in "$(cat ran.log)" "after" "dependent of a failure ran"
bp run broken
expect_rc 3 "a failed task runs again"
expect_eq "$(grep -c broken ran.log)" 2 "failed task re-ran"

# 12. --keep-going runs what does not depend on the failure
cat >> pyproject.toml <<'TOML'

[tool.bunpy.tasks.other]
cmd = "echo other >> ran.log"
inputs = ["notes.txt"]

[tool.bunpy.tasks.both]
cmd = "true"
deps = ["broken", "other"]
TOML
bp run -j1 both
expect_rc 3 "both fails"
expect_not_in "$(cat ran.log)" "other" "without --keep-going, other ran after the failure"
bp run -j1 --keep-going both
expect_rc 3 "keep-going status"
expect_in "$(cat ran.log)" "other" "--keep-going ran other"

# 13. independent tasks run in parallel: each waits until the other two have started,
# which only ends if all three run at once (and gives up after 20 s otherwise)
P2="$WORK/par"
mkdir -p "$P2"
cd "$P2" || exit 1
cat > pyproject.toml <<'TOML'
[tool.bunpy.tasks]
a = "sh barrier.sh a"
b = "sh barrier.sh b"
c = "sh barrier.sh c"
all = { cmd = "true", deps = ["a", "b", "c"] }
TOML
cat > barrier.sh <<'SH'
touch "started.$1"
i=0
while [ ! -e started.a ] || [ ! -e started.b ] || [ ! -e started.c ]; do
	i=$((i + 1))
	[ "$i" -gt "${BARRIER_TRIES:-400}" ] && { echo "$1 waited alone" >> alone.log; exit 1; }
	sleep 0.05
done
SH
bp run -j3 all
expect_rc 0 "parallel run"
[ -e alone.log ] && fail "with -j3, tasks did not run at the same time: $(cat alone.log)"
rm -f started.* alone.log
BARRIER_TRIES=4 bp run -j1 all
expect_rc 1 "with -j1 the barrier cannot be met"
[ -e alone.log ] || fail "the barrier check itself is broken"
# and -j2 never runs a third task at once
rm -f started.* alone.log
BARRIER_TRIES=10 bp run -j2 all
expect_rc 1 "with -j2 the barrier of three cannot be met"
[ -e started.c ] && [ -e started.a ] && [ -e started.b ] && fail "-j2 ran three tasks at once"
unset BARRIER_TRIES

# 14. tasks without inputs or outputs run every time
cd "$P" || exit 1
cat >> pyproject.toml <<'TOML'

[tool.bunpy.tasks.hello]
cmd = "echo hello >> ran.log"
TOML
bp run hello
bp run hello
expect_eq "$(grep -c hello ran.log)" 2 "a task without inputs or outputs runs every time"

# 15. listing
bp run
expect_rc 0 "listing"
expect_in "$OUT" "report" "list has report"
expect_in "$OUT" "echo hello >> ran.log" "list shows commands"

# 16. output streams through, env and cwd apply
cat >> pyproject.toml <<'TOML'

[tool.bunpy.tasks.envcwd]
cmd = "echo \"$GREETING from $(basename $(pwd))\""
env = { GREETING = "hi" }
cwd = "src"
TOML
bp run envcwd
expect_eq "$OUT" "hi from src" "env and cwd"

# a PATH the task sets is where its command is looked up
mkdir -p tools
printf '#!/bin/sh\necho greetings from tools\n' > tools/greet
chmod +x tools/greet
cat >> pyproject.toml <<TOML

[tool.bunpy.tasks.greet]
cmd = ["greet"]
env = { PATH = "$P/tools:/usr/bin:/bin" }
TOML
bp run greet
expect_rc 0 "command found in the task's PATH"
expect_eq "$OUT" "greetings from tools" "the task's PATH"
# a relative PATH entry is relative to the task's directory, wherever bunpy started
mkdir -p sub/bin
printf '#!/bin/sh\necho greetings from sub\n' > sub/bin/greet
chmod +x sub/bin/greet
cat >> pyproject.toml <<'TOML'

[tool.bunpy.tasks.greet-sub]
cmd = ["greet"]
cwd = "sub"
env = { PATH = "bin:/usr/bin:/bin" }
TOML
cd src || exit 1
bp run greet-sub
cd .. || exit 1
expect_rc 0 "command found in a relative PATH entry"
expect_eq "$OUT" "greetings from sub" "relative PATH entry"

# 17. an earlier result whose cached copy is damaged: the task runs, once, instead
P3="$WORK/damaged"
mkdir -p "$P3"
cd "$P3" || exit 1
cat > pyproject.toml <<'TOML'
[tool.bunpy.tasks.copy]
cmd = "echo run >> ran.log && cat in.txt > out.txt"
inputs = ["in.txt"]
outputs = ["out.txt"]
TOML
echo one > in.txt
bp run copy
settle
echo two > in.txt
bp run copy
expect_eq "$(lines ran.log)" 2 "two different inputs, two runs"
sha=$(printf 'one\n' | sha256sum | cut -c1-64)
blob="$BUNPY_CACHE_DIR/cas/$(echo "$sha" | cut -c1-2)/$(echo "$sha" | cut -c3-)"
[ -f "$blob" ] || fail "the output of the first run is not in the cache at $blob"
rm -f "$blob" && echo damaged > "$blob"
settle
echo one > in.txt
bp run copy
expect_rc 0 "a damaged cached output"
expect_in "$ERR" "could not restore the outputs of task:copy" "damaged cache warning"
expect_eq "$(lines ran.log)" 3 "a damaged cached output makes its task run once"
expect_eq "$(cat out.txt)" "one" "output after a damaged cache copy"
bp run copy
expect_eq "$(lines ran.log)" 3 "after the repair, nothing runs"
# a restore that keeps failing (a directory where the output goes) must not be retried
# forever: the task runs, and fails as its command does
settle
echo two > in.txt
rm out.txt && mkdir -p out.txt/inside
bp run copy
expect_rc 2 "restoring over a directory"
expect_in "$ERR" "could not restore the outputs of task:copy (cannot write $P3/out.txt" "restore over a directory"
expect_eq "$(lines ran.log)" 4 "a failed restore runs the task"

finish
