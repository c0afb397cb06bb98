/*
 * simple.c - a project's page of the Simple Repository API (simple.h).
 *
 * JSON (PEP 691) goes through cJSON and is checked strictly: every field of the model
 * must have its type (a field that is null counts as absent, as PyPI writes
 * "requires-python": null), unknown keys are ignored, and meta.api-version must have
 * major version 1. The metadata flag is read from "core-metadata", else from the old
 * names "dist-info-metadata" and "data-dist-info-metadata" (PEP 714; PyPI used the
 * last one in JSON). A dictionary of hashes, even an empty one, means the metadata
 * file exists (as pip reads it). An empty "yanked" string is false, as in Python.
 *
 * HTML (PEP 503) is read by a small scanner, not an HTML parser: it finds start tags
 * outside comments and raw-text elements (script, style, title, textarea), reads their
 * attributes as HTML5 does (any order, quoted or not, names in any case, the first of
 * two equal names wins), decodes the character references a server writes in attribute
 * values (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;) and looks at <a>, <base href>
 * (honoured as pip does) and <meta name="pypi:repository-version">. An anchor whose
 * URL ends in no file name (a directory, "../", a sorting link of an autoindex page)
 * is no file. The file name is the URL's last path segment, percent-decoded.
 *
 * Hash digests are checked to be hexadecimal (and of the right length for the
 * algorithms whose length is known) and lower-cased; a file's hashes are sorted by
 * algorithm so that a page has one representation. Kept text must be UTF-8.
 *
 * Messages show the page URL with any password masked and every string from the page
 * escaped (buf_put_quoted), cut short so that a message always fits an Err.
 */
#include "config.h"

#include "simple.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "../engine/utf8.h"
#include "ascii.h"

#define PAGE_MAX_BYTES ((size_t)64 << 20)
#define PAGE_MAX_FILES 1000000
/* Bytes of outside text shown in a message: with escapes it still fits an Err. */
#define QUOTED_MAX 100
#define URL_SHOWN_MAX 200

/* ---------------------------------------------------------------- messages */

/* The page URL for a message: password masked, escaped, without quotes. */
static void
put_page_url(Buf *b, const char *url)
{
	const char *auth, *end, *at, *colon;
	Buf masked = { 0 }, q = { 0 };

	if (!url)
		url = "(no URL)";
	/* scheme://user:password@host -> scheme://user:****@host */
	auth = strstr(url, "://");
	if (auth) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		at = memchr(auth, '@', (size_t)(end - auth));
		while (at && memchr(at + 1, '@', (size_t)(end - at - 1)))
			at = memchr(at + 1, '@', (size_t)(end - at - 1));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			buf_append(&masked, url, (size_t)(colon + 1 - url));
			buf_puts(&masked, "****");
			buf_puts(&masked, at);
			url = masked.data;
		}
	}
	buf_put_quoted(&q, url, strlen(url), URL_SHOWN_MAX);
	/* drop buf_put_quoted's quotes: '"text"' or '"text"...' */
	if (q.len >= 5 && strcmp(q.data + q.len - 4, "\"...") == 0) {
		buf_append(b, q.data + 1, q.len - 5);
		buf_puts(b, "...");
	} else {
		buf_append(b, q.data + 1, q.len - 2);
	}
	buf_free(&q);
	buf_free(&masked);
}

static int
page_verror(Err *err, const char *page_url, const char *where, unsigned long line,
	    const char *fmt, va_list ap)
{
	Buf b = { 0 };

	put_page_url(&b, page_url);
	if (line)
		buf_printf(&b, ":%lu", line);
	buf_puts(&b, ": ");
	if (where && *where)
		buf_printf(&b, "%s: ", where);
	buf_vprintf(&b, fmt, ap);
	if (err)
		err_set(err, "%s", b.data);
	buf_free(&b);
	return -1;
}

static int page_error(Err *err, const char *page_url, const char *where, unsigned long line,
		      const char *fmt, ...) ERR_PRINTF(5, 6);

static int
page_error(Err *err, const char *page_url, const char *where, unsigned long line,
	   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = page_verror(err, page_url, where, line, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *
quoted(Arena *arena, const char *s, size_t n)
{
	return buf_quoted_string(arena, s, n, QUOTED_MAX);
}

/* ---------------------------------------------------------------- URLs */

typedef struct UrlParts {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len, frag_len;
	bool has_scheme, has_auth, has_query, has_frag;
} UrlParts;

static bool
is_scheme_char(int c)
{
	return ascii_is_alnum(c) || c == '+' || c == '-' || c == '.';
}

/* RFC 3986 appendix B, by hand. */
static void
url_split(const char *s, UrlParts *u)
{
	size_t i = 0;

	memset(u, 0, sizeof(*u));
	if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) {
		for (i = 1; is_scheme_char((unsigned char)s[i]); i++)
			;
		if (s[i] == ':') {
			u->has_scheme = true;
			u->scheme = s;
			u->scheme_len = i;
			s += i + 1;
		}
	}
	if (s[0] == '/' && s[1] == '/') {
		u->has_auth = true;
		u->auth = s + 2;
		u->auth_len = strcspn(s + 2, "/?#");
		s += 2 + u->auth_len;
	}
	u->path = s;
	u->path_len = strcspn(s, "?#");
	s += u->path_len;
	if (*s == '?') {
		u->has_query = true;
		u->query = s + 1;
		u->query_len = strcspn(s + 1, "#");
		s += 1 + u->query_len;
	}
	if (*s == '#') {
		u->has_frag = true;
		u->frag = s + 1;
		u->frag_len = strlen(s + 1);
	}
}

/* Drop the last segment of the output and the '/' before it (RFC 3986 5.2.4). */
static void
pop_segment(Buf *out)
{
	while (out->len > 0 && out->data[out->len - 1] != '/')
		out->len--;
	if (out->len > 0)
		out->len--;
	out->data[out->len] = '\0';
}

/* RFC 3986 section 5.2.4, appending the result to out. */
static void
remove_dot_segments(const char *path, size_t n, Buf *out)
{
	char *in = xstrndup(path, n), *p = in;
	Buf seg = { 0 };   /* the output path alone, for pop_segment */

	buf_reserve(&seg, n + 1);
	while (n > 0) {
		if (n >= 3 && memcmp(p, "../", 3) == 0) {
			p += 3, n -= 3;
		} else if (n >= 2 && memcmp(p, "./", 2) == 0) {
			p += 2, n -= 2;
		} else if (n >= 3 && memcmp(p, "/./", 3) == 0) {
			p += 2, n -= 2;
		} else if (n == 2 && memcmp(p, "/.", 2) == 0) {
			p += 1, n -= 1;
			p[0] = '/';
		} else if (n >= 4 && memcmp(p, "/../", 4) == 0) {
			p += 3, n -= 3;
			pop_segment(&seg);
		} else if (n == 3 && memcmp(p, "/..", 3) == 0) {
			p += 2, n -= 2;
			p[0] = '/';
			pop_segment(&seg);
		} else if ((n == 1 && p[0] == '.') || (n == 2 && memcmp(p, "..", 2) == 0)) {
			n = 0;
		} else {
			size_t k = p[0] == '/' ? 1 : 0;

			while (k < n && p[k] != '/')
				k++;
			buf_append(&seg, p, k);
			p += k, n -= k;
		}
	}
	if (seg.len)
		buf_append(out, seg.data, seg.len);
	buf_free(&seg);
	free(in);
}

char *
simple_url_join(const char *base, const char *ref, Arena *arena)
{
	UrlParts b, r;
	Buf out = { 0 }, merged = { 0 };
	const char *scheme = NULL, *auth = NULL, *query = NULL;
	size_t scheme_len = 0, auth_len = 0, query_len = 0;
	bool has_auth = false, has_query = false;
	char *result;

	url_split(base ? base : "", &b);
	url_split(ref ? ref : "", &r);
	/* The path is built first, into out, then the rest is put around it. */
	if (r.has_scheme) {
		scheme = r.scheme, scheme_len = r.scheme_len;
		has_auth = r.has_auth, auth = r.auth, auth_len = r.auth_len;
		remove_dot_segments(r.path, r.path_len, &out);
		has_query = r.has_query, query = r.query, query_len = r.query_len;
	} else {
		if (r.has_auth) {
			has_auth = true, auth = r.auth, auth_len = r.auth_len;
			remove_dot_segments(r.path, r.path_len, &out);
			has_query = r.has_query, query = r.query, query_len = r.query_len;
		} else {
			if (r.path_len == 0) {
				buf_append(&out, b.path, b.path_len);
				if (r.has_query)
					has_query = true, query = r.query, query_len = r.query_len;
				else
					has_query = b.has_query, query = b.query, query_len = b.query_len;
			} else {
				if (r.path[0] == '/') {
					remove_dot_segments(r.path, r.path_len, &out);
				} else {
					/* RFC 3986 5.2.3 */
					if (b.has_auth && b.path_len == 0) {
						buf_putc(&merged, '/');
					} else {
						const char *slash = NULL;
						size_t i;

						for (i = 0; i < b.path_len; i++)
							if (b.path[i] == '/')
								slash = b.path + i;
						if (slash)
							buf_append(&merged, b.path,
								   (size_t)(slash + 1 - b.path));
					}
					buf_append(&merged, r.path, r.path_len);
					remove_dot_segments(merged.data, merged.len, &out);
				}
				has_query = r.has_query, query = r.query, query_len = r.query_len;
			}
			has_auth = b.has_auth, auth = b.auth, auth_len = b.auth_len;
		}
		scheme = b.has_scheme ? b.scheme : NULL, scheme_len = b.scheme_len;
	}

	/* RFC 3986 5.3, recomposition */
	{
		Buf t = { 0 };

		if (scheme) {
			buf_append(&t, scheme, scheme_len);
			buf_putc(&t, ':');
		}
		if (has_auth) {
			buf_puts(&t, "//");
			buf_append(&t, auth, auth_len);
		}
		/* A path starting with "//" without an authority would read back as one. */
		if (!has_auth && out.len >= 2 && out.data[0] == '/' && out.data[1] == '/')
			buf_puts(&t, "/.");
		if (out.len)
			buf_append(&t, out.data, out.len);
		if (has_query) {
			buf_putc(&t, '?');
			buf_append(&t, query, query_len);
		}
		if (r.has_frag) {
			buf_putc(&t, '#');
			buf_append(&t, r.frag, r.frag_len);
		}
		result = arena_strndup(arena, t.data ? t.data : "", t.len);
		buf_free(&t);
	}
	buf_free(&out);
	buf_free(&merged);
	return result;
}

/* ---------------------------------------------------------------- shared checks */

static bool
is_hex(int c)
{
	return ascii_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Digest lengths of the algorithms PEP 503 names; others are only checked to be hex. */
static size_t
digest_hex_len(const char *alg)
{
	static const struct { const char *alg; size_t len; } known[] = {
		{ "md5", 32 }, { "sha1", 40 }, { "sha224", 56 },
		{ "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].alg, alg) == 0)
			return known[i].len;
	return 0;
}

/*
 * A hash from outside text: alg lower-cased and checked to be a hash name, value
 * checked and lower-cased. Returns NULL, or the reason it is refused (why may need
 * why_buf, of at least 96 bytes).
 */
static const char *
hash_make(Arena *a, const char *alg, size_t alen, const char *val, size_t vlen, SimpleHash *h,
	  char *why_buf, size_t why_size)
{
	char *al, *v;
	size_t i, want;

	if (alen == 0 || alen > 32)
		return "not a hash name";
	al = arena_strndup(a, alg, alen);
	for (i = 0; i < alen; i++) {
		al[i] = ascii_lower((unsigned char)al[i]);
		if (!ascii_is_alnum((unsigned char)al[i]) && al[i] != '_' && al[i] != '-')
			return "not a hash name";
	}
	if (vlen == 0)
		return "not a hexadecimal string";
	v = arena_strndup(a, val, vlen);
	for (i = 0; i < vlen; i++) {
		if (!is_hex((unsigned char)v[i]))
			return "not a hexadecimal string";
		v[i] = ascii_lower((unsigned char)v[i]);
	}
	want = digest_hex_len(al);
	if (want && vlen != want) {
		snprintf(why_buf, why_size, "a %s digest has %zu hexadecimal digits, not %zu", al,
			 want, vlen);
		return why_buf;
	}
	h->alg = al;
	h->value = v;
	return NULL;
}

/* Sorts hashes by algorithm (insertion sort: there are one or two); false on a duplicate. */
static bool
hashes_sort(SimpleHash *h, size_t n, const char **dup)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		SimpleHash t = h[i];

		for (j = i; j > 0 && strcmp(h[j - 1].alg, t.alg) > 0; j--)
			h[j] = h[j - 1];
		h[j] = t;
	}
	for (i = 1; i < n; i++)
		if (strcmp(h[i - 1].alg, h[i].alg) == 0) {
			*dup = h[i].alg;
			return false;
		}
	return true;
}

/* NULL when s is a usable file name, else the reason. */
static const char *
filename_problem(const char *s, size_t n)
{
	if (n == 0)
		return "empty";
	if (memchr(s, '/', n))
		return "contains '/'";
	if (memchr(s, '\0', n))
		return "contains a NUL character";
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return "not a file name";
	if (utf8_valid_prefix(s, n) != n)
		return "not UTF-8";
	return NULL;
}

/* NULL when v is an api-version this reader understands, else the reason. */
static const char *
api_version_problem(const char *v)
{
	size_t i = 0, major_start, major_end;

	while (v[i] == '0' && ascii_is_digit((unsigned char)v[i + 1]))
		i++;
	major_start = i;
	while (ascii_is_digit((unsigned char)v[i]))
		i++;
	major_end = i;
	if (major_end == 0 || v[i] != '.' || !ascii_is_digit((unsigned char)v[i + 1]))
		return "not a version of the form MAJOR.MINOR";
	for (i++; ascii_is_digit((unsigned char)v[i]); i++)
		;
	if (v[i] != '\0')
		return "not a version of the form MAJOR.MINOR";
	if (major_end - major_start != 1 || v[major_start] != '1')
		return "unsupported major version (this reader knows version 1)";
	return NULL;
}

/* The URL of a file: joined with the page's, without its fragment. */
static char *
file_url(const char *page_url, const char *ref, Arena *a, const char **frag)
{
	char *u = simple_url_join(page_url, ref, a), *hash = strchr(u, '#');

	if (frag)
		*frag = hash ? hash + 1 : NULL;
	if (hash)
		*hash = '\0';
	return u;
}

/* ---------------------------------------------------------------- JSON */

typedef struct Json {
	const char *page_url;
	Arena *arena;
	Err *err;
	char path[192];
} Json;

static const char *
json_type(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static int json_error(Json *j, const char *fmt, ...) ERR_PRINTF(2, 3);

static int
json_error(Json *j, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = page_verror(j->err, j->page_url, j->path, 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* Sets j->path to "files[i].key" (or "key" when i is -1). */
static void
json_path(Json *j, long i, const char *key)
{
	if (i < 0)
		snprintf(j->path, sizeof(j->path), "%s", key ? key : "");
	else if (key)
		snprintf(j->path, sizeof(j->path), "files[%ld].%s", i, key);
	else
		snprintf(j->path, sizeof(j->path), "files[%ld]", i);
}

static int
json_wrong_type(Json *j, const cJSON *v, const char *wanted)
{
	return json_error(j, "expected %s, got %s", wanted, json_type(v));
}

/* A kept string: its copy, or NULL with an error (not UTF-8: cJSON checks nothing). */
static const char *
json_string(Json *j, const cJSON *v)
{
	const char *s = v->valuestring;
	size_t n = strlen(s);

	if (utf8_valid_prefix(s, n) != n) {
		json_error(j, "not UTF-8: %s", quoted(j->arena, s, n));
		return NULL;
	}
	return arena_strndup(j->arena, s, n);
}

/* The member of o named key, NULL when absent or null. */
static const cJSON *
json_get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A hash object: {"sha256": "HEX", ...}. j->path names the object. */
static int
json_hashes(Json *j, const cJSON *o, SimpleHash **out, size_t *n)
{
	const cJSON *c;
	SimpleHash *h;
	size_t count = 0, base_len = strlen(j->path);
	const char *dup;
	char why[96];

	if (!cJSON_IsObject(o))
		return json_wrong_type(j, o, "an object of hexadecimal digests");
	for (c = o->child; c; c = c->next)
		count++;
	h = count ? arena_alloc(j->arena, count * sizeof(*h)) : NULL;
	count = 0;
	for (c = o->child; c; c = c->next) {
		const char *reason;
		size_t klen = strlen(c->string);

		/* the key goes into the path as it is when it is a plain name, else quoted */
		if (klen <= 32 && strspn(c->string, "abcdefghijklmnopqrstuvwxyz"
						    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == klen)
			snprintf(j->path + base_len, sizeof(j->path) - base_len, ".%s", c->string);
		else
			snprintf(j->path + base_len, sizeof(j->path) - base_len, ".%s",
				 buf_quoted_string(j->arena, c->string, klen, 24));
		if (!cJSON_IsString(c))
			return json_wrong_type(j, c, "a string");
		reason = hash_make(j->arena, c->string, klen, c->valuestring,
				   strlen(c->valuestring), &h[count], why, sizeof(why));
		if (reason && strcmp(reason, "not a hash name") == 0)
			return json_error(j, "not a hash name");
		if (reason)
			return json_error(j, "%s: %s", reason,
					  quoted(j->arena, c->valuestring, strlen(c->valuestring)));
		count++;
	}
	j->path[base_len] = '\0';
	if (!hashes_sort(h, count, &dup))
		return json_error(j, "hash %s given twice", dup);
	*out = h;
	*n = count;
	return 0;
}

static int
json_file(Json *j, long i, const cJSON *o, SimpleFile *f)
{
	static const char *const metadata_keys[] = { "core-metadata", "dist-info-metadata",
						     "data-dist-info-metadata" };
	const cJSON *v;
	const char *why;
	size_t k;

	memset(f, 0, sizeof(*f));
	f->size = -1;
	json_path(j, i, NULL);
	if (!cJSON_IsObject(o))
		return json_wrong_type(j, o, "an object");

	json_path(j, i, "filename");
	if (!(v = json_get(o, "filename")))
		return json_error(j, "missing");
	if (!cJSON_IsString(v))
		return json_wrong_type(j, v, "a string");
	if ((why = filename_problem(v->valuestring, strlen(v->valuestring))))
		return json_error(j, "%s: %s", why,
				  quoted(j->arena, v->valuestring, strlen(v->valuestring)));
	f->filename = arena_strdup(j->arena, v->valuestring);

	json_path(j, i, "url");
	if (!(v = json_get(o, "url")))
		return json_error(j, "missing");
	if (!cJSON_IsString(v))
		return json_wrong_type(j, v, "a string");
	if (!v->valuestring[0])
		return json_error(j, "empty");
	if (!json_string(j, v))
		return -1;
	f->url = file_url(j->page_url, v->valuestring, j->arena, NULL);

	json_path(j, i, "hashes");
	if ((v = json_get(o, "hashes")) && json_hashes(j, v, &f->hashes, &f->nhashes) != 0)
		return -1;

	json_path(j, i, "requires-python");
	if ((v = json_get(o, "requires-python"))) {
		if (!cJSON_IsString(v))
			return json_wrong_type(j, v, "a string");
		if (v->valuestring[0] && !(f->requires_python = json_string(j, v)))
			return -1;
	}

	json_path(j, i, "yanked");
	if ((v = json_get(o, "yanked"))) {
		if (cJSON_IsBool(v)) {
			f->yanked = cJSON_IsTrue(v);
		} else if (cJSON_IsString(v)) {
			/* a reason; "" is false, as Python reads it */
			if (v->valuestring[0]) {
				f->yanked = true;
				if (!(f->yanked_reason = json_string(j, v)))
					return -1;
			}
		} else {
			return json_wrong_type(j, v, "a boolean or a string");
		}
	}

	for (k = 0; k < sizeof(metadata_keys) / sizeof(metadata_keys[0]); k++) {
		json_path(j, i, metadata_keys[k]);
		if (!(v = json_get(o, metadata_keys[k])))
			continue;
		if (cJSON_IsBool(v)) {
			f->has_metadata = cJSON_IsTrue(v);
		} else if (cJSON_IsObject(v)) {
			f->has_metadata = true;
			if (json_hashes(j, v, &f->metadata_hashes, &f->nmetadata_hashes) != 0)
				return -1;
		} else {
			return json_wrong_type(j, v, "a boolean or an object of hashes");
		}
		break;
	}

	json_path(j, i, "size");
	if ((v = json_get(o, "size"))) {
		double d = v->valuedouble;

		if (!cJSON_IsNumber(v))
			return json_wrong_type(j, v, "an integer");
		/* 2^53: past it a double no longer holds every integer */
		if (!(d >= 0 && d <= 9007199254740992.0) || (double)(int64_t)d != d)
			return json_error(j, "not an integer from 0 to 2^53");
		f->size = (int64_t)d;
	}

	json_path(j, i, "upload-time");
	if ((v = json_get(o, "upload-time"))) {
		if (!cJSON_IsString(v))
			return json_wrong_type(j, v, "a string");
		if (!(f->upload_time = json_string(j, v)))
			return -1;
	}
	return 0;
}

static int
parse_json(const char *data, size_t len, const char *page_url, Arena *arena, SimplePage *out,
	   Err *err)
{
	Json j = { page_url, arena, err, "" };
	const char *end = NULL;
	const cJSON *v, *c;
	cJSON *root;
	size_t bad = utf8_valid_prefix(data, len), n, i;
	int rc = -1;

	if (bad != len)
		return page_error(err, page_url, NULL, 0, "not UTF-8 (byte %zu)", bad);
	root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (root && end) {
		/* cJSON stops after the first value; only white space may follow */
		while (end < data + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
			end++;
		if (end < data + len) {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (!root) {
		size_t off = end && end >= data && end <= data + len ? (size_t)(end - data) : 0;
		unsigned long line = 1;

		for (i = 0; i < off; i++)
			line += data[i] == '\n';
		return page_error(err, page_url, NULL, 0, "not valid JSON (line %lu, byte %zu)",
				  line, off);
	}
	if (!cJSON_IsObject(root)) {
		json_wrong_type(&j, root, "an object");
		goto done;
	}

	json_path(&j, -1, "meta");
	if ((v = json_get(root, "meta"))) {
		if (!cJSON_IsObject(v)) {
			json_wrong_type(&j, v, "an object");
			goto done;
		}
		json_path(&j, -1, "meta.api-version");
		if ((c = json_get(v, "api-version"))) {
			const char *why;

			if (!cJSON_IsString(c)) {
				json_wrong_type(&j, c, "a string");
				goto done;
			}
			if ((why = api_version_problem(c->valuestring))) {
				json_error(&j, "%s: %s", why,
					   quoted(arena, c->valuestring, strlen(c->valuestring)));
				goto done;
			}
			out->api_version = arena_strdup(arena, c->valuestring);
		}
	}

	json_path(&j, -1, "name");
	if ((v = json_get(root, "name"))) {
		if (!cJSON_IsString(v)) {
			json_wrong_type(&j, v, "a string");
			goto done;
		}
		if (!(out->name = json_string(&j, v)))
			goto done;
	}

	json_path(&j, -1, "versions");
	if ((v = json_get(root, "versions"))) {
		if (!cJSON_IsArray(v)) {
			json_wrong_type(&j, v, "an array of strings");
			goto done;
		}
		n = (size_t)cJSON_GetArraySize(v);
		if (n > 0) {
			out->versions = arena_alloc(arena, n * sizeof(*out->versions));
			for (c = v->child, i = 0; c; c = c->next, i++) {
				snprintf(j.path, sizeof(j.path), "versions[%zu]", i);
				if (!cJSON_IsString(c)) {
					json_wrong_type(&j, c, "a string");
					goto done;
				}
				if (!(out->versions[i] = json_string(&j, c)))
					goto done;
			}
			out->nversions = n;
		}
	}

	json_path(&j, -1, "files");
	if (!(v = json_get(root, "files"))) {
		json_error(&j, "missing");
		goto done;
	}
	if (!cJSON_IsArray(v)) {
		json_wrong_type(&j, v, "an array");
		goto done;
	}
	n = (size_t)cJSON_GetArraySize(v);
	if (n > PAGE_MAX_FILES) {
		json_error(&j, "%zu files, more than the %d a page may have", n, PAGE_MAX_FILES);
		goto done;
	}
	out->files = n ? arena_alloc(arena, n * sizeof(*out->files)) : NULL;
	for (c = v->child, i = 0; c; c = c->next, i++)
		if (json_file(&j, (long)i, c, &out->files[i]) != 0)
			goto done;
	out->nfiles = n;
	rc = 0;
done:
	cJSON_Delete(root);
	return rc;
}

/* ---------------------------------------------------------------- HTML */

typedef struct Html {
	const char *s;
	size_t len;
	const char *page_url, *base;
	Arena *arena;
	Err *err;
	size_t line_pos;          /* lines are counted up to here */
	unsigned long line;
	SimpleFile *files;        /* malloc'd while scanning, copied into the arena */
	size_t nfiles, cap;
	const char *api_version;
	bool seen_base, seen_meta;
} Html;

typedef struct Attr {
	const char *v;            /* raw value (entities not decoded) */
	size_t n;
	bool present;
} Attr;

enum { A_HREF, A_REQUIRES_PYTHON, A_YANKED, A_CORE_METADATA, A_DIST_INFO_METADATA, A_NAME,
       A_CONTENT, A_COUNT };

static const char *const attr_names[A_COUNT] = {
	"href", "data-requires-python", "data-yanked", "data-core-metadata",
	"data-dist-info-metadata", "name", "content",
};

static bool
html_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static unsigned long
html_line(Html *h, size_t pos)
{
	const char *p = h->s + h->line_pos, *end = h->s + pos;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		h->line++;
		p++;
	}
	h->line_pos = pos;
	return h->line;
}

static int html_error(Html *h, size_t pos, const char *fmt, ...) ERR_PRINTF(3, 4);

static int
html_error(Html *h, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = page_verror(h->err, h->page_url, NULL, html_line(h, pos), fmt, ap);
	va_end(ap);
	return rc;
}

/* Case-insensitive search for needle (lower case) in s[from..len). */
static size_t
find_fold(const char *s, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = from; i + n <= len; i++)
		if (ascii_equal_fold(s + i, needle, n))
			return i;
	return len;
}

/* The character references of an attribute value decoded, into the arena; no NUL. */
static char *
decode_attr(Arena *a, const char *s, size_t n, size_t *out_len)
{
	static const struct { const char *name; char c; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
		{ "AMP;", '&' }, { "LT;", '<' }, { "GT;", '>' }, { "QUOT;", '"' },
	};
	/* room for every byte becoming U+FFFD */
	char *out = arena_alloc(a, 3 * n + 4), *o = out;
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '\0') {
			/* HTML5: a NUL in an attribute value is U+FFFD */
			o += utf8_encode(0xFFFD, o);
			i++;
			continue;
		}
		if (s[i] != '&') {
			*o++ = s[i++];
			continue;
		}
		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
			size_t m = strlen(named[k].name);

			if (i + 1 + m <= n && memcmp(s + i + 1, named[k].name, m) == 0)
				break;
		}
		if (k < sizeof(named) / sizeof(named[0])) {
			*o++ = named[k].c;
			i += 1 + strlen(named[k].name);
			continue;
		}
		if (i + 2 < n && s[i + 1] == '#') {
			bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			size_t j = i + 2 + hex, start = j;
			uint32_t cp = 0;

			for (; j < n && (hex ? is_hex((unsigned char)s[j]) : ascii_is_digit((unsigned char)s[j])); j++) {
				unsigned d = ascii_is_digit((unsigned char)s[j]) ? (unsigned)(s[j] - '0')
					   : (unsigned)(ascii_lower((unsigned char)s[j]) - 'a' + 10);

				cp = cp > 0x10FFFF ? cp : cp * (hex ? 16 : 10) + d;
			}
			if (j > start) {
				/* HTML5: no NUL, no surrogate, nothing past U+10FFFF */
				if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
					cp = 0xFFFD;
				o += utf8_encode(cp, o);
				i = j < n && s[j] == ';' ? j + 1 : j;
				continue;
			}
		}
		*o++ = s[i++];
	}
	*o = '\0';
	*out_len = (size_t)(o - out);
	return out;
}

/* An attribute value decoded and checked to be UTF-8; NULL with an error. */
static char *
html_value(Html *h, size_t pos, const Attr *at, const char *what, size_t *n)
{
	size_t len;
	char *v = decode_attr(h->arena, at->v, at->n, &len);

	if (utf8_valid_prefix(v, len) != len) {
		html_error(h, pos, "%s: not UTF-8: %s", what, quoted(h->arena, v, len));
		return NULL;
	}
	if (n)
		*n = len;
	return v;
}

/* "true", "false" or "ALG=HEX" (data-core-metadata) */
static int
html_metadata(Html *h, size_t pos, const Attr *at, const char *what, SimpleFile *f)
{
	size_t n;
	char *v = html_value(h, pos, at, what, &n), *eq, why[96];
	const char *reason;

	if (!v)
		return -1;
	if (n == 4 && ascii_equal_fold(v, "true", 4)) {
		f->has_metadata = true;
		return 0;
	}
	if (n == 5 && ascii_equal_fold(v, "false", 5))
		return 0;
	eq = memchr(v, '=', n);
	if (!eq)
		return html_error(h, pos, "%s: expected \"true\" or ALGORITHM=DIGEST, got %s", what,
				  quoted(h->arena, v, n));
	f->metadata_hashes = arena_alloc(h->arena, sizeof(SimpleHash));
	reason = hash_make(h->arena, v, (size_t)(eq - v), eq + 1, n - (size_t)(eq - v) - 1,
			   f->metadata_hashes, why, sizeof(why));
	if (reason)
		return html_error(h, pos, "%s: %s: %s", what, reason, quoted(h->arena, v, n));
	f->nmetadata_hashes = 1;
	f->has_metadata = true;
	return 0;
}

static bool
hash_fragment_alg(const char *frag, size_t n)
{
	static const char *const algs[] = { "md5", "sha1", "sha224", "sha256", "sha384", "sha512" };
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (n == strlen(algs[i]) && memcmp(frag, algs[i], n) == 0)
			return true;
	return false;
}

/* Percent-decoded copy of s[0..n) ("%zz" stays as it is). */
static char *
percent_decode(Arena *a, const char *s, size_t n, size_t *out_len)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && is_hex((unsigned char)s[i + 1]) && is_hex((unsigned char)s[i + 2])) {
			char hx[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtoul(hx, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	*out_len = (size_t)(o - out);
	return out;
}

/* Removes leading and trailing white space, and tabs and line breaks within (WHATWG). */
static char *
clean_href(Arena *a, const char *v, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	size_t i;

	while (n > 0 && (html_space((unsigned char)v[0]) || (unsigned char)v[0] < 0x20))
		v++, n--;
	while (n > 0 && (html_space((unsigned char)v[n - 1]) || (unsigned char)v[n - 1] < 0x20))
		n--;
	for (i = 0; i < n; i++)
		if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
			*o++ = v[i];
	*o = '\0';
	return out;
}

static int
html_anchor(Html *h, size_t pos, Attr *at)
{
	SimpleFile f;
	const char *frag, *base = h->base ? h->base : h->page_url;
	char *href, *url, *name, *v;
	UrlParts u;
	size_t n, seg;

	if (!at[A_HREF].present)
		return 0;
	if (!(v = html_value(h, pos, &at[A_HREF], "href", &n)))
		return -1;
	href = clean_href(h->arena, v, n);
	if (!*href)
		return 0;
	url = file_url(base, href, h->arena, &frag);
	url_split(url, &u);
	for (seg = u.path_len; seg > 0 && u.path[seg - 1] != '/'; seg--)
		;
	name = percent_decode(h->arena, u.path + seg, u.path_len - seg, &n);
	if (n == 0 || memchr(name, '/', n) || memchr(name, '\0', n) ||
	    (n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
		return 0;   /* a directory, a parent or a sorting link: no file */
	if (utf8_valid_prefix(name, n) != n)
		return html_error(h, pos, "href: the file name is not UTF-8: %s",
				  quoted(h->arena, name, n));
	if (utf8_valid_prefix(url, strlen(url)) != strlen(url))
		return html_error(h, pos, "href: not UTF-8: %s", quoted(h->arena, url, strlen(url)));

	memset(&f, 0, sizeof(f));
	f.size = -1;
	f.filename = name;
	f.url = url;
	if (frag) {
		const char *eq = strchr(frag, '=');
		char why[96];

		if (eq && hash_fragment_alg(frag, (size_t)(eq - frag))) {
			const char *reason;

			f.hashes = arena_alloc(h->arena, sizeof(SimpleHash));
			reason = hash_make(h->arena, frag, (size_t)(eq - frag), eq + 1, strlen(eq + 1),
					   f.hashes, why, sizeof(why));
			if (reason)
				return html_error(h, pos, "href: %s hash: %s: %s",
						  quoted(h->arena, frag, (size_t)(eq - frag)), reason,
						  quoted(h->arena, eq + 1, strlen(eq + 1)));
			f.nhashes = 1;
		}
	}
	if (at[A_REQUIRES_PYTHON].present) {
		if (!(v = html_value(h, pos, &at[A_REQUIRES_PYTHON], "data-requires-python", &n)))
			return -1;
		f.requires_python = n ? v : NULL;
	}
	if (at[A_YANKED].present) {
		if (!(v = html_value(h, pos, &at[A_YANKED], "data-yanked", &n)))
			return -1;
		f.yanked = true;
		f.yanked_reason = n ? v : NULL;
	}
	/* PEP 714: the new name wins, the old one is only a fallback */
	if (at[A_CORE_METADATA].present) {
		if (html_metadata(h, pos, &at[A_CORE_METADATA], "data-core-metadata", &f) != 0)
			return -1;
	} else if (at[A_DIST_INFO_METADATA].present) {
		if (html_metadata(h, pos, &at[A_DIST_INFO_METADATA], "data-dist-info-metadata", &f) != 0)
			return -1;
	}
	if (h->nfiles == PAGE_MAX_FILES)
		return html_error(h, pos, "more than the %d files a page may have", PAGE_MAX_FILES);
	xgrow(&h->files, &h->cap, h->nfiles + 1, sizeof(*h->files));
	h->files[h->nfiles++] = f;
	return 0;
}

/* A start tag at h->s[*pos] == '<' (a letter follows): its attributes, then what it means. */
static int
html_tag(Html *h, size_t *pos)
{
	const char *s = h->s;
	size_t len = h->len, start = *pos, i = *pos + 1, name, name_len;
	Attr at[A_COUNT];

	memset(at, 0, sizeof(at));
	name = i;
	while (i < len && !html_space((unsigned char)s[i]) && s[i] != '/' && s[i] != '>')
		i++;
	name_len = i - name;
	for (;;) {
		size_t an, an_len, k;
		const char *v = NULL;
		size_t vn = 0;

		while (i < len && (html_space((unsigned char)s[i]) || s[i] == '/'))
			i++;
		if (i >= len) {
			*pos = len;   /* a tag cut by the end of the page is dropped (HTML5) */
			return 0;
		}
		if (s[i] == '>') {
			i++;
			break;
		}
		an = i++;
		while (i < len && !html_space((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' &&
		       s[i] != '=')
			i++;
		an_len = i - an;
		while (i < len && html_space((unsigned char)s[i]))
			i++;
		if (i < len && s[i] == '=') {
			i++;
			while (i < len && html_space((unsigned char)s[i]))
				i++;
			if (i < len && (s[i] == '"' || s[i] == '\'')) {
				const char *q = memchr(s + i + 1, s[i], len - i - 1);

				v = s + i + 1;
				vn = q ? (size_t)(q - v) : len - i - 1;
				i = q ? (size_t)(q - s) + 1 : len;
			} else {
				v = s + i;
				while (i < len && !html_space((unsigned char)s[i]) && s[i] != '>')
					i++;
				vn = (size_t)(s + i - v);
			}
		}
		for (k = 0; k < A_COUNT; k++)
			if (an_len == strlen(attr_names[k]) &&
			    ascii_equal_fold(s + an, attr_names[k], an_len) && !at[k].present) {
				at[k].present = true;
				at[k].v = v ? v : "";
				at[k].n = vn;
			}
	}
	*pos = i;

#define TAG_IS(t) (name_len == strlen(t) && ascii_equal_fold(s + name, t, name_len))
	if (TAG_IS("a"))
		return html_anchor(h, start, at);
	if (TAG_IS("base") && at[A_HREF].present && !h->seen_base) {
		size_t n;
		char *v = html_value(h, start, &at[A_HREF], "base href", &n), *hash;

		if (!v)
			return -1;
		h->seen_base = true;
		h->base = simple_url_join(h->page_url, clean_href(h->arena, v, n), h->arena);
		if ((hash = strchr(h->base, '#')))
			*hash = '\0';
		return 0;
	}
	if (TAG_IS("meta") && at[A_NAME].present && at[A_CONTENT].present && !h->seen_meta &&
	    at[A_NAME].n == strlen("pypi:repository-version") &&
	    ascii_equal_fold(at[A_NAME].v, "pypi:repository-version", at[A_NAME].n)) {
		size_t n;
		char *v = html_value(h, start, &at[A_CONTENT], "pypi:repository-version", &n);
		const char *why;

		if (!v)
			return -1;
		why = strlen(v) != n ? "not a version" : api_version_problem(v);
		if (why)
			return html_error(h, start, "pypi:repository-version: %s: %s", why,
					  quoted(h->arena, v, n));
		h->seen_meta = true;
		h->api_version = v;
		return 0;
	}
	/* raw text: no tags inside */
	if (TAG_IS("script") || TAG_IS("style") || TAG_IS("title") || TAG_IS("textarea")) {
		char close[16];

		snprintf(close, sizeof(close), "</%.*s", (int)name_len, s + name);
		for (size_t k = 2; close[k]; k++)
			close[k] = ascii_lower((unsigned char)close[k]);
		*pos = find_fold(s, len, i, close);
	}
#undef TAG_IS
	return 0;
}

static int
parse_html(const char *data, size_t len, const char *page_url, Arena *arena, SimplePage *out,
	   Err *err)
{
	Html h = { 0 };
	size_t pos = 0;

	h.s = data;
	h.len = len;
	h.page_url = page_url;
	h.arena = arena;
	h.err = err;
	h.line = 1;
	while (pos < len) {
		const char *lt = memchr(data + pos, '<', len - pos);

		if (!lt)
			break;
		pos = (size_t)(lt - data);
		if (pos + 4 <= len && memcmp(data + pos, "<!--", 4) == 0) {
			/* "<!-->" and "<!--->" are (empty) comments too */
			if (pos + 4 < len && data[pos + 4] == '>')
				pos += 5;
			else if (pos + 5 < len && data[pos + 4] == '-' && data[pos + 5] == '>')
				pos += 6;
			else {
				const char *end = NULL, *p = data + pos + 4;

				while (p + 3 <= data + len &&
				       (p = memchr(p, '-', (size_t)(data + len - p)))) {
					if (p + 3 <= data + len && memcmp(p, "-->", 3) == 0) {
						end = p;
						break;
					}
					p++;
				}
				pos = end ? (size_t)(end - data) + 3 : len;
			}
		} else if (pos + 1 < len && (data[pos + 1] == '!' || data[pos + 1] == '?' ||
					     data[pos + 1] == '/')) {
			const char *gt = memchr(data + pos + 1, '>', len - pos - 1);

			pos = gt ? (size_t)(gt - data) + 1 : len;
		} else if (pos + 1 < len && ((data[pos + 1] >= 'a' && data[pos + 1] <= 'z') ||
					     (data[pos + 1] >= 'A' && data[pos + 1] <= 'Z'))) {
			if (html_tag(&h, &pos) != 0) {
				free(h.files);
				return -1;
			}
		} else {
			pos++;
		}
	}
	out->api_version = h.api_version;
	out->nfiles = h.nfiles;
	if (h.nfiles) {
		out->files = arena_alloc(arena, h.nfiles * sizeof(*out->files));
		memcpy(out->files, h.files, h.nfiles * sizeof(*out->files));
	}
	free(h.files);
	return 0;
}

/* ---------------------------------------------------------------- public */

int
simple_parse(const char *data, size_t len, SimpleFormat fmt, const char *page_url, Arena *arena,
	     SimplePage *out, Err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > PAGE_MAX_BYTES)
		return page_error(err, page_url, NULL, 0,
				  "the page has %zu bytes, more than the %zu MiB a page may have", len,
				  PAGE_MAX_BYTES >> 20);
	if (!data)
		data = "";
	rc = fmt == SIMPLE_JSON ? parse_json(data, len, page_url, arena, out, err)
				: parse_html(data, len, page_url, arena, out, err);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
simple_format_of(const char *content_type, SimpleFormat *fmt)
{
	static const struct { const char *type; SimpleFormat fmt; } types[] = {
		{ "application/vnd.pypi.simple.v1+json", SIMPLE_JSON },
		{ "application/vnd.pypi.simple.latest+json", SIMPLE_JSON },
		{ "application/vnd.pypi.simple.v1+html", SIMPLE_HTML },
		{ "application/vnd.pypi.simple.latest+html", SIMPLE_HTML },
		{ "text/html", SIMPLE_HTML },
	};
	const char *s = content_type;
	size_t n, i;

	if (!s) {
		*fmt = SIMPLE_HTML;
		return 0;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, ";");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (n == strlen(types[i].type) && ascii_equal_fold(s, types[i].type, n)) {
			*fmt = types[i].fmt;
			return 0;
		}
	return -1;
}

static void
put_key(Buf *out, const char *key)
{
	buf_json_string(out, key, strlen(key));
	buf_putc(out, ':');
}

static void
put_str(Buf *out, const char *s)
{
	buf_json_string(out, s, strlen(s));
}

static void
put_hashes(Buf *out, const SimpleHash *h, size_t n)
{
	size_t i;

	buf_putc(out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		put_key(out, h[i].alg);
		put_str(out, h[i].value);
	}
	buf_putc(out, '}');
}

void
simple_page_write(const SimplePage *page, Buf *out)
{
	size_t i;

	/* keys in sorted order at every level */
	buf_puts(out, "{\"files\":[");
	for (i = 0; i < page->nfiles; i++) {
		const SimpleFile *f = &page->files[i];

		if (i)
			buf_putc(out, ',');
		buf_putc(out, '{');
		if (f->has_metadata) {
			put_key(out, "core-metadata");
			if (f->nmetadata_hashes)
				put_hashes(out, f->metadata_hashes, f->nmetadata_hashes);
			else
				buf_puts(out, "true");
			buf_putc(out, ',');
		}
		put_key(out, "filename");
		put_str(out, f->filename);
		buf_putc(out, ',');
		put_key(out, "hashes");
		put_hashes(out, f->hashes, f->nhashes);
		if (f->requires_python) {
			buf_putc(out, ',');
			put_key(out, "requires-python");
			put_str(out, f->requires_python);
		}
		if (f->size >= 0) {
			buf_putc(out, ',');
			put_key(out, "size");
			buf_printf(out, "%lld", (long long)f->size);
		}
		if (f->upload_time) {
			buf_putc(out, ',');
			put_key(out, "upload-time");
			put_str(out, f->upload_time);
		}
		buf_putc(out, ',');
		put_key(out, "url");
		put_str(out, f->url);
		buf_putc(out, ',');
		put_key(out, "yanked");
		if (f->yanked && f->yanked_reason && *f->yanked_reason)
			put_str(out, f->yanked_reason);
		else
			buf_puts(out, f->yanked ? "true" : "false");
		buf_putc(out, '}');
	}
	buf_puts(out, "],\"meta\":{");
	if (page->api_version) {
		put_key(out, "api-version");
		put_str(out, page->api_version);
	}
	buf_putc(out, '}');
	if (page->name) {
		buf_putc(out, ',');
		put_key(out, "name");
		put_str(out, page->name);
	}
	if (page->nversions) {
		buf_puts(out, ",\"versions\":[");
		for (i = 0; i < page->nversions; i++) {
			if (i)
				buf_putc(out, ',');
			put_str(out, page->versions[i]);
		}
		buf_putc(out, ']');
	}
	buf_putc(out, '}');
}

const char *
simple_file_sha256(const SimpleFile *f)
{
	size_t i;

	for (i = 0; i < f->nhashes; i++)
		if (strcmp(f->hashes[i].alg, "sha256") == 0)
			return f->hashes[i].value;
	return NULL;
}
