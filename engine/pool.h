/*
 * pool.h - bounded worker pools, as Ninja's pools.
 *
 * Each pool runs at most `depth` items at once on its worker threads. Waiting items sit
 * in a heap owned by the coordinator, which starts them (pools_dispatch) highest
 * priority first (the engine gives the longest remaining path), ties in submission
 * order. Because the coordinator decides every start, a failure it has just seen stops
 * the build before anything else begins. Finished items come back through pools_wait,
 * so the engine's state is only touched by the coordinator thread.
 */
#ifndef BUNPY_POOL_H
#define BUNPY_POOL_H

#include <stdint.h>

#include "engine.h"

typedef struct PoolItem PoolItem;

struct PoolItem {
	void (*work)(void *arg);
	void *arg;
	void *owner;              /* the submitter's, untouched by the pool */
	int tag;                  /* the submitter's too */
	PoolId pool;              /* set by pools_submit */
	uint64_t priority;
	uint64_t seq;             /* set by pools_submit */
	uint32_t lane;            /* set by the worker that ran it: 1, 2, ... across pools */
	int64_t start_us, end_us; /* monotonic, set by the worker */
	PoolItem *next;
};

typedef struct Pools Pools;

Pools *pools_new(const int depth[POOL_COUNT]);
/* Waits for started items to finish, then joins the threads. */
void pools_free(Pools *p);
/* Queue an item; it starts at a later pools_dispatch. Coordinator only. */
void pools_submit(Pools *p, PoolId pool, PoolItem *item);
/* Start queued items while their pools have free slots. Coordinator only. */
void pools_dispatch(Pools *p);
/* Take back one queued, not started item (to skip it), or NULL. Coordinator only. */
PoolItem *pools_cancel(Pools *p);
/* The next finished item, or NULL after timeout_ms without one. Coordinator only. */
PoolItem *pools_wait(Pools *p, int timeout_ms);

#endif
