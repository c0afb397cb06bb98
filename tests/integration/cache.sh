#!/bin/sh
# cache.sh - `bunpy cache` (size, dir, prune, clean, the lock between them and syncs) and
# `bunpy python find|list` end to end; tests/integration/cache.py does the work.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, venv, sqlite3" "tomllib, venv and sqlite3 (Python 3.11)"
rc=0
"$py" "$top_srcdir/tests/integration/cache.py" cache || rc=1
"$py" "$top_srcdir/tests/integration/cache.py" python || rc=1
exit $rc
