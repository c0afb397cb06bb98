/*
 * fuzz_toml.c - libFuzzer target for the TOML parser (packaging/toml.c).
 *
 * Not crashing is the least asked of the parser. Every input must also either fail
 * with a "NAME:LINE:COL: message" error pointing inside the input, or give a tree that
 * is consistent (every key is found again by toml_getn, strings are NUL-terminated,
 * positions are set) and that survives a round trip: written back out as TOML (inline
 * tables and arrays only), parsed again, it must be the same tree. Any breach aborts,
 * which libFuzzer reports like a crash.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/toml.h"
#include "fuzz.h"

#define NAME "fuzz.toml"

static void
check_tree(const TomlValue *v)
{
	size_t i;

	CHECK(v->line >= 1 && v->col >= 1);
	switch (v->type) {
	case TOML_TABLE:
		for (i = 0; i < v->u.table.len; i++) {
			const TomlEntry *e = &v->u.table.entries[i];

			CHECK(e->key[e->key_len] == '\0');
			CHECK(toml_getn(v, e->key, e->key_len) == e->value);
			check_tree(e->value);
		}
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->u.arr.len; i++)
			check_tree(v->u.arr.items[i]);
		break;
	case TOML_STRING:
		CHECK(v->u.str.ptr[v->u.str.len] == '\0');
		break;
	default:
		break;
	}
}

static void
emit_string(Buf *b, const char *s, size_t n)
{
	size_t i;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7F)
			buf_printf(b, "\\u%04X", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

static void
emit(Buf *b, const TomlValue *v)
{
	const TomlDatetime *d = &v->u.dt;
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		buf_putc(b, '{');
		for (i = 0; i < v->u.table.len; i++) {
			buf_puts(b, i ? ", " : " ");
			emit_string(b, v->u.table.entries[i].key, v->u.table.entries[i].key_len);
			buf_puts(b, " = ");
			emit(b, v->u.table.entries[i].value);
		}
		buf_puts(b, " }");
		break;
	case TOML_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < v->u.arr.len; i++) {
			if (i)
				buf_puts(b, ", ");
			emit(b, v->u.arr.items[i]);
		}
		buf_putc(b, ']');
		break;
	case TOML_STRING:
		emit_string(b, v->u.str.ptr, v->u.str.len);
		break;
	case TOML_INTEGER:
		buf_printf(b, "%" PRId64, v->u.integer);
		break;
	case TOML_FLOAT: {
		char num[64];

		if (isnan(v->u.flt))
			snprintf(num, sizeof(num), "nan");
		else if (isinf(v->u.flt))
			snprintf(num, sizeof(num), "%sinf", v->u.flt < 0 ? "-" : "");
		else
			snprintf(num, sizeof(num), "%.17g", v->u.flt);
		buf_puts(b, num);
		if (!strpbrk(num, ".ein"))
			buf_puts(b, ".0");
		break;
	}
	case TOML_BOOL:
		buf_puts(b, v->u.boolean ? "true" : "false");
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		if (v->type != TOML_TIME_LOCAL)
			buf_printf(b, "%04d-%02d-%02d", d->year, d->month, d->day);
		if (v->type == TOML_DATE_LOCAL)
			break;
		if (v->type != TOML_TIME_LOCAL)
			buf_putc(b, 'T');
		buf_printf(b, "%02d:%02d:%02d", d->hour, d->minute, d->second);
		if (d->nanosecond)
			buf_printf(b, ".%09d", d->nanosecond);
		if (v->type == TOML_DATETIME)
			buf_printf(b, "%c%02d:%02d", d->offset_minutes < 0 ? '-' : '+',
				   abs(d->offset_minutes) / 60, abs(d->offset_minutes) % 60);
		break;
	}
}

static bool
same(const TomlValue *a, const TomlValue *b)
{
	size_t i;

	if (a->type != b->type)
		return false;
	switch (a->type) {
	case TOML_TABLE:
		if (a->u.table.len != b->u.table.len)
			return false;
		for (i = 0; i < a->u.table.len; i++) {
			const TomlEntry *x = &a->u.table.entries[i], *y = &b->u.table.entries[i];

			if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0 ||
			    !same(x->value, y->value))
				return false;
		}
		return true;
	case TOML_ARRAY:
		if (a->u.arr.len != b->u.arr.len)
			return false;
		for (i = 0; i < a->u.arr.len; i++)
			if (!same(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case TOML_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
	case TOML_INTEGER:
		return a->u.integer == b->u.integer;
	case TOML_FLOAT:
		if (isnan(a->u.flt) || isnan(b->u.flt))
			return isnan(a->u.flt) && isnan(b->u.flt);
		return memcmp(&a->u.flt, &b->u.flt, sizeof(double)) == 0;
	case TOML_BOOL:
		return a->u.boolean == b->u.boolean;
	default:
		return memcmp(&a->u.dt, &b->u.dt, sizeof(a->u.dt)) == 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena arena = { 0 }, arena2 = { 0 };
	TomlValue *root, *again;
	Buf out = { 0 };
	Err err;
	size_t i;

	if (toml_parse((const char *)data, size, NAME, &arena, &root, &err) != 0) {
		fuzz_check_located(err.msg, NAME, data, size);
		arena_free(&arena);
		return 0;
	}
	check_tree(root);
	for (i = 0; i < root->u.table.len; i++) {
		emit_string(&out, root->u.table.entries[i].key, root->u.table.entries[i].key_len);
		buf_puts(&out, " = ");
		emit(&out, root->u.table.entries[i].value);
		buf_putc(&out, '\n');
	}
	if (toml_parse(out.data, out.len, NAME, &arena2, &again, &err) != 0) {
		fprintf(stderr, "round trip rejected: %s\n%s\n", err.msg, out.data);
		abort();
	}
	CHECK(same(root, again));
	buf_free(&out);
	arena_free(&arena2);
	arena_free(&arena);
	return 0;
}
