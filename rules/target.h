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
#include "packaging/specifier.h"
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

	/* What a virtual environment for it needs (filled by the probe; paths relative to
	 * the environment's root come from sysconfig's "venv" scheme, else "posix_prefix"). */
	const char *base_executable; /* sys._base_executable: what bin/python links to */
	const char *home;            /* its directory: pyvenv.cfg's "home" */
	const char *version;         /* "3.11.2": pyvenv.cfg's version and version_info */
	const char *purelib;         /* "lib/python3.11/site-packages" */
	const char *platlib;         /* the same on Debian and most systems */
	const char *include;         /* "include/python3.11" */
	const char *scripts;         /* "bin" */
	const char *cache_tag;       /* sys.implementation.cache_tag: "cpython-311" */
	bool lib64;                  /* make lib64 -> lib (64-bit POSIX other than macOS) */
} Target;

/* python3.N commands considered, N below this. */
#define TARGET_MINOR_MAX 100

/* Which python3.N commands on PATH (executable, N digits only) req admits (NULL: all
 * of them): allowed[N] set. */
void target_minors_on_path(const SpecifierSet *req, Arena *arena, bool allowed[TARGET_MINOR_MAX]);

/*
 * Which interpreter a project names, in this order: python (--python), $BUNPY_PYTHON,
 * the project's .python-version (first non-comment line: "3.11" or "3.11.7" names
 * python3.11 on PATH, "cpython@3.11" and "cpython-3.11" too, an absolute path is
 * itself), else python3 on PATH (*why "PATH"). The answer is a path or a command name
 * for target_load; *why says where it came from ("--python", "BUNPY_PYTHON",
 * ".python-version:1", "PATH"). Only an unreadable .python-version or one naming
 * nothing usable is an error.
 */
int target_find(const char *python, const char *project_dir, Arena *arena, const char **out,
		const char **why, Err *err);

/*
 * Find and load the project's interpreter: what target_find names; when it names
 * nothing explicitly, python3 if requires_python (may be NULL) admits its version,
 * else the newest python3.N on PATH that requires_python admits and that runs (*why
 * "requires-python >=3.12"), else python3 after all (the caller reports that it does
 * not satisfy requires-python).
 */
int target_select(const char *python, const char *project_dir, const char *requires_python,
		  const char *cache_dir, Arena *arena, Target *out, const char **why, Err *err);

/* Whether req (requires-python) admits the interpreter's full version. */
bool target_admits(const Target *t, const SpecifierSet *req);

/* python: a path or a command name, NULL for the default. cache_dir: where probes are
 * kept (CACHE/interpreters), NULL for none (every load probes). */
int target_load(const char *python, const char *cache_dir, Arena *arena, Target *out, Err *err);

/* The tags the interpreter installs, in packaging.tags.sys_tags() order, computed into
 * out (from arena). Not part of target_load: a lock that is up to date never needs
 * them, and the list has about a thousand entries. */
void target_tags(const Target *t, Arena *arena, TagList *out);

#endif
