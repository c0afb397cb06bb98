/*
 * test_cacheindex.c - the cache's bookkeeping (engine/cacheindex.h): journals folded
 * into the index, totals, uses, LRU order, adoption of unknown entries, removal through
 * trash, leftovers, two processes recording at once, a transaction killed halfway.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/cacheindex.h"
#include "engine/fs.h"

static char *
mkcache(void)
{
	char tmpl[] = "/tmp/test-cacheindex-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

static void
rmcache(char *dir)
{
	Err err;

	assert_int_equal(fs_remove_tree(dir, &err), 0);
	free(dir);
}

static void
put(const char *cache, const char *rel, size_t n)
{
	char path[4096];
	char *data = xcalloc(1, n + 1);
	Err err;

	memset(data, 'x', n);
	snprintf(path, sizeof(path), "%s/%s", cache, rel);
	assert_int_equal(fs_mkdir_parent(path, &err), 0);
	assert_int_equal(fs_write_atomic(path, data, n, 0644, &err), 0);
	free(data);
}

static void
note(const char *cache, char op, int64_t t, const char *rel, uint64_t bytes, const char *name)
{
	Err err;

	assert_int_equal(cacheindex_note(cache, op, t, rel, bytes, name, &err), 0);
}

static CacheIndex *
open_ix(const char *cache)
{
	CacheIndex *ix;
	Err err;

	assert_int_equal(cacheindex_open(&ix, cache, &err), 0);
	return ix;
}

static CacheTotals
totals(CacheIndex *ix)
{
	CacheTotals t;
	Err err;

	assert_int_equal(cacheindex_totals(ix, &t, &err), 0);
	return t;
}

/* Journals of this process count in the totals, and are folded in once it is gone (a
 * child records, exits, and the parent merges). */
static void
test_add_touch_size(void **state)
{
	char *cache = mkcache();
	CacheIndex *ix;
	CacheTotals t;
	CacheEntry *v;
	size_t n;
	Arena a = { 0 };
	Err err;
	pid_t pid;
	int status;

	(void)state;
	put(cache, "wheels/aaaa/pkg/x.py", 100);
	put(cache, "cas/ab/cdef", 40);
	put(cache, "interpreters/p.json", 7);
	pid = fork();
	if (pid == 0) {
		note(cache, 'A', 1000, "wheels/aaaa", 100, "pkg");
		note(cache, 'A', 2000, "cas/ab/cdef", 40, NULL);
		note(cache, 'A', 3000, "interpreters/p.json", 7, NULL);
		note(cache, 'U', 5000, "wheels/aaaa", 0, NULL);
		/* an entry already gone when the journal is folded is not counted */
		note(cache, 'A', 3000, "wheels/gone", 9, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	ix = open_ix(cache);
	assert_int_equal(cacheindex_merge(ix, &err), 5);
	t = totals(ix);
	assert_int_equal(t.entries, 3);
	assert_int_equal(t.bytes, 147);
	/* the journal was consumed: merging again reads nothing, the totals stay */
	assert_int_equal(cacheindex_merge(ix, &err), 0);
	assert_int_equal(totals(ix).bytes, 147);
	assert_int_equal(cacheindex_list(ix, NULL, &a, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].path, "cas/ab/cdef");
	assert_string_equal(v[0].kind, "cas");
	assert_null(v[0].name);
	assert_string_equal(v[1].path, "interpreters/p.json");
	assert_string_equal(v[2].path, "wheels/aaaa");
	assert_string_equal(v[2].name, "pkg");
	assert_int_equal(v[2].used_us, 5000);
	/* this process's own journal counts without being consumed */
	put(cache, "metadata/12/3456", 11);
	note(cache, 'A', 6000, "metadata/12/3456", 11, "pkg");
	t = totals(ix);
	assert_int_equal(t.entries, 4);
	assert_int_equal(t.bytes, 158);
	assert_int_equal(cacheindex_merge(ix, &err), 0);
	cacheindex_close(ix);
	arena_free(&a);
	rmcache(cache);
}

/* A use never moves an entry back in time, and bad records are refused. */
static void
test_lru_order_and_bad_records(void **state)
{
	char *cache = mkcache();
	CacheIndex *ix;
	CacheEntry *v;
	size_t n;
	Arena a = { 0 };
	Err err;
	pid_t pid;

	(void)state;
	put(cache, "wheels/a/f", 1);
	put(cache, "wheels/b/f", 2);
	put(cache, "wheels/c/f", 3);
	if ((pid = fork()) == 0) {
		note(cache, 'A', 300, "wheels/a", 1, "a");
		note(cache, 'A', 100, "wheels/b", 2, "b");
		note(cache, 'A', 200, "wheels/c", 3, "c");
		note(cache, 'U', 400, "wheels/b", 0, NULL);
		note(cache, 'U', 50, "wheels/a", 0, NULL);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	assert_int_equal(cacheindex_note(cache, 'A', 1, "../evil", 1, NULL, &err), -1);
	assert_int_equal(cacheindex_note(cache, 'A', 1, "/abs", 1, NULL, &err), -1);
	assert_int_equal(cacheindex_note(cache, 'A', 1, "a b", 1, NULL, &err), -1);
	assert_int_equal(cacheindex_note(cache, 'A', 1, "wheels/x", 1, "two words", &err), -1);
	assert_int_equal(cacheindex_note(cache, 'X', 1, "wheels/x", 1, NULL, &err), -1);
	ix = open_ix(cache);
	assert_true(cacheindex_merge(ix, &err) >= 5);
	assert_int_equal(cacheindex_list(ix, NULL, &a, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].path, "wheels/c");
	assert_string_equal(v[1].path, "wheels/a");
	assert_int_equal(v[1].used_us, 300);
	assert_string_equal(v[2].path, "wheels/b");
	assert_int_equal(cacheindex_list(ix, "b", &a, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].path, "wheels/b");
	/* removal: renamed away, rows gone, totals follow */
	assert_int_equal(cacheindex_list(ix, NULL, &a, &v, &n, &err), 0);
	assert_int_equal(cacheindex_remove(ix, v, 2, &err), 0);
	assert_int_equal(totals(ix).entries, 1);
	assert_int_equal(totals(ix).bytes, 2);
	assert_int_not_equal(access(fs_path_join(&a, cache, "wheels/c"), F_OK), 0);
	assert_int_not_equal(access(fs_path_join(&a, cache, "wheels/a"), F_OK), 0);
	assert_int_equal(access(fs_path_join(&a, cache, "wheels/b/f"), F_OK), 0);
	cacheindex_close(ix);
	arena_free(&a);
	rmcache(cache);
}

static const char *
test_namer(void *ctx, const char *kind, const char *abs, Arena *arena)
{
	(void)ctx;
	(void)abs;
	return !strcmp(kind, "wheels") ? arena_strdup(arena, "named") : NULL;
}

/* Entries nobody recorded are found by the walk (fan-out directories looked into,
 * temporaries and dot names skipped), rows of vanished entries forgotten. */
static void
test_adoption(void **state)
{
	char *cache = mkcache();
	CacheIndex *ix;
	CacheAdoption ad;
	CacheEntry *v;
	size_t n;
	Arena a = { 0 };
	Err err;

	(void)state;
	put(cache, "wheels/h1/pkg/a.py", 10);
	put(cache, "wheels/h1/pkg/b.py", 5);
	put(cache, "wheels/.tmp-1-xx/f", 99);
	put(cache, "cas/ab/cd", 20);
	put(cache, "cas/ab/cd.tmp-1-2", 99);
	put(cache, "http/0f/12", 30);
	put(cache, "interpreters/x.json", 4);
	put(cache, "other/thing", 6);
	assert_int_equal(symlink("pkg/a.py", fs_path_join(&a, cache, "wheels/h1/link")), 0);
	ix = open_ix(cache);
	assert_false(cacheindex_adopted(ix));
	assert_int_equal(cacheindex_adopt(ix, test_namer, NULL, &ad, &err), 0);
	assert_true(cacheindex_adopted(ix));
	assert_int_equal(ad.adopted, 5);
	/* files and the link's target length, no directories */
	assert_int_equal(ad.adopted_bytes, 10 + 5 + 8 + 20 + 30 + 4 + 6);
	assert_int_equal(totals(ix).entries, 5);
	assert_int_equal(cacheindex_list(ix, "named", &a, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].path, "wheels/h1");
	assert_int_equal(v[0].bytes, 23);
	/* again: nothing new; an entry removed behind the index's back is forgotten */
	assert_int_equal(fs_remove_tree(fs_path_join(&a, cache, "http/0f/12"), &err), 0);
	assert_int_equal(cacheindex_adopt(ix, NULL, NULL, &ad, &err), 0);
	assert_int_equal(ad.adopted, 0);
	assert_int_equal(ad.forgotten, 1);
	assert_int_equal(totals(ix).entries, 4);
	assert_int_equal(totals(ix).bytes, 23 + 20 + 4 + 6);
	cacheindex_close(ix);
	/* reopened: the adoption is remembered */
	ix = open_ix(cache);
	assert_true(cacheindex_adopted(ix));
	cacheindex_close(ix);
	arena_free(&a);
	rmcache(cache);
}

/* Leftovers: trash and temporaries of dead processes go, a live one's stay. */
static void
test_sweep(void **state)
{
	char *cache = mkcache();
	Arena a = { 0 };
	uint64_t bytes;
	char rel[256];
	Err err;
	pid_t dead = fork();

	(void)state;
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(rel, sizeof(rel), ".trash-%d-abc/0/f", (int)dead);
	put(cache, rel, 10);
	snprintf(rel, sizeof(rel), "wheels/.tmp-%d-abc/f", (int)dead);
	put(cache, rel, 20);
	snprintf(rel, sizeof(rel), "cas/ab/cd.tmp-%d-3", (int)dead);
	put(cache, rel, 30);
	snprintf(rel, sizeof(rel), "cas/ab/cd.tmp-%d-4", (int)getpid());
	put(cache, rel, 40);
	put(cache, "cas/ab/cd", 50);
	assert_int_equal(cacheindex_sweep(cache, &bytes, &err), 3);
	assert_int_equal(bytes, 60);
	assert_int_equal(access(fs_path_join(&a, cache, rel), F_OK), 0);
	assert_int_equal(access(fs_path_join(&a, cache, "cas/ab/cd"), F_OK), 0);
	assert_int_equal(cacheindex_sweep(cache, &bytes, &err), 0);
	arena_free(&a);
	rmcache(cache);
}

/* Two processes record at once, each many entries; a third folds while they write.
 * Nothing is lost or counted twice. */
static void
test_concurrent_writers(void **state)
{
	char *cache = mkcache();
	CacheIndex *ix;
	Err err;
	pid_t kids[2];
	int k, i;

	(void)state;
	for (k = 0; k < 2; k++)
		for (i = 0; i < 200; i++) {
			char rel[64];

			snprintf(rel, sizeof(rel), "cas/%02x/k%di%d", i % 16, k, i);
			put(cache, rel, (size_t)(k + 1));
		}
	for (k = 0; k < 2; k++) {
		if ((kids[k] = fork()) == 0) {
			for (i = 0; i < 200; i++) {
				char rel[64];

				snprintf(rel, sizeof(rel), "cas/%02x/k%di%d", i % 16, k, i);
				note(cache, 'A', i, rel, (uint64_t)(k + 1), NULL);
				if (i % 50 == 0) {
					/* fold what finished processes left, while the other writes */
					CacheIndex *cix;
					Err e;

					if ((cacheindex_open(&cix, cache, &e) != 0 && fprintf(stderr, "open: %s\n", e.msg)) ||
					    (cacheindex_merge(cix, &e) < 0 && fprintf(stderr, "merge: %s\n", e.msg)))
						_exit(1);
					cacheindex_close(cix);
				}
			}
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		int status;

		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ix = open_ix(cache);
	/* a writer may have folded the other's journal already: what counts is the sum */
	assert_true(cacheindex_merge(ix, &err) >= 0);
	assert_int_equal(cacheindex_merge(ix, &err), 0);
	assert_int_equal(totals(ix).entries, 400);
	assert_int_equal(totals(ix).bytes, 200 * 1 + 200 * 2);
	cacheindex_close(ix);
	rmcache(cache);
}

/* A process killed in the middle of a write transaction leaves the index as its last
 * commit: the rows and the totals agree. A merger killed after claiming a journal
 * leaves a claim that the next merge folds. */
static void
test_killed_transaction(void **state)
{
	char *cache = mkcache();
	CacheIndex *ix;
	Err err;
	pid_t pid;
	int fds[2];
	char c;
	sqlite3 *db;
	char path[4096];
	sqlite3_stmt *s;

	(void)state;
	put(cache, "wheels/keep/f", 5);
	if ((pid = fork()) == 0) {
		note(cache, 'A', 10, "wheels/keep", 5, NULL);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	ix = open_ix(cache);
	assert_int_equal(cacheindex_merge(ix, &err), 1);
	cacheindex_close(ix);
	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		snprintf(path, sizeof(path), "%s/index.db", cache);
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO entries VALUES('wheels/half', 'wheels',"
				 " NULL, 1000, 1); DELETE FROM entries WHERE path = 'wheels/keep';", NULL,
				 NULL, NULL) != SQLITE_OK)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ix = open_ix(cache);
	assert_int_equal(totals(ix).entries, 1);
	assert_int_equal(totals(ix).bytes, 5);
	cacheindex_close(ix);
	snprintf(path, sizeof(path), "%s/index.db", cache);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), sum(bytes) FROM entries", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	assert_int_equal(sqlite3_column_int(s, 1), 5);
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* a claim left by a killed merger (its owner gone) is folded by the next */
	put(cache, "wheels/late/f", 7);
	snprintf(path, sizeof(path), "%s/index.d/.m-%d-feedface", cache, (int)pid);
	assert_int_equal(fs_write_atomic(path, "A 20 7 late wheels/late\n", 24, 0644, &err), 0);
	ix = open_ix(cache);
	assert_int_equal(cacheindex_merge(ix, &err), 1);
	assert_int_equal(totals(ix).entries, 2);
	assert_int_equal(totals(ix).bytes, 12);
	assert_int_not_equal(access(path, F_OK), 0);
	cacheindex_close(ix);
	rmcache(cache);
}

/* A damaged index is moved aside and made again; the lock is shared or exclusive. */
static void
test_damaged_and_lock(void **state)
{
	char *cache = mkcache();
	CacheIndex *ix;
	char path[4096];
	Err err;
	int sh1, sh2, ex;

	(void)state;
	snprintf(path, sizeof(path), "%s/index.db", cache);
	assert_int_equal(fs_write_atomic(path, "this is not a database, not at all.....", 40, 0644, &err), 0);
	ix = open_ix(cache);
	assert_false(cacheindex_adopted(ix));
	assert_int_equal(totals(ix).entries, 0);
	cacheindex_close(ix);
	snprintf(path, sizeof(path), "%s/index.db.damaged", cache);
	assert_int_equal(access(path, F_OK), 0);

	sh1 = cacheindex_lock(cache, false, false, &err);
	assert_true(sh1 >= 0);
	sh2 = cacheindex_lock(cache, false, false, &err);
	assert_true(sh2 >= 0);
	assert_int_equal(cacheindex_lock(cache, true, false, &err), -2);
	cacheindex_unlock(sh1);
	assert_int_equal(cacheindex_lock(cache, true, false, &err), -2);
	cacheindex_unlock(sh2);
	ex = cacheindex_lock(cache, true, false, &err);
	assert_true(ex >= 0);
	assert_int_equal(cacheindex_lock(cache, false, false, &err), -2);
	cacheindex_unlock(ex);
	rmcache(cache);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_touch_size),
		cmocka_unit_test(test_lru_order_and_bad_records),
		cmocka_unit_test(test_adoption),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_killed_transaction),
		cmocka_unit_test(test_damaged_and_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
