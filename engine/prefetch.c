/*
 * prefetch.c - statting a build's files in parallel before it starts (see prefetch.h).
 */
#include "config.h"

#include "prefetch.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Below this many files the threads cost more than they save. */
#define PREFETCH_MIN_FILES 512

typedef struct Share {
	PoolItem item;
	Engine *eng;
	Prefetch *pf;
	uint32_t from, to;
} Share;

static void
stat_share(void *arg)
{
	Share *s = arg;
	Err err;
	uint32_t i;

	for (i = s->from; i < s->to; i++) {
		const Node *n = s->eng->nodes[s->pf->ids[i]];
		int rc = fs_statat(s->eng->root_fd, n->key, &s->pf->stats[i], &err);

		s->pf->rc[i] = (signed char)(rc < 0 ? -1 : rc);
	}
}

/* The file nodes the goals' recorded traces and outputs reach, in the order a
 * depth-first walk meets them. */
static void
reachable_files(Engine *eng, uint16_t file_kind, const uint32_t *goals, size_t ngoals,
		Prefetch *pf)
{
	uint32_t mark = (uint32_t)++eng->serial, *stack = NULL;
	size_t nstack = 0, capstack = 0, i, capids = 0;

	for (i = 0; i < ngoals; i++) {
		xgrow(&stack, &capstack, nstack + 1, sizeof(*stack));
		stack[nstack++] = goals[i];
	}
	while (nstack) {
		Node *n = graph_node(eng, stack[--nstack]);
		TraceIter it;
		uint32_t dep, count, k;

		if (!n || n->mark == mark)
			continue;
		n->mark = mark;
		if (n->kind == file_kind) {
			xgrow(&pf->ids, &capids, (size_t)pf->n + 1, sizeof(*pf->ids));
			pf->ids[pf->n++] = n->id;
			continue;
		}
		trace_iter_init(&it, n->trace, n->trace_len);
		while ((dep = trace_iter_next(&it, NULL)) != 0) {
			xgrow(&stack, &capstack, nstack + 1, sizeof(*stack));
			stack[nstack++] = dep;
		}
		count = n->outputs ? blob_u32(n->outputs) : 0;
		for (k = 0; k < count; k++) {
			xgrow(&stack, &capstack, nstack + 1, sizeof(*stack));
			stack[nstack++] = blob_u32(n->outputs + 4 + k * OUTPUT_SIZE);
		}
	}
	free(stack);
}

void
prefetch_stats(Engine *eng, Pools *pools, int threads, const uint32_t *goals, size_t ngoals,
	       Prefetch *pf)
{
	Share *shares;
	uint16_t file_kind;
	uint32_t i, per, waiting = 0;

	memset(pf, 0, sizeof(*pf));
	if (threads < 2 || graph_kind(eng, "file", &file_kind, NULL) != 0)
		return;
	reachable_files(eng, file_kind, goals, ngoals, pf);
	if (pf->n < PREFETCH_MIN_FILES) {
		prefetch_free(eng, pf);
		return;
	}
	pf->stats = xmalloc(pf->n * sizeof(*pf->stats));
	pf->rc = xmalloc(pf->n);
	shares = xcalloc((size_t)threads, sizeof(*shares));
	per = (pf->n + (uint32_t)threads - 1) / (uint32_t)threads;
	for (i = 0; i < (uint32_t)threads; i++) {
		Share *s = &shares[i];

		s->eng = eng;
		s->pf = pf;
		s->from = i * per < pf->n ? i * per : pf->n;
		s->to = s->from + per < pf->n ? s->from + per : pf->n;
		if (i == 0 || s->from == s->to)
			continue;
		s->item.work = stat_share;
		s->item.arg = s;
		s->item.owner = s;
		pools_submit(pools, POOL_CPU, &s->item);
		waiting++;
	}
	while (pools_dispatch(pools))
		;
	stat_share(&shares[0]);   /* the coordinator's share */
	while (waiting) {
		struct pollfd pfd = { .fd = pools_fd(pools), .events = POLLIN };

		while (pools_dispatch(pools))   /* in case the pool has fewer threads */
			;
		if (pools_done(pools))
			waiting--;
		else
			poll(&pfd, 1, -1);
	}
	free(shares);
	for (i = 0; i < pf->n; i++)
		eng->nodes[pf->ids[i]]->prefetch = i + 1;
	pf->usable = true;
}

int
prefetch_take(const Prefetch *pf, const Node *n, FileStat *st)
{
	if (!pf->usable || !n->prefetch || pf->rc[n->prefetch - 1] < 0)
		return -1;
	*st = pf->stats[n->prefetch - 1];
	return pf->rc[n->prefetch - 1];
}

void
prefetch_forget(Prefetch *pf)
{
	pf->usable = false;
}

void
prefetch_free(Engine *eng, Prefetch *pf)
{
	uint32_t i;

	for (i = 0; i < pf->n; i++)
		eng->nodes[pf->ids[i]]->prefetch = 0;
	free(pf->ids);
	free(pf->stats);
	free(pf->rc);
	memset(pf, 0, sizeof(*pf));
}
