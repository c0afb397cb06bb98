/*
 * toml_doc.h - typed, located access to a parsed TOML document (packaging/toml.h) for
 * the readers of pyproject.toml and pylock.toml: messages FILE:LINE:COL: key: what is
 * wrong; expected ...
 *
 * A reader walks the tree with a TomlDoc and names each value by its dotted path, built
 * as it goes with toml_doc_key and toml_doc_index: "packages[3].wheels[0].hashes",
 * indexes counted from 0 as in Python, a key that is not a bare TOML key quoted
 * (tool."a b"). The getters check a value's type (a string also for NUL bytes: the
 * models hold C strings) and fail with the file, the value's line and column, its path
 * and what was expected:
 *   pylock.toml:7:10: packages[0].sdist.hashes: expected a table of hash algorithm
 *   names to hex digests, found a string
 * Text that comes from the document is quoted with buf_put_quoted (toml_doc_quote), so
 * control characters and invalid UTF-8 never reach a terminal and a long value is cut.
 *
 * Strings, paths and messages are allocated from the TomlDoc's arena; nothing needs
 * freeing apart from that arena.
 */
#ifndef BUNPY_TOML_DOC_H
#define BUNPY_TOML_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "toml.h"

typedef struct TomlDoc {
	const char *file;            /* labels messages */
	Arena *arena;
	Err *err;
	/* toml_doc_only_keys: false, an unknown key is an error; true, a warning */
	bool lenient;
	const char **warnings;       /* "FILE:LINE:COL: KEY: what", in the arena */
	size_t warnings_len, warnings_cap;
} TomlDoc;

/* Bytes of outside text that a message quotes before cutting it with "...". */
#define TOML_DOC_QUOTE_MAX 150

void toml_doc_init(TomlDoc *d, const char *file, Arena *arena, Err *err);

/*
 * Set err to "FILE:LINE:COL: KEY: message" at the position of at (1:1 when at is NULL
 * or has none) and return -1.
 */
int toml_doc_fail(const TomlDoc *d, const TomlValue *at, const char *key, const char *fmt,
		  ...) ERR_PRINTF(4, 5);
int toml_doc_fail_at(const TomlDoc *d, unsigned line, unsigned col, const char *key,
		     const char *fmt, ...) ERR_PRINTF(5, 6);
/* Add "FILE:LINE:COL: KEY: message" to the warnings. */
void toml_doc_warn(TomlDoc *d, const TomlValue *at, const char *key, const char *fmt, ...)
	ERR_PRINTF(4, 5);

/* n bytes of s as a double-quoted string for a message (buf_put_quoted, cut past
 * TOML_DOC_QUOTE_MAX bytes), in the arena. */
const char *toml_doc_quote(Arena *a, const char *s, size_t n);

/*
 * What another module's message says is wrong with value (n bytes), without the value
 * itself. Parsers of versions and specifiers name their input first ("\"1.0-x\" is not
 * a valid version (PEP 440): unexpected text after the version", phrase
 * VERSION_ERROR_PHRASE); a reader that has already quoted the value appends only the
 * reason (err_reason), prefixed with "in \"PART\": " when the message names only a part
 * of the value (one clause of a specifier set; white space the parsers strip around
 * the value does not count). The whole message when phrase does not occur.
 */
const char *toml_doc_reason(Arena *a, const char *msg, const char *phrase, const char *value,
			    size_t n);

/* "base.key", or "key" when base is ""; the key quoted when it is not a bare key. */
const char *toml_doc_key(Arena *a, const char *base, const char *k, size_t n);
/* "base[i]". */
const char *toml_doc_index(Arena *a, const char *base, size_t i);

/* 0 when v has type t; else -1 with "expected EXPECTED, found a string". */
int toml_doc_want(const TomlDoc *d, const TomlValue *v, const char *key, TomlType t,
		  const char *expected);
/* A string without NUL bytes. */
int toml_doc_str(const TomlDoc *d, const TomlValue *v, const char *key, const char *expected,
		 const char **out);
/* table.name when present (*out NULL when absent), or required to be present; key is
 * the table's path. */
int toml_doc_opt_str(const TomlDoc *d, const TomlValue *table, const char *key,
		     const char *name, const char *expected, const char **out);
int toml_doc_req_str(const TomlDoc *d, const TomlValue *table, const char *key,
		     const char *name, const char *expected, const char **out);
/* An array of strings (items[len] is NULL); expected describes the array. */
int toml_doc_str_array(const TomlDoc *d, const TomlValue *v, const char *key,
		       const char *expected, const char *const **items, size_t *len);
/*
 * Every key of table t must be among allowed (NULL-terminated): an unknown key is an
 * error naming the allowed ones, or, when d->lenient, a warning and the key is ignored.
 */
int toml_doc_only_keys(TomlDoc *d, const TomlValue *t, const char *key,
		       const char *const *allowed);

#endif
