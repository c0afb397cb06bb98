/*
 * engine.c - opening and closing an engine, registering rules, reading the graph.
 */
#include "config.h"

#include "graph.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runlog.h"

int
eng_open(Engine **out, const EngineConfig *cfg, Err *err)
{
	Engine *eng = xcalloc(1, sizeof(*eng));
	char real[PATH_MAX];
	Buf path = { 0 };
	int rc = -1;

	*out = NULL;
	eng->lock_fd = -1;
	eng->root_fd = -1;
	if (!realpath(cfg->root ? cfg->root : ".", real)) {
		err_sys(err, "%s", cfg->root ? cfg->root : ".");
		goto fail;
	}
	eng->root = xstrdup(real);
	eng->root_fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (eng->root_fd < 0) {
		err_sys(err, "%s", real);
		goto fail;
	}
	if (cfg->state_dir) {
		eng->state_dir = xstrdup(cfg->state_dir);
	} else {
		buf_printf(&path, "%s/.bunpy", eng->root);
		eng->state_dir = buf_detach(&path);
	}
	if (cfg->cache_dir) {
		eng->cache_dir = xstrdup(cfg->cache_dir);
	} else {
		buf_clear(&path);
		buf_printf(&path, "%s/cache", eng->state_dir);
		eng->cache_dir = buf_detach(&path);
	}
	eng->command = xstrdup(cfg->command ? cfg->command : "");
	eng->jobs = cfg->jobs;
	eng->cpu_threads = cfg->cpu_threads;
	eng->net_slots = cfg->net_slots;
	eng->keep_going = cfg->keep_going;
	eng->readonly = cfg->readonly;
	eng->handle_signals = cfg->handle_signals;
	eng->hooks = cfg->hooks;
	eng->user = cfg->user;

	buf_clear(&path);
	buf_printf(&path, "%s/state.db", eng->state_dir);
	if (eng->readonly) {
		if (access(path.data, F_OK) != 0) {
			err_set(err, "nothing has been built in %s yet", eng->root);
			rc = -3;
			goto fail;
		}
	} else {
		if (fs_mkdir_p(eng->state_dir, err) != 0)
			goto fail;
		{
			Buf lock = { 0 };

			buf_printf(&lock, "%s/lock", eng->state_dir);
			eng->lock_fd = fs_lock(lock.data, cfg->wait_for_lock, err);
			buf_free(&lock);
		}
		if (eng->lock_fd == -2) {
			err_set(err, "another bunpy is working in %s", eng->root);
			rc = -2;
			goto fail;
		}
		if (eng->lock_fd < 0)
			goto fail;
	}
	buf_clear(&path);
	buf_printf(&path, "%s/cas", eng->cache_dir);
	if (cas_open(&eng->cas, path.data, !eng->readonly, err) != 0)
		goto fail;
	buf_clear(&path);
	buf_printf(&path, "%s/state.db", eng->state_dir);
	if (store_open(&eng->store, path.data, eng->readonly, err) != 0)
		goto fail;
	if (graph_load(eng, err) != 0)
		goto fail;
	if (eng_register(eng, &leaf_file_rule, err) != 0 ||
	    eng_register(eng, &leaf_glob_rule, err) != 0)
		goto fail;
	buf_free(&path);
	*out = eng;
	return 0;
fail:
	buf_free(&path);
	eng_close(eng);
	return rc;
}

void
eng_close(Engine *eng)
{
	size_t i;
	uint32_t id;

	if (!eng)
		return;
	for (id = 1; id < eng->limit; id++) {
		Node *n = eng->nodes[id];

		if (n) {
			free(n->waiters);
			free(n->cands);
		}
	}
	for (i = 0; i < eng->nhistory; i++)
		free(eng->history[i].blob);
	free(eng->history);
	store_close(eng->store);
	cas_close(&eng->cas);
	fs_unlock(eng->lock_fd);
	if (eng->root_fd >= 0)
		close(eng->root_fd);
	for (i = 0; i < eng->nkinds; i++)
		free(eng->kinds[i].name);
	free(eng->kinds);
	free(eng->kind_of_store);
	free(eng->map.slots);
	free(eng->nodes);
	free(eng->dirty);
	arena_free(&eng->arena);
	if (eng->snapshot)
		munmap(eng->snapshot, eng->snapshot_len);
	if (eng->node_block)
		munmap(eng->node_block, eng->node_block_cap * sizeof(Node));
	free(eng->root);
	free(eng->state_dir);
	free(eng->cache_dir);
	free(eng->command);
	free(eng);
}

const char *
eng_notice(Engine *eng)
{
	return eng->store ? store_notice(eng->store) : NULL;
}

int
eng_register(Engine *eng, const Rule *rule, Err *err)
{
	uint16_t k;

	if (graph_kind(eng, rule->kind, &k, err) != 0)
		return -1;
	if (eng->kinds[k].rule && eng->kinds[k].rule != rule)
		return err_set(err, "internal error: two rules for kind '%s'", rule->kind);
	eng->kinds[k].rule = rule;
	return 0;
}

static Node *
find(Engine *eng, const char *kind, const char *key)
{
	uint16_t k;

	if (graph_kind(eng, kind, &k, NULL) != 0)
		return NULL;
	return graph_find(eng, k, key);
}

int
eng_value(Engine *eng, const char *kind, const char *key, NodeValue *out, Err *err)
{
	Node *n = find(eng, kind, key);

	if (!n || !(n->status & NODE_OK))
		return err_set(err, "%s:%s has no value", kind, key);
	if (graph_load_data(eng, n, err) != 0)
		return -1;
	out->digest = n->value;
	out->data = n->data;
	out->len = n->data_len;
	return 0;
}

int
eng_capture_file(Cas *cas, const char *abs_path, OutputFile *out, Err *err)
{
	int rc = fs_stat(abs_path, &out->stat, err);

	if (rc < 0)
		return -1;
	if (rc == 1 || !S_ISREG(out->stat.mode))
		return err_set(err, "%s: %s", abs_path, rc == 1 ? "was not created" : "is not a regular file");
	if (hash_file(abs_path, &out->digest, &out->sha, err) != 0)
		return -1;
	out->cached = cas_link_file(cas, abs_path, &out->sha) == 0;
	if (out->cached && fs_stat(abs_path, &out->stat, err) != 0)
		return -1;
	return 0;
}

uint32_t
eng_node_limit(Engine *eng)
{
	return eng->limit ? eng->limit : 1;
}

int
eng_node_info(Engine *eng, uint32_t id, NodeInfo *out)
{
	Node *n = graph_node(eng, id);
	TraceIter it;

	if (!n)
		return -1;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->kind = graph_kind_name(eng, n);
	out->key = n->key;
	out->built = n->status & NODE_OK;
	out->failed = n->status & NODE_FAILED;
	out->is_volatile = n->status & NODE_VOLATILE;
	out->rule_version = n->rule_version;
	out->value = n->value;
	out->duration_us = n->duration_us;
	trace_iter_init(&it, n->trace, n->trace_len);
	while (trace_iter_next(&it, NULL))
		out->ndeps++;
	out->noutputs = n->outputs ? blob_u32(n->outputs) : 0;
	return 0;
}

size_t
eng_node_deps(Engine *eng, uint32_t id, uint32_t *out, size_t cap)
{
	Node *n = graph_node(eng, id);
	TraceIter it;
	uint32_t d;
	size_t k = 0;

	if (!n)
		return 0;
	trace_iter_init(&it, n->trace, n->trace_len);
	while ((d = trace_iter_next(&it, NULL)) != 0) {
		if (k < cap)
			out[k] = d;
		k++;
	}
	return k;
}

size_t
eng_node_outputs(Engine *eng, uint32_t id, uint32_t *out, size_t cap)
{
	Node *n = graph_node(eng, id);
	uint32_t count, i;

	if (!n || !n->outputs)
		return 0;
	count = blob_u32(n->outputs);
	for (i = 0; i < count && i < cap; i++)
		out[i] = blob_u32(n->outputs + 4 + i * OUTPUT_SIZE);
	return count;
}

int
eng_find(Engine *eng, const char *kind, const char *key, uint32_t *id)
{
	Node *n = find(eng, kind, key);

	if (!n)
		return -1;
	*id = n->id;
	return 0;
}

uint32_t
eng_rule_version(Engine *eng, const char *kind)
{
	size_t i;

	for (i = 0; i < eng->nkinds; i++)
		if (!strcmp(eng->kinds[i].name, kind))
			return eng->kinds[i].rule ? eng->kinds[i].rule->version : 0;
	return 0;
}

int
eng_last_run(Engine *eng, RunInfo *out, bool *found, Err *err)
{
	StoreRun run;
	Buf b = { 0 };
	long n;

	memset(out, 0, sizeof(*out));
	if (store_run_last(eng->store, &run, &b, found, err) != 0) {
		buf_free(&b);
		return -1;
	}
	if (!*found) {
		buf_free(&b);
		return 0;
	}
	n = runlog_decode(run.records, run.records_len, &out->records);
	if (n < 0) {
		buf_free(&b);
		return err_set(err, "the records of the last run are damaged");
	}
	out->nrecords = (size_t)n;
	out->started_us = run.started_us;
	out->ended_us = run.ended_us;
	out->status = run.status;
	out->command = xstrdup(run.command);
	buf_free(&b);
	return 0;
}

void
run_info_free(RunInfo *r)
{
	free(r->records);
	free((char *)r->command);
	r->records = NULL;
	r->command = NULL;
}
