/*
 * dist_metadata.c - the kind dist-metadata: the core metadata of one wheel (lockctx.h).
 *
 * Key "SHA256 URL M": the wheel's sha256 from the index ("-" when it gave none), its URL
 * without credentials, and what the index said of a PEP 658 file: "-" none, "m" one
 * without a hash, "m:HEX" one with its sha256. The cheapest way that works is taken:
 *   1. CACHE/metadata/SHA256 (metadata of a file with a known hash never changes);
 *   2. the PEP 658 file URL.metadata, checked against its hash;
 *   3. two HTTP range requests: the wheel's central directory, then the METADATA
 *      member alone (wheelzip.h);
 *   4. the whole wheel, checked against its sha256.
 * The name and version in the metadata must be the wheel's. The value is 'F' and the
 * metadata trimmed to the fields resolving reads, or 'E' and a message.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/cacheindex.h"
#include "engine/fs.h"
#include "lockctx.h"
#include "packaging/filename.h"
#include "packaging/metadata.h"
#include "packaging/pylock.h"
#include "packaging/wheelzip.h"

#define METADATA_MAX (16 << 20)

typedef struct MetaJob {
	LockCtx *lc;
	char *sha;                   /* NULL when unknown */
	char *url;                   /* shown */
	bool has_pep658;
	char *pep658_sha;            /* NULL when unknown */
	Buf result;
	char **deps;                 /* projects it depends on, to prefetch their pages */
	size_t ndeps;
} MetaJob;

static void
meta_job_free(void *p)
{
	MetaJob *j = p;

	if (!j)
		return;
	free(j->sha);
	free(j->url);
	free(j->pep658_sha);
	for (size_t i = 0; i < j->ndeps; i++)
		free(j->deps[i]);
	free(j->deps);
	buf_free(&j->result);
	free(j);
}

static void
job_error(MetaJob *j, const char *fmt, ...) ERR_PRINTF(2, 3);

static void
job_error(MetaJob *j, const char *fmt, ...)
{
	va_list ap;

	buf_clear(&j->result);
	buf_putc(&j->result, LOCK_ERROR);
	va_start(ap, fmt);
	buf_vprintf(&j->result, fmt, ap);
	va_end(ap);
}

/* The wheel's file name: the URL's last segment, percent-decoded ("1.0%2Bcpu" is
 * "1.0+cpu"); "" when it has none. */
static const char *
file_name_of(const char *url, Arena *arena)
{
	PylockFile f = { .url = url };
	const char *name = pylock_file_name(&f, arena);

	return name ? name : "";
}

/* Checks name and version against the wheel's file name and keeps the fields that
 * resolving reads. 0, or -1 with the job's result set to the error. */
/* The projects the wheel depends on for the target (no extras): their pages are
 * fetched as soon as this metadata is here, ahead of the solver (see index_page.c). */
static void
collect_deps(MetaJob *j, const Metadata *m)
{
	const Target *t = j->lc->target;
	size_t i, k;

	if (!t || !j->lc->speculate || j->deps)
		return;
	j->deps = xcalloc(m->requires_dist_len + 1, sizeof(*j->deps));
	for (i = 0; i < m->requires_dist_len; i++) {
		const Requirement *q = &m->requires_dist[i];
		bool on = true, seen = false;

		if (q->marker && (marker_evaluate(q->marker, &t->env, &on, NULL) != 0 || !on))
			continue;
		for (k = 0; k < j->ndeps && !seen; k++)
			seen = !strcmp(j->deps[k], q->normalized);
		if (!seen)
			j->deps[j->ndeps++] = xstrdup(q->normalized);
	}
}

static int
accept_metadata(MetaJob *j, const char *text, size_t len, const char *how)
{
	static const char *const keep[] = { "Metadata-Version", "Name", "Version",
					    "Requires-Python", "Requires-Dist", "Provides-Extra" };
	Arena a = { 0 };
	const char *fname = file_name_of(j->url, &a);
	size_t flen = strlen(fname);
	Metadata m;
	WheelFilename w;
	Err err;
	size_t i, k;

	if (metadata_parse(text, len, &a, &m, &err) != 0) {
		job_error(j, "%s (%s): %s", j->url, how, err.msg);
		arena_free(&a);
		return -1;
	}
	if (filename_wheel_parse(fname, flen, 0, &a, &w, &err) == 0 &&
	    (strlen(m.normalized_name) != w.name_len ||
	     memcmp(m.normalized_name, w.name, w.name_len) != 0 ||
	     version_cmp(&m.version, &w.version) != 0)) {
		job_error(j, "%s: its metadata names %s %s, not the wheel's %.*s %s", j->url,
			  m.normalized_name, m.version.str, (int)w.name_len, w.name, w.version.str);
		arena_free(&a);
		return -1;
	}
	buf_clear(&j->result);
	buf_putc(&j->result, LOCK_FOUND);
	for (k = 0; k < sizeof(keep) / sizeof(*keep); k++)
		for (i = 0; i < m.fields_len; i++)
			if (!strcasecmp(m.fields[i].name, keep[k]) && !strpbrk(m.fields[i].value, "\r\n"))
				buf_printf(&j->result, "%s: %s\n", keep[k], m.fields[i].value);
	collect_deps(j, &m);
	arena_free(&a);
	return 0;
}

/* Its path relative to the cache, and the project, for the cache's index. */
static void
note_entry(const MetaJob *j, const char *path, size_t bytes, bool made)
{
	const char *rel = path + strlen(j->lc->cache_dir) + 1;
	Arena a = { 0 };
	const char *fname = file_name_of(j->url, &a);
	WheelFilename w;

	if (!made)
		cacheindex_note_use(j->lc->cache_dir, rel);
	else if (filename_wheel_parse(fname, strlen(fname), 0, &a, &w, NULL) == 0)
		cacheindex_note_add(j->lc->cache_dir, rel, bytes, arena_strndup(&a, w.name, w.name_len));
	else
		cacheindex_note_add(j->lc->cache_dir, rel, bytes, NULL);
	arena_free(&a);
}

/* CACHE/metadata/ by the wheel's hash and URL together: metadata read with range
 * requests cannot be checked against the wheel's hash, so an index that lists someone
 * else's hash for its own file can only ever poison its own entries. */
static void
cache_path(const MetaJob *j, Buf *out)
{
	Buf key = { 0 };
	Sha256 sha;
	char hex[65];

	buf_printf(&key, "%s %s", j->sha, j->url);
	sha = sha256_bytes(key.data, key.len);
	hash_hex(sha.b, sizeof(sha.b), hex);
	buf_printf(out, "%s/metadata/%.2s/%s", j->lc->cache_dir, hex, hex + 2);
	buf_free(&key);
}

static void
sha_hex(const Sha256 *s, char out[65])
{
	hash_hex(s->b, sizeof(s->b), out);
}

static int
fetch(LockCtx *lc, HttpClient *http, const char *url, int64_t start, int64_t len,
      HttpResponse *resp, Err *err)
{
	HttpRequest req = { .url = url, .cls = HTTP_CLASS_INDEX, .out_fd = -1,
			    .range_start = start, .range_len = len, .max_bytes = 1LL << 30,
			    .received = &lc->bytes_received };

	return http_fetch(http, &req, resp, err);
}

/* The total size from "bytes A-B/TOTAL". */
static int64_t
range_total(const char *cr)
{
	const char *slash = cr ? strchr(cr, '/') : NULL;

	return slash && slash[1] != '*' ? strtoll(slash + 1, NULL, 10) : -1;
}

static int
from_zip_bytes(MetaJob *j, const void *tail, size_t tail_len, uint64_t size,
	       const char *how, HttpClient *http, const char *url)
{
	Arena a = { 0 };
	const char *fname = file_name_of(j->url, &a);
	WheelzipDir dir;
	WheelFilename w;
	const WheelzipMember *m;
	uint64_t need;
	Buf out = { 0 };
	Err err;
	int rc = -1;

	if (wheelzip_read_dir(tail, tail_len, size, &a, &dir, &need, &err) != 0) {
		job_error(j, "%s: %s", j->url, err.msg);   /* 1 (longer tail) is handled by the caller */
		goto out;
	}
	if (filename_wheel_parse(fname, strlen(fname), 0, &a, &w, &err) != 0) {
		job_error(j, "%s: %s", j->url, err.msg);
		goto out;
	}
	if (!(m = wheelzip_find_metadata(&dir, w.name, w.version.str, &err))) {
		job_error(j, "%s: %s", j->url, err.msg);
		goto out;
	}
	if (m->local_offset >= size - tail_len) {
		/* the member is inside the bytes we have */
		uint64_t off = m->local_offset - (size - tail_len);

		if (wheelzip_extract((const char *)tail + off, tail_len - off, m, METADATA_MAX,
				     &out, &err) != 0) {
			job_error(j, "%s: %s", j->url, err.msg);
			goto out;
		}
	} else {
		HttpResponse resp;

		if (!http || fetch(j->lc, http, url, (int64_t)m->local_offset,
				   (int64_t)(m->end_offset - m->local_offset), &resp, &err) != 0) {
			job_error(j, "%s", http ? err.msg : "no HTTP client");
			goto out;
		}
		if (resp.status != 206 ||
		    wheelzip_extract(resp.body.data, resp.body.len, m, METADATA_MAX, &out, &err) != 0) {
			if (resp.status != 206)
				job_error(j, "GET %s (a range): HTTP status %ld", j->url, resp.status);
			else
				job_error(j, "%s: %s", j->url, err.msg);
			http_response_free(&resp);
			goto out;
		}
		http_response_free(&resp);
	}
	rc = accept_metadata(j, out.data, out.len, how);
out:
	buf_free(&out);
	arena_free(&a);
	return rc;
}

static void
meta_work(void *arg)
{
	MetaJob *j = arg;
	LockCtx *lc = j->lc;
	Arena a = { 0 };
	Buf path = { 0 }, text = { 0 };
	const char *url = lockctx_unmask(lc, j->url, &a);
	bool local = !strncmp(url, "file:", 5);
	HttpClient *http = NULL;
	HttpResponse resp;
	char hex[65];
	Err err;

	if (j->sha) {
		cache_path(j, &path);
		/* checked again as it is read: a damaged entry is fetched anew */
		if (fs_read_file(path.data, &text, NULL) == 0 && text.len && text.data[0] == LOCK_FOUND &&
		    accept_metadata(j, text.data + 1, text.len - 1, "cache") == 0) {
			note_entry(j, path.data, text.len, false);
			goto out;
		}
		buf_clear(&j->result);
	}
	if (lc->offline && !local) {
		job_error(j, "the metadata of %s is not in the cache and --offline forbids the"
			  " network; run once without --offline", j->url);
		goto out;
	}
	if (!(http = lockctx_http(lc, &err))) {
		job_error(j, "%s", err.msg);
		goto out;
	}
	if (j->has_pep658) {
		const char *murl = arena_printf(&a, "%.*s.metadata", (int)strcspn(url, "#"), url);

		if (fetch(j->lc, http, murl, 0, 0, &resp, &err) != 0) {
			job_error(j, "%s", err.msg);
			goto out;
		}
		if (resp.status == 200) {
			sha_hex(&resp.sha256, hex);
			if (j->pep658_sha && strcmp(hex, j->pep658_sha) != 0) {
				job_error(j, "%.*s.metadata: sha256 mismatch: the index says %s, the file"
					  " has %s; the index or a proxy is serving damaged files",
					  (int)strcspn(j->url, "#"), j->url, j->pep658_sha, hex);
				http_response_free(&resp);
				goto out;
			}
			accept_metadata(j, resp.body.data, resp.body.len, "PEP 658 metadata");
			http_response_free(&resp);
			goto store;
		}
		http_response_free(&resp);
	}
	/* The end of the wheel: its central directory, and often METADATA itself. */
	if (fetch(j->lc, http, url, -WHEELZIP_TAIL_GUESS, 0, &resp, &err) != 0) {
		job_error(j, "%s", err.msg);
		goto out;
	}
	if (resp.status == 206) {
		int64_t total = range_total(resp.content_range);
		uint64_t need;
		WheelzipDir dir;

		if (total < 0) {
			job_error(j, "GET %s: a range answer without the file's size", j->url);
			http_response_free(&resp);
			goto out;
		}
		if (wheelzip_read_dir(resp.body.data, resp.body.len, (uint64_t)total, &a, &dir,
				      &need, &err) == 1) {
			HttpResponse more;

			if (fetch(j->lc, http, url, (int64_t)need, total - (int64_t)need, &more, &err) != 0) {
				job_error(j, "%s", err.msg);
				http_response_free(&resp);
				goto out;
			}
			http_response_free(&resp);
			resp = more;
		}
		from_zip_bytes(j, resp.body.data, resp.body.len, (uint64_t)total, "range requests",
			       http, url);
		http_response_free(&resp);
		goto store;
	}
	if (resp.status != 200) {
		job_error(j, "GET %s: HTTP status %ld", j->url, resp.status);
		http_response_free(&resp);
		goto out;
	}
	/* The server sent the whole wheel: it can be checked. */
	sha_hex(&resp.sha256, hex);
	if (j->sha && strcmp(hex, j->sha) != 0) {
		job_error(j, "%s: sha256 mismatch: the index says %s, the file has %s; the index or"
			  " a proxy is serving damaged files", j->url, j->sha, hex);
		http_response_free(&resp);
		goto out;
	}
	from_zip_bytes(j, resp.body.data, resp.body.len, (uint64_t)resp.body.len, "whole wheel",
		       NULL, url);
	http_response_free(&resp);
store:
	if (j->sha && j->result.len && j->result.data[0] == LOCK_FOUND && fs_mkdir_parent(path.data, NULL) == 0)
		if (fs_write_atomic(path.data, j->result.data, j->result.len, 0644, NULL) == 0)
			note_entry(j, path.data, j->result.len, true);
out:
	buf_free(&path);
	buf_free(&text);
	arena_free(&a);
}

static RuleStatus
meta_run(RuleCtx *ctx)
{
	MetaJob **state = (MetaJob **)rule_state(ctx);
	LockCtx *lc = rule_user(ctx);
	const char *key = rule_key(ctx), *sp1 = strchr(key, ' '), *sp2 = strrchr(key, ' ');
	MetaJob *j;

	if (*state) {
		/* an error is not kept: the next build tries again */
		if ((*state)->result.data[0] != LOCK_FOUND)
			rule_set_volatile(ctx);
		for (size_t i = 0; i < (*state)->ndeps; i++)
			lockctx_prefetch_page(ctx, lc, (*state)->deps[i]);
		rule_set_data(ctx, (*state)->result.data, (*state)->result.len);
		return RULE_DONE;
	}
	if (!lc || !sp1 || sp1 == sp2)
		return rule_fail(ctx, 1, "dist-metadata:%s: not metadata of this lock", key);
	j = *state = xcalloc(1, sizeof(*j));
	j->lc = lc;
	if (sp1 - key == 64)
		j->sha = xstrndup(key, 64);
	j->url = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	j->has_pep658 = sp2[1] == 'm';
	if (!strncmp(sp2 + 1, "m:", 2) && strlen(sp2 + 3) == 64)
		j->pep658_sha = xstrdup(sp2 + 3);
	rule_describe(ctx, file_name_of(j->url, rule_arena(ctx)));
	return rule_offload(ctx, POOL_NET, meta_work, j);
}

const Rule rules_dist_metadata_rule = {
	.kind = "dist-metadata",
	.version = 1,
	.run = meta_run,
	.free_state = meta_job_free,
};
