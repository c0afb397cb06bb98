#!/bin/sh
# session.sh - the session a new user has (issue 6, acceptance 1): init, add three
# packages (one with an extra), run a script importing them, remove one, run again,
# tree, outdated against an index that gained newer versions, update, and init
# refusing to overwrite the project. tests/integration/session.py does the work.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, venv" "tomllib and venv (Python 3.11)"
exec "$py" "$top_srcdir/tests/integration/session.py"
