/*
 * sync.c - the kinds venv-sync, dist-remove and dist-install (syncctx.h): the plan the
 * front end made, carried out on the engine.
 *
 * venv-sync is the goal. It asks for every wheel's wheel-unpack node first and waits
 * for all of them: until then nothing has touched the environment, so a wheel that
 * fails its hash, its RECORD or the path checks stops the sync with the environment as
 * it was. Then, in a cpu thread, it makes the environment if it is missing or for
 * another interpreter and opens the installer (which repairs what an interrupted sync
 * left). Then the removals, all at once, and then the installs, all at once: each
 * distribution is installed or removed as one step of install.c, so the environment
 * holds at every moment only whole distributions.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "syncctx.h"

SyncInstall *
syncctx_find_key(SyncCtx *sc, const char *key)
{
	size_t lo = 0, hi = sc->ninstalls;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sc->installs[mid].key, key);

		if (c == 0)
			return &sc->installs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

SyncInstall *
syncctx_find_install(SyncCtx *sc, const char *name)
{
	for (size_t i = 0; i < sc->ninstalls; i++)
		if (!strcmp(sc->installs[i].name, name))
			return &sc->installs[i];
	return NULL;
}

const InstalledDist *
syncctx_find_removal(SyncCtx *sc, const char *name)
{
	for (size_t i = 0; i < sc->nremovals; i++)
		if (!strcmp(sc->removals[i].name, name))
			return &sc->removals[i];
	return NULL;
}

typedef struct DistJob {
	SyncCtx *sc;
	SyncInstall *it;             /* dist-install */
	const InstalledDist *rm;     /* dist-remove */
	const char *unpacked;
	bool started;
	int rc;
	Err err;
} DistJob;

static void
install_work(void *arg)
{
	DistJob *j = arg;
	InstallRequest req = {
		.name = j->it->name,
		.version = j->it->version,
		.wheel_name = j->it->wheel_name,
		.unpacked = j->unpacked,
		.requested = j->it->requested,
		.direct_url_json = j->it->direct_url_json,
	};

	j->rc = install_wheel(&j->sc->installer, &req, j->it->replace, &j->err);
	if (j->rc == 0)
		atomic_fetch_add(&j->sc->installed, 1);
}

static void
remove_work(void *arg)
{
	DistJob *j = arg;

	j->rc = install_remove(&j->sc->installer, j->rm, &j->err);
	if (j->rc == 0)
		atomic_fetch_add(&j->sc->removed, 1);
}

static RuleStatus
install_run(RuleCtx *ctx)
{
	DistJob **state = (DistJob **)rule_state(ctx);
	SyncCtx *sc = rule_user(ctx);
	const char *key = rule_key(ctx);
	const NodeValue *dir;
	DistJob *j = *state;

	if (!j) {
		j = *state = xcalloc(1, sizeof(*j));
		j->sc = sc;
		if (!sc || !(j->it = syncctx_find_install(sc, key)))
			return rule_fail(ctx, 1, "dist-install:%s: not an install of this sync", key);
	}
	if (j->started) {
		Digest d;

		if (j->rc != 0)
			return rule_fail(ctx, 1, "%s %s: %s", j->it->name, j->it->version, j->err.msg);
		d = hash_bytes(j->it->key, strlen(j->it->key));
		rule_set_digest(ctx, &d);
		return RULE_DONE;
	}
	if (!(dir = rule_need(ctx, "wheel-unpack", j->it->key)))
		return RULE_SUSPEND;
	j->unpacked = arena_strndup(rule_arena(ctx), dir->data, dir->len);
	j->started = true;
	rule_describe(ctx, j->it->wheel_name);
	return rule_offload(ctx, POOL_CPU, install_work, j);
}

static RuleStatus
remove_run(RuleCtx *ctx)
{
	DistJob **state = (DistJob **)rule_state(ctx);
	SyncCtx *sc = rule_user(ctx);
	const char *key = rule_key(ctx);
	DistJob *j = *state;

	if (j) {
		Digest d = eng_file_missing_digest();

		if (j->rc != 0)
			return rule_fail(ctx, 1, "%s %s: %s", j->rm->name, j->rm->version, j->err.msg);
		rule_set_digest(ctx, &d);
		return RULE_DONE;
	}
	j = *state = xcalloc(1, sizeof(*j));
	j->sc = sc;
	if (!sc || !(j->rm = syncctx_find_removal(sc, key)))
		return rule_fail(ctx, 1, "dist-remove:%s: not a removal of this sync", key);
	return rule_offload(ctx, POOL_CPU, remove_work, j);
}

static void
dist_job_free(void *p)
{
	free(p);
}

const Rule rules_dist_install_rule = {
	.kind = "dist-install",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = install_run,
	.free_state = dist_job_free,
};

const Rule rules_dist_remove_rule = {
	.kind = "dist-remove",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = remove_run,
	.free_state = dist_job_free,
};

enum { STAGE_UNPACK, STAGE_PREPARE, STAGE_REMOVE, STAGE_INSTALL, STAGE_DONE };

typedef struct SyncJob {
	SyncCtx *sc;
	int stage;
	int rc;
	Err err;
} SyncJob;

/* The environment made or checked, and the installer opened (repairing what an
 * interrupted sync left): the first moment the environment is touched. */
static void
prepare_work(void *arg)
{
	SyncJob *j = arg;
	SyncCtx *sc = j->sc;
	Arena a = { 0 };

	j->rc = 0;
	if (!sc->venv_ok)
		j->rc = venv_create(sc->venv_root, sc->target, sc->prompt, &a, &j->err);
	if (j->rc == 0)
		j->rc = installer_open(&sc->installer, sc->venv, sc->link_mode, &j->err);
	arena_free(&a);
}

/* Ask for every node of a kind; true when all are built. */
static bool
need_all(RuleCtx *ctx, SyncCtx *sc, const char *kind)
{
	bool ready = true;
	size_t i;

	if (!strcmp(kind, "dist-remove")) {
		for (i = 0; i < sc->nremovals; i++)
			ready &= rule_need(ctx, kind, sc->removals[i].name) != NULL;
	} else {
		for (i = 0; i < sc->ninstalls; i++)
			ready &= rule_need(ctx, kind, !strcmp(kind, "dist-install") ?
					   sc->installs[i].name : sc->installs[i].key) != NULL;
	}
	return ready;
}

static RuleStatus
venv_sync_run(RuleCtx *ctx)
{
	SyncJob **state = (SyncJob **)rule_state(ctx);
	SyncCtx *sc = rule_user(ctx);
	SyncJob *j = *state;
	Digest d;

	if (!j) {
		j = *state = xcalloc(1, sizeof(*j));
		j->sc = sc;
		if (!sc || strcmp(rule_key(ctx), ".venv") != 0)
			return rule_fail(ctx, 1, "venv-sync:%s: not the environment of this sync",
					 rule_key(ctx));
	}
	switch (j->stage) {
	case STAGE_UNPACK:
		if (!need_all(ctx, sc, "wheel-unpack"))
			return RULE_SUSPEND;
		j->stage = STAGE_PREPARE;
		rule_describe(ctx, "preparing the environment");
		return rule_offload(ctx, POOL_CPU, prepare_work, j);
	case STAGE_PREPARE:
		if (j->rc != 0)
			return rule_fail(ctx, 1, "%s", j->err.msg);
		j->stage = STAGE_REMOVE;
		/* fall through */
	case STAGE_REMOVE:
		if (!need_all(ctx, sc, "dist-remove"))
			return RULE_SUSPEND;
		j->stage = STAGE_INSTALL;
		/* fall through */
	case STAGE_INSTALL:
		if (!need_all(ctx, sc, "dist-install"))
			return RULE_SUSPEND;
		j->stage = STAGE_DONE;
		/* fall through */
	default:
		d = rule_unique_digest(ctx);
		rule_set_digest(ctx, &d);
		return RULE_DONE;
	}
}

const Rule rules_venv_sync_rule = {
	.kind = "venv-sync",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = venv_sync_run,
	.free_state = dist_job_free,
};
