/*
 * store.c - SQLite persistence for the engine.
 */
#include "config.h"

#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dynlib.h"
#include "fs.h"

/* libsqlite3, opened by store_open (dynlib.h): every call below runs after it
 * succeeded. */
static const SqliteApi *
sq(void)
{
	return dynlib_sqlite(NULL);
}

/* A WAL bigger than this is folded into the database when the store closes, which
 * keeps both the WAL and the work of reading it at the next open small. */
#define WAL_FOLD_BYTES (4 << 20)

enum {
	Q_KIND_INSERT,
	Q_KIND_SELECT,
	Q_NODE_PUT,
	Q_NODE_PUT_DATA,
	Q_NODE_DATA,
	Q_HIST_ADD,
	Q_HIST_PRUNE,
	Q_HIST_LOAD,
	Q_HIST_GET,
	Q_RUN_ADD,
	Q_RUN_PRUNE,
	Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
	[Q_KIND_INSERT] = "INSERT OR IGNORE INTO kinds(name) VALUES (?1)",
	[Q_KIND_SELECT] = "SELECT id FROM kinds WHERE name = ?1",
	[Q_NODE_PUT] =
		"INSERT INTO nodes(id, kind, key, status, rule_version, value, stat, trace,"
		" outputs, duration_us, gen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12)"
		" ON CONFLICT(id) DO UPDATE SET status = ?4, rule_version = ?5, value = ?6,"
		" stat = ?7, trace = ?8, outputs = ?9, duration_us = ?10, gen = ?12",
	[Q_NODE_PUT_DATA] =
		"INSERT INTO nodes(id, kind, key, status, rule_version, value, stat, trace,"
		" outputs, duration_us, data, gen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12) ON CONFLICT(id) DO UPDATE SET status = ?4, rule_version = ?5, value = ?6,"
		" stat = ?7, trace = ?8, outputs = ?9, duration_us = ?10, data = ?11, gen = ?12",
	[Q_NODE_DATA] = "SELECT data FROM nodes WHERE id = ?1",
	[Q_HIST_ADD] =
		"INSERT OR REPLACE INTO history(node, trace_hash, rule_version, value, trace,"
		" outputs, data, used_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_HIST_PRUNE] =
		"DELETE FROM history WHERE node = ?1 AND trace_hash NOT IN"
		" (SELECT trace_hash FROM history WHERE node = ?1 ORDER BY used_us DESC LIMIT ?2)",
	[Q_HIST_LOAD] =
		"SELECT trace_hash, rule_version, value, trace, outputs, data, used_us"
		" FROM history WHERE node = ?1 ORDER BY used_us DESC",
	[Q_HIST_GET] =
		"SELECT trace_hash, rule_version, value, trace, outputs, data, used_us"
		" FROM history WHERE node = ?1 AND trace_hash = ?2",
	[Q_RUN_ADD] =
		"INSERT INTO runs(started_us, ended_us, command, status, records)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_RUN_PRUNE] =
		"DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?1)",
};

/* Migration i takes the schema from version i to i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE kinds(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE nodes("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  rule_version INTEGER NOT NULL,"
	"  value BLOB,"
	"  stat BLOB,"
	"  trace BLOB,"
	"  outputs BLOB,"
	"  duration_us INTEGER NOT NULL DEFAULT 0,"
	"  data BLOB,"
	"  gen INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX nodes_by_name ON nodes(kind, key);"
	"CREATE INDEX nodes_by_gen ON nodes(gen);"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"INSERT INTO meta VALUES ('id', randomblob(16));"
	"CREATE TABLE history("
	"  node INTEGER NOT NULL,"
	"  trace_hash BLOB NOT NULL,"
	"  rule_version INTEGER NOT NULL,"
	"  value BLOB NOT NULL,"
	"  trace BLOB,"
	"  outputs BLOB,"
	"  data BLOB,"
	"  used_us INTEGER NOT NULL,"
	"  PRIMARY KEY(node, trace_hash)) WITHOUT ROWID;"
	"CREATE TABLE runs("
	"  id INTEGER PRIMARY KEY,"
	"  started_us INTEGER NOT NULL,"
	"  ended_us INTEGER NOT NULL,"
	"  command TEXT NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  records BLOB NOT NULL);",
};

struct Store {
	sqlite3 *db;
	int64_t gen;                 /* of the newest rows; a transaction writes gen + 1 */
	bool wrote_rows;             /* the open transaction wrote node rows */
	unsigned char id[16];
	sqlite3_stmt *q[Q_COUNT];
	char *path;
	char notice[2048];
	bool readonly;
};

static int step_done(Store *st, sqlite3_stmt *s, Err *err, const char *what);

static int
db_error(Store *st, Err *err, const char *what)
{
	return err_set(err, "%s: %s: %s", st->path, what, sq()->sqlite3_errmsg(st->db));
}

static int
exec(Store *st, const char *sql, Err *err)
{
	char *msg = NULL;

	if (sq()->sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, "%s: %s", st->path, msg ? msg : sq()->sqlite3_errmsg(st->db));
		sq()->sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
schema_version(Store *st, int *version, Err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sq()->sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "reading schema version");
	rc = sq()->sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sq()->sqlite3_column_int(s, 0) : 0;
	sq()->sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "reading schema version");
	return 0;
}

static int
migrate(Store *st, Err *err)
{
	int version, n = (int)(sizeof(migrations) / sizeof(migrations[0]));
	char sql[64];

	if (schema_version(st, &version, err) != 0)
		return -1;
	if (version > n)
		return err_set(err, "%s was written by a newer bunpy (schema %d, this one knows %d)"
			       ERR_HINT "delete the .bunpy directory to start over", st->path, version, n);
	if (version == n)
		return 0;
	if (st->readonly)
		return err_set(err, "%s needs upgrading" ERR_HINT "run a build first", st->path);
	if (exec(st, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	for (; version < n; version++) {
		if (exec(st, migrations[version], err) != 0) {
			store_rollback(st);
			return -1;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", n);
	if (exec(st, sql, err) != 0 || exec(st, "COMMIT", err) != 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

static int
open_db(Store *st, Err *err)
{
	int flags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int i;

	/* NOMUTEX: only the engine's coordinator thread uses the connection, so SQLite
	 * need not lock around every call (that lock cost a third of a no-op build). */
	if (sq()->sqlite3_open_v2(st->path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return db_error(st, err, "cannot open");
	sq()->sqlite3_busy_timeout(st->db, 10000);
	if (!st->readonly) {
		/* WAL keeps readers (bunpy graph) going while a build writes. NORMAL
		 * synchronisation survives kill -9; only a power loss may drop the last
		 * transactions, and those are rebuilt. */
		int on = 1;

		if (exec(st, "PRAGMA journal_mode = WAL", err) != 0 ||
		    exec(st, "PRAGMA synchronous = NORMAL", err) != 0)
			return -1;
		/* By default the last connection to close copies the WAL into the database
		 * and deletes it, and the next run creates it again: three syncs per run, a
		 * fifth of a small no-op build. The WAL stays instead, and is folded in
		 * when it has grown (close_db). */
		sq()->sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
		sq()->sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	}
	/* Reads through a memory map instead of a pread per page. */
	if (exec(st, "PRAGMA mmap_size = 1073741824", err) != 0 ||
	    exec(st, "PRAGMA temp_store = MEMORY", err) != 0 || migrate(st, err) != 0)
		return -1;
	{
		sqlite3_stmt *g;

		if (sq()->sqlite3_prepare_v2(st->db, "SELECT max(gen), (SELECT value FROM meta WHERE"
				       " key = 'id') FROM nodes", -1, &g, NULL) != SQLITE_OK)
			return db_error(st, err, "reading the generation");
		if (sq()->sqlite3_step(g) == SQLITE_ROW) {
			st->gen = sq()->sqlite3_column_int64(g, 0);
			if (sq()->sqlite3_column_bytes(g, 1) == 16)
				memcpy(st->id, sq()->sqlite3_column_blob(g, 1), 16);
		}
		sq()->sqlite3_finalize(g);
	}
	for (i = 0; i < Q_COUNT; i++) {
		if (st->readonly && i != Q_KIND_SELECT && i != Q_NODE_DATA && i != Q_HIST_LOAD &&
		    i != Q_HIST_GET)
			continue;
		if (sq()->sqlite3_prepare_v3(st->db, query_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->q[i], NULL) != SQLITE_OK)
			return db_error(st, err, "preparing queries");
	}
	return 0;
}

static void
close_db(Store *st)
{
	int i;

	for (i = 0; i < Q_COUNT; i++) {
		sq()->sqlite3_finalize(st->q[i]);
		st->q[i] = NULL;
	}
	if (st->db && !st->readonly) {
		Buf wal = { 0 };
		struct stat sb;

		buf_printf(&wal, "%s-wal", st->path);
		if (stat(wal.data, &sb) == 0 && sb.st_size > WAL_FOLD_BYTES) {
			/* not worth waiting for a reader: a later close folds it in */
			sq()->sqlite3_busy_timeout(st->db, 0);
			sq()->sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		}
		buf_free(&wal);
	}
	sq()->sqlite3_close(st->db);
	st->db = NULL;
}

int
store_open(Store **out, const char *path, bool readonly, Err *err)
{
	Store *st;
	int code;

	if (!dynlib_sqlite(err))
		return -1;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->readonly = readonly;
	*out = NULL;
	if (open_db(st, err) == 0) {
		*out = st;
		return 0;
	}
	code = st->db ? sq()->sqlite3_errcode(st->db) : SQLITE_ERROR;
	close_db(st);
	if (!readonly && (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)) {
		char aside[4096];
		const char *suffixes[] = { "-wal", "-shm" };
		size_t i;

		snprintf(aside, sizeof(aside), "%s.damaged", path);
		rename(path, aside);
		for (i = 0; i < 2; i++) {
			char side[4096];

			snprintf(side, sizeof(side), "%s%s", path, suffixes[i]);
			unlink(side);
		}
		snprintf(st->notice, sizeof(st->notice),
			 "%.900s was damaged; moved it to %.900s and started a fresh one", path, aside);
		if (open_db(st, err) == 0) {
			*out = st;
			return 0;
		}
		close_db(st);
	}
	free(st->path);
	free(st);
	return -1;
}

void
store_close(Store *st)
{
	if (!st)
		return;
	close_db(st);
	free(st->path);
	free(st);
}

int64_t
store_generation(const Store *st)
{
	return st->gen;
}

const unsigned char *
store_id(const Store *st)
{
	return st->id;
}

const char *
store_notice(const Store *st)
{
	return st->notice[0] ? st->notice : NULL;
}

int
store_load_kinds(Store *st, int (*cb)(void *ctx, uint32_t id, const char *name), void *ctx,
		 Err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sq()->sqlite3_prepare_v2(st->db, "SELECT id, name FROM kinds", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "loading kinds");
	while ((rc = sq()->sqlite3_step(s)) == SQLITE_ROW) {
		if (cb(ctx, (uint32_t)sq()->sqlite3_column_int(s, 0),
		       (const char *)sq()->sqlite3_column_text(s, 1)) != 0) {
			sq()->sqlite3_finalize(s);
			return -1;
		}
	}
	sq()->sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_error(st, err, "loading kinds");
}

int
store_kind_id(Store *st, const char *name, uint32_t *id, Err *err)
{
	sqlite3_stmt *ins = st->q[Q_KIND_INSERT], *sel = st->q[Q_KIND_SELECT];
	int rc;

	if (ins) {
		sq()->sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
		rc = sq()->sqlite3_step(ins);
		sq()->sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			return db_error(st, err, "adding a kind");
	}
	sq()->sqlite3_bind_text(sel, 1, name, -1, SQLITE_STATIC);
	rc = sq()->sqlite3_step(sel);
	if (rc == SQLITE_ROW)
		*id = (uint32_t)sq()->sqlite3_column_int(sel, 0);
	sq()->sqlite3_reset(sel);
	if (rc != SQLITE_ROW)
		return ins ? db_error(st, err, "reading a kind") :
			     err_set(err, "%s: no node of kind '%s'", st->path, name);
	return 0;
}

int
store_load_nodes(Store *st, int64_t since, int (*cb)(void *ctx, const StoreNode *row), void *ctx,
		 Err *err)
{
	sqlite3_stmt *s;
	int rc;

	/* In no particular order: asking for id order makes SQLite scan the whole table
	 * instead of searching nodes_by_gen for the few rows newer than a snapshot; and
	 * everything is a plain scan, not an index walk with a lookup per row. */
	if (sq()->sqlite3_prepare_v2(st->db, since < 0 ?
			       "SELECT id, kind, key, status, rule_version, value, stat, trace,"
			       " outputs, duration_us FROM nodes" :
			       "SELECT id, kind, key, status, rule_version, value, stat, trace,"
			       " outputs, duration_us FROM nodes WHERE gen > ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "loading the graph");
	if (since >= 0)
		sq()->sqlite3_bind_int64(s, 1, since);
	while ((rc = sq()->sqlite3_step(s)) == SQLITE_ROW) {
		StoreNode n = {
			.id = (uint32_t)sq()->sqlite3_column_int64(s, 0),
			.kind = (uint32_t)sq()->sqlite3_column_int(s, 1),
			.key = (const char *)sq()->sqlite3_column_text(s, 2),
			.status = (uint32_t)sq()->sqlite3_column_int(s, 3),
			.rule_version = (uint32_t)sq()->sqlite3_column_int(s, 4),
			.duration_us = sq()->sqlite3_column_int64(s, 9),
		};

		if (sq()->sqlite3_column_bytes(s, 5) == 16)
			n.value = sq()->sqlite3_column_blob(s, 5);
		n.stat = sq()->sqlite3_column_blob(s, 6);
		n.stat_len = (size_t)sq()->sqlite3_column_bytes(s, 6);
		n.trace = sq()->sqlite3_column_blob(s, 7);
		n.trace_len = (size_t)sq()->sqlite3_column_bytes(s, 7);
		n.outputs = sq()->sqlite3_column_blob(s, 8);
		n.outputs_len = (size_t)sq()->sqlite3_column_bytes(s, 8);
		if (!n.key)
			n.key = "";
		if (cb(ctx, &n) != 0) {
			sq()->sqlite3_finalize(s);
			return -1;
		}
	}
	sq()->sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_error(st, err, "loading the graph");
}

int
store_get_data(Store *st, uint32_t id, Buf *out, bool *found, Err *err)
{
	sqlite3_stmt *s = st->q[Q_NODE_DATA];
	int rc;

	buf_clear(out);
	*found = false;
	sq()->sqlite3_bind_int64(s, 1, id);
	rc = sq()->sqlite3_step(s);
	if (rc == SQLITE_ROW && sq()->sqlite3_column_type(s, 0) != SQLITE_NULL) {
		buf_append(out, sq()->sqlite3_column_blob(s, 0), (size_t)sq()->sqlite3_column_bytes(s, 0));
		*found = true;
	}
	sq()->sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading node data");
	return 0;
}

int
store_begin(Store *st, Err *err)
{
	st->wrote_rows = false;
	return exec(st, "BEGIN IMMEDIATE", err);
}

int
store_commit(Store *st, Err *err)
{
	if (exec(st, "COMMIT", err) != 0)
		return -1;
	/* Only transactions that wrote rows make a generation, so that the newest
	 * generation is always max(gen) of the rows, as store_open finds it. */
	if (st->wrote_rows)
		st->gen++;
	st->wrote_rows = false;
	return 0;
}

void
store_rollback(Store *st)
{
	if (!sq()->sqlite3_get_autocommit(st->db))
		sq()->sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->wrote_rows = false;
}

static void
bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	if (p)
		sq()->sqlite3_bind_blob(s, i, n ? p : "", (int)n, SQLITE_STATIC);
	else
		sq()->sqlite3_bind_null(s, i);
}

static int
step_done(Store *st, sqlite3_stmt *s, Err *err, const char *what)
{
	int rc = sq()->sqlite3_step(s);

	sq()->sqlite3_reset(s);
	sq()->sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_error(st, err, what);
}

int
store_put_node(Store *st, const StoreNode *n, bool with_data, Err *err)
{
	sqlite3_stmt *s = st->q[with_data ? Q_NODE_PUT_DATA : Q_NODE_PUT];

	sq()->sqlite3_bind_int64(s, 1, n->id);
	sq()->sqlite3_bind_int64(s, 2, n->kind);
	sq()->sqlite3_bind_text(s, 3, n->key, -1, SQLITE_STATIC);
	sq()->sqlite3_bind_int64(s, 4, n->status);
	sq()->sqlite3_bind_int64(s, 5, n->rule_version);
	bind_blob(s, 6, n->value, 16);
	bind_blob(s, 7, n->stat, n->stat_len);
	bind_blob(s, 8, n->trace, n->trace_len);
	bind_blob(s, 9, n->outputs, n->outputs_len);
	sq()->sqlite3_bind_int64(s, 10, n->duration_us);
	if (with_data)
		bind_blob(s, 11, n->data, n->data_len);
	sq()->sqlite3_bind_int64(s, 12, st->gen + 1);
	st->wrote_rows = true;
	return step_done(st, s, err, "saving a node");
}

int
store_history_add(Store *st, const StoreHistory *h, Err *err)
{
	sqlite3_stmt *s = st->q[Q_HIST_ADD];

	sq()->sqlite3_bind_int64(s, 1, h->node);
	bind_blob(s, 2, h->trace_hash, 16);
	sq()->sqlite3_bind_int64(s, 3, h->rule_version);
	bind_blob(s, 4, h->value, 16);
	bind_blob(s, 5, h->trace, h->trace_len);
	bind_blob(s, 6, h->outputs, h->outputs_len);
	bind_blob(s, 7, h->data, h->data_len);
	sq()->sqlite3_bind_int64(s, 8, h->used_us);
	if (step_done(st, s, err, "saving a previous result") != 0)
		return -1;
	s = st->q[Q_HIST_PRUNE];
	sq()->sqlite3_bind_int64(s, 1, h->node);
	sq()->sqlite3_bind_int(s, 2, STORE_HISTORY_PER_NODE);
	return step_done(st, s, err, "pruning previous results");
}

/* Rows of the history query s (bound by the caller), through cb. */
static int
history_rows(Store *st, sqlite3_stmt *s, uint32_t node,
	     int (*cb)(void *ctx, const StoreHistory *h), void *ctx, Err *err)
{
	int rc;

	while ((rc = sq()->sqlite3_step(s)) == SQLITE_ROW) {
		StoreHistory h = {
			.node = node,
			.trace_hash = sq()->sqlite3_column_blob(s, 0),
			.rule_version = (uint32_t)sq()->sqlite3_column_int64(s, 1),
			.value = sq()->sqlite3_column_blob(s, 2),
			.trace = sq()->sqlite3_column_blob(s, 3),
			.trace_len = (size_t)sq()->sqlite3_column_bytes(s, 3),
			.outputs = sq()->sqlite3_column_blob(s, 4),
			.outputs_len = (size_t)sq()->sqlite3_column_bytes(s, 4),
			.data = sq()->sqlite3_column_blob(s, 5),
			.data_len = (size_t)sq()->sqlite3_column_bytes(s, 5),
			.used_us = sq()->sqlite3_column_int64(s, 6),
		};

		if (sq()->sqlite3_column_bytes(s, 0) != 16 || sq()->sqlite3_column_bytes(s, 2) != 16)
			continue;
		if (cb(ctx, &h) != 0)
			break;
	}
	sq()->sqlite3_reset(s);
	sq()->sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading previous results");
	return 0;
}

int
store_history_load(Store *st, uint32_t node, int (*cb)(void *ctx, const StoreHistory *h),
		   void *ctx, Err *err)
{
	sqlite3_stmt *s = st->q[Q_HIST_LOAD];

	sq()->sqlite3_bind_int64(s, 1, node);
	return history_rows(st, s, node, cb, ctx, err);
}

int
store_history_get(Store *st, uint32_t node, const void *trace_hash,
		  int (*cb)(void *ctx, const StoreHistory *h), void *ctx, Err *err)
{
	sqlite3_stmt *s = st->q[Q_HIST_GET];

	sq()->sqlite3_bind_int64(s, 1, node);
	bind_blob(s, 2, trace_hash, 16);
	return history_rows(st, s, node, cb, ctx, err);
}

int
store_run_add(Store *st, const StoreRun *run, Err *err)
{
	sqlite3_stmt *s = st->q[Q_RUN_ADD];

	sq()->sqlite3_bind_int64(s, 1, run->started_us);
	sq()->sqlite3_bind_int64(s, 2, run->ended_us);
	sq()->sqlite3_bind_text(s, 3, run->command ? run->command : "", -1, SQLITE_STATIC);
	sq()->sqlite3_bind_int(s, 4, run->status);
	bind_blob(s, 5, run->records ? run->records : "", run->records_len);
	if (step_done(st, s, err, "recording the run") != 0)
		return -1;
	s = st->q[Q_RUN_PRUNE];
	sq()->sqlite3_bind_int(s, 1, STORE_RUNS_KEPT);
	return step_done(st, s, err, "pruning old runs");
}

int
store_run_last(Store *st, StoreRun *run, Buf *out, bool *found, Err *err)
{
	sqlite3_stmt *s;
	int rc;

	*found = false;
	if (sq()->sqlite3_prepare_v2(st->db,
			       "SELECT id, started_us, ended_us, command, status, records"
			       " FROM runs ORDER BY id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "reading the last run");
	rc = sq()->sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		size_t cmd_len = (size_t)sq()->sqlite3_column_bytes(s, 3);
		size_t rec_len = (size_t)sq()->sqlite3_column_bytes(s, 5);

		buf_clear(out);
		buf_append(out, sq()->sqlite3_column_blob(s, 5), rec_len);
		buf_putc(out, '\0');
		buf_append(out, sq()->sqlite3_column_text(s, 3), cmd_len);
		run->id = sq()->sqlite3_column_int64(s, 0);
		run->started_us = sq()->sqlite3_column_int64(s, 1);
		run->ended_us = sq()->sqlite3_column_int64(s, 2);
		run->status = sq()->sqlite3_column_int(s, 4);
		run->records = out->data;
		run->records_len = rec_len;
		run->command = out->data + rec_len + 1;
		*found = true;
	}
	sq()->sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading the last run");
	return 0;
}

int
store_check(Store *st, Err *err)
{
	sqlite3_stmt *s;
	int rc;
	const char *res;

	if (sq()->sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "integrity check");
	rc = sq()->sqlite3_step(s);
	res = rc == SQLITE_ROW ? (const char *)sq()->sqlite3_column_text(s, 0) : NULL;
	if (!res || strcmp(res, "ok") != 0) {
		err_set(err, "%s: integrity check failed: %s", st->path, res ? res : sq()->sqlite3_errmsg(st->db));
		sq()->sqlite3_finalize(s);
		return -1;
	}
	sq()->sqlite3_finalize(s);
	return 0;
}
