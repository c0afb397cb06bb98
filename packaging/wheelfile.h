/*
 * wheelfile.h - a wheel's `.dist-info/WHEEL` file: which version of the format it
 * uses, and whether its root goes to purelib or platlib.
 *
 * The file has the core metadata's header format (metadata.c reads that format for
 * METADATA; this is the same syntax with other fields). A Wheel-Version whose major
 * number is not 1 is refused (a newer format may lay files out differently); a later
 * minor sets newer_minor so the installer can warn, as pip does.
 */
#ifndef BUNPY_WHEELFILE_H
#define BUNPY_WHEELFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"

typedef struct WheelFile {
	unsigned version_major, version_minor;
	bool newer_minor;
	bool root_is_purelib;        /* "Root-Is-Purelib: true" (case-insensitive) */
	const char *generator;       /* NULL when absent */
	const char *const *tags;     /* Tag: lines, as written */
	size_t tags_len;
	const char *build;           /* NULL when absent */
} WheelFile;

/* Errors name the file (what) and line: a missing or unparsable Wheel-Version, a
 * major version other than 1, a missing Root-Is-Purelib, one that is neither true nor
 * false (any case), either field given twice, a value that is not UTF-8. */
int wheelfile_parse(const char *data, size_t len, const char *what, Arena *arena,
		    WheelFile *out, Err *err);

#endif
