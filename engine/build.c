/*
 * build.c - bringing goals up to date: checking traces, running rules, the scheduler.
 *
 * One coordinator thread owns every node. It keeps a work list of nodes to look at; a
 * node either checks its last trace group by group (asking for the deps of a group,
 * waiting until they are all finished, comparing their digests with the recorded ones),
 * or runs its rule. Rules that wait on other nodes are simply called again when those
 * finish (they keep their progress in their state), and heavy work goes to the pools,
 * whose finished items come back to this thread. Nothing recurses along the graph, so
 * a chain of 100,000 nodes needs no deep stack.
 *
 * When a node's last trace no longer holds, its earlier results (history) are tried the
 * same way before the rule runs: a node whose inputs went back to an earlier state is
 * restored from the CAS instead of re-run.
 */
#include "config.h"

#include "graph.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <poll.h>

#include "pool.h"
#include "prefetch.h"
#include "runlog.h"

#define FLUSH_INTERVAL_US (250 * 1000)
#define WAIT_SLICE_MS 100

enum { TAG_RULE, TAG_SPAWN, TAG_RESTORE, TAG_INGEST };

/* An earlier result of a node: the current one, or one from history. */
struct Candidate {
	const unsigned char *trace;
	uint32_t trace_len;
	const unsigned char *outputs;
	uint32_t outputs_len;
	Digest value;
	Digest trace_hash;
	const void *data;
	size_t data_len;
	bool has_data;
};

/* Copying a finished node's outputs into the CAS, in the cpu pool: the node and its
 * dependents go on meanwhile. A copy that fails only means the output cannot be
 * restored later; the node then runs instead. */
typedef struct IngestJob {
	PoolItem item;
	Cas *cas;
	char **paths;
	Sha256 *shas;
	size_t n;
} IngestJob;

typedef struct Build {
	Engine *eng;
	Pools *pools;
	size_t inflight;
	uint32_t *work;               /* first in, first out: asked first, started first */
	size_t workhead, nwork, capwork;
	uint32_t *touched;
	size_t ntouched, captouched;
	const NodeRef *goals;
	uint32_t *goal_ids;
	size_t ngoals;
	BuildReport *report;
	Arena arena;                  /* reasons, candidates: freed with the build */
	int64_t t0;                   /* monotonic start */
	int64_t last_flush;
	bool stop;
	bool explain;
	bool priorities_ready;
	uint32_t serial;
	Buf scratch;
	Err *err;
	int fatal;                    /* an engine error ended the build */
	int sigfd;                    /* SIGINT and SIGTERM, when the engine handles them */
	sigset_t old_mask;
	Prefetch prefetch;
} Build;

struct RuleCtx {
	Build *b;
	Node *node;
	const Rule *rule;
	void *state;
	Arena arena;
	uint32_t serial;
	/* needs recorded this run, as trace deps, and where each group ends */
	unsigned char *needs;
	size_t nneeds, capneeds;      /* in deps */
	uint32_t *group_end;
	size_t ngroups, capgroups;
	uint32_t *waiting;            /* asked for but unfinished, in this call */
	size_t nwaiting, capwaiting;
	Node *dep_failed;
	Node *dep_unknown;
	/* work handed to a pool, or a child process to start */
	PoolItem item;
	void (*work)(void *arg);
	void *work_arg;
	PoolId pool;
	const ProcSpec *spawn;
	const SpawnHooks *hooks;
	ProcResult proc;
	char *spawn_error;
	bool announced;               /* set in the pool thread */
	const char *kind_name;
	bool worked;                  /* some of its work ran in a pool */
	char *detail;
	/* result */
	Digest value;
	bool has_value;
	const void *data;
	size_t data_len;
	bool has_data;
	Buf outputs;
	uint32_t noutputs;
	bool is_volatile;
	bool reuse;                   /* finish with the earlier result rule_reuse found */
	IngestJob *ingest;            /* outputs not in the CAS yet */
	char *fail_msg;
	int fail_code;
};

typedef struct RestoreFile {
	char *path;
	Sha256 sha;
	unsigned mode;
	uint32_t file;
	Digest digest;
	FileStat st;
} RestoreFile;

typedef struct RestoreJob {
	PoolItem item;
	Build *b;
	Node *node;
	RestoreFile *files;
	size_t nfiles;
	Err err;
	int rc;
} RestoreJob;

static void run_rule(Build *b, Node *n);
static void ingest_free(IngestJob *ij);
static void resume(Build *b, Job *j);
static void check(Build *b, Node *n);

/* ---- small helpers ------------------------------------------------------------------ */

static int64_t
since_start(Build *b)
{
	return fs_monotonic_us() - b->t0;
}

static const Rule *
rule_of(Build *b, Node *n)
{
	return b->eng->kinds[n->kind].rule;
}

static const char *
name_of(Build *b, Node *n)
{
	return graph_node_name(b->eng, n, &b->scratch);
}

static void
push_work(Build *b, Node *n)
{
	xgrow(&b->work, &b->capwork, b->nwork + 1, sizeof(*b->work));
	b->work[b->nwork++] = n->id;
}

static void
touch(Build *b, Node *n)
{
	xgrow(&b->touched, &b->captouched, b->ntouched + 1, sizeof(*b->touched));
	b->touched[b->ntouched++] = n->id;
}

static bool
finished(const Node *n)
{
	return n->state == NS_DONE || n->state == NS_FAILED;
}

static void
add_waiter(Node *dep, Node *waiter)
{
	if (dep->nwaiters == dep->capwaiters) {
		size_t cap = dep->capwaiters;

		xgrow(&dep->waiters, &cap, (size_t)dep->nwaiters + 1, sizeof(uint32_t));
		dep->capwaiters = (uint32_t)cap;
	}
	dep->waiters[dep->nwaiters++] = waiter->id;
	waiter->pending++;
}

/* A finished node releases the nodes that waited for it. */
static void
wake(Build *b, Node *n)
{
	uint32_t i;

	for (i = 0; i < n->nwaiters; i++) {
		Node *w = b->eng->nodes[n->waiters[i]];

		if (w->pending && --w->pending == 0)
			push_work(b, w);
	}
	n->nwaiters = 0;
}

static Reason *
set_reason(Build *b, Node *n, ReasonKind kind, Node *dep)
{
	Reason *r = arena_zalloc(&b->arena, sizeof(*r));

	r->kind = kind;
	r->dep = dep ? dep->id : 0;
	if (!n->reason)
		n->reason = r;   /* the first reason is the one that explains */
	return r;
}

/* ---- finishing ----------------------------------------------------------------------- */

static void
report_finished(Build *b, Node *n, const char *error)
{
	if (b->explain || !b->eng->hooks.finished)
		return;
	b->eng->hooks.finished(b->eng->hooks.ctx, graph_kind_name(b->eng, n), n->key,
			       (NodeResult)n->result, n->end_us - n->start_us, error);
}

/* Something went wrong that the build works around. */
static void
warn(Build *b, const char *fmt, ...)
{
	va_list ap;
	Buf msg = { 0 };

	if (!b->eng->hooks.warning)
		return;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	b->eng->hooks.warning(b->eng->hooks.ctx, msg.data);
	buf_free(&msg);
}

static void
job_free(Job *j)
{
	if (!j)
		return;
	if (j->state && j->rule->free_state)
		j->rule->free_state(j->state);
	arena_free(&j->arena);
	free(j->needs);
	free(j->group_end);
	free(j->waiting);
	buf_free(&j->outputs);
	if (j->ingest)
		ingest_free(j->ingest);
	free(j->spawn_error);
	free(j->fail_msg);
	free(j->detail);
	free(j);
}

static void
end_node(Build *b, Node *n, NodeState state, NodeResult result, const char *error)
{
	n->state = (uint8_t)state;
	n->result = (uint8_t)result;
	n->end_us = since_start(b);
	if (!n->start_us)
		n->start_us = n->end_us;
	/* error may point into the job */
	report_finished(b, n, error);
	if (n->job) {
		job_free(n->job);
		n->job = NULL;
	}
	wake(b, n);
}

static void
add_failure(Build *b, Node *n, int code, const char *msg)
{
	BuildReport *r = b->report;
	BuildFailure *f;

	r->failures = xrealloc(r->failures, (r->nfailures + 1) * sizeof(*r->failures));
	f = &r->failures[r->nfailures++];
	f->node = xstrdup(name_of(b, n));
	f->message = xstrdup(msg);
	f->code = code ? code : 1;
	if (!r->exit_code)
		r->exit_code = f->code;
}

/* Keep the last good result of n among its earlier results before it is replaced. */
static void
keep_in_history(Build *b, Node *n)
{
	Digest th;

	if (b->explain || !(n->status & NODE_OK) || !n->trace)
		return;
	if ((n->status & NODE_HAS_DATA) && graph_load_data(b->eng, n, NULL) != 0)
		return;
	th = graph_trace_hash(n->trace, n->trace_len);
	graph_add_history(b->eng, n, &th);
}

static void
fail_node(Build *b, Node *n, int code, const char *msg)
{
	if (!b->explain) {
		keep_in_history(b, n);
		n->status = (n->status & ~(uint32_t)(NODE_OK | NODE_HAS_DATA)) | NODE_FAILED;
		n->trace = NULL;
		n->trace_len = 0;
		n->outputs = NULL;
		n->outputs_len = 0;
		n->data = NULL;
		n->data_len = 0;
		graph_mark_dirty(b->eng, n);
	}
	add_failure(b, n, code, msg);
	if (!b->eng->keep_going)
		b->stop = true;
	end_node(b, n, NS_FAILED, NR_FAILED, msg);
}

/* Not run, because of a failure elsewhere or because the build is stopping. */
static void
skip_node(Build *b, Node *n, const char *why)
{
	end_node(b, n, NS_FAILED, NR_SKIPPED, why);
}

/* ---- leaves: nodes computed on the spot ----------------------------------------------- */

static Job *
job_new(Build *b, Node *n)
{
	Job *j = xcalloc(1, sizeof(*j));

	j->b = b;
	j->node = n;
	j->rule = rule_of(b, n);
	j->serial = ++b->eng->serial;
	return j;
}

static void
apply_value(Build *b, Node *n, Job *j, bool persist_data)
{
	if (j->has_data)
		graph_set_data(b->eng, n, j->data, j->data_len, persist_data);
	if (j->has_value)
		n->value = j->value;
	else if (j->has_data)
		n->value = hash_bytes(j->data, j->data_len);
}

static void
eval_inline(Build *b, Node *n)
{
	Digest old = n->value;
	bool was_ok = n->status & NODE_OK;
	Job *j = job_new(b, n);
	RuleStatus s;

	n->state = NS_RUNNING;
	n->job = j;
	n->start_us = since_start(b);
	s = j->rule->run(j);
	if (s == RULE_FAIL) {
		fail_node(b, n, j->fail_code, j->fail_msg ? j->fail_msg : "failed");
		return;
	}
	if (s != RULE_DONE) {
		fail_node(b, n, 1, "an inline rule may not wait for anything");
		return;
	}
	/* An inline node recomputes every build, so its payload is not persisted. */
	apply_value(b, n, j, false);
	if (!was_ok || !digest_eq(&old, &n->value) || n->rule_version != j->rule->version) {
		n->status = (n->status & ~(uint32_t)NODE_FAILED) | NODE_OK;
		n->rule_version = j->rule->version;
		graph_mark_dirty(b->eng, n);
		end_node(b, n, NS_DONE, NR_RAN, NULL);
	} else {
		end_node(b, n, NS_DONE, NR_CLEAN, NULL);
	}
}

/* Is dep finished? If not, waiter is woken when it is (waiter may be NULL for goals). */
static bool
await_node(Build *b, Node *dep, Node *waiter)
{
	if (finished(dep))
		return true;
	if (dep->state == NS_NEW) {
		const Rule *r = rule_of(b, dep);

		touch(b, dep);
		if (r && (r->flags & RULE_INLINE) && !b->stop) {
			eval_inline(b, dep);
			return true;
		}
		dep->state = NS_QUEUED;
		push_work(b, dep);
	}
	if (waiter)
		add_waiter(dep, waiter);
	return false;
}

/* ---- out of date: history, then the rule ---------------------------------------------- */

static void
out_of_date(Build *b, Node *n)
{
	const Rule *r = rule_of(b, n);

	if (b->explain && !(r->flags & RULE_PURE)) {
		end_node(b, n, NS_DONE, NR_WOULD_RUN, NULL);
		return;
	}
	if (b->stop) {
		skip_node(b, n, "the build stopped");
		return;
	}
	run_rule(b, n);
}

static int
load_candidate(void *ctx, const StoreHistory *h)
{
	void **args = ctx;
	Build *b = args[0];
	Node *n = args[1];
	Candidate *c;

	if (h->rule_version != rule_of(b, n)->version ||
	    !graph_trace_valid(b->eng, h->trace, (uint32_t)h->trace_len) ||
	    (h->outputs_len && !graph_outputs_valid(b->eng, h->outputs, (uint32_t)h->outputs_len)))
		return 0;
	n->cands = xrealloc(n->cands, (n->ncands + 1) * sizeof(*n->cands));
	c = &n->cands[n->ncands++];
	memset(c, 0, sizeof(*c));
	/* History rows are copied into the build's arena: they live until the build ends,
	 * or longer when adopted (then they are copied into the engine's arena). */
	if (h->trace_len) {
		c->trace = arena_alloc(&b->arena, h->trace_len);
		memcpy((void *)c->trace, h->trace, h->trace_len);
		c->trace_len = (uint32_t)h->trace_len;
	}
	if (h->outputs_len) {
		c->outputs = arena_alloc(&b->arena, h->outputs_len);
		memcpy((void *)c->outputs, h->outputs, h->outputs_len);
		c->outputs_len = (uint32_t)h->outputs_len;
	}
	if (h->data) {
		c->data = h->data_len ? memcpy(arena_alloc(&b->arena, h->data_len), h->data,
					       h->data_len) : "";
		c->data_len = h->data_len;
		c->has_data = true;
	}
	memcpy(c->value.b, h->value, 16);
	memcpy(c->trace_hash.b, h->trace_hash, 16);
	return 0;
}

/* The trace being checked failed: move on to the next earlier result, or run. */
static void
next_candidate(Build *b, Node *n)
{
	const Rule *r = rule_of(b, n);
	Candidate *c;

	if (!n->cands_loaded) {
		n->cands_loaded = true;
		/* Only a node that once succeeded can have earlier results: one that was
		 * never built (neither OK nor FAILED) needs no query. */
		if (!(r->flags & RULE_VOLATILE) && !(n->status & NODE_VOLATILE) &&
		    (n->status & (NODE_OK | NODE_FAILED))) {
			void *args[2] = { b, n };
			Err err;

			if (store_history_load(b->eng->store, n->id, load_candidate, args, &err) != 0)
				n->ncands = 0;   /* history is an optimisation: run instead */
		}
		n->cand = 0;
	} else {
		n->cand++;
	}
	for (; n->cand < n->ncands; n->cand++) {
		c = &n->cands[n->cand];
		/* The current trace was already tried. */
		if (n->trace && c->trace_len == n->trace_len &&
		    !memcmp(c->trace, n->trace, n->trace_len))
			continue;
		if (!c->trace)
			continue;
		n->state = NS_CHECKING;
		n->group_pos = 4;
		n->group_requested = false;
		push_work(b, n);
		return;
	}
	out_of_date(b, n);
}

static const Candidate *
current_candidate(Node *n)
{
	return n->cands_loaded && n->cand < n->ncands ? &n->cands[n->cand] : NULL;
}

static void
trace_of(Node *n, const unsigned char **t, uint32_t *len)
{
	const Candidate *c = current_candidate(n);

	*t = c ? c->trace : n->trace;
	*len = c ? c->trace_len : n->trace_len;
}

/* ---- outputs: verify, restore -------------------------------------------------------- */

static void
restore_work(void *arg)
{
	RestoreJob *rj = arg;
	Cas *cas = &rj->b->eng->cas;
	size_t i;

	for (i = 0; i < rj->nfiles && rj->rc == 0; i++) {
		RestoreFile *f = &rj->files[i];

		rj->rc = cas_restore(cas, &f->sha, f->path, f->mode, &rj->err);
		if (rj->rc == 0 && fs_stat(f->path, &f->st, &rj->err) != 0)
			rj->rc = -1;
	}
}

static void
ingest_work(void *arg)
{
	IngestJob *ij = arg;
	size_t i;
	Err err;

	for (i = 0; i < ij->n; i++)
		cas_put_file(ij->cas, ij->paths[i], &ij->shas[i], &err);
}

static void
ingest_free(IngestJob *ij)
{
	size_t i;

	for (i = 0; i < ij->n; i++)
		free(ij->paths[i]);
	free(ij->paths);
	free(ij->shas);
	free(ij);
}

static void
restore_free(RestoreJob *rj)
{
	size_t i;

	for (i = 0; i < rj->nfiles; i++)
		free(rj->files[i].path);
	free(rj->files);
	free(rj);
}

static void
submit(Build *b, PoolId pool, PoolItem *item);

/* Make the node's result the candidate's: its trace, value, payload and outputs. */
static void
adopt_candidate(Build *b, Node *n, const Candidate *c)
{
	Engine *eng = b->eng;

	keep_in_history(b, n);
	graph_set_trace(eng, n, c->trace, c->trace_len);
	graph_set_outputs(eng, n, c->outputs, c->outputs_len);
	n->value = c->value;
	if (c->has_data)
		graph_set_data(eng, n, c->data, c->data_len, true);
	else
		graph_set_data(eng, n, NULL, 0, true);
	n->status = (n->status & ~(uint32_t)NODE_FAILED) | NODE_OK;
	n->rule_version = rule_of(b, n)->version;
	graph_mark_dirty(eng, n);
	/* Re-adding the row refreshes its age, so results in use are not pruned. */
	graph_add_history(eng, n, &c->trace_hash);
}

static void
verify_outputs(Build *b, Node *n)
{
	const Candidate *c = current_candidate(n);
	const unsigned char *o = c ? c->outputs : n->outputs;
	uint32_t count = o ? blob_u32(o) : 0, i;
	RestoreJob *rj = NULL;
	bool restorable = false;

	for (i = 0; i < count; i++) {
		const unsigned char *rec = o + 4 + i * OUTPUT_SIZE;
		Node *f = graph_node(b->eng, blob_u32(rec));
		Digest want;
		Sha256 sha;
		RestoreFile *rf;

		memcpy(want.b, rec + 4, 16);
		if (!f)
			continue;
		await_node(b, f, NULL);   /* file nodes are inline: finished on return */
		if (f->state == NS_DONE && digest_eq(&f->value, &want))
			continue;
		memcpy(sha.b, rec + 20, 32);
		{
			Digest missing = eng_file_missing_digest();
			Reason *r = set_reason(b, n, digest_eq(&f->value, &missing) ?
					       WHY_OUTPUT_MISSING : WHY_OUTPUT_MODIFIED, f);

			r->old_digest = want;
			r->new_digest = f->value;
		}
		if (!cas_has(&b->eng->cas, &sha)) {
			/* Not restorable: this result is no good. */
			if (rj)
				restore_free(rj);
			next_candidate(b, n);
			return;
		}
		if (b->explain) {
			/* it would be restored: dependents see the recorded value (only in
			 * memory: an explaining engine writes nothing) */
			f->value = want;
			restorable = true;
			continue;
		}
		if (!rj) {
			rj = xcalloc(1, sizeof(*rj));
			rj->b = b;
			rj->node = n;
		}
		rj->files = xrealloc(rj->files, (rj->nfiles + 1) * sizeof(*rj->files));
		rf = &rj->files[rj->nfiles++];
		memset(rf, 0, sizeof(*rf));
		rf->path = xstrdup(fs_path_is_abs(f->key) ? f->key :
				   fs_path_join(&b->arena, b->eng->root, f->key));
		rf->sha = sha;
		rf->mode = blob_u32(rec + 52);
		rf->file = f->id;
		rf->digest = want;
	}
	if (b->explain && (c || restorable)) {
		/* would be restored; the value is what dependents will compare */
		if (c)
			n->value = c->value;
		end_node(b, n, NS_DONE, NR_RESTORED, NULL);
		return;
	}
	if (c)
		adopt_candidate(b, n, c);
	if (!rj) {
		end_node(b, n, NS_DONE, c ? NR_RESTORED : NR_CLEAN, NULL);
		return;
	}
	n->state = NS_RESTORING;
	n->start_us = since_start(b);
	rj->item.work = restore_work;
	rj->item.arg = rj;
	rj->item.owner = rj;
	rj->item.tag = TAG_RESTORE;
	submit(b, POOL_CPU, &rj->item);
}

static void
restore_done(Build *b, RestoreJob *rj)
{
	Node *n = rj->node;
	size_t i;

	for (i = 0; i < rj->nfiles && rj->rc == 0; i++) {
		RestoreFile *f = &rj->files[i];

		leaf_set_file_state(b->eng, graph_node(b->eng, f->file), &f->st, &f->digest);
	}
	n->lane = rj->item.lane;
	n->start_us = rj->item.start_us - b->t0;
	if (rj->rc != 0) {
		/* A damaged or vanished blob: run the rule instead, and do not let it find
		 * the same earlier result again. */
		warn(b, "could not restore the outputs of %s (%s); running it", name_of(b, n),
		     rj->err.msg);
		restore_free(rj);
		n->no_reuse = true;
		n->cands_loaded = true;
		n->cand = n->ncands;
		out_of_date(b, n);
		return;
	}
	restore_free(rj);
	end_node(b, n, NS_DONE, NR_RESTORED, NULL);
}

/* ---- checking a trace ---------------------------------------------------------------- */

static void
start(Build *b, Node *n)
{
	const Rule *r = rule_of(b, n);
	Reason *why;

	if (!r) {
		fail_node(b, n, 1, "no rule builds nodes of this kind in this version of bunpy");
		return;
	}
	if (b->stop) {
		skip_node(b, n, "the build stopped");
		return;
	}
	if (r->flags & RULE_INLINE) {
		eval_inline(b, n);
		return;
	}
	if ((r->flags & RULE_VOLATILE) || (n->status & NODE_VOLATILE)) {
		set_reason(b, n, WHY_VOLATILE, NULL);
		out_of_date(b, n);
		return;
	}
	if (!(n->status & NODE_OK) || !n->trace) {
		set_reason(b, n, n->status & NODE_FAILED ? WHY_FAILED_BEFORE : WHY_NEVER_BUILT, NULL);
		next_candidate(b, n);
		return;
	}
	if (n->rule_version != r->version) {
		why = set_reason(b, n, WHY_RULE_VERSION, NULL);
		why->old_version = n->rule_version;
		why->new_version = r->version;
		next_candidate(b, n);
		return;
	}
	n->state = NS_CHECKING;
	n->group_pos = 4;
	n->group_requested = false;
	check(b, n);
}

/* Candidates from history may only ask for deps that are safe to build speculatively. */
static bool
speculative_ok(Build *b, Node *dep)
{
	const Rule *r = rule_of(b, dep);

	return finished(dep) || (r && (r->flags & (RULE_PURE | RULE_INLINE)));
}

static void
check(Build *b, Node *n)
{
	const unsigned char *t;
	uint32_t len;
	bool speculative = current_candidate(n) != NULL;

	trace_of(n, &t, &len);
	while (n->group_pos + 4 <= len) {
		const unsigned char *g = t + n->group_pos;
		uint32_t count = blob_u32(g), i;

		if (!n->group_requested) {
			n->group_requested = true;
			for (i = 0; i < count; i++) {
				Node *d = graph_node(b->eng, blob_u32(g + 4 + i * TRACE_DEP_SIZE));

				if (speculative && !speculative_ok(b, d)) {
					next_candidate(b, n);
					return;
				}
				await_node(b, d, n);
			}
			if (n->pending)
				return;
		}
		for (i = 0; i < count; i++) {
			const unsigned char *rec = g + 4 + i * TRACE_DEP_SIZE;
			Node *d = graph_node(b->eng, blob_u32(rec));
			Digest was;

			memcpy(was.b, rec + 4, 16);
			if (d->state == NS_FAILED) {
				if (!speculative)
					set_reason(b, n, WHY_DEP_FAILED, d);
				next_candidate(b, n);
				return;
			}
			if (d->result == NR_WOULD_RUN) {
				if (!speculative)
					set_reason(b, n, WHY_DEP_WOULD_RUN, d);
				next_candidate(b, n);
				return;
			}
			if (!digest_eq(&d->value, &was)) {
				if (!speculative) {
					Reason *r = set_reason(b, n, WHY_DEP_CHANGED, d);

					r->old_digest = was;
					r->new_digest = d->value;
				}
				next_candidate(b, n);
				return;
			}
		}
		n->group_pos += 4 + count * TRACE_DEP_SIZE;
		n->group_requested = false;
	}
	verify_outputs(b, n);
}

/* ---- running rules ------------------------------------------------------------------- */

/* Longest path from each node to the end of the graph, through last durations: the
 * order in which ready work starts (critical path first). */
static void
compute_priorities(Build *b)
{
	Engine *eng = b->eng;
	typedef struct Frame {
		uint32_t node;
		TraceIter it;
	} Frame;
	Frame *stack = xmalloc((size_t)eng->limit * sizeof(*stack) + sizeof(*stack));
	uint32_t *order = xmalloc((size_t)eng->limit * sizeof(*order) + sizeof(*order));
	uint64_t *best = xcalloc(eng->limit, sizeof(*best));
	uint8_t *seen = xcalloc(eng->limit, 1);
	uint32_t norder = 0, id, d;

	/* Iterative depth-first post-order over trace edges: deps before dependents. */
	for (id = 1; id < eng->limit; id++) {
		size_t sp = 0;

		if (!eng->nodes[id] || seen[id])
			continue;
		seen[id] = 1;
		stack[sp].node = id;
		trace_iter_init(&stack[sp++].it, eng->nodes[id]->trace, eng->nodes[id]->trace_len);
		while (sp) {
			Frame *f = &stack[sp - 1];

			while ((d = trace_iter_next(&f->it, NULL)) != 0 && (!graph_node(eng, d) || seen[d]))
				;
			if (d) {
				seen[d] = 1;
				stack[sp].node = d;
				trace_iter_init(&stack[sp++].it, eng->nodes[d]->trace, eng->nodes[d]->trace_len);
			} else {
				order[norder++] = f->node;
				sp--;
			}
		}
	}
	/* Dependents come after their deps in order: walk it backwards. */
	while (norder) {
		Node *n = eng->nodes[order[--norder]];
		uint64_t mine = best[n->id] + (uint64_t)(n->duration_us > 0 ? n->duration_us : 0);
		TraceIter it;

		n->priority = mine;
		trace_iter_init(&it, n->trace, n->trace_len);
		while ((d = trace_iter_next(&it, NULL)) != 0)
			if (d < eng->limit && best[d] < mine)
				best[d] = mine;
	}
	free(order);
	free(stack);
	free(best);
	free(seen);
	b->priorities_ready = true;
}

static void
submit(Build *b, PoolId pool, PoolItem *item)
{
	if (!b->priorities_ready)
		compute_priorities(b);
	if (item->tag == TAG_RULE || item->tag == TAG_SPAWN)
		item->priority = ((Job *)item->owner)->node->priority;
	else if (item->tag == TAG_RESTORE)
		item->priority = ((RestoreJob *)item->owner)->node->priority;
	else
		item->priority = 0;   /* caching copies wait for real work */
	if (item->tag != TAG_INGEST)
		prefetch_forget(&b->prefetch);   /* this work may write files */
	b->inflight++;
	pools_submit(b->pools, pool, item);
}

static void
run_rule(Build *b, Node *n)
{
	/* a job that ended in a failed restore */
	job_free(n->job);
	n->state = NS_RUNNING;
	n->start_us = since_start(b);
	n->job = job_new(b, n);
	resume(b, n->job);
}

static void
close_group(Job *j)
{
	size_t start = j->ngroups ? j->group_end[j->ngroups - 1] : 0;

	if (j->nneeds == start)
		return;
	xgrow(&j->group_end, &j->capgroups, j->ngroups + 1, sizeof(*j->group_end));
	j->group_end[j->ngroups++] = (uint32_t)j->nneeds;
}

/* The job's trace so far, packed, with repeated needs dropped. Needs after the last
 * closed group count as one more group, but the job's groups are left as they are:
 * the rule may go on asking. */
static void
pack_trace(Build *b, Job *j, Buf *out)
{
	size_t g, start = 0, i;
	uint32_t ngroups = 0;
	uint32_t mark = ++b->eng->serial;
	bool open_group = j->nneeds > (j->ngroups ? j->group_end[j->ngroups - 1] : 0);

	buf_put_u32(out, 0);
	for (g = 0; g < j->ngroups + open_group; g++) {
		size_t count_at = out->len, end = g < j->ngroups ? j->group_end[g] : j->nneeds;
		uint32_t count = 0;

		buf_put_u32(out, 0);
		for (i = start; i < end; i++) {
			const unsigned char *rec = j->needs + i * TRACE_DEP_SIZE;
			Node *d = b->eng->nodes[blob_u32(rec)];

			if (d->mark == mark)
				continue;
			d->mark = mark;
			buf_append(out, rec, TRACE_DEP_SIZE);
			count++;
		}
		start = end;
		if (!count) {
			out->len = count_at;
			continue;
		}
		blob_put_u32((unsigned char *)out->data + count_at, count);
		ngroups++;
	}
	blob_put_u32((unsigned char *)out->data, ngroups);
}

static void
finish_ran(Build *b, Job *j)
{
	Engine *eng = b->eng;
	Node *n = j->node;
	Buf trace = { 0 }, outputs = { 0 };
	bool same_trace;

	pack_trace(b, j, &trace);
	if (!j->has_value && !j->has_data) {
		j->value = hash_bytes(trace.data, trace.len);
		j->has_value = true;
	}
	same_trace = n->trace && n->trace_len == trace.len && !memcmp(n->trace, trace.data, trace.len);
	if (!same_trace)
		keep_in_history(b, n);
	graph_set_trace(eng, n, trace.data, trace.len);
	if (j->noutputs) {
		buf_put_u32(&outputs, j->noutputs);
		buf_append(&outputs, j->outputs.data, j->outputs.len);
	}
	graph_set_outputs(eng, n, outputs.data, outputs.len);
	if (!j->has_data && (n->status & NODE_HAS_DATA))
		graph_set_data(eng, n, NULL, 0, true);
	apply_value(b, n, j, !j->is_volatile && !(j->rule->flags & RULE_VOLATILE));
	n->status = NODE_OK | (n->status & NODE_HAS_DATA) | (j->is_volatile ? NODE_VOLATILE : 0);
	n->rule_version = j->rule->version;
	n->duration_us = since_start(b) - n->start_us;
	graph_mark_dirty(eng, n);
	buf_free(&trace);
	buf_free(&outputs);
	if (j->ingest) {
		IngestJob *ij = j->ingest;

		j->ingest = NULL;
		ij->item.work = ingest_work;
		ij->item.arg = ij;
		ij->item.owner = ij;
		ij->item.tag = TAG_INGEST;
		submit(b, POOL_CPU, &ij->item);
	}
	end_node(b, n, NS_DONE, NR_RAN, NULL);
}

/* In a pool thread, once the node's own work really starts (not when it is queued
 * for a slot): the hook only prints. */
static void
announce(Job *j)
{
	const EngineHooks *h = &j->b->eng->hooks;

	if (!j->announced && h->started && !j->b->explain) {
		j->announced = true;
		h->started(h->ctx, j->kind_name, j->node->key, j->detail);
	}
}

static void
rule_work(void *arg)
{
	Job *j = arg;

	announce(j);
	j->work(j->work_arg);
}

/* In a process slot: run the child the rule asked for. */
static void
spawn_work(void *arg)
{
	Job *j = arg;
	Err err;

	announce(j);
	if (j->hooks && j->hooks->before && j->hooks->before(j->hooks->arg, &err) != 0) {
		j->spawn_error = xstrdup(err.msg);
		j->proc.exit_code = 1;
	} else if (proc_run(j->spawn, &j->proc, &err) != 0)
		j->spawn_error = xstrdup(err.msg);
	else if (j->proc.exit_code == 0 && j->hooks && j->hooks->after)
		j->hooks->after(j->hooks->arg);
	/* seen by the pool, which stops at once instead of starting its look-ahead */
	j->item.failed = j->spawn_error || j->proc.exit_code != 0;
}

static void
resume(Build *b, Job *j)
{
	Node *n = j->node;
	RuleStatus s;

	j->nwaiting = 0;
	j->dep_failed = NULL;
	j->dep_unknown = NULL;
	j->work = NULL;
	j->spawn = NULL;
	/* The node's own work starts with the last call before it finishes or hands work
	 * to a pool, not with the first one (which may only wait for its deps). */
	if (!j->worked)
		n->start_us = since_start(b);
	s = j->rule->run(j);
	if (j->dep_failed) {
		Buf msg = { 0 };

		buf_printf(&msg, "dependency %s failed", name_of(b, j->dep_failed));
		/* Nothing of n ran: it is skipped and keeps its persisted state. With
		 * pending at 0, needs still out will not wake it when they finish. */
		n->pending = 0;
		skip_node(b, n, msg.data);
		buf_free(&msg);
		return;
	}
	if (j->dep_unknown) {
		set_reason(b, n, WHY_DEP_WOULD_RUN, j->dep_unknown);
		n->pending = 0;
		end_node(b, n, NS_DONE, NR_WOULD_RUN, NULL);
		return;
	}
	switch (s) {
	case RULE_DONE:
		if (n->pending || j->work || j->spawn) {
			fail_node(b, n, 1, "internal error: rule finished while still waiting");
			return;
		}
		if (j->reuse) {
			/* the candidate rule_reuse loaded: adopt it and restore its outputs */
			verify_outputs(b, n);
			return;
		}
		finish_ran(b, j);
		return;
	case RULE_FAIL:
		n->pending = 0;
		fail_node(b, n, j->fail_code, j->fail_msg ? j->fail_msg : "failed");
		return;
	case RULE_SUSPEND:
		close_group(j);
		if ((j->work || j->spawn) && n->pending) {
			fail_node(b, n, 1, "internal error: rule offloaded work while waiting for nodes");
			return;
		}
		if (j->work || j->spawn) {
			if (b->stop) {
				skip_node(b, n, "the build stopped");
				return;
			}
			j->kind_name = graph_kind_name(b->eng, n);
			j->item.work = j->spawn ? spawn_work : rule_work;
			j->item.arg = j;
			j->item.owner = j;
			j->item.tag = j->spawn ? TAG_SPAWN : TAG_RULE;
			submit(b, j->spawn ? POOL_PROC : j->pool, &j->item);
			return;
		}
		if (!n->pending)
			fail_node(b, n, 1, "internal error: rule suspended without waiting for anything");
		return;
	}
}

/* ---- cycles -------------------------------------------------------------------------- */

/* The unfinished nodes n waits for. */
static size_t
waits_for(Build *b, Node *n, uint32_t **out)
{
	const unsigned char *t;
	uint32_t len, count, i;
	size_t k = 0;

	*out = NULL;
	if (n->state == NS_RUNNING && n->job) {
		*out = xmalloc((n->job->nwaiting + 1) * sizeof(**out));
		for (i = 0; i < n->job->nwaiting; i++)
			if (!finished(b->eng->nodes[n->job->waiting[i]]))
				(*out)[k++] = n->job->waiting[i];
		return k;
	}
	if (n->state != NS_CHECKING)
		return 0;
	trace_of(n, &t, &len);
	if (n->group_pos + 4 > len)
		return 0;
	count = blob_u32(t + n->group_pos);
	*out = xmalloc((count + 1) * sizeof(**out));
	for (i = 0; i < count; i++) {
		uint32_t d = blob_u32(t + n->group_pos + 4 + i * TRACE_DEP_SIZE);

		if (!finished(b->eng->nodes[d]))
			(*out)[k++] = d;
	}
	return k;
}

/* Nothing runs and nothing is ready, yet some nodes wait: they wait on each other.
 * Find one cycle, fail its members with the cycle spelled out, and let the rest drain. */
static void
break_cycle(Build *b)
{
	Engine *eng = b->eng;
	uint8_t *color = xcalloc(eng->limit, 1);   /* 0 new, 1 on path, 2 done */
	uint32_t *path = xmalloc(eng->limit * sizeof(*path));
	size_t *next = xcalloc(eng->limit, sizeof(*next));
	size_t t, plen;
	bool found = false;

	for (t = 0; t < b->ntouched && !found; t++) {
		uint32_t root = b->touched[t];

		if (finished(eng->nodes[root]) || color[root])
			continue;
		plen = 0;
		path[plen++] = root;
		color[root] = 1;
		while (plen && !found) {
			uint32_t cur = path[plen - 1], *deps;
			size_t nd = waits_for(b, eng->nodes[cur], &deps);

			if (next[cur] < nd) {
				uint32_t d = deps[next[cur]++];

				if (color[d] == 1) {
					/* path from d to cur, then back to d, is the cycle */
					Buf msg = { 0 }, name = { 0 };
					size_t i = 0, from;

					while (path[i] != d)
						i++;
					from = i;
					buf_puts(&msg, "dependency cycle: ");
					for (; i < plen; i++)
						buf_printf(&msg, "%s -> ",
							   graph_node_name(eng, eng->nodes[path[i]], &name));
					buf_puts(&msg, graph_node_name(eng, eng->nodes[d], &name));
					for (i = from; i < plen; i++) {
						Node *m = eng->nodes[path[i]];

						m->pending = 0;
						add_failure(b, m, 1, msg.data);
					}
					/* end them only after naming them all */
					for (i = from; i < plen; i++)
						end_node(b, eng->nodes[path[i]], NS_FAILED, NR_FAILED, msg.data);
					if (!eng->keep_going)
						b->stop = true;
					buf_free(&msg);
					buf_free(&name);
					found = true;
				} else if (color[d] == 0) {
					color[d] = 1;
					path[plen++] = d;
				}
			} else {
				color[cur] = 2;
				plen--;
			}
			free(deps);
		}
	}
	if (!found) {
		/* Waiting without a cycle would be an engine bug; never hang on it. */
		for (t = 0; t < b->ntouched; t++) {
			Node *n = eng->nodes[b->touched[t]];

			if (!finished(n)) {
				n->pending = 0;
				fail_node(b, n, 1, "internal error: node waits for nothing");
			}
		}
	}
	free(color);
	free(path);
	free(next);
}

/* ---- the loop ------------------------------------------------------------------------ */

static void
step(Build *b, Node *n)
{
	switch (n->state) {
	case NS_QUEUED:
		start(b, n);
		break;
	case NS_CHECKING:
		if (!n->pending)
			check(b, n);
		break;
	case NS_RUNNING:
		if (!n->pending && n->job && !n->job->work && !n->job->spawn)
			resume(b, n->job);
		break;
	default:
		break;
	}
}

static void
collect(Build *b, PoolItem *it)
{
	b->inflight--;
	if (it->tag == TAG_INGEST) {
		ingest_free(it->owner);
		return;
	}
	if (it->tag == TAG_RESTORE) {
		restore_done(b, it->owner);
		return;
	}
	{
		Job *j = it->owner;
		Node *n = j->node;

		n->lane = it->lane;
		if (!j->worked)
			n->start_us = it->start_us - b->t0;
		j->worked = true;
		j->work = NULL;
		j->spawn = NULL;
		resume(b, j);
	}
}

static void
cancel(Build *b, PoolItem *it)
{
	Node *n;

	b->inflight--;
	if (it->tag == TAG_INGEST) {
		/* a copy into the CAS that never started: the output stays uncached */
		ingest_free(it->owner);
		return;
	}
	if (it->tag == TAG_RESTORE) {
		RestoreJob *rj = it->owner;

		n = rj->node;
		restore_free(rj);
	} else {
		n = ((Job *)it->owner)->node;   /* TAG_RULE or TAG_SPAWN */
	}
	skip_node(b, n, "the build stopped");
}

static void
maybe_flush(Build *b, bool force)
{
	int64_t now = fs_monotonic_us();

	if (b->explain || b->fatal || b->eng->readonly)
		return;
	if (!force && now - b->last_flush < FLUSH_INTERVAL_US)
		return;
	b->last_flush = now;
	if (graph_flush(b->eng, b->err) != 0) {
		b->fatal = 1;
		b->stop = true;
	}
}

static void
read_signals(Build *b)
{
	struct signalfd_siginfo si;

	if (b->sigfd < 0)
		return;
	while (read(b->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		atomic_store(&b->eng->interrupted, 1);
}

/* Start whatever the pools have room for. */
static void
dispatch(Build *b)
{
	while (pools_dispatch(b->pools))
		;
}

/* Wait for a finished pool item or a signal, up to one slice. */
static void
wait_events(Build *b)
{
	struct pollfd fds[2] = {
		{ .fd = pools_fd(b->pools), .events = POLLIN },
		{ .fd = b->sigfd, .events = POLLIN },
	};
	PoolItem *it;

	if (poll(fds, b->sigfd >= 0 ? 2 : 1, WAIT_SLICE_MS) > 0) {
		if (b->sigfd >= 0 && (fds[1].revents & POLLIN))
			read_signals(b);
		while ((it = pools_done(b->pools)) != NULL)
			collect(b, it);
	}
	if (b->eng->hooks.tick && !b->explain)
		b->eng->hooks.tick(b->eng->hooks.ctx);
}

static bool
goals_finished(Build *b)
{
	size_t i;

	for (i = 0; i < b->ngoals; i++)
		if (!finished(b->eng->nodes[b->goal_ids[i]]))
			return false;
	return true;
}

static void
loop(Build *b)
{
	Engine *eng = b->eng;

	for (;;) {
		while (b->workhead < b->nwork)
			step(b, eng->nodes[b->work[b->workhead++]]);
		b->workhead = b->nwork = 0;
		if (atomic_load(&eng->interrupted) && !b->stop) {
			b->stop = true;
			b->report->interrupted = true;
		}
		if (b->stop) {
			PoolItem *it;

			/* queued work that has not started will not start */
			pools_stop(b->pools);
			while ((it = pools_cancel(b->pools)) != NULL)
				cancel(b, it);
			if (b->workhead < b->nwork)
				continue;
		} else {
			/* Every goal is done: network work still waiting to start was asked for
			 * by rule_prefetch and nobody needs it now; it does not start (what
			 * runs finishes and is kept). Other pools are left alone: the CPU pool
			 * still copies outputs into the CAS. */
			if (b->inflight && goals_finished(b)) {
				PoolItem *it;

				while ((it = pools_cancel_waiting(b->pools, POOL_NET)) != NULL)
					cancel(b, it);
			}
			dispatch(b);
		}
		if (b->inflight) {
			wait_events(b);
			maybe_flush(b, false);
			continue;
		}
		{
			if (goals_finished(b))
				break;
			if (b->stop) {
				/* stopping: whatever still waits will not get what it waits for */
				size_t t;

				for (t = 0; t < b->ntouched; t++) {
					Node *n = eng->nodes[b->touched[t]];

					if (!finished(n)) {
						n->pending = 0;
						skip_node(b, n, "the build stopped");
					}
				}
				continue;
			}
			break_cycle(b);
		}
	}
}

static void
record_run(Build *b, int64_t started_wall)
{
	RunLog log = { 0 };
	StoreRun run = { 0 };
	size_t i;
	Err err;

	for (i = 0; i < b->ntouched; i++) {
		Node *n = b->eng->nodes[b->touched[i]];
		RunRecord r = {
			.node = n->id,
			.result = (NodeResult)n->result,
			.lane = n->lane,
			.start_us = n->start_us,
			.end_us = n->end_us,
		};

		if (n->result == NR_NONE)
			continue;
		runlog_append(&log, &r);
	}
	run.started_us = started_wall;
	run.ended_us = fs_now_us();
	run.command = b->eng->command;
	run.status = b->report->interrupted ? 130 : b->report->exit_code;   /* as a shell says */
	run.records = log.out.data;
	run.records_len = log.out.len;
	if (store_begin(b->eng->store, &err) == 0) {
		if (store_run_add(b->eng->store, &run, &err) == 0)
			store_commit(b->eng->store, &err);
		else
			store_rollback(b->eng->store);
	}
	buf_free(&log.out);
}

static void
reset_nodes(Build *b)
{
	size_t i;

	for (i = 0; i < b->ntouched; i++) {
		Node *n = b->eng->nodes[b->touched[i]];

		if (n->job) {
			job_free(n->job);
			n->job = NULL;
		}
		free(n->waiters);
		free(n->cands);
		n->waiters = NULL;
		n->nwaiters = n->capwaiters = 0;
		n->cands = NULL;
		n->ncands = n->cand = 0;
		n->cands_loaded = false;
		n->no_reuse = false;
		n->state = NS_NEW;
		n->result = NR_NONE;
		n->pending = 0;
		n->reason = NULL;
		n->start_us = n->end_us = 0;
		n->lane = 0;
		n->group_requested = false;
	}
}

static int
pool_depths(Engine *eng, int depth[POOL_COUNT])
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores < 1)
		cores = 1;
	depth[POOL_CPU] = eng->cpu_threads > 0 ? eng->cpu_threads : (int)cores;
	depth[POOL_PROC] = eng->jobs > 0 ? eng->jobs : (int)cores;
	depth[POOL_NET] = eng->net_slots > 0 ? eng->net_slots : 48;
	return 0;
}

/* Shared by eng_build and eng_explain. keep_reasons leaves the per-node state for the
 * caller to read; it must then call build_end. */
static int
build_begin(Build *b, Engine *eng, const NodeRef *goals, size_t ngoals, BuildReport *report,
	    bool explain, Err *err)
{
	int depth[POOL_COUNT];
	size_t i;

	memset(b, 0, sizeof(*b));
	memset(report, 0, sizeof(*report));
	b->eng = eng;
	b->report = report;
	b->err = err;
	b->explain = explain;
	b->t0 = fs_monotonic_us();
	b->last_flush = b->t0;
	b->goal_ids = xcalloc(ngoals ? ngoals : 1, sizeof(*b->goal_ids));
	for (i = 0; i < ngoals; i++) {
		uint16_t kind;

		if (graph_kind(eng, goals[i].kind, &kind, err) != 0) {
			free(b->goal_ids);
			return -1;
		}
		b->goal_ids[i] = graph_intern(eng, kind, goals[i].key)->id;
	}
	b->ngoals = ngoals;
	b->sigfd = -1;
	if (eng->handle_signals && !explain) {
		/* Blocked here, before the pool threads exist, so that they inherit the
		 * mask and the signals are read only from the descriptor. Children get a
		 * clean mask (proc.c) and the terminal's Ctrl-C reaches them directly. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, &b->old_mask);
		b->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	}
	pool_depths(eng, depth);
	{
		/* one item more per process slot, so that a slot never waits for the
		 * coordinator between two short commands */
		int lookahead[POOL_COUNT] = { [POOL_PROC] = depth[POOL_PROC] };

		b->pools = pools_new(depth, lookahead, !eng->keep_going);
	}
	atomic_store(&eng->interrupted, 0);
	eng->build = (struct Build *)b;
	return 0;
}

static void
build_run(Build *b)
{
	size_t i;

	if (!b->explain) {
		int depth[POOL_COUNT];

		pool_depths(b->eng, depth);
		prefetch_stats(b->eng, b->pools, depth[POOL_CPU], b->goal_ids, b->ngoals,
			       &b->prefetch);
	}
	for (i = 0; i < b->ngoals; i++) {
		Node *n = b->eng->nodes[b->goal_ids[i]];

		if (n->state == NS_NEW)
			await_node(b, n, NULL);
	}
	loop(b);
}

int
build_prefetched_stat(Engine *eng, const Node *n, FileStat *st)
{
	return eng->build ? prefetch_take(&eng->build->prefetch, n, st) : -1;
}

static void
build_end(Build *b)
{
	size_t i;

	for (i = 0; i < b->ntouched; i++) {
		Node *n = b->eng->nodes[b->touched[i]];

		b->report->counts[n->result]++;
	}
	pools_free(b->pools);
	prefetch_free(b->eng, &b->prefetch);
	if (b->sigfd >= 0) {
		close(b->sigfd);
		pthread_sigmask(SIG_SETMASK, &b->old_mask, NULL);
	}
	reset_nodes(b);
	b->eng->build = NULL;
	free(b->work);
	free(b->touched);
	free(b->goal_ids);
	buf_free(&b->scratch);
	arena_free(&b->arena);
}

int
eng_build(Engine *eng, const NodeRef *goals, size_t ngoals, BuildReport *report, Err *err)
{
	Build b;
	int64_t wall = fs_now_us();

	if (eng->readonly)
		return err_set(err, "internal error: building with a read-only engine");
	if (build_begin(&b, eng, goals, ngoals, report, false, err) != 0)
		return -1;
	build_run(&b);
	/* a signal that came after the last wait still counts, and the run says so */
	read_signals(&b);
	if (atomic_load(&eng->interrupted))
		report->interrupted = true;
	maybe_flush(&b, true);
	if (!b.fatal)
		record_run(&b, wall);
	if (!b.fatal) {
		Err serr;

		/* only a faster start is lost: the database has everything */
		if (graph_maybe_snapshot(eng, &serr) != 0)
			warn(&b, "could not write the graph snapshot: %s", serr.msg);
	}
	report->wall_us = fs_monotonic_us() - b.t0;
	build_end(&b);
	return b.fatal ? -1 : 0;
}

void
build_report_free(BuildReport *r)
{
	size_t i;

	for (i = 0; i < r->nfailures; i++) {
		free(r->failures[i].node);
		free(r->failures[i].message);
	}
	free(r->failures);
	r->failures = NULL;
	r->nfailures = 0;
}

void
eng_interrupt(Engine *eng)
{
	atomic_store(&eng->interrupted, 1);
}

/* ---- explaining ---------------------------------------------------------------------- */

static void
explain_digest(Buf *out, const Digest *d)
{
	char hex[DIGEST_HEX_LEN + 1];

	hash_hex(d->b, 8, hex);   /* half is plenty to tell two digests apart */
	buf_puts(out, hex);
}

static void
explain_node(Build *b, Node *n, Buf *out, int depth)
{
	Engine *eng = b->eng;
	Reason *r = n->reason;
	Node *dep = r && r->dep ? graph_node(eng, r->dep) : NULL;
	Buf name = { 0 };
	Digest missing = eng_file_missing_digest();

	buf_printf(out, "%*s%s would run: ", depth * 2, "", graph_node_name(eng, n, &name));
	if (!r) {
		buf_puts(out, "it is out of date\n");
		buf_free(&name);
		return;
	}
	switch (r->kind) {
	case WHY_NEVER_BUILT:
		buf_puts(out, "it was never built\n");
		break;
	case WHY_FAILED_BEFORE:
		buf_puts(out, "it failed last time\n");
		break;
	case WHY_VOLATILE:
		buf_puts(out, "it runs every time (it declares neither inputs nor outputs)\n");
		break;
	case WHY_RULE_VERSION:
		buf_printf(out, "the rule for '%s' changed (version %u -> %u)\n",
			   graph_kind_name(eng, n), r->old_version, r->new_version);
		break;
	case WHY_DEP_CHANGED:
		if (!strcmp(graph_kind_name(eng, dep), "file")) {
			buf_printf(out, "input file %s ", dep->key);
			if (digest_eq(&r->new_digest, &missing))
				buf_puts(out, "was deleted (old ");
			else if (digest_eq(&r->old_digest, &missing))
				buf_puts(out, "was created (old ");
			else
				buf_puts(out, "changed (old ");
		} else {
			buf_printf(out, "%s changed (old ", graph_node_name(eng, dep, &name));
		}
		explain_digest(out, &r->old_digest);
		buf_puts(out, ", new ");
		explain_digest(out, &r->new_digest);
		buf_puts(out, ")\n");
		break;
	case WHY_DEP_FAILED:
		buf_printf(out, "%s failed\n", graph_node_name(eng, dep, &name));
		break;
	case WHY_DEP_WOULD_RUN:
		buf_printf(out, "it depends on %s, which would run\n", graph_node_name(eng, dep, &name));
		if (depth < 64 && dep->reason)
			explain_node(b, dep, out, depth + 1);
		break;
	case WHY_OUTPUT_MISSING:
	case WHY_OUTPUT_MODIFIED:
		buf_printf(out, "output %s %s (recorded ", dep->key,
			   r->kind == WHY_OUTPUT_MISSING ? "is missing" : "was modified");
		explain_digest(out, &r->old_digest);
		if (r->kind == WHY_OUTPUT_MODIFIED) {
			buf_puts(out, ", now ");
			explain_digest(out, &r->new_digest);
		}
		buf_puts(out, ")\n");
		break;
	case WHY_NONE:
		buf_puts(out, "it is out of date\n");
		break;
	}
	buf_free(&name);
}

int
eng_explain(Engine *eng, const NodeRef *goal, Buf *out, Err *err)
{
	BuildReport report;
	Build b;
	Node *n;
	size_t i;

	if (build_begin(&b, eng, goal, 1, &report, true, err) != 0)
		return -1;
	build_run(&b);
	n = eng->nodes[b.goal_ids[0]];
	if (n->result == NR_WOULD_RUN) {
		explain_node(&b, n, out, 0);
	} else if (n->result == NR_RESTORED && n->reason &&
		   (n->reason->kind == WHY_OUTPUT_MISSING || n->reason->kind == WHY_OUTPUT_MODIFIED)) {
		Node *f = graph_node(eng, n->reason->dep);

		buf_printf(out, "%s:%s would not run: its output %s %s, and would be restored from"
			   " the cache\n", goal->kind, goal->key, f ? f->key : "?",
			   n->reason->kind == WHY_OUTPUT_MISSING ? "is missing" : "was modified");
	} else if (n->result == NR_RESTORED) {
		buf_printf(out, "%s:%s would not run: its outputs would be restored from an"
			   " earlier result with the same inputs\n", goal->kind, goal->key);
	} else if (n->result == NR_CLEAN) {
		buf_printf(out, "%s:%s is up to date: nothing would run\n", goal->kind, goal->key);
	} else if (n->result == NR_RAN) {
		/* a pure node that was out of date: say why, it would run */
		explain_node(&b, n, out, 0);
	} else if (n->result == NR_FAILED || n->result == NR_SKIPPED) {
		buf_printf(out, "%s:%s cannot be checked:", goal->kind, goal->key);
		for (i = 0; i < report.nfailures; i++)
			buf_printf(out, " %s: %s;", report.failures[i].node, report.failures[i].message);
		out->len--;
		buf_putc(out, '\n');
	} else {
		buf_printf(out, "%s:%s is up to date: nothing would run\n", goal->kind, goal->key);
	}
	build_end(&b);
	build_report_free(&report);
	return 0;
}

/* ---- the rule API --------------------------------------------------------------------- */

Node *
rule_node(RuleCtx *ctx)
{
	return ctx->node;
}

Engine *
rule_engine(RuleCtx *ctx)
{
	return ctx->b->eng;
}

const char *
rule_key(RuleCtx *ctx)
{
	return ctx->node->key;
}

const char *
rule_root(RuleCtx *ctx)
{
	return ctx->b->eng->root;
}

void *
rule_user(RuleCtx *ctx)
{
	return ctx->b->eng->user;
}

Cas *
rule_cas(RuleCtx *ctx)
{
	return &ctx->b->eng->cas;
}

void **
rule_state(RuleCtx *ctx)
{
	return &ctx->state;
}

Arena *
rule_arena(RuleCtx *ctx)
{
	return &ctx->arena;
}

const NodeValue *
rule_need(RuleCtx *ctx, const char *kind, const char *key)
{
	Build *b = ctx->b;
	Node *dep;
	uint16_t k;
	NodeValue *v;

	if (graph_kind(b->eng, kind, &k, NULL) != 0)
		return NULL;
	dep = graph_intern(b->eng, k, key);
	if (dep == ctx->node) {
		if (!ctx->dep_failed)
			ctx->dep_failed = dep;
		return NULL;
	}
	if (!await_node(b, dep, ctx->node)) {
		xgrow(&ctx->waiting, &ctx->capwaiting, ctx->nwaiting + 1, sizeof(*ctx->waiting));
		ctx->waiting[ctx->nwaiting++] = dep->id;
		return NULL;
	}
	if (dep->state == NS_FAILED) {
		if (!ctx->dep_failed)
			ctx->dep_failed = dep;
		return NULL;
	}
	if (dep->result == NR_WOULD_RUN) {
		if (!ctx->dep_unknown)
			ctx->dep_unknown = dep;
		return NULL;
	}
	if (!dep->data_loaded && graph_load_data(b->eng, dep, NULL) != 0) {
		if (!ctx->dep_failed)
			ctx->dep_failed = dep;
		return NULL;
	}
	if (dep->mark != ctx->serial) {
		unsigned char *rec;

		dep->mark = ctx->serial;
		xgrow(&ctx->needs, &ctx->capneeds, (ctx->nneeds + 1) * TRACE_DEP_SIZE, 1);
		rec = ctx->needs + ctx->nneeds * TRACE_DEP_SIZE;
		blob_put_u32(rec, dep->id);
		memcpy(rec + 4, dep->value.b, 16);
		ctx->nneeds++;
	}
	v = arena_alloc(&ctx->arena, sizeof(*v));
	v->digest = dep->value;
	v->data = dep->data;
	v->len = dep->data_len;
	return v;
}

void
rule_prefetch(RuleCtx *ctx, const char *kind, const char *key)
{
	Build *b = ctx->b;
	uint16_t k;

	/* once every goal is done, a guess can no longer help anyone */
	if (b->stop || goals_finished(b) || graph_kind(b->eng, kind, &k, NULL) != 0)
		return;
	(void)await_node(b, graph_intern(b->eng, k, key), NULL);
}

void
rule_barrier(RuleCtx *ctx)
{
	close_group(ctx);
}

bool
rule_reuse(RuleCtx *ctx)
{
	Build *b = ctx->b;
	Node *n = ctx->node;
	Buf trace = { 0 };
	Digest th;
	void *args[2] = { b, n };
	Err err;
	uint32_t i;

	if (b->explain || ctx->is_volatile || (ctx->rule->flags & RULE_VOLATILE) ||
	    n->no_reuse || !(n->status & (NODE_OK | NODE_FAILED)))
		return false;   /* never built: no earlier result to find */
	pack_trace(b, ctx, &trace);
	th = graph_trace_hash(trace.data, trace.len);
	buf_free(&trace);
	free(n->cands);
	n->cands = NULL;
	n->ncands = 0;
	if (store_history_get(b->eng->store, n->id, th.b, load_candidate, args, &err) != 0 ||
	    n->ncands != 1)
		return false;
	/* usable only if every output can come back from the CAS */
	for (i = 0; n->cands[0].outputs && i < blob_u32(n->cands[0].outputs); i++) {
		Sha256 sha;

		memcpy(sha.b, n->cands[0].outputs + 4 + i * OUTPUT_SIZE + 20, 32);
		if (!cas_has(&b->eng->cas, &sha)) {
			n->ncands = 0;
			return false;
		}
	}
	n->cands_loaded = true;
	n->cand = 0;
	ctx->reuse = true;
	return true;
}

RuleStatus
rule_offload(RuleCtx *ctx, PoolId pool, void (*work)(void *arg), void *arg)
{
	if (pool == POOL_PROC)
		return rule_fail(ctx, 1, "internal error: processes start with rule_spawn");
	ctx->work = work;
	ctx->work_arg = arg;
	ctx->pool = pool;
	return RULE_SUSPEND;
}

RuleStatus
rule_spawn(RuleCtx *ctx, const ProcSpec *spec, const SpawnHooks *hooks)
{
	free(ctx->spawn_error);
	ctx->spawn_error = NULL;
	memset(&ctx->proc, 0, sizeof(ctx->proc));
	ctx->spawn = spec;
	ctx->hooks = hooks;
	return RULE_SUSPEND;
}

const ProcResult *
rule_spawn_result(RuleCtx *ctx, const char **error)
{
	*error = ctx->spawn_error;
	return &ctx->proc;
}

void
rule_set_data(RuleCtx *ctx, const void *data, size_t len)
{
	void *copy = arena_alloc(&ctx->arena, len ? len : 1);

	if (len)
		memcpy(copy, data, len);
	ctx->data = copy;
	ctx->data_len = len;
	ctx->has_data = true;
}

void
rule_set_digest(RuleCtx *ctx, const Digest *digest)
{
	ctx->value = *digest;
	ctx->has_value = true;
}

Digest
rule_inputs_digest(RuleCtx *ctx)
{
	Buf trace = { 0 };
	Digest d;

	/* packed, because the raw needs may repeat a node depending on how jobs interleaved */
	pack_trace(ctx->b, ctx, &trace);
	d = hash_bytes(trace.data, trace.len);
	buf_free(&trace);
	return d;
}

Digest
rule_unique_digest(RuleCtx *ctx)
{
	struct {
		int64_t now;
		uint64_t serial;
		uint32_t node;
		int32_t pid;
	} u = { fs_now_us(), ctx->b->eng->serial++, ctx->node->id, (int32_t)getpid() };

	return hash_bytes(&u, sizeof(u));
}

void
rule_set_volatile(RuleCtx *ctx)
{
	ctx->is_volatile = true;
}

void
rule_add_output(RuleCtx *ctx, const char *path, const OutputFile *out)
{
	Build *b = ctx->b;
	uint16_t k;
	Node *f;
	unsigned char rec[OUTPUT_SIZE];

	if (graph_kind(b->eng, "file", &k, NULL) != 0)
		return;
	f = graph_intern(b->eng, k, path);
	if (f->state == NS_NEW) {
		touch(b, f);
		f->state = NS_DONE;
		f->result = NR_CLEAN;
	}
	leaf_set_file_state(b->eng, f, &out->stat, &out->digest);
	blob_put_u32(rec, f->id);
	memcpy(rec + 4, out->digest.b, 16);
	memcpy(rec + 20, out->sha.b, 32);
	blob_put_u32(rec + 52, out->stat.mode & 07777);
	buf_append(&ctx->outputs, rec, sizeof(rec));
	ctx->noutputs++;
	if (!b->explain && !out->cached && !cas_has(&b->eng->cas, &out->sha)) {
		IngestJob *ij = ctx->ingest;

		if (!ij) {
			ij = ctx->ingest = xcalloc(1, sizeof(*ij));
			ij->cas = &b->eng->cas;
		}
		ij->paths = xrealloc(ij->paths, (ij->n + 1) * sizeof(*ij->paths));
		ij->shas = xrealloc(ij->shas, (ij->n + 1) * sizeof(*ij->shas));
		ij->paths[ij->n] = xstrdup(fs_path_is_abs(path) ? path :
					   fs_path_join(&ctx->arena, b->eng->root, path));
		ij->shas[ij->n++] = out->sha;
	}
}

void
rule_describe(RuleCtx *ctx, const char *detail)
{
	free(ctx->detail);
	ctx->detail = xstrdup(detail);
}

RuleStatus
rule_fail(RuleCtx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	free(ctx->fail_msg);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ctx->fail_msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(ctx->fail_msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctx->fail_code = code;
	return RULE_FAIL;
}
