/*
 * cmd_update.c - `bunpy update`: lock again letting packages move to newer versions,
 * then sync; `bunpy outdated`: which locked packages have newer versions.
 *
 * update is `bunpy lock --upgrade` (or --upgrade-package for each NAME) followed by
 * `bunpy sync`, printing what moved between the old lock and the new. outdated makes
 * the same resolution as a dry run (the "wanted" versions: what update would lock,
 * within pyproject.toml's constraints) and reads the indexes' pages for the "latest"
 * versions (the newest the interpreter could install, whatever pyproject.toml says).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "engine/fs.h"
#include "locking.h"
#include "packaging/name.h"
#include "project.h"
#include "rules/candidates.h"
#include "rules/lockfile.h"
#include "syncing.h"

enum { OPT_DRY_RUN = 1, OPT_NO_SYNC, OPT_JSON };

static const PylockPackage *
find_package(const Pylock *lock, const char *name)
{
	for (size_t i = 0; i < lock->packages_len; i++)
		if (name_equal(lock->packages[i].name, strlen(lock->packages[i].name), name, strlen(name)))
			return &lock->packages[i];
	return NULL;
}

static const char *
version_of(const PylockPackage *pk)
{
	return pk && pk->has_version ? pk->version.str : "";
}

/* The lock's text parsed; 0 or 1 after printing why not. */
static int
parse_lock(Cli *cli, const char *text, size_t len, Arena *a, Pylock *out)
{
	Err err;

	if (pylock_read(text, len, LOCKFILE_NAME, a, out, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	return 0;
}

/* One line per package that moved, came or went, by name: the count. */
static size_t
print_changes(const Cli *cli, const Pylock *old, const Pylock *now)
{
	const Term *t = &cli->term;
	size_t i = 0, k = 0, changes = 0;
	bool show = t->verbosity >= 0;

	/* the writer sorts packages by name: one merge */
	while (i < old->packages_len || k < now->packages_len) {
		const PylockPackage *o = i < old->packages_len ? &old->packages[i] : NULL;
		const PylockPackage *n = k < now->packages_len ? &now->packages[k] : NULL;
		int c = !o ? 1 : !n ? -1 : strcmp(o->name, n->name);

		if (c < 0) {
			if (show)
				fprintf(stderr, " %s-%s %s %s\n", term_bold(t, stderr), term_reset(t, stderr),
					o->name, version_of(o));
			changes++;
			i++;
		} else if (c > 0) {
			if (show)
				fprintf(stderr, " %s+%s %s %s\n", term_bold(t, stderr), term_reset(t, stderr),
					n->name, version_of(n));
			changes++;
			k++;
		} else {
			if (strcmp(version_of(o), version_of(n)) != 0) {
				if (show)
					fprintf(stderr, " %s~%s %s %s -> %s\n", term_bold(t, stderr),
						term_reset(t, stderr), n->name, version_of(o), version_of(n));
				changes++;
			}
			i++;
			k++;
		}
	}
	return changes;
}

static const CliOption update_options[] = {
	{ "dry-run", 'n', NULL, "resolve and print what would change; write nothing", OPT_DRY_RUN },
	{ "no-sync", 0, NULL, "update pylock.toml only, leave .venv alone", OPT_NO_SYNC },
	SELECT_OPTIONS,
	SYNC_OPTIONS,
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int
update_main(Cli *cli, int argc, char **argv)
{
	SyncArgs s = { 0 };
	LockingArgs la;
	LockingResult res = { 0 };
	LockPrevious prev;
	Pylock now;
	Project proj;
	Arena a = { 0 };
	const char *arg, *path;
	const char **names = NULL;
	size_t nnames = 0, changes;
	bool no_sync = false, dry = false, have_proj = false;
	Err err;
	int id, rc = 2;

	cli_begin(cli, &cmd_update, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_DRY_RUN: dry = true; break;
		case OPT_NO_SYNC: no_sync = true; break;
		default:
			if (sync_option(cli, &s, id, arg) == 2)
				goto done;
		}
	}
	if (s.locked || s.frozen) {
		rc = cli_usage_error(cli, "--%s: update changes the lock; use bunpy sync to install it as it is",
				     s.locked ? "locked" : "frozen");
		goto done;
	}
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	have_proj = true;
	rc = 1;
	path = arena_printf(&a, "%s/%s", proj.root, LOCKFILE_NAME);
	if (lockfile_previous(path, &a, &prev, &err) != 0) {
		if (cli->noperands) {
			term_error(&cli->term, "%s", err.msg);
			goto done;
		}
		term_warn(&cli->term, "%s; it will be replaced", err.msg);
		memset(&prev, 0, sizeof(prev));
	}
	for (int i = 0; i < cli->noperands; i++) {
		const char *name = cli->operands[i];

		if (!prev.present || !find_package(&prev.lock, name)) {
			term_error(&cli->term, "%s is not in %s%s", name, LOCKFILE_NAME,
				   prev.present ? "" : " (there is no lock yet: run bunpy lock)");
			goto done;
		}
		cli_list_push(&names, &nnames, find_package(&prev.lock, name)->name);
	}

	/* the lock with upgrades: its own change lines are replaced by ours below */
	la = s.la;
	la.upgrade = !nnames;
	la.upgrade_pkgs = names;
	la.nupgrade = nnames;
	la.dry_run = dry;
	la.quiet_changes = true;
	la.quiet_up_to_date = true;
	if ((rc = locking_run(cli, &proj, &la, &a, &res)) != 0)
		goto done;
	rc = 1;
	if (!res.resolved_text) {
		term_error(&cli->term, "%s: nothing was resolved", LOCKFILE_NAME);
		goto done;
	}
	if (parse_lock(cli, res.resolved_text, res.resolved_len, &a, &now) != 0)
		goto done;
	{
		Pylock empty = { 0 };

		changes = print_changes(cli, prev.present ? &prev.lock : &empty, &now);
	}
	if (!changes)
		term_note(&cli->term, "Nothing to update");
	else
		term_note(&cli->term, "%s %zu package%s%s", dry ? "Would update" : "Updated", changes,
			  changes == 1 ? "" : "s", dry ? " (dry run: nothing written)" : "");
	rc = 0;
	if (!dry && !no_sync) {
		/* the lock is current now: the sync's own lock step is its no-op */
		rc = sync_project(cli, &proj, &s, NULL);
	}
done:
	free(res.indexes);
	if (have_proj)
		project_free(&proj);
	free(names);
	sync_args_free(&s);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_update = {
	.name = "update",
	.usage = "[OPTIONS] [NAME...]",
	.summary = "lock again with newer versions, then sync",
	.description = "Lock again letting every package (or only each NAME) move to the newest\n"
		"versions pyproject.toml allows, print one line per package that moved (~), came\n"
		"(+) or went (-), then sync .venv (unless --no-sync). With --dry-run, print the\n"
		"changes and write nothing.",
	.options = update_options,
	.run = update_main,
};

/* ---- outdated ------------------------------------------------------------------------ */

typedef struct OutdatedRow {
	const char *name, *current, *wanted, *latest;
	bool direct;
} OutdatedRow;

static size_t
width(const OutdatedRow *rows, size_t n, size_t col, const char *header)
{
	size_t w = strlen(header);

	for (size_t i = 0; i < n; i++) {
		const char *v = col == 0 ? rows[i].name : col == 1 ? rows[i].current :
				col == 2 ? rows[i].wanted : rows[i].latest;

		if (strlen(v) > w)
			w = strlen(v);
	}
	return w;
}

static void
print_table(const Term *t, const OutdatedRow *rows, size_t n)
{
	static const char *const headers[4] = { "Package", "Current", "Wanted", "Latest" };
	size_t w[4];

	for (size_t c = 0; c < 4; c++)
		w[c] = width(rows, n, c, headers[c]);
	printf("%s%-*s  %-*s  %-*s  %s%s\n", term_bold(t, stdout), (int)w[0], headers[0], (int)w[1],
	       headers[1], (int)w[2], headers[2], headers[3], term_reset(t, stdout));
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %-*s  %-*s  %s\n", (int)w[0], rows[i].name, (int)w[1], rows[i].current,
		       (int)w[2], rows[i].wanted, rows[i].latest);
}

static int
print_json(const OutdatedRow *rows, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	char *text;
	int rc;

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", rows[i].name);
		cJSON_AddStringToObject(o, "current", rows[i].current);
		cJSON_AddStringToObject(o, "wanted", rows[i].wanted);
		cJSON_AddStringToObject(o, "latest", rows[i].latest);
		cJSON_AddBoolToObject(o, "direct", rows[i].direct);
		cJSON_AddItemToArray(arr, o);
	}
	text = cJSON_PrintUnformatted(arr);
	rc = text && printf("%s\n", text) >= 0 ? 0 : 1;
	free(text);
	cJSON_Delete(arr);
	return rc;
}

static const CliOption outdated_options[] = {
	{ "json", 0, NULL, "print a JSON array of {name, current, wanted, latest, direct}", OPT_JSON },
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int
outdated_main(Cli *cli, int argc, char **argv)
{
	LockingArgs la = { 0 }, dry;
	LockingResult res = { 0 };
	LockPrevious prev;
	Pylock wanted;
	Project proj;
	Arena a = { 0 };
	PyprojectReqList *groups = NULL;
	ExportOptions every = { .all_extras = true, .all_groups = true };
	LockingOffer *offers = NULL;
	OutdatedRow *rows = NULL;
	const char **names = NULL, *arg, *path;
	size_t nnames = 0, nrows = 0;
	bool json = false, have_proj = false;
	int id, rc = 2, verbosity = cli->term.verbosity;
	Err err;

	cli_begin(cli, &cmd_outdated, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_JSON: json = true; break;
		default:
			if (locking_option(cli, &la, id, arg) == 2)
				goto done;
		}
	}
	if (cli->noperands) {
		rc = cli_usage_error(cli, "outdated takes no operands ('%s')", cli->operands[0]);
		goto done;
	}
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	have_proj = true;
	rc = 1;
	path = arena_printf(&a, "%s/%s", proj.root, LOCKFILE_NAME);
	if (lockfile_previous(path, &a, &prev, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto done;
	}
	if (!prev.present) {
		term_error(&cli->term, "%s: no lock yet; run bunpy lock first", path);
		goto done;
	}

	/* wanted: what update would lock, resolved and not written; its summary is not
	 * this command's to print (errors still are) */
	dry = la;
	dry.upgrade = true;
	dry.dry_run = true;
	dry.quiet_changes = true;
	cli->term.verbosity = -1;
	rc = locking_run(cli, &proj, &dry, &a, &res);
	cli->term.verbosity = verbosity;
	if (rc != 0)
		goto done;
	rc = 1;
	if (!res.resolved_text ||
	    parse_lock(cli, res.resolved_text, res.resolved_len, &a, &wanted) != 0)
		goto done;

	/* latest: the indexes' pages, which the resolution just fetched or revalidated */
	for (size_t i = 0; i < prev.lock.packages_len; i++)
		if (prev.lock.packages[i].has_version &&
		    prev.lock.packages[i].source == PYLOCK_SOURCE_DISTS)
			cli_list_push(&names, &nnames, prev.lock.packages[i].name);
	offers = xcalloc(nnames + 1, sizeof(*offers));
	if ((rc = locking_offers(cli, &proj, &la, &res, names, nnames, &a, offers)) != 0)
		goto done;
	if (pyproject_groups_expand_all(&res.pyproject, &a, &groups, &err) != 0)
		groups = NULL;
	rows = xcalloc(nnames + 1, sizeof(*rows));
	for (size_t i = 0; i < nnames; i++) {
		const PylockPackage *cur = find_package(&prev.lock, names[i]);
		const PylockPackage *want = find_package(&wanted, names[i]);
		const CandVersion *latest = offers[i].found ?
					    candidates_latest(offers[i].vers, offers[i].nvers, &res.target,
							      version_is_prerelease(&cur->version), &a) : NULL;
		bool newer_latest = latest && version_cmp(&latest->v, &cur->version) > 0;
		bool newer_wanted = want && want->has_version && version_cmp(&want->version, &cur->version) > 0;

		if (!newer_latest && !newer_wanted)
			continue;
		rows[nrows++] = (OutdatedRow){
			cur->name, cur->version.str,
			want ? version_of(want) : "-",
			latest ? latest->v.str : "-",
			locking_is_direct(&res.pyproject, &every, groups, cur->name),
		};
	}
	rc = 0;
	if (json)
		rc = print_json(rows, nrows);
	else if (nrows)
		print_table(&cli->term, rows, nrows);
	if (!nrows)
		term_note(&cli->term, "All %zu package%s up to date", nnames,
			  nnames == 1 ? " is" : "s are");
	if (fflush(stdout) != 0)
		rc = 1;
done:
	cli->term.verbosity = verbosity;
	free(res.indexes);
	if (have_proj)
		project_free(&proj);
	free(names);
	free(offers);
	free(rows);
	locking_args_free(&la);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_outdated = {
	.name = "outdated",
	.usage = "[OPTIONS]",
	.summary = "list locked packages that have newer versions",
	.description = "List the locked packages that have newer versions on the index: the version\n"
		"locked (current), the one bunpy update would lock within pyproject.toml's\n"
		"constraints (wanted), and the newest the interpreter could install (latest;\n"
		"pre-releases only when the locked version is one, yanked releases never).",
	.options = outdated_options,
	.run = outdated_main,
};
