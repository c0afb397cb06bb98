/*
 * cmd_add.c - `bunpy add SPEC...` and `bunpy remove NAME...`: edit one dependency array
 * of pyproject.toml, then lock and sync.
 *
 * The edit keeps every other byte of pyproject.toml (packaging/pyproject_edit.c). The
 * lock is then made current by the same code as `bunpy lock` (locking.c), and only if
 * that succeeds does the change stand: on any failure pyproject.toml and pylock.toml are
 * put back byte for byte as they were, so a package that cannot be resolved leaves
 * the project as it found it. A SPEC without a version or URL is written, once the
 * lock says which version it resolved to, as `NAME[EXTRAS]>=VERSION; MARKER`, and the
 * lock made current again (quick: the locked versions are kept as preferences).
 * Then the environment is synced (syncing.h) with the usual selection, unless
 * --no-sync.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "engine/fs.h"
#include "locking.h"
#include "packaging/name.h"
#include "packaging/pylock.h"
#include "packaging/pyproject.h"
#include "packaging/pyproject_edit.h"
#include "packaging/requirement.h"
#include "packaging/toml.h"
#include "project.h"
#include "rules/lockfile.h"
#include "syncing.h"

enum { OPT_DEV = 1, OPT_GROUP, OPT_OPTIONAL, OPT_NO_SYNC };

#define WHERE_OPTIONS \
	{ "dev", 0, NULL, "the dev dependency group (dependency-groups.dev)", OPT_DEV }, \
	{ "group", 0, "GROUP", "a dependency group (dependency-groups.GROUP)", OPT_GROUP }, \
	{ "optional", 0, "EXTRA", "an extra (project.optional-dependencies.EXTRA)", OPT_OPTIONAL }, \
	{ "no-sync", 0, NULL, "lock, but leave .venv as it is", OPT_NO_SYNC }, \
	{ "extra", 0, "NAME", "sync: include an extra (repeatable)", SELECT_OPT_EXTRA }, \
	{ "all-extras", 0, NULL, "sync: include every extra", SELECT_OPT_ALL_EXTRAS }, \
	{ "all-groups", 0, NULL, "sync: include every dependency group", SELECT_OPT_ALL_GROUPS }, \
	{ "no-dev", 0, NULL, "sync: leave out the dev group", SELECT_OPT_NO_DEV }, \
	{ "link-mode", 0, "MODE", "sync: clone (default), hardlink or copy files from the cache", SYNC_OPT_LINK_MODE }, \
	{ "compile-bytecode", 0, NULL, "sync: compile the installed modules to .pyc files", SYNC_OPT_COMPILE }

static const CliOption add_options[] = {
	WHERE_OPTIONS,
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static const CliOption remove_options[] = {
	WHERE_OPTIONS,
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

/* What both commands parse: where to edit, and how to lock and sync. */
typedef struct EditArgs {
	SyncArgs s;
	PyprojectArray which;
	const char *name;            /* the extra or group */
	int nwhere;                  /* how many of --dev, --group, --optional */
	bool no_sync;
} EditArgs;

/* Whether the sync after the edit installs the array edited. */
static bool
installs_where(const EditArgs *ea)
{
	const Selection *sel = &ea->s.sel;

	switch (ea->which) {
	case PYPROJECT_ARRAY_OPTIONAL:
		return sel->o.all_extras || name_in(ea->name, sel->extras, sel->o.nextras);
	case PYPROJECT_ARRAY_GROUP:
		return sel->o.all_groups || name_in(ea->name, sel->groups, sel->o.ngroups) ||
		       (!sel->no_dev && name_equal(ea->name, strlen(ea->name), "dev", 3));
	default:
		return true;
	}
}

static const char *
where_text(PyprojectArray which, const char *name, Arena *a)
{
	switch (which) {
	case PYPROJECT_ARRAY_DEPENDENCIES: return "project.dependencies";
	case PYPROJECT_ARRAY_OPTIONAL: return arena_printf(a, "project.optional-dependencies.%s", name);
	case PYPROJECT_ARRAY_GROUP: return arena_printf(a, "dependency-groups.%s", name);
	}
	return "?";
}

/* Options and operands; returns -1 to go on, else the exit status. */
static int
parse_args(Cli *cli, const CliCommand *cmd, int argc, char **argv, EditArgs *ea)
{
	const char *arg;
	int id;

	memset(ea, 0, sizeof(*ea));
	ea->which = PYPROJECT_ARRAY_DEPENDENCIES;
	cli_begin(cli, cmd, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_DEV:
			ea->which = PYPROJECT_ARRAY_GROUP;
			ea->name = "dev";
			ea->nwhere++;
			break;
		case OPT_GROUP:
		case OPT_OPTIONAL:
			if (!name_is_valid(arg, strlen(arg)))
				return cli_usage_error(cli, "'%s' is not a valid %s name", arg,
						       id == OPT_GROUP ? "group" : "extra");
			ea->which = id == OPT_GROUP ? PYPROJECT_ARRAY_GROUP : PYPROJECT_ARRAY_OPTIONAL;
			ea->name = arg;
			ea->nwhere++;
			break;
		case OPT_NO_SYNC: ea->no_sync = true; break;
		default:
			if (sync_option(cli, &ea->s, id, arg) == 2)
				return 2;
		}
	}
	if (ea->nwhere > 1)
		return cli_usage_error(cli, "--dev, --group and --optional choose one array: give at most one");
	if (!cli->noperands)
		return cli_usage_error(cli, "%s what? Give at least one %s", cmd->name,
				       cmd == &cmd_add ? "requirement" : "package name");
	return -1;
}

/*
 * One of the two files as it was before the edit. Written through a symlink to the
 * file itself, with its own permissions, both when edited and when put back.
 */
typedef struct SavedFile {
	char *path;                  /* the file itself (symlinks resolved) */
	char *tmp;                   /* beside it: what the signal handler writes first */
	Buf data;
	mode_t mode;
	bool existed;
} SavedFile;

/*
 * pyproject.toml and pylock.toml as they were, and how they are put back: by restore()
 * when a step fails, and by a signal handler when the command is interrupted where the
 * engine does not take signals itself (waiting for a lock, probing the interpreter,
 * between the lock and the sync; an interrupted build fails and takes the first way).
 * A handler reaches only what a static pointer gives it: `armed` below is the one
 * process-wide state of this file, set while the files differ from what was saved.
 */
typedef struct Saved {
	SavedFile py, lock;
	int edit_lock;               /* .bunpy/edit.lock: one add or remove at a time */
	bool armed;
	struct sigaction old[3];
} Saved;

static const int caught[3] = { SIGINT, SIGTERM, SIGHUP };
static const Saved *armed;

/* Async-signal-safe: open, write, fchmod, close, rename, unlink. */
static void
put_back_raw(const SavedFile *f)
{
	int fd;

	if (!f->existed) {
		unlink(f->path);
		return;
	}
	if ((fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, f->mode)) < 0)
		return;
	if (fs_write_all(fd, f->data.data ? f->data.data : "", f->data.len) < 0 ||
	    fchmod(fd, f->mode) != 0) {
		close(fd);
		unlink(f->tmp);
		return;
	}
	close(fd);
	rename(f->tmp, f->path);
}

static void
on_signal(int sig)
{
	static const char msg[] = "\nbunpy: interrupted; pyproject.toml and pylock.toml are as they were\n";

	if (armed) {
		put_back_raw(&armed->py);
		put_back_raw(&armed->lock);
	}
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

static void
arm(Saved *sv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	armed = sv;
	for (int i = 0; i < 3; i++)
		sigaction(caught[i], &sa, &sv->old[i]);
	sv->armed = true;
}

static void
disarm(Saved *sv)
{
	if (!sv->armed)
		return;
	for (int i = 0; i < 3; i++)
		sigaction(caught[i], &sv->old[i], NULL);
	armed = NULL;
	sv->armed = false;
}

static int
save_file(Cli *cli, const char *root, const char *name, SavedFile *f)
{
	char *path = NULL, real[PATH_MAX];
	struct stat st;
	Err err;

	if (asprintf(&path, "%s/%s", root, name) < 0)
		abort();
	f->path = xstrdup(realpath(path, real) ? real : path);
	free(path);
	if (asprintf(&f->tmp, "%s.bunpy-restore", f->path) < 0)
		abort();
	f->mode = 0644;
	if (stat(f->path, &st) == 0)
		f->mode = st.st_mode & 07777;
	if (fs_read_file(f->path, &f->data, &err) == 0) {
		f->existed = true;
		return 0;
	}
	if (errno != ENOENT || access(f->path, F_OK) == 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	return 0;
}

/* Take the edit lock, then read both files. */
static int
save(Cli *cli, const Project *proj, Saved *sv)
{
	char *lock_file = NULL;
	Err err;
	int rc;

	memset(sv, 0, sizeof(*sv));
	sv->edit_lock = -1;
	if (asprintf(&lock_file, "%s/.bunpy/edit.lock", proj->root) < 0)
		abort();
	if (fs_mkdir_parent(lock_file, &err) == 0 &&
	    (sv->edit_lock = fs_lock(lock_file, false, &err)) == -2) {
		term_note(&cli->term, "waiting for another bunpy add or remove in %s", proj->root);
		sv->edit_lock = fs_lock(lock_file, true, &err);
	}
	free(lock_file);
	if (sv->edit_lock < 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	if ((rc = save_file(cli, proj->root, "pyproject.toml", &sv->py)) != 0 ||
	    (rc = save_file(cli, proj->root, LOCKFILE_NAME, &sv->lock)) != 0)
		return rc;
	if (!sv->py.existed) {
		term_error(&cli->term, "%s: %s", sv->py.path, strerror(ENOENT));
		return 1;
	}
	/* a pyproject.toml that is wrong before the edit is the user's to fix (2); after
	 * this, a lock that fails is about what was added or removed (1) */
	{
		Arena a = { 0 };
		Pyproject py;
		int bad = pyproject_parse(sv->py.data.data ? sv->py.data.data : "", sv->py.data.len,
					  "pyproject.toml", &a, &py, &err);

		arena_free(&a);
		if (bad) {
			term_error(&cli->term, "%s", err.msg);
			return 2;
		}
	}
	return 0;
}

static int
restore_file(Cli *cli, const SavedFile *f)
{
	Err err;

	if (!f->existed) {
		if (unlink(f->path) != 0 && errno != ENOENT) {
			term_error(&cli->term, "could not remove the new %s: %s", f->path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (fs_write_atomic(f->path, f->data.data ? f->data.data : "", f->data.len, f->mode, &err) != 0) {
		term_error(&cli->term, "could not put %s back: %s", f->path, err.msg);
		return -1;
	}
	return 0;
}

/* After a failure: both files as they were, said once. */
static void
restore(Cli *cli, const Saved *sv)
{
	if (restore_file(cli, &sv->py) == 0 && restore_file(cli, &sv->lock) == 0)
		term_note(&cli->term, "pyproject.toml and %s are as they were", LOCKFILE_NAME);
}

static void
saved_free(Saved *sv)
{
	disarm(sv);
	fs_unlock(sv->edit_lock);
	sv->edit_lock = -1;
	for (SavedFile *f = &sv->py; f <= &sv->lock; f++) {
		free(f->path);
		free(f->tmp);
		buf_free(&f->data);
	}
}

static int
write_py(Cli *cli, const Saved *sv, const Buf *text)
{
	Err err;

	if (fs_write_atomic(sv->py.path, text->data, text->len, sv->py.mode, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	return 0;
}

/* The last step of both commands: sync unless --no-sync; after any failure so far
 * (rc) or of the sync, both files put back. */
static int
finish(Cli *cli, Project *proj, EditArgs *ea, Saved *sv, int rc)
{
	if (rc == 0 && !ea->no_sync)
		rc = sync_project(cli, proj, &ea->s, NULL);
	if (rc != 0)
		restore(cli, sv);
	disarm(sv);
	return rc;
}

/* The version the lock holds for a package; NULL when it holds none. */
static const char *
locked_version(const Project *proj, const LockingResult *res, const char *normalized, Arena *a)
{
	Pylock lock;
	Err err;

	if (locking_lock(proj, res, a, &lock, &err) != 0)
		return NULL;
	for (size_t i = 0; i < lock.packages_len; i++)
		if (!strcmp(lock.packages[i].name, normalized) && lock.packages[i].has_version)
			return lock.packages[i].version.str;
	return NULL;
}

/* NAME[EXTRAS]>=VERSION; MARKER, each part as the user wrote it. */
static const char *
with_lower_bound(const char *spec, const Requirement *r, const char *version, Arena *a)
{
	Buf b = { 0 };
	const char *semi = strchr(spec, ';'), *out;

	buf_puts(&b, r->name);
	if (r->extras_len) {
		buf_putc(&b, '[');
		for (size_t i = 0; i < r->extras_len; i++)
			buf_printf(&b, "%s%s", i ? "," : "", r->extras[i]);
		buf_putc(&b, ']');
	}
	/* a local label (1.0+cpu) may not follow >= (PEP 440): the public part does */
	buf_printf(&b, ">=%.*s", (int)strcspn(version, "+"), version);
	if (semi && r->marker) {
		const char *m = semi + 1;
		size_t n;

		while (*m == ' ' || *m == '\t')
			m++;
		n = strlen(m);
		while (n && (m[n - 1] == ' ' || m[n - 1] == '\t'))
			n--;
		buf_printf(&b, "; %.*s", (int)n, m);
	}
	out = arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return out;
}

/* Lock quietly or not; the exit status. */
static int
lock_now(Cli *cli, Project *proj, EditArgs *ea, Arena *a, LockingResult *res, bool quiet)
{
	int verbosity = cli->term.verbosity, rc;

	if (quiet)
		cli->term.verbosity = -1;
	rc = locking_run(cli, proj, &ea->s.la, a, res);
	cli->term.verbosity = verbosity;
	/* the project was valid before the edit: what fails now is the change */
	if (rc == 2)
		rc = 1;
	free(res->indexes);
	res->indexes = NULL;
	return rc;
}

static int
add_main(Cli *cli, int argc, char **argv)
{
	EditArgs ea;
	Project proj = { 0 };
	Saved sv = { .edit_lock = -1 };
	Arena a = { 0 };
	Buf cur = { 0 }, next = { 0 };
	LockingResult res;
	Requirement *reqs;
	const char **specs, *where;
	bool have_proj = false, any_bare = false;
	int rc, n;
	Err err;

	if ((rc = parse_args(cli, &cmd_add, argc, argv, &ea)) >= 0)
		goto done;
	n = cli->noperands;
	reqs = arena_zalloc(&a, (size_t)n * sizeof(*reqs));
	specs = arena_zalloc(&a, (size_t)n * sizeof(*specs));
	for (int i = 0; i < n; i++) {
		specs[i] = cli->operands[i];
		if (requirement_parse(specs[i], strlen(specs[i]), &a, &reqs[i], &err) != 0) {
			term_error(&cli->term, "'%s' is not a valid requirement: %s", specs[i], err.msg);
			rc = 2;
			goto done;
		}
		any_bare |= !reqs[i].url && reqs[i].spec.len == 0;
	}
	where = where_text(ea.which, ea.name, &a);
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	have_proj = true;
	if ((rc = save(cli, &proj, &sv)) != 0)
		goto done;

	/* the edit, in memory first: a pyproject.toml bunpy cannot edit is left alone */
	buf_append(&cur, sv.py.data.data ? sv.py.data.data : "", sv.py.data.len);
	for (int i = 0; i < n; i++) {
		buf_clear(&next);
		if (pyproject_edit_add(cur.data, cur.len, "pyproject.toml", ea.which, ea.name, specs[i], &next,
				       &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = 2;
			goto done;
		}
		buf_clear(&cur);
		buf_append(&cur, next.data, next.len);
	}
	arm(&sv);
	if ((rc = write_py(cli, &sv, &cur)) != 0 ||
	    (rc = lock_now(cli, &proj, &ea, &a, &res, false)) != 0)
		goto end;

	/* no version asked: at least the one resolved */
	if (any_bare) {
		bool changed = false;

		for (int i = 0; i < n; i++) {
			const char *v;

			if (reqs[i].url || reqs[i].spec.len)
				continue;
			if (!(v = locked_version(&proj, &res, reqs[i].normalized, &a))) {
				term_debug(&cli->term, "%s is not in the lock (its marker is false here?): "
					   "kept as written", reqs[i].name);
				continue;
			}
			specs[i] = with_lower_bound(specs[i], &reqs[i], v, &a);
			buf_clear(&next);
			if (pyproject_edit_add(cur.data, cur.len, "pyproject.toml", ea.which, ea.name, specs[i],
					       &next, &err) != 0) {
				term_error(&cli->term, "%s", err.msg);
				rc = 1;
				goto end;
			}
			buf_clear(&cur);
			buf_append(&cur, next.data, next.len);
			changed = true;
		}
		if (changed && ((rc = write_py(cli, &sv, &cur)) != 0 ||
				(rc = lock_now(cli, &proj, &ea, &a, &res, true)) != 0))
			goto end;
	}
	for (int i = 0; i < n; i++)
		term_note(&cli->term, "Added %s to %s", specs[i], where);
	/* a sync installs dev and what its options say; say how to get the rest */
	if (!ea.no_sync && !installs_where(&ea))
		term_note(&cli->term, "%s is not installed by default: bunpy sync --%s %s installs it",
			  where, ea.which == PYPROJECT_ARRAY_OPTIONAL ? "extra" : "group", ea.name);
end:
	rc = finish(cli, &proj, &ea, &sv, rc);
done:
	buf_free(&cur);
	buf_free(&next);
	saved_free(&sv);
	if (have_proj)
		project_free(&proj);
	sync_args_free(&ea.s);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_add = {
	.name = "add",
	.usage = "[OPTIONS] SPEC...",
	.summary = "add dependencies to pyproject.toml, then lock and sync",
	.description = "Add dependencies to pyproject.toml, then lock and sync.\n"
		"\n"
		"Each SPEC is a PEP 508 requirement (\"httpx\", \"httpx>=0.27\", \"rich[jupyter];\n"
		"python_version >= '3.9'\", \"pkg @ https://...\") and is written as given, except\n"
		"that one without a version or URL gets '>=' the version the lock resolved. It\n"
		"goes to project.dependencies, or with --dev, --group or --optional to that array,\n"
		"replacing an entry for the same package; every other byte of pyproject.toml is\n"
		"kept. If the lock or the sync fails, pyproject.toml and pylock.toml are left as\n"
		"they were.",
	.options = add_options,
	.run = add_main,
};

/* Every array of the document that names a package: for the hint. */
static const char *
found_elsewhere(const char *text, size_t len, const EditArgs *ea, const char *normalized, Arena *a)
{
	TomlValue *root;
	const TomlValue *t;
	Buf scratch = { 0 };
	const char *hit = NULL;
	size_t removed = 0;
	Err err;

	if (toml_parse(text, len, "pyproject.toml", a, &root, &err) != 0)
		return NULL;
	if (ea->which != PYPROJECT_ARRAY_DEPENDENCIES &&
	    pyproject_edit_remove(text, len, "pyproject.toml", PYPROJECT_ARRAY_DEPENDENCIES, NULL, normalized,
				  &scratch, &removed, &err) == 0 && removed)
		hit = "it is in project.dependencies (bunpy remove without --dev, --group or --optional)";
	for (int k = 0; k < 2 && !hit; k++) {
		PyprojectArray w = k ? PYPROJECT_ARRAY_GROUP : PYPROJECT_ARRAY_OPTIONAL;

		t = toml_get_path(root, k ? "dependency-groups" : "project.optional-dependencies");
		for (size_t i = 0; t && t->type == TOML_TABLE && i < t->u.table.len && !hit; i++) {
			const TomlEntry *e = &t->u.table.entries[i];
			const char *nm = arena_strndup(a, e->key, e->key_len);

			if (w == ea->which && ea->name && name_equal(nm, strlen(nm), ea->name, strlen(ea->name)))
				continue;
			if (!name_is_valid(nm, strlen(nm)))
				continue;
			buf_clear(&scratch);
			if (pyproject_edit_remove(text, len, "pyproject.toml", w, nm, normalized, &scratch, &removed,
						  &err) == 0 && removed)
				hit = w == PYPROJECT_ARRAY_GROUP ?
				      (!strcmp(nm, "dev") ? "it is in dependency-groups.dev: bunpy remove --dev" :
				       arena_printf(a, "it is in dependency-groups.%s: bunpy remove --group %s", nm, nm)) :
				      arena_printf(a, "it is in project.optional-dependencies.%s: bunpy remove "
						   "--optional %s", nm, nm);
		}
	}
	buf_free(&scratch);
	return hit;
}

static int
remove_main(Cli *cli, int argc, char **argv)
{
	EditArgs ea;
	Project proj = { 0 };
	Saved sv = { .edit_lock = -1 };
	Arena a = { 0 };
	Buf cur = { 0 }, next = { 0 };
	LockingResult res;
	const char *where;
	bool have_proj = false;
	int rc, n;
	Err err;

	if ((rc = parse_args(cli, &cmd_remove, argc, argv, &ea)) >= 0)
		goto done;
	n = cli->noperands;
	for (int i = 0; i < n; i++)
		if (!name_is_valid(cli->operands[i], strlen(cli->operands[i]))) {
			rc = cli_usage_error(cli, "'%s' is not a valid package name", cli->operands[i]);
			goto done;
		}
	where = where_text(ea.which, ea.name, &a);
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	have_proj = true;
	if ((rc = save(cli, &proj, &sv)) != 0)
		goto done;
	buf_append(&cur, sv.py.data.data ? sv.py.data.data : "", sv.py.data.len);
	for (int i = 0; i < n; i++) {
		const char *nm = cli->operands[i], *norm = name_normalize(nm, strlen(nm), &a), *hint;
		size_t removed = 0;

		buf_clear(&next);
		if (pyproject_edit_remove(cur.data, cur.len, "pyproject.toml", ea.which, ea.name, norm, &next,
					  &removed, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = 2;
			goto done;
		}
		if (!removed) {
			if ((hint = found_elsewhere(cur.data, cur.len, &ea, norm, &a)))
				term_error(&cli->term, "%s is not in %s" ERR_HINT "%s", nm, where, hint);
			else
				term_error(&cli->term, "%s is not in %s", nm, where);
			rc = 1;
			goto done;
		}
		buf_clear(&cur);
		buf_append(&cur, next.data, next.len);
	}
	arm(&sv);
	if ((rc = write_py(cli, &sv, &cur)) != 0 ||
	    (rc = lock_now(cli, &proj, &ea, &a, &res, false)) != 0)
		goto end;
	for (int i = 0; i < n; i++)
		term_note(&cli->term, "Removed %s from %s", cli->operands[i], where);
end:
	rc = finish(cli, &proj, &ea, &sv, rc);
done:
	buf_free(&cur);
	buf_free(&next);
	saved_free(&sv);
	if (have_proj)
		project_free(&proj);
	sync_args_free(&ea.s);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_remove = {
	.name = "remove",
	.usage = "[OPTIONS] NAME...",
	.summary = "remove dependencies from pyproject.toml, then lock and sync",
	.description = "Remove dependencies from pyproject.toml, then lock and sync.\n"
		"\n"
		"Every entry naming NAME (compared normalized) leaves project.dependencies, or with\n"
		"--dev, --group or --optional that array; every other byte of pyproject.toml is kept.\n"
		"The sync then takes the package out of .venv, with whatever only it needed.",
	.options = remove_options,
	.run = remove_main,
};
