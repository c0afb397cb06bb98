/*
 * lockfile.h - from a project and options to the lock's inputs, and from a resolution
 * to pylock.toml (and requirements.txt).
 *
 * The inputs document (JSON, the value of lock-inputs:pylock.toml) holds everything a
 * resolution depends on: the requirements by where they come from ("" the project's
 * dependencies, "extra:NAME", "group:NAME"), constraint and override dependencies,
 * resolution and pre-release modes, the indexes (without credentials) and the target
 * interpreter, and, apart, the versions of the existing lock as preferences. Its
 * digest without the preferences is the lock's input digest, kept in pylock.toml's
 * [tool.bunpy] table: when it matches, the lock is up to date and `bunpy lock` does
 * nothing else. The digest is XXH3-128 ("xxh3:" and 32 hex digits), not SHA-256: it
 * only tells whether the inputs changed, names no content anyone fetches, and the no-op
 * lock must not pay for initialising libcrypto.
 */
#ifndef BUNPY_LOCKFILE_H
#define BUNPY_LOCKFILE_H

#include <stdbool.h>

#include "engine/buf.h"
#include "engine/err.h"
#include "lockctx.h"
#include "packaging/pylock.h"
#include "packaging/pyproject.h"

#define LOCKFILE_NAME "pylock.toml"
#define LOCKFILE_DIGEST_SIZE 38   /* "xxh3:", 32 hex digits, NUL */

typedef struct LockOptions {
	const char *resolution;      /* "highest", "lowest", "lowest-direct" */
	const char *prerelease;      /* "if-necessary", "allow", "disallow" */
	const LockIndex *indexes;
	size_t nindexes;
	const Target *target;
} LockOptions;

/* What an existing lock says: its input digest and its versions (preferences). */
typedef struct LockPrevious {
	bool present;
	const char *digest;          /* NULL when it has none */
	bool content_ok;             /* its packages are as bunpy wrote them (lock-digest) */
	const char **names, **versions;
	size_t n;
	Pylock lock;
	const char *text;            /* the file as read (in the arena), for whoever reads on */
	size_t text_len;
} LockPrevious;

/* The digest of a lock's text before its [tool.bunpy] table ("xxh3:" and 32 hex
 * digits), kept in that table as lock-digest: a hand edit of the packages shows. */
void lockfile_content_digest(const char *text, size_t len, char digest[LOCKFILE_DIGEST_SIZE]);

/* Read path if it exists; a lock that cannot be read is reported in err and treated
 * by callers as absent. 0 (also when absent), -1 with err. */
int lockfile_previous(const char *path, Arena *arena, LockPrevious *out, Err *err);

/* The inputs document (with prefs' versions as preferences, except the packages named
 * in upgrade, or all of them when upgrade_all) and its digest. */
int lockfile_inputs(const Pyproject *p, const LockOptions *o, const LockPrevious *prev,
		    bool upgrade_all, const char *const *upgrade, size_t nupgrade,
		    Buf *json, char digest[LOCKFILE_DIGEST_SIZE], Err *err);

/* pylock.toml's text for a resolution (the value of resolve:pylock.toml). */
int lockfile_render(const Pyproject *p, const LockOptions *o, const char *digest,
		    const char *resolution, size_t len, Buf *out, Err *err);

/* requirements.txt from a lock: the packages needed by the project's dependencies and
 * the extras and groups chosen, pinned, with every hash unless no_hashes. */
typedef struct ExportOptions {
	const char *const *extras;
	size_t nextras;
	bool all_extras;
	const char *const *groups;
	size_t ngroups;
	bool all_groups;
	bool no_hashes;
} ExportOptions;

/* Whether the lock's package is installed for the extras and groups chosen (its marker,
 * evaluated with them and, when target is not NULL, the target's environment). */
bool lockfile_selects(const Pylock *lock, const ExportOptions *o, const MarkerEnv *target,
		      const PylockPackage *pk);

int lockfile_export_requirements(const Pylock *lock, const ExportOptions *o, Buf *out, Err *err);

#endif
