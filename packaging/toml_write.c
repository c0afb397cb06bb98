/*
 * toml_write.c - writing TOML 1.0 text (see toml_write.h).
 */
#include "config.h"

#include "toml_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/utf8.h"
#include "ascii.h"

/* ------------------------------------------------------------------ scalars */

bool
toml_write_bare_key(const char *k, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!ascii_is_alnum((unsigned char)k[i]) && k[i] != '_' && k[i] != '-')
			return false;
	return true;
}

static bool
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7F;
}

int
toml_write_str(Buf *b, const char *s, size_t n, Err *err)
{
	return toml_write_str_prefer(b, s, n, '"', err);
}

int
toml_write_str_prefer(Buf *b, const char *s, size_t n, char prefer, Err *err)
{
	bool quote = false, literal_ok = true;
	size_t i;

	if (utf8_valid_prefix(s, n) != n) {
		Buf q = { 0 };

		buf_put_quoted(&q, s, n, 150);
		err_set(err, "%s is not UTF-8", q.data);
		buf_free(&q);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			quote = true;
		if (c == '\'' || is_control(c))
			literal_ok = false;
	}
	if (literal_ok && (quote || prefer == '\'')) {
		buf_putc(b, '\'');
		buf_append(b, s, n);
		buf_putc(b, '\'');
		return 0;
	}
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\f': buf_puts(b, "\\f"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default:
			if (is_control(c))
				buf_printf(b, "\\u%04X", c);
			else
				buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
	return 0;
}

int
toml_write_key(Buf *b, const char *k, size_t n, Err *err)
{
	if (!toml_write_bare_key(k, n))
		return toml_write_str(b, k, n, err);
	buf_append(b, k, n);
	return 0;
}

void
toml_write_integer(Buf *b, int64_t v)
{
	buf_printf(b, "%" PRId64, v);
}

void
toml_write_float(Buf *b, double x)
{
	char num[40];
	int prec, exp;

	if (isnan(x)) {
		/* tomllib and toml.c read any nan alike; the sign of a nan is not kept */
		buf_puts(b, "nan");
		return;
	}
	if (isinf(x)) {
		buf_puts(b, x < 0 ? "-inf" : "inf");
		return;
	}
	/* the fewest significant digits that read back exactly */
	for (prec = 1; prec < 17; prec++) {
		snprintf(num, sizeof(num), "%.*e", prec - 1, x);
		if (strtod(num, NULL) == x)
			break;
	}
	snprintf(num, sizeof(num), "%.*e", prec - 1, x);
	/* laid out as Python's repr(): fixed notation for exponents from -4 to 15 */
	exp = atoi(strchr(num, 'e') + 1);
	if (exp >= -4 && exp < 16)
		snprintf(num, sizeof(num), "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, x);
	buf_puts(b, num);
	/* "5" or "-0" would read back as integers */
	if (!strpbrk(num, ".e"))
		buf_puts(b, ".0");
}

/* ------------------------------------------------------------------ date-times */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Hinnant's algorithms). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
toml_write_datetime_valid(const TomlDatetime *d, TomlType t)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (t != TOML_TIME_LOCAL &&
	    (d->year < 0 || d->year > 9999 || d->month < 1 || d->month > 12 || d->day < 1 ||
	     d->day > mdays[d->month - 1] + (d->month == 2 && leap(d->year))))
		return false;
	if (t != TOML_DATE_LOCAL &&
	    (d->hour < 0 || d->hour > 23 || d->minute < 0 || d->minute > 59 || d->second < 0 ||
	     d->second > 60 || d->nanosecond < 0 || d->nanosecond > 999999999))
		return false;
	return t != TOML_DATETIME ||
	       (d->offset_minutes > -24 * 60 && d->offset_minutes < 24 * 60);
}

bool
toml_write_datetime_python_ok(const TomlDatetime *d, TomlType t)
{
	if (t != TOML_TIME_LOCAL && (d->year < 1 || d->year > 9999))
		return false;
	return t == TOML_DATE_LOCAL || d->second <= 59;
}

bool
toml_write_datetime_to_utc(const TomlDatetime *in, TomlDatetime *out)
{
	int64_t mins, days, y;

	*out = *in;
	if (in->offset_minutes == 0)
		return true;
	mins = days_from_civil(in->year, in->month, in->day) * 1440 + in->hour * 60 +
	       in->minute - in->offset_minutes;
	days = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
	mins -= days * 1440;
	civil_from_days(days, &y, &out->month, &out->day);
	if (y < 0 || y > 9999)
		return false;
	out->year = (int)y;
	out->hour = (int)(mins / 60);
	out->minute = (int)(mins % 60);
	out->offset_minutes = 0;
	return true;
}

int
toml_write_datetime(Buf *b, const TomlDatetime *d, TomlType t, Err *err)
{
	if (t < TOML_DATETIME || t > TOML_TIME_LOCAL)
		return err_set(err, "%s is not a date or time type", toml_type_name(t));
	if (!toml_write_datetime_valid(d, t) || !toml_write_datetime_python_ok(d, t))
		return err_set(err, "the %s %04d-%02d-%02d %02d:%02d:%02d is out of range; expected"
			       " a value Python's datetime can hold (years 0001-9999, no leap"
			       " second)", toml_type_name(t), d->year, d->month, d->day, d->hour,
			       d->minute, d->second);
	if (t != TOML_TIME_LOCAL)
		buf_printf(b, "%04d-%02d-%02d", d->year, d->month, d->day);
	if (t == TOML_DATE_LOCAL)
		return 0;
	if (t != TOML_TIME_LOCAL)
		buf_putc(b, 'T');
	buf_printf(b, "%02d:%02d:%02d", d->hour, d->minute, d->second);
	/* Python's datetime (and so tomllib) keeps microseconds: what both read must agree */
	if (d->nanosecond / 1000) {
		char frac[16];
		int n;

		snprintf(frac, sizeof(frac), "%06d", d->nanosecond / 1000);
		for (n = 6; n > 1 && frac[n - 1] == '0'; n--)
			;
		buf_printf(b, ".%.*s", n, frac);
	}
	if (t == TOML_DATETIME) {
		if (d->offset_minutes == 0)
			buf_putc(b, 'Z');
		else
			buf_printf(b, "%c%02d:%02d", d->offset_minutes < 0 ? '-' : '+',
				   abs(d->offset_minutes) / 60, abs(d->offset_minutes) % 60);
	}
	return 0;
}

/* ------------------------------------------------------------------ tables and arrays */

static int
cmp_entries(const void *x, const void *y)
{
	const TomlEntry *a = *(const TomlEntry *const *)x, *b = *(const TomlEntry *const *)y;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);

	if (c)
		return c;
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

const TomlEntry **
toml_write_sorted_entries(const TomlValue *t)
{
	const TomlEntry **e = xmalloc((t->u.table.len + 1) * sizeof(*e));
	size_t i;

	for (i = 0; i < t->u.table.len; i++)
		e[i] = &t->u.table.entries[i];
	qsort(e, t->u.table.len, sizeof(*e), cmp_entries);
	return e;
}

int
toml_write_value(Buf *b, const TomlValue *v, Err *err)
{
	size_t i;

	switch (v->type) {
	case TOML_TABLE: {
		const TomlEntry **e = toml_write_sorted_entries(v);
		int rc = 0;

		buf_putc(b, '{');
		for (i = 0; i < v->u.table.len && rc == 0; i++) {
			buf_puts(b, i ? ", " : " ");
			rc = toml_write_key(b, e[i]->key, e[i]->key_len, err);
			buf_puts(b, " = ");
			if (rc == 0)
				rc = toml_write_value(b, e[i]->value, err);
		}
		buf_puts(b, v->u.table.len ? " }" : "}");
		free(e);
		return rc;
	}
	case TOML_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < v->u.arr.len; i++) {
			if (i)
				buf_puts(b, ", ");
			if (toml_write_value(b, v->u.arr.items[i], err) != 0)
				return -1;
		}
		buf_putc(b, ']');
		return 0;
	case TOML_STRING:
		return toml_write_str(b, v->u.str.ptr, v->u.str.len, err);
	case TOML_INTEGER:
		toml_write_integer(b, v->u.integer);
		return 0;
	case TOML_FLOAT:
		toml_write_float(b, v->u.flt);
		return 0;
	case TOML_BOOL:
		buf_puts(b, v->u.boolean ? "true" : "false");
		return 0;
	default:
		return toml_write_datetime(b, &v->u.dt, v->type, err);
	}
}

int
toml_write_table(Buf *b, const char *path, const TomlValue *t, Err *err)
{
	const TomlEntry **e;
	size_t i;
	int rc = 0;

	if (t->type != TOML_TABLE)
		return err_set(err, "[%s] is %s, not a table", path, toml_type_name(t->type));
	e = toml_write_sorted_entries(t);
	buf_printf(b, "\n[%s]\n", path);
	for (i = 0; i < t->u.table.len && rc == 0; i++) {
		if (e[i]->value->type == TOML_TABLE)
			continue;
		if ((rc = toml_write_key(b, e[i]->key, e[i]->key_len, err)) != 0)
			break;
		buf_puts(b, " = ");
		rc = toml_write_value(b, e[i]->value, err);
		buf_putc(b, '\n');
	}
	for (i = 0; i < t->u.table.len && rc == 0; i++) {
		Buf sub = { 0 };

		if (e[i]->value->type != TOML_TABLE)
			continue;
		buf_printf(&sub, "%s.", path);
		if ((rc = toml_write_key(&sub, e[i]->key, e[i]->key_len, err)) == 0)
			rc = toml_write_table(b, sub.data, e[i]->value, err);
		buf_free(&sub);
	}
	free(e);
	return rc;
}
