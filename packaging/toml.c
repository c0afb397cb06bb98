/*
 * toml.c - the TOML 1.0.0 parser behind toml.h.
 *
 * One pass of recursive descent over the bytes. Values go straight into the caller's
 * arena; the parser itself only mallocs scratch space (key parts, the element stack of
 * the arrays being read, number digits), all freed before toml_parse returns.
 *
 * A few choices that are not obvious from the code:
 *
 * - UTF-8 is checked where non-ASCII bytes are allowed (strings, comments) and where one
 *   is found unexpectedly, rather than in a first pass over the whole document, so
 *   that the first error in document order is the one reported. Every byte of an
 *   accepted document has been looked at by one of those checks.
 *
 * - Line and column are not counted while scanning. locate() counts newlines from the
 *   last position it was asked about, so the bookkeeping cannot get out of step with
 *   the scanner and stays linear as long as positions are asked for in order, which
 *   the parser does; only an error message may look back, once.
 *
 * - Tables remember how they came to exist (TableKind), which is all the redefinition
 *   rules need: a [header] may define a table that so far was only implied by another
 *   header, but not one made by dotted keys or by a header; dotted keys may go through
 *   tables they made themselves or that headers only implied, but not into a table
 *   that a header defined; inline tables and static arrays are closed for good.
 *
 * - A table's entries are an arena array grown by doubling; past INDEX_MIN entries a
 *   hash index (open addressing) is kept beside it, so lookups stay O(1) in tables
 *   with thousands of keys.
 */
#include "config.h"

#include "toml.h"

#include "../engine/utf8.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/buf.h"
#include "../engine/hash.h"

#define INDEX_MIN 8

typedef enum TableKind {
	TAB_IMPLICIT,  /* made as the parent of a [header] table: a later header may define it */
	TAB_HEADER,    /* defined by [header], or an element of [[header]] */
	TAB_DOTTED,    /* made by a dotted key */
	TAB_INLINE,    /* { ... } */
} TableKind;

/* Tables and arrays carry parser bookkeeping behind the public struct, which comes
 * first so that a TomlValue pointer and a Table pointer convert to each other. */
typedef struct Table {
	TomlValue v;
	size_t cap;
	unsigned depth;
	TableKind kind;
} Table;

typedef struct Array {
	TomlValue v;
	size_t cap;
	unsigned depth;
	bool aot;      /* made by [[header]]; otherwise a value, closed for good */
} Array;

typedef struct Index {
	size_t mask;
	size_t slot[];  /* entry number + 1; 0 is an empty slot */
} Index;

/* A place in the input, with its line and column worked out while they were cheap. */
typedef struct Pos {
	const char *at;
	unsigned line, col;
} Pos;

typedef struct KeyPart {
	const char *s;         /* the key's bytes: in the input, or in the arena if unescaped */
	size_t n;
	bool in_arena;         /* s is NUL-terminated in the arena and can be kept as is */
	Pos pos;               /* where it is written */
} KeyPart;

typedef struct Parser {
	const char *data, *p, *end;   /* data is past any byte-order mark */
	const char *input;            /* what toml_parse was given: values' offsets count from it */
	const char *filename;
	Arena *arena;
	Err *err;
	const char *loc_p, *loc_bol;  /* locate()'s memory: a position and its line */
	unsigned loc_line;
	KeyPart *keys;                /* the key being read, one part per dot */
	size_t nkeys, keys_cap;
	TomlValue **stack;            /* elements of the arrays being read */
	size_t stack_len, stack_cap;
	Buf scratch;
	locale_t c_locale;            /* for strtod_l, made when the first float is seen */
	Table *root, *cur;
	char keybuf[256];             /* a key formatted for a message */
} Parser;

/* ------------------------------------------------------------------ positions, errors */

static void
locate(Parser *P, const char *at, unsigned *line, unsigned *col)
{
	const char *q, *nl;

	if (at < P->loc_p) {
		P->loc_p = P->loc_bol = P->data;
		P->loc_line = 1;
	}
	q = P->loc_p;
	while ((nl = memchr(q, '\n', (size_t)(at - q)))) {
		P->loc_line++;
		q = nl + 1;
		P->loc_bol = q;
	}
	P->loc_p = at;
	*line = P->loc_line;
	*col = (unsigned)(at - P->loc_bol) + 1;
}

static Pos
here(Parser *P, const char *at)
{
	Pos pos = { at, 0, 0 };

	locate(P, at, &pos.line, &pos.col);
	return pos;
}

static int fail_at(Parser *P, const char *at, const char *fmt, ...) ERR_PRINTF(3, 4);

static int
fail_at(Parser *P, const char *at, const char *fmt, ...)
{
	char msg[1536];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	locate(P, at, &line, &col);
	return err_set(P->err, "%s:%u:%u: %s", P->filename, line, col, msg);
}

static int
bad_utf8(Parser *P, const char *at, const char *why)
{
	return fail_at(P, at, "invalid UTF-8 (byte 0x%02X starts %s)", (unsigned char)*at, why);
}

/* Checks the UTF-8 sequence at p; its length, or 0 with the error set. */
static int
utf8_check(Parser *P, const char *p)
{
	const char *why = "";
	uint32_t cp;
	int n = (int)utf8_decode(p, (size_t)(P->end - p), &cp, &why);

	if (!n)
		bad_utf8(P, p, why);
	return n;
}

/* A description of the character at p, for "expected X, found Y". */
static const char *
describe(Parser *P, const char *p, char *buf, size_t size)
{
	unsigned char c;
	const char *why;
	uint32_t cp;

	if (p >= P->end)
		return "end of file";
	c = (unsigned char)*p;
	if (c == '\n' || (c == '\r' && p + 1 < P->end && p[1] == '\n'))
		return "end of line";
	if (c == '\r')
		return "a carriage return not followed by a newline";
	if (c == '\t')
		return "a tab";
	if (c == '\'')
		return "a single quote";
	if (c >= 0x20 && c < 0x7F) {
		snprintf(buf, size, "'%c'", c);
	} else if (c < 0x80) {
		snprintf(buf, size, "control character U+%04X", c);
	} else if ((int)utf8_decode(p, (size_t)(P->end - p), &cp, &why)) {
		int n = (int)utf8_decode(p, (size_t)(P->end - p), &cp, &why);

		snprintf(buf, size, "'%.*s' (U+%04X)", n, p, (unsigned)cp);
	} else {
		return "invalid UTF-8";
	}
	return buf;
}

static int
unexpected(Parser *P, const char *at, const char *expected)
{
	char buf[48];
	const char *why = "";
	uint32_t cp;

	if (at < P->end && (unsigned char)*at >= 0x80 && !utf8_decode(at, (size_t)(P->end - at), &cp, &why))
		return bad_utf8(P, at, why);
	return fail_at(P, at, "expected %s, found %s", expected, describe(P, at, buf, sizeof(buf)));
}

static bool
is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Appends to P->keybuf; once it is full, "..." ends it and the rest is dropped. */
static void
kput(Parser *P, size_t *len, const char *s, size_t n)
{
	size_t room;

	if (*len >= sizeof(P->keybuf))
		return;
	room = sizeof(P->keybuf) - 4 - *len;  /* keep space for "..." and NUL */
	if (n > room) {
		while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
			room--;  /* not in the middle of a UTF-8 sequence */
		memcpy(P->keybuf + *len, s, room);
		*len += room;
		memcpy(P->keybuf + *len, "...", 4);
		*len = sizeof(P->keybuf);
		return;
	}
	memcpy(P->keybuf + *len, s, n);
	*len += n;
	P->keybuf[*len] = '\0';
}

/* The first n parts of the current key as TOML would write them, for a message. */
static const char *
keystr(Parser *P, size_t n)
{
	size_t len = 0, i, j;

	P->keybuf[0] = '\0';
	for (i = 0; i < n && len < sizeof(P->keybuf); i++) {
		const KeyPart *k = &P->keys[i];
		bool bare = k->n > 0;

		for (j = 0; j < k->n && bare; j++)
			bare = is_bare(k->s[j]);
		if (i)
			kput(P, &len, ".", 1);
		if (bare) {
			kput(P, &len, k->s, k->n);
			continue;
		}
		kput(P, &len, "\"", 1);
		for (j = 0; j < k->n && len < sizeof(P->keybuf); j++) {
			unsigned char c = (unsigned char)k->s[j];
			char esc[8];

			if (c == '"' || c == '\\') {
				esc[0] = '\\', esc[1] = (char)c;
				kput(P, &len, esc, 2);
			} else if (c < 0x20 || c == 0x7F) {
				snprintf(esc, sizeof(esc), "\\u%04X", c);
				kput(P, &len, esc, 6);
			} else {
				kput(P, &len, k->s + j, 1);
			}
		}
		kput(P, &len, "\"", 1);
	}
	return P->keybuf;
}

/* ------------------------------------------------------------------ tables */

static uint64_t
hash_key(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

static TomlEntry *
table_find(const TomlValue *t, const char *key, size_t n)
{
	const Index *ix = t->u.table.index;
	TomlEntry *e = t->u.table.entries;
	size_t i;

	if (ix) {
		for (i = hash_key(key, n) & ix->mask; ix->slot[i]; i = (i + 1) & ix->mask) {
			TomlEntry *x = &e[ix->slot[i] - 1];

			if (x->key_len == n && (n == 0 || memcmp(x->key, key, n) == 0))
				return x;
		}
		return NULL;
	}
	for (i = 0; i < t->u.table.len; i++)
		if (e[i].key_len == n && (n == 0 || memcmp(e[i].key, key, n) == 0))
			return &e[i];
	return NULL;
}

static void
index_put(Index *ix, const TomlEntry *entries, size_t i)
{
	size_t s = hash_key(entries[i].key, entries[i].key_len) & ix->mask;

	while (ix->slot[s])
		s = (s + 1) & ix->mask;
	ix->slot[s] = i + 1;
}

static void
table_add(Parser *P, Table *t, const KeyPart *k, TomlValue *v)
{
	size_t len = t->v.u.table.len, i;
	Index *ix = t->v.u.table.index;
	TomlEntry *e;

	if (len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4;

		e = arena_alloc(P->arena, cap * sizeof(*e));
		if (len)
			memcpy(e, t->v.u.table.entries, len * sizeof(*e));
		t->v.u.table.entries = e;
		t->cap = cap;
	}
	e = &t->v.u.table.entries[len];
	e->key = k->in_arena ? k->s : arena_strndup(P->arena, k->s, k->n);
	e->key_len = k->n;
	e->value = v;
	t->v.u.table.len = ++len;
	if (len <= INDEX_MIN)
		return;
	if (ix && len * 2 <= ix->mask + 1) {
		index_put(ix, t->v.u.table.entries, len - 1);
		return;
	}
	/* (Re)build at a load of at most a quarter, so that growth is rare. */
	{
		size_t size = 64;

		while (size < len * 4)
			size *= 2;
		ix = arena_zalloc(P->arena, sizeof(*ix) + size * sizeof(ix->slot[0]));
		ix->mask = size - 1;
		for (i = 0; i < len; i++)
			index_put(ix, t->v.u.table.entries, i);
		t->v.u.table.index = ix;
	}
}

static int
too_deep(Parser *P, const char *at)
{
	return fail_at(P, at, "tables and arrays nested deeper than %d levels", TOML_MAX_DEPTH);
}

static Table *
new_table(Parser *P, Pos pos, unsigned depth, TableKind kind)
{
	Table *t;

	if (depth > TOML_MAX_DEPTH) {
		too_deep(P, pos.at);
		return NULL;
	}
	t = arena_zalloc(P->arena, sizeof(*t));
	t->v.type = TOML_TABLE;
	t->v.line = pos.line;
	t->v.col = pos.col;
	t->v.offset = (size_t)(pos.at - P->input);
	t->depth = depth;
	t->kind = kind;
	return t;
}

static Array *
new_array(Parser *P, Pos pos, unsigned depth, bool aot)
{
	Array *a;

	if (depth > TOML_MAX_DEPTH) {
		too_deep(P, pos.at);
		return NULL;
	}
	a = arena_zalloc(P->arena, sizeof(*a));
	a->v.type = TOML_ARRAY;
	a->v.line = pos.line;
	a->v.col = pos.col;
	a->v.offset = (size_t)(pos.at - P->input);
	a->depth = depth;
	a->aot = aot;
	return a;
}

static TomlValue *
new_value(Parser *P, TomlType type, const char *at)
{
	TomlValue *v = arena_zalloc(P->arena, sizeof(*v));

	v->type = type;
	locate(P, at, &v->line, &v->col);
	v->offset = (size_t)(at - P->input);
	return v;
}

static const char *
a_type(const TomlValue *v)
{
	if (v->type == TOML_ARRAY && ((const Array *)v)->aot)
		return "an array of tables";
	return toml_type_desc(v->type);
}

/* ------------------------------------------------------------------ whitespace, comments */

static void
skip_ws(Parser *P)
{
	while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
		P->p++;
}

static bool
eat_newline(Parser *P)
{
	if (P->p < P->end && *P->p == '\n') {
		P->p++;
		return true;
	}
	if (P->end - P->p >= 2 && P->p[0] == '\r' && P->p[1] == '\n') {
		P->p += 2;
		return true;
	}
	return false;
}

/* At '#': skips to the end of the line, leaving the newline. */
static int
skip_comment(Parser *P)
{
	const char *p = P->p + 1;
	char buf[48];
	int n;

	while (p < P->end && *p != '\n') {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x80) {
			if (!(n = utf8_check(P, p)))
				return -1;
			p += n;
			continue;
		}
		if (c == '\r' && p + 1 < P->end && p[1] == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fail_at(P, p, "%s is not allowed in a comment",
				       describe(P, p, buf, sizeof(buf)));
		p++;
	}
	P->p = p;
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static int
skip_ws_nl(Parser *P)
{
	for (;;) {
		skip_ws(P);
		if (P->p < P->end && *P->p == '#' && skip_comment(P))
			return -1;
		if (!eat_newline(P))
			return 0;
	}
}

static int
end_of_line(Parser *P, const char *after)
{
	char what[64];

	skip_ws(P);
	if (P->p < P->end && *P->p == '#' && skip_comment(P))
		return -1;
	if (P->p == P->end || eat_newline(P))
		return 0;
	snprintf(what, sizeof(what), "end of line after %s", after);
	return unexpected(P, P->p, what);
}

/* ------------------------------------------------------------------ strings */

/* A \u or \U escape at s (the backslash); its value in *cp and the length consumed. */
static int
unicode_escape(Parser *P, const char *s, const char *e, uint32_t *cp)
{
	int digits = s[1] == 'u' ? 4 : 8, i, h;
	uint32_t v = 0;

	for (i = 0; i < digits; i++) {
		if (s + 2 + i >= e || (h = hash_hex_digit(s[2 + i])) < 0)
			return fail_at(P, s, "invalid escape: \\%c needs %d hex digits", s[1],
				       digits);
		v = v << 4 | (uint32_t)h;
	}
	if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return fail_at(P, s, "invalid escape '%.*s': U+%04X is not a Unicode scalar value",
			       digits + 2, s, (unsigned)v);
	*cp = v;
	return digits + 2;
}

/*
 * The escape at s (a backslash) in a basic string that ends at e: its bytes go to u and
 * their count to *ulen; returns where the escape ends, or NULL. In a multi-line string
 * a backslash that ends a line eats all whitespace up to the next visible character,
 * newlines included, and stands for nothing.
 */
static const char *
escape(Parser *P, const char *s, const char *e, bool multi, char u[4], size_t *ulen)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	char x = s + 1 < e ? s[1] : '\0', buf[48];
	const char *t, *hit;
	uint32_t cp = 0;
	int len;

	*ulen = 0;
	if (x && (hit = strchr(from, x))) {
		u[0] = to[hit - from];
		*ulen = 1;
		return s + 2;
	}
	if (x == 'u' || x == 'U') {
		if ((len = unicode_escape(P, s, e, &cp)) < 0)
			return NULL;
		*ulen = utf8_encode(cp, u);
		return s + len;
	}
	if (multi && (x == ' ' || x == '\t' || x == '\n' || x == '\r')) {
		for (t = s + 1; t < e && (*t == ' ' || *t == '\t'); t++)
			;
		if (e - t >= 2 && t[0] == '\r' && t[1] == '\n')
			t++;
		if (t == e || *t != '\n') {
			fail_at(P, s, "invalid escape: only whitespace may follow a line-ending "
				"backslash");
			return NULL;
		}
		while (t < e && (*t == ' ' || *t == '\t' || *t == '\n' ||
				 (e - t >= 2 && t[0] == '\r' && t[1] == '\n')))
			t++;
		return t;
	}
	if (s + 1 < e && (unsigned char)x >= 0x21 && (unsigned char)x < 0x7F)
		fail_at(P, s, "invalid escape '\\%c' in string", x);
	else
		fail_at(P, s, "invalid escape: backslash followed by %s",
			describe(P, s + 1, buf, sizeof(buf)));
	return NULL;
}

/*
 * Decodes the body s..e of a string (delimiters excluded) into out, or only checks it
 * when out is NULL; the decoded length goes to *len. Basic strings resolve escapes
 * and line-ending backslashes; multi-line strings turn CR LF into LF, as Python's
 * tomllib does.
 */
static int
decode_string(Parser *P, const char *s, const char *e, bool basic, bool multi, char *out,
	      size_t *len_out)
{
	char buf[48];
	size_t n = 0;
	int len;

	while (s < e) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' && basic) {
			char u[4];
			size_t k;

			if (!(s = escape(P, s, e, multi, u, &k)))
				return -1;
			if (out)
				memcpy(out + n, u, k);
			n += k;
			continue;
		}
		if (c >= 0x80) {
			if (!(len = utf8_check(P, s)))
				return -1;
			if (out)
				memcpy(out + n, s, (size_t)len);
			n += (size_t)len;
			s += len;
			continue;
		}
		if (c == '\r' && multi && s + 1 < e && s[1] == '\n') {
			s++;
			continue;
		}
		if ((c < 0x20 && c != '\t' && !(c == '\n' && multi)) || c == 0x7F) {
			if (c == '\n')
				return fail_at(P, s, "newline in a single-line string");
			return fail_at(P, s, "%s is not allowed in a string%s",
				       describe(P, s, buf, sizeof(buf)),
				       basic ? " (write it as an escape)" : "");
		}
		if (out)
			out[n] = (char)c;
		n++;
		s++;
	}
	*len_out = n;
	return 0;
}

/*
 * Reads the string at P->p (at its opening quote). The decoded bytes go to *out; with
 * copy, or when escapes had to be decoded, they are a fresh NUL-terminated arena copy
 * (*in_arena is then true), otherwise they point into the input.
 */
static int
parse_string(Parser *P, bool allow_multi, bool copy, const char **out, size_t *outlen,
	     bool *in_arena)
{
	const char *open = P->p, *s, *e, *close;
	char q = *open;
	bool basic = q == '"', escapes = false;
	bool multi = P->end - open >= 3 && open[1] == q && open[2] == q;
	size_t n = 0;
	char *dst = NULL;

	if (multi && !allow_multi)
		return fail_at(P, open, "a multi-line string cannot be a key");
	s = open + (multi ? 3 : 1);
	/* Find the closing delimiter first; the body is then checked and decoded. */
	for (e = s;; e++) {
		if (e >= P->end || (!multi && e[0] == '\n'))
			return fail_at(P, open, "unterminated string");
		if (basic && *e == '\\') {
			escapes = true;
			if (e + 1 < P->end && (multi || e[1] != '\n'))
				e++;
			continue;
		}
		if (*e != q)
			continue;
		if (!multi)
			break;
		if (P->end - e >= 3 && e[1] == q && e[2] == q) {
			/* Up to two quotes may sit right before the closing three. */
			int run = 3;

			while (run < 5 && e + run < P->end && e[run] == q)
				run++;
			e += run - 3;
			break;
		}
	}
	close = e + (multi ? 3 : 1);
	if (multi) {
		/* A newline right after the opening delimiter is not part of the string. */
		if (s < e && *s == '\n')
			s++;
		else if (e - s >= 2 && s[0] == '\r' && s[1] == '\n')
			s += 2;
	}
	if (copy || escapes) {
		dst = arena_alloc(P->arena, (size_t)(e - s) + 1);
		*in_arena = true;
	} else {
		*in_arena = false;
	}
	if (decode_string(P, s, e, basic, multi, dst, &n))
		return -1;
	if (dst) {
		dst[n] = '\0';
		*out = dst;
	} else {
		*out = s;
	}
	*outlen = n;
	P->p = close;
	return 0;
}

/* ------------------------------------------------------------------ keys */

static int
simple_key(Parser *P, KeyPart *k)
{
	const char *p = P->p;

	k->pos = here(P, p);
	if (p < P->end && (*p == '"' || *p == '\''))
		return parse_string(P, false, false, &k->s, &k->n, &k->in_arena);
	while (p < P->end && is_bare(*p))
		p++;
	if (p == P->p)
		return unexpected(P, p, "a key");
	k->s = P->p;
	k->n = (size_t)(p - P->p);
	k->in_arena = false;
	P->p = p;
	return 0;
}

/* A key, bare or quoted, dotted or not, into P->keys. */
static int
parse_key(Parser *P)
{
	P->nkeys = 0;
	for (;;) {
		/* No key of more parts can be valid, and stopping here keeps a hostile key
		 * from growing P->keys without bound. */
		if (P->nkeys == TOML_MAX_DEPTH)
			return too_deep(P, P->p);
		xgrow(&P->keys, &P->keys_cap, P->nkeys + 1, sizeof(*P->keys));
		if (simple_key(P, &P->keys[P->nkeys]))
			return -1;
		P->nkeys++;
		skip_ws(P);
		if (P->p == P->end || *P->p != '.')
			return 0;
		P->p++;
		skip_ws(P);
	}
}

/* ------------------------------------------------------------------ scalars */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Digits of base with single underscores between them: the end of the run, or NULL with
 * *bad at the first character that breaks the rule.
 */
static const char *
digit_run(const char *s, const char *e, int base, const char **bad)
{
	const char *p = s;

	for (;;) {
		int d = p < e ? hash_hex_digit(*p) : -1;

		if (d < 0 || d >= base) {
			*bad = p;
			return NULL;
		}
		p++;
		if (p < e && *p == '_') {
			p++;
			continue;
		}
		d = p < e ? hash_hex_digit(*p) : -1;
		if (d < 0 || d >= base)
			return p;
	}
}

static int
bad_number(Parser *P, const char *s, const char *e, const char *why)
{
	return fail_at(P, s, "invalid number '%.*s'%s%s", e - s > 64 ? 64 : (int)(e - s), s,
		       *why ? ": " : "", why);
}

/* The number s..e is wrong at bad, where a digit of base was wanted (after what). */
static int
bad_digit(Parser *P, const char *s, const char *e, const char *bad, int base, const char *what)
{
	static const char *names[17] = { [2] = "a binary", [8] = "an octal",
					 [16] = "a hexadecimal" };
	char why[96];

	if ((bad < e && *bad == '_') || (bad > s && bad[-1] == '_'))
		return bad_number(P, s, e, "underscores must sit between digits");
	if (bad == e)
		snprintf(why, sizeof(why), "expected a digit %s", what);
	else if (*what)
		snprintf(why, sizeof(why), "expected a digit %s, found '%c'", what, *bad);
	else if (base != 10 && is_bare(*bad) && *bad != '-')
		snprintf(why, sizeof(why), "'%c' is not %s digit", *bad, names[base]);
	else
		snprintf(why, sizeof(why), "unexpected '%c'", *bad);
	return bad_number(P, s, e, why);
}

static int
parse_float(Parser *P, const char *s, const char *e, TomlValue *v)
{
	const char *p;
	char *endp;

	buf_clear(&P->scratch);
	for (p = s; p < e; p++)
		if (*p != '_')
			buf_putc(&P->scratch, *p);
	/* strtod would read a decimal comma under some locales; TOML never has one. */
	if (!P->c_locale && !(P->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)))
		return fail_at(P, s, "cannot create the C locale to read a float");
	v->type = TOML_FLOAT;
	v->u.flt = strtod_l(P->scratch.data, &endp, P->c_locale);
	if (endp != P->scratch.data + P->scratch.len)
		return bad_number(P, s, e, "");
	return 0;
}

/* s..e is a token of number characters starting with a sign or digit. */
static int
parse_number(Parser *P, const char *s, const char *e, TomlValue *v)
{
	const char *t = s, *q, *bad;
	bool neg = false;
	uint64_t limit, acc = 0;
	int base = 10;

	if (*t == '+' || *t == '-')
		neg = *t++ == '-';
	if (e - t == 3 && (memcmp(t, "inf", 3) == 0 || memcmp(t, "nan", 3) == 0)) {
		v->type = TOML_FLOAT;
		if (t[0] == 'i')
			v->u.flt = neg ? -INFINITY : INFINITY;
		else
			v->u.flt = neg ? -NAN : NAN;
		return 0;
	}
	if (e - t >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
		base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
		if (t != s)
			return bad_number(P, s, e,
					  "hexadecimal, octal and binary integers take no sign");
		t += 2;
		if (!(q = digit_run(t, e, base, &bad)))
			return bad_digit(P, s, e, bad, base, t[-1] == 'x' ? "after 0x" :
					 t[-1] == 'o' ? "after 0o" : "after 0b");
		if (q != e)
			return bad_digit(P, s, e, q, base, "");
	} else {
		if (!(q = digit_run(t, e, 10, &bad)))
			return bad_digit(P, s, e, bad, 10, "");
		if (*t == '0' && q - t > 1)
			return bad_number(P, s, e, "leading zeros are not allowed");
		if (q < e && (*q == '.' || *q == 'e' || *q == 'E')) {
			if (*q == '.' && !(q = digit_run(q + 1, e, 10, &bad)))
				return bad_digit(P, s, e, bad, 10, "after the decimal point");
			if (q < e && (*q == 'e' || *q == 'E')) {
				q++;
				if (q < e && (*q == '+' || *q == '-'))
					q++;
				if (!(q = digit_run(q, e, 10, &bad)))
					return bad_digit(P, s, e, bad, 10, "in the exponent");
			}
			if (q != e)
				return bad_digit(P, s, e, q, 10, "");
			return parse_float(P, s, e, v);
		}
		if (q != e)
			return bad_digit(P, s, e, q, 10, "");
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; t < e; t++) {
		unsigned d;

		if (*t == '_')
			continue;
		d = (unsigned)hash_hex_digit(*t);
		if (acc > (limit - d) / (unsigned)base)
			return fail_at(P, s, "integer %.*s does not fit in 64 bits",
				       e - s > 80 ? 80 : (int)(e - s), s);
		acc = acc * (unsigned)base + d;
	}
	v->type = TOML_INTEGER;
	/* -2^63 has no positive twin, so it is reached from below. */
	v->u.integer = neg ? (acc ? -(int64_t)(acc - 1) - 1 : 0) : (int64_t)acc;
	return 0;
}

static bool
digits_at(const char *p, const char *e, int n)
{
	int i;

	if (e - p < n)
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return true;
}

static int
num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* HH:MM:SS[.fraction] at *pp. */
static int
parse_time(Parser *P, const char **pp, TomlDatetime *dt)
{
	const char *p = *pp, *e = P->end;
	int scale = 100000000;

	if (!digits_at(p, e, 2) || e - p < 3 || p[2] != ':' || !digits_at(p + 3, e, 2))
		return fail_at(P, p, "invalid time: expected HH:MM:SS");
	if (e - p < 6 || p[5] != ':' || !digits_at(p + 6, e, 2))
		return fail_at(P, p, "invalid time: seconds are required (HH:MM:SS)");
	dt->hour = num2(p);
	dt->minute = num2(p + 3);
	dt->second = num2(p + 6);
	if (dt->hour > 23)
		return fail_at(P, p, "invalid time %.8s: hour %d is out of range (00-23)", p,
			       dt->hour);
	if (dt->minute > 59)
		return fail_at(P, p, "invalid time %.8s: minute %d is out of range (00-59)", p,
			       dt->minute);
	if (dt->second > 60)
		return fail_at(P, p, "invalid time %.8s: second %d is out of range (00-60)", p,
			       dt->second);
	p += 8;
	if (p < e && *p == '.') {
		p++;
		if (p == e || !is_digit(*p))
			return fail_at(P, p, "invalid time: a decimal point needs digits after it");
		for (; p < e && is_digit(*p); p++, scale /= 10)
			dt->nanosecond += (*p - '0') * scale;  /* past 9 digits scale is 0 */
	}
	*pp = p;
	return 0;
}

/* A date, time or date-time at P->p, which starts with "DDDD-" or "DD:". */
static int
parse_datetime(Parser *P, TomlValue *v)
{
	const char *p = P->p, *e = P->end, *start = p;
	TomlDatetime *dt = &v->u.dt;
	bool date = false, time = false;

	if (digits_at(p, e, 4) && p[4] == '-') {
		if (!digits_at(p + 5, e, 2) || e - p < 8 || p[7] != '-' || !digits_at(p + 8, e, 2))
			return fail_at(P, p, "invalid date: expected YYYY-MM-DD");
		dt->year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + num2(p + 2);
		dt->month = num2(p + 5);
		dt->day = num2(p + 8);
		if (dt->month < 1 || dt->month > 12)
			return fail_at(P, p, "invalid date %.10s: month %d is out of range "
				       "(01-12)", p, dt->month);
		if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
			return fail_at(P, p, "invalid date %.10s: day %d is out of range (the "
				       "month has %d days)", p, dt->day,
				       days_in_month(dt->year, dt->month));
		date = true;
		p += 10;
		if (p < e && (*p == 'T' || *p == 't')) {
			p++;
			time = true;
		} else if (e - p >= 4 && *p == ' ' && digits_at(p + 1, e, 2) && p[3] == ':') {
			p++;
			time = true;
		}
	} else {
		time = true;
	}
	if (time && parse_time(P, &p, dt))
		return -1;
	v->type = date && time ? TOML_DATETIME_LOCAL : date ? TOML_DATE_LOCAL : TOML_TIME_LOCAL;
	if (date && time && p < e) {
		if (*p == 'Z' || *p == 'z') {
			v->type = TOML_DATETIME;
			p++;
		} else if (*p == '+' || *p == '-') {
			int h, m;

			if (!digits_at(p + 1, e, 2) || e - p < 6 || p[3] != ':' ||
			    !digits_at(p + 4, e, 2))
				return fail_at(P, p, "invalid time offset: expected +HH:MM or "
					       "-HH:MM");
			h = num2(p + 1);
			m = num2(p + 4);
			if (h > 23 || m > 59)
				return fail_at(P, p, "invalid time offset %.6s: out of range", p);
			dt->offset_minutes = (*p == '-' ? -1 : 1) * (h * 60 + m);
			v->type = TOML_DATETIME;
			p += 6;
		}
	}
	if (p < e && (is_bare(*p) || *p == '.' || *p == ':' || *p == '+'))
		return fail_at(P, start, "invalid date or time: unexpected '%c' after '%.*s'", *p,
			       (int)(p - start), start);
	P->p = p;
	return 0;
}

/* ------------------------------------------------------------------ values */

static int keyval(Parser *P, Table *base);
static int parse_value(Parser *P, unsigned depth, TomlValue **out);

static int
parse_array(Parser *P, unsigned depth, TomlValue **out)
{
	const char *open = P->p;
	size_t base = P->stack_len, n;
	TomlValue *item;
	Array *a;

	if (!(a = new_array(P, here(P, open), depth, false)))
		return -1;
	P->p++;
	for (;;) {
		if (skip_ws_nl(P))
			return -1;
		if (P->p < P->end && *P->p == ']')
			break;
		if (P->p == P->end)
			return fail_at(P, open, "unterminated array");
		if (parse_value(P, depth + 1, &item))
			return -1;
		xgrow(&P->stack, &P->stack_cap, P->stack_len + 1, sizeof(*P->stack));
		P->stack[P->stack_len++] = item;
		if (skip_ws_nl(P))
			return -1;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			continue;
		}
		if (P->p < P->end && *P->p == ']')
			break;
		if (P->p == P->end)
			return fail_at(P, open, "unterminated array");
		return unexpected(P, P->p, "',' or ']' after an array element");
	}
	P->p++;
	n = P->stack_len - base;
	if (n) {
		a->v.u.arr.items = arena_alloc(P->arena, n * sizeof(*a->v.u.arr.items));
		memcpy(a->v.u.arr.items, P->stack + base, n * sizeof(*P->stack));
	}
	a->v.u.arr.len = a->cap = n;
	P->stack_len = base;
	*out = &a->v;
	return 0;
}

static int
parse_inline_table(Parser *P, unsigned depth, TomlValue **out)
{
	const char *open = P->p;
	Table *t;

	if (!(t = new_table(P, here(P, open), depth, TAB_INLINE)))
		return -1;
	P->p++;
	skip_ws(P);
	if (P->p < P->end && *P->p == '}') {
		P->p++;
		*out = &t->v;
		return 0;
	}
	for (;;) {
		if (P->p == P->end || *P->p == '\n' || *P->p == '\r')
			return fail_at(P, P->p, "an inline table must be closed on the line it "
				       "starts (expected a key)");
		if (keyval(P, t))
			return -1;
		skip_ws(P);
		if (P->p < P->end && *P->p == '}')
			break;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			skip_ws(P);
			if (P->p < P->end && *P->p == '}')
				return fail_at(P, P->p, "trailing comma in an inline table");
			continue;
		}
		if (P->p == P->end || *P->p == '\n' || *P->p == '\r')
			return fail_at(P, P->p, "an inline table must be closed on the line it "
				       "starts (expected ',' or '}')");
		return unexpected(P, P->p, "',' or '}' in an inline table");
	}
	P->p++;
	*out = &t->v;
	return 0;
}

/* The value at P->p, to be placed depth levels below the root. */
static int
parse_value(Parser *P, unsigned depth, TomlValue **out)
{
	const char *p = P->p, *e = P->end, *q;
	TomlValue *v;
	char c = p < e ? *p : '\0';

	if (p == e)
		return unexpected(P, p, "a value");
	if (c == '[')
		return parse_array(P, depth, out);
	if (c == '{')
		return parse_inline_table(P, depth, out);
	if (c == '"' || c == '\'') {
		v = new_value(P, TOML_STRING, p);
		*out = v;
		return parse_string(P, true, true, &v->u.str.ptr, &v->u.str.len, &(bool){ 0 });
	}
	v = new_value(P, TOML_BOOL, p);
	*out = v;
	if (is_digit(c) && ((digits_at(p, e, 4) && e - p > 4 && p[4] == '-') ||
			    (digits_at(p, e, 2) && e - p > 2 && p[2] == ':')))
		return parse_datetime(P, v);
	for (q = p; q < e && (is_bare(*q) || *q == '.' || *q == '+'); q++)
		;
	if (q == p)
		return unexpected(P, p, "a value");
	P->p = q;
	if (q - p == 4 && memcmp(p, "true", 4) == 0) {
		v->u.boolean = true;
		return 0;
	}
	if (q - p == 5 && memcmp(p, "false", 5) == 0) {
		v->u.boolean = false;
		return 0;
	}
	if (is_digit(c)) {
		const char *r = p;

		while (r < q && is_digit(*r))
			r++;
		if (r < q && *r == '-')
			return fail_at(P, p, "invalid date '%.*s': expected YYYY-MM-DD",
				       q - p > 64 ? 64 : (int)(q - p), p);
	}
	if (is_digit(c) || ((c == '+' || c == '-') && q - p > 1 &&
			    (is_digit(p[1]) || (q - p == 4 && (memcmp(p + 1, "inf", 3) == 0 ||
							       memcmp(p + 1, "nan", 3) == 0)))) ||
	    (q - p == 3 && (memcmp(p, "inf", 3) == 0 || memcmp(p, "nan", 3) == 0)))
		return parse_number(P, p, q, v);
	return fail_at(P, p, "invalid value '%.*s' (strings need quotes)",
		       q - p > 64 ? 64 : (int)(q - p), p);
}

/* ------------------------------------------------------------------ key/value pairs */

/* One step of a dotted key: the table part i names inside t, made if absent. */
static Table *
dotted_step(Parser *P, Table *t, size_t i)
{
	KeyPart *k = &P->keys[i];
	TomlEntry *e = table_find(&t->v, k->s, k->n);
	Table *child;

	if (!e) {
		if (!(child = new_table(P, k->pos, t->depth + 1, TAB_DOTTED)))
			return NULL;
		table_add(P, t, k, &child->v);
		return child;
	}
	if (e->value->type != TOML_TABLE) {
		fail_at(P, k->pos.at, "key '%s' is already %s (defined at line %u), not a table",
			keystr(P, i + 1), a_type(e->value), e->value->line);
		return NULL;
	}
	child = (Table *)e->value;
	switch (child->kind) {
	case TAB_INLINE:
		fail_at(P, k->pos.at, "cannot add to inline table '%s' (defined at line %u): an "
			"inline table is complete as written", keystr(P, i + 1), child->v.line);
		return NULL;
	case TAB_HEADER:
		fail_at(P, k->pos.at, "cannot add to table '%s' with a dotted key: it is "
			"defined by a [header] at line %u", keystr(P, i + 1), child->v.line);
		return NULL;
	case TAB_IMPLICIT:
		child->kind = TAB_DOTTED;
		break;
	case TAB_DOTTED:
		break;
	}
	return child;
}

/* key = value, added to base (the current [table] or an inline table). */
static int
keyval(Parser *P, Table *base)
{
	Table *t = base;
	KeyPart last;
	TomlEntry *e;
	TomlValue *v;
	size_t i;

	if (parse_key(P))
		return -1;
	skip_ws(P);
	if (P->p == P->end || *P->p != '=') {
		char what[320];

		snprintf(what, sizeof(what), "'=' after key '%s'", keystr(P, P->nkeys));
		return unexpected(P, P->p, what);
	}
	P->p++;
	skip_ws(P);
	for (i = 0; i + 1 < P->nkeys; i++)
		if (!(t = dotted_step(P, t, i)))
			return -1;
	last = P->keys[P->nkeys - 1];
	if ((e = table_find(&t->v, last.s, last.n)))
		return fail_at(P, last.pos.at, "duplicate key '%s' (first defined at line %u)",
			       keystr(P, P->nkeys), e->value->line);
	/* Parsing the value reuses P->keys (inline tables), hence the copy in last. */
	if (parse_value(P, t->depth + 1, &v))
		return -1;
	table_add(P, t, &last, v);
	return 0;
}

/* ------------------------------------------------------------------ [table] headers */

/* One step of a header's key: the table part i names inside t, made if absent. */
static Table *
header_step(Parser *P, Table *t, size_t i)
{
	KeyPart *k = &P->keys[i];
	TomlEntry *e = table_find(&t->v, k->s, k->n);
	Table *child;

	if (!e) {
		if (!(child = new_table(P, k->pos, t->depth + 1, TAB_IMPLICIT)))
			return NULL;
		table_add(P, t, k, &child->v);
		return child;
	}
	if (e->value->type == TOML_TABLE) {
		child = (Table *)e->value;
		if (child->kind == TAB_INLINE) {
			fail_at(P, k->pos.at, "cannot add to inline table '%s' (defined at line "
				"%u): an inline table is complete as written", keystr(P, i + 1),
				child->v.line);
			return NULL;
		}
		return child;
	}
	if (e->value->type == TOML_ARRAY && ((Array *)e->value)->aot) {
		Array *a = (Array *)e->value;

		return (Table *)a->v.u.arr.items[a->v.u.arr.len - 1];
	}
	fail_at(P, k->pos.at, "key '%s' is already %s (defined at line %u), not a table",
		keystr(P, i + 1), a_type(e->value), e->value->line);
	return NULL;
}

static int
header(Parser *P)
{
	const char *open = P->p;
	Pos pos = here(P, open);  /* before the key, so that locate() runs forward */
	bool aot = P->end - open >= 2 && open[1] == '[';
	Table *t = P->root, *tab;
	TomlEntry *e;
	KeyPart *k;
	size_t i, n;

	P->p += aot ? 2 : 1;
	skip_ws(P);
	if (parse_key(P))
		return -1;
	if (P->p == P->end || *P->p != ']')
		return unexpected(P, P->p, aot ? "']]' to close the table header" :
				  "']' to close the table header");
	P->p++;
	if (aot) {
		if (P->p == P->end || *P->p != ']')
			return unexpected(P, P->p, "']]' to close the table header");
		P->p++;
	}
	n = P->nkeys;
	for (i = 0; i + 1 < n; i++)
		if (!(t = header_step(P, t, i)))
			return -1;
	k = &P->keys[n - 1];
	e = table_find(&t->v, k->s, k->n);
	if (aot) {
		Array *a;

		if (!e) {
			if (!(a = new_array(P, pos, t->depth + 1, true)))
				return -1;
			table_add(P, t, k, &a->v);
		} else if (e->value->type == TOML_ARRAY && ((Array *)e->value)->aot) {
			a = (Array *)e->value;
		} else if (e->value->type == TOML_ARRAY) {
			return fail_at(P, k->pos.at, "cannot append to '%s' with [[%s]]: it is an "
				       "array value (defined at line %u), not an array of tables",
				       keystr(P, n), P->keybuf, e->value->line);
		} else {
			return fail_at(P, k->pos.at, "cannot define '%s' as an array of tables: it "
				       "is already %s (defined at line %u)", keystr(P, n),
				       a_type(e->value), e->value->line);
		}
		if (!(tab = new_table(P, pos, a->depth + 1, TAB_HEADER)))
			return -1;
		if (a->v.u.arr.len == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 4;
			TomlValue **items = arena_alloc(P->arena, cap * sizeof(*items));

			if (a->v.u.arr.len)
				memcpy(items, a->v.u.arr.items, a->v.u.arr.len * sizeof(*items));
			a->v.u.arr.items = items;
			a->cap = cap;
		}
		a->v.u.arr.items[a->v.u.arr.len++] = &tab->v;
	} else if (!e) {
		if (!(tab = new_table(P, pos, t->depth + 1, TAB_HEADER)))
			return -1;
		table_add(P, t, k, &tab->v);
	} else if (e->value->type == TOML_TABLE) {
		tab = (Table *)e->value;
		switch (tab->kind) {
		case TAB_IMPLICIT:
			tab->kind = TAB_HEADER;
			tab->v.line = pos.line;
			tab->v.col = pos.col;
			tab->v.offset = (size_t)(pos.at - P->input);
			break;
		case TAB_HEADER:
			return fail_at(P, open, "table '%s' is already defined at line %u",
				       keystr(P, n), tab->v.line);
		case TAB_DOTTED:
			return fail_at(P, open, "table '%s' is already defined by dotted keys at "
				       "line %u", keystr(P, n), tab->v.line);
		case TAB_INLINE:
			return fail_at(P, open, "table '%s' is already defined as an inline table "
				       "at line %u", keystr(P, n), tab->v.line);
		}
	} else if (e->value->type == TOML_ARRAY && ((Array *)e->value)->aot) {
		return fail_at(P, open, "'%s' is an array of tables (defined at line %u); add "
			       "an element with [[%s]]", keystr(P, n), e->value->line, P->keybuf);
	} else {
		return fail_at(P, k->pos.at, "cannot define table '%s': the key is already %s "
			       "(defined at line %u)", keystr(P, n), a_type(e->value),
			       e->value->line);
	}
	P->cur = tab;
	return end_of_line(P, "the table header");
}

/* ------------------------------------------------------------------ document */

static int
parse_document(Parser *P)
{
	if (!(P->root = new_table(P, here(P, P->data), 0, TAB_HEADER)))
		return -1;
	P->cur = P->root;
	while (P->p < P->end) {
		skip_ws(P);
		if (P->p == P->end)
			break;
		if (*P->p == '#') {
			if (skip_comment(P))
				return -1;
			continue;
		}
		if (eat_newline(P))
			continue;
		if (*P->p == '[') {
			if (header(P))
				return -1;
			continue;
		}
		if (keyval(P, P->cur) || end_of_line(P, "the value"))
			return -1;
	}
	return 0;
}

int
toml_parse(const char *data, size_t len, const char *filename, Arena *arena,
	   TomlValue **root, Err *err)
{
	Parser P;
	int rc;

	memset(&P, 0, sizeof(P));
	if (!data)
		data = "", len = 0;
	P.data = P.input = data;
	P.end = data + len;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		P.data += 3;
	P.p = P.loc_p = P.loc_bol = P.data;
	P.loc_line = 1;
	P.filename = filename ? filename : "<input>";
	P.arena = arena;
	P.err = err;
	rc = parse_document(&P);
	free(P.keys);
	free(P.stack);
	buf_free(&P.scratch);
	if (P.c_locale)
		freelocale(P.c_locale);
	*root = rc ? NULL : &P.root->v;
	return rc;
}

/* ------------------------------------------------------------------ lookups */

const TomlValue *
toml_getn(const TomlValue *t, const char *key, size_t key_len)
{
	const TomlEntry *e;

	if (!t || t->type != TOML_TABLE || (!key && key_len))
		return NULL;
	e = table_find(t, key ? key : "", key_len);
	return e ? e->value : NULL;
}

const TomlValue *
toml_get(const TomlValue *t, const char *key)
{
	return key ? toml_getn(t, key, strlen(key)) : NULL;
}

const TomlValue *
toml_get_path(const TomlValue *t, const char *dotted)
{
	const char *dot;

	if (!dotted)
		return NULL;
	for (;;) {
		dot = strchr(dotted, '.');
		t = toml_getn(t, dotted, dot ? (size_t)(dot - dotted) : strlen(dotted));
		if (!t || !dot)
			return t;
		dotted = dot + 1;
	}
}

const char *
toml_type_desc(TomlType type)
{
	switch (type) {
	case TOML_TABLE: return "a table";
	case TOML_ARRAY: return "an array";
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_FLOAT: return "a float";
	case TOML_BOOL: return "a boolean";
	case TOML_DATETIME: return "a date-time";
	case TOML_DATETIME_LOCAL: return "a local date-time";
	case TOML_DATE_LOCAL: return "a local date";
	case TOML_TIME_LOCAL: return "a local time";
	}
	return "a value";
}

const char *
toml_type_name(TomlType type)
{
	switch (type) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "bool";
	case TOML_DATETIME: return "datetime";
	case TOML_DATETIME_LOCAL: return "datetime-local";
	case TOML_DATE_LOCAL: return "date-local";
	case TOML_TIME_LOCAL: return "time-local";
	}
	return "unknown";
}
