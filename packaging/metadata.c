/*
 * metadata.c - core metadata files (metadata.h).
 *
 * The header block is split as Python's email feed parser splits it, so that a file
 * reads here as it reads in packaging and pip:
 *  - lines end at "\r\n", "\r" or "\n";
 *  - a line starting with a space or tab continues the previous field (before any
 *    field it is dropped); the value keeps it, line break included;
 *  - a field line is a name of printable ASCII other than ':' (possibly empty, then the
 *    line is dropped), a ':', and the value, whose leading spaces and tabs are dropped;
 *    trailing line breaks of the whole value are dropped;
 *  - the first empty line ends the headers; any other line (one that is neither a
 *    field, nor a continuation, nor a "From " line) ends them too and starts the body;
 *  - a line starting with "From " is an mbox envelope line. As the first line of the
 *    file it is dropped. As the last line of the header block (the next line is
 *    empty, or not a header line, or there is none) it is pushed back: it becomes the
 *    first line of the body, which goes on after the empty line that ended the
 *    headers, if one did. Anywhere else it is dropped as misplaced, and the field
 *    before it ends there, so a continuation line after it is dropped too. This is
 *    feedparser's handling, checked against Python 3.11's
 *    email.parser.Parser(policy=compat32) (see test_metadata.c).
 *
 * Then the fields are checked, more strictly than pip (which reads what it can) and
 * closer to packaging's Metadata.from_email: UTF-8 everywhere, Name, Version and
 * Metadata-Version present, single-use fields at most once, Description not both a
 * field and a body. Choices of ours: Metadata-Version 2.0 is accepted (old bdist_wheel
 * wrote it; packaging refuses it, pip reads it); a field newer than the file's
 * Metadata-Version is read anyway (packaging refuses it; it is harmless); a folded
 * Requires-Dist, Requires-Python or Provides-Extra value is unfolded (its line breaks
 * removed) before it is parsed; a multi-line Summary is kept as it is.
 */
#include "config.h"

#include "metadata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/buf.h"
#include "../engine/utf8.h"
#include "ascii.h"
#include "name.h"

/*
 * Bytes of outside text (a field's name or value) quoted in a message at most: however
 * much its escapes cost, the message stays well within an Err, so that nothing is cut,
 * least of all a character in half.
 */
#define QUOTED_MAX 120

/* Fields that may appear once (lower case). */
static const char *const single_use[] = {
	"metadata-version", "name", "version", "summary", "description",
	"description-content-type", "keywords", "home-page", "download-url", "author",
	"author-email", "maintainer", "maintainer-email", "license", "license-expression",
	"requires-python",
};

/* Field names compare ignoring ASCII case. */
static bool
same_name(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && ascii_equal_fold(a, b, n);
}

/* Outside text for a message, quoted and escaped by buf_put_quoted; from arena. */
static const char *
quoted(Arena *arena, const char *s, size_t n)
{
	return buf_quoted_string(arena, s, n, QUOTED_MAX);
}

/* ---------------------------------------------------------------- the header block */

typedef struct Line {
	size_t start, end, next; /* text [start, end), line break [end, next) */
} Line;

static Line
next_line(const char *s, size_t len, size_t pos)
{
	Line l = { pos, pos, pos };

	while (l.end < len && s[l.end] != '\n' && s[l.end] != '\r')
		l.end++;
	l.next = l.end;
	if (l.next < len)
		l.next += s[l.next] == '\r' && l.next + 1 < len && s[l.next + 1] == '\n' ? 2 : 1;
	return l;
}

/* Whether the line starts like a field: printable ASCII other than ':', then ':'. */
static bool
field_line(const char *s, Line l, size_t *colon)
{
	size_t i;

	for (i = l.start; i < l.end; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':') {
			*colon = i;
			return true;
		}
		if (c < 0x21 || c > 0x7E)
			return false;
	}
	return false;
}

static bool
continuation_line(const char *s, Line l)
{
	return l.end > l.start && (s[l.start] == ' ' || s[l.start] == '\t');
}

static bool
from_line(const char *s, Line l)
{
	return l.end - l.start >= 5 && memcmp(s + l.start, "From ", 5) == 0;
}

/* Whether the line belongs to the header block (feedparser's headerRE). */
static bool
header_line(const char *s, Line l)
{
	size_t colon;

	return continuation_line(s, l) || from_line(s, l) || field_line(s, l, &colon);
}

typedef struct Fields {
	MetadataField *items;
	size_t len, cap;
} Fields;

/*
 * Where the body is: a "From " line pushed back from the headers, [unread, unread_end),
 * if any (unread == unread_end otherwise), then data from body on.
 */
typedef struct Body {
	size_t unread, unread_end, body;
} Body;

/* Split the header block into fields, and find the body. */
static int
split_headers(const char *s, size_t len, Arena *arena, Fields *f, Body *body, Err *err)
{
	Buf value = { 0 };
	const char *name = NULL;
	unsigned lineno = 0, name_line = 0;
	size_t pos = 0, colon, bad, v;
	Line l;

	body->unread = body->unread_end = 0;
	for (;;) {
		bool more = pos < len;

		l = next_line(s, len, pos);
		if (more)
			lineno++;
		/* A field ends where a line that does not continue it begins. */
		if (name && (!more || !continuation_line(s, l))) {
			v = value.len;
			while (v > 0 && (value.data[v - 1] == '\n' || value.data[v - 1] == '\r'))
				v--;
			if ((bad = utf8_valid_prefix(value.data, v)) < v) {
				err_set(err, "line %u: field %s is not valid UTF-8 (byte 0x%02x)",
					name_line, quoted(arena, name, strlen(name)),
					(unsigned char)value.data[bad]);
				buf_free(&value);
				return -1;
			}
			xgrow(&f->items, &f->cap, f->len + 1, sizeof(*f->items));
			f->items[f->len].name = name;
			f->items[f->len].value = arena_strndup(arena, value.data ? value.data : "", v);
			f->items[f->len].value_len = v;
			f->items[f->len].line = name_line;
			f->len++;
			name = NULL;
			buf_clear(&value);
		}
		if (!more || l.end == l.start) {
			body->body = more ? l.next : len; /* the empty line is not part of the body */
			break;
		}
		if (continuation_line(s, l)) {
			if (name)
				buf_append(&value, s + l.start, l.next - l.start);
		} else if (from_line(s, l)) {
			/* The envelope (first line) and misplaced ones are dropped; the last
			 * line of the headers goes back to the body (see the top). */
			if (lineno > 1 && (l.next >= len || !header_line(s, next_line(s, len, l.next)))) {
				body->unread = l.start;
				body->unread_end = l.next;
			}
		} else if (field_line(s, l, &colon)) {
			if (colon > l.start) {
				size_t i = colon + 1;

				name = arena_strndup(arena, s + l.start, colon - l.start);
				name_line = lineno;
				while (i < l.end && (s[i] == ' ' || s[i] == '\t'))
					i++;
				buf_append(&value, s + i, l.next - i);
			}
		} else {
			body->body = l.start;
			break;
		}
		pos = l.next;
	}
	buf_free(&value);
	return 0;
}

/* ---------------------------------------------------------------- interpreting fields */

/* The first field called name at or after index from. */
static const MetadataField *
find(const MetadataField *items, size_t n, const char *name, size_t from)
{
	size_t i;

	for (i = from; i < n; i++)
		if (same_name(items[i].name, name))
			return &items[i];
	return NULL;
}

/* A folded value with its line breaks removed (the indentation stays); *len its length. */
static char *
unfold(const MetadataField *f, Arena *arena, size_t *len)
{
	char *out = arena_alloc(arena, f->value_len + 1);
	size_t i, o = 0;

	for (i = 0; i < f->value_len; i++)
		if (f->value[i] != '\n' && f->value[i] != '\r')
			out[o++] = f->value[i];
	out[o] = '\0';
	*len = o;
	return out;
}

/*
 * A Description field's text: writers indent continuation lines by 8 spaces, or by 7
 * spaces and '|' (distutils), which is not part of the text.
 */
static char *
undent(const char *v, size_t n, Arena *arena, size_t *len)
{
	size_t i = 0, o = 0;
	char *out = arena_alloc(arena, n + 1);

	while (i < n) {
		if (v[i] == '\r' || v[i] == '\n') {
			i += v[i] == '\r' && i + 1 < n && v[i + 1] == '\n' ? 2 : 1;
			out[o++] = '\n';
			if (n - i >= 8 && (memcmp(v + i, "        ", 8) == 0 ||
					   memcmp(v + i, "       |", 8) == 0))
				i += 8;
			continue;
		}
		out[o++] = v[i++];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* Body text with line breaks made "\n". */
static char *
plain_lines(const char *s, size_t n, Arena *arena, size_t *len)
{
	char *out = arena_alloc(arena, n + 1);
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] == '\r') {
			out[o++] = '\n';
			i += i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* The newest Metadata-Version 2.x this module knows: 2.5 added Import-Name and
 * Import-Namespace (PEP 794), 2.6 is PEP 808's; both are kept as raw fields. */
#define KNOWN_MINOR 6

static int
parse_metadata_version(Metadata *m, const MetadataField *f, Arena *arena, Err *err)
{
	const char *v = f->value;
	unsigned long major, minor;
	char *end;

	if (!ascii_is_digit(v[0]))
		goto bad;
	major = strtoul(v, &end, 10);
	if (*end != '.' || !ascii_is_digit(end[1]))
		goto bad;
	minor = strtoul(end + 1, &end, 10);
	/* end must be the end of the value: a NUL byte inside it is no end. */
	if (end != v + f->value_len || major > 1000 || minor > 1000)
		goto bad;
	m->version_major = (unsigned)major;
	m->version_minor = (unsigned)minor;
	if (major == 1 && minor <= 2)
		return 0;
	if (major == 2) {
		m->newer_minor = minor > KNOWN_MINOR;
		return 0;
	}
	if (major > 2)
		return err_set(err, "line %u: Metadata-Version %s is a newer major version than "
				    "this tool reads (up to 2.x)",
			       f->line, quoted(arena, v, f->value_len));
bad:
	return err_set(err, "line %u: Metadata-Version %s is not a known version (1.0, 1.1, "
			    "1.2, 2.0 to 2.%d, or a later 2.x)",
		       f->line, quoted(arena, v, f->value_len), KNOWN_MINOR);
}

static int
parse_requirements(Metadata *m, const MetadataField *fields, size_t n, Arena *arena, Err *err)
{
	const MetadataField *f;
	Requirement *reqs;
	size_t count = 0, i = 0;

	for (f = find(fields, n, "requires-dist", 0); f;
	     f = find(fields, n, "requires-dist", (size_t)(f - fields) + 1))
		count++;
	reqs = arena_zalloc(arena, (count ? count : 1) * sizeof(*reqs));
	for (f = find(fields, n, "requires-dist", 0); f;
	     f = find(fields, n, "requires-dist", (size_t)(f - fields) + 1)) {
		size_t len;
		const char *text = unfold(f, arena, &len);
		Err sub;

		/* The message shows the text, escaped, under packaging's caret layout. */
		if (requirement_parse(text, len, arena, &reqs[i], &sub) != 0)
			return err_set(err, "line %u: Requires-Dist is not a valid requirement "
					    "(PEP 508): %s",
				       f->line, sub.msg);
		i++;
	}
	m->requires_dist = reqs;
	m->requires_dist_len = count;
	return 0;
}

static int
cmp_placed(const void *a, const void *b)
{
	const char **x = *(const char **const *)a, **y = *(const char **const *)b;
	int c = strcmp(*x, *y);

	return c ? c : (x > y) - (x < y);
}

/*
 * Drop the later copies of names given more than once, keeping the order of the rest;
 * the new length. Sorted (pointers into list, so ties keep their order), not compared
 * pair by pair: a hostile file may hold a hundred thousand Provides-Extra lines.
 */
static size_t
drop_repeats(const char **list, size_t n)
{
	const char ***order;
	bool *repeat;
	size_t i, o = 0;

	if (n < 2)
		return n;
	order = xmalloc(n * sizeof(*order));
	repeat = xcalloc(n, sizeof(*repeat));
	for (i = 0; i < n; i++)
		order[i] = &list[i];
	qsort(order, n, sizeof(*order), cmp_placed);
	for (i = 1; i < n; i++)
		if (strcmp(*order[i], *order[i - 1]) == 0)
			repeat[order[i] - list] = true;
	for (i = 0; i < n; i++)
		if (!repeat[i])
			list[o++] = list[i];
	free(order);
	free(repeat);
	return o;
}

/*
 * Provides-Extra. From 2.3 on the specification requires the normalized form
 * (^[a-z0-9]+(-[a-z0-9]+)*$), but tools have written other valid names ("Foo_Bar")
 * since: packaging (Metadata.provides_extra) and pip normalize those instead of refusing
 * the file, and so do we; what is not a valid name at all is refused from 2.3 on, and
 * skipped (counted in provides_extra_ignored) before 2.3, when such extras were common
 * and harmless.
 */
static int
parse_extras(Metadata *m, const MetadataField *fields, size_t n, Arena *arena, Err *err)
{
	bool strict = m->version_major > 2 || (m->version_major == 2 && m->version_minor >= 3);
	const MetadataField *f;
	const char **list;
	size_t count = 0;

	for (f = find(fields, n, "provides-extra", 0); f;
	     f = find(fields, n, "provides-extra", (size_t)(f - fields) + 1))
		count++;
	list = arena_alloc(arena, (count ? count : 1) * sizeof(*list));
	count = 0;
	for (f = find(fields, n, "provides-extra", 0); f;
	     f = find(fields, n, "provides-extra", (size_t)(f - fields) + 1)) {
		size_t len;
		const char *text = unfold(f, arena, &len);

		if (!name_is_valid(text, len)) {
			if (strict)
				return err_set(err, "line %u: Provides-Extra %s is not a valid name "
						    "(ASCII letters, digits, '.', '-', '_', starting and "
						    "ending with a letter or digit)",
					       f->line, quoted(arena, text, len));
			m->provides_extra_ignored++;
			continue;
		}
		list[count++] = name_normalize(text, len, arena);
	}
	m->provides_extra = list;
	m->provides_extra_len = drop_repeats(list, count);
	return 0;
}

/*
 * A Requires-Python that specset_parse refused: the value, quoted once, then the clause
 * at fault when there are several, then specifier.c's reason.
 */
static int
bad_requires_python(const MetadataField *f, const char *text, size_t n, Arena *arena,
		    Err *err)
{
	const char *whole = text, *clause;
	size_t whole_len = n, clause_len, i = 0, j;
	Specifier one;
	Err sub;

	version_strip(&whole, &whole_len);
	for (;;) {
		for (j = i; j < n && text[j] != ','; j++)
			;
		clause = text + i;
		clause_len = j - i;
		version_strip(&clause, &clause_len);
		if (clause_len && specifier_parse(clause, clause_len, arena, &one, &sub) != 0) {
			if (clause == whole && clause_len == whole_len)
				return err_set(err, "line %u: Requires-Python %s is not a valid version "
						    "specifier: %s",
					       f->line, quoted(arena, text, n),
					       err_reason(sub.msg, SPECIFIER_ERROR_PHRASE));
			return err_set(err, "line %u: Requires-Python %s is not a valid version "
					    "specifier: clause %s: %s",
				       f->line, quoted(arena, text, n),
				       quoted(arena, clause, clause_len), err_reason(sub.msg, SPECIFIER_ERROR_PHRASE));
		}
		if (j >= n)
			break;
		i = j + 1;
	}
	return err_set(err, "line %u: Requires-Python %s is not a valid version specifier",
		       f->line, quoted(arena, text, n));
}

/* The body: the "From " line pushed back to it, if any, then the rest, with line
 * breaks made "\n"; NULL when there is none. */
static const char *
body_text(const char *data, size_t len, const Body *b, Arena *arena, size_t *out_len)
{
	size_t first = b->unread_end - b->unread, rest = len - b->body;
	char *joined;

	if (first == 0 && rest == 0)
		return NULL;
	if (first == 0)
		return plain_lines(data + b->body, rest, arena, out_len);
	joined = arena_alloc(arena, first + rest + 1);
	memcpy(joined, data + b->unread, first);
	memcpy(joined + first, data + b->body, rest);
	return plain_lines(joined, first + rest, arena, out_len);
}

int
metadata_parse(const char *data, size_t len, Arena *arena, Metadata *out, Err *err)
{
	Fields f = { 0 };
	const MetadataField *mv, *name, *version, *desc, *rp, *dup;
	MetadataField *items;
	const char *body_str;
	size_t bad, k, body_len;
	Body body;
	Err sub;

	memset(out, 0, sizeof(*out));
	if (split_headers(data, len, arena, &f, &body, err) != 0)
		goto fail;
	items = arena_alloc(arena, (f.len ? f.len : 1) * sizeof(*items));
	if (f.len)
		memcpy(items, f.items, f.len * sizeof(*items));
	free(f.items);
	f.items = NULL;
	out->fields = items;
	out->fields_len = f.len;

	for (k = 0; k < sizeof(single_use) / sizeof(single_use[0]); k++) {
		const MetadataField *first = find(items, f.len, single_use[k], 0);

		if (first && (dup = find(items, f.len, single_use[k], (size_t)(first - items) + 1))) {
			err_set(err, "line %u: field %s given again (first at line %u); it may "
				     "appear only once",
				dup->line, quoted(arena, dup->name, strlen(dup->name)), first->line);
			goto fail;
		}
	}

	if (!(mv = find(items, f.len, "metadata-version", 0))) {
		err_set(err, "missing required field 'Metadata-Version'");
		goto fail;
	}
	if (parse_metadata_version(out, mv, arena, err) != 0)
		goto fail;
	out->metadata_version = mv->value;

	if (!(name = find(items, f.len, "name", 0))) {
		err_set(err, "missing required field 'Name'");
		goto fail;
	}
	if (!name_is_valid(name->value, name->value_len)) {
		err_set(err, "line %u: Name %s is not a valid project name (ASCII letters, "
			     "digits, '.', '-', '_', starting and ending with a letter or digit)",
			name->line, quoted(arena, name->value, name->value_len));
		goto fail;
	}
	out->name = name->value;
	out->normalized_name = name_normalize(name->value, name->value_len, arena);

	if (!(version = find(items, f.len, "version", 0))) {
		err_set(err, "missing required field 'Version'");
		goto fail;
	}
	if (version_parse(version->value, version->value_len, arena, &out->version, &sub) != 0) {
		err_set(err, "line %u: Version %s is not a valid version (PEP 440): %s",
			version->line, quoted(arena, version->value, version->value_len),
			err_reason(sub.msg, VERSION_ERROR_PHRASE));
		goto fail;
	}

	if ((desc = find(items, f.len, "summary", 0)))
		out->summary = desc->value;

	if ((bad = body.unread + utf8_valid_prefix(data + body.unread,
						   body.unread_end - body.unread)) < body.unread_end ||
	    (bad = body.body + utf8_valid_prefix(data + body.body, len - body.body)) < len) {
		err_set(err, "the description (the body after the headers) is not valid UTF-8 "
			     "(byte 0x%02x at offset %zu)",
			(unsigned char)data[bad], bad);
		goto fail;
	}
	body_str = body_text(data, len, &body, arena, &body_len);
	desc = find(items, f.len, "description", 0);
	if (desc && body_str) {
		err_set(err, "line %u: the description is given both as a Description field and "
			     "as the body after the headers",
			desc->line);
		goto fail;
	}
	if (body_str) {
		out->description = body_str;
		out->description_len = body_len;
	} else if (desc) {
		out->description = undent(desc->value, desc->value_len, arena, &out->description_len);
	}

	if ((rp = find(items, f.len, "requires-python", 0))) {
		size_t n;
		const char *text = unfold(rp, arena, &n);

		if (specset_parse(text, n, arena, &out->requires_python, &sub) != 0) {
			bad_requires_python(rp, text, n, arena, err);
			goto fail;
		}
		out->requires_python_text = text;
	}
	if (parse_requirements(out, items, f.len, arena, err) != 0 ||
	    parse_extras(out, items, f.len, arena, err) != 0)
		goto fail;
	return 0;
fail:
	free(f.items);
	memset(out, 0, sizeof(*out));
	return -1;
}

int
metadata_parse_headers(const char *data, size_t len, Arena *arena,
		       const MetadataField **fields, size_t *n, Err *err)
{
	Fields f = { 0 };
	MetadataField *items;
	Body body;

	*fields = NULL;
	*n = 0;
	if (split_headers(data, len, arena, &f, &body, err) != 0) {
		free(f.items);
		return -1;
	}
	items = arena_alloc(arena, (f.len ? f.len : 1) * sizeof(*items));
	if (f.len)
		memcpy(items, f.items, f.len * sizeof(*items));
	free(f.items);
	*fields = items;
	*n = f.len;
	return 0;
}

const MetadataField *
metadata_field(const Metadata *m, const char *name)
{
	return find(m->fields, m->fields_len, name, 0);
}

const char *
metadata_get(const Metadata *m, const char *name)
{
	const MetadataField *f = metadata_field(m, name);

	return f ? f->value : NULL;
}

const char **
metadata_get_all(const Metadata *m, const char *name, Arena *arena, size_t *n)
{
	const char **out = arena_alloc(arena, (m->fields_len ? m->fields_len : 1) * sizeof(*out));
	size_t i;

	*n = 0;
	for (i = 0; i < m->fields_len; i++)
		if (same_name(m->fields[i].name, name))
			out[(*n)++] = m->fields[i].value;
	return out;
}
