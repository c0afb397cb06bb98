/*
 * project.c - project discovery and engine set-up shared by the commands.
 */
#include "config.h"

#include "project.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cacheindex.h"
#include "engine/fs.h"
#include "rules/rules.h"

char *
project_cache_dir(const Cli *cli)
{
	const char *v = getenv("BUNPY_CACHE_DIR");
	Buf b = { 0 };

	if (cli->cache_dir && *cli->cache_dir)
		return xstrdup(cli->cache_dir);
	if (v && *v)
		return xstrdup(v);
	if ((v = getenv("XDG_CACHE_HOME")) && *v == '/')
		buf_printf(&b, "%s/bunpy", v);
	else if ((v = getenv("HOME")) && *v)
		buf_printf(&b, "%s/.cache/bunpy", v);
	else
		return NULL;
	return buf_detach(&b);
}

char *
project_root(const char *start, bool *missing)
{
	char dir[PATH_MAX];

	*missing = !realpath(start, dir);
	if (*missing)
		return NULL;
	for (;;) {
		Buf candidate = { 0 };
		bool found;
		char *slash;

		buf_printf(&candidate, "%s/%s", strcmp(dir, "/") ? dir : "", RULES_PYPROJECT);
		found = access(candidate.data, F_OK) == 0;
		buf_free(&candidate);
		if (found)
			return xstrdup(dir);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return NULL;
		*slash = '\0';
	}
}

int
project_find(Cli *cli, Project *p)
{
	const char *start = cli->directory ? cli->directory : ".";
	bool missing;

	memset(p, 0, sizeof(*p));
	if (!(p->root = project_root(start, &missing))) {
		char here[PATH_MAX];

		if (missing) {
			term_error(&cli->term, "cannot use directory %s: it does not exist", start);
			return 2;
		}
		if (!realpath(start, here))
			strcpy(here, start);
		term_error(&cli->term, "no %s in %s or any directory above it" ERR_HINT
			   "run bunpy inside a project, use -C DIR, or start one with bunpy init",
			   RULES_PYPROJECT, here);
		return 2;
	}
	p->cache_dir = project_cache_dir(cli);
	return 0;
}

void
project_free(Project *p)
{
	free(p->root);
	free(p->cache_dir);
	free(p->command);
	if (p->cache_locked)
		cacheindex_unlock(p->cache_lock);
	memset(p, 0, sizeof(*p));
}

int
project_open(Cli *cli, Project *p, EngineConfig *cfg, Engine **eng)
{
	Err err;
	int rc;

	/* Builds put blobs in the CAS, syncs unpack and link wheels: the cache is in use
	 * until the command ends. Failing to lock (a read-only cache) is not an error. */
	if (!cfg->readonly && !p->cache_locked && p->cache_dir) {
		rc = cacheindex_lock(p->cache_dir, false, false, &err);
		if (rc == -2) {
			term_note(&cli->term, "waiting for `bunpy cache` to finish with %s...", p->cache_dir);
			rc = cacheindex_lock(p->cache_dir, false, true, &err);
		}
		if (rc >= 0) {
			p->cache_lock = rc;
			p->cache_locked = true;
		}
	}
	cfg->root = p->root;
	cfg->cache_dir = p->cache_dir;
	rc = eng_open(eng, cfg, &err);
	if (rc == -2) {
		term_note(&cli->term, "waiting for another bunpy working in %s to finish...", p->root);
		cfg->wait_for_lock = true;
		rc = eng_open(eng, cfg, &err);
	}
	if (rc == -3)
		return 3;
	if (rc != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	if (eng_notice(*eng))
		term_warn(&cli->term, "%s", eng_notice(*eng));
	if (rules_register(*eng, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		eng_close(*eng);
		*eng = NULL;
		return 1;
	}
	return 0;
}

NodeRef
project_target(Engine *eng, const char *arg, char **owned)
{
	const char *colon = strchr(arg, ':');
	NodeRef ref = { "task", arg };

	*owned = NULL;
	if (colon && colon > arg) {
		char *kind = xstrndup(arg, (size_t)(colon - arg));

		if (eng_rule_version(eng, kind)) {
			ref.kind = kind;
			ref.key = colon + 1;
			*owned = kind;
		} else {
			free(kind);
		}
	}
	return ref;
}

void
project_trace_node(const Cli *cli, TermProgress *line, const char *kind, const char *key,
		   NodeResult r, int64_t us, const char *error)
{
	if (cli->term.verbosity < 1 || (r != NR_RAN && r != NR_FAILED))
		return;
	term_progress_clear(line);
	term_debug(&cli->term, "%s:%s %s (%.1f ms)%s%s", kind, key, r == NR_RAN ? "ran" : "failed",
		   (double)us / 1e3, error ? ": " : "", error ? error : "");
}
