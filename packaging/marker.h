/*
 * marker.h - PEP 508 environment markers: parse into a tree, evaluate, print.
 *
 * The tree is kept (not just a compiled predicate) because universal locking will need
 * to reason about markers: simplify them, intersect them, write them into pylock.toml.
 * Evaluation follows packaging >= 26: version comparisons where the field is a version
 * and both sides parse, Python string comparisons otherwise ("<" and ">" false, "<="
 * and ">=" equality), "in" as substring, "extra" compared as normalized names, and the
 * set-valued "extras" / "dependency_groups" of pylock.toml markers.
 */
#ifndef BUNPY_MARKER_H
#define BUNPY_MARKER_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"

typedef enum MarkerVar {
	MARKER_OS_NAME,
	MARKER_SYS_PLATFORM,
	MARKER_PLATFORM_MACHINE,
	MARKER_PLATFORM_PYTHON_IMPLEMENTATION,
	MARKER_PLATFORM_RELEASE,
	MARKER_PLATFORM_SYSTEM,
	MARKER_PLATFORM_VERSION,
	MARKER_PYTHON_VERSION,
	MARKER_PYTHON_FULL_VERSION,
	MARKER_IMPLEMENTATION_NAME,
	MARKER_IMPLEMENTATION_VERSION,
	MARKER_EXTRA,
	MARKER_EXTRAS,              /* a set (pylock.toml) */
	MARKER_DEPENDENCY_GROUPS,   /* a set (pylock.toml) */
	MARKER_VAR_COUNT,
} MarkerVar;

typedef enum MarkerOp {
	MARKER_OP_EQ, MARKER_OP_NE, MARKER_OP_LT, MARKER_OP_LE, MARKER_OP_GT, MARKER_OP_GE,
	MARKER_OP_COMPATIBLE, MARKER_OP_ARBITRARY, MARKER_OP_IN, MARKER_OP_NOT_IN,
} MarkerOp;

typedef enum MarkerKind { MARKER_AND, MARKER_OR, MARKER_COMPARE } MarkerKind;

/* One side of a comparison: a variable, or a quoted string (its text without quotes). */
typedef struct MarkerValue {
	bool is_var;
	MarkerVar var;
	const char *str;
	size_t len;
} MarkerValue;

typedef struct Marker Marker;
struct Marker {
	MarkerKind kind;
	union {
		struct { Marker **items; size_t len; } group;     /* AND / OR, len >= 2 */
		struct { MarkerValue lhs, rhs; MarkerOp op; } cmp;
	} u;
};

/*
 * The values markers are evaluated against. Unset strings count as "" ("0" for version
 * fields). extra is the one extra being evaluated ("" for the base requirements);
 * extras and dependency_groups are sets of names (compared normalized). A NULL set is
 * not defined at all, as outside pylock.toml (packaging's "metadata" and "requirement"
 * contexts): a marker that uses it fails to evaluate. A non-NULL set of length 0 is the
 * empty set (packaging's "lock_file" context).
 */
typedef struct MarkerEnv {
	const char *values[MARKER_EXTRA];
	const char *extra;
	const char *const *extras;
	size_t extras_len;
	const char *const *dependency_groups;
	size_t dependency_groups_len;
} MarkerEnv;

const char *marker_var_name(MarkerVar var);
/* Canonical variable for a name, legacy spellings ("os.name", "python_implementation") too. */
bool marker_var_lookup(const char *name, size_t len, MarkerVar *out);

/* Parse a whole marker expression. Errors say what was expected and at which column. */
int marker_parse(const char *s, size_t len, Arena *arena, Marker **out, Err *err);
/*
 * Parse a marker at the start of s, stopping before what cannot continue it (used by
 * requirement parsing); *used is set to the bytes consumed (trailing white space too).
 */
int marker_parse_prefix(const char *s, size_t len, Arena *arena, Marker **out,
			size_t *used, Err *err);

/* Evaluate; -1 with err for comparisons packaging refuses (e.g. "~=" on a string). */
int marker_evaluate(const Marker *m, const MarkerEnv *env, bool *result, Err *err);

/*
 * A dependency's marker in a package's metadata, when that package is installed with
 * the given extras: "extra == 'x'" means "x is one of them". True when the marker holds
 * with env->extra set to "" (the base requirements) or to any one of the extras. env's
 * own extra is ignored.
 */
int marker_evaluate_extras(const Marker *m, const MarkerEnv *env, const char *const *extras,
			   size_t n, bool *result, Err *err);

/* Canonical text: variables by their names, literals in double quotes (single when the
 * literal holds a double quote), "and" groups inside "or" parenthesised as needed. */
char *marker_format(const Marker *m, Arena *arena);

/* The operator as written in markers ("==", "not in"). */
const char *marker_op_str(MarkerOp op);

/* Same canonical text (packaging compares markers by their str()). */
bool marker_equal(const Marker *a, const Marker *b);

/*
 * a and b (kind MARKER_AND) or a or b (MARKER_OR), sharing a's and b's nodes; groups of
 * the same kind are merged, so the result prints like packaging's Marker & / |. Either
 * side may be NULL (no marker): the other is returned.
 */
Marker *marker_combine(MarkerKind kind, Marker *a, Marker *b, Arena *arena);

/*
 * For parsers of larger grammars (requirements): parse the marker that starts at
 * src[start], stopping before what cannot continue it; *end is where it stopped
 * (trailing white space consumed). Errors quote all of src, with columns counted from
 * its start, the way packaging reports errors in a requirement.
 */
int marker_parse_at(const char *src, size_t len, size_t start, Arena *arena, Marker **out,
		    size_t *end, Err *err);

/*
 * Fill err with packaging's layout of a syntax error: the message, then src indented by
 * four spaces, then a line with '~' under src[start..end) and '^' at end. Returns -1.
 * fmt and its arguments are our own words; src is outside text and is shown the way
 * marker_put_shown shows it, so it can put no control character into the message, and
 * the columns are those of the shown text (characters, escapes counted in full). A
 * source longer than a line is shown as a window around end, with "..." for the parts
 * left out; the whole message stays well within an Err.
 */
int marker_syntax_error(Err *err, const char *src, size_t len, size_t start, size_t end,
			const char *fmt, ...) ERR_PRINTF(6, 7);

/*
 * Append s[0..len) to b as error messages show source text: as written, except that
 * what buf_put_quoted escapes (control characters, C1 controls, bytes that are not
 * UTF-8) is escaped the same way; quotes and backslashes stay as written, as in
 * packaging's messages (the text is not quoted). At most max bytes of s, cut on a
 * character boundary and followed by "..." when longer. Returns the width in columns.
 */
size_t marker_put_shown(Buf *b, const char *s, size_t len, size_t max);

/*
 * Shared with requirement.c on purpose: PEP 508 is one grammar for requirements and the
 * markers inside them, and packaging tokenizes both with one set of Python regular
 * expressions, so a variable or keyword ("and", "in") stands between \b word
 * boundaries, a name ends at one, and white space is \s. The requirement parser must
 * stop exactly where the marker parser (and packaging) would, so both use these classes
 * rather than each keeping its own copy:
 * whether s[i] (or the character before s[i]) is a \w character, and the byte length
 * of the \s character at s[i] (0 when there is none). Non-ASCII characters count as
 * marker.c's header comment says.
 */
bool marker_word_at(const char *s, size_t len, size_t i);
bool marker_word_before(const char *s, size_t len, size_t i);
size_t marker_space_at(const char *s, size_t len, size_t i);

#endif
