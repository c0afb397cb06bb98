/*
 * requirement.c - PEP 508 dependency specifiers (requirement.h).
 *
 * The parser walks the grammar the way packaging's does, token by token, so that it
 * accepts the same strings and reports the same errors at the same columns:
 *
 *   requirement := WS? NAME WS? extras? WS? ( '@' WS? URL (WS marker_part?)?
 *                                           | specifier WS? marker_part? ) END
 *   extras      := '[' WS? (NAME (WS? ',' WS? NAME)*)? WS? ']'
 *   specifier   := '(' WS? clauses WS? ')' | clauses
 *   clauses     := (SPEC (WS? ',' WS? SPEC)* (WS? ',')?)?
 *   marker_part := ';' marker WS?
 *
 * NAME is packaging's identifier: an ASCII letter or digit, then letters, digits, '.',
 * '-' and '_', ending at a word boundary (so "foo_" is a name, "foo-" is "foo" followed
 * by an error). A URL runs to the next space or tab, so a marker after a URL needs white
 * space before its ';' (decided here: a control character in a URL is an error). SPEC
 * is one clause as packaging's specifier pattern matches it (operator, then a version
 * of the shape that operator allows); a ".*" or "+local" the operator does not allow is
 * reported right there, as packaging does. The clauses are then checked one by one and
 * handed to specset_parse; a clause the pattern takes but specifier_parse refuses is
 * packaging's "Invalid specifier: 'X'", given here the caret layout of every other
 * error (packaging has none there), under the clause, with specifier.c's reason. Extras
 * written twice count once, found by sorting (thousands of extras must not cost
 * millions of comparisons). White space is spaces and tabs only; a line break anywhere
 * is an error (decided here: packaging's pattern lets other Unicode white space through
 * between an operator and its version).
 */
#include "config.h"

#include "requirement.h"

#include "ascii.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/buf.h"
#include "name.h"

typedef struct Parser {
	const char *s;
	size_t len, pos;
	Arena *arena;
	Err *err;
} Parser;

static int
fail(Parser *p, size_t start, const char *what)
{
	return marker_syntax_error(p->err, p->s, p->len, start, p->pos, "%s", what);
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static void
skip_ws(Parser *p)
{
	while (p->pos < p->len && is_ws(p->s[p->pos]))
		p->pos++;
}

static bool
at(const Parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

/* packaging's IDENTIFIER, \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b, at pos; its end, or 0. */
static size_t
identifier(const Parser *p)
{
	size_t i = p->pos, j;

	if (i >= p->len || !ascii_is_alnum(p->s[i]) || marker_word_before(p->s, p->len, i))
		return 0;
	for (j = i + 1; j < p->len && (ascii_is_alnum(p->s[j]) || ascii_is_sep(p->s[j])); j++)
		;
	/* The pattern backtracks until the match ends at a word boundary. */
	for (; j > i; j--)
		if (marker_word_at(p->s, p->len, j - 1) != marker_word_at(p->s, p->len, j))
			return j;
	return 0;
}

/* ---------------------------------------------------------------- version clauses */

static size_t
digits(const char *s, size_t len, size_t i)
{
	size_t j = i;

	while (j < len && ascii_is_digit(s[j]))
		j++;
	return j - i;
}

static bool
word_ci(const char *s, size_t len, size_t i, const char *w)
{
	size_t k, n = strlen(w);

	if (i > len || len - i < n)
		return false;
	for (k = 0; k < n; k++)
		if (ascii_lower(s[i + k]) != w[k])
			return false;
	return true;
}

/* The first of words that occurs at s[i] (case-insensitive); its length, or 0. */
static size_t
label(const char *s, size_t len, size_t i, const char *const *words)
{
	for (; *words; words++)
		if (word_ci(s, len, i, *words))
			return strlen(*words);
	return 0;
}

/* "[-_.]? label [-_.]? [0-9]*" at s[i]: its end, or i when the label is missing. */
static size_t
suffix(const char *s, size_t len, size_t i, const char *const *words)
{
	size_t k = i, n;

	if (k < len && ascii_is_sep(s[k]))
		k++;
	if (!(n = label(s, len, k, words)))
		return i;
	k += n;
	if (k < len && ascii_is_sep(s[k]))
		k++;
	return k + digits(s, len, k);
}

enum { CLASS_EQ, CLASS_COMPATIBLE, CLASS_ORDER };

/*
 * The version that packaging's specifier pattern matches after an operator of the given
 * class, from s[i]: its end, or i when none matches. Greedy left to right, which is what
 * the pattern's backtracking comes to, since everything after the release is optional.
 */
static size_t
match_version(const char *s, size_t len, size_t i, int cls)
{
	static const char *const pre[] = { "alpha", "beta", "preview", "pre", "a", "b", "c", "rc", NULL };
	static const char *const post[] = { "post", "rev", "r", NULL };
	static const char *const dev[] = { "dev", NULL };
	size_t j = i, d, parts = 1;

	if (j < len && ascii_lower(s[j]) == 'v')
		j++;
	d = digits(s, len, j);
	if (d && j + d < len && s[j + d] == '!' && digits(s, len, j + d + 1))
		j += d + 1;
	if (!(d = digits(s, len, j)))
		return i;
	j += d;
	while (j + 1 < len && s[j] == '.' && (d = digits(s, len, j + 1))) {
		j += 1 + d;
		parts++;
	}
	if (cls == CLASS_COMPATIBLE && parts < 2)
		return i;
	if (cls == CLASS_EQ && j + 1 < len && s[j] == '.' && s[j + 1] == '*')
		return j + 2;
	j = suffix(s, len, j, pre);
	if (j + 1 < len && s[j] == '-' && ascii_is_digit(s[j + 1]))
		j += 1 + digits(s, len, j + 1);
	else
		j = suffix(s, len, j, post);
	j = suffix(s, len, j, dev);
	if (cls == CLASS_EQ && j + 1 < len && s[j] == '+' && ascii_is_alnum(s[j + 1])) {
		j++;
		for (;;) {
			while (j < len && ascii_is_alnum(s[j]))
				j++;
			if (j + 1 < len && ascii_is_sep(s[j]) && ascii_is_alnum(s[j + 1]))
				j++;
			else
				break;
		}
	}
	return j;
}

/* One clause (packaging's SPECIFIER token) at pos: its end, or pos when none. */
static size_t
match_clause(const Parser *p)
{
	static const struct {
		const char *op;
		int cls;
	} ops[] = {
		{ "==", CLASS_EQ },    { "!=", CLASS_EQ },    { "~=", CLASS_COMPATIBLE },
		{ "<=", CLASS_ORDER }, { ">=", CLASS_ORDER }, { "<", CLASS_ORDER },
		{ ">", CLASS_ORDER },
	};
	const char *s = p->s;
	size_t len = p->len, i = p->pos, j, k, n;

	if (len - i >= 3 && memcmp(s + i, "===", 3) == 0) {
		/* Arbitrary equality: anything up to white space, ';' or ')'. Decided here:
		 * control characters end it too (packaging takes all but \s in), so that
		 * no NUL byte or escape sequence gets into a version string. */
		for (j = i + 3; j < len && is_ws(s[j]); j++)
			;
		while (j < len && s[j] != ';' && s[j] != ')' && (unsigned char)s[j] >= 0x20 &&
		       s[j] != 0x7F && !marker_space_at(s, len, j))
			j++;
		return j;
	}
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		n = strlen(ops[k].op);
		if (len - i < n || memcmp(s + i, ops[k].op, n) != 0)
			continue;
		for (j = i + n; j < len && is_ws(s[j]); j++)
			;
		n = match_version(s, len, j, ops[k].cls);
		return n == j ? i : n;
	}
	return i;
}

/* "+local" in packaging's VERSION_LOCAL_LABEL_TRAIL spelling (lower case only). */
static bool
local_trail(const Parser *p)
{
	size_t j = p->pos;

	if (j + 1 >= p->len || p->s[j] != '+')
		return false;
	return (p->s[j + 1] >= 'a' && p->s[j + 1] <= 'z') || ascii_is_digit(p->s[j + 1]);
}

/* Where a clause stands in the input, for errors about it. */
typedef struct Span {
	size_t start, end;
} Span;

typedef struct Clauses {
	Buf text;      /* the clauses joined by ',', for specset_parse */
	Span *spans;
	size_t len, cap;
} Clauses;

/* clauses: gathers the clauses into c. */
static int
parse_clauses(Parser *p, Clauses *c)
{
	size_t start, end;

	while ((end = match_clause(p)) != p->pos) {
		start = p->pos;
		if (c->text.len)
			buf_putc(&c->text, ',');
		buf_append(&c->text, p->s + start, end - start);
		xgrow(&c->spans, &c->cap, c->len + 1, sizeof(*c->spans));
		c->spans[c->len].start = start;
		c->spans[c->len++].end = end;
		p->pos = end;
		if (p->pos + 1 < p->len && p->s[p->pos] == '.' && p->s[p->pos + 1] == '*') {
			const char *msg = ".* suffix can only be used with `==` or `!=` operators";

			if ((p->s[start] == '=' || p->s[start] == '!') && p->s[start + 2] != '=')
				msg = ".* suffix cannot be used with pre-release, post-release, dev or "
				      "local versions";
			p->pos++;
			return fail(p, start, msg);
		}
		if (local_trail(p))
			return fail(p, start, "Local version label can only be used with `==` or "
					      "`!=` operators");
		skip_ws(p);
		if (!at(p, ','))
			break;
		p->pos++;
		skip_ws(p);
	}
	return 0;
}

static int
parse_specifier(Parser *p, Clauses *c)
{
	size_t open = p->pos;
	bool paren = at(p, '(');

	if (paren)
		p->pos++;
	skip_ws(p);
	if (parse_clauses(p, c) != 0)
		return -1;
	skip_ws(p);
	if (paren) {
		if (!at(p, ')'))
			return fail(p, open, "Expected matching RIGHT_PARENTHESIS for "
					     "LEFT_PARENTHESIS, after version specifier");
		p->pos++;
	}
	return 0;
}

/* packaging's "Invalid specifier: 'TEXT'", in the caret layout under p->s[a..z). */
static int
bad_clause(Parser *p, size_t a, size_t z, const char *reason)
{
	Buf shown = { 0 };

	marker_put_shown(&shown, p->s + a, z - a, 60);
	marker_syntax_error(p->err, p->s, p->len, a, z, "Invalid specifier: '%s': %s",
			    shown.data ? shown.data : "", reason);
	buf_free(&shown);
	return -1;
}

/*
 * Check each clause on its own, for a message that points at it, then build the set.
 * One clause of the pattern may hold several of the set's (an arbitrary-equality
 * version runs to white space, commas included), so each is split at its commas the
 * way SpecifierSet splits the whole text.
 */
static int
build_specset(Parser *p, const Clauses *c, SpecifierSet *out)
{
	size_t k, i, j, a, z;
	Specifier one;
	Err sub;

	if (c->len == 0) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	for (k = 0; k < c->len; k++) {
		for (i = c->spans[k].start; i <= c->spans[k].end; i = j + 1) {
			for (j = i; j < c->spans[k].end && p->s[j] != ','; j++)
				;
			for (a = i; a < j && is_ws(p->s[a]); a++)
				;
			for (z = j; z > a && is_ws(p->s[z - 1]); z--)
				;
			if (z > a && specifier_parse(p->s + a, z - a, p->arena, &one, &sub) != 0)
				return bad_clause(p, a, z, err_reason(sub.msg, SPECIFIER_ERROR_PHRASE));
		}
	}
	if (specset_parse(c->text.data, c->text.len, p->arena, out, &sub) != 0)
		return bad_clause(p, c->spans[0].start, c->spans[c->len - 1].end,
				  err_reason(sub.msg, SPECIFIER_ERROR_PHRASE));
	return 0;
}

/* ';' marker WS?, or the error packaging gives when the ';' is missing. */
static int
parse_marker_part(Parser *p, size_t span_start, const char *expected, Marker **out)
{
	size_t end;

	if (!at(p, ';'))
		return marker_syntax_error(p->err, p->s, p->len, span_start, p->pos,
					   "Expected %s or end", expected);
	p->pos++;
	if (marker_parse_at(p->s, p->len, p->pos, p->arena, out, &end, p->err) != 0)
		return -1;
	p->pos = end;
	skip_ws(p);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct Placed {
	const char *s;
	size_t at;
} Placed;

static int
cmp_placed(const void *a, const void *b)
{
	const Placed *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	return c ? c : x->at < y->at ? -1 : x->at > y->at;
}

/*
 * Drop the later copies of strings that occur more than once, keeping the order of the
 * rest; the new length. Sorting keeps it O(n log n): a requirement may list thousands.
 */
static size_t
drop_repeats(const char **list, size_t n)
{
	Placed *sorted;
	bool *repeat;
	size_t i, o = 0;

	if (n < 2)
		return n;
	sorted = xmalloc(n * sizeof(*sorted));
	repeat = xcalloc(n, sizeof(*repeat));
	for (i = 0; i < n; i++) {
		sorted[i].s = list[i];
		sorted[i].at = i;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_placed);
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i].s, sorted[i - 1].s) == 0)
			repeat[sorted[i].at] = true;
	for (i = 0; i < n; i++)
		if (!repeat[i])
			list[o++] = list[i];
	free(sorted);
	free(repeat);
	return o;
}

static int
parse_extras(Parser *p, Requirement *r)
{
	const char **list = NULL;
	size_t n = 0, cap = 0, open = p->pos, end;
	int rc = -1;

	p->pos++;
	skip_ws(p);
	if ((end = identifier(p))) {
		for (;;) {
			xgrow(&list, &cap, n + 1, sizeof(*list));
			list[n++] = arena_strndup(p->arena, p->s + p->pos, end - p->pos);
			p->pos = end;
			skip_ws(p);
			if (identifier(p)) {
				fail(p, p->pos, "Expected comma between extra names");
				goto out;
			}
			if (!at(p, ','))
				break;
			p->pos++;
			skip_ws(p);
			if (!(end = identifier(p))) {
				fail(p, p->pos, "Expected extra name after comma");
				goto out;
			}
		}
	}
	skip_ws(p);
	if (!at(p, ']')) {
		fail(p, open, "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras");
		goto out;
	}
	p->pos++;
	/* A set, as in packaging: an extra written twice counts once. */
	n = drop_repeats(list, n);
	if (n) {
		const char **arr = arena_alloc(p->arena, n * sizeof(*arr));

		memcpy(arr, list, n * sizeof(*arr));
		r->extras = arr;
	}
	r->extras_len = n;
	rc = 0;
out:
	free(list);
	return rc;
}

int
requirement_parse(const char *s, size_t len, Arena *arena, Requirement *out, Err *err)
{
	Parser p = { s, len, 0, arena, err };
	size_t end;

	memset(out, 0, sizeof(*out));
	skip_ws(&p);
	if (!(end = identifier(&p)))
		return fail(&p, p.pos, "Expected package name at the start of dependency specifier");
	out->name = arena_strndup(arena, s + p.pos, end - p.pos);
	out->normalized = name_normalize(s + p.pos, end - p.pos, arena);
	p.pos = end;
	skip_ws(&p);
	if (at(&p, '[') && parse_extras(&p, out) != 0)
		goto fail;
	skip_ws(&p);

	if (at(&p, '@')) {
		size_t url;

		p.pos++;
		skip_ws(&p);
		url = p.pos;
		while (p.pos < len && !is_ws(s[p.pos])) {
			/* Raw control characters (line breaks, NUL) have no place in a URL;
			 * packaging takes them in, we stop there. */
			if ((unsigned char)s[p.pos] < 0x20 || s[p.pos] == 0x7F) {
				marker_syntax_error(err, s, len, p.pos, p.pos,
						    "Expected a URL without control characters "
						    "(found byte 0x%02x)",
						    (unsigned char)s[p.pos]);
				goto fail;
			}
			p.pos++;
		}
		if (p.pos == url) {
			fail(&p, p.pos, "Expected URL after @");
			goto fail;
		}
		out->url = arena_strndup(arena, s + url, p.pos - url);
		if (p.pos < len) {
			skip_ws(&p);
			if (p.pos < len &&
			    parse_marker_part(&p, url, "semicolon (after URL and whitespace)",
					      &out->marker) != 0)
				goto fail;
		}
	} else {
		size_t spec_start = p.pos;
		Clauses clauses = { 0 };
		int rc = parse_specifier(&p, &clauses);

		if (rc == 0) {
			skip_ws(&p);
			if (p.pos < len)
				rc = parse_marker_part(
					&p, spec_start,
					clauses.len ? "comma (within version specifier), semicolon "
						      "(after version specifier)"
						    : "semicolon (after name with no version specifier)",
					&out->marker);
		}
		if (rc == 0)
			rc = build_specset(&p, &clauses, &out->spec);
		buf_free(&clauses.text);
		free(clauses.spans);
		if (rc != 0)
			goto fail;
	}
	if (p.pos != len) {
		fail(&p, p.pos, "Expected end of dependency specifier");
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

char *
requirement_format(const Requirement *r, Arena *arena)
{
	Buf b = { 0 };
	size_t i;
	char *s;

	buf_puts(&b, r->name);
	if (r->extras_len) {
		const char **sorted = xmalloc(r->extras_len * sizeof(*sorted));

		memcpy(sorted, r->extras, r->extras_len * sizeof(*sorted));
		qsort(sorted, r->extras_len, sizeof(*sorted), cmp_str);
		buf_putc(&b, '[');
		for (i = 0; i < r->extras_len; i++) {
			if (i && strcmp(sorted[i], sorted[i - 1]) == 0)
				continue;
			if (i)
				buf_putc(&b, ',');
			buf_puts(&b, sorted[i]);
		}
		buf_putc(&b, ']');
		free(sorted);
	}
	if (r->spec.len)
		buf_puts(&b, specset_format(&r->spec, arena));
	if (r->url) {
		buf_printf(&b, " @ %s", r->url);
		if (r->marker)
			buf_putc(&b, ' ');
	}
	if (r->marker)
		buf_printf(&b, "; %s", marker_format(r->marker, arena));
	s = arena_strndup(arena, b.data, b.len);
	buf_free(&b);
	return s;
}

/* r's extras normalized, sorted, without repeats: *n of them, freed with free(). */
static char **
extras_set(const Requirement *r, size_t *n)
{
	size_t i, total = 0, o = 0;
	char **set, *text;

	for (i = 0; i < r->extras_len; i++)
		total += strlen(r->extras[i]) + 1;
	/* One block: the pointers, then the strings they point to. */
	set = xmalloc(r->extras_len * sizeof(*set) + total + 1);
	text = (char *)(set + r->extras_len);
	for (i = 0; i < r->extras_len; i++) {
		set[i] = text;
		text += name_normalize_into(r->extras[i], strlen(r->extras[i]), text);
		*text++ = '\0';
	}
	if (r->extras_len)
		qsort(set, r->extras_len, sizeof(*set), cmp_str);
	for (i = 0; i < r->extras_len; i++)
		if (o == 0 || strcmp(set[o - 1], set[i]) != 0)
			set[o++] = set[i];
	*n = o;
	return set;
}

/* The extras as sets of normalized names; sorted, so that thousands cost no more than
 * a sort each. */
static bool
same_extras(const Requirement *a, const Requirement *b)
{
	size_t na, nb, i;
	char **x = extras_set(a, &na), **y = extras_set(b, &nb);
	bool same = na == nb;

	for (i = 0; same && i < na; i++)
		same = strcmp(x[i], y[i]) == 0;
	free(x);
	free(y);
	return same;
}

bool
requirement_equal(const Requirement *a, const Requirement *b)
{
	if (!name_equal(a->name, strlen(a->name), b->name, strlen(b->name)))
		return false;
	if (!same_extras(a, b))
		return false;
	if (!specset_equal(&a->spec, &b->spec))
		return false;
	if ((a->url == NULL) != (b->url == NULL) || (a->url && strcmp(a->url, b->url) != 0))
		return false;
	return marker_equal(a->marker, b->marker);
}
