/*
 * engine.h - the dataflow engine: nodes, rules, verifying traces, builds.
 *
 * Every unit of work is a node (kind, key). A kind registers a Rule: a function the
 * engine calls to compute the node's value. While it runs, a rule asks for the values
 * of other nodes with rule_need; the engine records each one with the digest it had
 * (the node's trace) and, in the next build, re-runs the rule only when one of those
 * digests moved (verifying traces). A re-run that yields the same value leaves its
 * dependents alone (early cutoff). Files a node produces are kept in the CAS, so a
 * node whose inputs return to an earlier state is restored instead of re-run
 * (constructive traces).
 *
 * Rules run on the engine's single coordinator thread and must be quick there; heavy
 * work (a child process, hashing, a download) is handed to a pool with rule_offload,
 * and the rule is called again when it is done. A rule that needs a node not yet built
 * returns RULE_SUSPEND and is called again once it is: rules are written as small
 * state machines, keeping their progress in *rule_state(ctx).
 *
 * The engine knows nothing about Python; rules/ holds the kinds that do.
 */
#ifndef BUNPY_ENGINE_H
#define BUNPY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cas.h"
#include "err.h"
#include "fs.h"
#include "hash.h"
#include "proc.h"

typedef struct Engine Engine;
typedef struct RuleCtx RuleCtx;

typedef enum RuleStatus {
	RULE_DONE,
	RULE_SUSPEND,   /* waiting for needed nodes or offloaded work; call again later */
	RULE_FAIL,
} RuleStatus;

/* Resource pools, as Ninja's pools: each bounds how many jobs of its sort run at once. */
typedef enum PoolId {
	POOL_CPU,       /* threads for hashing, unpacking, compiling: default = cores */
	POOL_PROC,      /* child processes (tasks, tests): -j/--jobs */
	POOL_NET,       /* network transfers: default 16 */
	POOL_COUNT
} PoolId;

enum {
	RULE_INLINE = 1 << 0,    /* a cheap leaf that needs nothing: computed inside rule_need */
	RULE_VOLATILE = 1 << 1,  /* runs in every build; its value decides whether dependents do */
	RULE_PURE = 1 << 2,      /* no side effects: may run while explaining (--why) */
};

typedef struct Rule {
	const char *kind;
	uint32_t version;        /* bump when the rule's meaning changes: its nodes all re-run */
	uint32_t flags;
	RuleStatus (*run)(RuleCtx *ctx);
	void (*free_state)(void *state);   /* frees *rule_state when the node is finished */
} Rule;

typedef struct NodeValue {
	Digest digest;
	const void *data;        /* the node's payload, NULL when it has none */
	size_t len;
} NodeValue;

/* A file a node produced, as captured by eng_capture_file. */
typedef struct OutputFile {
	Digest digest;           /* XXH3-128 of the contents */
	Sha256 sha;              /* name of the copy in the CAS */
	FileStat stat;
	bool cached;             /* already in the CAS */
} OutputFile;

/* ---- for rules -------------------------------------------------------------------- */

const char *rule_key(RuleCtx *ctx);
const char *rule_root(RuleCtx *ctx);          /* the project directory */
void *rule_user(RuleCtx *ctx);                /* EngineConfig.user: what the rules share */
Cas *rule_cas(RuleCtx *ctx);
void **rule_state(RuleCtx *ctx);
Arena *rule_arena(RuleCtx *ctx);              /* freed when the node is finished */

/* The value of another node, or NULL when it is not built yet (return RULE_SUSPEND; the
 * rule is called again when every node it asked for is done) or failed (the engine
 * then fails this node too, naming the dependency). Asking twice is harmless. */
const NodeValue *rule_need(RuleCtx *ctx, const char *kind, const char *key);
/* Start building a node without waiting for it: a later rule_need of it finds it
 * done or in progress. For speculation (the resolver fetches the page of every
 * package it hears of, and the likely candidate's metadata, before it needs them).
 * Nothing is recorded in the trace until the node is needed. */
void rule_prefetch(RuleCtx *ctx, const char *kind, const char *key);
/* Needs after a barrier are checked only once those before it are known unchanged;
 * use it when a later need depends on an earlier value (files found by a glob, files
 * produced by a dependency). Returning RULE_SUSPEND is a barrier too. */
void rule_barrier(RuleCtx *ctx);
/* Every input is known (the rule is about to do its work): if an earlier run of this
 * node read exactly the same values, that result is restored instead, outputs and
 * all, and this returns true; the rule then returns RULE_DONE at once. This is what
 * brings back a task's outputs when its inputs return to an earlier state. */
bool rule_reuse(RuleCtx *ctx);
/* Run work(arg) in a thread of POOL_CPU or POOL_NET; returns RULE_SUSPEND for the rule
 * to return. The rule is called again when work is done; arg is the rule's to free. */
RuleStatus rule_offload(RuleCtx *ctx, PoolId pool, void (*work)(void *arg), void *arg);
/* Work done in a process slot around its child: before it starts, and after it exited
 * with status 0 (capturing outputs there keeps that work off the coordinator). */
typedef struct SpawnHooks {
	int (*before)(void *arg, Err *err);   /* nonzero: the child is not started */
	void (*after)(void *arg);
	void *arg;
} SpawnHooks;

/* Run a child process in a POOL_PROC slot, with hooks (NULL for none); returns
 * RULE_SUSPEND, and the rule is called again when the child has exited. spec, hooks and
 * what they point to must stay valid until then. */
RuleStatus rule_spawn(RuleCtx *ctx, const ProcSpec *spec, const SpawnHooks *hooks);
/* How the child ended; *error is set when it did not start: exit_code is then 127
 * (it could not be run) or 1 (the before hook refused). */
const ProcResult *rule_spawn_result(RuleCtx *ctx, const char **error);

/* The node's value: the digest of data (data is kept and handed to dependents), or a
 * digest chosen by the rule. */
void rule_set_data(RuleCtx *ctx, const void *data, size_t len);
void rule_set_digest(RuleCtx *ctx, const Digest *digest);
/* A digest of everything needed so far: the value of a node whose only product is
 * having run (a task without outputs). */
Digest rule_inputs_digest(RuleCtx *ctx);
/* A digest no other build will produce: for nodes that must always look changed. */
Digest rule_unique_digest(RuleCtx *ctx);
/* This node must run in every build (decided by the node, not its kind). */
void rule_set_volatile(RuleCtx *ctx);
/* Record a produced file (path relative to the project): it becomes a file node with
 * this state, and it is verified (and restored from the CAS if damaged) next time. */
void rule_add_output(RuleCtx *ctx, const char *path, const OutputFile *out);
/* What the node is about to do, for progress output ("python -m build"). */
void rule_describe(RuleCtx *ctx, const char *detail);
/* Fail the node; code is an exit status for the command line (1 when unsure). */
RuleStatus rule_fail(RuleCtx *ctx, int code, const char *fmt, ...) ERR_PRINTF(3, 4);

/* The value of a "file" node whose path does not exist, or is a directory. */
Digest eng_file_missing_digest(void);
Digest eng_file_directory_digest(void);

/* For pool workers: hash a produced file, take it into the CAS by a hard link when it
 * can (else rule_add_output has the engine copy it in, in a thread), and stat it
 * (after the link, which moves its ctime). */
int eng_capture_file(Cas *cas, const char *abs_path, OutputFile *out, Err *err);

/* ---- for front ends ----------------------------------------------------------------- */

typedef enum NodeResult {
	NR_NONE,       /* not visited */
	NR_CLEAN,      /* verified unchanged: nothing ran */
	NR_RESTORED,   /* outputs restored from the CAS: nothing ran */
	NR_RAN,
	NR_FAILED,
	NR_SKIPPED,    /* not run: a dependency failed or the build stopped */
	NR_WOULD_RUN,  /* explain mode only */
} NodeResult;

typedef struct EngineHooks {
	void *ctx;
	/* A node's work in a pool starts, called in the pool thread that does it, so it
	 * must be safe to call from several threads at once (printing a line is).
	 * detail is what the rule said it does (rule_describe), or NULL. */
	void (*started)(void *ctx, const char *kind, const char *key, const char *detail);
	/* A node is finished (on the coordinator, as is warning). */
	void (*finished)(void *ctx, const char *kind, const char *key, NodeResult r,
			 int64_t duration_us, const char *error);
	/* Something failed that the build works around (it goes on). */
	void (*warning)(void *ctx, const char *message);
	/* Called on the coordinator at least every 100 ms while a build waits on work (a
	 * progress line redraws itself: a long download finishes no node for a while). */
	void (*tick)(void *ctx);
} EngineHooks;

typedef struct EngineConfig {
	const char *root;        /* project directory; node paths are relative to it */
	const char *state_dir;   /* holds state.db and the lock; default ROOT/.bunpy */
	const char *cache_dir;   /* the CAS is CACHE_DIR/cas */
	int jobs;                /* POOL_PROC slots; 0 = number of cores */
	int cpu_threads;         /* POOL_CPU threads; 0 = number of cores */
	int net_slots;           /* POOL_NET slots; 0 = 48 (threads that wait on the HTTP client) */
	bool keep_going;         /* after a failure, build whatever does not depend on it */
	bool readonly;           /* open to inspect only: no lock, no writes, no builds */
	bool wait_for_lock;      /* else eng_open returns -2 when another bunpy holds it */
	bool handle_signals;     /* SIGINT/SIGTERM during a build stop it, as a failure does */
	const char *command;     /* what the user ran, kept with the run's records */
	EngineHooks hooks;
	void *user;              /* handed to rules by rule_user (their settings, the HTTP client) */
} EngineConfig;

typedef struct NodeRef {
	const char *kind;
	const char *key;
} NodeRef;

typedef struct BuildFailure {
	char *node;              /* "kind:key" */
	char *message;
	int code;
} BuildFailure;

typedef struct BuildReport {
	size_t counts[NR_WOULD_RUN + 1];   /* nodes per result, all kinds */
	BuildFailure *failures;
	size_t nfailures;
	int exit_code;                     /* 0, or the code of the first failure */
	bool interrupted;
	int64_t wall_us;
} BuildReport;

/* 0 on success; -1 on error; -2 when another process holds the project's lock (and
 * cfg->wait_for_lock is false); -3 when readonly and nothing was ever built. */
int eng_open(Engine **out, const EngineConfig *cfg, Err *err);
void eng_close(Engine *eng);
/* Non-NULL when opening had to set aside a damaged database. */
const char *eng_notice(Engine *eng);
int eng_register(Engine *eng, const Rule *rule, Err *err);
/* Bring the goals up to date. Returns 0 when the build ran to its end (look at the
 * report for node failures), -1 on an engine error (database, filesystem). */
int eng_build(Engine *eng, const NodeRef *goals, size_t ngoals, BuildReport *report, Err *err);
void build_report_free(BuildReport *r);
/* Ask the build in progress to stop as after a failure (safe from a signal handler). */
void eng_interrupt(Engine *eng);
/* The value of a node as last built (after eng_build), or -1 with err. */
int eng_value(Engine *eng, const char *kind, const char *key, NodeValue *out, Err *err);

/* ---- for inspection (bunpy graph) ----------------------------------------------------- */

typedef struct NodeInfo {
	uint32_t id;
	const char *kind;
	const char *key;
	bool built;              /* has a successful result */
	bool failed;             /* last attempt failed */
	bool is_volatile;
	uint32_t rule_version;
	Digest value;
	int64_t duration_us;     /* of its last run */
	size_t ndeps, noutputs;
} NodeInfo;

uint32_t eng_node_limit(Engine *eng);   /* ids are 1 .. limit-1; some may be unused */
int eng_node_info(Engine *eng, uint32_t id, NodeInfo *out);   /* -1 when unused */
/* The nodes it read in its last run (trace order), and the files it produced. */
size_t eng_node_deps(Engine *eng, uint32_t id, uint32_t *out, size_t cap);
size_t eng_node_outputs(Engine *eng, uint32_t id, uint32_t *out, size_t cap);
int eng_find(Engine *eng, const char *kind, const char *key, uint32_t *id);
/* The rule version registered for a kind now, or 0 when none is. */
uint32_t eng_rule_version(Engine *eng, const char *kind);

typedef struct RunRecord {
	uint32_t node;
	NodeResult result;
	uint32_t lane;           /* 0: the coordinator; 1..: pool workers */
	int64_t start_us, end_us;  /* from the run's start */
} RunRecord;

typedef struct RunInfo {
	int64_t started_us, ended_us;   /* wall clock */
	const char *command;
	int status;
	RunRecord *records;
	size_t nrecords;
} RunInfo;

/* The newest recorded run; *found false when there is none. Free with run_info_free. */
int eng_last_run(Engine *eng, RunInfo *out, bool *found, Err *err);
void run_info_free(RunInfo *r);

/* Why would goal run in the next build? Writes an explanation, one reason per line,
 * following the chain through dependencies that would run. Runs only pure rules and
 * changes nothing on disk. */
int eng_explain(Engine *eng, const NodeRef *goal, Buf *out, Err *err);

#endif
