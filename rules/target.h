/*
 * target.h - the interpreter a lock is made for: its marker environment and the wheel
 * tags it installs.
 *
 * bunpy locks for one interpreter (not universally): markers are evaluated for it and
 * only versions with a wheel it can install are candidates. The interpreter is found
 * (--python, $BUNPY_PYTHON, else python3 on PATH) and probed once by running a short
 * Python program; the answer is kept in CACHE/interpreters/, keyed by the
 * interpreter's real path and stat, so later runs spawn nothing.
 */
#ifndef BUNPY_TARGET_H
#define BUNPY_TARGET_H

#include "engine/arena.h"
#include "engine/err.h"
#include "packaging/marker.h"
#include "packaging/tags.h"
#include "packaging/version.h"

typedef struct Target {
	const char *python;          /* the interpreter's real path */
	MarkerEnv env;
	Version full_version;        /* python_full_version */
	TagsInterpreter interp;      /* what target_tags computes the tags from */
	TagsPlatform platform;
	const char *summary;         /* "CPython 3.11.2 on linux x86_64" */
	/* What identifies the target in the lock's input digest: implementation, full
	 * version, sys_platform, machine and libc (not the kernel's release, which moves
	 * with every update and changes no resolution in practice). */
	const char *identity;
} Target;

/* python: a path or a command name, NULL for the default. */
int target_load(const char *python, const char *cache_dir, Arena *arena, Target *out, Err *err);

/* The tags the interpreter installs, in packaging.tags.sys_tags() order, computed into
 * out (from arena). Not part of target_load: a lock that is up to date never needs
 * them, and the list has about a thousand entries. */
void target_tags(const Target *t, Arena *arena, TagList *out);

#endif
