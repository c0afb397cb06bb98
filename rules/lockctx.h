/*
 * lockctx.h - what the lock's rules share (handed to them by rule_user): the indexes,
 * the network settings, the lazily made HTTP client, the target interpreter and the
 * lock's inputs as the front end computed them.
 *
 * Node kinds of the lock (see ARCHITECTURE.md):
 *   lock-inputs:pylock.toml      the canonical inputs (requirements, options, indexes,
 *                                target, preferences): volatile, its value decides
 *   index-page:URL NAME          one project's page on one index, as canonical PEP 691
 *                                JSON; volatile (HTTP caching decides what is fetched)
 *   dist-metadata:SHA256 URL M   a wheel's core metadata, trimmed to what resolving reads
 *   resolve:pylock.toml          the PubGrub resolution, as the lock's content
 *
 * Page and metadata nodes never fail: a fetch or parse error becomes their value
 * ('E' and the message), because they are also built speculatively and a failure
 * would stop the build; the resolver turns the error into a failure when it really
 * needs that node.
 */
#ifndef BUNPY_LOCKCTX_H
#define BUNPY_LOCKCTX_H

#include <pthread.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "engine/http.h"
#include "packaging/simple.h"
#include "target.h"

typedef struct LockIndex {
	const char *url;             /* as configured: may hold credentials */
	const char *shown;           /* credentials removed: keys, messages, the lock */
	bool flat;                   /* a --find-links directory, not a Simple API root */
} LockIndex;

typedef struct LockCtx {
	const char *cache_dir;
	bool offline, refresh;
	HttpConfig http_config;
	LockIndex *indexes;          /* in order of precedence: the first with a project wins */
	size_t nindexes;
	const Target *target;
	bool speculate;              /* fetch ahead along the likely path (highest versions) */
	const char *inputs;          /* lock-inputs JSON */
	size_t inputs_len;

	pthread_mutex_t lazy_lock;   /* makes the client and the tag list on first use */
	Arena tags_arena;
	TagList tags;
	bool have_tags;
	HttpClient *http;
	int http_error;              /* making it failed */
	Err http_err;
	_Atomic uint64_t bytes_received;   /* pages and metadata, as they arrive (progress) */
} LockCtx;

/* Payload tags of page and metadata nodes. */
enum {
	LOCK_FOUND = 'F',            /* the page (canonical JSON) or the metadata text follows */
	LOCK_NOT_FOUND = 'N',        /* the index has no such project */
	LOCK_ERROR = 'E',            /* the message follows */
};

void lockctx_init(LockCtx *lc);
void lockctx_free(LockCtx *lc);
/* The shared client, made on first use (a lock from file:// indexes alone never pays
 * for TLS initialisation). NULL with err when it cannot be made. */
HttpClient *lockctx_http(LockCtx *lc, Err *err);
/* The configured URL (with its credentials) for a URL shown without them: the
 * credentials of the index on the same scheme and host are put back. */
char *lockctx_unmask(const LockCtx *lc, const char *shown, Arena *arena);
/* url without its userinfo. */
char *lockctx_strip_credentials(const char *url, Arena *arena);

/* The key of a project's page on index i. */
char *lockctx_page_key(const LockCtx *lc, size_t i, const char *name, Arena *arena);
/* The key of the metadata node of a wheel listed on a page. */
char *lockctx_metadata_key(const SimpleFile *f, Arena *arena);
/* Start fetching a project's page: on the first index (a later one is asked only once
 * those before it lack the project, so a private project's name is not sent to a
 * public index listed after the private one) and on every --find-links directory,
 * which costs nothing to look at. */
void lockctx_prefetch_page(RuleCtx *ctx, const LockCtx *lc, const char *name);
/* The target's wheel tags, computed on first use; safe from any thread. */
const TagList *lockctx_tags(LockCtx *lc);

/* rules registered by rules_register */
extern const Rule rules_index_page_rule;
extern const Rule rules_dist_metadata_rule;
extern const Rule rules_lock_inputs_rule;
extern const Rule rules_resolve_rule;

#endif
