/*
 * cmd_lock.c - `bunpy lock`: resolve the project's requirements against its indexes
 * and write pylock.toml (the work is locking.c's); `bunpy export`: the lock as
 * requirements.txt.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/fs.h"
#include "locking.h"
#include "project.h"
#include "rules/lockfile.h"

enum {
	OPT_UPGRADE = 1, OPT_UPGRADE_PACKAGE, OPT_CHECK, OPT_DRY_RUN,
	OPT_FORMAT, OPT_OUTPUT, OPT_NO_HASHES,
};

static const CliOption lock_options[] = {
	LOCKING_OPTIONS,
	{ "upgrade", 'U', NULL, "ignore the versions in the existing lock", OPT_UPGRADE },
	{ "upgrade-package", 'P', "NAME", "let NAME move from its locked version (repeatable)", OPT_UPGRADE_PACKAGE },
	{ "check", 0, NULL, "exit 1 if pylock.toml is out of date; write nothing", OPT_CHECK },
	{ "dry-run", 'n', NULL, "resolve and print what would change; write nothing", OPT_DRY_RUN },
	{ NULL, 0, NULL, NULL, 0 },
};

static int lock_main(Cli *cli, int argc, char **argv);

static int
lock_main(Cli *cli, int argc, char **argv)
{
	LockingArgs la = { 0 };
	LockingResult res;
	Project proj;
	Arena a = { 0 };
	const char *arg;
	int id, rc;

	cli_begin(cli, &cmd_lock, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: rc = 2; goto done;
		case OPT_UPGRADE: la.upgrade = true; break;
		case OPT_UPGRADE_PACKAGE: cli_list_push(&la.upgrade_pkgs, &la.nupgrade, arg); break;
		case OPT_CHECK: la.check = true; break;
		case OPT_DRY_RUN: la.dry_run = true; break;
		default:
			if ((rc = locking_option(cli, &la, id, arg)) == 2)
				goto done;
		}
	}
	if (cli->noperands) {
		rc = cli_usage_error(cli, "lock takes no operands ('%s')", cli->operands[0]);
		goto done;
	}
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	rc = locking_run(cli, &proj, &la, &a, &res);
	free(res.indexes);
	project_free(&proj);
done:
	locking_args_free(&la);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_lock = {
	.name = "lock",
	.usage = "[OPTIONS]",
	.summary = "resolve the dependencies and write pylock.toml",
	.description = "Resolve the project's dependencies, optional dependencies and dependency groups\n"
		"for the target interpreter and write them to pylock.toml (PEP 751). A lock whose\n"
		"inputs did not change is left alone; versions already locked are kept unless an\n"
		"input needs them to move (or --upgrade).",
	.options = lock_options,
	.run = lock_main,
};

static const CliOption export_options[] = {
	{ "format", 0, "FORMAT", "requirements.txt (the only format so far)", OPT_FORMAT },
	{ "output", 'o', "FILE", "write to FILE instead of standard output", OPT_OUTPUT },
	{ "no-hashes", 0, NULL, "leave out the --hash options", OPT_NO_HASHES },
	SELECT_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int export_main(Cli *cli, int argc, char **argv);

static int
export_main(Cli *cli, int argc, char **argv)
{
	Selection sel = { 0 };
	const char *arg, *output = NULL, *path;
	Project proj;
	LockPrevious prev;
	Arena a = { 0 };
	Buf out = { 0 };
	Err err;
	int id, rc = 1;

	cli_begin(cli, &cmd_export, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: rc = 2; goto done;
		case OPT_FORMAT:
			if (strcmp(arg, "requirements.txt") != 0 && strcmp(arg, "requirements-txt") != 0) {
				rc = cli_usage_error(cli, "--format: only requirements.txt is supported, not '%s'", arg);
				goto done;
			}
			break;
		case OPT_OUTPUT: output = arg; break;
		case OPT_NO_HASHES: sel.o.no_hashes = true; break;
		default: (void)select_option(&sel, id, arg);
		}
	}
	if (cli->noperands) {
		rc = cli_usage_error(cli, "export takes no operands ('%s')", cli->operands[0]);
		goto done;
	}
	select_finish(&sel);
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	rc = 1;
	path = arena_printf(&a, "%s/%s", proj.root, LOCKFILE_NAME);
	if (lockfile_previous(path, &a, &prev, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
	} else if (!prev.present) {
		term_error(&cli->term, "%s: no lock yet" ERR_HINT "run bunpy lock first", path);
	} else if (lockfile_export_requirements(&prev.lock, &sel.o, &out, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
	} else if (output) {
		if (fs_write_atomic(output, out.data, out.len, 0644, &err) != 0)
			term_error(&cli->term, "%s", err.msg);
		else
			rc = 0;
	} else {
		rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
	}
	project_free(&proj);
done:
	select_free(&sel);
	buf_free(&out);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_export = {
	.name = "export",
	.usage = "[OPTIONS]",
	.summary = "write the lock as requirements.txt",
	.description = "Write the locked packages in another format: requirements.txt with hashes,\n"
		"for pip install --require-hashes.",
	.options = export_options,
	.run = export_main,
};
