/*
 * pool.h - bounded pools of work, as Ninja's pools.
 *
 * Each pool runs at most `depth` items at once. Waiting items sit in a heap owned by
 * the coordinator, which alone starts them (pools_dispatch), highest priority first
 * (the engine gives the longest remaining path), ties in submission order; so a
 * failure the coordinator has just seen stops the build before anything else begins.
 *
 * A started item goes to one of its pool's worker threads; the finished item comes
 * back through pools_done, and pools_fd becomes readable when one is waiting, so the
 * coordinator can poll it together with its other descriptors.
 *
 * A pool may be given look-ahead: that many items more than its depth are handed to
 * its threads' queue, so that a thread which finishes one starts the next without
 * waiting for the coordinator to wake (for short child processes on a busy machine,
 * that wait was a tenth of the time). The price is that the coordinator no longer sees
 * every start happen; so an item whose work failed (PoolItem.failed) stops the pool
 * right there when the pools were told to stop on failure, and pools_cancel takes
 * back queued items that no thread has taken yet.
 */
#ifndef BUNPY_POOL_H
#define BUNPY_POOL_H

#include <stdbool.h>
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
	uint32_t lane;            /* 1, 2, ... across pools: the worker that ran it */
	bool failed;              /* set by work: its failure stops the pools (see above) */
	int64_t start_us, end_us; /* monotonic, set by the worker */
	PoolItem *next;
};

typedef struct Pools Pools;

Pools *pools_new(const int depth[POOL_COUNT], const int lookahead[POOL_COUNT],
		 bool stop_on_failure);
/* No thread takes another item; pools_cancel gets back what was queued. */
void pools_stop(Pools *p);
/* Waits for items handed to threads to finish, then joins the threads. */
void pools_free(Pools *p);
/* Queue an item; it starts at a later pools_dispatch. */
void pools_submit(Pools *p, PoolId pool, PoolItem *item);
/* Start the next queued item whose pool has a free slot, and return it (NULL when
 * none can start). */
PoolItem *pools_dispatch(Pools *p);
/* Take back one queued item no thread has started (to skip it), or NULL. */
PoolItem *pools_cancel(Pools *p);
/* The same for one pool's waiting items only (not its look-ahead), without stopping. */
PoolItem *pools_cancel_waiting(Pools *p, PoolId pool);
/* Readable when finished thread items wait; pools_done drains them (non-blocking). */
int pools_fd(const Pools *p);
PoolItem *pools_done(Pools *p);

#endif
