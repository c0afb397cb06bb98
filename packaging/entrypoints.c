/*
 * entrypoints.c - entry_points.txt and the scripts made from it (entrypoints.h).
 *
 * Lines end at "\n", "\r\n" or "\r". Every line that is not blank, a comment or a
 * section header is a "name = value" entry: configparser would join a more indented
 * line to the value above, but importlib.metadata (which pip 23 on Python 3.11 reads
 * entry points with) does not, and no writer folds values, so an indented line is just
 * another entry. White space stripped is the ASCII white space of str.strip(); other
 * Unicode spaces stay (no writer puts them there). A section name is kept as written
 * between '[' and the last ']' (configparser does not strip it either); text after that
 * ']' is an error of ours, where configparser would ignore it. A section may appear
 * twice (its entries add up; a name repeated across the two is still a duplicate). The
 * file must be UTF-8 and hold no NUL byte.
 *
 * The launcher and the shebang are the bytes pip 23.0.1 (distlib's ScriptMaker) writes;
 * tests/unit/test_entrypoints.c holds what it wrote, observed. One departure: for a
 * wheel's own "#!python" script pip writes "#!PYTHON" whatever the path, which cannot
 * run when the path holds a space or is too long for the kernel; here such a script gets
 * the same portable first lines as a launcher.
 */
#include "config.h"

#include "entrypoints.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/utf8.h"
#include "ascii.h"

/* Bytes of outside text quoted in a message at most. */
#define QUOTED_MAX 120

/* The longest interpreter path a "#!" line may hold: Linux reads 127 bytes of a
 * shebang, and "#!" and "\n" take 3 of them (distlib's rule). */
#define SHEBANG_PATH_MAX 124

static const char *
quoted(Arena *arena, const char *s, size_t n)
{
	return buf_quoted_string(arena, s, n, QUOTED_MAX);
}

/* What str.strip() removes, within ASCII. */
static bool
strip_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       (c >= 0x1c && c <= 0x1f);
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && strip_space(**s))
		(*s)++;
	while (*e > *s && strip_space((*e)[-1]))
		(*e)--;
}

/* A dotted Python name: identifiers (non-ASCII bytes accepted as letters) joined by '.'. */
static bool
dotted_name(const char *s, size_t n)
{
	size_t i;
	bool start = true;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (!(c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (!start && ascii_is_digit(c))))
			return false;
		start = false;
	}
	return !start;
}

/* "module[:attr] [extras]" into ep's module and attr; the reason when it is not. */
static const char *
split_value(EntryPoint *ep, const char *v, size_t n, Arena *arena)
{
	const char *colon, *a;
	const char *bracket = memchr(v, '[', n);
	size_t end = n, m_end;

	if (bracket) {
		if (v[n - 1] != ']')
			return "the extras are not closed by a final ']'";
		end = (size_t)(bracket - v);
		while (end > 0 && strip_space(v[end - 1]))
			end--;
	}
	colon = memchr(v, ':', end);
	m_end = colon ? (size_t)(colon - v) : end;
	while (m_end > 0 && strip_space(v[m_end - 1]))
		m_end--;
	if (!dotted_name(v, m_end))
		return "the module is not a dotted Python name";
	ep->module = arena_strndup(arena, v, m_end);
	if (!colon)
		return NULL;
	a = colon + 1;
	while (a < v + end && strip_space(*a))
		a++;
	if (!dotted_name(a, (size_t)(v + end - a)))
		return "the object after ':' is not a dotted Python name";
	ep->attr = arena_strndup(arena, a, (size_t)(v + end - a));
	return NULL;
}

static int
cmp_entry(const void *pa, const void *pb)
{
	const EntryPoint *a = *(const EntryPoint *const *)pa, *b = *(const EntryPoint *const *)pb;
	int c = strcmp(a->group, b->group);

	if (c == 0)
		c = strcmp(a->name, b->name);
	if (c == 0)
		c = a->line < b->line ? -1 : a->line > b->line;
	return c;
}

/* A name given twice within one group: the later one's error. */
static int
check_duplicates(EntryPoint *eps, size_t n, const char *what, Arena *arena, Err *err)
{
	const EntryPoint **sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		sorted[i] = &eps[i];
	qsort(sorted, n, sizeof(*sorted), cmp_entry);
	for (i = 1; i < n; i++) {
		const EntryPoint *a = sorted[i - 1], *b = sorted[i];

		if (strcmp(a->group, b->group) == 0 && strcmp(a->name, b->name) == 0) {
			rc = err_set(err, "%s:%u: %s given again in section %s (first at line %u)", what,
				     b->line, quoted(arena, b->name, strlen(b->name)),
				     buf_quoted_string(arena, b->group, strlen(b->group), QUOTED_MAX),
				     a->line);
			break;
		}
	}
	free(sorted);
	return rc;
}

int
entrypoints_parse(const char *data, size_t len, const char *what, Arena *arena,
		  EntryPoint **out, size_t *n, Err *err)
{
	EntryPoint *eps = NULL;
	size_t neps = 0, cap = 0, pos = 0, bad;
	const char *group = NULL;
	unsigned line = 0;

	*out = NULL;
	*n = 0;
	if (memchr(data, '\0', len)) {
		const char *z = memchr(data, '\0', len);
		const char *p;

		for (p = data, line = 1; p < z; p++)
			line += *p == '\n' || (*p == '\r' && !(p + 1 < z && p[1] == '\n'));
		return err_set(err, "%s:%u: a NUL byte", what, line);
	}
	while (pos < len) {
		const char *s = data + pos, *e = s, *eq, *why;
		const char *ns, *ne, *vs, *ve;
		EntryPoint ep;

		while (e < data + len && *e != '\n' && *e != '\r')
			e++;
		pos = (size_t)(e - data);
		if (pos < len)
			pos += data[pos] == '\r' && pos + 1 < len && data[pos + 1] == '\n' ? 2 : 1;
		line++;
		if ((bad = utf8_valid_prefix(s, (size_t)(e - s))) < (size_t)(e - s)) {
			err_set(err, "%s:%u: not valid UTF-8 (byte 0x%02x)", what, line,
				(unsigned char)s[bad]);
			goto fail;
		}
		trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			const char *close = e;

			while (close > s && close[-1] != ']')
				close--;
			if (close == s) {
				err_set(err, "%s:%u: the section header %s has no ']'", what, line,
					quoted(arena, s, (size_t)(e - s)));
				goto fail;
			}
			if (close != e) {
				err_set(err, "%s:%u: text after the section header %s", what, line,
					quoted(arena, s, (size_t)(e - s)));
				goto fail;
			}
			if (close - 1 == s + 1) {
				err_set(err, "%s:%u: the section header '[]' has no name", what, line);
				goto fail;
			}
			group = arena_strndup(arena, s + 1, (size_t)(close - 1 - (s + 1)));
			continue;
		}
		if (!(eq = memchr(s, '=', (size_t)(e - s)))) {
			err_set(err, "%s:%u: %s has no '=' (entries read \"name = module:object\")",
				what, line, quoted(arena, s, (size_t)(e - s)));
			goto fail;
		}
		ns = s;
		ne = eq;
		vs = eq + 1;
		ve = e;
		trim(&ns, &ne);
		trim(&vs, &ve);
		if (!group) {
			err_set(err, "%s:%u: %s is outside any [section]", what, line,
				quoted(arena, s, (size_t)(e - s)));
			goto fail;
		}
		if (ns == ne) {
			err_set(err, "%s:%u: an entry without a name before '='", what, line);
			goto fail;
		}
		if (vs == ve) {
			err_set(err, "%s:%u: %s has no value", what, line,
				quoted(arena, ns, (size_t)(ne - ns)));
			goto fail;
		}
		memset(&ep, 0, sizeof(ep));
		ep.group = group;
		ep.name = arena_strndup(arena, ns, (size_t)(ne - ns));
		ep.value = arena_strndup(arena, vs, (size_t)(ve - vs));
		ep.line = line;
		if ((why = split_value(&ep, vs, (size_t)(ve - vs), arena))) {
			err_set(err, "%s:%u: %s = %s: %s", what, line,
				quoted(arena, ns, (size_t)(ne - ns)),
				quoted(arena, vs, (size_t)(ve - vs)), why);
			goto fail;
		}
		xgrow(&eps, &cap, neps + 1, sizeof(*eps));
		eps[neps++] = ep;
	}
	if (check_duplicates(eps, neps, what, arena, err) != 0)
		goto fail;
	*out = arena_alloc(arena, (neps ? neps : 1) * sizeof(**out));
	if (neps)
		memcpy(*out, eps, neps * sizeof(*eps));
	*n = neps;
	free(eps);
	return 0;
fail:
	free(eps);
	return -1;
}

bool
entrypoints_script_name_ok(const char *name)
{
	const unsigned char *p;

	if (name[0] == '\0' || name[0] == '-' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	/* Control characters would make a file name no terminal shows honestly. */
	for (p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7F)
			return false;
	return true;
}

void
entrypoints_shebang(const char *python, Buf *out)
{
	bool space = strchr(python, ' ') != NULL;

	if (!space && strlen(python) <= SHEBANG_PATH_MAX) {
		buf_printf(out, "#!%s\n", python);
		return;
	}
	/* sh runs the second line; Python reads lines two and three as a string. The path
	 * is quoted only when it holds a space, as distlib does (pip's bytes). */
	buf_puts(out, "#!/bin/sh\n'''exec' ");
	buf_printf(out, space ? "\"%s\"" : "%s", python);
	buf_puts(out, " \"$0\" \"$@\"\n' '''\n");
}

int
entrypoints_launcher(const EntryPoint *ep, const char *python, Buf *out, Err *err)
{
	size_t first;

	if (!ep->attr) {
		Buf name = { 0 }, value = { 0 };

		buf_put_quoted(&name, ep->name, strlen(ep->name), QUOTED_MAX);
		buf_put_quoted(&value, ep->value, strlen(ep->value), QUOTED_MAX);
		err_set(err, "entry point %s = %s names no object to call (it should read "
			     "\"module:function\")",
			name.data, value.data);
		buf_free(&name);
		buf_free(&value);
		return -1;
	}
	first = strcspn(ep->attr, ".");
	entrypoints_shebang(python, out);
	buf_puts(out, "# -*- coding: utf-8 -*-\n"
		      "import re\n"
		      "import sys\n");
	buf_printf(out, "from %s import %.*s\n", ep->module, (int)first, ep->attr);
	buf_puts(out, "if __name__ == '__main__':\n"
		      "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n");
	buf_printf(out, "    sys.exit(%s())\n", ep->attr);
	return 0;
}

int
entrypoints_rewrite_script(const char *data, size_t len, const char *python, Buf *out)
{
	const char *nl;

	if (len < 8 || memcmp(data, "#!python", 8) != 0)
		return 0;
	entrypoints_shebang(python, out);
	/* The first line ends at "\n" only: pip reads it with a binary readline. */
	if ((nl = memchr(data, '\n', len)))
		buf_append(out, nl + 1, len - (size_t)(nl + 1 - data));
	return 1;
}
