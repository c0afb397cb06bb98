/*
 * name.h - project, extra and dependency-group names (PEP 503, PEP 685, PEP 735).
 *
 * A valid name is ASCII letters, digits, '.', '-' and '_', starting and ending with a
 * letter or digit. Names compare in normalized form: lower case, each run of '-', '_'
 * and '.' replaced by one '-' ("FrIeNdLy-._.-bArD" is "friendly-bard").
 */
#ifndef BUNPY_NAME_H
#define BUNPY_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"

bool name_is_valid(const char *s, size_t len);
/* True when s is already in normalized form (and valid). */
bool name_is_normalized(const char *s, size_t len);
/*
 * Write the normalized form of s into out (room for len + 1 bytes; the result is never
 * longer) and return its length. Invalid names are transformed all the same.
 */
size_t name_normalize_into(const char *s, size_t len, char *out);
char *name_normalize(const char *s, size_t len, Arena *arena);
/* Whether two names are equal once normalized; allocates nothing. */
bool name_equal(const char *a, size_t alen, const char *b, size_t blen);
/* Whether one of the n names of list equals name (NUL-terminated, normalized or not). */
bool name_in(const char *name, const char *const *list, size_t n);

#endif
