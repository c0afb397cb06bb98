/*
 * toml_write.h - writing TOML 1.0 text: strings, keys, numbers, date-times, inline
 * tables and arrays; deterministic.
 *
 * The same value always gives the same bytes: table keys are written sorted (by their
 * bytes), a float is the shortest decimal that reads back as the same double, a
 * date-time is cut to the microsecond. What is written reads back, with packaging/toml.c
 * and with Python's tomllib, as the same data, so that a file bunpy writes means the same
 * to both. Python's datetime cannot hold a year outside 0001-9999 or a leap second
 * (TOML allows both): such values are refused rather than written.
 *
 * A function that can fail returns 0, or -1 with err set to what is wrong ("\"\xff\" is
 * not UTF-8"); what it had appended to the buffer by then is incomplete, and the caller
 * throws the text away. The date-time helpers are shared with the readers, which convert
 * offsets to UTC and check the same limits.
 */
#ifndef BUNPY_TOML_WRITE_H
#define BUNPY_TOML_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/buf.h"
#include "../engine/err.h"
#include "toml.h"

/* Whether k can be written bare: one or more of A-Z a-z 0-9 _ -. */
bool toml_write_bare_key(const char *k, size_t n);

/*
 * A string: literal ('...') when the text holds '"' or '\' and a literal string can hold
 * it (no "'", no control character), which keeps markers and Windows paths readable;
 * otherwise basic ("...") with TOML's escapes. -1 when s is not UTF-8.
 */
int toml_write_str(Buf *b, const char *s, size_t n, Err *err);
/* The same, but literal ('...') whenever a literal string can hold s when prefer is
 * '\'' (an edit matching its neighbours' quotes); prefer '"' is toml_write_str. */
int toml_write_str_prefer(Buf *b, const char *s, size_t n, char prefer, Err *err);
/* A key: bare when it can be, else a quoted string. */
int toml_write_key(Buf *b, const char *k, size_t n, Err *err);
void toml_write_integer(Buf *b, int64_t v);
/* The shortest decimal that reads back as x ("0.1", "1e+300", "5.0"); inf, -inf, nan. */
void toml_write_float(Buf *b, double x);
/*
 * A date-time of type t (TOML_DATETIME, _LOCAL, TOML_DATE_LOCAL, TOML_TIME_LOCAL), the
 * fraction cut to microseconds and its trailing zeros dropped, an offset of 0 as "Z".
 * -1 when a field is out of range or Python could not hold the value.
 */
int toml_write_datetime(Buf *b, const TomlDatetime *d, TomlType t, Err *err);
/* Any value, inline: tables as { k = v, ... } with their keys sorted, arrays in order. */
int toml_write_value(Buf *b, const TomlValue *v, Err *err);
/*
 * Table t under the header "[path]" (path is TOML text, e.g. "tool" or
 * "packages.tool"): its keys sorted, the plain values first, then each sub-table under
 * its own header. The header is always written, so that an empty table survives.
 */
int toml_write_table(Buf *b, const char *path, const TomlValue *t, Err *err);

/* A table's entries sorted by key bytes, in a malloc'd array the caller frees. */
const TomlEntry **toml_write_sorted_entries(const TomlValue *t);

/* ------------------------------------------------------------------ date-times */

/* Every field a value of type t uses is in range (the day within its month, the offset
 * within a day, a second of 60 allowed as RFC 3339 does). */
bool toml_write_datetime_valid(const TomlDatetime *d, TomlType t);
/* Python's datetime can hold it: years 0001-9999, no leap second. */
bool toml_write_datetime_python_ok(const TomlDatetime *d, TomlType t);
/* The same instant with offset 0 (proleptic Gregorian calendar); false when it would
 * fall outside the years 0000-9999. */
bool toml_write_datetime_to_utc(const TomlDatetime *in, TomlDatetime *out);

#endif
