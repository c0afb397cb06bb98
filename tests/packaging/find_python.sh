# find_python.sh - sourced by the tests that compare bunpy with Python's own modules.
#
# find_python IMPORTS WHAT: set $py to the first of $PYTHON3, python3 and
# /usr/bin/python3 that can run "import IMPORTS" (configure's PYTHON3 may be a pyenv
# build without Debian's modules); none can: print why, naming WHAT, and exit 1, for
# the test fails rather than skips.
find_python() {
	py=
	for cand in "${PYTHON3:-}" python3 /usr/bin/python3; do
		[ -n "$cand" ] || continue
		if "$cand" -c "import $1" 2>/dev/null; then
			py=$cand
			return 0
		fi
	done
	echo "FAIL: no Python interpreter with $2 (tried ${PYTHON3:-<PYTHON3 unset>}," \
		"python3, /usr/bin/python3)" >&2
	exit 1
}
