/*
 * venv.h - a virtual environment made natively (not by running `python -m venv`):
 * what CPython's venv module makes without pip, so that the interpreter, site.py and
 * every tool that looks for a venv see a standard one.
 *
 *   ROOT/pyvenv.cfg      home, include-system-site-packages = false, version,
 *                        executable, command; plus implementation, version_info and
 *                        bunpy = VERSION (what uv and virtualenv also write)
 *   ROOT/bin/python3     -> the base executable (absolute); python, python3.N -> python3
 *   ROOT/bin/activate, activate.fish, activate.csh   (bash/zsh, fish, csh)
 *   ROOT/lib/python3.N/site-packages/, ROOT/include/python3.N/ (from the target's scheme)
 *   ROOT/lib64 -> lib    (when target->lib64)
 *   ROOT/.gitignore      "*" (as venv does from 3.13: a venv is never committed)
 *
 * An environment is made in a sibling temporary directory and renamed into place, so
 * ROOT is either absent, an older environment, or complete. bunpy's own bookkeeping
 * for an environment (the sync lock, staging, the journal of an interrupted sync, the
 * state of the last sync) lives in ROOT/.bunpy/, which Python never looks at.
 */
#ifndef BUNPY_VENV_H
#define BUNPY_VENV_H

#include <stdbool.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "target.h"

typedef struct Venv {
	const char *root;            /* absolute */
	const char *bin;             /* ROOT/bin */
	const char *python;          /* ROOT/bin/python: shebangs of installed scripts */
	const char *purelib;         /* ROOT/lib/python3.N/site-packages */
	const char *platlib;
	const char *include;         /* ROOT/include/python3.N: headers go to ROOT/include/site/python3.N/NAME */
	const char *data;            /* ROOT */
	const char *state_dir;       /* ROOT/.bunpy */
	const char *cache_tag;       /* "cpython-311", for __pycache__ names */
} Venv;

/* The paths of an environment at root for target; touches nothing. */
void venv_layout(const char *root, const Target *target, Arena *arena, Venv *out);

/* One "key = value" of pyvenv.cfg's text (the format site.py reads: the first '=' splits,
 * both sides trimmed), in arena; NULL when the key is not there. */
const char *venv_cfg_value(const char *text, const char *key, Arena *arena);

/*
 * Whether root holds an environment usable for target: 1 yes; 0 no, with *why set
 * ("there is no .venv", ".venv/pyvenv.cfg is for Python 3.10.4, the project needs
 * 3.11.2 (/usr/bin/python3.11)", ".venv/bin/python3 is missing"); -1 with err when
 * root exists but is not a directory this tool should replace (a file; a directory that
 * has no pyvenv.cfg and is not empty).
 */
int venv_check(const char *root, const Target *target, Arena *arena, const char **why, Err *err);

/*
 * Make an environment at root for target (prompt: NULL for the project directory's
 * name), replacing one venv_check said is not usable. Fails, touching nothing, when
 * root is not a directory this tool should replace (as venv_check).
 */
int venv_create(const char *root, const Target *target, const char *prompt, Arena *arena,
		Err *err);

#endif
