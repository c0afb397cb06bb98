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
 *  - "From " lines are mbox envelope lines and are dropped;
 *  - the first empty line ends the headers; any other line (one that is neither a
 *    field nor a continuation) ends them too and starts the body.
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
#include "name.h"

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
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

/* The offset of the first byte that is not UTF-8, or len when all are. */
static size_t
utf8_bad(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t c, min;

	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0xC2 && u[i] <= 0xDF)
			n = 2, c = u[i] & 0x1F, min = 0x80;
		else if (u[i] >= 0xE0 && u[i] <= 0xEF)
			n = 3, c = u[i] & 0x0F, min = 0x800;
		else if (u[i] >= 0xF0 && u[i] <= 0xF4)
			n = 4, c = u[i] & 0x07, min = 0x10000;
		else
			return i;
		if (len - i < n)
			return i;
		for (k = 1; k < n; k++) {
			if ((u[i + k] & 0xC0) != 0x80)
				return i;
			c = c << 6 | (u[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return i;
		i += n;
	}
	return len;
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

typedef struct Fields {
	MetadataField *items;
	size_t len, cap;
} Fields;

/* Split the header block into fields; *body is where the body starts. */
static int
split_headers(const char *s, size_t len, Arena *arena, Fields *f, size_t *body, Err *err)
{
	Buf value = { 0 };
	const char *name = NULL;
	unsigned lineno = 0, name_line = 0;
	size_t pos = 0, colon, bad, v;
	Line l;

	for (;;) {
		bool more = pos < len;

		l = next_line(s, len, pos);
		if (more)
			lineno++;
		/* A field ends where a line that does not continue it begins. */
		if (name && (!more || (s[l.start] != ' ' && s[l.start] != '\t') || l.end == l.start)) {
			v = value.len;
			while (v > 0 && (value.data[v - 1] == '\n' || value.data[v - 1] == '\r'))
				v--;
			if ((bad = utf8_bad(value.data, v)) < v) {
				err_set(err, "line %u: field '%s' is not valid UTF-8 (byte 0x%02x)",
					name_line, name, (unsigned char)value.data[bad]);
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
			*body = more ? l.next : len; /* the empty line is not part of the body */
			break;
		}
		if (s[l.start] == ' ' || s[l.start] == '\t') {
			if (name)
				buf_append(&value, s + l.start, l.next - l.start);
		} else if (l.end - l.start >= 5 && memcmp(s + l.start, "From ", 5) == 0) {
			/* An mbox envelope line: dropped, wherever it is. */
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
			*body = l.start;
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

static int
parse_metadata_version(Metadata *m, const MetadataField *f, Err *err)
{
	const char *v = f->value;
	unsigned long major, minor;
	char *end;

	if (v[0] < '0' || v[0] > '9')
		goto bad;
	major = strtoul(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		goto bad;
	minor = strtoul(end + 1, &end, 10);
	if (*end != '\0' || major > 1000 || minor > 1000)
		goto bad;
	m->version_major = (unsigned)major;
	m->version_minor = (unsigned)minor;
	if (major == 1 && minor <= 2)
		return 0;
	if (major == 2) {
		m->newer_minor = minor > 4;
		return 0;
	}
	if (major > 2)
		return err_set(err, "line %u: Metadata-Version %s is a newer major version than "
				    "this tool reads (up to 2.x)",
			       f->line, v);
bad:
	return err_set(err, "line %u: '%s' is not a known Metadata-Version (1.0, 1.1, 1.2, "
			    "2.0 to 2.4, or a later 2.x)",
		       f->line, v);
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

		if (requirement_parse(text, len, arena, &reqs[i], &sub) != 0)
			return err_set(err, "line %u: Requires-Dist '%s' is invalid: %s", f->line,
				       text, sub.msg);
		i++;
	}
	m->requires_dist = reqs;
	m->requires_dist_len = count;
	return 0;
}

static int
parse_extras(Metadata *m, const MetadataField *fields, size_t n, Arena *arena, Err *err)
{
	bool strict = m->version_major > 2 || (m->version_major == 2 && m->version_minor >= 3);
	const MetadataField *f;
	const char **list;
	size_t count = 0, k;

	for (f = find(fields, n, "provides-extra", 0); f;
	     f = find(fields, n, "provides-extra", (size_t)(f - fields) + 1))
		count++;
	list = arena_alloc(arena, (count ? count : 1) * sizeof(*list));
	count = 0;
	for (f = find(fields, n, "provides-extra", 0); f;
	     f = find(fields, n, "provides-extra", (size_t)(f - fields) + 1)) {
		size_t len;
		const char *text = unfold(f, arena, &len);
		char *norm;

		if (!name_is_valid(text, len)) {
			if (strict)
				return err_set(err, "line %u: Provides-Extra '%s' is not a valid name",
					       f->line, text);
			/* Before 2.3 such extras were common and harmless: skip. */
			m->provides_extra_ignored++;
			continue;
		}
		norm = name_normalize(text, len, arena);
		for (k = 0; k < count && strcmp(list[k], norm) != 0; k++)
			;
		if (k == count)
			list[count++] = norm;
	}
	m->provides_extra = list;
	m->provides_extra_len = count;
	return 0;
}

int
metadata_parse(const char *data, size_t len, Arena *arena, Metadata *out, Err *err)
{
	Fields f = { 0 };
	const MetadataField *mv, *name, *version, *desc, *rp, *dup;
	MetadataField *items;
	size_t body, bad, k;
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
			err_set(err, "line %u: field '%s' given again (first at line %u); it may "
				     "appear only once",
				dup->line, dup->name, first->line);
			goto fail;
		}
	}

	if (!(mv = find(items, f.len, "metadata-version", 0))) {
		err_set(err, "missing required field 'Metadata-Version'");
		goto fail;
	}
	if (parse_metadata_version(out, mv, err) != 0)
		goto fail;
	out->metadata_version = mv->value;

	if (!(name = find(items, f.len, "name", 0))) {
		err_set(err, "missing required field 'Name'");
		goto fail;
	}
	if (!name_is_valid(name->value, name->value_len)) {
		err_set(err, "line %u: Name '%s' is not a valid project name (ASCII letters, "
			     "digits, '.', '-', '_', starting and ending with a letter or digit)",
			name->line, name->value);
		goto fail;
	}
	out->name = name->value;
	out->normalized_name = name_normalize(name->value, name->value_len, arena);

	if (!(version = find(items, f.len, "version", 0))) {
		err_set(err, "missing required field 'Version'");
		goto fail;
	}
	if (version_parse(version->value, version->value_len, arena, &out->version, &sub) != 0) {
		err_set(err, "line %u: Version '%s' is invalid: %s", version->line, version->value,
			sub.msg);
		goto fail;
	}

	if ((desc = find(items, f.len, "summary", 0)))
		out->summary = desc->value;

	if ((bad = utf8_bad(data + body, len - body)) < len - body) {
		err_set(err, "the description (the body after the headers) is not valid UTF-8 "
			     "(byte 0x%02x at offset %zu)",
			(unsigned char)data[body + bad], body + bad);
		goto fail;
	}
	desc = find(items, f.len, "description", 0);
	if (desc && body < len) {
		err_set(err, "line %u: the description is given both as a Description field and "
			     "as the body after the headers",
			desc->line);
		goto fail;
	}
	if (body < len)
		out->description = plain_lines(data + body, len - body, arena, &out->description_len);
	else if (desc)
		out->description = undent(desc->value, desc->value_len, arena, &out->description_len);

	if ((rp = find(items, f.len, "requires-python", 0))) {
		size_t n;
		const char *text = unfold(rp, arena, &n);

		if (specset_parse(text, n, arena, &out->requires_python, &sub) != 0) {
			err_set(err, "line %u: Requires-Python '%s' is invalid: %s", rp->line, text,
				sub.msg);
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
