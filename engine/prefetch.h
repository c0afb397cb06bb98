/*
 * prefetch.h - statting, in parallel and before a build starts, the files it will
 * look at.
 *
 * A no-op build is mostly stat calls: one per file its recorded traces name, made by
 * the coordinator one after another as it checks them. The traces say in advance which
 * files those are, so the pool's threads and the coordinator stat them together first,
 * and the file rule takes the answers instead of asking the kernel again.
 *
 * The answers are only good while the build has changed nothing: once any work that
 * may write files is handed out (prefetch_forget), the file rule stats again. A stat
 * taken at the start of a build is then the same observation a later one would be.
 */
#ifndef BUNPY_PREFETCH_H
#define BUNPY_PREFETCH_H

#include "graph.h"
#include "pool.h"

typedef struct Prefetch {
	uint32_t *ids;                /* file nodes; Node.prefetch is 1 + the index */
	FileStat *stats;
	signed char *rc;              /* fs_statat's: 0 found, 1 missing, -1 failed */
	uint32_t n;
	bool usable;
} Prefetch;

/* Stat the file nodes reachable from the goals through recorded traces and outputs,
 * on `threads` threads (the coordinator being one, the pool's POOL_CPU the others).
 * Does nothing when there are too few to gain from it. No pool work may be in flight. */
void prefetch_stats(Engine *eng, Pools *pools, int threads, const uint32_t *goals,
		    size_t ngoals, Prefetch *pf);
/* The stat taken for n: 0 or 1 as fs_statat returns, -1 when there is none to use. */
int prefetch_take(const Prefetch *pf, const Node *n, FileStat *st);
/* The build is about to change files: what was taken is no longer the present. */
void prefetch_forget(Prefetch *pf);
void prefetch_free(Engine *eng, Prefetch *pf);

#endif
