/*
 * cacheindex.h - the shared cache's bookkeeping: what entries it holds, how big each
 * is and when it was last used, so that its size is known without walking it and
 * `bunpy cache prune` can remove the least recently used entries first.
 *
 * An entry is one thing the cache holds, named by its path relative to the cache
 * directory. Under each top-level directory DIR, a child is an entry, except a child
 * named by two hex digits (a fan-out directory: "cas/ab/"), whose children are the
 * entries: "cas/ab/cdef...", "wheels/HEX", "metadata/ab/...", "interpreters/X.json".
 * This module knows nothing else of what they are.
 *
 * Two layers, so that recording costs a command next to nothing:
 *
 *   * The journal. Code that makes or uses an entry appends one line to its process's
 *     own file CACHE/index.d/PID (cacheindex_note_add, cacheindex_note_use): one
 *     open/write/close, no database, no lock, and nothing to carry through the engine's
 *     threads (O_APPEND writes of one line are whole). A record lost to a kill is made
 *     up for by adoption (below).
 *   * The index, CACHE/index.db (SQLite, WAL): one row per entry (path, kind, project
 *     name when known, bytes, last used) and the totals, kept by triggers, so the size
 *     is one row read. Journals are folded in (one transaction) by whoever opens the
 *     index: `bunpy cache` and, when more than CACHEINDEX_JOURNALS_MAX journals have
 *     piled up, the process that starts a new one.
 *
 * Adoption: entries made before the index existed, or by a run killed before its
 * journal line was written, are found by one walk of the cache (cacheindex_adopt),
 * which also forgets rows whose entry is gone.
 *
 * Concurrency: commands that use the cache hold CACHE/.lock shared while they do
 * (cacheindex_lock); clean and prune hold it exclusively, so they never delete what a
 * running command uses. Deleting is crash-safe: an entry is first renamed to
 * CACHE/.trash-PID-N (atomic: a wheel directory that exists is trusted to be whole),
 * its row deleted, and only then the trash removed; a killed prune leaves trash that
 * the next sweep removes.
 */
#ifndef BUNPY_CACHEINDEX_H
#define BUNPY_CACHEINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

/* Journals that make the process starting a new one fold them in. */
#define CACHEINDEX_JOURNALS_MAX 64

/* ------------------------------------------------------------ recording */

/*
 * An entry was made at rel (relative to cache_dir), holding bytes (the apparent size of
 * its files and symbolic links; directories count nothing), of the project name (NULL
 * when unknown). Failures are ignored: the next adoption walk finds the entry.
 */
void cacheindex_note_add(const char *cache_dir, const char *rel, uint64_t bytes, const char *name);
/* An entry was used (read, linked from). */
void cacheindex_note_use(const char *cache_dir, const char *rel);
/* The same with an explicit time (microseconds since the epoch) and error; op 'A' or 'U'.
 * For tests and for callers that know better. */
int cacheindex_note(const char *cache_dir, char op, int64_t time_us, const char *rel,
		    uint64_t bytes, const char *name, Err *err);

/* ------------------------------------------------------------ the lock */

/*
 * Take CACHE/.lock, shared (a command using the cache) or exclusive (clean, prune).
 * Returns the descriptor (close-on-exec: a program bunpy execs does not keep it), -2
 * when busy and !wait, -1 with err.
 */
int cacheindex_lock(const char *cache_dir, bool exclusive, bool wait, Err *err);
void cacheindex_unlock(int fd);

/* ------------------------------------------------------------ the index */

typedef struct CacheIndex CacheIndex;

typedef struct CacheEntry {
	const char *path;       /* relative to the cache */
	const char *kind;       /* its top-level directory: "wheels", "cas" */
	const char *name;       /* the project, NULL when unknown */
	uint64_t bytes;
	int64_t used_us;        /* last made or used */
} CacheEntry;

typedef struct CacheTotals {
	uint64_t entries, bytes;
} CacheTotals;

/* Open (creating when missing) CACHE/index.db. A damaged one is moved aside and made
 * again (adoption then rebuilds it). */
int cacheindex_open(CacheIndex **out, const char *cache_dir, Err *err);
void cacheindex_close(CacheIndex *ix);

/* Fold in (and delete) the journals of processes that are gone, in one transaction.
 * Returns the number of records read, or -1. */
int cacheindex_merge(CacheIndex *ix, Err *err);

/* Entries and bytes: the index's totals, with the journals of running processes
 * counted too (without consuming them). */
int cacheindex_totals(CacheIndex *ix, CacheTotals *out, Err *err);

/* Whether an adoption walk has ever been made (the index knows of older entries). */
bool cacheindex_adopted(CacheIndex *ix);

/*
 * Names the project of an entry found by the walk (NULL when it cannot tell): the
 * caller's knowledge, not this module's. abs is the entry's absolute path.
 */
typedef const char *(*CacheNamer)(void *ctx, const char *kind, const char *abs, Arena *arena);

typedef struct CacheAdoption {
	uint64_t adopted, adopted_bytes;   /* entries found that had no row */
	uint64_t forgotten;                /* rows whose entry was gone */
} CacheAdoption;

/* Walk the cache: rows for entries without one (used time: their mtime), none for rows
 * whose entry is gone. One transaction. */
int cacheindex_adopt(CacheIndex *ix, CacheNamer namer, void *namer_ctx, CacheAdoption *out,
		     Err *err);

/* Entries, least recently used first; name: only that project's (NULL: all). */
int cacheindex_list(CacheIndex *ix, const char *name, Arena *arena, CacheEntry **out, size_t *n,
		    Err *err);

/* Remove the entries (renamed to trash, rows deleted in one transaction, then the trash
 * removed). An entry already gone only loses its row. */
int cacheindex_remove(CacheIndex *ix, const CacheEntry *entries, size_t n, Err *err);

/* Whether name is a temporary of a process that is gone: it holds marker (".tmp-",
 * ".trash-") followed by "PID-", and no process PID runs. What killed runs leave. */
bool cacheindex_abandoned(const char *name, const char *marker);

/*
 * Leftovers of processes that are gone: trash of killed prunes, temporary files and
 * directories ("NAME.tmp-PID-X", ".tmp-PID-X") one or two levels down, merge files of
 * killed merges. Call with the lock held exclusively. Returns how many were removed (and
 * their bytes in *bytes), or -1.
 */
int cacheindex_sweep(const char *cache_dir, uint64_t *bytes, Err *err);

#endif
