/*
 * test_marker.c - unit tests of PEP 508 markers (packaging/marker.c).
 *
 * Every row of every section of tests/packaging/vectors/markers.json is checked (see
 * the file's notes for what each section means); the rest are cases the vectors do not
 * cover: error columns, string escapes, printing what packaging cannot print, the
 * evaluation choices documented in marker.c, the prefix parser, and hostile input in
 * messages (control characters escaped, the caret under the right character, long
 * markers shown as a window).
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
#include "engine/utf8.h"
#include "packaging/marker.h"
#include "vectors.h"

static cJSON *vectors;

static int
setup(void **state)
{
	(void)state;
	vectors = vectors_load("markers.json");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cJSON_Delete(vectors);
	return 0;
}

/* ---------------------------------------------------------------- environments */

/*
 * An environment built from a vector row: the host defaults the vectors assume (a POSIX
 * CPython 3.11 on Linux, extra ""), then the row's overlay. Keys that are not marker
 * variables (the {"a": "a"} rows) have nothing to set.
 */
typedef struct Env {
	MarkerEnv env;
	const char *sets[2][16];
} Env;

static void
env_init(Env *e, const cJSON *overlay, const char *context)
{
	static const char *const host[MARKER_EXTRA] = {
		[MARKER_OS_NAME] = "posix",
		[MARKER_SYS_PLATFORM] = "linux",
		[MARKER_PLATFORM_MACHINE] = "x86_64",
		[MARKER_PLATFORM_PYTHON_IMPLEMENTATION] = "CPython",
		[MARKER_PLATFORM_RELEASE] = "6.1.0-13-amd64",
		[MARKER_PLATFORM_SYSTEM] = "Linux",
		[MARKER_PLATFORM_VERSION] = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1",
		[MARKER_PYTHON_VERSION] = "3.11",
		[MARKER_PYTHON_FULL_VERSION] = "3.11.2",
		[MARKER_IMPLEMENTATION_NAME] = "cpython",
		[MARKER_IMPLEMENTATION_VERSION] = "3.11.2",
	};
	static const char *const none[1];
	const cJSON *item;
	int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < MARKER_EXTRA; i++)
		e->env.values[i] = host[i];
	/* "metadata" sets extra to ""; "lock_file" defines extras and dependency_groups
	 * as empty sets; "requirement" defines none of them (NULL extra reads as ""). */
	e->env.extra = strcmp(context, "metadata") == 0 ? "" : NULL;
	if (strcmp(context, "lock_file") == 0) {
		e->env.extras = none;
		e->env.dependency_groups = none;
	}
	if (!overlay || cJSON_IsNull(overlay))
		return;
	cJSON_ArrayForEach(item, overlay) {
		MarkerVar v;

		if (!marker_var_lookup(item->string, strlen(item->string), &v))
			continue;
		if (cJSON_IsArray(item)) {
			int slot = v == MARKER_EXTRAS ? 0 : 1, n = 0;
			const cJSON *x;

			assert_true(v == MARKER_EXTRAS || v == MARKER_DEPENDENCY_GROUPS);
			cJSON_ArrayForEach(x, item) {
				assert_true(n < 16);
				e->sets[slot][n++] = vectors_str(x);
			}
			if (slot == 0) {
				e->env.extras = e->sets[0];
				e->env.extras_len = (size_t)n;
			} else {
				e->env.dependency_groups = e->sets[1];
				e->env.dependency_groups_len = (size_t)n;
			}
		} else if (v == MARKER_EXTRA) {
			e->env.extra = cJSON_IsNull(item) ? "" : vectors_str(item);
		} else {
			e->env.values[v] = vectors_str(item);
		}
	}
}

static int
parse(const char *s, Arena *arena, Marker **m, Err *err)
{
	return marker_parse(s, strlen(s), arena, m, err);
}

/* ---------------------------------------------------------------- vector sections */

static void
test_vectors_evaluate(void **state)
{
	const cJSON *rows = vectors_section(vectors, "evaluate"), *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(cJSON_GetArrayItem(row, 0));
		bool want = cJSON_IsTrue(cJSON_GetArrayItem(row, 2)), got = !want;
		Arena arena = { 0 };
		Marker *m;
		Err err;
		Env e;

		env_init(&e, cJSON_GetArrayItem(row, 1), "metadata");
		if (parse(text, &arena, &m, &err) != 0 ||
		    marker_evaluate(m, &e.env, &got, &err) != 0 || got != want) {
			print_error("evaluate %s: wanted %d, got %s\n", text, want,
				    got == want ? err.msg : got ? "1" : "0");
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("evaluate: %d rows checked\n", checked);
	assert_int_equal(checked, 67);
	assert_int_equal(failed, 0);
}

static void
test_vectors_evaluate_with_context(void **state)
{
	const cJSON *rows = vectors_section(vectors, "evaluate_with_context"), *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *context = vectors_str(cJSON_GetArrayItem(row, 2));
		bool want = cJSON_IsTrue(cJSON_GetArrayItem(row, 3)), got = !want;
		Arena arena = { 0 };
		Marker *m;
		Err err;
		Env e;

		env_init(&e, cJSON_GetArrayItem(row, 1), context);
		if (parse(text, &arena, &m, &err) != 0 ||
		    marker_evaluate(m, &e.env, &got, &err) != 0 || got != want) {
			print_error("evaluate %s (%s): wanted %d\n", text, context, want);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("evaluate_with_context: %d rows checked\n", checked);
	assert_int_equal(checked, 4);
	assert_int_equal(failed, 0);
}

static void
test_vectors_evaluate_errors(void **state)
{
	const cJSON *rows = vectors_section(vectors, "evaluate_errors"), *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *context = vectors_str(cJSON_GetArrayItem(row, 2));
		const char *kind = vectors_str(cJSON_GetArrayItem(row, 3));
		bool got, undefined_name = strcmp(kind, "UndefinedEnvironmentName") == 0;
		Arena arena = { 0 };
		Marker *m;
		Err err;
		Env e;

		env_init(&e, cJSON_GetArrayItem(row, 1), context);
		assert_int_equal(parse(text, &arena, &m, &err), 0);
		/* Our two kinds of evaluation error differ in their wording only. */
		if (marker_evaluate(m, &e.env, &got, &err) != -1 ||
		    (strstr(err.msg, "is not defined here") != NULL) != undefined_name) {
			print_error("evaluate %s (%s): wanted %s\n", text, context, kind);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("evaluate_errors: %d rows checked\n", checked);
	assert_int_equal(checked, 15);
	assert_int_equal(failed, 0);
}

static void
test_vectors_valid(void **state)
{
	const cJSON *rows = vectors_section(vectors, "valid"), *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(row);
		Arena arena = { 0 };
		Marker *m, *again;
		char *out;
		Err err;

		/* Valid, and its canonical text parses back to the same canonical text. */
		if (parse(text, &arena, &m, &err) != 0) {
			print_error("valid marker rejected: %s\n%s\n", text, err.msg);
			failed++;
		} else if (out = marker_format(m, &arena), parse(out, &arena, &again, &err) != 0 ||
			   strcmp(marker_format(again, &arena), out) != 0) {
			print_error("marker %s prints as %s, which does not print back\n", text, out);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("valid: %d rows checked\n", checked);
	assert_int_equal(checked, 2163);
	assert_int_equal(failed, 0);
}

static void
test_vectors_invalid(void **state)
{
	const cJSON *rows = vectors_section(vectors, "invalid"), *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(row);
		Arena arena = { 0 };
		Marker *m;
		Err err;

		if (parse(text, &arena, &m, &err) != -1) {
			print_error("invalid marker accepted: %s\n", text);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	rows = vectors_section(vectors, "invalid_with_messages");
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 1));
		Arena arena = { 0 };
		Marker *m;
		Err err;

		if (parse(text, &arena, &m, &err) != -1 || strcmp(err.msg, want) != 0) {
			print_error("marker %s: wanted error\n%s\ngot\n%s\n", text, want, err.msg);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("invalid + invalid_with_messages: %d rows checked\n", checked);
	assert_int_equal(checked, 13);
	assert_int_equal(failed, 0);
}

static void
test_vectors_normalized(void **state)
{
	const cJSON *rows = vectors_section(vectors, "normalized"), *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, rows) {
		const char *text = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 1));
		Arena arena = { 0 };
		Marker *m, *w;
		const char *got = "(rejected)";
		Err err;

		if (parse(text, &arena, &m, &err) != 0 || strcmp(got = marker_format(m, &arena), want) != 0 ||
		    parse(want, &arena, &w, &err) != 0 || !marker_equal(m, w)) {
			print_error("marker %s: wanted %s, got %s\n", text, want, got);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("normalized: %d rows checked\n", checked);
	assert_int_equal(checked, 19);
	assert_int_equal(failed, 0);
}

static void
test_vectors_unequal_and_combine(void **state)
{
	const cJSON *row;
	int checked = 0;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "unequal_pairs")) {
		Arena arena = { 0 };
		Marker *a, *b;
		Err err;

		assert_int_equal(parse(vectors_str(cJSON_GetArrayItem(row, 0)), &arena, &a, &err), 0);
		assert_int_equal(parse(vectors_str(cJSON_GetArrayItem(row, 1)), &arena, &b, &err), 0);
		assert_false(marker_equal(a, b));
		assert_false(marker_equal(b, a));
		checked++;
		arena_free(&arena);
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "combine")) {
		const char *op = vectors_str(cJSON_GetArrayItem(row, 1));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 3));
		Arena arena = { 0 };
		Marker *a, *b, *c, *w;
		Err err;

		assert_int_equal(parse(vectors_str(cJSON_GetArrayItem(row, 0)), &arena, &a, &err), 0);
		assert_int_equal(parse(vectors_str(cJSON_GetArrayItem(row, 2)), &arena, &b, &err), 0);
		assert_int_equal(parse(want, &arena, &w, &err), 0);
		c = marker_combine(strcmp(op, "and") == 0 ? MARKER_AND : MARKER_OR, a, b, &arena);
		assert_string_equal(marker_format(c, &arena), want);
		assert_true(marker_equal(c, w));
		checked++;
		arena_free(&arena);
	}
	print_message("unequal_pairs + combine: %d rows checked\n", checked);
	assert_int_equal(checked, 6);
}

static void
test_vectors_value_quoting(void **state)
{
	const cJSON *row;
	int checked = 0;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "value_quoting")) {
		const char *value = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 1));
		Marker m = { .kind = MARKER_COMPARE };
		Arena arena = { 0 };
		char *text, *expect;
		Marker *back;
		Err err;

		m.u.cmp.lhs.is_var = true;
		m.u.cmp.lhs.var = MARKER_OS_NAME;
		m.u.cmp.op = MARKER_OP_EQ;
		m.u.cmp.rhs.str = value;
		m.u.cmp.rhs.len = strlen(value);
		text = marker_format(&m, &arena);
		expect = arena_printf(&arena, "os_name == %s", want);
		assert_string_equal(text, expect);
		/* And the quoted form reads back as the value. */
		assert_int_equal(parse(text, &arena, &back, &err), 0);
		assert_string_equal(back->u.cmp.rhs.str, value);
		checked++;
		arena_free(&arena);
	}
	print_message("value_quoting: %d rows checked\n", checked);
	assert_int_equal(checked, 3);
}

/* ---------------------------------------------------------------- beyond the vectors */

static void
check_error(const char *text, const char *want)
{
	Arena arena = { 0 };
	Marker *m;
	Err err;

	if (parse(text, &arena, &m, &err) != -1 || strcmp(err.msg, want) != 0) {
		print_error("marker %s: wanted error\n%s\ngot\n%s\n", text, want, err.msg);
		fail();
	}
	arena_free(&arena);
}

static void
test_error_columns(void **state)
{
	(void)state;
	check_error("python_version", "Expected marker operator, one of <=, <, !=, ==, >=, >, "
				      "~=, ===, in, not in\n    python_version\n                  ^");
	check_error("os_name == 'a' or", "Expected a marker variable or quoted string\n"
					 "    os_name == 'a' or\n                     ^");
	check_error("(os_name == 'a'", "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, "
				       "after marker expression\n    (os_name == 'a'\n"
				       "    ~~~~~~~~~~~~~~~^");
	check_error("os_name == 'a' xor", "Expected end of marker expression\n"
					  "    os_name == 'a' xor\n                   ^");
	check_error("os_name == 'unterminated", "Expected a marker variable or quoted string\n"
						"    os_name == 'unterminated\n               ^");
	check_error("'a' not  is os_name", "Expected 'in' after 'not'\n"
					   "    'a' not  is os_name\n             ^");
	/* A tab is shown as "\t": two columns. */
	check_error("'a' not\tin os_name x", "Expected end of marker expression\n"
					     "    'a' not\\tin os_name x\n                        ^");
	/* Columns count characters: the caret stands under the 'x' after two "é". */
	check_error("os_name == '\xC3\xA9\xC3\xA9' x",
		    "Expected end of marker expression\n    os_name == '\xC3\xA9\xC3\xA9' x\n"
		    "                    ^");
	/* A variable glued to a word is not a variable (\b). */
	check_error("os_namex == 'a'", "Expected a marker variable or quoted string\n"
				       "    os_namex == 'a'\n    ^");
	check_error("'a' == os_name andos_name == 'b'",
		    "Expected end of marker expression\n"
		    "    'a' == os_name andos_name == 'b'\n                   ^");
	check_error("", "Expected a marker variable or quoted string\n    \n    ^");
	check_error("os_name == '\xFF'", "Invalid quoted string\n    os_name == '\\xff'\n"
					 "               ~~~~~~^");
}

static void
check_literal(const char *quoted, const char *want, size_t want_len)
{
	Arena arena = { 0 };
	char *text = arena_printf(&arena, "os_name == %s", quoted);
	Marker *m;
	Err err;

	if (parse(text, &arena, &m, &err) != 0) {
		print_error("%s rejected: %s\n", text, err.msg);
		fail();
	}
	assert_int_equal(m->u.cmp.rhs.len, want_len);
	assert_memory_equal(m->u.cmp.rhs.str, want, want_len);
	arena_free(&arena);
}

static void
check_bad_literal(const char *quoted)
{
	Arena arena = { 0 };
	char *text = arena_printf(&arena, "os_name == %s", quoted);
	Marker *m;
	Err err;

	if (parse(text, &arena, &m, &err) != -1 || strncmp(err.msg, "Invalid quoted string", 21)) {
		print_error("%s: wanted Invalid quoted string, got %s\n", text, err.msg);
		fail();
	}
	arena_free(&arena);
}

#define LIT(q, w) check_literal(q, w, sizeof(w) - 1)

static void
test_string_escapes(void **state)
{
	(void)state;
	LIT("'plain'", "plain");
	LIT("\"a\\\\b\"", "a\\b");
	LIT("'tab\\there'", "tab\there");
	LIT("'\\x41\\u00e9\\U0001F600'", "A\xC3\xA9\xF0\x9F\x98\x80");
	LIT("'\\101\\0\\777'", "A\0\xC7\xBF");
	LIT("'\\d\\w'", "\\d\\w");
	LIT("'\\8'", "\\8");
	LIT("'caf\xC3\xA9'", "caf\xC3\xA9");
	LIT("\"\"", "");
	check_bad_literal("'\\x4'");
	check_bad_literal("'\\x4g'");
	check_bad_literal("'\\uD800'");
	check_bad_literal("'\\U00110000'");
	check_bad_literal("'\\N{DIGIT ONE}'");
	check_bad_literal("'a\\'");
	check_bad_literal("'a\nb'");
	check_bad_literal("'a\rb'");
	check_bad_literal("'\xC0\xAF'");
	check_bad_literal("'\xED\xA0\x80'");
}

static void
test_escapes_scenario(void **state)
{
	(void)state;
	/* "q\"'" above: the tokenizer ends a double-quoted string at the first '"', so
	 * '"q\"' is the string and the rest is garbage. Check that it is an error. */
	check_error("os_name == \"q\\\"'\"",
		    "Invalid quoted string\n    os_name == \"q\\\"'\"\n               ~~~~^");
}

/* Printing a tree and parsing the text gives the same tree, even where packaging's own
 * str() would not parse back. */
static void
check_print(const char *text, const char *want)
{
	Arena arena = { 0 };
	Marker *m, *again;
	char *out;
	Err err;

	if (parse(text, &arena, &m, &err) != 0) {
		print_error("%s rejected: %s\n", text, err.msg);
		fail();
	}
	out = marker_format(m, &arena);
	if (strcmp(out, want) != 0) {
		print_error("%s printed as %s, wanted %s\n", text, out, want);
		fail();
	}
	assert_int_equal(parse(out, &arena, &again, &err), 0);
	assert_true(marker_equal(m, again));
	assert_string_equal(marker_format(again, &arena), out);
	arena_free(&arena);
}

static void
test_printing(void **state)
{
	(void)state;
	check_print("os_name==\"a\\x22b'c\"", "os_name == \"a\\x22b'c\"");
	check_print("os_name=='a\\\\b'", "os_name == \"a\\\\b\"");
	check_print("os_name=='a\\nb\\x01'", "os_name == \"a\\nb\\x01\"");
	check_print("os_name == \"it's\"", "os_name == \"it's\"");
	/* DEL and C1 controls (CSI is U+009B) are escaped too: no terminal escapes. */
	check_print("os_name == '\x7f\xC2\x9B\xC2\xA0'", "os_name == \"\\x7f\\x9b\xC2\xA0\"");
	check_print("os_name == '\\x9b[2J'", "os_name == \"\\x9b[2J\"");
	check_print("os_name == 'say \"hi\"'", "os_name == 'say \"hi\"'");
	/* Parentheses: kept where they matter, dropped where they do not. */
	check_print("(os_name == 'a' or os_name == 'b') and python_version >= '3'",
		    "(os_name == \"a\" or os_name == \"b\") and python_version >= \"3\"");
	check_print("(os_name == 'a' and os_name == 'b') or python_version >= '3'",
		    "os_name == \"a\" and os_name == \"b\" or python_version >= \"3\"");
	check_print("os_name == 'a' and (os_name == 'b' and os_name == 'c')",
		    "os_name == \"a\" and os_name == \"b\" and os_name == \"c\"");
	check_print("os_name == 'a' and ((os_name == 'b' or os_name == 'c'))",
		    "os_name == \"a\" and (os_name == \"b\" or os_name == \"c\")");
	check_print("((((os_name == 'a'))))", "os_name == \"a\"");
	check_print("os_name == 'a' or os_name == 'b' and os_name == 'c'",
		    "os_name == \"a\" or os_name == \"b\" and os_name == \"c\"");
	/* Legacy spellings print canonically; extras normalize beside extra(s) only. */
	check_print("os.name == 'a' and python_implementation != 'PyPy'",
		    "os_name == \"a\" and platform_python_implementation != \"PyPy\"");
	check_print("os_name == 'Foo_Bar' and 'Foo_Bar' in dependency_groups",
		    "os_name == \"Foo_Bar\" and \"foo-bar\" in dependency_groups");
	check_print("\t os_name\t==\t'a'\t", "os_name == \"a\"");
}

static int
eval_with(const char *text, const MarkerEnv *env, bool *res, Err *err)
{
	Arena arena = { 0 };
	Marker *m;
	int rc;

	assert_int_equal(parse(text, &arena, &m, err), 0);
	rc = marker_evaluate(m, env, res, err);
	arena_free(&arena);
	return rc;
}

static void
expect_eval(const char *text, const MarkerEnv *env, bool want)
{
	bool got;
	Err err;

	if (eval_with(text, env, &got, &err) != 0 || got != want) {
		print_error("%s: wanted %d\n", text, want);
		fail();
	}
}

static void
test_evaluation_choices(void **state)
{
	static const char *const extras[] = { "Foo_Bar", "docs" };
	MarkerEnv env = { 0 };
	bool got;
	Err err;

	(void)state;
	env.values[MARKER_PYTHON_VERSION] = "3.10";
	env.values[MARKER_PYTHON_FULL_VERSION] = "3.13.0rc1";
	env.values[MARKER_OS_NAME] = "posix";
	env.values[MARKER_PLATFORM_RELEASE] = "5.10.0-13-amd64";
	env.extra = "Docs";
	/* Versions compare as versions, never as strings. */
	expect_eval("python_version < '3.9'", &env, false);
	expect_eval("python_version > '3.9'", &env, true);
	expect_eval("python_version == '3.10.0'", &env, true);
	expect_eval("python_version == '3.*'", &env, true);
	expect_eval("'3.9' < python_version", &env, true);
	/* A pre-release interpreter: neither below nor at least 3.13. */
	expect_eval("python_full_version < '3.13'", &env, false);
	expect_eval("python_full_version >= '3.13'", &env, false);
	expect_eval("python_full_version >= '3.13.0rc1'", &env, true);
	/* Not a version on one side: strings, where < and > are false, <= and >= equality. */
	expect_eval("python_version > '3.x'", &env, false);
	expect_eval("python_version >= '3.10'", &env, true);
	expect_eval("os_name >= 'posix'", &env, true);
	expect_eval("os_name > 'a'", &env, false);
	expect_eval("'pos' in os_name", &env, true);
	expect_eval("'' in os_name", &env, true);
	/* A specifier that parses against a value that is not a version: false. */
	expect_eval("platform_release >= '5.10'", &env, false);
	expect_eval("platform_release == '5.10.0-13-amd64'", &env, true);
	/* extra: names compared normalized, never as versions. */
	expect_eval("extra == 'docs'", &env, true);
	expect_eval("extra == 'DOCS'", &env, true);
	expect_eval("extra > 'a'", &env, false);
	expect_eval("'doc' in extra", &env, true);
	/* Two variables: their values; two literals: the literals. */
	expect_eval("os_name == os_name", &env, true);
	expect_eval("python_version < python_full_version", &env, true);
	expect_eval("'a' == 'a'", &env, true);
	expect_eval("'a' != 'a'", &env, false);
	/* Unset values: "" for strings, "0" for versions. */
	expect_eval("sys_platform == ''", &env, true);
	expect_eval("implementation_version == '0'", &env, true);
	/* An untagged build: "3.11.1+" reads as 3.11.1+local. */
	env.values[MARKER_PYTHON_FULL_VERSION] = "3.11.1+";
	expect_eval("python_full_version > '3.11.0'", &env, true);
	expect_eval("python_full_version == '3.11.1'", &env, true);
	/* Sets: membership of normalized names. */
	expect_eval("'foo-bar' in extras or 'x' in extras", &(MarkerEnv){ .extras = extras, .extras_len = 2 }, true);
	expect_eval("'FOO.BAR' not in extras", &(MarkerEnv){ .extras = extras, .extras_len = 2 }, false);
	assert_int_equal(eval_with("'a' in extras", &env, &got, &err), -1);
	assert_non_null(strstr(err.msg, "'extras' is not defined here"));
	assert_int_equal(eval_with("'a' == extras", &(MarkerEnv){ .extras = extras }, &got, &err), -1);
	assert_int_equal(eval_with("extras in 'a'", &(MarkerEnv){ .extras = extras }, &got, &err), -1);
	/* ~= and === need versions; an error in any part fails the whole marker. */
	assert_int_equal(eval_with("os_name ~= 'a'", &env, &got, &err), -1);
	assert_string_equal(err.msg, "cannot evaluate marker \"os_name ~= \\\"a\\\"\": '~=' only "
				     "compares versions (python_version, python_full_version, "
				     "implementation_version or platform_release against a valid "
				     "version)");
	assert_int_equal(eval_with("os_name == 'x' and os_name === 'a'", &env, &got, &err), -1);
	expect_eval("python_version === '3.10'", &env, true);
	expect_eval("python_version ~= '3.9'", &env, true);
	/* A NULL environment is all unset. */
	expect_eval("os_name == '' and python_version == '0'", NULL, true);
}

static void
test_evaluate_extras(void **state)
{
	static const char *const wanted[] = { "Tests", "PDF_Export" };
	MarkerEnv env = { .extra = "ignored" };
	Arena arena = { 0 };
	Marker *m;
	bool got;
	Err err;

	(void)state;
	env.values[MARKER_OS_NAME] = "posix";
	assert_int_equal(parse("extra == 'pdf-export' and os_name == 'posix'", &arena, &m, &err), 0);
	assert_int_equal(marker_evaluate_extras(m, &env, wanted, 2, &got, &err), 0);
	assert_true(got);
	assert_int_equal(marker_evaluate_extras(m, &env, wanted, 1, &got, &err), 0);
	assert_false(got);
	assert_int_equal(marker_evaluate_extras(m, NULL, wanted, 2, &got, &err), 0);
	assert_false(got);
	/* A base requirement (no extra in its marker) holds without any extra. */
	assert_int_equal(parse("os_name == 'posix'", &arena, &m, &err), 0);
	assert_int_equal(marker_evaluate_extras(m, &env, NULL, 0, &got, &err), 0);
	assert_true(got);
	assert_int_equal(parse("extra != 'x' and os_name ~= 'y'", &arena, &m, &err), 0);
	assert_int_equal(marker_evaluate_extras(m, &env, wanted, 2, &got, &err), -1);
	arena_free(&arena);
}

static void
test_prefix_and_depth(void **state)
{
	Arena arena = { 0 };
	char deep[1000];
	size_t used, i;
	Marker *m;
	Err err;

	(void)state;
	assert_int_equal(marker_parse_prefix("os_name == 'a'  ) rest", 22, &arena, &m, &used, &err), 0);
	assert_int_equal(used, 16);
	assert_int_equal(marker_parse_prefix("  os_name == 'a' and", 20, &arena, &m, &used, &err), -1);
	/* 100 levels of parentheses are fine, 101 are refused (not a stack overflow). */
	for (i = 0; i < 2; i++) {
		size_t levels = 100 + i, n = 0, k;

		for (k = 0; k < levels; k++)
			deep[n++] = '(';
		memcpy(deep + n, "os_name=='a'", 12);
		n += 12;
		for (k = 0; k < levels; k++)
			deep[n++] = ')';
		assert_int_equal(marker_parse(deep, n, &arena, &m, &err), i ? -1 : 0);
	}
	assert_non_null(strstr(err.msg, "too deeply"));
	/* marker_var_lookup knows the legacy names; marker_var_name gives canonical ones. */
	{
		MarkerVar v;

		assert_true(marker_var_lookup("platform.python_implementation", 30, &v));
		assert_string_equal(marker_var_name(v), "platform_python_implementation");
		assert_false(marker_var_lookup("python_versions", 15, &v));
	}
	arena_free(&arena);
}

/*
 * A message that shows outside text: no control character but line breaks, no C1
 * control, valid UTF-8, not cut at the size of an Err. With a caret line, the caret
 * stands within the shown source line (or just after it).
 */
static void
assert_clean(const char *msg, bool layout)
{
	const char *caret = strrchr(msg, '\n'), *line;
	size_t n = strlen(msg), i, width = 0, col;

	if (n >= sizeof(((Err *)0)->msg) - 1 || utf8_valid_prefix(msg, n) != n) {
		print_error("message cut short or not UTF-8: %s\n", msg);
		fail();
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];

		if ((c < 0x20 && c != '\n') || c == 0x7F ||
		    (c == 0xC2 && (unsigned char)msg[i + 1] < 0xA0)) {
			print_error("control character 0x%02x at %zu in: %s\n", c, i, msg);
			fail();
		}
	}
	if (!layout)
		return;
	assert_non_null(caret);
	for (line = caret - 1; line > msg && line[-1] != '\n'; line--)
		;
	assert_memory_equal(line, "    ", 4);
	for (i = 4; line + i < caret; i++)
		width += ((unsigned char)line[i] & 0xC0) != 0x80;
	col = strspn(caret + 5, " ~");
	assert_memory_equal(caret + 1, "    ", 4);
	assert_string_equal(caret + 5 + col, "^");
	assert_true(col <= width);
}

static void
check_hostile(const char *text, size_t len, const char *want)
{
	Arena arena = { 0 };
	Marker *m;
	Err err;

	assert_int_equal(marker_parse(text, len, &arena, &m, &err), -1);
	assert_clean(err.msg, true);
	if (want && strcmp(err.msg, want) != 0) {
		print_error("wanted error\n%s\ngot\n%s\n", want, err.msg);
		fail();
	}
	arena_free(&arena);
}

#define HOSTILE(text, want) check_hostile(text, sizeof(text) - 1, want)

static void
test_hostile_input(void **state)
{
	static const char nul[] = "os_name == 'a' \0x";
	MarkerEnv env = { 0 };
	Arena arena = { 0 };
	Buf b = { 0 }, want = { 0 };
	Marker *m;
	bool got;
	size_t i;
	Err err;

	(void)state;
	/* Escape sequences, C1 controls, NUL bytes, bytes that are not UTF-8: escaped,
	 * and the caret stands under the first column of the escape. */
	HOSTILE("os_name == 'a' \x1b[2J",
		      "Expected end of marker expression\n    os_name == 'a' \\x1b[2J\n"
		      "                   ^");
	HOSTILE("os_name == 'a' \xC2\x9B" "2J",
		      "Expected end of marker expression\n    os_name == 'a' \\u009b2J\n"
		      "                   ^");
	HOSTILE(nul,
		      "Expected end of marker expression\n    os_name == 'a' \\x00x\n"
		      "                   ^");
	HOSTILE("\x07os_name == 'a' or \x1b",
		      "Expected a marker variable or quoted string\n"
		      "    \\x07os_name == 'a' or \\x1b\n    ^");
	HOSTILE("os_name == 'a' or \x1b",
		      "Expected a marker variable or quoted string\n"
		      "    os_name == 'a' or \\x1b\n                      ^");
	/* An escape before the error moves the caret by its width. */
	HOSTILE("os_name == '\x01' x",
		      "Expected end of marker expression\n    os_name == '\\x01' x\n"
		      "                      ^");

	/* Long markers: a window of the text around the error, "..." for the rest. */
	for (i = 0; i < 300; i++)
		buf_puts(&b, "os_name == 'a' and ");
	buf_puts(&b, "os_name ==");
	buf_puts(&want, "Expected a marker variable or quoted string\n    ...");
	buf_append(&want, b.data + b.len - 240, 240);
	buf_puts(&want, "\n    ");
	for (i = 0; i < 3 + 240; i++)
		buf_putc(&want, ' ');
	buf_putc(&want, '^');
	check_hostile(b.data, b.len, want.data);
	buf_clear(&b);
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "\xC2\x9B");
	check_hostile(b.data, b.len, NULL);
	buf_clear(&b);
	buf_puts(&b, "(os_name == 'a'");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, " or 'x\x1b' in os_name");
	check_hostile(b.data, b.len, NULL);

	/* Evaluation errors quote the marker's canonical text, escaped. */
	assert_int_equal(parse("os_name ~= '\\x1b[2J\xC2\x9B'", &arena, &m, &err), 0);
	assert_int_equal(marker_evaluate(m, &env, &got, &err), -1);
	assert_clean(err.msg, false);
	assert_non_null(strstr(err.msg,
			       "cannot evaluate marker \"os_name ~= \\\"\\\\x1b[2J\\\\x9b\\\"\""));
	buf_clear(&b);
	buf_puts(&b, "os_name ~= '");
	for (i = 0; i < 2000; i++)
		buf_puts(&b, "\xC3\xA9");
	buf_puts(&b, "'");
	assert_int_equal(marker_parse(b.data, b.len, &arena, &m, &err), 0);
	assert_int_equal(marker_evaluate(m, &env, &got, &err), -1);
	assert_clean(err.msg, false);
	assert_non_null(strstr(err.msg, "\xC3\xA9\"...: '~=' only compares versions"));
	arena_free(&arena);
	buf_free(&b);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_evaluate),
		cmocka_unit_test(test_vectors_evaluate_with_context),
		cmocka_unit_test(test_vectors_evaluate_errors),
		cmocka_unit_test(test_vectors_valid),
		cmocka_unit_test(test_vectors_invalid),
		cmocka_unit_test(test_vectors_normalized),
		cmocka_unit_test(test_vectors_unequal_and_combine),
		cmocka_unit_test(test_vectors_value_quoting),
		cmocka_unit_test(test_error_columns),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_escapes_scenario),
		cmocka_unit_test(test_printing),
		cmocka_unit_test(test_evaluation_choices),
		cmocka_unit_test(test_evaluate_extras),
		cmocka_unit_test(test_prefix_and_depth),
		cmocka_unit_test(test_hostile_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
