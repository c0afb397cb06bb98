/*
 * graph.h - the engine's in-memory graph, shared by the engine's own files.
 *
 * Nodes are loaded from the store in one pass at open and live in an array indexed by
 * their persisted id. A node's trace is kept as the packed blob the store holds:
 *
 *   trace   := u32 ngroups, ngroups * group
 *   group   := u32 count, count * (u32 node id, 16-byte digest)
 *   outputs := u32 count, count * (u32 file node id, 16-byte digest, 32-byte sha256, u32 mode)
 *
 * all little-endian, so checking a node walks its blob without decoding it first.
 */
#ifndef BUNPY_GRAPH_H
#define BUNPY_GRAPH_H

#include <signal.h>
#include <stdatomic.h>

#include "engine.h"
#include "store.h"

#define TRACE_DEP_SIZE (4 + 16)
#define OUTPUT_SIZE (4 + 16 + 32 + 4)

/* Persisted status bits. */
enum {
	NODE_OK = 1,          /* has a successful result (value, trace) */
	NODE_FAILED = 2,      /* the last attempt failed */
	NODE_VOLATILE = 4,    /* runs in every build */
	NODE_HAS_DATA = 8,    /* a payload is stored with it */
};

/* Where a node is in the current build. */
typedef enum NodeState {
	NS_NEW,               /* not looked at yet */
	NS_QUEUED,            /* on the work list, to be started */
	NS_CHECKING,          /* verifying its trace group by group */
	NS_RUNNING,           /* its rule runs, waits for needs, or has work in a pool */
	NS_RESTORING,         /* its outputs are being copied out of the CAS */
	NS_DONE,
	NS_FAILED,            /* failed, or skipped: result tells which */
} NodeState;

/* Why a node is out of date, for -v and --why. */
typedef enum ReasonKind {
	WHY_NONE,
	WHY_NEVER_BUILT,
	WHY_FAILED_BEFORE,
	WHY_VOLATILE,
	WHY_RULE_VERSION,
	WHY_DEP_CHANGED,
	WHY_DEP_FAILED,
	WHY_DEP_WOULD_RUN,
	WHY_OUTPUT_MISSING,
	WHY_OUTPUT_MODIFIED,
} ReasonKind;

typedef struct Reason {
	ReasonKind kind;
	uint32_t dep;         /* the node concerned, for DEP_* and OUTPUT_* */
	Digest old_digest, new_digest;
	uint32_t old_version, new_version;
} Reason;

typedef struct RuleCtx Job;
typedef struct Candidate Candidate;

typedef struct Node {
	const char *key;
	uint32_t id;
	uint16_t kind;                /* index into Engine.kinds */
	uint8_t state;                /* NodeState, this build */
	uint8_t result;               /* NodeResult, this build */
	uint32_t status;              /* NODE_* bits, persisted */
	uint32_t rule_version;
	int64_t duration_us;
	Digest value;
	FileStat stat;                /* file nodes only */
	const unsigned char *trace;   /* packed, NULL when never built */
	uint32_t trace_len;
	const unsigned char *outputs;
	uint32_t outputs_len;
	const void *data;             /* payload, when loaded or produced */
	size_t data_len;
	bool data_loaded;
	bool store_dirty;             /* must be written */
	bool data_dirty;              /* its payload must be written too */
	bool on_dirty_list;

	/* this build */
	uint32_t pending;             /* needs or trace deps not finished yet */
	uint32_t group_pos;           /* offset of the trace group being checked */
	uint32_t *waiters;            /* nodes waiting for this one */
	uint32_t nwaiters, capwaiters;
	Job *job;
	Reason *reason;
	int64_t start_us, end_us;     /* of its own work, from the build's start */
	uint32_t lane;
	uint64_t priority;            /* longest path to the end, in microseconds */
	uint32_t mark;                /* dedupe of needs within a job */
	bool group_requested;         /* the deps of the group at group_pos were asked for */
	Candidate *cands;             /* earlier results to try, once the last one failed */
	uint32_t ncands, cand;
	bool cands_loaded;
	bool no_reuse;                /* restoring an earlier result failed: run the rule */
	uint32_t prefetch;            /* 1 + its index in the build's Prefetch, or 0 */
} Node;

typedef struct Kind {
	char *name;
	uint32_t store_id;            /* kinds.id in the store, 0 until known */
	const Rule *rule;             /* NULL for kinds only found in the store */
} Kind;

typedef struct NodeMap {
	uint32_t *slots;              /* node ids, 0 = empty */
	size_t cap, len;
} NodeMap;

typedef struct PendingHistory {
	StoreHistory h;
	unsigned char trace_hash[16], value[16];
	void *blob;                   /* owns trace, outputs, data */
} PendingHistory;

struct Build;

struct Engine {
	char *root, *state_dir, *cache_dir, *command;
	int jobs, cpu_threads, net_slots;
	bool keep_going, readonly, handle_signals;
	EngineHooks hooks;
	void *user;
	Store *store;
	Cas cas;
	int lock_fd;
	int root_fd;                  /* the project directory, for *at() calls */
	Arena arena;                  /* keys and blobs of loaded nodes */
	void *snapshot;               /* the mapped snapshot, which loaded nodes point into */
	size_t snapshot_len;
	Node *node_block;             /* nodes allocated at once for a snapshot's count */
	size_t node_block_used, node_block_cap;

	Node **nodes;                 /* by id; nodes[0] unused */
	uint32_t limit;
	size_t cap;
	Kind *kinds;
	size_t nkinds;
	uint16_t *kind_of_store;      /* store kind id -> index into kinds */
	size_t nkind_of_store;
	NodeMap map;
	bool map_built;
	uint32_t scans;               /* lookups done by scanning before the map exists */

	int64_t journal_rows;         /* node rows newer than the snapshot */
	uint32_t *dirty;              /* nodes to write */
	size_t ndirty, capdirty;
	PendingHistory *history;
	size_t nhistory, caphistory;

	struct Build *build;
	atomic_int interrupted;
	uint64_t serial;              /* counts builds and jobs, for unique digests */
};

/* graph.c */
int graph_load(Engine *eng, Err *err);
Node *graph_node(Engine *eng, uint32_t id);
int graph_kind(Engine *eng, const char *name, uint16_t *index, Err *err);
Node *graph_find(Engine *eng, uint16_t kind, const char *key);
Node *graph_intern(Engine *eng, uint16_t kind, const char *key);
const char *graph_kind_name(Engine *eng, const Node *n);
void graph_mark_dirty(Engine *eng, Node *n);
/* Write every dirty node and pending history row in one transaction. */
int graph_flush(Engine *eng, Err *err);
/* Write a fresh snapshot (STATE_DIR/graph.snap) when enough rows are newer than the
 * one loaded. */
int graph_maybe_snapshot(Engine *eng, Err *err);
void graph_set_trace(Engine *eng, Node *n, const void *trace, size_t len);
void graph_set_outputs(Engine *eng, Node *n, const void *outputs, size_t len);
void graph_set_data(Engine *eng, Node *n, const void *data, size_t len, bool dirty);
/* The payload of a node, loaded from the store on first use. */
int graph_load_data(Engine *eng, Node *n, Err *err);
void graph_add_history(Engine *eng, const Node *n, const Digest *trace_hash);
Digest graph_trace_hash(const void *trace, size_t len);
/* Whether a trace or outputs blob read from the store is well formed and names known
 * nodes: a bad one is dropped, which makes its node rebuild. */
bool graph_trace_valid(Engine *eng, const unsigned char *t, uint32_t len);
bool graph_outputs_valid(Engine *eng, const unsigned char *o, uint32_t len);
const char *graph_node_name(Engine *eng, const Node *n, Buf *scratch);

/* Trace and output blob access. */
uint32_t blob_u32(const unsigned char *p);
void blob_put_u32(unsigned char *p, uint32_t v);

/* Walks the deps of a packed trace in order, across groups. */
typedef struct TraceIter {
	const unsigned char *t;
	uint32_t len, pos, left;
} TraceIter;

void trace_iter_init(TraceIter *it, const unsigned char *trace, uint32_t len);
/* The next dep's node id (and its recorded digest when digest is not NULL), 0 at the end. */
uint32_t trace_iter_next(TraceIter *it, Digest *digest);

/* build.c: what the built-in rules need beyond the public rule API. */
/* The stat of file node n taken before the build started, if still good: 0 or 1 as
 * fs_statat returns, -1 when the caller must stat. */
int build_prefetched_stat(Engine *eng, const Node *n, FileStat *st);
Node *rule_node(RuleCtx *ctx);
Engine *rule_engine(RuleCtx *ctx);

/* leaf.c: the built-in kinds every engine has. */
extern const Rule leaf_file_rule;
extern const Rule leaf_glob_rule;
void leaf_set_file_state(Engine *eng, Node *n, const FileStat *st, const Digest *value);

#endif
