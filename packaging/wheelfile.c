/*
 * wheelfile.c - a wheel's WHEEL file (wheelfile.h).
 *
 * The header block is split by metadata.c (metadata_parse_headers), so WHEEL reads as
 * METADATA does, and as pip reads it (email.parser with compat32). Then, like pip: the
 * first Wheel-Version is what counts, stripped of white space and read as dot-separated
 * decimal numbers; a version above 1.0 ("1.1", "1.0.1") sets newer_minor. Stricter than
 * pip, which takes anything but "true" as platlib and a missing field as false: a
 * missing Root-Is-Purelib and a value other than true or false (any case, white space
 * around it ignored) are errors, so that a damaged file never sends a wheel's root to
 * the wrong directory unnoticed. Wheel-Version and Root-Is-Purelib given twice are
 * errors too (pip would take the first).
 */
#include "config.h"

#include "wheelfile.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/buf.h"
#include "ascii.h"
#include "metadata.h"

/* Bytes of outside text quoted in a message at most. */
#define QUOTED_MAX 120

static bool
same_name(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && ascii_equal_fold(a, b, n);
}

static bool
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The value without the white space around it: [*s, *s + returned length). */
static size_t
trimmed(const MetadataField *f, const char **s)
{
	const char *p = f->value, *e = f->value + f->value_len;

	while (p < e && space(*p))
		p++;
	while (e > p && space(e[-1]))
		e--;
	*s = p;
	return (size_t)(e - p);
}

/* The one field called name, or NULL; -1 when it is given twice. */
static int
single(const MetadataField *fields, size_t n, const char *name, const char *what,
       const MetadataField **out, Arena *arena, Err *err)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if (!same_name(fields[i].name, name))
			continue;
		if (*out)
			return err_set(err, "%s:%u: field %s given again (first at line %u); it may "
					    "appear only once",
				       what, fields[i].line,
				       buf_quoted_string(arena, fields[i].name,
							 strlen(fields[i].name), QUOTED_MAX),
				       (*out)->line);
		*out = &fields[i];
	}
	return 0;
}

/* "N(.N)*" into major, minor and whether any later part is not zero. */
static bool
parse_version(const char *s, size_t n, WheelFile *w)
{
	size_t i = 0, part = 0;

	w->newer_minor = false;
	w->version_major = w->version_minor = 0;
	for (;;) {
		unsigned long v = 0;
		size_t start = i;

		while (i < n && ascii_is_digit(s[i])) {
			if (v > 99999999)
				return false;
			v = v * 10 + (unsigned long)(s[i++] - '0');
		}
		if (i == start)
			return false;
		if (part == 0)
			w->version_major = (unsigned)v;
		else if (part == 1)
			w->version_minor = (unsigned)v;
		if (part > 0 && v > 0)
			w->newer_minor = true;
		part++;
		if (i == n)
			return true;
		if (s[i++] != '.')
			return false;
	}
}

int
wheelfile_parse(const char *data, size_t len, const char *what, Arena *arena,
		WheelFile *out, Err *err)
{
	const MetadataField *fields, *version, *purelib, *f;
	const char **tags;
	const char *s;
	size_t n, i, k;
	Err sub;

	memset(out, 0, sizeof(*out));
	if (metadata_parse_headers(data, len, arena, &fields, &n, &sub) != 0) {
		/* "line N: why" becomes "what:N: why", the form of every other message. */
		char *end;
		unsigned long line = strncmp(sub.msg, "line ", 5) == 0 ?
					     strtoul(sub.msg + 5, &end, 10) : 0;

		if (line > 0 && strncmp(end, ": ", 2) == 0)
			return err_set(err, "%s:%lu: %s", what, line, end + 2);
		return err_set(err, "%s: %s", what, sub.msg);
	}
	if (single(fields, n, "wheel-version", what, &version, arena, err) != 0 ||
	    single(fields, n, "root-is-purelib", what, &purelib, arena, err) != 0)
		goto fail;
	if (!version) {
		err_set(err, "%s: missing required field 'Wheel-Version'", what);
		goto fail;
	}
	k = trimmed(version, &s);
	if (!parse_version(s, k, out)) {
		err_set(err, "%s:%u: Wheel-Version %s is not a version (it should read \"1.0\")",
			what, version->line, buf_quoted_string(arena, s, k, QUOTED_MAX));
		goto fail;
	}
	if (out->version_major != 1) {
		err_set(err, "%s:%u: Wheel-Version %s is not supported (only 1.x is)", what,
			version->line, buf_quoted_string(arena, s, k, QUOTED_MAX));
		goto fail;
	}
	if (!purelib) {
		err_set(err, "%s: missing required field 'Root-Is-Purelib'", what);
		goto fail;
	}
	k = trimmed(purelib, &s);
	if (k == 4 && ascii_equal_fold(s, "true", 4)) {
		out->root_is_purelib = true;
	} else if (!(k == 5 && ascii_equal_fold(s, "false", 5))) {
		err_set(err, "%s:%u: Root-Is-Purelib %s is neither true nor false", what,
			purelib->line, buf_quoted_string(arena, s, k, QUOTED_MAX));
		goto fail;
	}

	tags = arena_alloc(arena, (n ? n : 1) * sizeof(*tags));
	for (i = 0; i < n; i++) {
		f = &fields[i];
		if (same_name(f->name, "tag"))
			tags[out->tags_len++] = f->value;
		else if (same_name(f->name, "generator") && !out->generator)
			out->generator = f->value;
		else if (same_name(f->name, "build") && !out->build)
			out->build = f->value;
	}
	out->tags = tags;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}
