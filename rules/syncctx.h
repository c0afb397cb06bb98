/*
 * syncctx.h - what the sync's rules share (handed to them by rule_user): the plan the
 * front end made (which wheels to install, which distributions to remove), the
 * environment, and the lock's context for the HTTP client and the credentials.
 *
 * Node kinds of the sync (see ARCHITECTURE.md), all volatile (the caches and the
 * environment live outside the project, so every build looks; looking is a stat):
 *   wheel-file:SHA256 URL     the wheel, checked against its SHA-256 (and size):
 *                             the file itself for file: URLs, else downloaded in the
 *                             net pool into the CAS; the payload is its path
 *   wheel-unpack:SHA256 URL   the wheel unpacked in the wheel cache (wheelcache.h); the
 *                             file is asked for only when the cache lacks the wheel
 *   dist-remove:NAME          a distribution the lock no longer selects, removed
 *   dist-install:NAME         the locked wheel installed (replacing what was there)
 *   venv-sync:.venv           the goal: every wheel unpacked, then the environment made
 *                             or checked, then the removals, then the installs
 * Nothing touches the environment before every wheel is fetched, checked and unpacked,
 * so a bad download or a bad wheel leaves it exactly as it was.
 */
#ifndef BUNPY_SYNCCTX_H
#define BUNPY_SYNCCTX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "install.h"
#include "lockctx.h"
#include "venv.h"

typedef struct SyncInstall {
	const char *name;            /* normalized */
	const char *version;
	const char *wheel_name;
	const char *url;             /* as locked: without credentials (lockctx_unmask adds them) */
	char sha_hex[65];
	bool has_size;
	uint64_t size;
	bool requested;              /* a direct dependency of the project */
	const char *direct_url_json; /* NULL unless installed from a direct URL or path */
	const InstalledDist *replace;  /* what it replaces, NULL when nothing */
	const char *key;             /* "SHA256 URL", of its wheel-file and wheel-unpack nodes */
} SyncInstall;

typedef struct SyncCtx {
	LockCtx lock;                /* first: the lock's rules may see a SyncCtx as a LockCtx */
	const char *cache_dir;
	const char *venv_root;
	const Target *target;
	const Venv *venv;
	Installer installer;
	InstallLinkMode link_mode;
	const char *prompt;
	bool venv_ok;                /* the environment exists and suits the target */
	SyncInstall *installs;       /* sorted by key */
	size_t ninstalls;
	const InstalledDist *removals;
	size_t nremovals;
	/* for progress lines, from any thread */
	_Atomic uint64_t bytes_downloaded;   /* of finished, checked downloads */
	_Atomic uint64_t bytes_received;     /* as they arrive, for the rate */
	_Atomic unsigned downloaded, unpacked, installed, removed;
} SyncCtx;

/* The install whose wheel has this node key; NULL when none. */
SyncInstall *syncctx_find_key(SyncCtx *sc, const char *key);
/* The install or the removal of a project (normalized name); NULL when none. */
SyncInstall *syncctx_find_install(SyncCtx *sc, const char *name);
const InstalledDist *syncctx_find_removal(SyncCtx *sc, const char *name);

extern const Rule rules_wheel_file_rule;
extern const Rule rules_wheel_unpack_rule;
extern const Rule rules_dist_install_rule;
extern const Rule rules_dist_remove_rule;
extern const Rule rules_venv_sync_rule;

#endif
