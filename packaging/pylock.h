/*
 * pylock.h - pylock.toml (PEP 751, lock-version 1.0): the data model, a reader that
 * validates, and a writer that produces the same bytes for the same content.
 *
 * The lock command fills a Pylock and writes it; the sync command reads one back. All
 * strings and parsed values live in the arena given to pylock_read (or, for a lock
 * being built, in whatever arena its filler used).
 *
 * The reader checks what PEP 751 requires: lock-version with major 1 (a newer minor
 * is read, unknown keys then becoming warnings instead of errors), created-by, the
 * package names normalized, exactly one source family per package (sdist and/or
 * wheels; or vcs; or directory; or archive), url or path for every file, hashes with
 * at least sha256 (lower-case hexadecimal), markers that parse (and do not use
 * "extra", which lock files replace by the "extras" set), specifiers that parse. Errors
 * read "FILE:LINE:COL: KEY: what is wrong; expected ...", KEY a dotted path such as
 * "packages[3].wheels[0].hashes" (indexes from 0, in document order).
 *
 * The writer's layout is fixed: top-level keys in the order of the specification,
 * packages sorted by name then version, each with its keys in specification order,
 * files as inline tables (one per line for wheels), wheels sorted by file name, hashes
 * by algorithm, [tool] tables last with their keys sorted. Datetimes are written to the
 * microsecond, upload times in UTC with "Z". The output is TOML 1.0 that this reader
 * and Python's tomllib read back to the same content; reading it and writing again
 * gives identical bytes.
 */
#ifndef BUNPY_PYLOCK_H
#define BUNPY_PYLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"
#include "marker.h"
#include "specifier.h"
#include "toml.h"
#include "version.h"

typedef struct PylockHash {
	const char *alg;             /* lower-case: "sha256", "blake2b", ... */
	const char *value;           /* lower-case hexadecimal */
} PylockHash;

/* A file: an sdist, a wheel, or an archive. */
typedef struct PylockFile {
	const char *name;            /* file name; NULL when not given (see pylock_file_name) */
	const char *url;             /* at least one of url and path */
	const char *path;            /* relative to the lock file's directory */
	bool has_size;
	uint64_t size;
	bool has_upload_time;
	TomlDatetime upload_time;    /* UTC: offset_minutes is 0 */
	PylockHash *hashes;          /* at least one, sha256 among them */
	size_t hashes_len;
	const char *subdirectory;    /* archive only; NULL when none */
} PylockFile;

typedef struct PylockVcs {
	const char *type;            /* "git", "hg", "bzr", "svn" */
	const char *url, *path;      /* at least one */
	const char *requested_revision;  /* informational only; may be NULL */
	const char *commit_id;
	const char *subdirectory;
} PylockVcs;

typedef struct PylockDirectory {
	const char *path;
	bool editable;
	const char *subdirectory;
} PylockDirectory;

typedef enum PylockSource {
	PYLOCK_SOURCE_DISTS,         /* sdist and/or wheels */
	PYLOCK_SOURCE_VCS,
	PYLOCK_SOURCE_DIRECTORY,
	PYLOCK_SOURCE_ARCHIVE,
} PylockSource;

/*
 * One entry of packages.dependencies: informational only (PEP 751: it must not drive
 * installation). name is required by this reader; any other keys (a version, a source
 * table) are kept in rest, a TOML table, NULL when there are none.
 */
typedef struct PylockDep {
	const char *name;
	const char *version;         /* NULL when absent */
	const TomlValue *rest;
} PylockDep;

typedef struct PylockPackage {
	const char *name;            /* normalized */
	bool has_version;
	Version version;
	Marker *marker;              /* NULL: always */
	bool has_requires_python;
	SpecifierSet requires_python;
	PylockDep *dependencies;
	size_t dependencies_len;
	const char *index;           /* NULL when absent */
	PylockSource source;
	PylockVcs vcs;               /* source == PYLOCK_SOURCE_VCS */
	PylockDirectory directory;   /* source == PYLOCK_SOURCE_DIRECTORY */
	PylockFile archive;          /* source == PYLOCK_SOURCE_ARCHIVE */
	PylockFile *sdist;           /* PYLOCK_SOURCE_DISTS: NULL when none */
	PylockFile *wheels;
	size_t wheels_len;
	/* Tables with at least a string "kind"; kept as read. */
	const TomlValue *const *attestation_identities;
	size_t attestation_identities_len;
	const TomlValue *tool;       /* [packages.tool], NULL when absent */
	unsigned line;               /* where the entry starts when read; 0 otherwise */
} PylockPackage;

typedef struct Pylock {
	const char *lock_version;    /* as read; the writer always writes "1.0" */
	bool newer_minor;            /* read a 1.x newer than 1.0: see warnings */
	const char *created_by;
	bool has_requires_python;
	SpecifierSet requires_python;
	bool has_environments;       /* absent (any environment) differs from [] (none) */
	Marker **environments;
	size_t environments_len;
	const char *const *extras;             /* normalized names */
	size_t extras_len;
	const char *const *dependency_groups;  /* normalized names */
	size_t dependency_groups_len;
	const char *const *default_groups;     /* normalized names */
	size_t default_groups_len;
	PylockPackage *packages;
	size_t packages_len;
	const TomlValue *tool;       /* [tool], NULL when absent */
	/* Reader only: "FILE:LINE:COL: KEY: unknown key ..." for a newer minor version. */
	const char *const *warnings;
	size_t warnings_len;
} Pylock;

/* Whether a file name is one PEP 751 allows: "pylock.toml" or "pylock.NAME.toml". */
bool pylock_is_valid_filename(const char *name);

/* Read and validate. Returns 0, or -1 with err set; allocations stay in arena. */
int pylock_read(const char *data, size_t len, const char *filename, Arena *arena,
		Pylock *out, Err *err);

/*
 * Append the TOML text of lock to out. The lock is checked first (the same rules as
 * the reader: names normalized, one source family, hashes, url or path, UTF-8 strings
 * without NUL bytes...); -1 with err naming the package when it breaks one, and then
 * nothing is appended.
 */
int pylock_write(const Pylock *lock, Buf *out, Err *err);

/*
 * The file's name: name when given, else the last component of path, else the last
 * component of url's path (query and fragment removed), percent-decoded
 * ("x-1.0%2Blocal-py3-none-any.whl" gives "x-1.0+local-py3-none-any.whl"). NULL when
 * there is neither url nor path, or when the url's component decodes to something that
 * cannot be a file name: one holding '/', '\\' or NUL, "." or "..", or bytes that are
 * not UTF-8. "" when the url's path ends in '/'.
 */
const char *pylock_file_name(const PylockFile *f, Arena *arena);

/* The file's hash for an algorithm ("sha256"); NULL when the lock does not hold one. */
const char *pylock_file_hash(const PylockFile *f, const char *alg);

#endif
