/*
 * glob.h - path patterns for task inputs and outputs.
 *
 * Syntax: '*' and '?' and '[...]' match within one path segment, '**' as a whole segment
 * matches any number of directories (zero included). As in Python's glob module, a name
 * starting with '.' is matched only by a pattern segment that starts with '.', which
 * also keeps walks out of .git, .venv and .bunpy.
 */
#ifndef BUNPY_GLOB_H
#define BUNPY_GLOB_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"

bool glob_has_magic(const char *pattern);
/* Does the relative path match the whole pattern? */
bool glob_match(const char *pattern, const char *path);
/* The regular files under root that match pattern (relative to root), as relative
 * paths, sorted bytewise, each followed by '\n' in out. */
int glob_expand(const char *root, const char *pattern, Buf *out, Err *err);

#endif
