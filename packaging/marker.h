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
 * extras and dependency_groups are sets of normalized names.
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

/* Canonical text: variables by their names, literals in double quotes (single when the
 * literal holds a double quote), "and" groups inside "or" parenthesised as needed. */
char *marker_format(const Marker *m, Arena *arena);

#endif
