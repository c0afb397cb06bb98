# lib.sh - helpers for integration tests: a fresh project directory per test, bunpy
# with a private cache, and assertions that say what they expected.
set -u

: "${BUNPY:?BUNPY must name the bunpy binary (make check sets it)}"
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bunpy-$TEST_NAME-XXXXXX")
export BUNPY_CACHE_DIR="$WORK/.cache"
export NO_COLOR=1
FAILURES=0
trap 'rm -rf "$WORK"' EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILURES=$((FAILURES + 1))
}

# bp ARGS...: run bunpy in the project; stdout in $OUT, stderr in $ERR, status in $RC.
# A run that hangs is ended after a minute (status 124) instead of stalling the suite.
bp() {
	OUT=$(timeout 60 "$BUNPY" "$@" 2>"$WORK/.stderr")
	RC=$?
	ERR=$(cat "$WORK/.stderr")
}

expect_rc() {
	[ "$RC" -eq "$1" ] || fail "$2: exit status $RC, expected $1 (stderr: $ERR)"
}

expect_in() {   # expect_in HAYSTACK NEEDLE WHAT
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: expected to find '$2' in: $1" ;;
	esac
}

expect_not_in() {
	case "$1" in
	*"$2"*) fail "$3: did not expect '$2' in: $1" ;;
	esac
}

expect_eq() {   # expect_eq ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# Lines in a file (0 when missing).
lines() {
	if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi
}

# Files written in the same tick as the last build look racy to bunpy; tests that
# change inputs between builds wait that window out, as a person typing would.
settle() {
	sleep 0.15
}

finish() {
	if [ "$FAILURES" -ne 0 ]; then
		echo "$TEST_NAME: $FAILURES failure(s)" >&2
		exit 1
	fi
	echo "$TEST_NAME: ok"
	exit 0
}
