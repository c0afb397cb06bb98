/*
 * toml.h - a TOML 1.0.0 parser.
 *
 * No TOML library for C ships in Debian, so bunpy has its own. It implements the whole
 * 1.0.0 specification and passes every valid and invalid case of toml-test's 1.0.0
 * suite. The document is parsed into a tree allocated from a caller's arena; every value
 * remembers the line and column where it was defined, so that callers (pyproject.toml,
 * pylock.toml) can point at the offending key in their own error messages, and its byte
 * offset, so that an editor (pyproject_edit.c) can change the text in place.
 *
 * Errors read "FILE:LINE:COL: what is wrong", lines and columns counted from 1, the
 * column in bytes.
 */
#ifndef BUNPY_TOML_H
#define BUNPY_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/err.h"

/*
 * Tables and arrays nest at most this many levels below the root table (a dotted key
 * or header of more parts than this is rejected too), so that a tree can be walked
 * recursively without fear for the stack.
 */
#define TOML_MAX_DEPTH 256

typedef enum TomlType {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,        /* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL,  /* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,      /* 1979-05-27 */
	TOML_TIME_LOCAL,      /* 07:32:00 */
} TomlType;

typedef struct TomlValue TomlValue;

typedef struct TomlDatetime {
	int year, month, day;         /* unset parts are 0 (a time has no date) */
	int hour, minute, second;
	int nanosecond;               /* fraction of a second; digits past 9 are truncated */
	int offset_minutes;           /* TOML_DATETIME only; Z is 0 */
} TomlDatetime;

typedef struct TomlEntry {
	const char *key;              /* NUL-terminated; key_len counts its bytes (a quoted */
	size_t key_len;               /* key may hold an escaped NUL) */
	TomlValue *value;
} TomlEntry;

struct TomlValue {
	TomlType type;
	unsigned line, col;           /* where the value (for tables: the header or first key) was defined */
	size_t offset;                /* the same place as a byte offset in the parsed data (a BOM counts) */
	union {
		struct { const char *ptr; size_t len; } str;  /* UTF-8, NUL-terminated, may hold NUL bytes */
		int64_t integer;
		double flt;
		bool boolean;
		TomlDatetime dt;
		struct { TomlValue **items; size_t len; } arr;
		struct { TomlEntry *entries; size_t len; void *index; } table; /* entries in document order */
	} u;
};

/*
 * Parse len bytes of data. filename only labels error messages. On success *root is a
 * TOML_TABLE allocated from arena and 0 is returned; on failure -1 with err set, and
 * whatever was allocated stays in the arena (free the arena).
 * Parsing is linear in the input: tables with many keys are indexed, so 100,000 tables
 * under one parent parse in well under a second.
 */
int toml_parse(const char *data, size_t len, const char *filename, Arena *arena,
	       TomlValue **root, Err *err);

/* Lookup in a table by key (exact bytes); NULL when absent or when t is not a table. */
const TomlValue *toml_get(const TomlValue *t, const char *key);
const TomlValue *toml_getn(const TomlValue *t, const char *key, size_t key_len);
/* Walk a dotted path of plain keys, e.g. "tool.bunpy.tasks"; NULL when any part is absent. */
const TomlValue *toml_get_path(const TomlValue *t, const char *dotted);

const char *toml_type_name(TomlType type);  /* "table", "array", "string", "integer", ... */
const char *toml_type_desc(TomlType type);  /* "a table", "an array", "a string", ... */

#endif
