#!/bin/sh
# fixtures.sh - the index generator makes what the lock tests rely on: deterministic
# real wheels whose RECORD is right, pages in both formats that agree, PEP 658 files
# equal to the wheels' METADATA, wheels pip installs (tests/fixtures/selftest.py).
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "zipfile, pip" "pip"
exec "$py" "$top_srcdir/tests/fixtures/selftest.py"
