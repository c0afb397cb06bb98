/*
 * httpcache.h - index pages kept across runs and projects, with their validators.
 *
 * CACHE/http/<sha256 of the URL>: a few "name value" header lines (the URL, status,
 * when it was stored, ETag, Last-Modified, Cache-Control, Content-Type), a blank line,
 * then the body. Written whole to a temporary name and renamed. A fresh entry (within
 * Cache-Control's max-age, and no no-cache) is used without asking the server; a stale
 * one is revalidated with If-None-Match / If-Modified-Since; --refresh revalidates
 * everything; --offline uses whatever is there, however old.
 */
#ifndef BUNPY_HTTPCACHE_H
#define BUNPY_HTTPCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/err.h"

typedef struct HttpCacheEntry {
	long status;
	int64_t stored;              /* unix seconds */
	char *etag, *last_modified, *cache_control, *content_type;
	Buf body;
} HttpCacheEntry;

/* 0 when found (entry filled: free with httpcache_entry_free), -1 when absent or damaged. */
int httpcache_get(const char *cache_dir, const char *url, HttpCacheEntry *out);
/* Store (failing to store only costs a later fetch: errors are ignored). */
void httpcache_put(const char *cache_dir, const char *url, const HttpCacheEntry *e);
bool httpcache_fresh(const HttpCacheEntry *e, int64_t now);
void httpcache_entry_free(HttpCacheEntry *e);

#endif
