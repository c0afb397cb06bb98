#!/bin/sh
# differential.sh - bunpy's versions and specifiers against Python's packaging, on
# thousands of generated inputs (tests/packaging/differential.py does the work).
#
# The reference must be importable: configure's PYTHON3 may be an interpreter without
# packaging (a pyenv build, say), so the first of $PYTHON3, python3 and /usr/bin/python3
# that can import it is used. None can: the test fails, it is not skipped (Debian:
# apt-get install python3-packaging).
set -u

: "${PKGTOOL:?PKGTOOL must name tests/packaging/pkgtool (make check sets it)}"
: "${VECTORS_DIR:?VECTORS_DIR must name tests/packaging/vectors (make check sets it)}"
here=$(cd "$(dirname "$0")" && pwd)

. "$here/find_python.sh"
find_python 'packaging.version, packaging.specifiers, packaging.utils' \
	"the 'packaging' module; install it, e.g. apt-get install python3-packaging"
if [ ! -x "$PKGTOOL" ]; then
	echo "FAIL: $PKGTOOL is not built" >&2
	exit 1
fi

exec "$py" "$here/differential.py" --pkgtool "$PKGTOOL" --vectors "$VECTORS_DIR"
