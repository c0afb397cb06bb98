/*
 * cmd_lock.c - `bunpy lock`: resolve the project's requirements against its indexes
 * and write pylock.toml; `bunpy export`: the lock as requirements.txt.
 *
 * Settings come from flags, then BUNPY_* environment variables, then [tool.bunpy]
 * in pyproject.toml, then defaults. When the lock's recorded input digest equals the
 * digest of the inputs now (lockfile.h), nothing else is read: that is the no-op lock.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine/engine.h"
#include "engine/fs.h"
#include "engine/http.h"
#include "project.h"
#include "packaging/name.h"
#include "rules/lockctx.h"
#include "rules/lockfile.h"
#include "rules/target.h"

enum {
	OPT_INDEX_URL = 1, OPT_EXTRA_INDEX_URL, OPT_FIND_LINKS, OPT_RESOLUTION, OPT_PRERELEASE,
	OPT_UPGRADE, OPT_UPGRADE_PACKAGE, OPT_CHECK, OPT_DRY_RUN, OPT_OFFLINE, OPT_REFRESH,
	OPT_PYTHON, OPT_CERT, OPT_INDEX_CONCURRENCY,
	OPT_FORMAT, OPT_OUTPUT, OPT_NO_HASHES, OPT_EXTRA, OPT_ALL_EXTRAS, OPT_GROUP,
	OPT_ALL_GROUPS, OPT_NO_DEV,
};

static const CliOption lock_options[] = {
	{ "index-url", 'i', "URL", "the package index (default $BUNPY_INDEX_URL, [tool.bunpy] index-url, https://pypi.org/simple)", OPT_INDEX_URL },
	{ "extra-index-url", 0, "URL", "another index, consulted for projects the ones before it lack (repeatable)", OPT_EXTRA_INDEX_URL },
	{ "find-links", 'f', "DIR", "a directory of wheels to use as an index, after the others (repeatable)", OPT_FIND_LINKS },
	{ "resolution", 0, "MODE", "highest (default), lowest, or lowest-direct", OPT_RESOLUTION },
	{ "prerelease", 0, "MODE", "if-necessary (default), allow, or disallow", OPT_PRERELEASE },
	{ "upgrade", 'U', NULL, "ignore the versions in the existing lock", OPT_UPGRADE },
	{ "upgrade-package", 'P', "NAME", "let NAME move from its locked version (repeatable)", OPT_UPGRADE_PACKAGE },
	{ "check", 0, NULL, "exit 1 if pylock.toml is out of date; write nothing", OPT_CHECK },
	{ "dry-run", 'n', NULL, "resolve and print what would change; write nothing", OPT_DRY_RUN },
	{ "offline", 0, NULL, "never use the network: only cached pages and metadata", OPT_OFFLINE },
	{ "refresh", 0, NULL, "revalidate every cached index page", OPT_REFRESH },
	{ "python", 'p', "PYTHON", "the interpreter to lock for (default $BUNPY_PYTHON, else python3)", OPT_PYTHON },
	{ "cert", 0, "FILE", "CA bundle for TLS (default $SSL_CERT_FILE, else the system's)", OPT_CERT },
	{ "index-concurrency", 0, "N", "requests at once per index host (default $BUNPY_CONCURRENCY_INDEX, else 16)", OPT_INDEX_CONCURRENCY },
	{ NULL, 0, NULL, NULL, 0 },
};

typedef struct LockArgs {
	const char *index_url;
	const char **extra_urls, **find_links, **upgrade_pkgs;
	size_t nextra, nfind, nupgrade;
	const char *resolution, *prerelease, *python, *cert;
	bool upgrade, check, dry_run, offline, refresh;
	int index_concurrency;
} LockArgs;

static void
push(const char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = s;
}

/* A directory or file path becomes a file:// URL (relative to the project). */
static const char *
as_url(const char *s, const char *root, Arena *a)
{
	char *abs, *url;
	const char *copy;

	if (strstr(s, "://"))
		return arena_strdup(a, s);
	abs = s[0] == '/' ? arena_strdup(a, s) : arena_printf(a, "%s/%s", root, s);
	fs_path_clean(abs);
	url = http_file_url(abs);
	copy = arena_strdup(a, url);
	free(url);
	return copy;
}

static void
add_index(LockIndex **ix, size_t *n, const char *url, bool flat, Arena *a)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*ix)[i].url, url) && (*ix)[i].flat == flat)
			return;
	*ix = xrealloc(*ix, (*n + 1) * sizeof(**ix));
	(*ix)[*n] = (LockIndex){ url, lockctx_strip_credentials(url, a), flat };
	(*n)++;
}

/* Space-separated lists in environment variables, as pip reads them. */
static void
add_env_list(LockIndex **ix, size_t *n, const char *value, bool flat, const char *root, Arena *a)
{
	char *copy = arena_strdup(a, value), *save = NULL, *tok;

	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		add_index(ix, n, as_url(tok, root, a), flat, a);
}

static void
collect_indexes(const LockArgs *la, const Pyproject *p, const char *root, Arena *a,
		LockIndex **ix, size_t *n)
{
	const char *env;
	size_t i;

	if (la->index_url)
		add_index(ix, n, as_url(la->index_url, root, a), false, a);
	else if ((env = getenv("BUNPY_INDEX_URL")) && *env)
		add_index(ix, n, as_url(env, root, a), false, a);
	else if (p->bunpy.index_url)
		add_index(ix, n, as_url(p->bunpy.index_url, root, a), false, a);
	else
		add_index(ix, n, "https://pypi.org/simple", false, a);
	if (la->nextra) {
		for (i = 0; i < la->nextra; i++)
			add_index(ix, n, as_url(la->extra_urls[i], root, a), false, a);
	} else if ((env = getenv("BUNPY_EXTRA_INDEX_URL")) && *env) {
		add_env_list(ix, n, env, false, root, a);
	} else {
		for (i = 0; i < p->bunpy.extra_index_urls.len; i++)
			add_index(ix, n, as_url(p->bunpy.extra_index_urls.items[i], root, a), false, a);
	}
	if (la->nfind) {
		for (i = 0; i < la->nfind; i++)
			add_index(ix, n, as_url(la->find_links[i], root, a), true, a);
	} else if ((env = getenv("BUNPY_FIND_LINKS")) && *env) {
		add_env_list(ix, n, env, true, root, a);
	} else {
		for (i = 0; i < p->bunpy.find_links.len; i++)
			add_index(ix, n, as_url(p->bunpy.find_links.items[i], root, a), true, a);
	}
}

static const char *
mode_name(int v, const char *const *names, size_t n)
{
	return v > 0 && (size_t)v < n ? names[v] : NULL;
}

static bool
one_of(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return true;
	return false;
}

static const char *const resolution_names[] = { NULL, "highest", "lowest", "lowest-direct" };
static const char *const prerelease_names[] = { NULL, "disallow", "allow", "if-necessary",
						"explicit", "if-necessary-or-explicit" };

/* Print what changes between the old lock and the new resolution. */
static size_t
print_changes(const Cli *cli, const LockPrevious *prev, const char *json, size_t len, bool dry)
{
	Arena a = { 0 };
	Pylock now;
	Err err;
	size_t i, k, changes = 0;
	const char *verb = dry ? "would " : "";

	if (pylock_read(json, len, "pylock.toml", &a, &now, &err) != 0) {
		arena_free(&a);
		return 0;
	}
	for (i = 0; i < now.packages_len; i++) {
		const PylockPackage *n = &now.packages[i];
		const char *old = NULL;

		for (k = 0; prev->present && k < prev->n; k++)
			if (!strcmp(prev->names[k], n->name))
				old = prev->versions[k];
		if (!old)
			fprintf(stderr, "%s+%s %s%sadd %s %s\n", term_bold(&cli->term, stderr),
				term_reset(&cli->term, stderr), verb, "", n->name, n->version.str);
		else if (strcmp(old, n->version.str) != 0)
			fprintf(stderr, "%s~%s %s%supdate %s %s -> %s\n", term_bold(&cli->term, stderr),
				term_reset(&cli->term, stderr), verb, "", n->name, old, n->version.str);
		else
			continue;
		changes++;
	}
	for (k = 0; prev->present && k < prev->n; k++) {
		bool kept = false;

		for (i = 0; i < now.packages_len && !kept; i++)
			kept = !strcmp(prev->names[k], now.packages[i].name);
		if (!kept) {
			fprintf(stderr, "%s-%s %sremove %s %s\n", term_bold(&cli->term, stderr),
				term_reset(&cli->term, stderr), verb, prev->names[k], prev->versions[k]);
			changes++;
		}
	}
	arena_free(&a);
	return changes;
}

/* What the build has done so far, for the progress line on a terminal. */
typedef struct LockProgress {
	Cli *cli;
	bool tty;
	size_t pages, metadata;
	int64_t shown_us;
} LockProgress;

static void
progress_clear(LockProgress *lp)
{
	if (lp->shown_us) {
		fputs("\r\033[K", stderr);
		lp->shown_us = 0;
	}
}

static void
on_lock_finished(void *ctx, const char *kind, const char *key, NodeResult r, int64_t us,
		 const char *error)
{
	LockProgress *lp = ctx;
	Cli *cli = lp->cli;
	int64_t now;

	if (!strcmp(kind, "index-page"))
		lp->pages++;
	else if (!strcmp(kind, "dist-metadata"))
		lp->metadata++;
	if (cli->term.verbosity >= 1 && (r == NR_RAN || r == NR_FAILED)) {
		progress_clear(lp);
		term_debug(&cli->term, "%s:%s %s (%.1f ms)%s%s", kind, key,
			   r == NR_RAN ? "ran" : "failed", (double)us / 1e3, error ? ": " : "",
			   error ? error : "");
	}
	/* one line, redrawn at most ten times a second, only on a terminal */
	now = fs_monotonic_us();
	if (lp->tty && cli->term.verbosity == 0 && now - lp->shown_us > 100000) {
		fprintf(stderr, "\r\033[KResolving: %zu project pages, %zu wheel metadata read",
			lp->pages, lp->metadata);
		fflush(stderr);
		lp->shown_us = now;
	}
}

static void
on_lock_warning(void *ctx, const char *message)
{
	progress_clear(ctx);
	term_warn(&((LockProgress *)ctx)->cli->term, "%s", message);
}

int
cmd_lock(Cli *cli, int argc, char **argv)
{
	LockArgs la = { 0 };
	Project proj;
	Arena a = { 0 };
	Buf text = { 0 }, inputs = { 0 }, out = { 0 };
	Pyproject py;
	Target target;
	LockOptions lo = { 0 };
	LockPrevious prev;
	LockIndex *indexes = NULL;
	size_t nindexes = 0;
	LockCtx lc;
	EngineConfig cfg = { 0 };
	Engine *eng = NULL;
	BuildReport report;
	LockProgress progress = { 0 };
	NodeRef goal = { "resolve", LOCKFILE_NAME };
	NodeValue v;
	char digest[LOCKFILE_DIGEST_SIZE];
	const char *arg, *path, *dbg;
	int64_t t0 = fs_monotonic_us();
	Err err;
	int id, rc = 1;

	cli_begin(cli, "lock", "[OPTIONS]",
		  "Resolve the project's dependencies, optional dependencies and dependency groups\n"
		  "for the target interpreter and write them to pylock.toml (PEP 751). A lock whose\n"
		  "inputs did not change is left alone; versions already locked are kept unless an\n"
		  "input needs them to move (or --upgrade).", lock_options, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_INDEX_URL: la.index_url = arg; break;
		case OPT_EXTRA_INDEX_URL: push(&la.extra_urls, &la.nextra, arg); break;
		case OPT_FIND_LINKS: push(&la.find_links, &la.nfind, arg); break;
		case OPT_RESOLUTION:
			if (!one_of(arg, resolution_names, 4))
				return cli_usage_error(cli, "--resolution is highest, lowest or lowest-direct, not '%s'", arg);
			la.resolution = arg;
			break;
		case OPT_PRERELEASE:
			if (!one_of(arg, prerelease_names, 4))
				return cli_usage_error(cli, "--prerelease is if-necessary, allow or disallow, not '%s'", arg);
			la.prerelease = arg;
			break;
		case OPT_UPGRADE: la.upgrade = true; break;
		case OPT_UPGRADE_PACKAGE: push(&la.upgrade_pkgs, &la.nupgrade, arg); break;
		case OPT_CHECK: la.check = true; break;
		case OPT_DRY_RUN: la.dry_run = true; break;
		case OPT_OFFLINE: la.offline = true; break;
		case OPT_REFRESH: la.refresh = true; break;
		case OPT_PYTHON: la.python = arg; break;
		case OPT_CERT: la.cert = arg; break;
		case OPT_INDEX_CONCURRENCY:
			if ((la.index_concurrency = cli_positive(arg)) < 0)
				return cli_usage_error(cli, "--index-concurrency takes a positive number, not '%s'", arg);
			break;
		}
	}
	if (cli->noperands)
		return cli_usage_error(cli, "lock takes no operands ('%s')", cli->operands[0]);
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	rc = 2;
	path = arena_printf(&a, "%s/pyproject.toml", proj.root);
	if (fs_read_file(path, &text, &err) != 0 ||
	    pyproject_parse(text.data, text.len, path, &a, &py, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto out;
	}
	collect_indexes(&la, &py, proj.root, &a, &indexes, &nindexes);
	lo.indexes = indexes;
	lo.nindexes = nindexes;
	lo.resolution = la.resolution ? la.resolution :
			getenv("BUNPY_RESOLUTION") && one_of(getenv("BUNPY_RESOLUTION"), resolution_names, 4) ?
			getenv("BUNPY_RESOLUTION") :
			mode_name(py.bunpy.resolution, resolution_names, 4) ?
			mode_name(py.bunpy.resolution, resolution_names, 4) : "highest";
	lo.prerelease = la.prerelease ? la.prerelease :
			getenv("BUNPY_PRERELEASE") && one_of(getenv("BUNPY_PRERELEASE"), prerelease_names, 4) ?
			getenv("BUNPY_PRERELEASE") :
			mode_name(py.bunpy.prerelease, prerelease_names, 4) ?
			mode_name(py.bunpy.prerelease, prerelease_names, 4) : "if-necessary";
	rc = 1;
	if (target_load(la.python, proj.cache_dir, &a, &target, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto out;
	}
	lo.target = &target;
	if (py.project.has_requires_python) {
		SpecCandidate c = { &target.full_version, target.full_version.str,
				    strlen(target.full_version.str) };

		if (!specset_contains(&py.project.requires_python, &c, PRERELEASES_ALLOW, false)) {
			term_error(&cli->term, "%s: the project requires Python %s, but the target is %s (%s);"
				   " choose another with --python", path, py.project.requires_python_text,
				   target.summary, target.python);
			rc = 2;
			goto out;
		}
	}
	path = arena_printf(&a, "%s/%s", proj.root, LOCKFILE_NAME);
	if (lockfile_previous(path, &a, &prev, &err) != 0) {
		if (la.check) {
			term_error(&cli->term, "%s is not a valid lock: %s; run bunpy lock", LOCKFILE_NAME,
				   err.msg);
			rc = 1;
			goto out;
		}
		term_warn(&cli->term, "%s; it will be replaced", err.msg);
		memset(&prev, 0, sizeof(prev));
	}
	for (size_t u = 0; u < la.nupgrade; u++) {
		size_t k;

		for (k = 0; k < prev.n; k++)
			if (name_equal(prev.names[k], strlen(prev.names[k]), la.upgrade_pkgs[u],
				       strlen(la.upgrade_pkgs[u])))
				break;
		if (k == prev.n)
			term_warn(&cli->term, "--upgrade-package %s: %s has no such package", la.upgrade_pkgs[u],
				  LOCKFILE_NAME);
	}
	if (lockfile_inputs(&py, &lo, &prev, la.upgrade, la.upgrade_pkgs, la.nupgrade, &inputs,
			    digest, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = 2;
		goto out;
	}
	if (!la.upgrade && !la.nupgrade && prev.digest && !strcmp(prev.digest, digest) &&
	    prev.content_ok) {
		term_note(&cli->term, "%s is up to date (%zu packages)", LOCKFILE_NAME, prev.lock.packages_len);
		rc = 0;
		goto out;
	}
	if (la.check) {
		term_error(&cli->term, "%s is %s; run bunpy lock", LOCKFILE_NAME,
			   !prev.present ? "missing" :
			   prev.digest && !strcmp(prev.digest, digest) ?
			   "not as bunpy wrote it (its packages were edited)" :
			   "out of date: the requirements, options, indexes or target changed since it was made");
		rc = 1;
		goto out;
	}

	lockctx_init(&lc);
	lc.cache_dir = proj.cache_dir;
	lc.offline = la.offline;
	lc.refresh = la.refresh;
	lc.indexes = indexes;
	lc.nindexes = nindexes;
	lc.target = &target;
	/* the guesses follow the highest versions: with another strategy they would be
	 * fetches nobody needs, which the build still waits for */
	lc.speculate = !strcmp(lo.resolution, "highest");
	lc.inputs = inputs.data;
	lc.inputs_len = inputs.len;
	lc.http_config.ca_file = la.cert;
	lc.http_config.index_cap = la.index_concurrency;
	lc.http_config.offline = la.offline;
	lc.http_config.debug = (dbg = getenv("BUNPY_DEBUG")) && strstr(dbg, "http");
	cfg.command = "lock";
	cfg.handle_signals = true;
	cfg.user = &lc;
	progress.cli = cli;
	progress.tty = isatty(2);
	cfg.hooks = (EngineHooks){ &progress, NULL, on_lock_finished, on_lock_warning };
	if ((rc = project_open(cli, &proj, &cfg, &eng)) != 0) {
		lockctx_free(&lc);
		goto out;
	}
	rc = 1;
	rc = eng_build(eng, &goal, 1, &report, &err);
	progress_clear(&progress);
	if (rc != 0) {
		rc = 1;
		term_error(&cli->term, "%s", err.msg);
		goto close;
	}
	rc = 1;
	if (report.interrupted) {
		term_error(&cli->term, "interrupted; nothing was written");
		rc = 130;
	} else if (report.nfailures) {
		size_t i;

		for (i = 0; i < report.nfailures; i++)
			if (!strncmp(report.failures[i].node, "resolve:", 8) || i + 1 == report.nfailures) {
				term_error(&cli->term, "%s", report.failures[i].message);
				break;
			}
		rc = report.failures[0].code > 1 ? report.failures[0].code : 1;
	} else if (eng_value(eng, "resolve", LOCKFILE_NAME, &v, &err) != 0 ||
		   lockfile_render(&py, &lo, digest, v.data, v.len, &out, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
	} else {
		size_t changes = cli->term.verbosity >= 0 ?
				 print_changes(cli, &prev, out.data, out.len, la.dry_run) : 0;
		Buf old = { 0 };
		bool same = fs_read_file(path, &old, NULL) == 0 && old.len == out.len &&
			    !memcmp(old.data, out.data, out.len);
		size_t npk = 0;
		const char *p;

		for (p = out.data; (p = strstr(p, "[[packages]]")) != NULL; p++)
			npk++;
		buf_free(&old);
		term_note(&cli->term, "Resolved %zu package%s in %.0f ms%s", npk, npk == 1 ? "" : "s",
			  (double)(fs_monotonic_us() - t0) / 1e3,
			  la.dry_run ? (changes || !same ? "; dry run, nothing written" : "; no changes") :
			  same ? "; no changes" : "");
		rc = 0;
		if (!la.dry_run && !same && fs_write_atomic(path, out.data, out.len, 0644, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = 1;
		}
	}
	build_report_free(&report);
close:
	eng_close(eng);
	lockctx_free(&lc);
out:
	project_free(&proj);
done:
	free(la.extra_urls);
	free(la.find_links);
	free(la.upgrade_pkgs);
	free(indexes);
	buf_free(&text);
	buf_free(&inputs);
	buf_free(&out);
	arena_free(&a);
	return rc;
}

static const CliOption export_options[] = {
	{ "format", 0, "FORMAT", "requirements.txt (the only format so far)", OPT_FORMAT },
	{ "output", 'o', "FILE", "write to FILE instead of standard output", OPT_OUTPUT },
	{ "no-hashes", 0, NULL, "leave out the --hash options", OPT_NO_HASHES },
	{ "extra", 0, "NAME", "include an optional dependency group (repeatable)", OPT_EXTRA },
	{ "all-extras", 0, NULL, "include every extra", OPT_ALL_EXTRAS },
	{ "group", 0, "NAME", "include a dependency group (repeatable; default: dev)", OPT_GROUP },
	{ "all-groups", 0, NULL, "include every dependency group", OPT_ALL_GROUPS },
	{ "no-dev", 0, NULL, "leave out the dev group", OPT_NO_DEV },
	{ NULL, 0, NULL, NULL, 0 },
};

int
cmd_export(Cli *cli, int argc, char **argv)
{
	ExportOptions eo = { 0 };
	const char **extras = NULL, **groups = NULL, *arg, *output = NULL, *path;
	size_t nextras = 0, ngroups = 0;
	bool no_dev = false;
	Project proj;
	LockPrevious prev;
	Arena a = { 0 };
	Buf out = { 0 };
	Err err;
	int id, rc = 1;

	cli_begin(cli, "export", "[OPTIONS]",
		  "Write the locked packages in another format: requirements.txt with hashes,\n"
		  "for pip install --require-hashes.", export_options, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_FORMAT:
			if (strcmp(arg, "requirements.txt") != 0 && strcmp(arg, "requirements-txt") != 0)
				return cli_usage_error(cli, "--format: only requirements.txt is supported, not '%s'", arg);
			break;
		case OPT_OUTPUT: output = arg; break;
		case OPT_NO_HASHES: eo.no_hashes = true; break;
		case OPT_EXTRA: push(&extras, &nextras, arg); break;
		case OPT_ALL_EXTRAS: eo.all_extras = true; break;
		case OPT_GROUP: push(&groups, &ngroups, arg); break;
		case OPT_ALL_GROUPS: eo.all_groups = true; break;
		case OPT_NO_DEV: no_dev = true; break;
		}
	}
	if (cli->noperands)
		return cli_usage_error(cli, "export takes no operands ('%s')", cli->operands[0]);
	if (!ngroups && !no_dev)
		push(&groups, &ngroups, "dev");
	eo.extras = extras;
	eo.nextras = nextras;
	eo.groups = groups;
	eo.ngroups = ngroups;
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	rc = 1;
	path = arena_printf(&a, "%s/%s", proj.root, LOCKFILE_NAME);
	if (lockfile_previous(path, &a, &prev, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
	} else if (!prev.present) {
		term_error(&cli->term, "%s: no lock yet; run bunpy lock first", path);
	} else if (lockfile_export_requirements(&prev.lock, &eo, &out, &err) != 0) {
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
	free(extras);
	free(groups);
	buf_free(&out);
	arena_free(&a);
	return rc;
}
