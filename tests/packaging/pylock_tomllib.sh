#!/bin/sh
# pylock_tomllib.sh - the pylock.toml files bunpy writes mean the same to Python.
#
# tests/unit/test_pylock, run with PYLOCK_DUMP_DIR, saves every lock file its round
# trips write (NAME.toml) next to what packaging/toml.c reads from it (NAME.json, tagged
# JSON: see json_value in test_pylock.c). Among them are files made for this test:
# strings and keys with quotes, backslashes, control characters, non-ASCII and emoji,
# keys with newlines and NUL, floats at the edges of the double range, date-times with
# offsets and fractions. Python's tomllib reads each NAME.toml here, the result is put
# in the same tagged form, and the two must be equal: any difference is a file that
# bunpy and Python tools would read differently.
#
# The interpreter must have tomllib (Python 3.11+): the first of $PYTHON3, python3 and
# /usr/bin/python3 that has it is used. None has: the test fails, it is not skipped.
set -u

: "${top_builddir:?top_builddir must name the build directory (make check sets it)}"
test_pylock=$top_builddir/tests/unit/test_pylock

. "$(cd "$(dirname "$0")" && pwd)/find_python.sh"
find_python tomllib "tomllib (Python 3.11 or newer)"
if [ ! -x "$test_pylock" ]; then
	echo "FAIL: $test_pylock is not built" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/pylock_tomllib.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM

if ! PYLOCK_DUMP_DIR=$dir "$test_pylock" >"$dir/test_pylock.log" 2>&1; then
	cat "$dir/test_pylock.log" >&2
	echo "FAIL: test_pylock failed while writing the lock files" >&2
	exit 1
fi

"$py" - "$dir" <<'EOF'
import datetime
import json
import math
import os
import sys
import tomllib

# Files the comparison must see: if a rename in test_pylock.c dropped one, the test
# would pass without looking at it.
REQUIRED = ["hostile.toml", "hostile-built.toml", "kitchen-sink.toml", "spec-example.toml",
            "precision.toml", "built.toml"]


def float_key(x):
    return "nan" if math.isnan(x) else x.hex()


def ours(v):
    """toml.c's tagged JSON, floats made comparable."""
    if isinstance(v, list):
        return [ours(x) for x in v]
    if isinstance(v.get("type"), str):  # a scalar; a table's members are all dicts
        if v["type"] == "float":
            return {"type": "float", "value": float_key(float.fromhex(v["value"]))}
        return v
    return {k: ours(x) for k, x in v.items()}


def theirs(v):
    """tomllib's values in the same tagged form."""
    if isinstance(v, dict):
        return {k: theirs(x) for k, x in v.items()}
    if isinstance(v, list):
        return [theirs(x) for x in v]
    if isinstance(v, bool):
        return {"type": "bool", "value": v}
    if isinstance(v, int):
        return {"type": "integer", "value": str(v)}
    if isinstance(v, float):
        return {"type": "float", "value": float_key(v)}
    if isinstance(v, str):
        return {"type": "string", "value": v}
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            kind, off = "datetime-local", 0
        else:
            kind, off = "datetime", int(v.utcoffset().total_seconds()) // 60
        return {"type": kind, "value": [v.year, v.month, v.day, v.hour, v.minute, v.second,
                                        v.microsecond * 1000, off]}
    if isinstance(v, datetime.date):
        return {"type": "date-local", "value": [v.year, v.month, v.day, 0, 0, 0, 0, 0]}
    if isinstance(v, datetime.time):
        return {"type": "time-local", "value": [0, 0, 0, v.hour, v.minute, v.second,
                                                v.microsecond * 1000, 0]}
    raise TypeError(f"unexpected {type(v).__name__} from tomllib")


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {a!r} (toml.c) != {b!r} (tomllib)"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)!r} (toml.c) != {sorted(b)!r} (tomllib)"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items (toml.c) != {len(b)} (tomllib)"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} (toml.c) != {b!r} (tomllib)"


def main(directory):
    passed = failed = 0
    names = sorted(n for n in os.listdir(directory) if n.endswith(".toml"))
    for name in REQUIRED:
        if name not in names:
            print(f"FAIL {name}: test_pylock did not write it")
            failed += 1
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path + ".json", encoding="utf-8") as f:
                mine = ours(json.load(f))
            with open(path, "rb") as f:
                python = theirs(tomllib.load(f))
        except (OSError, ValueError, TypeError) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        diff = first_difference(mine, python)
        if diff:
            print(f"FAIL {name}: {diff}")
            failed += 1
        else:
            print(f"ok   {name}")
            passed += 1
    print(f"pylock_tomllib: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


sys.exit(main(sys.argv[1]))
EOF
rc=$?
exit $rc
