/*
 * pool.c - worker threads, a priority heap per pool, one queue of finished items.
 */
#include "config.h"

#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fs.h"

typedef struct Pool {
	struct Pools *owner;
	int depth;
	int lookahead;
	int active;               /* handed to threads and not yet collected (coordinator) */
	uint32_t lane_base;
	int nthreads;
	PoolItem **heap;          /* waiting items (coordinator) */
	size_t nheap, capheap;
	PoolItem *run_head, *run_tail;   /* started, for a worker to take (under mu) */
	pthread_t *threads;
	pthread_cond_t wake;
} Pool;

struct Pools {
	pthread_mutex_t mu;
	PoolItem *done_head, *done_tail;
	int done_fd;              /* eventfd: finished items are waiting */
	Pool pools[POOL_COUNT];
	uint64_t seq;
	int shutdown;
	bool stop_on_failure;
	bool stopped;             /* under mu: threads take nothing more */
};

typedef struct Worker {
	Pool *pool;
	uint32_t lane;
} Worker;

static bool
before(const PoolItem *a, const PoolItem *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->seq < b->seq;
}

static void
heap_push(Pool *p, PoolItem *it)
{
	size_t i;

	xgrow(&p->heap, &p->capheap, p->nheap + 1, sizeof(*p->heap));
	i = p->nheap++;
	while (i > 0 && before(it, p->heap[(i - 1) / 2])) {
		p->heap[i] = p->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	p->heap[i] = it;
}

static PoolItem *
heap_pop(Pool *p)
{
	PoolItem *top = p->heap[0], *last = p->heap[--p->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= p->nheap)
			break;
		if (c + 1 < p->nheap && before(p->heap[c + 1], p->heap[c]))
			c++;
		if (!before(p->heap[c], last))
			break;
		p->heap[i] = p->heap[c];
		i = c;
	}
	if (p->nheap)
		p->heap[i] = last;
	return top;
}

static void
list_push(PoolItem **head, PoolItem **tail, PoolItem *it)
{
	it->next = NULL;
	if (*tail)
		(*tail)->next = it;
	else
		*head = it;
	*tail = it;
}

static PoolItem *
list_pop(PoolItem **head, PoolItem **tail)
{
	PoolItem *it = *head;

	if (it) {
		*head = it->next;
		if (!*head)
			*tail = NULL;
	}
	return it;
}

static void *
worker_main(void *arg)
{
	Worker *w = arg;
	Pool *p = w->pool;
	Pools *ps = p->owner;

	pthread_mutex_lock(&ps->mu);
	for (;;) {
		PoolItem *it;
		bool was_empty;

		while ((!p->run_head || ps->stopped) && !ps->shutdown)
			pthread_cond_wait(&p->wake, &ps->mu);
		if (ps->shutdown)
			break;
		it = list_pop(&p->run_head, &p->run_tail);
		pthread_mutex_unlock(&ps->mu);

		it->lane = w->lane;
		it->start_us = fs_monotonic_us();
		it->work(it->arg);
		it->end_us = fs_monotonic_us();

		pthread_mutex_lock(&ps->mu);
		if (it->failed && ps->stop_on_failure)
			ps->stopped = true;
		was_empty = !ps->done_head;
		list_push(&ps->done_head, &ps->done_tail, it);
		if (was_empty) {
			/* The coordinator reads the descriptor before draining the list,
			 * so one wake-up per empty-to-non-empty change is enough. */
			uint64_t one = 1;
			ssize_t wr = write(ps->done_fd, &one, sizeof(one));

			(void)wr;   /* cannot fail short of overflowing a 64-bit counter */
		}
	}
	pthread_mutex_unlock(&ps->mu);
	free(w);
	return NULL;
}

Pools *
pools_new(const int depth[POOL_COUNT], const int lookahead[POOL_COUNT], bool stop_on_failure)
{
	Pools *ps = xcalloc(1, sizeof(*ps));
	uint32_t lane = 1;
	int i;

	pthread_mutex_init(&ps->mu, NULL);
	ps->stop_on_failure = stop_on_failure;
	ps->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ps->done_fd < 0)
		xout_of_memory(sizeof(*ps));   /* no descriptors left: nothing could run */
	for (i = 0; i < POOL_COUNT; i++) {
		Pool *p = &ps->pools[i];

		p->owner = ps;
		p->depth = depth[i] > 0 ? depth[i] : 1;
		p->lookahead = lookahead ? lookahead[i] : 0;
		p->lane_base = lane;
		lane += (uint32_t)p->depth;
		p->threads = xcalloc((size_t)p->depth, sizeof(*p->threads));
		pthread_cond_init(&p->wake, NULL);
	}
	return ps;
}

void
pools_free(Pools *ps)
{
	int i, t;

	if (!ps)
		return;
	pthread_mutex_lock(&ps->mu);
	ps->shutdown = 1;
	for (i = 0; i < POOL_COUNT; i++)
		pthread_cond_broadcast(&ps->pools[i].wake);
	pthread_mutex_unlock(&ps->mu);
	for (i = 0; i < POOL_COUNT; i++) {
		Pool *p = &ps->pools[i];

		for (t = 0; t < p->nthreads; t++)
			pthread_join(p->threads[t], NULL);
		free(p->threads);
		free(p->heap);
		pthread_cond_destroy(&p->wake);
	}
	close(ps->done_fd);
	pthread_mutex_destroy(&ps->mu);
	free(ps);
}

/* Threads are started on demand, up to the pool's depth: a build that never runs a
 * process never starts a process-slot thread. Called with mu held. */
static void
ensure_thread(Pool *p)
{
	pthread_attr_t attr;
	Worker *w;

	if (p->nthreads >= p->active || p->nthreads >= p->depth)
		return;
	w = xmalloc(sizeof(*w));
	w->pool = p;
	w->lane = p->lane_base + (uint32_t)p->nthreads;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	if (pthread_create(&p->threads[p->nthreads], &attr, worker_main, w) == 0)
		p->nthreads++;
	else
		free(w);
	pthread_attr_destroy(&attr);
	if (p->nthreads == 0)
		xout_of_memory(1024 * 1024);   /* not even one thread: nothing could run */
}

void
pools_submit(Pools *ps, PoolId id, PoolItem *it)
{
	it->pool = id;
	it->seq = ps->seq++;
	heap_push(&ps->pools[id], it);
}

PoolItem *
pools_dispatch(Pools *ps)
{
	int i;

	for (i = 0; i < POOL_COUNT; i++) {
		Pool *p = &ps->pools[i];
		PoolItem *it;

		if (!p->nheap || p->active >= p->depth + p->lookahead)
			continue;
		it = heap_pop(p);
		p->active++;
		pthread_mutex_lock(&ps->mu);
		list_push(&p->run_head, &p->run_tail, it);
		ensure_thread(p);
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&ps->mu);
		return it;
	}
	return NULL;
}

void
pools_stop(Pools *ps)
{
	pthread_mutex_lock(&ps->mu);
	ps->stopped = true;
	pthread_mutex_unlock(&ps->mu);
}

PoolItem *
pools_cancel(Pools *ps)
{
	PoolItem *it = NULL;
	int i;

	for (i = 0; i < POOL_COUNT; i++)
		if (ps->pools[i].nheap)
			return heap_pop(&ps->pools[i]);
	/* look-ahead items that no thread took */
	pthread_mutex_lock(&ps->mu);
	if (ps->stopped) {
		for (i = 0; i < POOL_COUNT && !it; i++) {
			it = list_pop(&ps->pools[i].run_head, &ps->pools[i].run_tail);
			if (it)
				ps->pools[i].active--;
		}
	}
	pthread_mutex_unlock(&ps->mu);
	return it;
}

PoolItem *
pools_cancel_waiting(Pools *ps, PoolId pool)
{
	return ps->pools[pool].nheap ? heap_pop(&ps->pools[pool]) : NULL;
}

int
pools_fd(const Pools *ps)
{
	return ps->done_fd;
}

PoolItem *
pools_done(Pools *ps)
{
	PoolItem *it;
	uint64_t n;

	pthread_mutex_lock(&ps->mu);
	if (!ps->done_head) {
		/* drained: reset the descriptor (EAGAIN when it was not set) */
		ssize_t r = read(ps->done_fd, &n, sizeof(n));

		(void)r;
	}
	it = list_pop(&ps->done_head, &ps->done_tail);
	pthread_mutex_unlock(&ps->mu);
	if (it)
		ps->pools[it->pool].active--;
	return it;
}
