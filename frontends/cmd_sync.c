/*
 * cmd_sync.c - `bunpy sync`: make the project's .venv exactly what pylock.toml says
 * for the chosen extras and groups.
 *
 * The lock is made current first (locking.c; --locked only checks, --frozen takes it
 * as it is). Then the plan: which locked packages the selection installs, which wheel
 * of each suits the interpreter, what the environment holds (install.c's scan), and so
 * what to install, replace and remove. The engine carries the plan out (rules/sync.c):
 * every wheel fetched, checked and unpacked before the environment is touched.
 *
 * A sync that changes nothing must cost next to nothing, so the last sync's result is
 * kept in .venv/.bunpy/state: the digest of what it was asked (the lock's text, the
 * selection, the interpreter) and the stat of site-packages, bin and bunpy's journal
 * and stage directories, whose change times move whenever anything (pip included) adds
 * or removes a distribution, or a sync begins to. When both match, the command ends there:
 * "Audited".
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine/engine.h"
#include "engine/fs.h"
#include "engine/hash.h"
#include "engine/http.h"
#include "locking.h"
#include "packaging/filename.h"
#include "packaging/name.h"
#include "packaging/version.h"
#include "project.h"
#include "rules/editable.h"
#include "rules/install.h"
#include "rules/lockfile.h"
#include "rules/syncctx.h"
#include "rules/venv.h"
#include "rules/wheelcache.h"
#include "syncing.h"

enum { OPT_DRY_RUN = 1 };

static const CliOption sync_options[] = {
	SELECT_OPTIONS,
	SYNC_OPTIONS,
	{ "dry-run", 'n', NULL, "print what would change; change nothing", OPT_DRY_RUN },
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int sync_main(Cli *cli, int argc, char **argv);

#define STATE_MAGIC "bunpy-sync 1\n"

static int
link_mode_parse(const char *s, InstallLinkMode *out)
{
	if (!strcmp(s, "clone"))
		*out = INSTALL_CLONE;
	else if (!strcmp(s, "hardlink"))
		*out = INSTALL_HARDLINK;
	else if (!strcmp(s, "copy"))
		*out = INSTALL_COPY;
	else
		return -1;
	return 0;
}

/* What the last sync was asked: the lock's text, the selection, the interpreter, the
 * project's own editable wheel. */
static void
request_digest(const Buf *lock, const Selection *sel, const Target *t, const char *venv,
	       const char *project, char hex[33])
{
	Buf b = { 0 };
	Digest d;
	size_t i;

	buf_append(&b, lock->data, lock->len);
	buf_printf(&b, "%c%s%c%s%c%s%c%s%c", 0, t->identity, 0, t->python, 0, venv, 0, project, 0);
	buf_printf(&b, "extras%s:", sel->o.all_extras ? "*" : "");
	for (i = 0; i < sel->o.nextras; i++)
		buf_printf(&b, "%s,", sel->o.extras[i]);
	buf_printf(&b, "groups%s:", sel->o.all_groups ? "*" : "");
	for (i = 0; i < sel->o.ngroups; i++)
		buf_printf(&b, "%s,", sel->o.groups[i]);
	d = hash_bytes(b.data, b.len);
	hash_hex(d.b, 16, hex);
	buf_free(&b);
}

/*
 * The stat of the directories whose change time moves with every install and removal:
 * site-packages, bin, and bunpy's journal and stage directories (every install stages
 * and every install or removal writes its journal first, so a sync killed before it
 * changed site-packages or bin, with files already merged into existing directories or
 * a stage left half made, still shows). True when a stat is racy (changed too recently
 * for its times to tell a later change apart): then the stamp proves nothing.
 */
#define STAMP_STATS 4
#define STAMP_HEX (2 * STAMP_STATS * FILESTAT_PACKED)
#define STAMP_HEX_WIDTH "320"
_Static_assert(STAMP_HEX == 320, "STAMP_HEX_WIDTH is the stamp's length");

static bool
venv_stamp(const Venv *v, char out[STAMP_HEX + 1])
{
	unsigned char packed[STAMP_STATS * FILESTAT_PACKED] = { 0 };
	char *journal = NULL, *stage = NULL;
	const char *dirs[STAMP_STATS] = { v->purelib, v->bin, NULL, NULL };
	bool racy = false;
	FileStat st;

	if (asprintf(&journal, "%s/journal", v->state_dir) < 0 ||
	    asprintf(&stage, "%s/stage", v->state_dir) < 0)
		abort();
	dirs[2] = journal;
	dirs[3] = stage;
	for (size_t i = 0; i < STAMP_STATS; i++)
		if (fs_stat(dirs[i], &st, NULL) == 0) {
			fs_stat_pack(&st, packed + i * FILESTAT_PACKED);
			racy |= st.racy;
		}
	free(journal);
	free(stage);
	hash_hex(packed, sizeof(packed), out);
	return racy;
}

/* The state file: magic, request digest, stamp, then "NAME SHA256" per installed wheel. */
typedef struct SyncState {
	char digest[33];
	char stamp[STAMP_HEX + 1];
	Buf text;                    /* the file, for the NAME SHA256 lines */
	size_t npackages;
} SyncState;

static bool
state_read(const Venv *v, SyncState *s)
{
	char *path = NULL;
	const char *p;
	bool ok;

	memset(s, 0, sizeof(*s));
	if (asprintf(&path, "%s/state", v->state_dir) < 0)
		return false;
	ok = fs_read_file(path, &s->text, NULL) == 0 &&
	     s->text.len > strlen(STATE_MAGIC) && !memcmp(s->text.data, STATE_MAGIC, strlen(STATE_MAGIC)) &&
	     sscanf(s->text.data + strlen(STATE_MAGIC), "%32s %" STAMP_HEX_WIDTH "s", s->digest,
		    s->stamp) == 2;
	free(path);
	if (ok)
		for (p = s->text.data; (p = strchr(p, '\n')) != NULL; p++)
			s->npackages++;
	if (s->npackages >= 2)
		s->npackages -= 2;
	return ok;
}

/* The wheel a state file says NAME was installed from; NULL when it does not know. */
static const char *
state_sha(const SyncState *s, const char *name, char out[65])
{
	size_t n = strlen(name);
	const char *p = s->text.data;

	if (!p)
		return NULL;
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (!strncmp(p, name, n) && p[n] == ' ' && sscanf(p + n + 1, "%64s", out) == 1)
			return out;
	}
	return NULL;
}

static int
state_write(const Venv *v, const char *digest, const SyncInstall *all, size_t n, Err *err)
{
	char stamp[STAMP_HEX + 1], *path = NULL;
	Buf b = { 0 };
	int rc;

	venv_stamp(v, stamp);
	buf_printf(&b, "%s%s %s\n", STATE_MAGIC, digest, stamp);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s %s\n", all[i].name, all[i].sha_hex);
	if (asprintf(&path, "%s/state", v->state_dir) < 0)
		abort();
	rc = fs_mkdir_p(v->state_dir, err) == 0 ? fs_write_atomic(path, b.data, b.len, 0644, err) : -1;
	free(path);
	buf_free(&b);
	return rc;
}

/* Whether an installed version is the locked one: by PEP 440, since a .dist-info may be
 * named with the version as its wheel spelled it ("1.01") and the lock holds it
 * normalized ("1.1"). */
static bool
same_version(const char *installed, const char *locked, Arena *a)
{
	Version x, y;

	if (version_parse(installed, strlen(installed), a, &x, NULL) != 0 ||
	    version_parse(locked, strlen(locked), a, &y, NULL) != 0)
		return !strcmp(installed, locked);
	return version_cmp(&x, &y) == 0;
}

/* Whether an interrupted sync left a journal or a stage in the environment. */
static bool
leftovers_pending(const Venv *v)
{
	static const char *const dirs[] = { "journal", "stage" };
	bool any = false;

	for (size_t i = 0; i < 2 && !any; i++) {
		char *path = NULL;
		struct dirent *e;
		DIR *d;

		if (asprintf(&path, "%s/%s", v->state_dir, dirs[i]) < 0)
			abort();
		if ((d = opendir(path))) {
			while (!any && (e = readdir(d)))
				any = e->d_name[0] != '.';
			closedir(d);
		}
		free(path);
	}
	return any;
}

/* The best wheel of a locked package for the target's tags, as pip would pick. */
static const PylockFile *
pick_wheel(const PylockPackage *pk, const TagList *tags, Arena *a, const char **name_out)
{
	const PylockFile *best = NULL;
	WheelFilename bw = { 0 };
	long brank = TAGS_INCOMPATIBLE;

	for (size_t i = 0; i < pk->wheels_len; i++) {
		const char *name = pylock_file_name(&pk->wheels[i], a);
		WheelFilename w;
		long rank;

		if (!name || filename_wheel_parse(name, strlen(name), 0, a, &w, NULL) != 0)
			continue;
		rank = filename_wheel_rank(&w, tags);
		if (rank == TAGS_INCOMPATIBLE)
			continue;
		if (!best || filename_wheel_prefer(&w, rank, &bw, brank) < 0) {
			best = &pk->wheels[i];
			bw = w;
			brank = rank;
			*name_out = name;
		}
	}
	return best;
}

static int
cmp_install_key(const void *a, const void *b)
{
	return strcmp(((const SyncInstall *)a)->key, ((const SyncInstall *)b)->key);
}

static int
cmp_install_name(const void *a, const void *b)
{
	return strcmp(((const SyncInstall *)a)->name, ((const SyncInstall *)b)->name);
}

/* The locked packages the selection installs, each with its wheel. */
static int
plan_wanted(Cli *cli, const Pylock *lock, const char *lock_dir, const Selection *sel,
	    const LockingResult *res, Arena *a, SyncInstall **out, size_t *n)
{
	const Pyproject *py = &res->pyproject;
	PyprojectReqList *groups = NULL;
	TagList tags;
	SyncInstall *list = xcalloc(lock->packages_len + 1, sizeof(*list));
	size_t count = 0;
	Err err;

	if (pyproject_groups_expand_all(py, a, &groups, &err) != 0)
		groups = NULL;
	target_tags(&res->target, a, &tags);
	if (lock->has_requires_python) {
		SpecCandidate c = { &res->target.full_version, res->target.full_version.str,
				    strlen(res->target.full_version.str) };

		if (!specset_contains(&lock->requires_python, &c, PRERELEASES_ALLOW, false)) {
			term_error(&cli->term, "%s: the lock requires Python %s; the interpreter is %s (%s)",
				   LOCKFILE_NAME, specset_format(&lock->requires_python, a),
				   res->target.summary, res->target.python);
			free(list);
			return 1;
		}
	}
	for (size_t i = 0; i < lock->packages_len; i++) {
		const PylockPackage *pk = &lock->packages[i];
		SyncInstall *it = &list[count];
		const PylockFile *f;
		const char *wheel_name = NULL, *sha;

		if (!lockfile_selects(lock, &sel->o, &res->target.env, pk))
			continue;
		if (pk->source != PYLOCK_SOURCE_DISTS) {
			term_error(&cli->term, "%s:%u: %s: only packages from an index or a wheel directory "
				   "can be installed so far (this one is a %s)", LOCKFILE_NAME, pk->line, pk->name,
				   pk->source == PYLOCK_SOURCE_VCS ? "VCS checkout" :
				   pk->source == PYLOCK_SOURCE_DIRECTORY ? "directory" : "direct archive");
			free(list);
			return 1;
		}
		if (!(f = pick_wheel(pk, &tags, a, &wheel_name))) {
			term_error(&cli->term, "%s:%u: %s %s: %s; building sdists is not supported yet",
				   LOCKFILE_NAME, pk->line, pk->name, pk->has_version ? pk->version.str : "",
				   pk->wheels_len ? arena_printf(a, "none of its %zu wheels installs on %s",
								 pk->wheels_len, res->target.summary) :
				   "the lock lists no wheel for it");
			free(list);
			return 1;
		}
		if (!(sha = pylock_file_hash(f, "sha256")) || strlen(sha) != 64) {
			term_error(&cli->term, "%s:%u: %s: %s has no sha256 hash in the lock", LOCKFILE_NAME,
				   pk->line, pk->name, wheel_name);
			free(list);
			return 1;
		}
		it->name = pk->name;
		it->version = pk->has_version ? pk->version.str : "";
		it->wheel_name = wheel_name;
		if (f->url) {
			it->url = f->url;
		} else {
			char *abs = f->path[0] == '/' ? arena_strdup(a, f->path) :
				    arena_printf(a, "%s/%s", lock_dir, f->path), *url;

			fs_path_clean(abs);
			url = http_file_url(abs);
			it->url = arena_strdup(a, url);
			free(url);
		}
		memcpy(it->sha_hex, sha, 65);
		it->has_size = f->has_size;
		it->size = f->size;
		it->requested = locking_is_direct(py, &sel->o, groups, pk->name);
		it->key = arena_printf(a, "%s %s", it->sha_hex, it->url);
		count++;
	}
	*out = list;
	*n = count;
	return 0;
}

/* The project itself, as its editable wheel, written under .bunpy/editable/. */
static int
plan_editable(const Project *proj, const EditableWheel *w, Arena *a, SyncInstall *it, Err *err)
{
	const char *path = arena_printf(a, "%s/.bunpy/editable/%s", proj->root, w->wheel_name);
	char *url;

	memset(it, 0, sizeof(*it));
	if (editable_write(w, path, it->sha_hex, &it->size, err) != 0)
		return -1;
	url = http_file_url(path);
	it->url = arena_strdup(a, url);
	free(url);
	it->name = w->name;
	it->version = w->version;
	it->wheel_name = w->wheel_name;
	it->has_size = true;
	it->requested = true;
	it->direct_url_json = w->direct_url_json;
	it->key = arena_printf(a, "%s %s", it->sha_hex, it->url);
	return 0;
}

/* Progress on a terminal, and the warnings of the engine and the installer. */
typedef struct SyncProgress {
	Cli *cli;
	SyncCtx *sc;
	TermProgress line;
	size_t total;
	int64_t started_us;
} SyncProgress;

static void
show_progress(void *ctx)
{
	SyncProgress *sp = ctx;
	SyncCtx *sc = sp->sc;
	uint64_t bytes = atomic_load(&sc->bytes_received);
	double secs = (double)(fs_monotonic_us() - sp->started_us) / 1e6;

	if (bytes)
		term_progress_show(&sp->line, "Syncing: %u downloaded (%.1f MiB, %.1f MiB/s), %u unpacked, "
				   "%u of %zu installed", atomic_load(&sc->downloaded),
				   (double)bytes / (1 << 20), secs > 0 ? (double)bytes / (1 << 20) / secs : 0.0,
				   atomic_load(&sc->unpacked), atomic_load(&sc->installed), sp->total);
	else
		term_progress_show(&sp->line, "Syncing: %u unpacked, %u of %zu installed",
				   atomic_load(&sc->unpacked), atomic_load(&sc->installed), sp->total);
}

static void
on_finished(void *ctx, const char *kind, const char *key, NodeResult r, int64_t us,
	    const char *error)
{
	SyncProgress *sp = ctx;

	project_trace_node(sp->cli, &sp->line, kind, key, r, us, error);
	show_progress(sp);
}

static void
on_warning(void *ctx, const char *message)
{
	SyncProgress *sp = ctx;

	term_progress_clear(&sp->line);
	term_warn(&sp->cli->term, "%s", message);
}

/* From installer threads: one line, printed whole. */
static void
on_install_warning(void *ctx, const char *message)
{
	term_warn(&((Cli *)ctx)->term, "%s", message);
}

static void
print_changes(Cli *cli, const SyncInstall *ins, size_t nins, const InstalledDist *rm, size_t nrm,
	      bool dry)
{
	const char *b = term_bold(&cli->term, stderr), *r = term_reset(&cli->term, stderr);
	size_t i;

	if (cli->term.verbosity < 0)
		return;
	for (i = 0; i < nrm; i++)
		fprintf(stderr, " %s-%s %s%s==%s\n", b, r, dry ? "would remove " : "", rm[i].name,
			rm[i].version);
	for (i = 0; i < nins; i++) {
		if (ins[i].replace && strcmp(ins[i].replace->version, ins[i].version) != 0)
			fprintf(stderr, " %s-%s %s%s==%s\n", b, r, dry ? "would remove " : "",
				ins[i].replace->name, ins[i].replace->version);
		fprintf(stderr, " %s+%s %s%s==%s\n", b, r, dry ? "would install " : "", ins[i].name,
			ins[i].version);
	}
}

/* Compile what was just installed: their .dist-info directories, by a new scan. */
static int
compile_installed(const Venv *v, const SyncInstall *ins, size_t n, Arena *a, Err *err)
{
	InstalledDist *dists;
	size_t nd, k = 0;
	const char **paths;

	if (install_scan(v, a, &dists, &nd, err) != 0)
		return -1;
	paths = arena_alloc(a, (nd + 1) * sizeof(*paths));
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < n; j++)
			if (!strcmp(dists[i].name, ins[j].name))
				paths[k++] = dists[i].dist_info;
	return k ? install_compile(v, paths, k, err) : 0;
}

int
sync_option(Cli *cli, SyncArgs *s, int id, const char *arg)
{
	switch (id) {
	case SYNC_OPT_LOCKED: s->locked = true; return 0;
	case SYNC_OPT_FROZEN: s->frozen = true; return 0;
	case SYNC_OPT_COMPILE: s->compile = true; return 0;
	case SYNC_OPT_NO_INSTALL_PROJECT: s->no_install_project = true; return 0;
	case SYNC_OPT_LINK_MODE:
		s->link_mode_set = true;
		if (link_mode_parse(arg, &s->link_mode) != 0)
			return cli_usage_error(cli, "--link-mode is clone, hardlink or copy, not '%s'", arg);
		return 0;
	}
	if (select_option(&s->sel, id, arg) == 0)
		return 0;
	return locking_option(cli, &s->la, id, arg);
}

void
sync_args_free(SyncArgs *s)
{
	locking_args_free(&s->la);
	select_free(&s->sel);
}

int
sync_project(Cli *cli, Project *proj, SyncArgs *s, SyncOutcome *outcome)
{
	LockingResult res = { 0 };
	Arena a = { 0 };
	Buf lock_text = { 0 };
	SyncState state = { 0 };
	Venv venv;
	SyncCtx sc;
	SyncInstall *wanted = NULL;
	InstalledDist *have = NULL, *removals = NULL;
	size_t nwanted = 0, nhave = 0, nremovals = 0, ninstalls = 0, i, k;
	SyncInstall *installs = NULL;
	InstallLinkMode link_mode = s->link_mode_set ? s->link_mode : INSTALL_CLONE;
	const char *lock_path, *venv_root, *why = NULL, *env;
	char digest[33];
	bool link_mode_flag = s->link_mode_set, link_mode_default = false, locked = s->locked;
	bool frozen = s->frozen, compile = s->compile, dry = s->la.dry_run, have_ctx = false;
	EditableWheel self;
	const char *self_why = NULL;
	int editable = 0;
	int64_t t0 = fs_monotonic_us(), t_sync;
	int rc = 2, lockfd = -1, venv_state, verbosity = cli->term.verbosity;
	SyncOutcome none;
	Err err;

	if (!outcome)
		outcome = &none;
	memset(outcome, 0, sizeof(*outcome));
	if (s->quiet)
		cli->term.verbosity = -1;
	select_finish(&s->sel);

	/* the lock, made current unless frozen */
	s->la.quiet_up_to_date = true;
	s->la.check = locked;
	rc = frozen ? locking_load(cli, proj, &s->la, &a, &res) : locking_run(cli, proj, &s->la, &a, &res);
	if (rc != 0)
		goto out;
	/* flags, then the environment, then [tool.bunpy] */
	if (!link_mode_flag) {
		if ((env = getenv("BUNPY_LINK_MODE")) && *env) {
			if (link_mode_parse(env, &link_mode) != 0) {
				term_error(&cli->term, "BUNPY_LINK_MODE is clone, hardlink or copy, not '%s'", env);
				rc = 2;
				goto out;
			}
		} else if (res.pyproject.bunpy.link_mode != PYPROJECT_LINK_UNSET) {
			link_mode = res.pyproject.bunpy.link_mode == PYPROJECT_LINK_COPY ? INSTALL_COPY :
				    res.pyproject.bunpy.link_mode == PYPROJECT_LINK_HARDLINK ? INSTALL_HARDLINK :
				    INSTALL_CLONE;
		} else {
			link_mode_default = true;
		}
	}
	rc = 1;
	lock_path = arena_printf(&a, "%s/%s", proj->root, LOCKFILE_NAME);
	/* read once: the lock step has it unless frozen */
	if (res.lock_text) {
		buf_append(&lock_text, res.lock_text, res.lock_len);
	} else if (fs_read_file(lock_path, &lock_text, &err) != 0) {
		term_error(&cli->term, "%s" ERR_HINT "run bunpy lock first", err.msg);
		goto out;
	}
	venv_root = arena_printf(&a, "%s/.venv", proj->root);
	venv_layout(venv_root, &res.target, &a, &venv);
	if (!s->no_install_project)
		editable = editable_plan(&res.pyproject, proj->root, &a, &self, &self_why);
	request_digest(&lock_text, &s->sel, &res.target, venv_root, editable ? self.digest : "-", digest);

	/* the no-op: asked the same, and nothing moved in the environment since */
	if ((venv_state = venv_check(venv_root, &res.target, &a, &why, &err)) < 0) {
		term_error(&cli->term, "%s", err.msg);
		goto out;
	}
	if (venv_state == 1 && !dry && state_read(&venv, &state) && !strcmp(state.digest, digest)) {
		char stamp[sizeof(state.stamp)];

		if (!venv_stamp(&venv, stamp) && !strcmp(stamp, state.stamp)) {
			outcome->audited = state.npackages;
			term_note(&cli->term, "Audited %zu package%s in %.0f ms", state.npackages,
				  state.npackages == 1 ? "" : "s", (double)(fs_monotonic_us() - t0) / 1e3);
			rc = 0;
			goto out;
		}
	}

	/* one sync at a time per project, from here to the end */
	{
		char *lock_file = arena_printf(&a, "%s/.bunpy/sync.lock", proj->root);

		if (fs_mkdir_parent(lock_file, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			goto out;
		}
		if ((lockfd = fs_lock(lock_file, false, &err)) == -2) {
			term_note(&cli->term, "waiting for another bunpy in %s", proj->root);
			lockfd = fs_lock(lock_file, true, &err);
		}
		if (lockfd < 0) {
			term_error(&cli->term, "%s", err.msg);
			goto out;
		}
		/* what the other sync did is seen from here on */
		if (state.text.data)
			buf_free(&state.text);
		(void)state_read(&venv, &state);
		venv_state = venv_check(venv_root, &res.target, &a, &why, &err);
		if (venv_state < 0) {
			term_error(&cli->term, "%s", err.msg);
			goto out;
		}
	}

	/* the plan */
	{
		Pylock lock = res.lock;
		char *lock_dir = arena_strdup(&a, proj->root);

		if (!res.have_lock &&
		    pylock_read(arena_strndup(&a, lock_text.data, lock_text.len), lock_text.len, lock_path,
				&a, &lock, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			goto out;
		}
		if ((rc = plan_wanted(cli, &lock, lock_dir, &s->sel, &res, &a, &wanted, &nwanted)) != 0)
			goto out;
		if (self_why)
			term_warn(&cli->term, "the project itself is not installed into .venv: %s", self_why);
		if (editable && plan_editable(proj, &self, &a, &wanted[nwanted], &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			goto out;
		}
		nwanted += editable;
		rc = 1;
	}
	/* what an interrupted sync left is settled before the scan: recovery may finish a
	 * removal or undo an install, and the plan must see the result; a stage left
	 * without a journal is only removed */
	if (venv_state == 1 && !dry && leftovers_pending(&venv)) {
		Installer recover = { 0 };

		if (installer_open(&recover, &venv, link_mode, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			goto out;
		}
	}
	if (venv_state == 1 && install_scan(&venv, &a, &have, &nhave, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto out;
	}
	installs = xcalloc(nwanted + 1, sizeof(*installs));
	removals = xcalloc(nhave + 1, sizeof(*removals));
	for (i = 0; i < nwanted; i++) {
		const InstalledDist *cur = NULL;
		char sha[65];
		const char *old;

		for (k = 0; k < nhave && !cur; k++)
			if (!strcmp(have[k].name, wanted[i].name))
				cur = &have[k];
		/* same version: the same distribution unless the last sync installed another
		 * wheel of it (a rebuilt wheel keeps its version); one installed by another
		 * tool at the locked version is kept, as pip and uv keep it */
		if (cur && same_version(cur->version, wanted[i].version, &a) &&
		    (!(old = state_sha(&state, cur->name, sha)) || !strcmp(old, wanted[i].sha_hex)))
			continue;
		installs[ninstalls] = wanted[i];
		installs[ninstalls].replace = cur;
		ninstalls++;
	}
	for (k = 0; k < nhave; k++) {
		for (i = 0; i < nwanted; i++)
			if (!strcmp(have[k].name, wanted[i].name))
				break;
		if (i == nwanted)
			removals[nremovals++] = have[k];
	}
	if (venv_state == 0 && why)
		term_debug(&cli->term, "creating the environment: %s", why);
	if (dry) {
		print_changes(cli, installs, ninstalls, removals, nremovals, true);
		term_note(&cli->term, "Would install %zu and remove %zu package%s%s; dry run, nothing changed",
			  ninstalls, nremovals, ninstalls + nremovals == 1 ? "" : "s",
			  venv_state == 0 ? ", and create .venv" : "");
		rc = 0;
		goto out;
	}

	t_sync = fs_monotonic_us();
	if (ninstalls || nremovals || venv_state == 0) {
		EngineConfig cfg = { 0 };
		Engine *eng = NULL;
		BuildReport report;
		SyncProgress progress = { 0 };
		NodeRef goal = { "venv-sync", ".venv" };

		/* what killed unpacks left in the wheel cache; a failure only costs space */
		(void)wheelcache_sweep(proj->cache_dir, NULL);
		memset(&sc, 0, sizeof(sc));
		lockctx_init(&sc.lock);
		have_ctx = true;
		locking_ctx(&s->la, &res, proj->cache_dir, &sc.lock);
		sc.cache_dir = proj->cache_dir;
		sc.venv_root = venv_root;
		sc.target = &res.target;
		sc.venv = &venv;
		sc.link_mode = link_mode;
		sc.installer.warn = on_install_warning;
		sc.installer.warn_ctx = cli;
		sc.installer.clone_by_default = link_mode_default;
		sc.venv_ok = venv_state == 1;
		qsort(installs, ninstalls, sizeof(*installs), cmp_install_key);
		sc.installs = installs;
		sc.ninstalls = ninstalls;
		sc.removals = removals;
		sc.nremovals = nremovals;
		/* unpacking and installing wait on the filesystem as much as they compute:
		 * twice as many threads as cores keep the cores busy (cold, 47 wheels on
		 * tmpfs: 176 ms with two threads, 102 ms with four) */
		cfg.cpu_threads = 2 * (int)sysconf(_SC_NPROCESSORS_ONLN);
		cfg.command = "sync";
		cfg.handle_signals = true;
		cfg.user = &sc;
		progress.cli = cli;
		progress.sc = &sc;
		term_progress_init(&progress.line, &cli->term);
		progress.total = ninstalls;
		progress.started_us = fs_monotonic_us();
		cfg.hooks = (EngineHooks){ &progress, NULL, on_finished, on_warning, show_progress };
		if ((rc = project_open(cli, proj, &cfg, &eng)) != 0)
			goto out;
		rc = 1;
		if (eng_build(eng, &goal, 1, &report, &err) != 0) {
			term_progress_clear(&progress.line);
			term_error(&cli->term, "%s", err.msg);
			eng_close(eng);
			goto out;
		}
		term_progress_clear(&progress.line);
		if (report.interrupted) {
			term_error(&cli->term, "interrupted; every package is either installed or not, and the "
				   "next bunpy sync goes on");
			rc = 130;
		} else if (report.nfailures) {
			term_error(&cli->term, "%s", report.failures[0].message);
			rc = report.failures[0].code > 1 ? report.failures[0].code : 1;
		} else {
			rc = 0;
		}
		build_report_free(&report);
		eng_close(eng);
		if (rc != 0)
			goto out;
		qsort(installs, ninstalls, sizeof(*installs), cmp_install_name);
		if (atomic_load(&sc.downloaded))
			term_note(&cli->term, "Downloaded %u package%s (%.1f MiB)", atomic_load(&sc.downloaded),
				  atomic_load(&sc.downloaded) == 1 ? "" : "s",
				  (double)atomic_load(&sc.bytes_downloaded) / (1 << 20));
	}
	if (compile && compile_installed(&venv, installs, ninstalls, &a, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = 1;
		goto out;
	}
	qsort(wanted, nwanted, sizeof(*wanted), cmp_install_name);
	if (state_write(&venv, digest, wanted, nwanted, &err) != 0)
		term_warn(&cli->term, "%s (the next sync will look at the environment again)", err.msg);
	outcome->installed = ninstalls;
	outcome->removed = nremovals;
	outcome->audited = nwanted;
	outcome->venv_created = venv_state == 0;
	if (ninstalls || nremovals) {
		if (ninstalls && nremovals)
			term_note(&cli->term, "Installed %zu and removed %zu package%s in %.0f ms", ninstalls,
				  nremovals, nremovals == 1 ? "" : "s", (double)(fs_monotonic_us() - t_sync) / 1e3);
		else
			term_note(&cli->term, "%s %zu package%s in %.0f ms", ninstalls ? "Installed" : "Removed",
				  ninstalls ? ninstalls : nremovals, (ninstalls ? ninstalls : nremovals) == 1 ? "" : "s",
				  (double)(fs_monotonic_us() - t_sync) / 1e3);
		print_changes(cli, installs, ninstalls, removals, nremovals, false);
	} else {
		term_note(&cli->term, "Audited %zu package%s in %.0f ms", nwanted, nwanted == 1 ? "" : "s",
			  (double)(fs_monotonic_us() - t0) / 1e3);
	}
	rc = 0;
out:
	if (have_ctx)
		lockctx_free(&sc.lock);
	if (lockfd >= 0)
		fs_unlock(lockfd);
	outcome->locked_now = res.locked_now;
	cli->term.verbosity = verbosity;
	free(res.indexes);
	free(wanted);
	free(installs);
	free(removals);
	buf_free(&state.text);
	buf_free(&lock_text);
	arena_free(&a);
	return rc;
}

static int
sync_main(Cli *cli, int argc, char **argv)
{
	SyncArgs s = { 0 };
	Project proj;
	const char *arg;
	int id, rc = 2;

	cli_begin(cli, &cmd_sync, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_DRY_RUN: s.la.dry_run = true; break;
		default:
			if (sync_option(cli, &s, id, arg) == 2)
				goto done;
		}
	}
	if (cli->noperands) {
		rc = cli_usage_error(cli, "sync takes no operands ('%s')", cli->operands[0]);
		goto done;
	}
	if (s.locked && s.frozen) {
		rc = cli_usage_error(cli, "--locked and --frozen contradict each other: choose one");
		goto done;
	}
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	rc = sync_project(cli, &proj, &s, NULL);
	project_free(&proj);
done:
	sync_args_free(&s);
	return rc;
}

const CliCommand cmd_sync = {
	.name = "sync",
	.usage = "[OPTIONS]",
	.summary = "make .venv exactly what pylock.toml says, locking first if needed",
	.description = "Make the project's .venv exactly what pylock.toml says for the chosen extras and\n"
		"groups (dev by default): lock first if the lock is out of date, create the\n"
		"environment if it is missing, download and check what is not cached, install what\n"
		"is missing or changed, and remove what the lock no longer has.",
	.options = sync_options,
	.run = sync_main,
};
