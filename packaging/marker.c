/*
 * marker.c - PEP 508 environment markers: parse, evaluate, print (marker.h).
 *
 * The parser is a hand-written recursive descent over bytes that accepts what
 * packaging's tokenizer accepts and fails where it fails, with the same messages and
 * caret lines: the requirement parser reports marker errors inside requirements and the
 * vectors pin that wording. Choices where the specifications leave room, or where we
 * part from packaging on purpose:
 *
 *  - Quoted strings are Python string literals, as packaging reads them with
 *    ast.literal_eval: a string runs to the next quote of its kind (no escaped quote
 *    inside) and its backslash escapes are decoded ("\x41", "\u00e9", "\\", "\n", octal;
 *    an unknown escape such as "\d" stays as written, as in Python). A malformed escape
 *    ("\x", a trailing backslash) is "Invalid quoted string". Decided here: "\N{name}"
 *    is rejected (it needs the Unicode name table), as are line breaks and NUL bytes
 *    inside a string (Python rejects those too), lone surrogates, and bytes that are
 *    not UTF-8 (a Python string cannot hold them).
 *  - "\b" word boundaries (around variables, "and", "or", "in", "not") follow Python's
 *    Unicode \w approximately: ASCII letters, digits and '_', and every non-ASCII
 *    character except the Unicode spaces.
 *  - The tree flattens "a and (b and c)" into one group and drops parentheses that do
 *    not change the meaning, so the canonical text is packaging's str() except that
 *    packaging keeps redundant inner parentheses ("a and (b and c)"). packaging also
 *    unwraps doubled parentheses "((a or b))" even inside "and", changing the meaning;
 *    we keep the meaning.
 *  - Literals print in double quotes, single quotes when they hold a double quote, as
 *    packaging does. Where packaging's output would not parse back (a literal with both
 *    quotes, a backslash or a control character) we write Python escapes, so that every
 *    tree prints to text that parses to the same tree. DEL and the C1 controls are
 *    escaped too (packaging writes them as they are), so that the canonical text of a
 *    marker never carries a terminal escape sequence.
 *  - Syntax errors keep packaging's layout (message, source line, caret line), but the
 *    source line is outside text and is shown escaped as buf_put_quoted escapes
 *    (quotes and backslashes as written), where packaging prints control characters
 *    raw. The caret's column counts the shown text, and a long source is shown as a
 *    window around the error.
 *
 * Evaluation follows packaging 26: python_version, python_full_version,
 * implementation_version and platform_release compare as versions when "op + other
 * side" is a valid specifier (pre-releases allowed), else as strings: == and != exact,
 * <= and >= equality, < and > false, in / not in substrings, ~= and === an error.
 * "extra" compares normalized names (PEP 685); extras and dependency_groups are sets and
 * only "'x' in extras" / "not in" is defined. Two places where packaging's behaviour
 * is an accident of its implementation and we do the plain thing instead: a
 * comparison of two variables compares their two values (packaging compares the left
 * value with the right variable's *name*), and a comparison of two literals compares
 * the literals (packaging looks the right literal up as a variable name). Every
 * comparison of a marker is evaluated, even when the result is already known, so that
 * an invalid comparison fails whatever the environment, as in packaging.
 */
#include "config.h"

#include "marker.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/buf.h"
#include "../engine/utf8.h"
#include "ascii.h"
#include "name.h"
#include "specifier.h"
#include "version.h"

/* Deeper parenthesised nesting than this is refused (the parser and printer recurse). */
#define MAX_DEPTH 100

static const char *const var_names[MARKER_VAR_COUNT] = {
	[MARKER_OS_NAME] = "os_name",
	[MARKER_SYS_PLATFORM] = "sys_platform",
	[MARKER_PLATFORM_MACHINE] = "platform_machine",
	[MARKER_PLATFORM_PYTHON_IMPLEMENTATION] = "platform_python_implementation",
	[MARKER_PLATFORM_RELEASE] = "platform_release",
	[MARKER_PLATFORM_SYSTEM] = "platform_system",
	[MARKER_PLATFORM_VERSION] = "platform_version",
	[MARKER_PYTHON_VERSION] = "python_version",
	[MARKER_PYTHON_FULL_VERSION] = "python_full_version",
	[MARKER_IMPLEMENTATION_NAME] = "implementation_name",
	[MARKER_IMPLEMENTATION_VERSION] = "implementation_version",
	[MARKER_EXTRA] = "extra",
	[MARKER_EXTRAS] = "extras",
	[MARKER_DEPENDENCY_GROUPS] = "dependency_groups",
};

/* Every spelling packaging's tokenizer accepts: PEP 345 dotted names, setuptools' one. */
static const struct {
	const char *text;
	MarkerVar var;
} spellings[] = {
	{ "python_version", MARKER_PYTHON_VERSION },
	{ "python_full_version", MARKER_PYTHON_FULL_VERSION },
	{ "os_name", MARKER_OS_NAME },
	{ "os.name", MARKER_OS_NAME },
	{ "sys_platform", MARKER_SYS_PLATFORM },
	{ "sys.platform", MARKER_SYS_PLATFORM },
	{ "platform_release", MARKER_PLATFORM_RELEASE },
	{ "platform_system", MARKER_PLATFORM_SYSTEM },
	{ "platform_version", MARKER_PLATFORM_VERSION },
	{ "platform.version", MARKER_PLATFORM_VERSION },
	{ "platform_machine", MARKER_PLATFORM_MACHINE },
	{ "platform.machine", MARKER_PLATFORM_MACHINE },
	{ "platform_python_implementation", MARKER_PLATFORM_PYTHON_IMPLEMENTATION },
	{ "platform.python_implementation", MARKER_PLATFORM_PYTHON_IMPLEMENTATION },
	{ "python_implementation", MARKER_PLATFORM_PYTHON_IMPLEMENTATION },
	{ "implementation_name", MARKER_IMPLEMENTATION_NAME },
	{ "implementation_version", MARKER_IMPLEMENTATION_VERSION },
	{ "extra", MARKER_EXTRA },
	{ "extras", MARKER_EXTRAS },
	{ "dependency_groups", MARKER_DEPENDENCY_GROUPS },
};

static const char *const op_names[] = {
	[MARKER_OP_EQ] = "==",
	[MARKER_OP_NE] = "!=",
	[MARKER_OP_LT] = "<",
	[MARKER_OP_LE] = "<=",
	[MARKER_OP_GT] = ">",
	[MARKER_OP_GE] = ">=",
	[MARKER_OP_COMPATIBLE] = "~=",
	[MARKER_OP_ARBITRARY] = "===",
	[MARKER_OP_IN] = "in",
	[MARKER_OP_NOT_IN] = "not in",
};

const char *
marker_var_name(MarkerVar var)
{
	return (unsigned)var < MARKER_VAR_COUNT ? var_names[var] : "?";
}

const char *
marker_op_str(MarkerOp op)
{
	return (unsigned)op <= MARKER_OP_NOT_IN ? op_names[op] : "?";
}

bool
marker_var_lookup(const char *name, size_t len, MarkerVar *out)
{
	size_t i;

	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if (strlen(spellings[i].text) == len && memcmp(spellings[i].text, name, len) == 0) {
			*out = spellings[i].var;
			return true;
		}
	return false;
}

/* ---------------------------------------------------------------- characters */

/* The characters Python's str.isspace() and regex \s accept. */
static bool
py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Whether s[i] starts a \w character (see the header comment for non-ASCII). */
bool
marker_word_at(const char *s, size_t len, size_t i)
{
	unsigned char c;
	uint32_t cp;

	if (i >= len)
		return false;
	c = (unsigned char)s[i];
	if (c < 0x80)
		return ascii_is_alnum(c) || c == '_';
	if (!utf8_decode(s + i, len - i, &cp, NULL))
		return true;
	return !py_space(cp);
}

/* Whether the character that ends just before s[i] is a \w character. */
bool
marker_word_before(const char *s, size_t len, size_t i)
{
	size_t j = i;

	if (i == 0)
		return false;
	do
		j--;
	while (j > 0 && i - j < 4 && ((unsigned char)s[j] & 0xC0) == 0x80);
	return marker_word_at(s, len, j);
}

size_t
marker_space_at(const char *s, size_t len, size_t i)
{
	uint32_t cp;
	size_t n;

	if (i >= len || !(n = utf8_decode(s + i, len - i, &cp, NULL)))
		return 0;
	return py_space(cp) ? n : 0;
}

/* ---------------------------------------------------------------- errors */

/*
 * Bytes of source text a syntax error shows at most. The message, the source line and
 * the caret line then stay far below the size of an Err, even with the context callers
 * add (pyproject.toml's key and quoted value), so that nothing is cut, least of all a
 * character in half.
 */
#define SHOWN_MAX 240
/* Bytes of a quoted text (a marker in an evaluation error) shown at most. */
#define QUOTED_MAX 300

/* The length of the character at s (avail bytes from s on); 1 for a byte that is not UTF-8. */
static size_t
char_len(const char *s, size_t avail)
{
	uint32_t cp;
	size_t n;

	if ((unsigned char)s[0] < 0x80)
		return 1;
	n = utf8_decode(s, avail, &cp, NULL);
	return n ? n : 1;
}

/*
 * Append the character at s (avail bytes from s on) as a message shows it; *k is set to
 * its length in s. Returns its width in columns: 1 for a character shown as itself, the
 * length of the escape otherwise (escapes are ASCII).
 */
static size_t
put_shown_char(Buf *b, const char *s, size_t avail, size_t *k)
{
	size_t n = char_len(s, avail), before = b->len, added;

	*k = n;
	if (s[0] == '"' || s[0] == '\\') {
		buf_putc(b, s[0]);
		return 1;
	}
	/* buf_put_quoted decides what is escaped; only its quotes are dropped again. */
	buf_put_quoted(b, s, n, n);
	added = b->len - before - 2;
	memmove(b->data + before, b->data + before + 1, added);
	b->len = before + added;
	b->data[b->len] = '\0';
	return added == n && memcmp(b->data + before, s, n) == 0 ? 1 : added;
}

size_t
marker_put_shown(Buf *b, const char *s, size_t len, size_t max)
{
	size_t i = 0, k, width = 0;

	while (i < len) {
		if (i + char_len(s + i, len - i) > max) {
			buf_puts(b, "...");
			return width + 3;
		}
		width += put_shown_char(b, s + i, len - i, &k);
		i += k;
	}
	return width;
}

/* Bytes that the characters of src (len bytes) starting before to take once shown. */
static size_t
shown_bytes(const char *src, size_t len, size_t to, Buf *scratch)
{
	size_t i = 0, k, total = 0;

	while (i < to) {
		buf_clear(scratch);
		(void)put_shown_char(scratch, src + i, len - i, &k);
		total += scratch->len;
		i += k;
	}
	return total;
}

int
marker_syntax_error(Err *err, const char *src, size_t len, size_t start, size_t end,
		    const char *fmt, ...)
{
	char msg[512];
	size_t a = 0, z = len, i, k, col, c0, c1, before, after, total;
	Buf out = { 0 }, scratch = { 0 };
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (end > len)
		end = len;
	if (start > end)
		start = end;

	/*
	 * A long source is shown as a window around the error: up to three quarters of
	 * SHOWN_MAX before it (less when little follows), the rest after, "..." where
	 * text is left out. Character boundaries are found walking forward from the start,
	 * the only direction in which UTF-8 (and invalid bytes) decode unambiguously.
	 */
	total = shown_bytes(src, len, len, &scratch);
	if (total > SHOWN_MAX) {
		size_t upto_end = shown_bytes(src, len, end, &scratch), tail = total - upto_end;

		before = SHOWN_MAX - (tail < SHOWN_MAX / 4 ? tail : SHOWN_MAX / 4);
		for (a = 0, i = 0; a < end && upto_end - i > before; a += k) {
			buf_clear(&scratch);
			(void)put_shown_char(&scratch, src + a, len - a, &k);
			i += scratch.len;
		}
		after = SHOWN_MAX - (i < upto_end ? upto_end - i : 0);
		for (z = end, i = 0; z < len; z += k) {
			buf_clear(&scratch);
			(void)put_shown_char(&scratch, src + z, len - z, &k);
			if (i + scratch.len > after)
				break;
			i += scratch.len;
		}
	}
	buf_free(&scratch);

	buf_printf(&out, "%s\n    ", msg);
	col = c0 = c1 = 0;
	if (a > 0) {
		buf_puts(&out, "...");
		col = 3;
	}
	/* Columns of start and end in the shown text (a span that begins in the part
	 * left out begins at the "..."). */
	for (i = a; i < z; i += k) {
		if (i <= start)
			c0 = col;
		if (i <= end)
			c1 = col;
		col += put_shown_char(&out, src + i, len - i, &k);
	}
	if (z < len)
		buf_puts(&out, "...");
	if (end >= z)
		c1 = col;
	if (start >= z)
		c0 = col;
	buf_puts(&out, "\n    ");
	for (i = 0; i < c1; i++)
		buf_putc(&out, i < c0 ? ' ' : '~');
	buf_putc(&out, '^');
	err_set(err, "%s", out.data);
	buf_free(&out);
	return -1;
}

/* ---------------------------------------------------------------- parsing */

typedef struct Parser {
	const char *s;
	size_t len, pos;
	Arena *arena;
	Err *err;
	int depth;
} Parser;

static int
fail_at(Parser *p, size_t start, const char *what)
{
	return marker_syntax_error(p->err, p->s, p->len, start, p->pos, "%s", what);
}

static void
skip_ws(Parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

/* A word (starting and ending with word characters) at pos, with \b on both sides. */
static bool
at_word(const Parser *p, const char *w)
{
	size_t n = strlen(w);

	return p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0 &&
	       !marker_word_before(p->s, p->len, p->pos) &&
	       !marker_word_at(p->s, p->len, p->pos + n);
}

/* A list of subtrees being gathered, moved into the arena once complete. */
typedef struct List {
	Marker **items;
	size_t len, cap;
} List;

static void
list_add(List *l, Marker *m, MarkerKind splice)
{
	size_t i;

	if (m->kind == splice) {
		for (i = 0; i < m->u.group.len; i++)
			list_add(l, m->u.group.items[i], splice);
		return;
	}
	xgrow(&l->items, &l->cap, l->len + 1, sizeof(*l->items));
	l->items[l->len++] = m;
}

static Marker *
list_finish(List *l, MarkerKind kind, Arena *arena)
{
	Marker *m;

	if (l->len == 1) {
		m = l->items[0];
	} else {
		m = arena_zalloc(arena, sizeof(*m));
		m->kind = kind;
		m->u.group.len = l->len;
		m->u.group.items = arena_alloc(arena, l->len * sizeof(*l->items));
		memcpy(m->u.group.items, l->items, l->len * sizeof(*l->items));
	}
	free(l->items);
	return m;
}

/*
 * The body of a quoted string, decoded as a Python string literal. The result is at
 * most as long as the text (no escape is shorter than what it stands for).
 */
static bool
decode_literal(const char *s, size_t n, Arena *arena, char **out, size_t *out_len)
{
	char *buf = arena_alloc(arena, n + 1);
	size_t i = 0, o = 0, k;
	uint32_t cp;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r' || c == '\0')
			return false;
		if (c >= 0x80) {
			if (!(k = utf8_decode(s + i, n - i, &cp, NULL)))
				return false;
			memcpy(buf + o, s + i, k);
			o += k, i += k;
			continue;
		}
		if (c != '\\') {
			buf[o++] = (char)c;
			i++;
			continue;
		}
		if (++i == n)
			return false; /* the backslash escapes the closing quote */
		c = (unsigned char)s[i];
		switch (c) {
		case '\\': case '\'': case '"':
			buf[o++] = (char)c, i++;
			continue;
		case 'a': buf[o++] = '\a', i++; continue;
		case 'b': buf[o++] = '\b', i++; continue;
		case 'f': buf[o++] = '\f', i++; continue;
		case 'n': buf[o++] = '\n', i++; continue;
		case 'r': buf[o++] = '\r', i++; continue;
		case 't': buf[o++] = '\t', i++; continue;
		case 'v': buf[o++] = '\v', i++; continue;
		case 'x': case 'u': case 'U': {
			size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;

			cp = 0;
			for (k = 1; k <= digits; k++) {
				unsigned char h = i + k < n ? (unsigned char)s[i + k] : 0;

				if (ascii_is_digit(h))
					cp = cp << 4 | (uint32_t)(h - '0');
				else if (ascii_lower(h) >= 'a' && ascii_lower(h) <= 'f')
					cp = cp << 4 | (uint32_t)(ascii_lower(h) - 'a' + 10);
				else
					return false;
			}
			if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
				return false;
			o += utf8_encode(cp, buf + o);
			i += 1 + digits;
			continue;
		}
		case 'N':
			return false;
		default:
			break;
		}
		if (c >= '0' && c <= '7') {
			cp = 0;
			for (k = 0; k < 3 && i < n && s[i] >= '0' && s[i] <= '7'; k++, i++)
				cp = cp * 8 + (uint32_t)(s[i] - '0');
			o += utf8_encode(cp, buf + o);
			continue;
		}
		/* Unknown escape: Python keeps the backslash. The next character is copied
		 * by the loop (and checked there, should it be a line break). */
		buf[o++] = '\\';
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return true;
}

static int
parse_value(Parser *p, MarkerValue *v)
{
	size_t i, start = p->pos;
	char q;

	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if (at_word(p, spellings[i].text)) {
			v->is_var = true;
			v->var = spellings[i].var;
			v->str = var_names[v->var];
			v->len = strlen(v->str);
			p->pos += strlen(spellings[i].text);
			return 0;
		}
	q = p->pos < p->len ? p->s[p->pos] : 0;
	if (q == '\'' || q == '"') {
		const char *close = memchr(p->s + start + 1, q, p->len - start - 1);

		if (close) {
			char *text;
			size_t n;

			p->pos = (size_t)(close - p->s) + 1;
			if (!decode_literal(p->s + start + 1, (size_t)(close - p->s) - start - 1,
					    p->arena, &text, &n))
				return fail_at(p, start, "Invalid quoted string");
			v->is_var = false;
			v->var = 0;
			v->str = text;
			v->len = n;
			return 0;
		}
	}
	return fail_at(p, p->pos, "Expected a marker variable or quoted string");
}

static int
parse_op(Parser *p, MarkerOp *op)
{
	static const struct {
		const char *text;
		MarkerOp op;
	} ops[] = {
		{ "===", MARKER_OP_ARBITRARY }, { "==", MARKER_OP_EQ }, { "~=", MARKER_OP_COMPATIBLE },
		{ "!=", MARKER_OP_NE },        { "<=", MARKER_OP_LE }, { ">=", MARKER_OP_GE },
		{ "<", MARKER_OP_LT },         { ">", MARKER_OP_GT },
	};
	size_t i;

	if (at_word(p, "in")) {
		p->pos += 2;
		*op = MARKER_OP_IN;
		return 0;
	}
	if (at_word(p, "not")) {
		p->pos += 3;
		if (p->pos >= p->len || (p->s[p->pos] != ' ' && p->s[p->pos] != '\t'))
			return fail_at(p, p->pos, "Expected whitespace after 'not'");
		skip_ws(p);
		if (!at_word(p, "in"))
			return fail_at(p, p->pos, "Expected 'in' after 'not'");
		p->pos += 2;
		*op = MARKER_OP_NOT_IN;
		return 0;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);

		if (p->len - p->pos >= n && memcmp(p->s + p->pos, ops[i].text, n) == 0) {
			p->pos += n;
			*op = ops[i].op;
			return 0;
		}
	}
	return fail_at(p, p->pos,
		       "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in");
}

/* Replace a literal by its normalized name (PEP 685), as packaging does at parse time. */
static void
normalize_literal(MarkerValue *v, Arena *arena)
{
	char *n = arena_alloc(arena, v->len + 1);

	v->len = name_normalize_into(v->str, v->len, n);
	n[v->len] = '\0';
	v->str = n;
}

static int
parse_item(Parser *p, Marker **out)
{
	Marker *m = arena_zalloc(p->arena, sizeof(*m));
	MarkerValue *l = &m->u.cmp.lhs, *r = &m->u.cmp.rhs;

	m->kind = MARKER_COMPARE;
	skip_ws(p);
	if (parse_value(p, l) != 0)
		return -1;
	skip_ws(p);
	if (parse_op(p, &m->u.cmp.op) != 0)
		return -1;
	skip_ws(p);
	if (parse_value(p, r) != 0)
		return -1;
	skip_ws(p);
	if (l->is_var && l->var == MARKER_EXTRA && !r->is_var)
		normalize_literal(r, p->arena);
	else if (r->is_var && !l->is_var &&
		 (r->var == MARKER_EXTRA || r->var == MARKER_EXTRAS ||
		  r->var == MARKER_DEPENDENCY_GROUPS))
		normalize_literal(l, p->arena);
	*out = m;
	return 0;
}

static int parse_or(Parser *p, Marker **out);

static int
parse_atom(Parser *p, Marker **out)
{
	size_t open;

	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '(') {
		open = p->pos++;
		if (++p->depth > MAX_DEPTH)
			return fail_at(p, open, "Marker nests parentheses too deeply (over 100 levels)");
		skip_ws(p);
		if (parse_or(p, out) != 0)
			return -1;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ')')
			return fail_at(p, open, "Expected matching RIGHT_PARENTHESIS for "
						"LEFT_PARENTHESIS, after marker expression");
		p->pos++;
		p->depth--;
	} else if (parse_item(p, out) != 0) {
		return -1;
	}
	skip_ws(p);
	return 0;
}

static int
parse_and(Parser *p, Marker **out)
{
	List l = { 0 };
	Marker *m;

	for (;;) {
		if (parse_atom(p, &m) != 0) {
			free(l.items);
			return -1;
		}
		list_add(&l, m, MARKER_AND);
		if (!at_word(p, "and"))
			break;
		p->pos += 3;
	}
	*out = list_finish(&l, MARKER_AND, p->arena);
	return 0;
}

static int
parse_or(Parser *p, Marker **out)
{
	List l = { 0 };
	Marker *m;

	for (;;) {
		if (parse_and(p, &m) != 0) {
			free(l.items);
			return -1;
		}
		list_add(&l, m, MARKER_OR);
		if (!at_word(p, "or"))
			break;
		p->pos += 2;
	}
	*out = list_finish(&l, MARKER_OR, p->arena);
	return 0;
}

int
marker_parse_at(const char *src, size_t len, size_t start, Arena *arena, Marker **out,
		size_t *end, Err *err)
{
	Parser p = { src, len, start, arena, err, 0 };

	*out = NULL;
	if (parse_or(&p, out) != 0) {
		*out = NULL;
		return -1;
	}
	*end = p.pos;
	return 0;
}

int
marker_parse_prefix(const char *s, size_t len, Arena *arena, Marker **out, size_t *used,
		    Err *err)
{
	Parser p = { s, len, 0, arena, err, 0 };

	*out = NULL;
	skip_ws(&p);
	if (parse_or(&p, out) != 0) {
		*out = NULL;
		return -1;
	}
	skip_ws(&p);
	*used = p.pos;
	return 0;
}

int
marker_parse(const char *s, size_t len, Arena *arena, Marker **out, Err *err)
{
	size_t used;

	if (marker_parse_prefix(s, len, arena, out, &used, err) != 0)
		return -1;
	if (used != len) {
		*out = NULL;
		return marker_syntax_error(err, s, len, used, used,
					   "Expected end of marker expression");
	}
	return 0;
}

/* ---------------------------------------------------------------- printing */

static void
put_literal(Buf *b, const char *v, size_t n)
{
	bool dq = memchr(v, '"', n) != NULL, sq = memchr(v, '\'', n) != NULL;
	char q = dq && !sq ? '\'' : '"';
	size_t i;

	buf_putc(b, q);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\\')
			buf_puts(b, "\\\\");
		else if (c == (unsigned char)q)
			buf_puts(b, "\\x22"); /* only when both quotes occur */
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\r')
			buf_puts(b, "\\r");
		else if (c < 0x20 || c == 0x7F)
			buf_printf(b, "\\x%02x", c);
		else if (c == 0xC2 && i + 1 < n && (unsigned char)v[i + 1] < 0xA0)
			buf_printf(b, "\\x%02x", (unsigned char)v[++i]); /* C1 control */
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, q);
}

static void
put_value(Buf *b, const MarkerValue *v)
{
	if (v->is_var)
		buf_puts(b, marker_var_name(v->var));
	else
		put_literal(b, v->str, v->len);
}

static void
put_marker(Buf *b, const Marker *m, bool in_and)
{
	size_t i;

	switch (m->kind) {
	case MARKER_COMPARE:
		put_value(b, &m->u.cmp.lhs);
		buf_printf(b, " %s ", marker_op_str(m->u.cmp.op));
		put_value(b, &m->u.cmp.rhs);
		break;
	case MARKER_AND:
	case MARKER_OR:
		if (m->kind == MARKER_OR && in_and)
			buf_putc(b, '(');
		for (i = 0; i < m->u.group.len; i++) {
			if (i)
				buf_puts(b, m->kind == MARKER_AND ? " and " : " or ");
			put_marker(b, m->u.group.items[i], m->kind == MARKER_AND);
		}
		if (m->kind == MARKER_OR && in_and)
			buf_putc(b, ')');
		break;
	}
}

char *
marker_format(const Marker *m, Arena *arena)
{
	Buf b = { 0 };
	char *s;

	put_marker(&b, m, false);
	s = arena_strndup(arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

bool
marker_equal(const Marker *a, const Marker *b)
{
	Buf x = { 0 }, y = { 0 };
	bool same;

	if (!a || !b)
		return a == b;
	put_marker(&x, a, false);
	put_marker(&y, b, false);
	same = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	buf_free(&x);
	buf_free(&y);
	return same;
}

Marker *
marker_combine(MarkerKind kind, Marker *a, Marker *b, Arena *arena)
{
	List l = { 0 };

	if (!a)
		return b;
	if (!b)
		return a;
	list_add(&l, a, kind);
	list_add(&l, b, kind);
	return list_finish(&l, kind, arena);
}

/* ---------------------------------------------------------------- evaluation */

static bool
is_set_var(MarkerVar v)
{
	return v == MARKER_EXTRAS || v == MARKER_DEPENDENCY_GROUPS;
}

static bool
is_version_var(MarkerVar v)
{
	return v == MARKER_PYTHON_VERSION || v == MARKER_PYTHON_FULL_VERSION ||
	       v == MARKER_IMPLEMENTATION_VERSION || v == MARKER_PLATFORM_RELEASE;
}

typedef struct Str {
	const char *s;
	size_t n;
} Str;

static Str
env_value(const MarkerEnv *env, MarkerVar v, Arena *tmp)
{
	const char *s;
	Str r;

	if (v == MARKER_EXTRA) {
		s = env->extra ? env->extra : "";
	} else {
		s = env->values[v];
		if (!s)
			s = v == MARKER_PYTHON_VERSION || v == MARKER_PYTHON_FULL_VERSION ||
					v == MARKER_IMPLEMENTATION_VERSION
				? "0"
				: "";
	}
	r.s = s;
	r.n = strlen(s);
	/* An untagged CPython build reports "3.14.0+", which is not a version;
	 * packaging reads it as "3.14.0+local", and so do we. */
	if (v == MARKER_PYTHON_FULL_VERSION && r.n && s[r.n - 1] == '+') {
		r.s = arena_printf(tmp, "%slocal", s);
		r.n += 5;
	}
	return r;
}

static Str
operand(const MarkerValue *v, const MarkerEnv *env, Arena *tmp)
{
	Str r;

	if (v->is_var)
		return env_value(env, v->var, tmp);
	r.s = v->str;
	r.n = v->len;
	return r;
}

static bool
contains(Str hay, Str needle)
{
	size_t i;

	if (needle.n == 0)
		return true;
	for (i = 0; i + needle.n <= hay.n; i++)
		if (memcmp(hay.s + i, needle.s, needle.n) == 0)
			return true;
	return false;
}

static bool
str_eq(Str a, Str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.s, b.s, a.n) == 0);
}

/* "cannot evaluate marker "TEXT": what", the marker's text quoted (it holds outside text). */
static int
cannot_evaluate(const Marker *m, Arena *tmp, Err *err, const char *fmt, ...) ERR_PRINTF(4, 5);

static int
cannot_evaluate(const Marker *m, Arena *tmp, Err *err, const char *fmt, ...)
{
	const char *text = marker_format(m, tmp);
	char why[512];
	Buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	buf_puts(&b, "cannot evaluate marker ");
	buf_put_quoted(&b, text, strlen(text), QUOTED_MAX);
	buf_printf(&b, ": %s", why);
	err_set(err, "%s", b.data);
	buf_free(&b);
	return -1;
}

static int
eval_compare(const Marker *m, const MarkerEnv *env, Arena *tmp, bool *res, Err *err)
{
	const MarkerValue *l = &m->u.cmp.lhs, *r = &m->u.cmp.rhs;
	MarkerOp op = m->u.cmp.op;
	Str a, b;
	MarkerVar key;
	bool has_key;

	if (l->is_var && is_set_var(l->var))
		return cannot_evaluate(m, tmp, err, "a set-valued variable can only be tested with "
					   "'in' or 'not in' on the right");
	if (r->is_var && is_set_var(r->var)) {
		const char *const *set = r->var == MARKER_EXTRAS ? env->extras : env->dependency_groups;
		size_t n = r->var == MARKER_EXTRAS ? env->extras_len : env->dependency_groups_len, i;
		bool found = false;

		if (!set)
			return cannot_evaluate(m, tmp, err, "'%s' is not defined here (only "
						   "pylock.toml markers have it)",
					       marker_var_name(r->var));
		if (op != MARKER_OP_IN && op != MARKER_OP_NOT_IN)
			return cannot_evaluate(m, tmp, err, "a set-valued variable can only be tested "
						   "with 'in' or 'not in'");
		a = operand(l, env, tmp);
		for (i = 0; i < n && !found; i++)
			found = name_equal(a.s, a.n, set[i], strlen(set[i]));
		*res = op == MARKER_OP_IN ? found : !found;
		return 0;
	}

	has_key = l->is_var || r->is_var;
	key = l->is_var ? l->var : r->var;
	a = operand(l, env, tmp);
	b = operand(r, env, tmp);
	if (has_key && key == MARKER_EXTRA) {
		/* Literals beside "extra" are normalized at parse time; the variable's value
		 * (and the other variable's, when comparing two) is normalized here. */
		char *x = arena_alloc(tmp, a.n + 1), *y = arena_alloc(tmp, b.n + 1);

		a.n = name_normalize_into(a.s, a.n, x);
		a.s = x;
		b.n = name_normalize_into(b.s, b.n, y);
		b.s = y;
	}
	if (has_key && is_version_var(key) && op != MARKER_OP_IN && op != MARKER_OP_NOT_IN) {
		const char *text = arena_printf(tmp, "%s%.*s", marker_op_str(op), (int)b.n, b.s);
		Specifier sp;
		Version v;
		Err ignored;

		/* A literal with a NUL byte cannot be a specifier; %.*s would cut it. */
		if (!memchr(b.s, '\0', b.n) &&
		    specifier_parse(text, strlen(text), tmp, &sp, &ignored) == 0) {
			bool valid = version_parse(a.s, a.n, tmp, &v, &ignored) == 0;

			*res = specifier_matches(&sp, valid ? &v : NULL, a.s, a.n);
			return 0;
		}
	}
	switch (op) {
	case MARKER_OP_EQ:
	case MARKER_OP_LE:
	case MARKER_OP_GE:
		*res = str_eq(a, b);
		return 0;
	case MARKER_OP_NE:
		*res = !str_eq(a, b);
		return 0;
	case MARKER_OP_LT:
	case MARKER_OP_GT:
		*res = false;
		return 0;
	case MARKER_OP_IN:
		*res = contains(b, a);
		return 0;
	case MARKER_OP_NOT_IN:
		*res = !contains(b, a);
		return 0;
	case MARKER_OP_COMPATIBLE:
	case MARKER_OP_ARBITRARY:
		break;
	}
	return cannot_evaluate(m, tmp, err, "'%s' only compares versions (python_version, "
			       "python_full_version, implementation_version or platform_release "
			       "against a valid version)",
			       marker_op_str(op));
}

static int
eval(const Marker *m, const MarkerEnv *env, Arena *tmp, bool *res, Err *err)
{
	size_t i;
	bool acc, one;

	if (m->kind == MARKER_COMPARE)
		return eval_compare(m, env, tmp, res, err);
	acc = m->kind == MARKER_AND;
	for (i = 0; i < m->u.group.len; i++) {
		if (eval(m->u.group.items[i], env, tmp, &one, err) != 0)
			return -1;
		acc = m->kind == MARKER_AND ? acc && one : acc || one;
	}
	*res = acc;
	return 0;
}

int
marker_evaluate(const Marker *m, const MarkerEnv *env, bool *result, Err *err)
{
	static const MarkerEnv empty;
	Arena tmp = { 0 };
	int rc;

	rc = eval(m, env ? env : &empty, &tmp, result, err);
	arena_free(&tmp);
	return rc;
}

int
marker_evaluate_extras(const Marker *m, const MarkerEnv *env, const char *const *extras,
		       size_t n, bool *result, Err *err)
{
	static const MarkerEnv empty;
	MarkerEnv one = env ? *env : empty;
	size_t i;

	one.extra = "";
	if (marker_evaluate(m, &one, result, err) != 0)
		return -1;
	for (i = 0; i < n && !*result; i++) {
		one.extra = extras[i];
		if (marker_evaluate(m, &one, result, err) != 0)
			return -1;
	}
	return 0;
}
