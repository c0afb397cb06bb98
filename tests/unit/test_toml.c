/*
 * test_toml.c - unit tests of the TOML parser (packaging/toml.c).
 *
 * toml-test (tests/toml) covers the language; these cover what it does not: error
 * positions and wording, the lookup functions, where values and tables are said to be
 * defined, big tables, NUL bytes in keys and strings, and the nesting limit.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/toml.h"

typedef struct Doc {
	Arena arena;
	TomlValue *root;
	Err err;
	int rc;
} Doc;

static void
parse_n(Doc *d, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->rc = toml_parse(text, len, "f.toml", &d->arena, &d->root, &d->err);
}

static void
parse(Doc *d, const char *text)
{
	parse_n(d, text, strlen(text));
}

static void
done(Doc *d)
{
	arena_free(&d->arena);
}

/* text must be rejected with a message that starts with prefix ("f.toml:L:C: ...") and
 * contains phrase. */
static void
check_error(const char *text, size_t len, const char *prefix, const char *phrase)
{
	Doc d;

	parse_n(&d, text, len);
	if (d.rc != -1 || strncmp(d.err.msg, prefix, strlen(prefix)) != 0 ||
	    !strstr(d.err.msg, phrase)) {
		print_error("input: %s\nwanted: %s...%s\n   got: rc %d, %s\n", text, prefix, phrase,
			    d.rc, d.rc ? d.err.msg : "(accepted)");
		fail();
	}
	assert_null(d.root);
	done(&d);
}

#define ERR(text, prefix, phrase) check_error(text, sizeof(text) - 1, prefix, phrase)

static void
test_error_positions(void **state)
{
	(void)state;
	ERR("a = 1\nb = 2\na = 3\n", "f.toml:3:1: ", "duplicate key 'a' (first defined at line 1)");
	ERR("name = \"x\"\n[t]\nk 1\n", "f.toml:3:3: ", "expected '=' after key 'k', found '1'");
	ERR("[t]\nx.\"y z\" \n", "f.toml:2:9: ", "expected '=' after key 'x.\"y z\"'");
	ERR("s = \"ab\\qc\"\n", "f.toml:1:8: ", "invalid escape '\\q' in string");
	ERR("n = 9223372036854775808\n", "f.toml:1:5: ",
	    "integer 9223372036854775808 does not fit in 64 bits");
	ERR("n = -9223372036854775809\n", "f.toml:1:5: ", "does not fit in 64 bits");
	ERR("n = 0x8000000000000000\n", "f.toml:1:5: ", "does not fit in 64 bits");
	ERR("n = 1__0\n", "f.toml:1:5: ", "underscores must sit between digits");
	ERR("n = 012\n", "f.toml:1:5: ", "leading zeros are not allowed");
	ERR("n = 0o19\n", "f.toml:1:5: ", "'9' is not an octal digit");
	ERR("[a]\nx = 1\n[b]\n[a]\n", "f.toml:4:1: ", "table 'a' is already defined at line 1");
	ERR("a.b = 1\n[a]\n", "f.toml:2:1: ",
	    "table 'a' is already defined by dotted keys at line 1");
	ERR("[a.b]\nx = 1\n[a]\nb.y = 2\n", "f.toml:4:1: ",
	    "cannot add to table 'b' with a dotted key");
	ERR("a = {x = 1}\n[a.y]\n", "f.toml:2:2: ", "cannot add to inline table 'a'");
	ERR("a = [1]\n[[a]]\n", "f.toml:2:3: ", "it is an array value (defined at line 1)");
	ERR("[[a]]\n[a]\n", "f.toml:2:1: ", "'a' is an array of tables");
	ERR("a = 1\n[a.b]\n", "f.toml:2:2: ", "key 'a' is already an integer (defined at line 1)");
	/* Lines end in CR LF; columns are bytes from the start of the line. */
	ERR("a = 1\r\nb = 2\r\nc = @\r\n", "f.toml:3:5: ", "expected a value, found '@'");
	ERR("\ta = [1,,2]\n", "f.toml:1:9: ", "expected a value, found ','");
	/* A byte-order mark is not counted in the first line's columns. */
	ERR("\xEF\xBB\xBFx = ?\n", "f.toml:1:5: ", "expected a value, found '?'");
	ERR("a = \"\"\"abc\n\ndef\n", "f.toml:1:5: ", "unterminated string");
	ERR("a = \"\"\"x\ny\nz\"\"\" junk\n", "f.toml:3:6: ",
	    "expected end of line after the value, found 'j'");
	ERR("a = 'x\ny'\n", "f.toml:1:5: ", "unterminated string");
	ERR("d = 2023-02-29\n", "f.toml:1:5: ", "day 29 is out of range (the month has 28 days)");
	ERR("t = 12:60:00\n", "f.toml:1:5: ", "minute 60 is out of range");
	ERR("d = 1979-05-27T07:32:00+24:00\n", "f.toml:1:24: ", "invalid time offset");
	ERR("a = {x = 1,\n}\n", "f.toml:1:12: ", "inline table must be closed on the line");
	ERR("a = {x = 1,}\n", "f.toml:1:12: ", "trailing comma in an inline table");
	ERR("# a\x01" "b\n", "f.toml:1:4: ",
	    "control character U+0001 is not allowed in a comment");
	ERR("a = \"x\x7fy\"\n", "f.toml:1:7: ",
	    "control character U+007F is not allowed in a string");
	ERR("a = 1\rb = 2\n", "f.toml:1:6: ", "carriage return");
	ERR("\n\nx = \"\xC3\x28\"\n", "f.toml:3:6: ", "invalid UTF-8");
	ERR("# \xED\xA0\x80\n", "f.toml:1:3: ", "encoded surrogate");
	ERR("# \xC0\xAF\n", "f.toml:1:3: ", "overlong");
	ERR("x = '\xF4\x90\x80\x80'\n", "f.toml:1:6: ", "past U+10FFFF");
	ERR("x = \"\\uD800\"\n", "f.toml:1:6: ", "not a Unicode scalar value");
	ERR("x = \"\\U00110000\"\n", "f.toml:1:6: ", "not a Unicode scalar value");
	ERR("\"\"\"k\"\"\" = 1\n", "f.toml:1:1: ", "multi-line string cannot be a key");
	ERR("x = truth\n", "f.toml:1:5: ", "invalid value 'truth'");
	ERR("x = [1, 2\n\n", "f.toml:1:5: ", "unterminated array");
	ERR("x = 1 2\n", "f.toml:1:7: ", "expected end of line after the value, found '2'");
	ERR("[a]]\n", "f.toml:1:4: ", "expected end of line after the table header");
	ERR("x = \x00\n", "f.toml:1:5: ", "expected a value, found control character U+0000");
}

static void
test_long_key_in_message(void **state)
{
	Buf b = { 0 };
	Doc d;
	int i;

	(void)state;
	/* Keys longer than the message's room for them are cut short with "...". */
	for (i = 0; i < 2; i++) {
		buf_puts(&b, "\"");
		buf_printf(&b, "%0400d", 0);
		buf_puts(&b, "\u00e9\" = 1\n");
	}
	parse_n(&d, b.data, b.len);
	assert_int_equal(d.rc, -1);
	assert_true(strncmp(d.err.msg, "f.toml:2:1: duplicate key '\"0000", 32) == 0);
	assert_non_null(strstr(d.err.msg, "...' (first defined at line 1)"));
	assert_true(strlen(d.err.msg) < 400);
	done(&d);
	buf_free(&b);
}

static void
test_error_filename_and_nul_input(void **state)
{
	Arena arena = { 0 };
	TomlValue *root = (TomlValue *)1;
	Err err;

	(void)state;
	assert_int_equal(toml_parse("x = ", 4, "dir/pyproject.toml", &arena, &root, &err), -1);
	assert_string_equal(err.msg, "dir/pyproject.toml:1:5: expected a value, found end of file");
	assert_null(root);
	arena_free(&arena);
	/* No data at all is an empty document. */
	assert_int_equal(toml_parse(NULL, 0, "e.toml", &arena, &root, &err), 0);
	assert_int_equal(root->type, TOML_TABLE);
	assert_int_equal(root->u.table.len, 0);
	arena_free(&arena);
}

static const char lookup_doc[] =
	"title = \"t\"\n"
	"\"x.y\" = 1\n"
	"\"\" = \"empty\"\n"
	"[tool.bunpy]\n"
	"name = \"demo\"\n"
	"list = [1, 2]\n"
	"[tool.bunpy.tasks.build]\n"
	"cmd = \"make\"\n"
	"[[tool.bunpy.many]]\n"
	"k = 1\n";

static void
test_lookup(void **state)
{
	const TomlValue *bunpy, *v;
	Doc d;

	(void)state;
	parse(&d, lookup_doc);
	assert_int_equal(d.rc, 0);
	v = toml_get(d.root, "title");
	assert_non_null(v);
	assert_int_equal(v->type, TOML_STRING);
	assert_string_equal(v->u.str.ptr, "t");
	assert_null(toml_get(d.root, "absent"));
	assert_null(toml_get(d.root, "titl"));
	assert_null(toml_get(d.root, NULL));
	assert_null(toml_get(NULL, "title"));
	/* Not a table: no lookup. */
	assert_null(toml_get(v, "x"));
	assert_null(toml_get_path(d.root, "title.x"));
	/* getn compares exactly key_len bytes. */
	assert_ptr_equal(toml_getn(d.root, "titlexx", 5), v);
	assert_null(toml_getn(d.root, "title", 4));
	/* A quoted key with a dot is one key, not a path. */
	v = toml_get(d.root, "x.y");
	assert_non_null(v);
	assert_int_equal(v->u.integer, 1);
	assert_null(toml_get_path(d.root, "x.y"));
	assert_non_null(toml_getn(d.root, "", 0));
	assert_string_equal(toml_getn(d.root, "", 0)->u.str.ptr, "empty");
	assert_ptr_equal(toml_get_path(d.root, ""), toml_getn(d.root, "", 0));

	bunpy = toml_get_path(d.root, "tool.bunpy");
	assert_non_null(bunpy);
	assert_int_equal(bunpy->type, TOML_TABLE);
	assert_ptr_equal(toml_get(toml_get(d.root, "tool"), "bunpy"), bunpy);
	v = toml_get_path(d.root, "tool.bunpy.tasks.build.cmd");
	assert_non_null(v);
	assert_string_equal(v->u.str.ptr, "make");
	assert_ptr_equal(toml_get_path(bunpy, "tasks.build.cmd"), v);
	assert_null(toml_get_path(d.root, "tool.bunpy.tasks.build.cmd.more"));
	assert_null(toml_get_path(d.root, "tool.bunpy.tasks.test"));
	assert_null(toml_get_path(d.root, "tool..bunpy"));
	assert_null(toml_get_path(d.root, "tool.bunpy."));
	assert_null(toml_get_path(d.root, NULL));
	/* Paths do not go into arrays, even arrays of tables. */
	assert_int_equal(toml_get_path(d.root, "tool.bunpy.many")->type, TOML_ARRAY);
	assert_null(toml_get_path(d.root, "tool.bunpy.many.k"));
	assert_null(toml_get_path(d.root, "tool.bunpy.list.0"));
	done(&d);
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(toml_type_name(TOML_TABLE), "table");
	assert_string_equal(toml_type_name(TOML_ARRAY), "array");
	assert_string_equal(toml_type_name(TOML_STRING), "string");
	assert_string_equal(toml_type_name(TOML_INTEGER), "integer");
	assert_string_equal(toml_type_name(TOML_FLOAT), "float");
	assert_string_equal(toml_type_name(TOML_BOOL), "bool");
	assert_string_equal(toml_type_name(TOML_DATETIME), "datetime");
	assert_string_equal(toml_type_name(TOML_DATETIME_LOCAL), "datetime-local");
	assert_string_equal(toml_type_name(TOML_DATE_LOCAL), "date-local");
	assert_string_equal(toml_type_name(TOML_TIME_LOCAL), "time-local");
}

#define AT(v, l, c)                                  \
	do {                                         \
		const TomlValue *v_ = (v);           \
		assert_non_null(v_);                 \
		assert_int_equal(v_->line, (l));     \
		assert_int_equal(v_->col, (c));      \
	} while (0)

static void
test_positions(void **state)
{
	const TomlValue *items, *tags;
	Doc d;

	(void)state;
	parse(&d,
	      "# comment\n"                    /* 1 */
	      "title = \"x\"\n"                /* 2 */
	      "[server]\n"                     /* 3 */
	      "  port = 8080\n"                /* 4 */
	      "  [server.tls]\n"               /* 5 */
	      "[[items]]\n"                    /* 6 */
	      "name = \"a\"\n"                 /* 7 */
	      "[[items]]\n"                    /* 8 */
	      "tags = [\n"                     /* 9 */
	      "  \"x\", 'y',\n"                /* 10 */
	      "]\n"                            /* 11 */
	      "a.b.c = 1\n"                    /* 12 */
	      "[x.y.z]\n"                      /* 13 */
	      "[x]\n"                          /* 14 */
	      "inline = { k = 1979-05-27 }\n"  /* 15 */
	      "s = \"\"\"\n"                   /* 16 */
	      "two\n"                          /* 17 */
	      "lines\"\"\"   t = 1\n");        /* 18: fails here */
	assert_int_equal(d.rc, -1);
	assert_string_equal(d.err.msg, "f.toml:18:12: expected end of line after the value, "
			    "found 't'");
	done(&d);

	parse(&d,
	      "# comment\n"
	      "title = \"x\"\n"
	      "[server]\n"
	      "  port = 8080\n"
	      "  [server.tls]\n"
	      "[[items]]\n"
	      "name = \"a\"\n"
	      "[[items]]\n"
	      "tags = [\n"
	      "  \"x\", 'y',\n"
	      "]\n"
	      "a.b.c = 1\n"
	      "[x.y.z]\n"
	      "[x]\n"
	      "inline = { k = 1979-05-27 }\n"
	      "s = \"\"\"\n"
	      "two\n"
	      "lines\"\"\"\n"
	      "after = true\n");
	assert_int_equal(d.rc, 0);
	AT(d.root, 1, 1);
	AT(toml_get(d.root, "title"), 2, 9);
	AT(toml_get(d.root, "server"), 3, 1);
	AT(toml_get_path(d.root, "server.port"), 4, 10);
	AT(toml_get_path(d.root, "server.tls"), 5, 3);
	items = toml_get(d.root, "items");
	AT(items, 6, 1);
	assert_int_equal(items->u.arr.len, 2);
	AT(items->u.arr.items[0], 6, 1);
	AT(items->u.arr.items[1], 8, 1);
	AT(toml_get(items->u.arr.items[0], "name"), 7, 8);
	tags = toml_get(items->u.arr.items[1], "tags");
	AT(tags, 9, 8);
	AT(tags->u.arr.items[0], 10, 3);
	AT(tags->u.arr.items[1], 10, 8);
	/* Tables made by dotted keys are where their part of the key is written. */
	AT(toml_get(items->u.arr.items[1], "a"), 12, 1);
	AT(toml_get_path(items->u.arr.items[1], "a.b"), 12, 3);
	AT(toml_get_path(items->u.arr.items[1], "a.b.c"), 12, 9);
	/* x was implied by [x.y.z] on line 13 and then defined by [x] on line 14. */
	AT(toml_get(d.root, "x"), 14, 1);
	AT(toml_get_path(d.root, "x.y"), 13, 4);
	AT(toml_get_path(d.root, "x.y.z"), 13, 1);
	AT(toml_get_path(d.root, "x.inline"), 15, 10);
	AT(toml_get_path(d.root, "x.inline.k"), 15, 16);
	AT(toml_get_path(d.root, "x.s"), 16, 5);
	assert_string_equal(toml_get_path(d.root, "x.s")->u.str.ptr, "two\nlines");
	AT(toml_get_path(d.root, "x.after"), 19, 9);
	done(&d);
}

static void
test_scalars(void **state)
{
	const TomlValue *v;
	Doc d;

	(void)state;
	parse(&d,
	      "i = -9223372036854775808\n"
	      "h = 0xDEAD_beef\n"
	      "f = 6.626e-34\n"
	      "inf = -inf\n"
	      "dt = 1979-05-27T07:32:00.1234567891-07:30\n"
	      "ld = 1979-05-27\n"
	      "lt = 23:59:60.5\n"
	      "ldt = 2000-02-29 00:00:00\n"
	      "ml = \"\"\"\r\nline\\\r\n    continued\r\nend\"\"\"\n"
	      "lit = '''\n\\no escapes\\'''\n");
	assert_int_equal(d.rc, 0);
	assert_true(toml_get(d.root, "i")->u.integer == INT64_MIN);
	assert_int_equal(toml_get(d.root, "h")->u.integer, 0xDEADBEEF);
	assert_true(toml_get(d.root, "f")->u.flt == 6.626e-34);
	assert_true(toml_get(d.root, "inf")->u.flt < -1e308);
	v = toml_get(d.root, "dt");
	assert_int_equal(v->type, TOML_DATETIME);
	assert_int_equal(v->u.dt.year, 1979);
	assert_int_equal(v->u.dt.month, 5);
	assert_int_equal(v->u.dt.day, 27);
	assert_int_equal(v->u.dt.hour, 7);
	assert_int_equal(v->u.dt.second, 0);
	assert_int_equal(v->u.dt.nanosecond, 123456789);  /* the tenth digit is dropped */
	assert_int_equal(v->u.dt.offset_minutes, -450);
	v = toml_get(d.root, "ld");
	assert_int_equal(v->type, TOML_DATE_LOCAL);
	assert_int_equal(v->u.dt.hour, 0);
	v = toml_get(d.root, "lt");
	assert_int_equal(v->type, TOML_TIME_LOCAL);
	assert_int_equal(v->u.dt.year, 0);
	assert_int_equal(v->u.dt.second, 60);
	assert_int_equal(v->u.dt.nanosecond, 500000000);
	assert_int_equal(toml_get(d.root, "ldt")->type, TOML_DATETIME_LOCAL);
	/* CR LF inside multi-line strings reads as LF. */
	assert_string_equal(toml_get(d.root, "ml")->u.str.ptr, "linecontinued\nend");
	assert_int_equal(toml_get(d.root, "ml")->u.str.len, 17);
	assert_string_equal(toml_get(d.root, "lit")->u.str.ptr, "\\no escapes\\");
	done(&d);
}

static void
test_many_tables(void **state)
{
	enum { N = 20000 };
	const TomlValue *tasks, *t, *v;
	char path[64], want[64];
	Buf b = { 0 };
	Doc d;
	int i;

	(void)state;
	buf_puts(&b, "[tool.bunpy]\nname = \"big\"\n");
	for (i = 0; i < N; i++) {
		/* Every tenth key quoted, to check that quoted and bare keys index alike. */
		if (i % 10 == 0)
			buf_printf(&b, "[tool.bunpy.tasks.\"t%05d\"]\n", i);
		else
			buf_printf(&b, "[tool.bunpy.tasks.t%05d]\n", i);
		buf_printf(&b, "cmd = \"run %d\"\ninputs = [\"src/%d\"]\ndeps = []\n", i, i);
	}
	parse_n(&d, b.data, b.len);
	buf_free(&b);
	assert_int_equal(d.rc, 0);
	tasks = toml_get_path(d.root, "tool.bunpy.tasks");
	assert_non_null(tasks);
	assert_int_equal(tasks->u.table.len, N);
	assert_non_null(tasks->u.table.index);  /* big tables are indexed */
	assert_null(d.root->u.table.index);     /* small ones are not */
	for (i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "tool.bunpy.tasks.t%05d", i);
		t = toml_get_path(d.root, path);
		if (!t)
			fail_msg("%s not found", path);
		assert_int_equal(t->type, TOML_TABLE);
		assert_int_equal(t->line, 3 + 4 * i);
		v = toml_get(t, "cmd");
		snprintf(want, sizeof(want), "run %d", i);
		assert_non_null(v);
		assert_string_equal(v->u.str.ptr, want);
		/* Entries stay in document order. */
		assert_ptr_equal(tasks->u.table.entries[i].value, t);
	}
	assert_null(toml_get_path(d.root, "tool.bunpy.tasks.t20000"));
	assert_null(toml_get_path(d.root, "tool.bunpy.tasks.t0000"));
	assert_null(toml_get(tasks, ""));
	done(&d);

	/* A duplicate deep inside a big table is still found. */
	buf_puts(&b, "[t]\n");
	for (i = 0; i < N; i++)
		buf_printf(&b, "k%d = %d\n", i, i);
	buf_puts(&b, "k12345 = 0\n");
	parse_n(&d, b.data, b.len);
	buf_free(&b);
	assert_int_equal(d.rc, -1);
	assert_string_equal(d.err.msg, "f.toml:20002:1: duplicate key 'k12345' (first defined at "
			    "line 12347)");
	done(&d);
}

static void
test_nul_bytes(void **state)
{
	static const char text[] =
		"\"a\\u0000b\" = \"x\\u0000y\"\n"
		"\"a\\u0000c\" = \"\"\"\\u0000\"\"\"\n"
		"[\"t\\u0000\"]\n"
		"k = 'lit'\n";
	const TomlValue *v;
	Doc d;

	(void)state;
	parse(&d, text);
	assert_int_equal(d.rc, 0);
	assert_int_equal(d.root->u.table.len, 3);
	assert_int_equal(d.root->u.table.entries[0].key_len, 3);
	assert_memory_equal(d.root->u.table.entries[0].key, "a\0b", 4);
	v = toml_getn(d.root, "a\0b", 3);
	assert_non_null(v);
	assert_int_equal(v->u.str.len, 3);
	assert_memory_equal(v->u.str.ptr, "x\0y", 4);  /* NUL-terminated as well */
	assert_null(toml_get(d.root, "a"));            /* "a" is only a prefix */
	v = toml_getn(d.root, "a\0c", 3);
	assert_non_null(v);
	assert_int_equal(v->u.str.len, 1);
	assert_int_equal(v->u.str.ptr[0], '\0');
	v = toml_getn(d.root, "t\0", 2);
	assert_non_null(v);
	assert_int_equal(v->type, TOML_TABLE);
	assert_string_equal(toml_get(v, "k")->u.str.ptr, "lit");
	done(&d);

	ERR("\"a\\u0000b\" = 1\n\"a\\u0000b\" = 2\n", "f.toml:2:1: ",
	    "duplicate key '\"a\\u0000b\"' (first defined at line 1)");
	/* A raw NUL byte is not allowed, even in a string. */
	ERR("\"a\0b\" = 1\n", "f.toml:1:3: ", "control character U+0000");
}

/* The depth below the root of the deepest container in v. */
static int
max_depth(const TomlValue *v)
{
	int deepest = 0, d;
	size_t i;

	if (v->type == TOML_TABLE)
		for (i = 0; i < v->u.table.len; i++)
			if ((d = max_depth(v->u.table.entries[i].value)) > deepest)
				deepest = d;
	if (v->type == TOML_ARRAY)
		for (i = 0; i < v->u.arr.len; i++)
			if ((d = max_depth(v->u.arr.items[i])) > deepest)
				deepest = d;
	return v->type == TOML_TABLE || v->type == TOML_ARRAY ? deepest + 1 : 0;
}

/* prefix, open repeated n times, middle, close repeated n times, suffix. */
static char *
nested(const char *prefix, const char *open, int n, const char *middle, const char *close,
       const char *suffix)
{
	Buf b = { 0 };
	int i;

	buf_puts(&b, prefix);
	for (i = 0; i < n; i++)
		buf_puts(&b, open);
	buf_puts(&b, middle);
	for (i = 0; i < n; i++)
		buf_puts(&b, close);
	buf_puts(&b, suffix);
	return buf_detach(&b);
}

/* A header of parts + 1 parts, then an array nested arrays deep in its table. */
static char *
header_then_array(int parts, int arrays)
{
	char *header = nested("[", "a.", parts, "b]\nx = ", "", "");
	char *array = nested(header, "[", arrays, "", "]", "\n");

	free(header);
	return array;
}

static void
check_depth(char *text, bool ok, const char *prefix)
{
	Doc d;

	parse(&d, text);
	if (ok) {
		if (d.rc != 0)
			fail_msg("rejected: %s", d.err.msg);
		assert_int_equal(max_depth(d.root), TOML_MAX_DEPTH + 1);  /* + the root */
	} else {
		assert_int_equal(d.rc, -1);
		assert_non_null(strstr(d.err.msg, "nested deeper than 256 levels"));
		if (prefix && strncmp(d.err.msg, prefix, strlen(prefix)) != 0)
			fail_msg("wanted %s..., got %s", prefix, d.err.msg);
	}
	done(&d);
	free(text);
}

static void
test_depth_limit(void **state)
{
	(void)state;
	assert_int_equal(TOML_MAX_DEPTH, 256);
	/* Arrays: the outermost is 1 level below the root, the innermost 256. */
	check_depth(nested("a = ", "[", 256, "", "]", "\n"), true, NULL);
	check_depth(nested("a = ", "[", 257, "", "]", "\n"), false, "f.toml:1:261: ");
	/* Inline tables, and the two mixed. */
	check_depth(nested("a = ", "{b = ", 255, "{}", "}", "\n"), true, NULL);
	check_depth(nested("a = ", "{b = ", 256, "{}", "}", "\n"), false, NULL);
	check_depth(nested("a = ", "[{b = ", 128, "1", "}]", "\n"), true, NULL);
	check_depth(nested("a = ", "[{b = ", 128, "[]", "}]", "\n"), false, NULL);
	/* Far too deep must fail cleanly, not overflow the stack. */
	check_depth(nested("a = ", "[", 1000000, "", "]", "\n"), false, NULL);
	check_depth(nested("a = ", "{b=", 1000000, "1", "}", "\n"), false, NULL);
	check_depth(nested("a = ", "[", 1000000, "", "", ""), false, NULL);
	/* Tables made by keys and headers count too. */
	check_depth(nested("", "a.", 255, "b = {}", "", "\n"), true, NULL);
	check_depth(nested("", "a.", 256, "b = {}", "", "\n"), false, NULL);
	check_depth(nested("[", "a.", 255, "b]\n", "", ""), true, NULL);
	check_depth(nested("[", "a.", 300, "b]\n", "", ""), false, NULL);
	check_depth(nested("[[", "a.", 255, "b]]\n", "", ""), false, NULL);  /* + the element */
	check_depth(header_then_array(200, 55), true, NULL);
	check_depth(header_then_array(200, 56), false, "f.toml:2:60: ");
}

static void
test_redefinition(void **state)
{
	Doc d;

	(void)state;
	/* Implied tables may be defined later, once; dotted keys may still go through them. */
	parse(&d, "[a.b.c]\nx = 1\n[a]\nb.d = 2\n[a.b.c.e]\n");
	assert_int_equal(d.rc, 0);
	assert_int_equal(toml_get_path(d.root, "a.b.d")->u.integer, 2);
	assert_non_null(toml_get_path(d.root, "a.b.c.e"));
	done(&d);
	/* [headers] may add sub-tables to tables made by dotted keys. */
	parse(&d, "[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true\n");
	assert_int_equal(d.rc, 0);
	assert_int_equal(toml_get_path(d.root, "fruit.apple.texture.smooth")->type, TOML_BOOL);
	done(&d);
	/* Sub-tables of an array of tables go to its last element. */
	parse(&d, "[[a]]\n[a.b]\nx = 1\n[[a]]\n[a.b]\nx = 2\n");
	assert_int_equal(d.rc, 0);
	assert_int_equal(toml_get(d.root, "a")->u.arr.len, 2);
	assert_int_equal(toml_get_path(toml_get(d.root, "a")->u.arr.items[1], "b.x")->u.integer, 2);
	done(&d);
	ERR("[a.b.c]\n[a]\nb.d = 2\n[a.b]\n", "f.toml:4:1: ",
	    "table 'a.b' is already defined by dotted keys");
	ERR("a = {b = 1}\na.c = 2\n", "f.toml:2:1: ", "cannot add to inline table 'a'");
	ERR("a = {b = {c = 1}, b.d = 2}\n", "f.toml:1:19: ", "cannot add to inline table 'b'");
	ERR("[a]\nb = 1\n[a.b.c]\n", "f.toml:3:4: ", "key 'a.b' is already an integer");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_error_filename_and_nul_input),
		cmocka_unit_test(test_long_key_in_message),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_many_tables),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_redefinition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
