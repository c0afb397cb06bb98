#!/bin/sh
# lock.sh - `bunpy lock` on every scenario index, and the lock file's properties
# (tests/integration/lock.py does the work; Python reads pylock.toml with tomllib).
. "$top_srcdir/tests/packaging/find_python.sh"
find_python tomllib "tomllib (Python 3.11)"
"$py" "$top_srcdir/tests/integration/lock.py" scenarios || exit 1
"$py" "$top_srcdir/tests/integration/lock.py" properties || exit 1
"$py" "$top_srcdir/tests/integration/lock.py" network
