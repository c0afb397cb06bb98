#!/bin/sh
# sync.sh - `bunpy sync` end to end: what the venv holds and how it follows the lock
# (basic), and failures that leave the venv exactly as it was (faults).
# tests/integration/sync.py does the work.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, venv" "tomllib and venv (Python 3.11)"
rc=0
"$py" "$top_srcdir/tests/integration/sync.py" basic || rc=1
"$py" "$top_srcdir/tests/integration/sync.py" faults || rc=1
exit $rc
