#!/bin/sh
# sync_kill.sh - syncs killed at random moments leave every distribution complete or
# absent, and the next sync finishes the job. SYNC_KILL_ROUNDS (40) and SYNC_KILL_SEED
# (the time) choose how many kills and when; the seed is printed.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, venv" "tomllib and venv (Python 3.11)"
"$py" "$top_srcdir/tests/integration/sync.py" kill
