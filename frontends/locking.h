/*
 * locking.h - making the project's pylock.toml current: what `bunpy lock` does, and
 * what `bunpy sync` does first when the lock is stale.
 *
 * The options that choose indexes, the interpreter and the resolution are shared by
 * both commands (LOCKING_OPTIONS rows in their option tables, locking_option to take
 * one). locking_run reads pyproject.toml, finds and probes the interpreter, and either
 * finds the lock up to date (no engine, no network) or resolves and writes it.
 */
#ifndef BUNPY_LOCKING_H
#define BUNPY_LOCKING_H

#include <stdbool.h>

#include "cli.h"
#include "packaging/pyproject.h"
#include "project.h"
#include "rules/candidates.h"
#include "rules/lockctx.h"
#include "rules/lockfile.h"
#include "rules/target.h"

enum {
	LOCKING_OPT_INDEX_URL = 100, LOCKING_OPT_EXTRA_INDEX_URL, LOCKING_OPT_FIND_LINKS,
	LOCKING_OPT_RESOLUTION, LOCKING_OPT_PRERELEASE, LOCKING_OPT_OFFLINE, LOCKING_OPT_REFRESH,
	LOCKING_OPT_PYTHON, LOCKING_OPT_CERT, LOCKING_OPT_INDEX_CONCURRENCY,
	SELECT_OPT_EXTRA, SELECT_OPT_ALL_EXTRAS, SELECT_OPT_GROUP, SELECT_OPT_ALL_GROUPS,
	SELECT_OPT_NO_DEV,
};

#define LOCKING_OPTIONS \
	{ "index-url", 'i', "URL", "the package index (default $BUNPY_INDEX_URL, [tool.bunpy] index-url, https://pypi.org/simple)", LOCKING_OPT_INDEX_URL }, \
	{ "extra-index-url", 0, "URL", "another index, consulted for projects the ones before it lack (repeatable)", LOCKING_OPT_EXTRA_INDEX_URL }, \
	{ "find-links", 'f', "DIR", "a directory of wheels to use as an index, after the others (repeatable)", LOCKING_OPT_FIND_LINKS }, \
	{ "resolution", 0, "MODE", "highest (default), lowest, or lowest-direct", LOCKING_OPT_RESOLUTION }, \
	{ "prerelease", 0, "MODE", "if-necessary (default), allow, or disallow", LOCKING_OPT_PRERELEASE }, \
	{ "offline", 0, NULL, "never use the network: only cached pages, metadata and wheels ($BUNPY_OFFLINE=1)", LOCKING_OPT_OFFLINE }, \
	{ "refresh", 0, NULL, "revalidate every cached index page", LOCKING_OPT_REFRESH }, \
	{ "python", 'p', "PYTHON", "the interpreter (default $BUNPY_PYTHON, .python-version, requires-python, python3)", LOCKING_OPT_PYTHON }, \
	{ "cert", 0, "FILE", "CA bundle for TLS (default $SSL_CERT_FILE, else the system's)", LOCKING_OPT_CERT }, \
	{ "index-concurrency", 0, "N", "requests at once per index host (default $BUNPY_CONCURRENCY_INDEX, else 16)", LOCKING_OPT_INDEX_CONCURRENCY }

/* Which extras and groups a command installs or exports (dev by default). */
#define SELECT_OPTIONS \
	{ "extra", 0, "NAME", "include an optional dependency group (repeatable)", SELECT_OPT_EXTRA }, \
	{ "all-extras", 0, NULL, "include every extra", SELECT_OPT_ALL_EXTRAS }, \
	{ "group", 0, "NAME", "include a dependency group as well as dev (repeatable)", SELECT_OPT_GROUP }, \
	{ "all-groups", 0, NULL, "include every dependency group", SELECT_OPT_ALL_GROUPS }, \
	{ "no-dev", 0, NULL, "leave out the dev group", SELECT_OPT_NO_DEV }

typedef struct Selection {
	ExportOptions o;             /* extras and groups: the arrays below, after select_finish */
	const char **extras, **groups;   /* malloc'd */
	bool no_dev;
} Selection;

/* Whether the project's own requirements name the package (normalized): its
 * dependencies, and the extras and groups o selects (groups: each group expanded, as
 * pyproject_groups_expand_all gives them; NULL leaves groups out). */
bool locking_is_direct(const Pyproject *py, const ExportOptions *o, const PyprojectReqList *groups,
		       const char *name);

/* Take option id (one of SELECT_OPT_*): 0, or 1 when it is not one. */
int select_option(Selection *s, int id, const char *arg);
/* After the options: the dev group too, unless --no-dev. */
void select_finish(Selection *s);
void select_free(Selection *s);

typedef struct LockingArgs {
	const char *index_url;
	const char **extra_urls, **find_links, **upgrade_pkgs;   /* malloc'd arrays */
	size_t nextra, nfind, nupgrade;
	const char *resolution, *prerelease, *python, *cert;
	bool upgrade, check, dry_run, offline, refresh;
	bool quiet_up_to_date;       /* say nothing when the lock is up to date (sync) */
	bool quiet_changes;          /* no line per changed package (update prints its own) */
	int index_concurrency;
} LockingArgs;

/* Take option id (one of LOCKING_OPT_*) with its argument: 0, or 2 after printing a
 * usage error; 1 when id is not a locking option. */
int locking_option(Cli *cli, LockingArgs *la, int id, const char *arg);
void locking_args_free(LockingArgs *la);

/* What locking_run found, for the sync that follows (in the caller's arena). */
typedef struct LockingResult {
	Pyproject pyproject;
	Target target;
	LockIndex *indexes;          /* malloc'd; the HTTP settings of the sync too */
	size_t nindexes;
	bool locked_now;             /* pylock.toml was written by this run */
	bool offline;                /* $BUNPY_OFFLINE says so (the flag is in LockingArgs) */
	/* pylock.toml as it now is (NULL when this run did not read or write it: frozen,
	 * dry run), and its parsed packages when it was read up to date (have_lock) */
	const char *lock_text;
	size_t lock_len;
	bool have_lock;
	Pylock lock;
	/* the lock this run resolved, written or not (a dry run's too); NULL when it
	 * resolved nothing (the lock was up to date) */
	const char *resolved_text;
	size_t resolved_len;
} LockingResult;

/* Make pylock.toml current (with la->check: only check it; with la->dry_run: print
 * what would change). Returns the exit status (0 current or written). */
int locking_run(Cli *cli, Project *proj, const LockingArgs *la, Arena *arena,
		LockingResult *out);

/* The pyproject, the interpreter and the indexes, without looking at the lock (sync
 * --frozen). */
int locking_load(Cli *cli, Project *proj, const LockingArgs *la, Arena *arena,
		 LockingResult *out);

/* What the indexes offer one project (outdated's "latest"): the versions on the page
 * of the first index that has it, highest first, judged for the target (candidates.h);
 * found false when no index has it. */
typedef struct LockingOffer {
	const char *name;            /* normalized */
	bool found;
	CandVersion *vers;
	size_t nvers;
} LockingOffer;

/* Fetch (or revalidate) the pages of names[0..n) on the indexes of r, in order: a later
 * index is asked only for the projects those before it lack. out[i] for names[i], in
 * arena. Returns the exit status (1 after printing why a page could not be read). */
int locking_offers(Cli *cli, Project *proj, const LockingArgs *la, const LockingResult *r,
		   const char *const *names, size_t n, Arena *arena, LockingOffer *out);

/* The lock as locking_run or locking_load left it, parsed (in arena): res's own when it
 * was read up to date, else the text it wrote, else the file (frozen, dry run). 0, or
 * -1 with err ("pylock.toml: No such file ..." and a hint to run bunpy lock). */
int locking_lock(const Project *proj, const LockingResult *res, Arena *arena, Pylock *out,
		 Err *err);

/* Fill the HTTP and index settings of a LockCtx from the arguments and the result. */
void locking_ctx(const LockingArgs *la, const LockingResult *r, const char *cache_dir,
		 LockCtx *lc);

#endif
