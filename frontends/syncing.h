/*
 * syncing.h - making the project's .venv what pylock.toml says: what `bunpy sync` does,
 * and what run, add, remove and update do once their own work is done.
 *
 * sync_project makes the lock current (locking.h) unless frozen, then installs and
 * removes what the selection asks. Its no-op (nothing asked changed, nothing moved in
 * the environment) reads two small files and stats four directories: cheap enough for
 * `bunpy run` to call before every command.
 */
#ifndef BUNPY_SYNCING_H
#define BUNPY_SYNCING_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "locking.h"
#include "project.h"
#include "rules/install.h"

enum { SYNC_OPT_LOCKED = 200, SYNC_OPT_FROZEN, SYNC_OPT_LINK_MODE, SYNC_OPT_COMPILE,
	SYNC_OPT_NO_INSTALL_PROJECT };

/* The options of the install step, for the tables of commands that sync. */
#define SYNC_OPTIONS \
	{ "locked", 0, NULL, "fail if pylock.toml is out of date instead of locking", SYNC_OPT_LOCKED }, \
	{ "frozen", 0, NULL, "install pylock.toml as it is, without checking it", SYNC_OPT_FROZEN }, \
	{ "link-mode", 0, "MODE", "clone (default), hardlink or copy files from the cache ($BUNPY_LINK_MODE)", SYNC_OPT_LINK_MODE }, \
	{ "compile-bytecode", 0, NULL, "compile the installed modules to .pyc files", SYNC_OPT_COMPILE }, \
	{ "no-install-project", 0, NULL, "leave the project itself out of .venv (it is installed editable when it is a package)", SYNC_OPT_NO_INSTALL_PROJECT }

typedef struct SyncArgs {
	LockingArgs la;              /* indexes, interpreter, resolution; la.dry_run: change nothing */
	Selection sel;               /* extras and groups; select_finish is called by sync_project */
	bool locked, frozen, compile, no_install_project;
	bool link_mode_set;          /* --link-mode given: link_mode beats the environment and pyproject */
	InstallLinkMode link_mode;
	bool quiet;                  /* print only errors and warnings (run's implicit sync) */
} SyncArgs;

/* What the sync did, for the caller's own summary. */
typedef struct SyncOutcome {
	size_t installed, removed, audited;
	bool locked_now;             /* pylock.toml was written */
	bool venv_created;
} SyncOutcome;

/* Take option id (SYNC_OPT_*, SELECT_OPT_* or LOCKING_OPT_*): 0 taken, 1 not one of
 * them, 2 after printing a usage error. */
int sync_option(Cli *cli, SyncArgs *s, int id, const char *arg);

/* Lock if needed, then install and remove. Returns the exit status; out may be NULL. */
int sync_project(Cli *cli, Project *proj, SyncArgs *s, SyncOutcome *out);

void sync_args_free(SyncArgs *s);

#endif
