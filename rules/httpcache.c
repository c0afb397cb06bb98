/*
 * httpcache.c - index pages kept with their HTTP validators (see httpcache.h).
 */
#include "config.h"

#include "httpcache.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/cacheindex.h"
#include "engine/fs.h"
#include "engine/hash.h"

static void
entry_path(const char *cache_dir, const char *url, Buf *out)
{
	Sha256 sha = sha256_bytes(url, strlen(url));
	char hex[65];

	hash_hex(sha.b, sizeof(sha.b), hex);
	buf_printf(out, "%s/http/%.2s/%s", cache_dir, hex, hex + 2);
}

void
httpcache_entry_free(HttpCacheEntry *e)
{
	free(e->etag);
	free(e->last_modified);
	free(e->cache_control);
	free(e->content_type);
	buf_free(&e->body);
	memset(e, 0, sizeof(*e));
}

int
httpcache_get(const char *cache_dir, const char *url, HttpCacheEntry *out)
{
	Buf path = { 0 }, text = { 0 };
	char *p, *end;
	bool url_ok = false;

	memset(out, 0, sizeof(*out));
	entry_path(cache_dir, url, &path);
	if (fs_read_file(path.data, &text, NULL) != 0) {
		buf_free(&path);
		return -1;
	}
	cacheindex_note_use(cache_dir, path.data + strlen(cache_dir) + 1);
	buf_free(&path);
	p = text.data;
	end = text.data + text.len;
	while (p < end && *p != '\n') {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;

		if (!nl)
			break;
		*nl = '\0';
		sp = strchr(p, ' ');
		if (sp) {
			*sp++ = '\0';
			if (!strcmp(p, "url"))
				url_ok = !strcmp(sp, url);
			else if (!strcmp(p, "status"))
				out->status = strtol(sp, NULL, 10);
			else if (!strcmp(p, "stored"))
				out->stored = strtoll(sp, NULL, 10);
			else if (!strcmp(p, "etag"))
				out->etag = xstrdup(sp);
			else if (!strcmp(p, "last-modified"))
				out->last_modified = xstrdup(sp);
			else if (!strcmp(p, "cache-control"))
				out->cache_control = xstrdup(sp);
			else if (!strcmp(p, "content-type"))
				out->content_type = xstrdup(sp);
		}
		p = nl + 1;
	}
	if (p >= end || *p != '\n' || !url_ok || !out->status) {
		buf_free(&text);
		httpcache_entry_free(out);
		return -1;
	}
	p++;
	buf_append(&out->body, p, (size_t)(end - p));
	buf_free(&text);
	return 0;
}

/* Header values are one line each: a value holding a line break is not kept. */
static void
put_header(Buf *b, const char *name, const char *value)
{
	if (value && !strpbrk(value, "\r\n"))
		buf_printf(b, "%s %s\n", name, value);
}

void
httpcache_put(const char *cache_dir, const char *url, const HttpCacheEntry *e)
{
	Buf path = { 0 }, text = { 0 };

	if (strpbrk(url, "\r\n"))
		return;
	entry_path(cache_dir, url, &path);
	buf_printf(&text, "url %s\nstatus %ld\nstored %lld\n", url, e->status, (long long)e->stored);
	put_header(&text, "etag", e->etag);
	put_header(&text, "last-modified", e->last_modified);
	put_header(&text, "cache-control", e->cache_control);
	put_header(&text, "content-type", e->content_type);
	buf_putc(&text, '\n');
	buf_append(&text, e->body.data, e->body.len);
	if (fs_mkdir_parent(path.data, NULL) == 0 &&
	    fs_write_atomic(path.data, text.data, text.len, 0644, NULL) == 0)
		cacheindex_note_add(cache_dir, path.data + strlen(cache_dir) + 1, text.len, NULL);
	buf_free(&path);
	buf_free(&text);
}

/* max-age, or -1 when the response says to revalidate every time (or says nothing:
 * without a lifetime a page is checked each run, as RFC 9111 lets a cache choose). */
static long
max_age(const char *cc)
{
	const char *p = cc;
	long age = -1;

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		if (!strncasecmp(p, "no-cache", 8) || !strncasecmp(p, "no-store", 8))
			return -1;
		if (!strncasecmp(p, "max-age=", 8))
			age = strtol(p + 8, NULL, 10);
		p += n;
	}
	return age;
}

bool
httpcache_fresh(const HttpCacheEntry *e, int64_t now)
{
	long age = max_age(e->cache_control);

	return age >= 0 && now >= e->stored && now - e->stored < age;
}
