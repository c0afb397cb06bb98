/*
 * cmd_run.c - `bunpy run`: a program in the project's environment, or the project's
 * tasks.
 *
 * A program (SCRIPT.py, -m MODULE, -c CODE, a COMMAND of .venv/bin or PATH) replaces
 * bunpy with execve once the environment is synced: there is no parent left to
 * forward signals or exit statuses, so the pid, the exit status, every signal and the
 * standard streams are the program's own. The sync is sync_project's no-op check on
 * every run (two small files read, four directories stated), quiet unless it installs
 * or removes something, when one line says so. Every descriptor bunpy opens on this
 * path is close-on-exec: the program inherits what bunpy was given and nothing else.
 *
 * `--with PKG` adds an overlay environment: a generated project in
 * CACHE/environments/HASH (HASH of the packages, the project's interpreter and its
 * index settings) whose dependencies are the PKGs, locked and synced by the same code
 * as the project. A .pth file in its site-packages adds the project's site-packages
 * after its own, so the program runs on the overlay's interpreter with the PKGs first on
 * sys.path and the overlay's bin first on PATH. A later run with the same PKGs finds
 * the overlay current (the sync's no-op) and reuses it.
 *
 * A first operand that names a task of [tool.bunpy.tasks] runs the tasks instead,
 * exactly as before: every operand a task, with -j/-k/-n.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "commands.h"
#include "engine/cacheindex.h"
#include "engine/engine.h"
#include "engine/fs.h"
#include "engine/hash.h"
#include "engine/proc.h"
#include "packaging/pyproject.h"
#include "packaging/toml.h"
#include "project.h"
#include "rules/rules.h"
#include "rules/taskdef.h"
#include "rules/venv.h"
#include "syncing.h"

enum { OPT_JOBS = 1, OPT_KEEP_GOING, OPT_DRY_RUN, OPT_MODULE, OPT_CODE, OPT_NO_SYNC, OPT_WITH };

static const CliOption run_options[] = {
	{ "module", 'm', "MODULE", "run a module in the environment: python -m MODULE [ARGS...]", OPT_MODULE },
	{ "code", 'c', "CODE", "run Python code in the environment: python -c CODE [ARGS...]", OPT_CODE },
	{ "no-sync", 0, NULL, "run in .venv as it is, without syncing it first", OPT_NO_SYNC },
	{ "with", 0, "PKG", "make PKG importable for this run only, over the project's packages (repeatable)", OPT_WITH },
	{ "jobs", 'j', "N", "tasks: run at most N at once (default: number of cores)", OPT_JOBS },
	{ "keep-going", 'k', NULL, "tasks: after a failure, still run what does not depend on it", OPT_KEEP_GOING },
	{ "dry-run", 'n', NULL, "tasks: say which would run and why, run nothing", OPT_DRY_RUN },
	SELECT_OPTIONS,
	SYNC_OPTIONS,
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int run_main(Cli *cli, int argc, char **argv);

typedef struct RunState {
	Cli *cli;
	size_t ran, clean, restored, failed, skipped;
} RunState;

static void
on_started(void *ctx, const char *kind, const char *key, const char *detail)
{
	RunState *rs = ctx;
	const Term *t = &rs->cli->term;

	if (strcmp(kind, "task") != 0 || t->verbosity < 0)
		return;
	fprintf(stderr, "%s[%s]%s %s%s%s\n", term_bold(t, stderr), key, term_reset(t, stderr),
		term_dim(t, stderr), detail ? detail : "", term_reset(t, stderr));
	fflush(stderr);
}

static const char *
result_word(NodeResult r)
{
	switch (r) {
	case NR_CLEAN: return "up to date";
	case NR_RESTORED: return "restored from cache";
	case NR_RAN: return "ran";
	case NR_FAILED: return "failed";
	case NR_SKIPPED: return "not run";
	default: return "unknown";
	}
}

static void
on_finished(void *ctx, const char *kind, const char *key, NodeResult r, int64_t us,
	    const char *error)
{
	RunState *rs = ctx;
	bool task = !strcmp(kind, "task");

	if (task) {
		switch (r) {
		case NR_RAN: rs->ran++; break;
		case NR_CLEAN: rs->clean++; break;
		case NR_RESTORED: rs->restored++; break;
		case NR_FAILED: rs->failed++; break;
		case NR_SKIPPED: rs->skipped++; break;
		default: break;
		}
	}
	if (rs->cli->term.verbosity >= (task ? 1 : 2))
		term_debug(&rs->cli->term, "%s:%s %s (%.3fs)%s%s", kind, key, result_word(r),
			   (double)us / 1e6, error ? ": " : "", error ? error : "");
}

static int
list_tasks(Cli *cli, Project *p, Engine *eng)
{
	NodeRef goal = { "tasks", RULES_PYPROJECT };
	BuildReport report;
	NodeValue v;
	size_t i, n, width = 0;
	Err err;
	int rc = 0;

	if (eng_build(eng, &goal, 1, &report, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	if (report.nfailures) {
		term_error(&cli->term, "%s", report.failures[0].message);
		build_report_free(&report);
		return 2;
	}
	build_report_free(&report);
	if (eng_value(eng, "tasks", RULES_PYPROJECT, &v, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	n = taskdef_count(v.data, v.len);
	if (!n) {
		printf("%s/%s declares no tasks. Add some under [tool.bunpy.tasks], e.g.\n\n"
		       "  [tool.bunpy.tasks]\n  test = \"python -m pytest\"\n", p->root, RULES_PYPROJECT);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *name, *json;
		size_t nl, jl;

		if (taskdef_entry(v.data, v.len, i, &name, &nl, &json, &jl) && nl > width)
			width = nl;
	}
	printf("Tasks in %s/%s:\n", p->root, RULES_PYPROJECT);
	for (i = 0; i < n && rc == 0; i++) {
		const char *name, *json;
		size_t nl, jl;
		Arena a = { 0 };
		TaskDef def;

		if (!taskdef_entry(v.data, v.len, i, &name, &nl, &json, &jl) ||
		    taskdef_decode(json, jl, &a, &def, &err) != 0) {
			term_error(&cli->term, "the task table is damaged; delete %s/.bunpy", p->root);
			rc = 1;
		} else {
			printf("  %s%-*s%s  %s\n", term_bold(&cli->term, stdout), (int)width, def.name,
			       term_reset(&cli->term, stdout), *def.description ? def.description : def.command);
		}
		arena_free(&a);
	}
	return rc;
}

static int
dry_run(Cli *cli, Engine *eng, char *const *tasks, int ntasks)
{
	int i;

	for (i = 0; i < ntasks; i++) {
		NodeRef goal = { "task", tasks[i] };
		Buf why = { 0 };
		Err err;

		if (eng_explain(eng, &goal, &why, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			buf_free(&why);
			return 1;
		}
		fputs(why.data, stdout);
		buf_free(&why);
	}
	return 0;
}

static void
on_warning(void *ctx, const char *message)
{
	RunState *rs = ctx;

	term_warn(&rs->cli->term, "%s", message);
}

static void
summarize(Cli *cli, const RunState *rs, const BuildReport *report)
{
	size_t total = rs->ran + rs->clean + rs->restored + rs->failed + rs->skipped;
	Buf parts = { 0 };

	if (total == rs->skipped)
		return;   /* nothing was even checked: the error said it all */
	if (rs->ran)
		buf_printf(&parts, "%zu ran", rs->ran);
	if (rs->clean)
		buf_printf(&parts, "%s%zu up to date", parts.len ? ", " : "", rs->clean);
	if (rs->restored)
		buf_printf(&parts, "%s%zu restored from cache", parts.len ? ", " : "", rs->restored);
	if (rs->failed)
		buf_printf(&parts, "%s%zu failed", parts.len ? ", " : "", rs->failed);
	if (rs->skipped)
		buf_printf(&parts, "%s%zu not run", parts.len ? ", " : "", rs->skipped);
	term_note(&cli->term, "%zu task%s: %s (%.2fs)", total, total == 1 ? "" : "s", parts.data,
		  (double)report->wall_us / 1e6);
	buf_free(&parts);
}

/* Bring tasks up to date (or, with none, list them): the task runner. */
static int
run_tasks(Cli *cli, Project *p, EngineConfig *cfg, bool dry, char *const *tasks, int ntasks)
{
	RunState rs = { .cli = cli };
	BuildReport report;
	Engine *eng = NULL;
	NodeRef *goals;
	Err err;
	int rc, i;

	cfg->command = "run";
	cfg->handle_signals = true;
	cfg->hooks = (EngineHooks){ &rs, on_started, on_finished, on_warning, NULL };
	if ((rc = project_open(cli, p, cfg, &eng)) != 0)
		return rc;
	if (ntasks == 0) {
		rc = list_tasks(cli, p, eng);
		goto out;
	}
	for (i = 0; i < ntasks; i++) {
		if (!taskdef_valid_name(tasks[i], strlen(tasks[i]))) {
			rc = cli_usage_error(cli, "'%s' is not a task name", tasks[i]);
			goto out;
		}
	}
	if (dry) {
		rc = dry_run(cli, eng, tasks, ntasks);
		goto out;
	}
	goals = xcalloc((size_t)ntasks, sizeof(*goals));
	for (i = 0; i < ntasks; i++)
		goals[i] = (NodeRef){ "task", tasks[i] };
	if (eng_build(eng, goals, (size_t)ntasks, &report, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		free(goals);
		rc = 1;
		goto out;
	}
	free(goals);
	for (i = 0; i < (int)report.nfailures; i++)
		term_error(&cli->term, "%s", report.failures[i].message);
	if (report.interrupted)
		term_error(&cli->term, "interrupted; what finished is kept, the next run does the rest");
	summarize(cli, &rs, &report);
	rc = report.interrupted ? 130 : report.exit_code;
	build_report_free(&report);
out:
	eng_close(eng);
	return rc;
}

/* ------------------------------------------------------------------ what TARGET is */

typedef enum RunKind { RUN_NONE, RUN_MODULE, RUN_CODE, RUN_SCRIPT, RUN_COMMAND } RunKind;

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && !strcmp(s + n - t, tail);
}

/* A regular file whose first line is a shebang naming a python. */
static bool
python_shebang(const char *path)
{
	char head[256];
	ssize_t n;
	char *nl;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return false;
	head[n] = '\0';
	if ((nl = strchr(head, '\n')))
		*nl = '\0';
	return strstr(head, "python") != NULL;
}

/* What pyproject.toml says about a bare TARGET: whether it is a task, whether there
 * are tasks at all, and whether there is a [project] to sync. A pyproject that does
 * not parse makes every name a task: the task runner reports the mistake as it always
 * did. */
typedef struct ProjectShape {
	bool is_task, has_project;
	size_t ntasks;
} ProjectShape;

static ProjectShape
project_shape(const Project *p, const char *name)
{
	ProjectShape sh = { true, false, 0 };
	char *path = NULL;
	Buf text = { 0 };
	Arena a = { 0 };
	TomlValue *root;
	const TomlValue *tasks;
	Err err;

	if (asprintf(&path, "%s/%s", p->root, RULES_PYPROJECT) < 0)
		abort();
	if (fs_read_file(path, &text, &err) == 0 &&
	    toml_parse(text.data, text.len, RULES_PYPROJECT, &a, &root, &err) == 0) {
		tasks = toml_get_path(root, "tool.bunpy.tasks");
		sh.has_project = toml_get(root, "project") != NULL;
		sh.ntasks = tasks && tasks->type == TOML_TABLE ? tasks->u.table.len : 0;
		sh.is_task = sh.ntasks && toml_getn(tasks, name, strlen(name)) != NULL;
	}
	free(path);
	buf_free(&text);
	arena_free(&a);
	return sh;
}

/* ------------------------------------------------------------------ --with */

/* ENV/lib/python3.N/site-packages, the one there is; NULL when none. */
static const char *
site_packages(const char *env, Arena *a)
{
	char *lib = arena_printf(a, "%s/lib", env);
	const char *found = NULL;
	struct dirent *e;
	DIR *d = opendir(lib);

	if (!d)
		return NULL;
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "python", 6)) {
			char *sp = arena_printf(a, "%s/%s/site-packages", lib, e->d_name);
			struct stat st;

			if (stat(sp, &st) == 0 && S_ISDIR(st.st_mode))
				found = sp;
		}
	closedir(d);
	return found;
}

/* A path or URL of the project's settings, as the overlay (elsewhere) must read it. */
static const char *
absolute_location(const char *s, const char *root, Arena *a)
{
	char *p;

	if (strstr(s, "://") || s[0] == '/')
		return s;
	p = arena_printf(a, "%s/%s", root, s);
	fs_path_clean(p);
	return p;
}

static const char **
absolute_list(const char *const *items, size_t n, const char *root, Arena *a)
{
	const char **out = arena_zalloc(a, (n + 1) * sizeof(*out));

	for (size_t i = 0; i < n; i++)
		out[i] = absolute_location(items[i], root, a);
	return out;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Write path unless it already holds exactly text. */
static int
write_if_changed(const char *path, const char *text, Err *err)
{
	Buf old = { 0 };
	bool same = fs_read_file(path, &old, NULL) == 0 && old.len == strlen(text) &&
		    !memcmp(old.data, text, old.len);

	buf_free(&old);
	return same ? 0 : fs_write_atomic(path, text, strlen(text), 0644, err);
}

/*
 * Make the overlay environment for pkgs current; *out is its root (ENV, with ENV/bin
 * and ENV/bin/python). The index settings are the project's (flags, then the
 * environment, then its [tool.bunpy]), relative paths made absolute, and the
 * interpreter is the one its .venv was made for.
 */
static int
with_environment(Cli *cli, Project *proj, const SyncArgs *s, const char **pkgs, size_t n,
		 const char *venv, Arena *a, const char **out)
{
	LockingArgs la = s->la;
	SyncArgs os = { 0 };
	SyncOutcome done;
	Project op = { 0 };
	Pyproject py;
	Buf text = { 0 }, key = { 0 }, doc = { 0 }, pth = { 0 };
	const char **sorted, *python, *dir, *sp, *base_sp;
	char hex[DIGEST_HEX_LEN + 1];
	Digest d;
	Err err;
	int rc = 1;
	size_t i;

	if (!proj->cache_dir) {
		term_error(&cli->term, "--with keeps its environment in the cache, and there is none: set "
			   "BUNPY_CACHE_DIR or HOME");
		return 2;
	}
	if (fs_read_file(arena_printf(a, "%s/pyvenv.cfg", venv), &text, &err) != 0 ||
	    !(python = venv_cfg_value(text.data, "executable", a))) {
		term_error(&cli->term, "%s/pyvenv.cfg names no interpreter for --with; run bunpy sync", venv);
		buf_free(&text);
		return 1;
	}
	buf_free(&text);
	if (fs_read_file(arena_printf(a, "%s/%s", proj->root, RULES_PYPROJECT), &text, &err) != 0 ||
	    pyproject_parse(arena_strndup(a, text.data, text.len), text.len, RULES_PYPROJECT, a, &py, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		buf_free(&text);
		return 2;
	}
	buf_free(&text);

	/* the project's index settings, as flags of the overlay's lock (a flag or the
	 * environment already wins over [tool.bunpy], in the overlay as in the project) */
	la.python = python;
	if (la.index_url)
		la.index_url = absolute_location(la.index_url, proj->root, a);
	else if (!getenv("BUNPY_INDEX_URL") && py.bunpy.index_url)
		la.index_url = absolute_location(py.bunpy.index_url, proj->root, a);
	if (la.nextra) {
		la.extra_urls = absolute_list(la.extra_urls, la.nextra, proj->root, a);
	} else if (!getenv("BUNPY_EXTRA_INDEX_URL")) {
		la.nextra = py.bunpy.extra_index_urls.len;
		la.extra_urls = absolute_list(py.bunpy.extra_index_urls.items, la.nextra, proj->root, a);
	}
	if (la.nfind) {
		la.find_links = absolute_list(la.find_links, la.nfind, proj->root, a);
	} else if (!getenv("BUNPY_FIND_LINKS")) {
		la.nfind = py.bunpy.find_links.len;
		la.find_links = absolute_list(py.bunpy.find_links.items, la.nfind, proj->root, a);
	}
	la.upgrade_pkgs = NULL;
	la.nupgrade = 0;
	la.upgrade = la.check = la.dry_run = false;

	/* the overlay's name: everything that decides what it holds */
	sorted = arena_alloc(a, (n + 1) * sizeof(*sorted));
	memcpy(sorted, pkgs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	buf_printf(&key, "bunpy-with 1%c%s%c", 0, python, 0);
	for (i = 0; i < n; i++)
		buf_printf(&key, "pkg %s%c", sorted[i], 0);
	buf_printf(&key, "index %s%c", la.index_url ? la.index_url : "", 0);
	for (i = 0; i < la.nextra; i++)
		buf_printf(&key, "extra %s%c", la.extra_urls[i], 0);
	for (i = 0; i < la.nfind; i++)
		buf_printf(&key, "find %s%c", la.find_links[i], 0);
	buf_printf(&key, "env %s%c%s%c%s%c", getenv("BUNPY_INDEX_URL") ? getenv("BUNPY_INDEX_URL") : "", 0,
		   getenv("BUNPY_EXTRA_INDEX_URL") ? getenv("BUNPY_EXTRA_INDEX_URL") : "", 0,
		   getenv("BUNPY_FIND_LINKS") ? getenv("BUNPY_FIND_LINKS") : "", 0);
	buf_printf(&key, "modes %s %s", la.prerelease ? la.prerelease : "", la.resolution ? la.resolution : "");
	d = hash_bytes(key.data, key.len);
	hash_hex(d.b, sizeof(d.b), hex);
	dir = arena_printf(a, "%s/environments/%s", proj->cache_dir, hex);

	/* the generated project */
	buf_puts(&doc, "# The overlay environment of `bunpy run --with`, made by bunpy: the packages\n"
		 "# below, over a project's .venv (see the .pth file in site-packages).\n"
		 "[project]\nname = \"bunpy-with\"\nversion = \"0\"\ndependencies = [");
	for (i = 0; i < n; i++) {
		buf_puts(&doc, i ? ", " : "");
		buf_json_string(&doc, sorted[i], strlen(sorted[i]));
	}
	buf_puts(&doc, "]\n");
	if (fs_mkdir_p(dir, &err) != 0 ||
	    write_if_changed(arena_printf(a, "%s/%s", dir, RULES_PYPROJECT), doc.data, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto out;
	}

	op.root = xstrdup(dir);
	op.cache_dir = xstrdup(proj->cache_dir);
	os.la = la;
	os.compile = s->compile;
	os.link_mode_set = s->link_mode_set;
	os.link_mode = s->link_mode;
	os.quiet = true;
	if ((rc = sync_project(cli, &op, &os, &done)) != 0) {
		term_error(&cli->term, "could not make the environment for --with %s%s", sorted[0],
			   n > 1 ? " ..." : "");
		goto out;
	}
	/* used now: cache prune goes by last use */
	cacheindex_note_use(proj->cache_dir, arena_printf(a, "environments/%s", hex));
	rc = 1;
	if (done.installed || done.removed || done.venv_created)
		term_note(&cli->term, "Installed %zu package%s for --with", done.installed,
			  done.installed == 1 ? "" : "s");

	/* the project's packages after the overlay's own, .pth files included */
	*out = arena_printf(a, "%s/.venv", dir);
	if (!(sp = site_packages(*out, a)) || !(base_sp = site_packages(venv, a))) {
		term_error(&cli->term, "%s: no site-packages in %s", dir, sp ? venv : *out);
		goto out;
	}
	buf_puts(&pth, "import site; site.addsitedir(");
	buf_json_string(&pth, base_sp, strlen(base_sp));
	buf_puts(&pth, ")\n");
	if (write_if_changed(arena_printf(a, "%s/_bunpy_with.pth", sp), pth.data, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto out;
	}
	rc = 0;
out:
	select_free(&os.sel);
	project_free(&op);
	buf_free(&key);
	buf_free(&doc);
	buf_free(&pth);
	return rc;
}

/* ------------------------------------------------------------------ the program */

/*
 * Replace bunpy with the program. argv[0] of a python program is the interpreter;
 * of a command, the command as written.
 */
static int
exec_program(Cli *cli, RunKind kind, const char *target, char **args, int nargs, const char *venv,
	     const char *overlay, bool has_venv, bool quiet_missing, Arena *a)
{
	const char *path = getenv("PATH"), *interp, *file;
	const char **argv = arena_zalloc(a, (size_t)(nargs + 4) * sizeof(*argv));
	const char *set[3] = { NULL, NULL, NULL }, *unset[] = { "PYTHONHOME", NULL };
	Buf found = { 0 };
	Err err;
	int k = 0, e;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	interp = arena_printf(a, "%s/bin/python", overlay ? overlay : venv);
	if (has_venv) {
		set[0] = arena_printf(a, "VIRTUAL_ENV=%s", venv);
		set[1] = overlay ? arena_printf(a, "PATH=%s/bin:%s/bin:%s", overlay, venv, path) :
				   arena_printf(a, "PATH=%s/bin:%s", venv, path);
	}
	switch (kind) {
	case RUN_MODULE:
	case RUN_CODE:
		argv[k++] = interp;
		argv[k++] = kind == RUN_MODULE ? "-m" : "-c";
		argv[k++] = target;
		file = interp;
		break;
	case RUN_SCRIPT:
		argv[k++] = interp;
		argv[k++] = target;
		file = interp;
		break;
	default:
		argv[k++] = target;
		if (strchr(target, '/'))
			file = target;
		else if ((overlay && proc_search_path(arena_printf(a, "%s/bin", overlay), target, &found)) ||
			 (has_venv && proc_search_path(arena_printf(a, "%s/bin", venv), target, &found)) ||
			 proc_search_path(path, target, &found))
			file = arena_strdup(a, found.data);
		else
			file = NULL;
		buf_free(&found);
		if (!file) {
			if (!quiet_missing)
				term_error(&cli->term, "no command '%s' in %s/bin or on PATH", target, venv);
			return 127;
		}
		break;
	}
	for (int i = 0; i < nargs; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	if (kind != RUN_COMMAND && access(interp, X_OK) != 0) {
		term_error(&cli->term, "%s is missing; run bunpy sync", interp);
		return 1;
	}
	proc_exec(file, argv, set, unset, &err);
	e = errno;
	term_error(&cli->term, "%s", err.msg);
	return e == ENOENT ? 127 : 126;   /* as a shell says it */
}

/* -j, -k, -n (other ids are not the task runner's: ignored); 2 after a usage error. */
static int
task_option(Cli *cli, EngineConfig *cfg, bool *dry, int id, const char *arg)
{
	switch (id) {
	case OPT_JOBS:
		if ((cfg->jobs = cli_positive(arg)) < 0)
			return cli_usage_error(cli, "--jobs takes a positive number, not '%s'", arg);
		break;
	case OPT_KEEP_GOING: cfg->keep_going = true; break;
	case OPT_DRY_RUN: *dry = true; break;
	}
	return 0;
}

static int
run_main(Cli *cli, int argc, char **argv)
{
	EngineConfig cfg = { 0 };
	SyncArgs s = { 0 };
	SyncOutcome synced;
	ProjectShape shape = { false, true, 0 };
	Project p = { 0 };
	Arena a = { 0 };
	RunKind kind = RUN_NONE;
	const char *arg, *target = NULL, **with = NULL, *venv, *overlay = NULL;
	const char *task_flag = NULL;
	size_t nwith = 0;
	bool dry = false, no_sync = false, has_venv;
	int id, rc = 2, first;

	/* options up to TARGET; what follows it is the program's */
	cli_begin(cli, &cmd_run, argc, argv);
	cli->stop_at_operand = true;
	while (kind == RUN_NONE && (id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_MODULE: kind = RUN_MODULE; target = arg; break;
		case OPT_CODE: kind = RUN_CODE; target = arg; break;
		case OPT_NO_SYNC: no_sync = true; break;
		case OPT_WITH: cli_list_push(&with, &nwith, arg); break;
		case OPT_JOBS:
		case OPT_KEEP_GOING:
		case OPT_DRY_RUN:
			if ((rc = task_option(cli, &cfg, &dry, id, arg)) != 0)
				goto done;
			task_flag = id == OPT_JOBS ? "-j" : id == OPT_KEEP_GOING ? "-k" : "-n";
			break;
		default:
			if (sync_option(cli, &s, id, arg) == 2)
				goto done;
		}
	}
	first = cli_first_operand(cli);
	cli->stop_at_operand = false;
	if ((rc = project_find(cli, &p)) != 0)
		goto done;

	if (kind == RUN_NONE && first < argc) {
		target = argv[first];
		if (ends_with(target, ".py")) {
			kind = RUN_SCRIPT;
		} else {
			shape = project_shape(&p, target);
			/* a file is looked for where the program will run: -C DIR */
			kind = shape.is_task ? RUN_NONE :
			       python_shebang(cli->directory && target[0] != '/' ?
					      arena_printf(&a, "%s/%s", cli->directory, target) : target) ?
			       RUN_SCRIPT : RUN_COMMAND;
		}
		if (kind != RUN_NONE)
			first++;
	}
	if (kind == RUN_NONE) {
		/* tasks: options and task names may mix, as they always could */
		if (nwith || no_sync) {
			if (target)
				rc = cli_usage_error(cli, "%s is for programs; '%s' is a task",
						     nwith ? "--with" : "--no-sync", target);
			else
				rc = cli_usage_error(cli, "%s needs a program to run", nwith ? "--with" : "--no-sync");
			goto done;
		}
		cli_begin(cli, &cmd_run, argc - first + 1, argv + first - 1);
		while ((id = cli_next(cli, &arg)) != CLI_DONE) {
			if (id == CLI_HELP || id == CLI_ERROR) {
				rc = id == CLI_HELP ? 0 : 2;
				goto done;
			}
			if ((rc = task_option(cli, &cfg, &dry, id, arg)) != 0)
				goto done;
		}
		rc = run_tasks(cli, &p, &cfg, dry, cli->operands, cli->noperands);
		goto done;
	}
	if (task_flag) {
		rc = cli_usage_error(cli, "%s is for tasks; '%s' is not a task of %s/%s", task_flag,
				     target, p.root, RULES_PYPROJECT);
		goto done;
	}

	/* a program: "-C DIR" runs it in DIR, as if bunpy was started there */
	if (cli->directory && chdir(cli->directory) != 0) {
		term_error(&cli->term, "cannot use directory %s: %s", cli->directory, strerror(errno));
		rc = 2;
		goto done;
	}
	venv = arena_printf(&a, "%s/.venv", p.root);
	if (!no_sync && shape.has_project) {
		s.quiet = true;
		if ((rc = sync_project(cli, &p, &s, &synced)) != 0)
			goto done;
		if (synced.installed || synced.removed)
			term_note(&cli->term, "Synced %s: %zu installed, %zu removed", venv, synced.installed,
				  synced.removed);
	}
	has_venv = access(arena_printf(&a, "%s/bin/python", venv), X_OK) == 0;
	if (!has_venv && (kind != RUN_COMMAND || nwith)) {
		term_error(&cli->term, "%s has no environment (%s/bin/python is missing)" ERR_HINT "%s",
			   p.root, venv, no_sync ? "run 'bunpy sync' first, or leave out --no-sync" :
			   "run 'bunpy sync' to make it");
		rc = 1;
		goto done;
	}
	if (nwith && (rc = with_environment(cli, &p, &s, with, nwith, venv, &a, &overlay)) != 0)
		goto done;
	rc = exec_program(cli, kind, target, argv + first, argc - first, venv, overlay, has_venv,
			  shape.ntasks > 0, &a);
	if (rc == 127 && kind == RUN_COMMAND && shape.ntasks) {
		/* not a command either, in a project with tasks: most likely a mistyped task,
		 * so the task runner says which there are */
		cfg = (EngineConfig){ 0 };
		rc = run_tasks(cli, &p, &cfg, false, (char *const *)&target, 1);
	}
done:
	free(with);
	sync_args_free(&s);
	arena_free(&a);
	project_free(&p);
	return rc;
}

const CliCommand cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] [SCRIPT.py | -m MODULE | -c CODE | COMMAND | TASK...] [ARGS...]",
	.summary = "run a script, module or command in .venv, or the project's tasks",
	.description = "Run a program in the project's environment: SCRIPT.py (or a file with a python\n"
		"shebang), -m MODULE, -c CODE, or a COMMAND of .venv/bin or PATH. .venv is synced\n"
		"first (cheap when nothing changed), then the program replaces bunpy, with\n"
		"VIRTUAL_ENV and PATH set: its exit status, signals and streams are its own.\n"
		"Options end at the program: everything after it is the program's.\n"
		"When TASK names a task of [tool.bunpy.tasks], run the tasks instead, each only\n"
		"when its command, environment, inputs or dependencies changed or an output is\n"
		"missing. Without arguments, list the tasks.",
	.options = run_options,
	.run = run_main,
};
