/*
 * index_page.c - the kind index-page: one project's page on one index (lockctx.h).
 *
 * Key "INDEX NAME" (the index shown without credentials, the normalized project name).
 * The value is 'F' and the page as canonical PEP 691 JSON (simple.h), 'N' when the index
 * has no such project, or 'E' and a message. The node is volatile: each build asks the
 * HTTP cache (httpcache.h), which decides whether the server is asked at all, and a
 * page that comes back the same leaves the resolution clean (early cutoff).
 *
 * A --find-links directory is an index too: its page lists the directory's wheels and
 * sdists of that project, each hashed.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/fs.h"
#include "candidates.h"
#include "httpcache.h"
#include "lockctx.h"
#include "packaging/filename.h"
#include "packaging/name.h"
#include "packaging/simple.h"

typedef struct PageJob {
	LockCtx *lc;
	const LockIndex *index;
	char *name;
	Buf result;
	char *speculate;             /* the metadata node the resolver will likely want */
} PageJob;

static void
page_job_free(void *p)
{
	PageJob *j = p;

	if (!j)
		return;
	free(j->name);
	free(j->speculate);
	buf_free(&j->result);
	free(j);
}

static void
result_error(PageJob *j, const char *msg)
{
	buf_clear(&j->result);
	buf_putc(&j->result, LOCK_ERROR);
	buf_puts(&j->result, msg);
}

/* The page, and the metadata of the version the resolver will most likely take, so
 * that it is on its way before the resolver asks (and the pages of its dependencies
 * after it, see dist_metadata.c): the network runs ahead of the solver along the
 * likely path. */
static void
result_page(PageJob *j, const SimplePage *page)
{
	const CandVersion *likely;
	CandVersion *vers;
	size_t n;
	Arena a = { 0 };

	buf_clear(&j->result);
	buf_putc(&j->result, LOCK_FOUND);
	simple_page_write(page, &j->result);
	if (!j->lc->target || !j->lc->speculate)
		return;
	candidates_read(page, j->name, j->lc->target, lockctx_tags(j->lc), NULL, NULL, &a, &vers, &n);
	if ((likely = candidates_likely(vers, n)) != NULL)
		j->speculate = xstrdup(lockctx_metadata_key(likely->best, &a));
	arena_free(&a);
}

/* The path a file: URL names (percent-decoded), or a plain path as it is; in arena.
 * NULL for a file: URL naming another host. */
static const char *
local_path(const char *url, Arena *arena)
{
	char *path;
	const char *copy;

	if (strncmp(url, "file:", 5) != 0)
		return arena_strdup(arena, url);
	if (!(path = http_file_path(url)))
		return NULL;
	copy = arena_strdup(arena, path);
	free(path);
	return copy;
}

/* True when file is a wheel or sdist of the project name. */
static bool
file_of_project(const char *file, const char *name, Arena *a)
{
	WheelFilename w;
	SdistFilename s;
	size_t n = strlen(file), nl = strlen(name);

	if (candidates_is_wheel(file))
		return filename_wheel_parse(file, n, 0, a, &w, NULL) == 0 &&
		       w.name_len == nl && !memcmp(w.name, name, nl);
	return filename_sdist_parse(file, n, a, &s, NULL) == 0 && s.name_len == nl &&
	       !memcmp(s.name, name, nl);
}

static int
cmp_files(const void *a, const void *b)
{
	return strcmp(((const SimpleFile *)a)->filename, ((const SimpleFile *)b)->filename);
}

static void
flat_page(PageJob *j)
{
	Arena a = { 0 };
	const char *dir = local_path(j->index->url, &a);
	SimplePage page = { 0 };
	size_t cap = 0;
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;
	Err err;

	if (!d) {
		Buf msg = { 0 };

		buf_printf(&msg, "--find-links %s: cannot read the directory", j->index->shown);
		result_error(j, msg.data);
		buf_free(&msg);
		arena_free(&a);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		SimpleFile *f;
		const char *path;
		Sha256 sha;
		FileStat st;
		char hex[65];

		if (de->d_name[0] == '.' || !file_of_project(de->d_name, j->name, &a))
			continue;
		path = fs_path_join(&a, dir, de->d_name);
		if (hash_file(path, NULL, &sha, &err) != 0 || fs_stat(path, &st, &err) != 0) {
			result_error(j, err.msg);
			closedir(d);
			arena_free(&a);
			return;
		}
		if (page.nfiles == cap) {
			SimpleFile *grown = arena_alloc(&a, (cap ? cap * 2 : 8) * sizeof(*grown));

			if (page.nfiles)
				memcpy(grown, page.files, page.nfiles * sizeof(*grown));
			page.files = grown;
			cap = cap ? cap * 2 : 8;
		}
		f = &page.files[page.nfiles++];
		memset(f, 0, sizeof(*f));
		f->filename = arena_strdup(&a, de->d_name);
		{
			char *url = http_file_url(path);

			f->url = arena_strdup(&a, url);
			free(url);
		}
		hash_hex(sha.b, sizeof(sha.b), hex);
		f->hashes = arena_alloc(&a, sizeof(*f->hashes));
		f->hashes[0] = (SimpleHash){ "sha256", arena_strdup(&a, hex) };
		f->nhashes = 1;
		f->size = (int64_t)st.size;
	}
	closedir(d);
	if (!page.nfiles) {
		buf_clear(&j->result);
		buf_putc(&j->result, LOCK_NOT_FOUND);
	} else {
		qsort(page.files, page.nfiles, sizeof(*page.files), cmp_files);
		page.name = j->name;
		result_page(j, &page);
	}
	arena_free(&a);
}

static void
parse_into_result(PageJob *j, const char *body, size_t len, const char *content_type,
		  const char *page_url)
{
	SimpleFormat fmt;
	SimplePage page;
	Arena a = { 0 };
	Err err;

	if (simple_format_of(content_type, &fmt) != 0) {
		Buf msg = { 0 };

		buf_printf(&msg, "%s: not an index page (Content-Type ", page_url);
		buf_put_quoted(&msg, content_type, strlen(content_type), 80);
		buf_puts(&msg, "); is the index URL right?");
		result_error(j, msg.data);
		buf_free(&msg);
		return;
	}
	if (simple_parse(body, len, fmt, page_url, &a, &page, &err) != 0) {
		result_error(j, err.msg);
	} else {
		size_t i;

		/* A page may list files with credentials in their URLs: they are kept out of
		 * the page node (hence the state database, node keys and the lock), and put
		 * back from the index's own URL when a file is fetched (lockctx_unmask). */
		for (i = 0; i < page.nfiles; i++)
			page.files[i].url = lockctx_strip_credentials(page.files[i].url, &a);
		result_page(j, &page);
	}
	arena_free(&a);
}

/* A page from a file:// index: DIR/NAME/index.json, else DIR/NAME/index.html. */
static void
local_page(PageJob *j, const char *page_url)
{
	static const char *const names[] = { "index.json", "index.html" };
	Buf path = { 0 }, body = { 0 };
	Arena a = { 0 };
	const char *dir = local_path(page_url, &a);
	size_t i;

	for (i = 0; dir && i < 2; i++) {
		buf_clear(&path);
		buf_printf(&path, "%s%s", dir, names[i]);
		if (fs_read_file(path.data, &body, NULL) == 0) {
			parse_into_result(j, body.data, body.len,
					  i == 0 ? "application/vnd.pypi.simple.v1+json" : "text/html",
					  arena_printf(&a, "%s%s", page_url, names[i]));
			goto out;
		}
	}
	buf_clear(&j->result);
	buf_putc(&j->result, LOCK_NOT_FOUND);
out:
	buf_free(&path);
	buf_free(&body);
	arena_free(&a);
}

static void
replace_header(char **kept, const char *fresh)
{
	if (fresh) {
		free(*kept);
		*kept = xstrdup(fresh);
	}
}

static void
remote_page(PageJob *j, const char *page_url, const char *shown_url)
{
	LockCtx *lc = j->lc;
	HttpCacheEntry e;
	HttpRequest req = { .url = page_url, .cls = HTTP_CLASS_INDEX, .accept = SIMPLE_ACCEPT,
			    .out_fd = -1, .max_bytes = 64 << 20, .received = &j->lc->bytes_received };
	HttpResponse resp;
	HttpClient *http;
	int64_t now = time(NULL);
	bool cached = httpcache_get(lc->cache_dir, shown_url, &e) == 0;
	Buf msg = { 0 };
	Err err;

	if (cached && (lc->offline || (!lc->refresh && httpcache_fresh(&e, now))))
		goto use_cache;
	if (lc->offline) {
		buf_printf(&msg, "%s is not in the cache and --offline forbids the network;"
			   " run once without --offline", shown_url);
		result_error(j, msg.data);
		goto out;
	}
	if (!(http = lockctx_http(lc, &err))) {
		result_error(j, err.msg);
		goto out;
	}
	if (cached) {
		req.if_none_match = e.etag;
		req.if_modified_since = e.last_modified;
	}
	if (http_fetch(http, &req, &resp, &err) != 0) {
		result_error(j, err.msg);
		goto out;
	}
	if (resp.status == 304 && cached) {
		/* a 304 may carry new validators and lifetime (RFC 9111 section 4.3.4) */
		e.stored = now;
		replace_header(&e.cache_control, resp.cache_control);
		replace_header(&e.etag, resp.etag);
		replace_header(&e.last_modified, resp.last_modified);
		httpcache_put(lc->cache_dir, shown_url, &e);
		http_response_free(&resp);
		goto use_cache;
	}
	if (cached)
		httpcache_entry_free(&e);
	cached = false;
	if (resp.status == 404 || resp.status == 410) {
		/* kept too, so that --offline knows this index lacks the project */
		HttpCacheEntry put = { .status = 404, .stored = now,
				       .cache_control = resp.cache_control };

		httpcache_put(lc->cache_dir, shown_url, &put);
		buf_clear(&j->result);
		buf_putc(&j->result, LOCK_NOT_FOUND);
	} else if (resp.status != 200) {
		buf_printf(&msg, "GET %s: HTTP status %ld%s", shown_url, resp.status,
			   resp.status == 401 || resp.status == 403 ?
			   " (credentials go in the index URL or ~/.netrc)" : "");
		result_error(j, msg.data);
	} else {
		HttpCacheEntry put = { .status = 200, .stored = now, .etag = resp.etag,
				       .last_modified = resp.last_modified,
				       .cache_control = resp.cache_control,
				       .content_type = resp.content_type, .body = resp.body };

		parse_into_result(j, resp.body.data, resp.body.len,
				  resp.content_type ? resp.content_type : "text/html", shown_url);
		/* only pages that parse are kept: a broken one is fetched again next time */
		if (j->result.data[0] == LOCK_FOUND)
			httpcache_put(lc->cache_dir, shown_url, &put);
	}
	http_response_free(&resp);
	goto out;
use_cache:
	if (e.status == 404) {
		buf_clear(&j->result);
		buf_putc(&j->result, LOCK_NOT_FOUND);
	} else {
		parse_into_result(j, e.body.data, e.body.len,
				  e.content_type ? e.content_type : "text/html", shown_url);
	}
out:
	if (cached)
		httpcache_entry_free(&e);
	buf_free(&msg);
}

static void
page_work(void *arg)
{
	PageJob *j = arg;
	Arena a = { 0 };
	const char *root = j->index->url, *shown = j->index->shown;
	size_t rl = strlen(root), sl = strlen(shown);
	const char *page_url, *shown_url;

	if (j->index->flat) {
		flat_page(j);
		return;
	}
	while (rl && root[rl - 1] == '/')
		rl--;
	while (sl && shown[sl - 1] == '/')
		sl--;
	page_url = arena_printf(&a, "%.*s/%s/", (int)rl, root, j->name);
	shown_url = arena_printf(&a, "%.*s/%s/", (int)sl, shown, j->name);
	if (!strncmp(page_url, "file:", 5))
		local_page(j, page_url);
	else
		remote_page(j, page_url, shown_url);
	arena_free(&a);
}

static RuleStatus
page_run(RuleCtx *ctx)
{
	PageJob **state = (PageJob **)rule_state(ctx);
	LockCtx *lc = rule_user(ctx);
	const char *key = rule_key(ctx), *sp = strrchr(key, ' ');
	size_t i;

	if (*state) {
		if ((*state)->speculate)
			rule_prefetch(ctx, "dist-metadata", (*state)->speculate);
		rule_set_data(ctx, (*state)->result.data, (*state)->result.len);
		return RULE_DONE;
	}
	if (!lc || !sp)
		return rule_fail(ctx, 1, "index-page:%s: not a page of this lock", key);
	for (i = 0; i < lc->nindexes; i++)
		if (strlen(lc->indexes[i].shown) == (size_t)(sp - key) &&
		    !memcmp(lc->indexes[i].shown, key, (size_t)(sp - key)))
			break;
	if (i == lc->nindexes)
		return rule_fail(ctx, 1, "index-page:%s: the index is not configured", key);
	*state = xcalloc(1, sizeof(**state));
	(*state)->lc = lc;
	(*state)->index = &lc->indexes[i];
	(*state)->name = xstrdup(sp + 1);
	rule_describe(ctx, sp + 1);
	return rule_offload(ctx, POOL_NET, page_work, *state);
}

const Rule rules_index_page_rule = {
	.kind = "index-page",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = page_run,
	.free_state = page_job_free,
};
