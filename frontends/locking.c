/*
 * locking.c - making pylock.toml current, for `bunpy lock` and `bunpy sync`
 * (locking.h).
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

#include "engine/engine.h"
#include "engine/fs.h"
#include "engine/http.h"
#include "locking.h"
#include "packaging/name.h"
#include "packaging/simple.h"
#include "rules/lockctx.h"
#include "rules/lockfile.h"

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
collect_indexes(const LockingArgs *la, const Pyproject *p, const char *root, Arena *a,
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
static const char *const boolean_names[] = { NULL, "1", "true", "yes", "0", "false", "no" };
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
	TermProgress line;
	size_t pages, metadata;
	const LockCtx *lc;
	int64_t started_us;
} LockProgress;

static void
lock_progress_init(LockProgress *lp, Cli *cli, const LockCtx *lc)
{
	memset(lp, 0, sizeof(*lp));
	lp->cli = cli;
	lp->lc = lc;
	lp->started_us = fs_monotonic_us();
	term_progress_init(&lp->line, &cli->term);
}

static void
show_lock_progress(void *ctx)
{
	LockProgress *lp = ctx;
	uint64_t bytes = atomic_load(&lp->lc->bytes_received);
	double secs = (double)(fs_monotonic_us() - lp->started_us) / 1e6;

	term_progress_show(&lp->line, "Resolving: %zu project pages, %zu wheel metadata read "
			   "(%.1f MiB, %.1f MiB/s)", lp->pages, lp->metadata, (double)bytes / (1 << 20),
			   secs > 0 ? (double)bytes / (1 << 20) / secs : 0.0);
}

static void
on_lock_finished(void *ctx, const char *kind, const char *key, NodeResult r, int64_t us,
		 const char *error)
{
	LockProgress *lp = ctx;

	if (!strcmp(kind, "index-page"))
		lp->pages++;
	else if (!strcmp(kind, "dist-metadata"))
		lp->metadata++;
	project_trace_node(lp->cli, &lp->line, kind, key, r, us, error);
	show_lock_progress(lp);
}

static void
on_lock_warning(void *ctx, const char *message)
{
	LockProgress *lp = ctx;

	term_progress_clear(&lp->line);
	term_warn(&lp->cli->term, "%s", message);
}

int
locking_option(Cli *cli, LockingArgs *la, int id, const char *arg)
{
	switch (id) {
	case LOCKING_OPT_INDEX_URL: la->index_url = arg; break;
	case LOCKING_OPT_EXTRA_INDEX_URL: cli_list_push(&la->extra_urls, &la->nextra, arg); break;
	case LOCKING_OPT_FIND_LINKS: cli_list_push(&la->find_links, &la->nfind, arg); break;
	case LOCKING_OPT_RESOLUTION:
		if (!one_of(arg, resolution_names, 4))
			return cli_usage_error(cli, "--resolution is highest, lowest or lowest-direct, not '%s'", arg);
		la->resolution = arg;
		break;
	case LOCKING_OPT_PRERELEASE:
		if (!one_of(arg, prerelease_names, 4))
			return cli_usage_error(cli, "--prerelease is if-necessary, allow or disallow, not '%s'", arg);
		la->prerelease = arg;
		break;
	case LOCKING_OPT_OFFLINE: la->offline = true; break;
	case LOCKING_OPT_REFRESH: la->refresh = true; break;
	case LOCKING_OPT_PYTHON: la->python = arg; break;
	case LOCKING_OPT_CERT: la->cert = arg; break;
	case LOCKING_OPT_INDEX_CONCURRENCY:
		if ((la->index_concurrency = cli_positive(arg)) < 0)
			return cli_usage_error(cli, "--index-concurrency takes a positive number, not '%s'", arg);
		break;
	default:
		return 1;
	}
	return 0;
}

int
select_option(Selection *s, int id, const char *arg)
{
	switch (id) {
	case SELECT_OPT_EXTRA: cli_list_push(&s->extras, &s->o.nextras, arg); break;
	case SELECT_OPT_ALL_EXTRAS: s->o.all_extras = true; break;
	case SELECT_OPT_GROUP: cli_list_push(&s->groups, &s->o.ngroups, arg); break;
	case SELECT_OPT_ALL_GROUPS: s->o.all_groups = true; break;
	case SELECT_OPT_NO_DEV: s->no_dev = true; break;
	default: return 1;
	}
	return 0;
}

void
select_finish(Selection *s)
{
	bool have_dev = false;

	for (size_t i = 0; i < s->o.ngroups; i++)
		have_dev |= !strcmp(s->groups[i], "dev");
	/* --group adds to the default, as in uv; only --no-dev leaves dev out */
	if (!s->no_dev && !have_dev)
		cli_list_push(&s->groups, &s->o.ngroups, "dev");
	s->o.extras = s->extras;
	s->o.groups = s->groups;
}

bool
locking_is_direct(const Pyproject *py, const ExportOptions *o, const PyprojectReqList *groups,
		  const char *name)
{
	size_t i, k;

	for (i = 0; i < py->project.dependencies.len; i++)
		if (!strcmp(py->project.dependencies.items[i].req.normalized, name))
			return true;
	for (i = 0; i < py->project.extras_len; i++) {
		bool on = o->all_extras || name_in(py->project.extras[i].normalized, o->extras, o->nextras);

		for (k = 0; on && k < py->project.extras[i].deps.len; k++)
			if (!strcmp(py->project.extras[i].deps.items[k].req.normalized, name))
				return true;
	}
	for (i = 0; groups && i < py->groups_len; i++) {
		bool on = o->all_groups || name_in(py->groups[i].normalized, o->groups, o->ngroups);

		for (k = 0; on && k < groups[i].len; k++)
			if (!strcmp(groups[i].items[k].req.normalized, name))
				return true;
	}
	return false;
}

void
select_free(Selection *s)
{
	free(s->extras);
	free(s->groups);
}

void
locking_args_free(LockingArgs *la)
{
	free(la->extra_urls);
	free(la->find_links);
	free(la->upgrade_pkgs);
}

/* A mode from the environment: *out stays NULL when the variable is unset or empty; a
 * value that is not one of names is a configuration error, not silently ignored. */
static int
env_mode(Cli *cli, const char *var, const char *const *names, size_t n, const char **out)
{
	const char *v = getenv(var);

	*out = NULL;
	if (!v || !*v)
		return 0;
	if (!one_of(v, names, n)) {
		Buf all = { 0 };

		for (size_t i = 1; i < n; i++)
			buf_printf(&all, "%s%s", i > 1 ? ", " : "", names[i]);
		term_error(&cli->term, "$%s is '%s', which is none of %s", var, v, all.data);
		buf_free(&all);
		return -1;
	}
	*out = v;
	return 0;
}

/* pyproject.toml, the indexes, the modes and the interpreter: what both the lock and
 * a frozen sync start from. */
static int
load(Cli *cli, Project *proj, const LockingArgs *la, Arena *a, LockingResult *r, Buf *text,
     LockOptions *lo)
{
	const char *path = arena_printf(a, "%s/pyproject.toml", proj->root), *why;
	Pyproject *py = &r->pyproject;
	const char *offline = NULL;
	Err err;

	/* the parsed pyproject outlives this call: it is parsed from a copy in the arena */
	if (fs_read_file(path, text, &err) != 0 ||
	    pyproject_parse(arena_strndup(a, text->data, text->len), text->len, path, a, py, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 2;
	}
	collect_indexes(la, py, proj->root, a, &r->indexes, &r->nindexes);
	lo->indexes = r->indexes;
	lo->nindexes = r->nindexes;
	/* each: the flag, else the environment (checked only then), else [tool.bunpy] */
	lo->resolution = la->resolution;
	lo->prerelease = la->prerelease;
	if ((!la->resolution &&
	     env_mode(cli, "BUNPY_RESOLUTION", resolution_names, 4, &lo->resolution) != 0) ||
	    (!la->prerelease &&
	     env_mode(cli, "BUNPY_PRERELEASE", prerelease_names, 4, &lo->prerelease) != 0) ||
	    (!la->offline && env_mode(cli, "BUNPY_OFFLINE", boolean_names, 7, &offline) != 0))
		return 2;
	r->offline = la->offline || (offline && (!strcmp(offline, "1") || !strcmp(offline, "true") ||
						 !strcmp(offline, "yes")));
	if (!lo->resolution)
		lo->resolution = mode_name(py->bunpy.resolution, resolution_names, 4) ?
				 mode_name(py->bunpy.resolution, resolution_names, 4) : "highest";
	if (!lo->prerelease)
		lo->prerelease = mode_name(py->bunpy.prerelease, prerelease_names, 4) ?
				 mode_name(py->bunpy.prerelease, prerelease_names, 4) : "if-necessary";
	if (target_select(la->python, proj->root, py->project.has_requires_python ?
			  py->project.requires_python_text : NULL, proj->cache_dir, a, &r->target,
			  &why, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	lo->target = &r->target;
	if (py->project.has_requires_python) {
		SpecCandidate c = { &r->target.full_version, r->target.full_version.str,
				    strlen(r->target.full_version.str) };

		if (!specset_contains(&py->project.requires_python, &c, PRERELEASES_ALLOW, false)) {
			term_error(&cli->term, "%s: the project requires Python %s, but the target is %s (%s,"
				   " from %s); choose another with --python", path,
				   py->project.requires_python_text, r->target.summary, r->target.python, why);
			return 2;
		}
	}
	return 0;
}

int
locking_load(Cli *cli, Project *proj, const LockingArgs *la, Arena *arena, LockingResult *out)
{
	Buf text = { 0 };
	LockOptions lo = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = load(cli, proj, la, arena, out, &text, &lo);
	buf_free(&text);
	return rc;
}

int
locking_lock(const Project *proj, const LockingResult *res, Arena *arena, Pylock *out, Err *err)
{
	const char *path = arena_printf(arena, "%s/%s", proj->root, LOCKFILE_NAME);
	Buf text = { 0 };
	int rc;

	if (res->have_lock) {
		*out = res->lock;
		return 0;
	}
	if (res->lock_text) {
		buf_append(&text, res->lock_text, res->lock_len);
	} else if (fs_read_file(path, &text, err) != 0) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		buf_free(&text);
		return err_set(err, "%s" ERR_HINT "run bunpy lock first", why);
	}
	rc = pylock_read(arena_strndup(arena, text.data ? text.data : "", text.len), text.len, path,
			 arena, out, err);
	buf_free(&text);
	return rc;
}

void
locking_ctx(const LockingArgs *la, const LockingResult *r, const char *cache_dir, LockCtx *lc)
{
	const char *dbg = getenv("BUNPY_DEBUG");
	bool offline = r->offline;

	lc->cache_dir = cache_dir;
	lc->offline = offline;
	lc->refresh = la->refresh;
	lc->indexes = r->indexes;
	lc->nindexes = r->nindexes;
	lc->target = &r->target;
	lc->http_config.ca_file = la->cert;
	lc->http_config.index_cap = la->index_concurrency;
	lc->http_config.offline = offline;
	lc->http_config.debug = dbg && strstr(dbg, "http");
}

int
locking_run(Cli *cli, Project *proj, const LockingArgs *la, Arena *arena, LockingResult *res)
{
	Arena *a = arena;
	Buf text = { 0 }, inputs = { 0 }, out = { 0 };
	Pyproject *py = &res->pyproject;
	LockOptions lo = { 0 };
	LockPrevious prev;
	LockCtx lc;
	EngineConfig cfg = { 0 };
	Engine *eng = NULL;
	BuildReport report;
	LockProgress progress = { 0 };
	NodeRef goal = { "resolve", LOCKFILE_NAME };
	NodeValue v;
	char digest[LOCKFILE_DIGEST_SIZE];
	const char *path;
	int64_t t0 = fs_monotonic_us();
	Err err;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = load(cli, proj, la, a, res, &text, &lo)) != 0)
		goto out;
	rc = 1;
	path = arena_printf(a, "%s/%s", proj->root, LOCKFILE_NAME);
	if (lockfile_previous(path, a, &prev, &err) != 0) {
		if (la->check) {
			term_error(&cli->term, "%s is not a valid lock: %s" ERR_HINT "run bunpy lock", LOCKFILE_NAME,
				   err.msg);
			rc = 1;
			goto out;
		}
		term_warn(&cli->term, "%s; it will be replaced", err.msg);
		memset(&prev, 0, sizeof(prev));
	}
	for (size_t u = 0; u < la->nupgrade; u++)
		if (!name_in(la->upgrade_pkgs[u], (const char *const *)prev.names, prev.n))
			term_warn(&cli->term, "--upgrade-package %s: %s has no such package", la->upgrade_pkgs[u],
				  LOCKFILE_NAME);
	if (lockfile_inputs(py, &lo, &prev, la->upgrade, la->upgrade_pkgs, la->nupgrade, &inputs,
			    digest, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = 2;
		goto out;
	}
	if (!la->upgrade && !la->nupgrade && prev.digest && !strcmp(prev.digest, digest) &&
	    prev.content_ok) {
		if (!la->quiet_up_to_date)
			term_note(&cli->term, "%s is up to date (%zu packages)", LOCKFILE_NAME,
				  prev.lock.packages_len);
		res->lock_text = prev.text;
		res->lock_len = prev.text_len;
		res->lock = prev.lock;
		res->have_lock = true;
		rc = 0;
		goto out;
	}
	if (la->check) {
		term_error(&cli->term, "%s is %s" ERR_HINT "run bunpy lock", LOCKFILE_NAME,
			   !prev.present ? "missing" :
			   prev.digest && !strcmp(prev.digest, digest) ?
			   "not as bunpy wrote it (its packages were edited)" :
			   "out of date: the requirements, options, indexes or target changed since it was made");
		rc = 1;
		goto out;
	}

	lockctx_init(&lc);
	locking_ctx(la, res, proj->cache_dir, &lc);
	/* the guesses follow the highest versions: with another strategy they would be
	 * fetches nobody needs, which the build still waits for */
	lc.speculate = !strcmp(lo.resolution, "highest");
	lc.inputs = inputs.data;
	lc.inputs_len = inputs.len;
	cfg.command = "lock";
	cfg.handle_signals = true;
	cfg.user = &lc;
	lock_progress_init(&progress, cli, &lc);
	cfg.hooks = (EngineHooks){ &progress, NULL, on_lock_finished, on_lock_warning, show_lock_progress };
	if ((rc = project_open(cli, proj, &cfg, &eng)) != 0) {
		lockctx_free(&lc);
		goto out;
	}
	rc = 1;
	rc = eng_build(eng, &goal, 1, &report, &err);
	term_progress_clear(&progress.line);
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
		   lockfile_render(py, &lo, digest, v.data, v.len, &out, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
	} else {
		size_t changes = cli->term.verbosity >= 0 && !la->quiet_changes ?
				 print_changes(cli, &prev, out.data, out.len, la->dry_run) : 0;
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
			  la->dry_run ? (changes || !same ? "; dry run, nothing written" : "; no changes") :
			  same ? "; no changes" : "");
		rc = 0;
		if (!la->dry_run && !same && fs_write_atomic(path, out.data, out.len, 0644, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = 1;
		}
		res->resolved_text = arena_strndup(a, out.data, out.len);
		res->resolved_len = out.len;
		res->locked_now = !la->dry_run && rc == 0;
		if (res->locked_now) {
			res->lock_text = res->resolved_text;
			res->lock_len = res->resolved_len;
		}
	}
	build_report_free(&report);
close:
	eng_close(eng);
	lockctx_free(&lc);
out:
	buf_free(&text);
	buf_free(&inputs);
	buf_free(&out);
	return rc;
}

int
locking_offers(Cli *cli, Project *proj, const LockingArgs *la, const LockingResult *r,
	       const char *const *names, size_t n, Arena *arena, LockingOffer *out)
{
	LockCtx lc;
	EngineConfig cfg = { 0 };
	Engine *eng = NULL;
	BuildReport report;
	LockProgress progress = { 0 };
	NodeRef *goals = xcalloc(n + 1, sizeof(*goals));
	size_t *which = xcalloc(n + 1, sizeof(*which));
	Err err;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		out[i] = (LockingOffer){ names[i], false, NULL, 0 };
	lockctx_init(&lc);
	locking_ctx(la, r, proj->cache_dir, &lc);
	cfg.command = "outdated";
	cfg.handle_signals = true;
	cfg.user = &lc;
	lock_progress_init(&progress, cli, &lc);
	cfg.hooks = (EngineHooks){ &progress, NULL, on_lock_finished, on_lock_warning, show_lock_progress };
	if ((rc = project_open(cli, proj, &cfg, &eng)) != 0)
		goto out;
	/* index by index, as the resolver does: a later index hears only of the projects
	 * the ones before it lack */
	for (size_t ix = 0; ix < r->nindexes && rc == 0; ix++) {
		size_t ngoals = 0;

		for (size_t i = 0; i < n; i++) {
			if (out[i].found)
				continue;
			goals[ngoals] = (NodeRef){ "index-page", lockctx_page_key(&lc, ix, names[i], arena) };
			which[ngoals++] = i;
		}
		if (!ngoals)
			break;
		if (eng_build(eng, goals, ngoals, &report, &err) != 0) {
			term_progress_clear(&progress.line);
			term_error(&cli->term, "%s", err.msg);
			rc = 1;
			break;
		}
		term_progress_clear(&progress.line);
		if (report.interrupted) {
			term_error(&cli->term, "interrupted");
			rc = 130;
		} else if (report.nfailures) {
			term_error(&cli->term, "%s", report.failures[0].message);
			rc = 1;
		}
		build_report_free(&report);
		for (size_t g = 0; g < ngoals && rc == 0; g++) {
			LockingOffer *o = &out[which[g]];
			NodeValue v;
			SimplePage page;
			const char *data;

			if (eng_value(eng, "index-page", goals[g].key, &v, &err) != 0) {
				term_error(&cli->term, "%s", err.msg);
				rc = 1;
				break;
			}
			data = v.data;
			if (!v.len || data[0] == LOCK_NOT_FOUND)
				continue;
			if (data[0] == LOCK_ERROR) {
				term_error(&cli->term, "%.*s", (int)v.len - 1, data + 1);
				rc = 1;
				break;
			}
			/* the page is parsed from a copy: the engine's value dies with it */
			data = arena_strndup(arena, data + 1, v.len - 1);
			if (simple_parse(data, v.len - 1, SIMPLE_JSON, r->indexes[ix].shown, arena, &page,
					 &err) != 0) {
				term_error(&cli->term, "%s", err.msg);
				rc = 1;
				break;
			}
			candidates_read(&page, o->name, &r->target, lockctx_tags(&lc), NULL, NULL, arena,
					&o->vers, &o->nvers);
			o->found = true;
		}
	}
	eng_close(eng);
out:
	lockctx_free(&lc);
	free(goals);
	free(which);
	return rc;
}
