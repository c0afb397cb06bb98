#!/bin/sh
# sync_pip.sh - bunpy's venv against pip's for the same wheels (the seed profiles,
# Debian's pip/setuptools/wheel, wheels with scripts, headers and data): the same files.
# tests/integration/sync.py pip does the work; pip runs from Debian's wheel file.
. "$top_srcdir/tests/packaging/find_python.sh"
find_python "tomllib, venv" "tomllib and venv (Python 3.11)"
"$py" "$top_srcdir/tests/integration/sync.py" pip
