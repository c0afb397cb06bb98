/*
 * toml_doc.c - typed, located access to a parsed TOML document (see toml_doc.h).
 */
#include "config.h"

#include "toml_doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../engine/buf.h"
#include "toml_write.h"
#include "version.h"

void
toml_doc_init(TomlDoc *d, const char *file, Arena *arena, Err *err)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
	d->arena = arena;
	d->err = err;
}

/* ------------------------------------------------------------------ messages */

static int
vfail_at(const TomlDoc *d, unsigned line, unsigned col, const char *key, const char *fmt,
	 va_list ap)
{
	char what[1536];

	vsnprintf(what, sizeof(what), fmt, ap);
	return err_set(d->err, "%s:%u:%u: %s: %s", d->file, line ? line : 1, col ? col : 1, key,
		       what);
}

int
toml_doc_fail_at(const TomlDoc *d, unsigned line, unsigned col, const char *key, const char *fmt,
		 ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(d, line, col, key, fmt, ap);
	va_end(ap);
	return rc;
}

int
toml_doc_fail(const TomlDoc *d, const TomlValue *at, const char *key, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(d, at ? at->line : 1, at ? at->col : 1, key, fmt, ap);
	va_end(ap);
	return rc;
}

void
toml_doc_warn(TomlDoc *d, const TomlValue *at, const char *key, const char *fmt, ...)
{
	Buf b = { 0 };
	va_list ap;

	/* grown by doubling inside the arena: the old arrays are simply left there */
	if (d->warnings_len == d->warnings_cap) {
		size_t cap = d->warnings_cap ? 2 * d->warnings_cap : 8;
		const char **w = arena_alloc(d->arena, cap * sizeof(*w));

		if (d->warnings_len)
			memcpy(w, d->warnings, d->warnings_len * sizeof(*w));
		d->warnings = w;
		d->warnings_cap = cap;
	}
	buf_printf(&b, "%s:%u:%u: %s: ", d->file, at && at->line ? at->line : 1,
		   at && at->col ? at->col : 1, key);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d->warnings[d->warnings_len++] = arena_strndup(d->arena, b.data, b.len);
	buf_free(&b);
}

const char *
toml_doc_quote(Arena *a, const char *s, size_t n)
{
	return buf_quoted_string(a, s, n, TOML_DOC_QUOTE_MAX);
}

const char *
toml_doc_reason(Arena *a, const char *msg, const char *phrase, const char *value, size_t n)
{
	const char *reason = err_reason(msg, phrase);
	size_t shown_len;
	Buf mine = {0};
	bool whole;

	if (reason == msg)
		return msg;
	/* msg is "SHOWN PHRASE REASON": SHOWN quotes what the parser looked at, the whole
	 * value (stripped, cut at 200 bytes) or one clause of it */
	shown_len = (size_t)(reason - msg) - strlen(phrase);
	version_strip(&value, &n);
	buf_put_quoted(&mine, value, n, 200);
	whole = mine.len == shown_len && memcmp(mine.data, msg, shown_len) == 0;
	buf_free(&mine);
	return whole ? reason : arena_printf(a, "in %.*s: %s", (int)shown_len, msg, reason);
}

/* ------------------------------------------------------------------ keys */

/* base, sep and tail in one arena string: every key of a document is named this way
 * before it is read (for the messages), so it is done without printf, which was a
 * third of reading a lock. */
static const char *
join_path(Arena *a, const char *base, const char *sep, size_t seplen, const char *tail, size_t n)
{
	size_t bl = strlen(base);
	char *out = arena_alloc(a, bl + seplen + n + 1);

	memcpy(out, base, bl);
	memcpy(out + bl, sep, seplen);
	memcpy(out + bl + seplen, tail, n);
	out[bl + seplen + n] = '\0';
	return out;
}

const char *
toml_doc_key(Arena *a, const char *base, const char *k, size_t n)
{
	bool bare = toml_write_bare_key(k, n);

	if (!*base)
		return bare ? arena_strndup(a, k, n) : toml_doc_quote(a, k, n);
	if (!bare) {
		k = toml_doc_quote(a, k, n);
		n = strlen(k);
	}
	return join_path(a, base, ".", 1, k, n);
}

const char *
toml_doc_index(Arena *a, const char *base, size_t i)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "[%zu]", i);

	return join_path(a, base, digits, (size_t)n, "", 0);
}

/* ------------------------------------------------------------------ typed getters */

int
toml_doc_want(const TomlDoc *d, const TomlValue *v, const char *key, TomlType t,
	      const char *expected)
{
	if (v->type == t)
		return 0;
	return toml_doc_fail(d, v, key, "expected %s, found %s", expected,
			     toml_type_desc(v->type));
}

int
toml_doc_str(const TomlDoc *d, const TomlValue *v, const char *key, const char *expected,
	     const char **out)
{
	if (toml_doc_want(d, v, key, TOML_STRING, expected) != 0)
		return -1;
	if (memchr(v->u.str.ptr, '\0', v->u.str.len))
		return toml_doc_fail(d, v, key, "the string holds a NUL byte; expected %s",
				     expected);
	*out = v->u.str.ptr;
	return 0;
}

int
toml_doc_opt_str(const TomlDoc *d, const TomlValue *table, const char *key, const char *name,
		 const char *expected, const char **out)
{
	const TomlValue *v = toml_get(table, name);

	*out = NULL;
	if (!v)
		return 0;
	return toml_doc_str(d, v, toml_doc_key(d->arena, key, name, strlen(name)), expected, out);
}

int
toml_doc_req_str(const TomlDoc *d, const TomlValue *table, const char *key, const char *name,
		 const char *expected, const char **out)
{
	if (!toml_get(table, name))
		return toml_doc_fail(d, table, toml_doc_key(d->arena, key, name, strlen(name)),
				     "missing; expected %s", expected);
	return toml_doc_opt_str(d, table, key, name, expected, out);
}

int
toml_doc_str_array(const TomlDoc *d, const TomlValue *v, const char *key, const char *expected,
		   const char *const **items, size_t *len)
{
	const char **out;
	size_t i;

	if (toml_doc_want(d, v, key, TOML_ARRAY, expected) != 0)
		return -1;
	out = arena_alloc(d->arena, (v->u.arr.len + 1) * sizeof(*out));
	for (i = 0; i < v->u.arr.len; i++)
		if (toml_doc_str(d, v->u.arr.items[i], toml_doc_index(d->arena, key, i), "a string",
				 &out[i]) != 0)
			return -1;
	out[i] = NULL;
	*items = out;
	*len = v->u.arr.len;
	return 0;
}

int
toml_doc_only_keys(TomlDoc *d, const TomlValue *t, const char *key, const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i < t->u.table.len; i++) {
		const TomlEntry *e = &t->u.table.entries[i];
		const char *k;
		Buf list = { 0 };
		int rc = 0;

		for (j = 0; allowed[j]; j++)
			if (strlen(allowed[j]) == e->key_len &&
			    !memcmp(allowed[j], e->key, e->key_len))
				break;
		if (allowed[j])
			continue;
		k = toml_doc_key(d->arena, key, e->key, e->key_len);
		buf_puts(&list, "");
		for (j = 0; allowed[j]; j++)
			buf_printf(&list, "%s%s", j ? ", " : "", allowed[j]);
		if (d->lenient)
			toml_doc_warn(d, e->value, k, "unknown key, ignored (known: %s)",
				      list.data);
		else
			rc = toml_doc_fail(d, e->value, k, "unknown key; expected one of: %s",
					   list.data);
		buf_free(&list);
		if (rc)
			return rc;
	}
	return 0;
}
