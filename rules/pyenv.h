/*
 * pyenv.h - the interpreter a pyenv shim would run, found without running pyenv.
 *
 * A shim (`$PYENV_ROOT/shims/python3.11`) is a bash script that runs `pyenv exec`,
 * which costs ~60 ms before the interpreter even starts; bunpy must know which
 * interpreter that is on every command (the no-op sync of `bunpy run` included), and
 * a script's own stat says nothing about it. pyenv's choice is simple to follow:
 * $PYENV_VERSION, else the nearest `.python-version` from $PYENV_DIR (default: the
 * current directory) up to /, else `$PYENV_ROOT/version`; each names one or more
 * versions (separated by ':' in the variable, by white space in the files), the first
 * that is installed wins, and a prefix such as "3.11" means the newest installed
 * 3.11.x. The interpreter is `$PYENV_ROOT/versions/V/bin/PROGRAM`.
 *
 * When the choice is "system", or anything is unclear (a shim of another layout, a
 * version not installed), the answer is "unknown" and the caller runs the shim as
 * before: never a guess that could differ from what the shim runs.
 */
#ifndef BUNPY_PYENV_H
#define BUNPY_PYENV_H

#include <stdbool.h>

#include "../engine/buf.h"

/* When path is a pyenv shim whose interpreter is known, append that interpreter's
 * path to out and return true. */
bool pyenv_shim_target(const char *path, Buf *out);

#endif
