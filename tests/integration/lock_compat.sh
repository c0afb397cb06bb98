#!/bin/sh
# lock_compat.sh - bunpy's resolutions equal pip's (pip install --dry-run --report) on
# the scenarios marked "pip": true and the four seed profiles. pip must be there: CI
# installs python3-pip, and a missing pip fails this test rather than skipping it.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, pip" "tomllib and pip"
exec "$py" "$top_srcdir/tests/integration/lock.py" compat
