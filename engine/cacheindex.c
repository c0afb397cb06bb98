/*
 * cacheindex.c - the shared cache's bookkeeping (cacheindex.h): per-process journals
 * folded into CACHE/index.db, the adoption walk, LRU removal through a trash name.
 *
 * A journal line is "OP TIME_US BYTES NAME REL\n" (NAME "-" when unknown), written with
 * one write() to a file opened O_APPEND, so lines from several threads never mix and a
 * kill leaves at most a last line without its newline, which is ignored. Folding a
 * journal first claims it by renaming it to ".m-PID-..." (only one merger wins), applies
 * it in one transaction, and deletes it after the commit; a merger killed in between
 * leaves a claim whose owner is gone, which the next merger claims again (records are
 * idempotent: an add is an upsert, a use keeps the later time).
 */
#include "config.h"

#include "cacheindex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "dynlib.h"
#include "fs.h"

/* libsqlite3, loaded by open_db before any other call (dynlib.h) */
static const SqliteApi *
sq(void)
{
	return dynlib_sqlite(NULL);
}

#define SCHEMA_VERSION 1

struct CacheIndex {
	char *dir;
	sqlite3 *db;
	bool adopted;
};

/* ------------------------------------------------------------ small helpers */

static bool
pid_alive(long pid)
{
	if (pid <= 0)
		return false;
	if (pid == (long)getpid())
		return true;
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* Safe to put in a journal line and to join below the cache: relative, no "..", no
 * white space. */
static bool
rel_ok(const char *rel)
{
	const char *p;

	if (!rel || !*rel || *rel == '/' || strpbrk(rel, " \t\r\n"))
		return false;
	for (p = rel; *p; ) {
		size_t n = strcspn(p, "/");

		if ((n == 2 && !strncmp(p, "..", 2)) || n == 0)
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

/* The kind of an entry: its first path component. */
static char *
kind_of(const char *rel, Arena *arena)
{
	return arena_strndup(arena, rel, strcspn(rel, "/"));
}

/* The pid in a temporary name "...X.tmp-PID-..." or ".tmp-PID-...", 0 when none. */
static long
tmp_pid(const char *name, const char *marker)
{
	const char *p = strstr(name, marker);
	char *end;
	long pid;

	if (!p)
		return 0;
	p += strlen(marker);
	pid = strtol(p, &end, 10);
	if (end == p || *end != '-')
		return 0;
	return pid;
}

static uint64_t
du_at(int dirfd, const char *name)
{
	struct stat st;
	uint64_t total = 0;
	DIR *d;
	struct dirent *e;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? (uint64_t)st.st_size : 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			total += du_at(fd, e->d_name);
	closedir(d);
	return total;
}

/* The apparent size of the files and symbolic links at or below path (0 when missing). */
static uint64_t
du_path(const char *path)
{
	return du_at(AT_FDCWD, path);
}

/* ------------------------------------------------------------ the journal */

static int
journal_fold_if_many(const char *cache_dir, const char *jdir)
{
	DIR *d = opendir(jdir);
	struct dirent *e;
	size_t n = 0;
	CacheIndex *ix;
	Err err;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	if (n <= CACHEINDEX_JOURNALS_MAX)
		return 0;
	if (cacheindex_open(&ix, cache_dir, &err) != 0)
		return -1;
	(void)cacheindex_merge(ix, &err);
	cacheindex_close(ix);
	return 0;
}

int
cacheindex_note(const char *cache_dir, char op, int64_t time_us, const char *rel,
		uint64_t bytes, const char *name, Err *err)
{
	char jdir[4096], path[4200], line[4096];
	bool created = false;
	int fd, n;

	if (!cache_dir || !*cache_dir)
		return err_set(err, "no cache directory");
	if ((op != 'A' && op != 'U') || !rel_ok(rel) ||
	    (name && (!*name || strpbrk(name, " \t\r\n"))))
		return err_set(err, "bad cache index record for '%s'", rel ? rel : "");
	n = snprintf(line, sizeof(line), "%c %" PRId64 " %" PRIu64 " %s %s\n", op, time_us,
		     bytes, name ? name : "-", rel);
	if (n < 0 || (size_t)n >= sizeof(line))
		return err_set(err, "cache index record too long");
	snprintf(jdir, sizeof(jdir), "%s/index.d", cache_dir);
	snprintf(path, sizeof(path), "%s/%ld", jdir, (long)getpid());
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (fs_mkdir_p(jdir, err) != 0)
			return -1;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		created = true;
	}
	if (fd < 0)
		return err_sys(err, "cannot open %s", path);
	if (fs_write_all(fd, line, (size_t)n) != 0) {
		err_sys(err, "cannot write %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	/* Once per process that records anything: journals nobody folded do not pile up
	 * for ever on a machine where `bunpy cache` never runs. */
	if (created)
		(void)journal_fold_if_many(cache_dir, jdir);
	return 0;
}

void
cacheindex_note_add(const char *cache_dir, const char *rel, uint64_t bytes, const char *name)
{
	Err err;

	(void)cacheindex_note(cache_dir, 'A', fs_now_us(), rel, bytes, name, &err);
}

void
cacheindex_note_use(const char *cache_dir, const char *rel)
{
	Err err;

	(void)cacheindex_note(cache_dir, 'U', fs_now_us(), rel, 0, NULL, &err);
}

/* ------------------------------------------------------------ the lock */

int
cacheindex_lock(const char *cache_dir, bool exclusive, bool wait, Err *err)
{
	char path[4200];

	if (fs_mkdir_p(cache_dir, err) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.lock", cache_dir);
	return exclusive ? fs_lock(path, wait, err) : fs_lock_shared(path, wait, err);
}

void
cacheindex_unlock(int fd)
{
	fs_unlock(fd);
}

/* ------------------------------------------------------------ the database */

static int
db_err(CacheIndex *ix, Err *err, const char *what)
{
	return err_set(err, "%s/index.db: %s: %s", ix->dir, what, sq()->sqlite3_errmsg(ix->db));
}

static int
exec(CacheIndex *ix, const char *sql, Err *err)
{
	char *msg = NULL;

	if (sq()->sqlite3_exec(ix->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, "%s/index.db: %s", ix->dir, msg ? msg : sq()->sqlite3_errmsg(ix->db));
		sq()->sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static const char schema[] =
	"CREATE TABLE entries(path TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT,"
	" bytes INTEGER NOT NULL, used_us INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX entries_lru ON entries(used_us);"
	"CREATE INDEX entries_name ON entries(name) WHERE name IS NOT NULL;"
	"CREATE TABLE totals(id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL,"
	" bytes INTEGER NOT NULL);"
	"INSERT INTO totals VALUES(1, 0, 0);"
	"CREATE TRIGGER entries_ins AFTER INSERT ON entries BEGIN"
	" UPDATE totals SET entries = entries + 1, bytes = bytes + new.bytes; END;"
	"CREATE TRIGGER entries_del AFTER DELETE ON entries BEGIN"
	" UPDATE totals SET entries = entries - 1, bytes = bytes - old.bytes; END;"
	"CREATE TRIGGER entries_upd AFTER UPDATE OF bytes ON entries BEGIN"
	" UPDATE totals SET bytes = bytes - old.bytes + new.bytes; END;"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
	"PRAGMA user_version = 1;";

static int
user_version(CacheIndex *ix)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sq()->sqlite3_prepare_v2(ix->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sq()->sqlite3_step(s) == SQLITE_ROW)
		v = sq()->sqlite3_column_int(s, 0);
	sq()->sqlite3_finalize(s);
	return v;
}

static bool
meta_has(CacheIndex *ix, const char *key)
{
	sqlite3_stmt *s;
	bool has = false;

	if (sq()->sqlite3_prepare_v2(ix->db, "SELECT 1 FROM meta WHERE key = ?", -1, &s, NULL) != SQLITE_OK)
		return false;
	sq()->sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	has = sq()->sqlite3_step(s) == SQLITE_ROW;
	sq()->sqlite3_finalize(s);
	return has;
}

/* 0, -1 with err, or 1 when the file is not a database bunpy can use (damaged). */
static int
open_db(CacheIndex *ix, const char *path, Err *err)
{
	int rc, v, tries;

	if (!dynlib_sqlite(err))
		return -1;
	rc = sq()->sqlite3_open_v2(path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return db_err(ix, err, "cannot open");
	sq()->sqlite3_busy_timeout(ix->db, 30000);
	/* Switching a new database to WAL does not wait on the busy handler when another
	 * process is making it at the same moment: retry for a while. */
	for (tries = 0; (rc = sq()->sqlite3_exec(ix->db, "PRAGMA journal_mode = WAL", NULL, NULL,
					   NULL)) == SQLITE_BUSY && tries < 500; tries++)
		usleep(10000);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return 1;
	if (rc != SQLITE_OK)
		return db_err(ix, err, "cannot open");
	if (exec(ix, "PRAGMA synchronous = NORMAL", err) != 0)
		return -1;
	if ((v = user_version(ix)) < 0)
		return 1;
	if (v == 0) {
		if (exec(ix, "BEGIN IMMEDIATE", err) != 0)
			return -1;
		if (user_version(ix) == 0 && exec(ix, schema, err) != 0) {
			sq()->sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (exec(ix, "COMMIT", err) != 0)
			return -1;
	} else if (v != SCHEMA_VERSION) {
		return err_set(err, "%s is of a newer bunpy (schema %d)", path, v);
	}
	ix->adopted = meta_has(ix, "adopted");
	return 0;
}

int
cacheindex_open(CacheIndex **out, const char *cache_dir, Err *err)
{
	CacheIndex *ix = xcalloc(1, sizeof(*ix));
	Buf path = { 0 }, aside = { 0 };
	int rc;

	*out = NULL;
	ix->dir = xstrdup(cache_dir);
	if (fs_mkdir_p(cache_dir, err) != 0) {
		cacheindex_close(ix);
		return -1;
	}
	buf_printf(&path, "%s/index.db", cache_dir);
	rc = open_db(ix, path.data, err);
	if (rc == 1) {
		/* Damaged: move it aside and start again; the adoption walk rebuilds it. */
		sq()->sqlite3_close(ix->db);
		ix->db = NULL;
		buf_printf(&aside, "%s.damaged", path.data);
		rename(path.data, aside.data);
		buf_clear(&aside);
		buf_printf(&aside, "%s-wal", path.data);
		unlink(aside.data);
		buf_clear(&aside);
		buf_printf(&aside, "%s-shm", path.data);
		unlink(aside.data);
		rc = open_db(ix, path.data, err);
		if (rc == 1)
			rc = err_set(err, "%s: cannot make a new index", path.data);
	}
	buf_free(&path);
	buf_free(&aside);
	if (rc != 0) {
		cacheindex_close(ix);
		return -1;
	}
	*out = ix;
	return 0;
}

void
cacheindex_close(CacheIndex *ix)
{
	if (!ix)
		return;
	if (ix->db)
		sq()->sqlite3_close(ix->db);
	free(ix->dir);
	free(ix);
}

bool
cacheindex_adopted(CacheIndex *ix)
{
	return ix->adopted;
}

/* ------------------------------------------------------------ applying records */

typedef struct Apply {
	CacheIndex *ix;
	sqlite3_stmt *upsert, *use, *has;
	Arena arena;
} Apply;

static int
apply_begin(Apply *ap, CacheIndex *ix, Err *err)
{
	memset(ap, 0, sizeof(*ap));
	ap->ix = ix;
	if (sq()->sqlite3_prepare_v2(ix->db,
			       "INSERT INTO entries(path, kind, name, bytes, used_us) VALUES(?, ?, ?, ?, ?)"
			       " ON CONFLICT(path) DO UPDATE SET bytes = excluded.bytes,"
			       " name = coalesce(excluded.name, name),"
			       " used_us = max(used_us, excluded.used_us)", -1, &ap->upsert, NULL) != SQLITE_OK ||
	    sq()->sqlite3_prepare_v2(ix->db, "UPDATE entries SET used_us = max(used_us, ?) WHERE path = ?",
			       -1, &ap->use, NULL) != SQLITE_OK ||
	    sq()->sqlite3_prepare_v2(ix->db, "SELECT 1 FROM entries WHERE path = ?", -1, &ap->has,
			       NULL) != SQLITE_OK)
		return db_err(ix, err, "cannot prepare");
	return 0;
}

static void
apply_end(Apply *ap)
{
	sq()->sqlite3_finalize(ap->upsert);
	sq()->sqlite3_finalize(ap->use);
	sq()->sqlite3_finalize(ap->has);
	arena_free(&ap->arena);
}

static bool
row_exists(Apply *ap, const char *rel)
{
	bool has;

	sq()->sqlite3_reset(ap->has);
	sq()->sqlite3_bind_text(ap->has, 1, rel, -1, SQLITE_TRANSIENT);
	has = sq()->sqlite3_step(ap->has) == SQLITE_ROW;
	sq()->sqlite3_reset(ap->has);
	return has;
}

static int
upsert(Apply *ap, const char *rel, const char *name, uint64_t bytes, int64_t used, Err *err)
{
	sqlite3_stmt *s = ap->upsert;

	sq()->sqlite3_reset(s);
	sq()->sqlite3_bind_text(s, 1, rel, -1, SQLITE_TRANSIENT);
	sq()->sqlite3_bind_text(s, 2, kind_of(rel, &ap->arena), -1, SQLITE_TRANSIENT);
	if (name)
		sq()->sqlite3_bind_text(s, 3, name, -1, SQLITE_TRANSIENT);
	else
		sq()->sqlite3_bind_null(s, 3);
	sq()->sqlite3_bind_int64(s, 4, (sqlite3_int64)bytes);
	sq()->sqlite3_bind_int64(s, 5, used);
	if (sq()->sqlite3_step(s) != SQLITE_DONE)
		return db_err(ap->ix, err, "cannot record an entry");
	sq()->sqlite3_reset(s);
	return 0;
}

/* One journal line. Records of entries that are gone by now are dropped; a use of an
 * entry the index does not know makes its row (sized now). */
static int
apply_line(Apply *ap, char *line, Err *err)
{
	char op, name[512], rel[3072];
	long long t;
	unsigned long long bytes;
	char *abs;
	struct stat st;

	if (sscanf(line, "%c %lld %llu %511s %3071s", &op, &t, &bytes, name, rel) != 5 ||
	    !rel_ok(rel))
		return 0;
	abs = arena_printf(&ap->arena, "%s/%s", ap->ix->dir, rel);
	if (lstat(abs, &st) != 0)
		return 0;
	if (op == 'A')
		return upsert(ap, rel, strcmp(name, "-") ? name : NULL, bytes, t, err);
	if (op != 'U')
		return 0;
	if (!row_exists(ap, rel))
		return upsert(ap, rel, NULL, du_path(abs), t, err);
	sq()->sqlite3_reset(ap->use);
	sq()->sqlite3_bind_int64(ap->use, 1, t);
	sq()->sqlite3_bind_text(ap->use, 2, rel, -1, SQLITE_TRANSIENT);
	if (sq()->sqlite3_step(ap->use) != SQLITE_DONE)
		return db_err(ap->ix, err, "cannot record a use");
	sq()->sqlite3_reset(ap->use);
	return 0;
}

static int
apply_file(Apply *ap, const char *path, size_t *records, Err *err)
{
	Buf text = { 0 };
	char *p, *nl;
	int rc = 0;

	if (fs_read_file(path, &text, NULL) != 0)
		return 0;
	for (p = text.data; rc == 0 && p && (nl = memchr(p, '\n', text.len - (size_t)(p - text.data)));
	     p = nl + 1) {
		*nl = '\0';
		rc = apply_line(ap, p, err);
		(*records)++;
	}
	buf_free(&text);
	return rc;
}

/* Claim a journal for folding: journals of processes that are gone, and claims of
 * mergers that are gone. */
static bool
claimable(const char *name)
{
	char *end;
	long pid;

	if (!strncmp(name, ".m-", 3)) {
		pid = strtol(name + 3, &end, 10);
		return end != name + 3 && *end == '-' && !pid_alive(pid);
	}
	pid = strtol(name, &end, 10);
	return end != name && !*end && !pid_alive(pid);
}

/* ".m-PID-RANDOM": random, so that two threads or a reused pid never meet. */
static void
claim_name(Buf *out, const char *jdir)
{
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		int64_t t = fs_monotonic_us();

		memcpy(r, &t, sizeof(r));
	}
	buf_printf(out, "%s/.m-%ld-", jdir, (long)getpid());
	for (i = 0; i < sizeof(r); i++)
		buf_printf(out, "%02x", r[i]);
}

int
cacheindex_merge(CacheIndex *ix, Err *err)
{
	Buf jdir = { 0 }, from = { 0 }, to = { 0 };
	char **claimed = NULL;
	size_t nclaimed = 0, cap = 0, records = 0, i;
	DIR *d;
	struct dirent *e;
	Apply ap;
	int rc = 0;

	buf_printf(&jdir, "%s/index.d", ix->dir);
	if (!(d = opendir(jdir.data))) {
		buf_free(&jdir);
		return 0;
	}
	while ((e = readdir(d))) {
		if (!claimable(e->d_name))
			continue;
		buf_clear(&from);
		buf_clear(&to);
		buf_printf(&from, "%s/%s", jdir.data, e->d_name);
		claim_name(&to, jdir.data);
		if (rename(from.data, to.data) != 0)
			continue;   /* another merger took it */
		xgrow(&claimed, &cap, nclaimed + 1, sizeof(*claimed));
		claimed[nclaimed++] = buf_detach(&to);
	}
	closedir(d);
	if (nclaimed) {
		if (exec(ix, "BEGIN IMMEDIATE", err) != 0 || apply_begin(&ap, ix, err) != 0) {
			rc = -1;
		} else {
			for (i = 0; rc == 0 && i < nclaimed; i++)
				rc = apply_file(&ap, claimed[i], &records, err);
			apply_end(&ap);
			if (rc == 0)
				rc = exec(ix, "COMMIT", err);
			else
				sq()->sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
		}
		/* Deleted only once committed: a kill before leaves claims to fold again. */
		for (i = 0; i < nclaimed; i++) {
			if (rc == 0)
				unlink(claimed[i]);
			free(claimed[i]);
		}
	}
	free(claimed);
	buf_free(&jdir);
	buf_free(&from);
	buf_free(&to);
	return rc == 0 ? (int)records : -1;
}

static int
read_totals(CacheIndex *ix, CacheTotals *out, Err *err)
{
	sqlite3_stmt *s;

	if (sq()->sqlite3_prepare_v2(ix->db, "SELECT entries, bytes FROM totals WHERE id = 1", -1, &s,
			       NULL) != SQLITE_OK)
		return db_err(ix, err, "cannot read the totals");
	memset(out, 0, sizeof(*out));
	if (sq()->sqlite3_step(s) == SQLITE_ROW) {
		out->entries = (uint64_t)sq()->sqlite3_column_int64(s, 0);
		out->bytes = (uint64_t)sq()->sqlite3_column_int64(s, 1);
	}
	sq()->sqlite3_finalize(s);
	return 0;
}

int
cacheindex_totals(CacheIndex *ix, CacheTotals *out, Err *err)
{
	Buf jdir = { 0 }, path = { 0 };
	DIR *d;
	struct dirent *e;
	Apply ap;
	size_t records = 0;
	int rc = 0;

	/* Journals of running processes count too, applied in a transaction that is then
	 * rolled back: they stay theirs to append to. */
	buf_printf(&jdir, "%s/index.d", ix->dir);
	if (!(d = opendir(jdir.data))) {
		buf_free(&jdir);
		return read_totals(ix, out, err);
	}
	if (exec(ix, "BEGIN", err) != 0) {
		closedir(d);
		buf_free(&jdir);
		return -1;
	}
	if (apply_begin(&ap, ix, err) != 0) {
		(void)exec(ix, "ROLLBACK", NULL);
		closedir(d);
		buf_free(&jdir);
		return -1;
	}
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		buf_clear(&path);
		buf_printf(&path, "%s/%s", jdir.data, e->d_name);
		rc = apply_file(&ap, path.data, &records, err);
	}
	closedir(d);
	apply_end(&ap);
	if (rc == 0)
		rc = read_totals(ix, out, err);
	sq()->sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	buf_free(&jdir);
	buf_free(&path);
	return rc;
}

/* ------------------------------------------------------------ adoption */

static bool
skip_name(const char *name)
{
	return name[0] == '.' || strstr(name, ".tmp-") != NULL;
}

static bool
is_dir(const char *dir, const struct dirent *e)
{
	char path[4200];
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A fan-out directory: two hex digits ("cas/ab/"). */
static bool
is_fanout(const char *dir, const struct dirent *e)
{
	static const char hex[] = "0123456789abcdef";
	const char *name = e->d_name;

	return strlen(name) == 2 && strchr(hex, name[0]) && strchr(hex, name[1]) && is_dir(dir, e);
}

typedef struct Walk {
	Apply ap;
	CacheNamer namer;
	void *namer_ctx;
	CacheAdoption *out;
} Walk;

static int
adopt_one(Walk *w, const char *rel, Err *err)
{
	char *abs;
	struct stat st;
	const char *name = NULL;
	uint64_t bytes;

	if (row_exists(&w->ap, rel))
		return 0;
	abs = arena_printf(&w->ap.arena, "%s/%s", w->ap.ix->dir, rel);
	if (lstat(abs, &st) != 0)
		return 0;
	bytes = du_path(abs);
	if (w->namer)
		name = w->namer(w->namer_ctx, kind_of(rel, &w->ap.arena), abs, &w->ap.arena);
	if (name && (!*name || strpbrk(name, " \t\r\n")))
		name = NULL;
	w->out->adopted++;
	w->out->adopted_bytes += bytes;
	return upsert(&w->ap, rel, name, bytes,
		      (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000, err);
}

static int
walk_dir(Walk *w, const char *rel, int depth, Err *err)
{
	char *abs = arena_printf(&w->ap.arena, "%s/%s", w->ap.ix->dir, rel);
	DIR *d = opendir(abs);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		char *child;

		if (skip_name(e->d_name))
			continue;
		child = arena_printf(&w->ap.arena, "%s/%s", rel, e->d_name);
		if (depth == 0 && is_fanout(abs, e))
			rc = walk_dir(w, child, 1, err);
		else
			rc = adopt_one(w, child, err);
	}
	closedir(d);
	return rc;
}

/* Rows whose entry is gone. */
static int
forget_missing(Walk *w, Err *err)
{
	sqlite3_stmt *s, *del;
	int rc = 0;

	if (sq()->sqlite3_prepare_v2(w->ap.ix->db, "SELECT path FROM entries", -1, &s, NULL) != SQLITE_OK)
		return db_err(w->ap.ix, err, "cannot list entries");
	if (sq()->sqlite3_prepare_v2(w->ap.ix->db, "DELETE FROM entries WHERE path = ?", -1, &del,
			       NULL) != SQLITE_OK) {
		sq()->sqlite3_finalize(s);
		return db_err(w->ap.ix, err, "cannot prepare");
	}
	while (rc == 0 && sq()->sqlite3_step(s) == SQLITE_ROW) {
		const char *rel = (const char *)sq()->sqlite3_column_text(s, 0);
		struct stat st;

		if (lstat(arena_printf(&w->ap.arena, "%s/%s", w->ap.ix->dir, rel), &st) == 0)
			continue;
		sq()->sqlite3_reset(del);
		sq()->sqlite3_bind_text(del, 1, rel, -1, SQLITE_TRANSIENT);
		if (sq()->sqlite3_step(del) != SQLITE_DONE)
			rc = db_err(w->ap.ix, err, "cannot forget an entry");
		w->out->forgotten++;
	}
	sq()->sqlite3_finalize(s);
	sq()->sqlite3_finalize(del);
	return rc;
}

int
cacheindex_adopt(CacheIndex *ix, CacheNamer namer, void *namer_ctx, CacheAdoption *out, Err *err)
{
	Walk w = { .namer = namer, .namer_ctx = namer_ctx, .out = out };
	DIR *d;
	struct dirent *e;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (exec(ix, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (apply_begin(&w.ap, ix, err) != 0) {
		sq()->sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if ((d = opendir(ix->dir))) {
		while (rc == 0 && (e = readdir(d))) {
			struct stat st;
			char *abs;

			if (skip_name(e->d_name) || !strcmp(e->d_name, "index.d") ||
			    !strncmp(e->d_name, "index.db", 8))
				continue;
			abs = arena_printf(&w.ap.arena, "%s/%s", ix->dir, e->d_name);
			if (lstat(abs, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			rc = walk_dir(&w, e->d_name, 0, err);
		}
		closedir(d);
	}
	if (rc == 0)
		rc = forget_missing(&w, err);
	apply_end(&w.ap);
	if (rc == 0)
		rc = exec(ix, "INSERT OR REPLACE INTO meta(key, value) VALUES('adopted', 1)", err);
	if (rc == 0)
		rc = exec(ix, "COMMIT", err);
	else
		sq()->sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc == 0)
		ix->adopted = true;
	return rc;
}

/* ------------------------------------------------------------ listing, removing */

int
cacheindex_list(CacheIndex *ix, const char *name, Arena *arena, CacheEntry **out, size_t *n,
		Err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	CacheEntry *v = NULL;

	*out = NULL;
	*n = 0;
	if (sq()->sqlite3_prepare_v2(ix->db, name ?
			       "SELECT path, kind, name, bytes, used_us FROM entries WHERE name = ?"
			       " ORDER BY used_us, path" :
			       "SELECT path, kind, name, bytes, used_us FROM entries ORDER BY used_us, path",
			       -1, &s, NULL) != SQLITE_OK)
		return db_err(ix, err, "cannot list entries");
	if (name)
		sq()->sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	while (sq()->sqlite3_step(s) == SQLITE_ROW) {
		CacheEntry *e;
		const char *nm = (const char *)sq()->sqlite3_column_text(s, 2);

		if (*n == cap) {
			CacheEntry *bigger;

			cap = cap ? cap * 2 : 64;
			bigger = arena_alloc(arena, cap * sizeof(*bigger));
			if (*n)
				memcpy(bigger, v, *n * sizeof(*v));
			v = bigger;
		}
		e = &v[(*n)++];
		e->path = arena_strdup(arena, (const char *)sq()->sqlite3_column_text(s, 0));
		e->kind = arena_strdup(arena, (const char *)sq()->sqlite3_column_text(s, 1));
		e->name = nm ? arena_strdup(arena, nm) : NULL;
		e->bytes = (uint64_t)sq()->sqlite3_column_int64(s, 3);
		e->used_us = sq()->sqlite3_column_int64(s, 4);
	}
	sq()->sqlite3_finalize(s);
	*out = v;
	return 0;
}

int
cacheindex_remove(CacheIndex *ix, const CacheEntry *entries, size_t n, Err *err)
{
	Arena arena = { 0 };
	sqlite3_stmt *del = NULL;
	char *trash;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	trash = arena_printf(&arena, "%s/.trash-%ld-XXXXXX", ix->dir, (long)getpid());
	if (!mkdtemp(trash)) {
		err_sys(err, "cannot create a directory in %s", ix->dir);
		arena_free(&arena);
		return -1;
	}
	if (exec(ix, "BEGIN IMMEDIATE", err) != 0)
		rc = -1;
	else if (sq()->sqlite3_prepare_v2(ix->db, "DELETE FROM entries WHERE path = ?", -1, &del,
				    NULL) != SQLITE_OK)
		rc = db_err(ix, err, "cannot prepare");
	for (i = 0; rc == 0 && i < n; i++) {
		const char *abs, *to;

		if (!rel_ok(entries[i].path))
			continue;
		abs = arena_printf(&arena, "%s/%s", ix->dir, entries[i].path);
		to = arena_printf(&arena, "%s/%zu", trash, i);
		/* The rename is the deletion as other processes see it: the entry is whole
		 * or gone, never half removed. */
		if (rename(abs, to) != 0 && errno != ENOENT) {
			rc = err_sys(err, "cannot remove %s", abs);
			break;
		}
		sq()->sqlite3_reset(del);
		sq()->sqlite3_bind_text(del, 1, entries[i].path, -1, SQLITE_TRANSIENT);
		if (sq()->sqlite3_step(del) != SQLITE_DONE)
			rc = db_err(ix, err, "cannot forget an entry");
	}
	sq()->sqlite3_finalize(del);
	if (rc == 0)
		rc = exec(ix, "COMMIT", err);
	else
		sq()->sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	/* Entries renamed before a failure are gone all the same; their rows, rolled
	 * back, are forgotten by the next adoption walk. */
	{
		Err ignored;

		if (fs_remove_tree(trash, &ignored) != 0 && rc == 0)
			rc = err_set(err, "%s", ignored.msg);
	}
	arena_free(&arena);
	return rc;
}

/* ------------------------------------------------------------ leftovers */

bool
cacheindex_abandoned(const char *name, const char *marker)
{
	long pid = tmp_pid(name, marker);

	return pid > 0 && !pid_alive(pid);
}

static int
sweep_dir(const char *dir, int depth, uint64_t *count, uint64_t *bytes, Err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	Buf child = { 0 };
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_clear(&child);
		buf_printf(&child, "%s/%s", dir, e->d_name);
		if (depth == 0 ? !strncmp(e->d_name, ".trash-", 7) && cacheindex_abandoned(e->d_name, ".trash-") :
		    cacheindex_abandoned(e->d_name, ".tmp-")) {
			*bytes += du_path(child.data);
			if (fs_remove_tree(child.data, err) != 0) {
				rc = -1;
				break;
			}
			(*count)++;
			continue;
		}
		if (depth < 2 && e->d_name[0] != '.' &&
		    (depth == 0 ? strcmp(e->d_name, "index.d") != 0 && is_dir(dir, e) : is_fanout(dir, e)))
			rc = sweep_dir(child.data, depth + 1, count, bytes, err);
	}
	closedir(d);
	buf_free(&child);
	return rc;
}

int
cacheindex_sweep(const char *cache_dir, uint64_t *bytes, Err *err)
{
	uint64_t count = 0;

	*bytes = 0;
	if (sweep_dir(cache_dir, 0, &count, bytes, err) != 0)
		return -1;
	return (int)count;
}
