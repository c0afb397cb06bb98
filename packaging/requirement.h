/*
 * requirement.h - PEP 508 dependency specifiers: "name[extra,...] (>=1,<2) ; marker"
 * and "name[extra] @ url ; marker".
 */
#ifndef BUNPY_REQUIREMENT_H
#define BUNPY_REQUIREMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "marker.h"
#include "specifier.h"

typedef struct Requirement {
	const char *name;          /* as written */
	const char *normalized;    /* PEP 503 form */
	const char *const *extras; /* as written, in order; compare normalized */
	size_t extras_len;
	const char *url;           /* NULL unless "name @ url" */
	SpecifierSet spec;         /* empty when none (always for a URL requirement) */
	Marker *marker;            /* NULL when none */
} Requirement;

/*
 * Parse one requirement. Errors read like packaging's: what was expected, the input, and
 * a caret under the column ("Expected end or semicolon (after version specifier)").
 */
int requirement_parse(const char *s, size_t len, Arena *arena, Requirement *out, Err *err);

/* Canonical text: name as written, extras sorted, specifiers canonical, marker canonical. */
char *requirement_format(const Requirement *r, Arena *arena);

/*
 * Equality as packaging defines it: names and extras (as sets) compared normalized,
 * specifier sets equal, same URL, same canonical marker.
 */
bool requirement_equal(const Requirement *a, const Requirement *b);

#endif
