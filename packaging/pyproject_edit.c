/*
 * pyproject_edit.c - editing one dependency array of a pyproject.toml text in place.
 *
 * The parser (toml.c) says where the array is (the line and column of its '['), which
 * items it holds and whether the document is valid at all. What it cannot say is where
 * each item, comma and comment is, so this module scans the raw bytes from the '['
 * with a small lexer of its own that knows strings (all four kinds), comments, inline
 * tables and nested arrays. The lexer runs only over text the parser accepted, so it
 * can be simple, but it never reads past the end whatever the input.
 *
 * An array is edited in one of two styles, chosen from what it looks like:
 *  - one entry per line: each item starts its own line and nothing but its comma and
 *    a comment follows it there. A new entry is a new line with the indentation of
 *    its neighbour; removing an entry removes its line (and the comment on it).
 *  - anything else (inline arrays, several items on a line): a new entry goes before
 *    its successor as `"new", ` or after the last item as `, "new"`; removing one
 *    takes out exactly what adding it would have put in.
 * A trailing comma is kept when the array has one and not added when it has none,
 * so that adding an entry and removing it again gives back the original bytes.
 *
 * Every operation is one or two edits of disjoint byte ranges inside the array (or one
 * insertion when the array or its table has to be created); the result is parsed
 * again and the array looked up, so that a mistake here is an error, never a broken
 * pyproject.toml.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/arena.h"
#include "ascii.h"
#include "name.h"
#include "pyproject_edit.h"
#include "requirement.h"
#include "toml.h"
#include "toml_doc.h"
#include "toml_write.h"

#define NONE ((size_t)-1)

/* ------------------------------------------------------------------ the raw lexer */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A character of a bare key (TOML: A-Z a-z 0-9 _ -). */
static bool
is_bare(char c)
{
	return ascii_is_alnum((unsigned char)c) || c == '_' || c == '-';
}

static size_t
skip_blank(const char *t, size_t n, size_t p)
{
	while (p < n && is_blank(t[p]))
		p++;
	return p;
}

/* At '#': to the end of the line, leaving the newline (a comment holds no bare CR). */
static size_t
skip_comment(const char *t, size_t n, size_t p)
{
	while (p < n && t[p] != '\n' && t[p] != '\r')
		p++;
	return p;
}

/* At a quote: past the string, whichever of the four kinds it is. */
static size_t
skip_string(const char *t, size_t n, size_t p)
{
	char q = t[p];
	bool basic = q == '"';

	if (p + 2 < n && t[p + 1] == q && t[p + 2] == q) {
		/* multi-line: ends at the first unescaped run of three or more quotes,
		 * of which the last three are the delimiter */
		p += 3;
		while (p < n) {
			if (basic && t[p] == '\\') {
				p += 2;
				continue;
			}
			if (t[p] == q && p + 2 < n && t[p + 1] == q && t[p + 2] == q) {
				while (p < n && t[p] == q)
					p++;
				return p;
			}
			p++;
		}
		return n;
	}
	p++;
	while (p < n && t[p] != q && t[p] != '\n') {
		if (basic && t[p] == '\\')
			p++;
		p++;
	}
	return p < n ? p + 1 : n;
}

/* White space, newlines and comments: what may stand between array items. */
static size_t
skip_gap(const char *t, size_t n, size_t p)
{
	while (p < n) {
		if (is_blank(t[p]) || t[p] == '\n' || t[p] == '\r')
			p++;
		else if (t[p] == '#')
			p = skip_comment(t, n, p);
		else
			break;
	}
	return p;
}

/* A key, dotted or not, with the blanks around its dots. */
static size_t
skip_key(const char *t, size_t n, size_t p)
{
	for (;;) {
		size_t s = p;

		if (p < n && (t[p] == '"' || t[p] == '\''))
			p = skip_string(t, n, p);
		else
			while (p < n && is_bare(t[p]))
				p++;
		if (p == s)
			return p;
		s = skip_blank(t, n, p);
		if (s < n && t[s] == '.') {
			p = skip_blank(t, n, s + 1);
			continue;
		}
		return p;
	}
}

/* A value of any type: a scalar token, or a bracketed value up to its matching close
 * (strings and comments skipped). Only accepted text is scanned, so brackets match. */
static size_t
skip_value(const char *t, size_t n, size_t p)
{
	size_t depth = 0;

	while (p < n) {
		char c = t[p];

		if (c == '"' || c == '\'') {
			p = skip_string(t, n, p);
		} else if (c == '#') {
			if (depth == 0)
				return p;
			p = skip_comment(t, n, p);
		} else if (c == '[' || c == '{') {
			depth++;
			p++;
		} else if (c == ']' || c == '}') {
			if (depth == 0)
				return p;
			p++;
			if (--depth == 0)
				return p;
		} else if (depth == 0 && (is_blank(c) || c == '\n' || c == '\r' || c == ',')) {
			return p;
		} else {
			p++;
		}
		if (depth == 0 && (c == '"' || c == '\''))
			return p;
	}
	return n;
}

/* From p: blanks, a comment, then past the newline (or to the end of the text). */
static size_t
line_end_after(const char *t, size_t n, size_t p)
{
	p = skip_blank(t, n, p);
	if (p < n && t[p] == '#')
		p = skip_comment(t, n, p);
	if (p + 1 < n && t[p] == '\r' && t[p + 1] == '\n')
		return p + 2;
	if (p < n && t[p] == '\n')
		return p + 1;
	return p;
}

/* Where the line holding p starts. */
static size_t
line_start(const char *t, size_t p)
{
	while (p > 0 && t[p - 1] != '\n')
		p--;
	return p;
}

/* Whether only blanks stand between the start of p's line and p. */
static bool
first_on_line(const char *t, size_t p)
{
	size_t s = line_start(t, p);

	while (s < p && is_blank(t[s]))
		s++;
	return s == p;
}

/* ------------------------------------------------------------------ the array's layout */

typedef struct Item {
	size_t start, end;           /* the value's bytes */
	size_t comma;                /* the ',' after it, or NONE */
	size_t eol;                  /* per-line style: past the newline of its line */
	bool bracket_on_line;        /* per-line style: the ']' follows it on its line */
	const char *name;            /* normalized project name; "" for a table */
	char quote;                  /* its opening quote; 0 for a table */
} Item;

typedef struct Layout {
	size_t open, close;          /* offsets of '[' and ']' */
	Item *items;
	size_t n;
	bool multiline, per_line;
} Layout;

/* The project a requirement string names: parsed, or its leading name characters. */
static const char *
item_name(const char *s, size_t len, Arena *a)
{
	Requirement r;
	size_t k = 0;

	if (requirement_parse(s, len, a, &r, NULL) == 0)
		return r.normalized;
	while (k < len && (s[k] == ' ' || s[k] == '\t'))
		k++;
	s += k;
	len -= k;
	for (k = 0; k < len && (is_bare(s[k]) || s[k] == '.'); k++)
		;
	return name_normalize(s, k, a);
}

static int
layout_scan(const char *t, size_t n, const TomlValue *arr, Arena *a, Layout *L, Err *err)
{
	size_t p, cap = arr->u.arr.len;

	memset(L, 0, sizeof(*L));
	L->open = (arr->offset < n ? arr->offset : n);
	if (L->open >= n || t[L->open] != '[')
		return err_set(err, "internal error: the array is not where the parser put it");
	L->items = arena_zalloc(a, (cap + 1) * sizeof(*L->items));
	p = L->open + 1;
	for (;;) {
		Item *it;

		p = skip_gap(t, n, p);
		if (p >= n)
			return err_set(err, "internal error: the array has no end");
		if (t[p] == ']')
			break;
		if (L->n == cap)
			return err_set(err, "internal error: the array holds more items than parsed");
		it = &L->items[L->n];
		it->start = p;
		p = skip_value(t, n, p);
		if (p == it->start || p > n)
			return err_set(err, "internal error: an array item could not be read");
		it->end = p;
		it->comma = NONE;
		if (arr->u.arr.items[L->n]->type == TOML_STRING) {
			const TomlValue *v = arr->u.arr.items[L->n];

			it->quote = t[it->start];
			it->name = item_name(v->u.str.ptr, v->u.str.len, a);
		} else {
			it->name = "";
		}
		L->n++;
		p = skip_gap(t, n, p);
		if (p < n && t[p] == ',') {
			it->comma = p;
			p++;
		}
	}
	if (L->n != cap)
		return err_set(err, "internal error: the array holds fewer items than parsed");
	L->close = p;
	L->multiline = memchr(t + L->open, '\n', L->close - L->open) != NULL;

	/* one entry per line? */
	L->per_line = L->multiline && L->n > 0;
	for (size_t i = 0; i < L->n && L->per_line; i++) {
		Item *it = &L->items[i];
		size_t q = skip_blank(t, n, it->end);

		if (!first_on_line(t, it->start) || line_start(t, it->start) <= L->open) {
			L->per_line = false;
			break;
		}
		if (it->comma != NONE) {
			if (it->comma != q) {
				L->per_line = false;
				break;
			}
			q = skip_blank(t, n, q + 1);
		}
		if (q < n && t[q] == ']') {
			it->bracket_on_line = true;
			continue;
		}
		if (q < n && t[q] == '#')
			q = skip_comment(t, n, q);
		if (q >= n || (t[q] != '\n' && t[q] != '\r')) {
			L->per_line = false;
			break;
		}
		it->eol = line_end_after(t, n, q);
	}
	return 0;
}

/* ------------------------------------------------------------------ edits */

typedef struct Edit {
	size_t at, del;
	const char *ins;
	size_t ins_len;
} Edit;

typedef struct Edits {
	Edit e[3];
	size_t n;
} Edits;

static void
edit_add(Edits *E, size_t at, size_t del, const char *ins, size_t ins_len)
{
	E->e[E->n++] = (Edit){ at, del, ins, ins_len };
}

static int
cmp_edit(const void *x, const void *y)
{
	const Edit *a = x, *b = y;

	return a->at < b->at ? -1 : a->at > b->at;
}

static void
edits_apply(const char *t, size_t n, Edits *E, Buf *out)
{
	size_t p = 0;

	qsort(E->e, E->n, sizeof(E->e[0]), cmp_edit);
	for (size_t i = 0; i < E->n; i++) {
		buf_append(out, t + p, E->e[i].at - p);
		buf_append(out, E->e[i].ins, E->e[i].ins_len);
		p = E->e[i].at + E->e[i].del;
	}
	buf_append(out, t + p, n - p);
}

static const char *
newline_of(const char *t, size_t n)
{
	const char *nl = memchr(t, '\n', n);

	return nl && nl > t && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The edits that take item j out; together they undo what insert_item put in. */
static void
remove_item(const char *t, size_t n, const Layout *L, size_t j, Edits *E)
{
	const Item *it = &L->items[j], *prev = j ? &L->items[j - 1] : NULL;

	if (L->per_line) {
		size_t ls = line_start(t, it->start);

		if (it->comma != NONE && !it->bracket_on_line) {
			edit_add(E, ls, it->eol - ls, "", 0);
		} else if (it->comma != NONE) {
			size_t from = prev ? prev->comma + 1 : it->start;

			edit_add(E, from, it->comma + 1 - from, "", 0);
		} else if (prev && it->bracket_on_line) {
			edit_add(E, prev->comma, it->end - prev->comma, "", 0);
		} else if (prev) {
			edit_add(E, prev->comma, 1, "", 0);
			edit_add(E, ls, it->eol - ls, "", 0);
		} else if (!it->bracket_on_line) {
			edit_add(E, ls, it->eol - ls, "", 0);
		} else {
			edit_add(E, it->start, it->end - it->start, "", 0);
		}
		return;
	}
	if (it->comma != NONE && j + 1 < L->n) {
		size_t to = skip_blank(t, n, it->comma + 1);

		edit_add(E, it->start, to - it->start, "", 0);
	} else if (it->comma != NONE) {
		size_t from = prev ? prev->comma + 1 : it->start;

		edit_add(E, from, it->comma + 1 - from, "", 0);
	} else if (prev) {
		edit_add(E, prev->comma, it->end - prev->comma, "", 0);
	} else {
		edit_add(E, it->start, it->end - it->start, "", 0);
	}
}

/* The indentation one level in from the ']' of an empty multi-line array. */
static void
inner_indent(const char *t, size_t n, size_t close, Buf *b)
{
	size_t ls = line_start(t, close), k;
	bool tabs = false;

	for (k = ls; k < close && is_blank(t[k]); k++)
		tabs |= t[k] == '\t';
	buf_append(b, t + ls, k - ls);
	if (k == ls)
		for (size_t p = 0; p + 1 < n && !tabs; p++)
			tabs = t[p] == '\n' && t[p + 1] == '\t';
	buf_puts(b, tabs ? "\t" : "    ");
}

/* The edits that put the quoted entry q at index i. Text they insert lives in keep. */
static void
insert_item(const char *t, size_t n, const Layout *L, size_t i, const char *q, const char *nl,
	    Buf *keep, Edits *E)
{
	if (L->n == 0) {
		if (L->multiline && first_on_line(t, L->close)) {
			size_t ls = line_start(t, L->close);

			inner_indent(t, n, L->close, keep);
			buf_printf(keep, "%s,%s", q, nl);
			edit_add(E, ls, 0, keep->data, keep->len);
		} else {
			buf_puts(keep, q);
			edit_add(E, L->open + 1, 0, keep->data, keep->len);
		}
		return;
	}
	if (L->per_line) {
		const Item *it = &L->items[i < L->n ? i : L->n - 1];
		size_t ls = line_start(t, it->start);
		int il = (int)(it->start - ls);         /* the neighbour's indentation */
		const char *ind = t + ls;

		if (i < L->n) {
			buf_printf(keep, "%.*s%s,%s", il, ind, q, nl);
			edit_add(E, ls, 0, keep->data, keep->len);
		} else if (it->comma != NONE && !it->bracket_on_line) {
			buf_printf(keep, "%.*s%s,%s", il, ind, q, nl);
			edit_add(E, it->eol, 0, keep->data, keep->len);
		} else if (it->comma != NONE) {
			buf_printf(keep, "%s%.*s%s,", nl, il, ind, q);
			edit_add(E, it->comma + 1, 0, keep->data, keep->len);
		} else if (it->bracket_on_line) {
			buf_printf(keep, ",%s%.*s%s", nl, il, ind, q);
			edit_add(E, it->end, 0, keep->data, keep->len);
		} else {
			buf_printf(keep, "%.*s%s%s", il, ind, q, nl);
			edit_add(E, it->end, 0, ",", 1);
			edit_add(E, it->eol, 0, keep->data, keep->len);
		}
		return;
	}
	{
		const char *sep = " ";
		size_t seplen = 1;

		for (size_t k = 0; k + 1 < L->n; k++) {
			const Item *a = &L->items[k];
			size_t s = a->comma + 1, e = L->items[k + 1].start;

			if (a->comma == NONE)
				break;
			if (skip_blank(t, n, s) == e) {
				sep = t + s;
				seplen = e - s;
				break;
			}
		}
		if (i < L->n) {
			buf_printf(keep, "%s,%.*s", q, (int)seplen, sep);
			edit_add(E, L->items[i].start, 0, keep->data, keep->len);
		} else if (L->items[L->n - 1].comma != NONE) {
			buf_printf(keep, "%.*s%s,", (int)seplen, sep, q);
			edit_add(E, L->items[L->n - 1].comma + 1, 0, keep->data, keep->len);
		} else {
			buf_printf(keep, ",%.*s%s", (int)seplen, sep, q);
			edit_add(E, L->items[L->n - 1].end, 0, keep->data, keep->len);
		}
	}
}

/* ------------------------------------------------------------------ finding the array */

typedef enum TableForm { FORM_HEADER, FORM_INLINE, FORM_IMPLICIT, FORM_DOTTED } TableForm;

/* How a table was written, from the bytes at its position. */
static TableForm
table_form(const char *t, size_t n, const TomlValue *tab, size_t *at)
{
	size_t p = (tab->offset < n ? tab->offset : n), s;

	*at = p;
	if (p < n && t[p] == '[')
		return FORM_HEADER;
	if (p < n && t[p] == '{')
		return FORM_INLINE;
	s = skip_blank(t, n, line_start(t, p));
	return s < n && t[s] == '[' ? FORM_IMPLICIT : FORM_DOTTED;
}

typedef struct Target {
	const TomlValue *root;
	const TomlValue *project;    /* root.project (a table) or NULL */
	const TomlValue *table;      /* the table that holds the array, or NULL */
	const char *table_path;      /* "project", "project.optional-dependencies", ... */
	const TomlValue *array;      /* NULL when missing */
	const char *key;             /* the array's key, as to be written */
	const char *desc;            /* for messages: "project.optional-dependencies.cli" */
} Target;

static const char *
which_path(PyprojectArray which)
{
	return which == PYPROJECT_ARRAY_DEPENDENCIES ? "project" :
	       which == PYPROJECT_ARRAY_OPTIONAL ? "project.optional-dependencies" : "dependency-groups";
}

/* "FILE:LINE:COL: KEY: message" from the parser's "FILE:LINE:COL: message". */
static int
parse_failed(Err *err, const char *filename, const char *key)
{
	size_t fl = strlen(filename);
	const char *p = err->msg + fl;
	char rest[sizeof(err->msg)];
	unsigned line, col;
	int used = 0;

	if (strncmp(err->msg, filename, fl) != 0 ||
	    sscanf(p, ":%u:%u: %n", &line, &col, &used) != 2 || used == 0) {
		err_wrap(err, "%s: %s", filename, key);
		return -1;
	}
	snprintf(rest, sizeof(rest), "%s", p + used);
	return err_set(err, "%s:%u:%u: %s: not valid TOML: %s", filename, line, col, key, rest);
}

static int
find_target(const char *text, size_t len, const char *filename, PyprojectArray which,
	    const char *name, Arena *a, Target *tg, Err *err)
{
	TomlDoc d;
	const TomlValue *proj;
	const char *desc_guess;

	memset(tg, 0, sizeof(*tg));
	tg->table_path = which_path(which);
	if (which == PYPROJECT_ARRAY_DEPENDENCIES) {
		tg->key = "dependencies";
	} else {
		Buf k = { 0 };

		if (!name || !name_is_valid(name, strlen(name))) {
			return err_set(err, "%s: %s is not a valid %s name", filename,
				       buf_quoted_string(a, name ? name : "", name ? strlen(name) : 0, 100),
				       which == PYPROJECT_ARRAY_OPTIONAL ? "extra" : "group");
		}
		(void)toml_write_key(&k, name, strlen(name), err);
		tg->key = arena_strndup(a, k.data ? k.data : "", k.len);
		buf_free(&k);
	}
	desc_guess = which == PYPROJECT_ARRAY_DEPENDENCIES ? "project.dependencies" :
		     arena_printf(a, "%s.%s", tg->table_path, tg->key);
	tg->desc = desc_guess;
	if (toml_parse(text, len, filename, a, (TomlValue **)&tg->root, err) != 0)
		return parse_failed(err, filename, desc_guess);
	toml_doc_init(&d, filename, a, err);
	proj = toml_get(tg->root, "project");
	if (proj && proj->type != TOML_TABLE)
		return toml_doc_fail(&d, proj, "project", "expected a table, found %s",
				     toml_type_desc(proj->type));
	tg->project = proj;
	if (which == PYPROJECT_ARRAY_DEPENDENCIES) {
		tg->table = proj;
		tg->array = proj ? toml_get(proj, "dependencies") : NULL;
	} else {
		const TomlValue *tab = which == PYPROJECT_ARRAY_OPTIONAL ?
				       (proj ? toml_get(proj, "optional-dependencies") : NULL) :
				       toml_get(tg->root, "dependency-groups");

		if (tab && tab->type != TOML_TABLE)
			return toml_doc_fail(&d, tab, tg->table_path, "expected a table, found %s",
					     toml_type_desc(tab->type));
		tg->table = tab;
		for (size_t i = 0; tab && i < tab->u.table.len; i++) {
			const TomlEntry *e = &tab->u.table.entries[i];

			if (name_equal(e->key, e->key_len, name, strlen(name))) {
				tg->array = e->value;
				tg->desc = toml_doc_key(a, tg->table_path, e->key, e->key_len);
				break;
			}
		}
	}
	if (!tg->array)
		return 0;
	if (tg->array->type != TOML_ARRAY)
		return toml_doc_fail(&d, tg->array, tg->desc,
				     "expected an array of requirement strings, found %s",
				     toml_type_desc(tg->array->type));
	for (size_t i = 0; i < tg->array->u.arr.len; i++) {
		const TomlValue *v = tg->array->u.arr.items[i];

		if (v->type == TOML_STRING)
			continue;
		/* PEP 735: a group may include another with {include-group = "name"} */
		if (which == PYPROJECT_ARRAY_GROUP && v->type == TOML_TABLE)
			continue;
		return toml_doc_fail(&d, v, toml_doc_index(a, tg->desc, i),
				     "expected a string (a PEP 508 requirement), found %s",
				     toml_type_desc(v->type));
	}
	return 0;
}

int
pyproject_edit_locate(const char *text, size_t len, const char *filename, PyprojectArray which,
		      const char *name, size_t *open, size_t *close, Err *err)
{
	Arena a = { 0 };
	Target tg;
	Layout L;
	int rc = -1;

	if (find_target(text, len, filename, which, name, &a, &tg, err) != 0)
		goto out;
	rc = 0;
	if (tg.array) {
		rc = layout_scan(text, len, tg.array, &a, &L, err) == 0 ? 1 : -1;
		*open = L.open;
		*close = L.close;
	}
out:
	arena_free(&a);
	return rc;
}

/* ------------------------------------------------------------------ creating the array */

/* Past the last key/value line of the [header] section that starts at hdr. */
static size_t
section_end(const char *t, size_t n, size_t hdr)
{
	size_t p = hdr + 1, ins;

	if (p < n && t[p] == '[')
		p++;
	p = skip_blank(t, n, skip_key(t, n, skip_blank(t, n, p)));
	while (p < n && t[p] == ']')
		p++;
	ins = line_end_after(t, n, p);
	for (p = ins;;) {
		size_t s;

		p = skip_gap(t, n, p);
		if (p >= n || t[p] == '[')
			break;
		s = p;
		p = skip_blank(t, n, skip_key(t, n, p));
		if (p >= n || t[p] != '=' || p == s)
			break;
		p = skip_value(t, n, skip_blank(t, n, p + 1));
		ins = p = line_end_after(t, n, p);
	}
	return ins;
}

/* Text that starts a new line at offset at: a newline first when at ends no line. */
static void
line_prefix(const char *t, size_t at, const char *nl, Buf *b)
{
	if (at > 0 && t[at - 1] != '\n')
		buf_puts(b, nl);
}

/* A new [table] at the end of the text, after a blank line. */
static void
append_table(const char *t, size_t n, const char *nl, const char *header, const char *kv,
	     Buf *b, Edits *E)
{
	line_prefix(t, n, nl, b);
	if (n > 0 && !(n >= 2 && t[n - 2] == '\n' && t[n - 1] == '\n') &&
	    !(n >= 4 && !memcmp(t + n - 4, "\r\n\r\n", 4)))
		buf_puts(b, nl);
	buf_printf(b, "[%s]%s%s%s", header, nl, kv, nl);
	edit_add(E, n, 0, b->data, b->len);
}

static int
create_array(const char *t, size_t n, const char *filename, const Target *tg, const char *q,
	     Buf *keep, Arena *a, Edits *E, Err *err)
{
	const char *nl = newline_of(t, n);
	const char *kv = arena_printf(a, "%s = [%s]", tg->key, q);
	TomlDoc d;
	size_t at;

	toml_doc_init(&d, filename, a, err);
	if (tg->table) {
		switch (table_form(t, n, tg->table, &at)) {
		case FORM_HEADER:
			at = section_end(t, n, at);
			line_prefix(t, at, nl, keep);
			buf_printf(keep, "%s%s", kv, nl);
			edit_add(E, at, 0, keep->data, keep->len);
			return 0;
		case FORM_IMPLICIT:
			append_table(t, n, nl, tg->table_path, kv, keep, E);
			return 0;
		case FORM_DOTTED: {
			/* one more dotted key beside the first one that made the table */
			size_t ks = skip_blank(t, n, line_start(t, at));
			size_t ke = at, s;

			if (ke < n && (t[ke] == '"' || t[ke] == '\''))
				ke = skip_string(t, n, ke);
			else
				while (ke < n && is_bare(t[ke]))
					ke++;
			s = skip_blank(t, n, skip_key(t, n, ks));
			if (s >= n || t[s] != '=')
				break;
			s = line_end_after(t, n, skip_value(t, n, skip_blank(t, n, s + 1)));
			line_prefix(t, s, nl, keep);
			buf_printf(keep, "%.*s.%s%s", (int)(ke - ks), t + ks, kv, nl);
			edit_add(E, s, 0, keep->data, keep->len);
			return 0;
		}
		case FORM_INLINE:
			break;
		}
		return toml_doc_fail(&d, tg->table, tg->table_path,
				     "is written as an inline table or inside one, where bunpy cannot add "
				     "%s; add it by hand, or write the table as a [%s] section",
				     tg->key, tg->table_path);
	}
	/* no table: [project.optional-dependencies] goes after [project] */
	if (!strcmp(tg->table_path, "project.optional-dependencies") && tg->project) {
		switch (table_form(t, n, tg->project, &at)) {
		case FORM_HEADER:
			at = section_end(t, n, at);
			line_prefix(t, at, nl, keep);
			buf_printf(keep, "%s[%s]%s%s%s", nl, tg->table_path, nl, kv, nl);
			edit_add(E, at, 0, keep->data, keep->len);
			return 0;
		case FORM_INLINE:
			return toml_doc_fail(&d, tg->project, "project",
					     "is an inline table, where bunpy cannot add %s.%s; add it by hand, "
					     "or write it as a [project] section", tg->table_path, tg->key);
		default:
			break;
		}
	}
	append_table(t, n, nl, tg->table_path, kv, keep, E);
	return 0;
}

/* ------------------------------------------------------------------ add and remove */

static int
one_edit(const char *t, size_t n, Edits *E, Buf *next)
{
	buf_clear(next);
	edits_apply(t, n, E, next);
	return 0;
}

/* The checks every result passes: it parses, and the array holds what it should. */
static int
verify(const char *t, size_t n, const char *filename, PyprojectArray which, const char *name,
       const char *requirement, const char *normalized, Err *err)
{
	Arena a = { 0 };
	Target tg;
	size_t have = 0, named = 0;
	Err inner;

	if (find_target(t, n, filename, which, name, &a, &tg, &inner) != 0) {
		arena_free(&a);
		return err_set(err, "%s: bunpy could not edit the array in place (the result would "
			       "read: %s); edit it by hand", filename, inner.msg);
	}
	for (size_t i = 0; tg.array && i < tg.array->u.arr.len; i++) {
		const TomlValue *v = tg.array->u.arr.items[i];

		if (v->type != TOML_STRING)
			continue;
		if (requirement && v->u.str.len == strlen(requirement) &&
		    !memcmp(v->u.str.ptr, requirement, v->u.str.len))
			have++;
		if (!strcmp(item_name(v->u.str.ptr, v->u.str.len, &a), normalized))
			named++;
	}
	arena_free(&a);
	if (requirement ? (have != 1 || named != 1) : named != 0)
		return err_set(err, "%s: bunpy could not edit %s in place; edit it by hand", filename,
			       tg.desc);
	return 0;
}

int
pyproject_edit_remove(const char *text, size_t len, const char *filename, PyprojectArray which,
		      const char *name, const char *normalized, Buf *out, size_t *removed, Err *err)
{
	Buf cur = { 0 }, next = { 0 };
	int rc = -1;

	*removed = 0;
	buf_append(&cur, text, len);
	for (;;) {
		Arena a = { 0 };
		Target tg;
		Layout L;
		Edits E = { 0 };
		size_t j;
		Buf swap;
		Err inner;

		if (find_target(cur.data, cur.len, filename, which, name, &a, &tg,
				*removed ? &inner : err) != 0) {
			/* the text an edit of ours made: as verify() says it */
			if (*removed)
				err_set(err, "%s: bunpy could not edit the array in place (the result "
					"would read: %s); edit it by hand", filename, inner.msg);
			arena_free(&a);
			goto out;
		}
		if (tg.array && layout_scan(cur.data, cur.len, tg.array, &a, &L, err) != 0) {
			arena_free(&a);
			goto out;
		}
		if (!tg.array) {
			arena_free(&a);
			break;
		}
		for (j = 0; j < L.n && strcmp(L.items[j].name, normalized) != 0; j++)
			;
		if (j == L.n) {
			arena_free(&a);
			break;
		}
		remove_item(cur.data, cur.len, &L, j, &E);
		one_edit(cur.data, cur.len, &E, &next);
		arena_free(&a);
		swap = cur;
		cur = next;
		next = swap;
		++*removed;
	}
	buf_append(out, cur.data, cur.len);
	rc = 0;
out:
	buf_free(&cur);
	buf_free(&next);
	return rc;
}

int
pyproject_edit_add(const char *text, size_t len, const char *filename, PyprojectArray which,
		   const char *name, const char *requirement, Buf *out, Err *err)
{
	Arena ra = { 0 };
	Requirement req;
	Buf cur = { 0 }, next = { 0 }, keep = { 0 }, q = { 0 };
	const char *norm;
	int rc = -1;

	if (requirement_parse(requirement, strlen(requirement), &ra, &req, err) != 0) {
		err_wrap(err, "%s is not a valid requirement",
			 buf_quoted_string(&ra, requirement, strlen(requirement), 150));
		arena_free(&ra);
		return -1;
	}
	norm = req.normalized;
	buf_append(&cur, text, len);
	for (;;) {
		Arena a = { 0 };
		Target tg;
		Layout L;
		Edits E = { 0 };
		size_t j, matches = 0, last = 0, i;
		Buf swap;
		char pref = '"';

		if (find_target(cur.data, cur.len, filename, which, name, &a, &tg, err) != 0 ||
		    (tg.array && layout_scan(cur.data, cur.len, tg.array, &a, &L, err) != 0)) {
			arena_free(&a);
			goto out;
		}
		buf_clear(&keep);
		buf_clear(&q);
		if (!tg.array) {
			if (toml_write_str_prefer(&q, requirement, strlen(requirement), '"', err) != 0 ||
			    create_array(cur.data, cur.len, filename, &tg, q.data, &keep, &a, &E, err) != 0) {
				arena_free(&a);
				goto out;
			}
			one_edit(cur.data, cur.len, &E, &next);
			arena_free(&a);
			swap = cur, cur = next, next = swap;
			break;
		}
		for (j = 0; j < L.n; j++)
			if (!strcmp(L.items[j].name, norm)) {
				matches++;
				last = j;
			}
		if (matches > 1) {
			/* the new requirement stands for them all: one is replaced below */
			remove_item(cur.data, cur.len, &L, last, &E);
			one_edit(cur.data, cur.len, &E, &next);
			arena_free(&a);
			swap = cur, cur = next, next = swap;
			continue;
		}
		for (j = 0; j < L.n && !L.items[j].quote; j++)
			;
		if (j < L.n)
			pref = L.items[j].quote;
		if (matches == 1) {
			/* in the neighbours' quote character where it needs no escape */
			if (toml_write_str_prefer(&q, requirement, strlen(requirement),
						  L.items[last].quote, err) != 0) {
				arena_free(&a);
				goto out;
			}
			edit_add(&E, L.items[last].start, L.items[last].end - L.items[last].start, q.data,
				 q.len);
		} else {
			bool sorted = true;

			if (toml_write_str_prefer(&q, requirement, strlen(requirement), pref, err) != 0) {
				arena_free(&a);
				goto out;
			}
			for (j = 0; j < L.n && sorted; j++)
				sorted = L.items[j].quote && (j == 0 || strcmp(L.items[j - 1].name, L.items[j].name) <= 0);
			i = L.n;
			if (sorted)
				for (i = 0; i < L.n && strcmp(L.items[i].name, norm) <= 0; i++)
					;
			insert_item(cur.data, cur.len, &L, i, q.data, newline_of(cur.data, cur.len), &keep,
				    &E);
		}
		one_edit(cur.data, cur.len, &E, &next);
		arena_free(&a);
		swap = cur, cur = next, next = swap;
		break;
	}
	if (verify(cur.data, cur.len, filename, which, name, requirement, norm, err) != 0)
		goto out;
	buf_append(out, cur.data, cur.len);
	rc = 0;
out:
	arena_free(&ra);
	buf_free(&cur);
	buf_free(&next);
	buf_free(&keep);
	buf_free(&q);
	return rc;
}
