#!/bin/sh
# run.sh - `bunpy run` of programs (scripts, -m, -c, commands, --with) end to end:
# exec'd in place of bunpy, streams, signals and statuses the program's own.
# tests/integration/run.py does the work.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, pty" "tomllib and pty (Python 3.11)"
exec "$py" "$top_srcdir/tests/integration/run.py"
