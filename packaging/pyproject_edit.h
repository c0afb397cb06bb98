/*
 * pyproject_edit.h - changing the dependency arrays of a pyproject.toml text while
 * keeping every other byte: comments, order, quoting, spacing, line endings.
 *
 * `bunpy add` and `bunpy remove` edit one array: [project] dependencies, one extra of
 * [project.optional-dependencies], or one group of [dependency-groups]. Only the bytes
 * of that array change (and, when the array or its table is missing, the bytes added to
 * create it). A new entry follows the array's own style: one entry per line with the
 * indentation and trailing comma of its neighbours, or inline with their separator; the
 * quote character its entries use. It goes where a sorted array keeps it sorted
 * (compared as normalized names), else at the end. An entry whose requirement names the
 * same project (PEP 503 normalized) is replaced where it stands.
 *
 * The text is parsed (packaging/toml.h) to find the array; a document that is not valid
 * TOML, or whose key is not an array of strings, is refused with "FILE:LINE:COL: KEY:
 * what is wrong". The result always parses again.
 */
#ifndef BUNPY_PYPROJECT_EDIT_H
#define BUNPY_PYPROJECT_EDIT_H

#include <stddef.h>

#include "../engine/buf.h"
#include "../engine/err.h"

typedef enum PyprojectArray {
	PYPROJECT_ARRAY_DEPENDENCIES,   /* project.dependencies */
	PYPROJECT_ARRAY_OPTIONAL,       /* project.optional-dependencies.NAME */
	PYPROJECT_ARRAY_GROUP,          /* dependency-groups.NAME */
} PyprojectArray;

/*
 * Add requirement (a PEP 508 string, written as given) to the array `which` (name: the
 * extra or group, as the user wrote it; matched against the file's keys normalized).
 * The whole new text is appended to out. Returns 0, or -1 with err set.
 */
int pyproject_edit_add(const char *text, size_t len, const char *filename,
		       PyprojectArray which, const char *name, const char *requirement,
		       Buf *out, Err *err);

/*
 * Remove every entry of the array `which` whose requirement names the project
 * `normalized` (PEP 503 form). *removed counts them (0: out is the text unchanged).
 * Returns 0, or -1 with err set.
 */
int pyproject_edit_remove(const char *text, size_t len, const char *filename,
			  PyprojectArray which, const char *name, const char *normalized,
			  Buf *out, size_t *removed, Err *err);

/*
 * Where the array `which` is: the offsets of its '[' and ']' in text. Returns 1 when it
 * exists, 0 when it does not, -1 with err set when the text is refused (as above).
 * For tests: every edit of an existing array changes only bytes between the two.
 */
int pyproject_edit_locate(const char *text, size_t len, const char *filename,
			  PyprojectArray which, const char *name, size_t *open, size_t *close,
			  Err *err);

#endif
