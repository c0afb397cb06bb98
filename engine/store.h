/*
 * store.h - the project's persisted graph in SQLite (.bunpy/state.db).
 *
 * WAL mode, batched transactions, a schema version in PRAGMA user_version with forward
 * migrations. A database that is not SQLite or is damaged is moved aside and recreated:
 * the state is a cache of work, and losing it only costs a rebuild.
 *
 * Every node row carries the generation of the transaction that wrote it (each batch
 * of writes is one transaction, one generation), so that the engine can keep a snapshot
 * of the graph outside the database (graph.c) and read only the rows newer than it.
 * The database has a random id, so a snapshot is never applied to another database.
 */
#ifndef BUNPY_STORE_H
#define BUNPY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct Store Store;

/* One row of the nodes table. Blob pointers are only valid inside the callback that
 * received them (load) or must stay valid until store_put_node returns (write). */
typedef struct StoreNode {
	uint32_t id;
	uint32_t kind;               /* kinds.id */
	const char *key;
	uint32_t status;             /* engine-defined status bits */
	uint32_t rule_version;
	const void *value;           /* 16-byte digest, or NULL */
	const void *stat;            /* packed FileStat, or NULL */
	size_t stat_len;
	const void *trace;
	size_t trace_len;
	const void *outputs;
	size_t outputs_len;
	int64_t duration_us;
	const void *data;            /* written only when put with with_data */
	size_t data_len;
} StoreNode;

/* A previous result of a node: what it read and what it produced (constructive trace). */
typedef struct StoreHistory {
	uint32_t node;
	const void *trace_hash;      /* 16 bytes */
	uint32_t rule_version;
	const void *value;           /* 16 bytes */
	const void *trace;
	size_t trace_len;
	const void *outputs;
	size_t outputs_len;
	const void *data;
	size_t data_len;
	int64_t used_us;
} StoreHistory;

typedef struct StoreRun {
	int64_t id;
	int64_t started_us, ended_us;
	const char *command;
	int status;
	const void *records;
	size_t records_len;
} StoreRun;

#define STORE_SCHEMA_VERSION 1
#define STORE_HISTORY_PER_NODE 8
#define STORE_RUNS_KEPT 20

int store_open(Store **out, const char *path, bool readonly, Err *err);
void store_close(Store *st);
/* Non-NULL when opening had to set a damaged database aside. */
const char *store_notice(const Store *st);

/* kinds: name <-> small integer; store_kind_id adds the name when it is new. */
int store_load_kinds(Store *st, int (*cb)(void *ctx, uint32_t id, const char *name),
		     void *ctx, Err *err);
int store_kind_id(Store *st, const char *name, uint32_t *id, Err *err);

/* Node rows written after generation `since` (all rows: since = -1). */
int store_load_nodes(Store *st, int64_t since, int (*cb)(void *ctx, const StoreNode *row),
		     void *ctx, Err *err);
/* The generation of the newest committed rows. */
int64_t store_generation(const Store *st);
/* The database's random identity (16 bytes). */
const unsigned char *store_id(const Store *st);
int store_get_data(Store *st, uint32_t id, Buf *out, bool *found, Err *err);

int store_begin(Store *st, Err *err);
int store_commit(Store *st, Err *err);
void store_rollback(Store *st);

int store_put_node(Store *st, const StoreNode *n, bool with_data, Err *err);
int store_history_add(Store *st, const StoreHistory *h, Err *err);
int store_history_load(Store *st, uint32_t node,
		       int (*cb)(void *ctx, const StoreHistory *h), void *ctx, Err *err);
/* The earlier result of node with exactly this trace, through cb, if there is one. */
int store_history_get(Store *st, uint32_t node, const void *trace_hash,
		      int (*cb)(void *ctx, const StoreHistory *h), void *ctx, Err *err);

int store_run_add(Store *st, const StoreRun *run, Err *err);
/* The newest run, or *found = false. Strings and records are copied into out_buf. */
int store_run_last(Store *st, StoreRun *run, Buf *out_buf, bool *found, Err *err);
/* Consistency check for tests and `bunpy graph --check`: PRAGMA integrity_check. */
int store_check(Store *st, Err *err);

#endif
