/*
 * metadata.h - core metadata: the METADATA of a wheel, the PKG-INFO of an sdist, and
 * the ".metadata" files an index serves beside distributions (PEP 658).
 *
 * Such a file is RFC 822 style headers, then optionally a blank line and a body that is
 * the description. metadata_parse reads the bytes the way Python's email parser does
 * with its compat32 policy (what packaging and pip use, and what the tools writing
 * these files expect), checks the required fields, and interprets the fields a
 * resolver needs: Name, Version, Requires-Dist, Requires-Python, Provides-Extra. Every
 * field, known or not, stays available by name, in file order.
 *
 * Metadata-Version 1.0 to 2.6 are read as such (2.0, never standardised but written by
 * old bdist_wheel, too; 2.5 is PEP 794's Import-Name and Import-Namespace, 2.6 is
 * PEP 808's, and their new fields are kept as raw fields); a later 2.x is read as 2.6
 * with newer_minor set, so that the caller can warn; a later major version is an error.
 */
#ifndef BUNPY_METADATA_H
#define BUNPY_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "requirement.h"
#include "specifier.h"
#include "version.h"

typedef struct MetadataField {
	const char *name;   /* as written (field names compare case-insensitively) */
	const char *value;  /* NUL-terminated UTF-8; a folded value keeps its line breaks
			     * and the indentation of its continuation lines */
	size_t value_len;
	unsigned line;      /* 1-based line where the field starts */
} MetadataField;

typedef struct Metadata {
	const char *metadata_version;    /* as written, e.g. "2.1" */
	unsigned version_major, version_minor;
	bool newer_minor;                /* a 2.x after 2.6: understood as 2.6 */

	const char *name;                /* as written; a valid name */
	const char *normalized_name;     /* PEP 503 */
	Version version;
	const char *summary;             /* NULL when absent */
	/* The body, or the Description field with the indentation of its continuation
	 * lines removed; line breaks are "\n". NULL when there is neither. */
	const char *description;
	size_t description_len;

	const char *requires_python_text; /* NULL when absent */
	SpecifierSet requires_python;     /* empty when absent */
	const Requirement *requires_dist; /* in file order */
	size_t requires_dist_len;
	const char *const *provides_extra; /* normalized, duplicates dropped, in order */
	size_t provides_extra_len;
	size_t provides_extra_ignored;   /* invalid names skipped (Metadata-Version < 2.3) */

	const MetadataField *fields;     /* every header, in file order */
	size_t fields_len;
} Metadata;

/*
 * Parse data[0..len). Errors name the field and its line: a missing or repeated
 * required field, a single-use field given twice, a value (or the body) that is not
 * UTF-8, an invalid Name, Version, Requires-Python or Requires-Dist, an invalid
 * Provides-Extra from 2.3 on, an unknown Metadata-Version. Values in messages are
 * quoted and escaped (buf_put_quoted), never copied raw. Pure: no I/O, everything
 * allocated from arena.
 */
int metadata_parse(const char *data, size_t len, Arena *arena, Metadata *out, Err *err);

/*
 * Only the header block, split as metadata_parse splits it, without checking any field:
 * for other files in this format (a wheel's WHEEL). Every field in file order, from
 * arena; the body is ignored. Fails only on a value that is not UTF-8 ("line N: ...").
 */
int metadata_parse_headers(const char *data, size_t len, Arena *arena,
			   const MetadataField **fields, size_t *n, Err *err);

/* The first field called name (any case), or NULL. */
const MetadataField *metadata_field(const Metadata *m, const char *name);
/* Its value, or NULL. */
const char *metadata_get(const Metadata *m, const char *name);
/* Every value of a field called name, in order, as an array from arena; *n its length. */
const char **metadata_get_all(const Metadata *m, const char *name, Arena *arena, size_t *n);

#endif
