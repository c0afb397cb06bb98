/*
 * lockctx.c - the lock rules' shared context (see lockctx.h).
 */
#include "config.h"

#include "lockctx.h"

#include <string.h>

void
lockctx_init(LockCtx *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->http_config.retries = -1;
	pthread_mutex_init(&lc->lazy_lock, NULL);
}

void
lockctx_free(LockCtx *lc)
{
	if (lc->http)
		http_client_free(lc->http);
	pthread_mutex_destroy(&lc->lazy_lock);
	arena_free(&lc->tags_arena);
}

HttpClient *
lockctx_http(LockCtx *lc, Err *err)
{
	HttpClient *c;

	pthread_mutex_lock(&lc->lazy_lock);
	if (!lc->http && !lc->http_error &&
	    http_client_new(&lc->http, &lc->http_config, &lc->http_err) != 0)
		lc->http_error = 1;
	c = lc->http;
	if (!c && err)
		*err = lc->http_err;
	pthread_mutex_unlock(&lc->lazy_lock);
	return c;
}

/* Where the authority ("user:pass@host:port") of url starts and ends; false when the
 * URL has none. */
static bool
authority(const char *url, const char **start, const char **end)
{
	const char *s = strstr(url, "://");

	if (!s)
		return false;
	*start = s + 3;
	*end = *start + strcspn(*start, "/?#");
	return true;
}

char *
lockctx_strip_credentials(const char *url, Arena *arena)
{
	const char *a, *e, *at;

	if (!authority(url, &a, &e))
		return arena_strdup(arena, url);
	at = memchr(a, '@', (size_t)(e - a));
	if (!at)
		return arena_strdup(arena, url);
	/* the last '@' of the authority ends the userinfo */
	while (memchr(at + 1, '@', (size_t)(e - at - 1)))
		at = memchr(at + 1, '@', (size_t)(e - at - 1));
	return arena_printf(arena, "%.*s%s", (int)(a - url), url, at + 1);
}

/* The index whose URL (without credentials) is the longest prefix of shown, else the
 * first on the same scheme and host: two registries on one host may have two tokens. */
char *
lockctx_unmask(const LockCtx *lc, const char *shown, Arena *arena)
{
	const char *a, *e, *best_a = NULL, *best_e = NULL;
	size_t i, best_len = 0;
	bool best_prefix = false;

	if (!authority(shown, &a, &e))
		return arena_strdup(arena, shown);
	for (i = 0; i < lc->nindexes; i++) {
		const char *ia, *ie, *sa, *se;
		const LockIndex *ix = &lc->indexes[i];
		size_t len = strlen(ix->shown);
		bool prefix;

		if (!strcmp(ix->url, ix->shown) || !authority(ix->url, &ia, &ie) ||
		    !authority(ix->shown, &sa, &se))
			continue;
		/* same scheme and host:port as the index shown without credentials */
		if ((size_t)(a - shown) != (size_t)(sa - ix->shown) ||
		    memcmp(shown, ix->shown, (size_t)(a - shown)) != 0 ||
		    e - a != se - sa || memcmp(a, sa, (size_t)(e - a)) != 0)
			continue;
		prefix = !strncmp(shown, ix->shown, len);
		if (!best_a || (prefix && (!best_prefix || len > best_len))) {
			best_a = ia;
			best_e = ie;
			best_len = len;
			best_prefix = prefix;
		}
	}
	if (!best_a)
		return arena_strdup(arena, shown);
	return arena_printf(arena, "%.*s%.*s%s", (int)(a - shown), shown, (int)(best_e - best_a),
			    best_a, e);
}

char *
lockctx_page_key(const LockCtx *lc, size_t i, const char *name, Arena *arena)
{
	return arena_printf(arena, "%s %s", lc->indexes[i].shown, name);
}

char *
lockctx_metadata_key(const SimpleFile *f, Arena *arena)
{
	const char *sha = simple_file_sha256(f), *msha = NULL;
	size_t i;

	for (i = 0; i < f->nmetadata_hashes; i++)
		if (!strcmp(f->metadata_hashes[i].alg, "sha256"))
			msha = f->metadata_hashes[i].value;
	return arena_printf(arena, "%s %s %s%s%s", sha && strlen(sha) == 64 ? sha : "-", f->url,
			    f->has_metadata ? "m" : "-", msha ? ":" : "", msha ? msha : "");
}

void
lockctx_prefetch_page(RuleCtx *ctx, const LockCtx *lc, const char *name)
{
	Arena a = { 0 };
	size_t i;

	for (i = 0; i < lc->nindexes; i++)
		if (i == 0 || lc->indexes[i].flat)
			rule_prefetch(ctx, "index-page", lockctx_page_key(lc, i, name, &a));
	arena_free(&a);
}

const TagList *
lockctx_tags(LockCtx *lc)
{
	pthread_mutex_lock(&lc->lazy_lock);
	if (!lc->have_tags) {
		target_tags(lc->target, &lc->tags_arena, &lc->tags);
		lc->have_tags = true;
	}
	pthread_mutex_unlock(&lc->lazy_lock);
	return &lc->tags;
}
