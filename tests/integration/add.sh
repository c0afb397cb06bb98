#!/bin/sh
# add.sh - `bunpy add` and `bunpy remove` end to end: the edits of pyproject.toml, the
# lock and the venv that follow, and failures that leave both files as they were.
# tests/integration/add.py does the work.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, venv" "tomllib and venv (Python 3.11)"
exec "$py" "$top_srcdir/tests/integration/add.py"
