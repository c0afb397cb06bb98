/*
 * project.h - finding the project a command works on, and opening its engine.
 *
 * The project is the nearest directory, from the current one (or -C DIR) upwards, that
 * holds a pyproject.toml. Its state lives in ROOT/.bunpy; the shared cache in --cache-dir,
 * else $BUNPY_CACHE_DIR, else $XDG_CACHE_HOME/bunpy, else ~/.cache/bunpy.
 */
#ifndef BUNPY_PROJECT_H
#define BUNPY_PROJECT_H

#include "cli.h"
#include "engine/engine.h"

typedef struct Project {
	char *root;
	char *cache_dir;
	char *command;           /* the command line, for the run records */
	/* CACHE/.lock, held shared from project_open on while the cache may be used, so
	 * that `bunpy cache clean|prune` waits (released by project_free, exit or exec) */
	bool cache_locked;
	int cache_lock;
} Project;

/* The nearest directory from start upwards that holds a pyproject.toml (malloc'd);
 * NULL when none does, with *missing set when start itself does not exist. Silent. */
char *project_root(const char *start, bool *missing);
/* Find the project; on failure prints why and returns the exit status (2). */
int project_find(Cli *cli, Project *p);
void project_free(Project *p);
/* The shared cache's directory (malloc'd): --cache-dir, else $BUNPY_CACHE_DIR, else
 * $XDG_CACHE_HOME/bunpy, else ~/.cache/bunpy; NULL when none of them says (no HOME). */
char *project_cache_dir(const Cli *cli);
/* Open the engine with every rule registered. Waits (saying so) when another bunpy
 * holds the project, or when `bunpy cache clean|prune` holds the cache. Returns 0 or
 * an exit status after printing the error; with
 * cfg->readonly, 3 means nothing was built yet (nothing printed). */
int project_open(Cli *cli, Project *p, EngineConfig *cfg, Engine **eng);
/* With --verbose, one line per node that ran or failed (the progress line cleared
 * first): "dist-install:anyio ran (3.1 ms)". */
void project_trace_node(const Cli *cli, TermProgress *line, const char *kind, const char *key,
			NodeResult r, int64_t us, const char *error);
/* A target on the command line: "KIND:KEY" for a node of a known kind, else a task. */
NodeRef project_target(Engine *eng, const char *arg, char **owned);

#endif
