#!/bin/sh
# Bad input gets a clear error naming the file, line and key, and the right exit
# status; interrupted or damaged state is repaired by the next run.
. "$(dirname "$0")/lib.sh"

P="$WORK/proj"
mkdir -p "$P"
cd "$P" || exit 1

# no project
cd "$WORK" || exit 1
bp run
expect_rc 2 "no pyproject.toml"
expect_in "$ERR" "no pyproject.toml in $WORK or any directory above it" "no project message"
cd "$P" || exit 1

# TOML syntax error: file, line and column
printf '[tool.bunpy.tasks]\nbuild = "make"\nbroken = \n' > pyproject.toml
bp run build
expect_rc 2 "syntax error"
expect_in "$ERR" "pyproject.toml:3:" "syntax error position"

# each kind of mistake in a task names the key
check_error() {   # check_error TOML EXPECTED WHAT
	printf '%s\n' "$1" > pyproject.toml
	bp run build
	expect_rc 2 "$3"
	expect_in "$ERR" "$2" "$3"
}
check_error '[tool.bunpy.tasks.build]
cmds = "make"' "pyproject.toml:2:8: tool.bunpy.tasks.build: unknown key 'cmds'" "unknown key"
check_error '[tool.bunpy.tasks.build]
inputs = ["a"]' "tool.bunpy.tasks.build: no 'cmd'" "missing cmd"
check_error '[tool.bunpy.tasks.build]
cmd = 42' "pyproject.toml:2:7: tool.bunpy.tasks.build.cmd: expected a string or an array of strings, found integer" "cmd type"
check_error '[tool.bunpy.tasks.build]
cmd = "make"
deps = ["nosuch"]' "tool.bunpy.tasks.build.deps: 'nosuch' is not a task of this project" "unknown dep"
check_error '[tool.bunpy.tasks]
build = { cmd = "a", deps = ["b"] }
b = { cmd = "b", deps = ["build"] }' "the tasks depend on each other in a cycle: " "task cycle"
check_error '[tool.bunpy.tasks.build]
cmd = "make"
outputs = ["../outside"]' "output '../outside' is not a file inside the project" "output outside"
check_error '[tool.bunpy.tasks]
build = { cmd = "a", outputs = ["x"] }
other = { cmd = "b", outputs = ["./x"] }' "tasks 'build' and 'other' both declare the output 'x'" "shared output"
check_error '[tool.bunpy.tasks.build]
cmd = "make"
env = { A = 1 }' "tool.bunpy.tasks.build.env: expected string values, found integer" "env type"
check_error '[tool.bunpy.tasks]
"bad name" = "x"' "'bad name' is not a usable task name" "task name"
check_error '[tool.bunpy.tasks.build]
cmd = "make"
outputs = [".bunpy/state.db"]' "output '.bunpy/state.db' is bunpy's own file" "output in the state directory"
check_error '[tool.bunpy.tasks.build]
cmd = "make"
outputs = ["./pyproject.toml"]' "output './pyproject.toml' is bunpy's own file" "pyproject.toml as output"

# what has to happen before a command fails: the command does not start
printf '[tool.bunpy.tasks.build]\ncmd = "echo ran >> ran.log"\noutputs = ["afile/out.txt"]\n' > pyproject.toml
echo "a file, not a directory" > afile
bp run build
expect_rc 1 "output directory cannot be made"
expect_in "$ERR" "task 'build': " "output directory error names the task"
expect_in "$ERR" "afile" "output directory error names the path"
[ -e ran.log ] && fail "the command ran although its output directory could not be made"
rm -f afile pyproject.toml

# unknown task: the tasks are listed
printf '[tool.bunpy.tasks]\nbuild = "true"\ntest = "true"\n' > pyproject.toml
bp run buidl
expect_rc 2 "unknown task"
expect_in "$ERR" "no task named 'buidl' in pyproject.toml (its tasks: build, test)" "unknown task message"

# a command that cannot start
printf '[tool.bunpy.tasks]\nbuild = ["no-such-program-xyz"]\n' > pyproject.toml
bp run build
expect_rc 127 "missing program"
expect_in "$ERR" "cannot run 'no-such-program-xyz'" "missing program message"

# a declared output that is never written
printf '[tool.bunpy.tasks.build]\ncmd = "true"\noutputs = ["never.txt"]\n' > pyproject.toml
bp run build
expect_rc 1 "missing output"
expect_in "$ERR" "it did not create its declared output 'never.txt'" "missing output message"

# a missing input
printf '[tool.bunpy.tasks.build]\ncmd = "true"\ninputs = ["absent.txt"]\n' > pyproject.toml
bp run build
expect_rc 2 "missing input"
expect_in "$ERR" "its input 'absent.txt' does not exist" "missing input message"

# usage errors
bp run -j 0 build
expect_rc 2 "bad --jobs"
expect_in "$ERR" "--jobs takes a positive number" "bad --jobs message"
bp run --frobnicate
expect_rc 2 "unknown option"
bp nosuchcommand
expect_rc 2 "unknown command"

# Ctrl-C: the running task finishes and is kept, nothing new starts, exit 130;
# the next run does the rest.
cat > pyproject.toml <<'TOML'
[tool.bunpy.tasks]
first = { cmd = "sleep 1 && echo first >> ran.log", outputs = [], inputs = ["pyproject.toml"] }
second = { cmd = "echo second >> ran.log", deps = ["first"], inputs = ["pyproject.toml"] }
TOML
"$BUNPY" -q run second 2> "$WORK/int.err" &
pid=$!
sleep 0.4
kill -INT "$pid"
wait "$pid"
rc=$?
expect_eq "$rc" 130 "interrupted exit status"
expect_in "$(cat "$WORK/int.err")" "interrupted" "interrupt message"
expect_eq "$(cat ran.log 2>/dev/null | tr '\n' ' ')" "first " "the running task finished, the next did not start"
bp run second
expect_rc 0 "run after interrupt"
expect_eq "$(cat ran.log | tr '\n' ' ')" "first second " "after the interrupt only the rest ran"

# kill -9 in the middle, then a run that completes
rm -f ran.log
cat > pyproject.toml <<'TOML'
[tool.bunpy.tasks]
a = { cmd = "sleep 0.5 && echo a >> ran.log && echo a > a.out", outputs = ["a.out"] }
b = { cmd = "sleep 0.5 && echo b >> ran.log && echo b > b.out", outputs = ["b.out"], deps = ["a"] }
TOML
"$BUNPY" -q run b &
pid=$!
sleep 0.7
kill -9 "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
bp run b
expect_rc 0 "run after kill -9"
expect_eq "$(cat a.out) $(cat b.out)" "a b" "outputs after kill -9"
bp run b
expect_in "$ERR" "2 up to date" "everything recorded after the repair"

# a damaged database is set aside and rebuilt
echo "this is not sqlite" > .bunpy/state.db
rm -f .bunpy/state.db-wal .bunpy/state.db-shm
bp run b
expect_rc 0 "damaged database"
expect_in "$ERR" "was damaged; moved it to" "damaged database warning"
[ -f .bunpy/state.db.damaged ] || fail "the damaged database was not kept aside"

finish
