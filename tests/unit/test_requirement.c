/*
 * test_requirement.c - unit tests of PEP 508 requirements (packaging/requirement.c).
 *
 * Every row of every section of tests/packaging/vectors/requirements.json is checked:
 * the fields of the 5,184 combinations and the other valid inputs, the canonical text,
 * equality, and rejection, with packaging's exact message where the vectors give one.
 * The rest covers what the vectors do not: where the clauses of a specifier end, line
 * breaks, extras as sets (thousands of them), errors from the specifier checks, and
 * hostile input in messages (control characters escaped, the caret still under the
 * right character, long input shown as a window).
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
#include "packaging/requirement.h"
#include "vectors.h"

static cJSON *vectors;

static int
setup(void **state)
{
	(void)state;
	vectors = vectors_load("requirements.json");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cJSON_Delete(vectors);
	return 0;
}

static int
parse(const char *s, Arena *arena, Requirement *r, Err *err)
{
	return requirement_parse(s, strlen(s), arena, r, err);
}

/* The extras, as a set of strings as written, against a JSON array. */
static bool
same_extras(const Requirement *r, const cJSON *want)
{
	const cJSON *x;
	size_t i, n = 0;

	cJSON_ArrayForEach(x, want) {
		for (i = 0; i < r->extras_len; i++)
			if (strcmp(r->extras[i], vectors_str(x)) == 0)
				break;
		if (i == r->extras_len)
			return false;
		n++;
	}
	return n == r->extras_len;
}

/*
 * One {input, name, extras, url, specifier, marker} row: the fields, and the specifier
 * set equal to the expected one both as a set and in canonical text.
 */
static bool
check_fields(const cJSON *row, Arena *arena)
{
	const char *input = vectors_str(cJSON_GetObjectItem(row, "input"));
	const cJSON *url = cJSON_GetObjectItem(row, "url");
	const cJSON *marker = cJSON_GetObjectItem(row, "marker");
	const char *spec = vectors_str(cJSON_GetObjectItem(row, "specifier"));
	SpecifierSet want_spec;
	Requirement r;
	Err err;

	if (parse(input, arena, &r, &err) != 0) {
		print_error("rejected %s:\n%s\n", input, err.msg);
		return false;
	}
	if (strcmp(r.name, vectors_str(cJSON_GetObjectItem(row, "name"))) != 0 ||
	    !same_extras(&r, cJSON_GetObjectItem(row, "extras"))) {
		print_error("%s: name or extras differ (name %s, %zu extras)\n", input, r.name,
			    r.extras_len);
		return false;
	}
	if (cJSON_IsNull(url) ? r.url != NULL : !r.url || strcmp(r.url, vectors_str(url)) != 0) {
		print_error("%s: url %s\n", input, r.url ? r.url : "(none)");
		return false;
	}
	assert_int_equal(specset_parse(spec, strlen(spec), arena, &want_spec, &err), 0);
	if (!specset_equal(&r.spec, &want_spec) ||
	    strcmp(r.spec.len ? specset_format(&r.spec, arena) : "", spec) != 0) {
		print_error("%s: specifier %s, wanted %s\n", input,
			    r.spec.len ? specset_format(&r.spec, arena) : "", spec);
		return false;
	}
	if (cJSON_IsNull(marker) ? r.marker != NULL
				 : !r.marker || strcmp(marker_format(r.marker, arena),
						       vectors_str(marker)) != 0) {
		print_error("%s: marker %s\n", input,
			    r.marker ? marker_format(r.marker, arena) : "(none)");
		return false;
	}
	return true;
}

static void
test_vectors_valid(void **state)
{
	const cJSON *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "valid")) {
		Arena arena = { 0 };

		failed += !check_fields(row, &arena);
		checked++;
		arena_free(&arena);
	}
	print_message("valid: %d rows checked\n", checked);
	assert_int_equal(checked, 5184);
	assert_int_equal(failed, 0);
}

static void
test_vectors_valid_other(void **state)
{
	const cJSON *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "valid_other")) {
		Arena arena = { 0 };

		failed += !check_fields(row, &arena);
		checked++;
		arena_free(&arena);
	}
	print_message("valid_other: %d rows checked\n", checked);
	assert_int_equal(checked, 19);
	assert_int_equal(failed, 0);
}

static void
test_vectors_str_roundtrip(void **state)
{
	const cJSON *row;
	int checked = 0, failed = 0;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "str_roundtrip")) {
		const char *input = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 1));
		Arena arena = { 0 };
		Requirement r, again;
		const char *got = "(rejected)";
		Err err;

		/* The canonical text, which parses back to an equal requirement. */
		if (parse(input, &arena, &r, &err) != 0 ||
		    strcmp(got = requirement_format(&r, &arena), want) != 0 ||
		    parse(got, &arena, &again, &err) != 0 || !requirement_equal(&r, &again)) {
			print_error("%s: wanted %s, got %s\n", input, want, got);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("str_roundtrip: %d rows checked\n", checked);
	assert_int_equal(checked, 51);
	assert_int_equal(failed, 0);
}

static void
check_pairs(const char *section, bool equal, bool same_text, int count)
{
	const cJSON *row;
	int checked = 0, failed = 0;

	cJSON_ArrayForEach(row, vectors_section(vectors, section)) {
		const char *a = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *b = vectors_str(cJSON_GetArrayItem(row, 1));
		Arena arena = { 0 };
		Requirement x, y;
		Err err;

		assert_int_equal(parse(a, &arena, &x, &err), 0);
		assert_int_equal(parse(b, &arena, &y, &err), 0);
		if (requirement_equal(&x, &y) != equal || requirement_equal(&y, &x) != equal ||
		    (equal && (strcmp(requirement_format(&x, &arena),
				      requirement_format(&y, &arena)) == 0) != same_text)) {
			print_error("%s: %s vs %s\n", section, a, b);
			failed++;
		}
		checked++;
		arena_free(&arena);
	}
	print_message("%s: %d rows checked\n", section, checked);
	assert_int_equal(checked, count);
	assert_int_equal(failed, 0);
}

static void
test_vectors_pairs(void **state)
{
	(void)state;
	check_pairs("equal_pairs", true, true, 4);
	check_pairs("equivalent_pairs", true, false, 8);
	check_pairs("different_pairs", false, false, 7);
}

static void
test_vectors_invalid(void **state)
{
	const cJSON *row;
	int checked = 0, failed = 0, messages = 0;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "invalid")) {
		const char *input = vectors_str(cJSON_GetObjectItem(row, "input"));
		const cJSON *msg = cJSON_GetObjectItem(row, "message");
		const cJSON *part = cJSON_GetObjectItem(row, "message_contains");
		Arena arena = { 0 };
		Requirement r;
		Err err;

		if (parse(input, &arena, &r, &err) != -1) {
			print_error("invalid requirement accepted: %s\n", input);
			failed++;
		} else if (msg && strcmp(err.msg, vectors_str(msg)) != 0) {
			print_error("%s: wanted error\n%s\ngot\n%s\n", input, vectors_str(msg), err.msg);
			failed++;
		} else if (part && !strstr(err.msg, vectors_str(part))) {
			print_error("%s: wanted an error with %s, got\n%s\n", input,
				    vectors_str(part), err.msg);
			failed++;
		}
		messages += msg != NULL || part != NULL;
		checked++;
		arena_free(&arena);
	}
	print_message("invalid: %d rows checked, %d of them with packaging's message\n", checked,
		      messages);
	assert_int_equal(checked, 40);
	assert_int_equal(failed, 0);
}

/* ---------------------------------------------------------------- beyond the vectors */

static void
check_error(const char *input, const char *want)
{
	Arena arena = { 0 };
	Requirement r;
	Err err;

	if (parse(input, &arena, &r, &err) != -1 || strcmp(err.msg, want) != 0) {
		print_error("%s: wanted error\n%s\ngot\n%s\n", input, want, err.msg);
		fail();
	}
	assert_null(r.name);
	arena_free(&arena);
}

static void
check_format(const char *input, const char *want)
{
	Arena arena = { 0 };
	Requirement r;
	char *got;
	Err err;

	if (parse(input, &arena, &r, &err) != 0) {
		print_error("%s rejected:\n%s\n", input, err.msg);
		fail();
	}
	got = requirement_format(&r, &arena);
	if (strcmp(got, want) != 0) {
		print_error("%s: wanted %s, got %s\n", input, want, got);
		fail();
	}
	arena_free(&arena);
}

static void
test_grammar_edges(void **state)
{
	(void)state;
	/* Parentheses, trailing commas, spaces inside clauses, the operator forms. */
	check_format("name (>=1.0, <2)", "name<2,>=1.0");
	check_format("name>=1.0,", "name>=1.0");
	check_format("name ( >= 1.0 , ) ; os_name=='a'", "name>=1.0; os_name == \"a\"");
	check_format("name~=1.4.2", "name~=1.4.2");
	check_format("name==1.0.*,!=1.0.3", "name!=1.0.3,==1.0.*");
	check_format("name==v1.0+LOCAL.1", "name==v1.0+LOCAL.1");
	check_format("name===foo", "name===foo");
	check_format("name === foo ; os_name == 'a'", "name===foo; os_name == \"a\"");
	check_format("Name.With_Odd-Chars[B,a,B]>1", "Name.With_Odd-Chars[B,a]>1");
	check_format("name[ a , b ]", "name[a,b]");
	/* A URL runs to white space, ';' included; the marker then needs its own ';'. */
	check_format("name@http://x/a.whl;os_name=='a' ; os_name == 'b'",
		     "name @ http://x/a.whl;os_name=='a' ; os_name == \"b\"");
	check_format("\t name \t", "name");
	check_format("foo_", "foo_");
}

static void
test_errors(void **state)
{
	(void)state;
	/* "foo-" is a name "foo" and a stray '-' (names end at a word boundary). */
	check_error("foo-", "Expected semicolon (after name with no version specifier) or end\n"
			    "    foo-\n       ^");
	check_error("name[a", "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras\n"
			      "    name[a\n        ~~^");
	check_error("name[,a]", "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras\n"
				"    name[,a]\n        ~^");
	check_error("name ~= 1", "Expected semicolon (after name with no version specifier) or "
				 "end\n    name ~= 1\n         ^");
	check_error("name<2>1", "Expected comma (within version specifier), semicolon (after "
				"version specifier) or end\n    name<2>1\n        ~~^");
	/* Control characters are shown escaped; the caret counts the escape's columns. */
	check_error("name @ http://x\n", "Expected a URL without control characters (found "
					 "byte 0x0a)\n    name @ http://x\\n\n                   ^");
	check_error("q@\x01&#", "Expected a URL without control characters (found byte 0x01)\n"
				"    q@\\x01&#\n      ^");
	check_error("name @ http://x ; ", "Expected a marker variable or quoted string\n"
					  "    name @ http://x ; \n                      ^");
	check_error("name (>=1", "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, "
				 "after version specifier\n    name (>=1\n         ~~~~^");
	check_error("name[a] extra", "Expected semicolon (after name with no version specifier) "
				     "or end\n    name[a] extra\n            ^");
	check_error("name >= 1.0 ;", "Expected a marker variable or quoted string\n"
				     "    name >= 1.0 ;\n                 ^");
	check_error("name; os_name == 'a' junk", "Expected end of dependency specifier\n"
					     "    name; os_name == 'a' junk\n"
					     "                         ^");
	check_error("name~=1.0+local", "Local version label can only be used with `==` or `!=` "
				       "operators\n    name~=1.0+local\n        ~~~~~^");
	check_error("name<=1.0.*", ".* suffix can only be used with `==` or `!=` operators\n"
				   "    name<=1.0.*\n        ~~~~~~^");
	/* No word boundary after "n" in "né": no name at all, as in Python's regex. */
	check_error("n\xC3\xA9 >= 1", "Expected package name at the start of dependency "
				      "specifier\n    n\xC3\xA9 >= 1\n    ^");
	check_error("name @ file:///x y", "Expected semicolon (after URL and whitespace) or end\n"
					  "    name @ file:///x y\n           ~~~~~~~~~~^");
	check_error("\xC3\xA9", "Expected package name at the start of dependency specifier\n"
				"    \xC3\xA9\n    ^");
}

static void
check_error_n(const char *input, size_t len, const char *want)
{
	Arena arena = { 0 };
	Requirement r;
	Err err;

	if (requirement_parse(input, len, &arena, &r, &err) != -1 || strcmp(err.msg, want) != 0) {
		print_error("%s: wanted error\n%s\ngot\n%s\n", input, want, err.msg);
		fail();
	}
	arena_free(&arena);
}

static void
test_specifier_errors(void **state)
{
	Arena arena = { 0 };
	Requirement r;
	Err err;

	(void)state;
	/* A clause the pattern takes but the specifier parser refuses: packaging's words,
	 * specifier.c's reason, and the caret layout under the clause. */
	assert_int_equal(parse("name==1.0a1.*", &arena, &r, &err), -1);
	assert_non_null(strstr(err.msg, ".* suffix cannot be used"));
	check_error("name===a,b,>=1",
		    "Invalid specifier: 'b': it must start with an operator (==, !=, <=, >=, <, >, "
		    "~= or ===)\n    name===a,b,>=1\n             ~^");
	check_error("name (===a,b , >=1)",
		    "Invalid specifier: 'b': it must start with an operator (==, !=, <=, >=, <, >, "
		    "~= or ===)\n    name (===a,b , >=1)\n               ~^");
	check_error("demo===", "Invalid specifier: '===': a version must follow the operator\n"
			       "    demo===\n        ~~~^");
	/* A NUL byte ends an arbitrary-equality version (decided in match_clause). */
	check_error_n("demo===\0x", 9,
		      "Expected comma (within version specifier), semicolon (after version "
		      "specifier) or end\n    demo===\\x00x\n        ~~~^");
	/* The clause in the message is shown like the source line: escaped, cut short. */
	check_error("x===a,\xC2\x9B" "b",
		    "Invalid specifier: '\\u009bb': it must start with an operator (==, !=, <=, >=, "
		    "<, >, ~= or ===)\n    x===a,\\u009bb\n          ~~~~~~~^");
	assert_int_equal(parse("demo===a\x1b", &arena, &r, &err), -1);
	assert_int_equal(parse("name>=1,===x", &arena, &r, &err), 0);
	assert_int_equal(r.spec.len, 2);
	arena_free(&arena);
}

static void
test_equality(void **state)
{
	Arena arena = { 0 };
	Requirement a, b;
	Err err;

	(void)state;
	/* URLs compare exactly; a marker against none differs; extras are sets. */
	assert_int_equal(parse("a @ http://x/A", &arena, &a, &err), 0);
	assert_int_equal(parse("a @ http://x/a", &arena, &b, &err), 0);
	assert_false(requirement_equal(&a, &b));
	assert_int_equal(parse("a; os_name == 'x'", &arena, &a, &err), 0);
	assert_int_equal(parse("a", &arena, &b, &err), 0);
	assert_false(requirement_equal(&a, &b));
	assert_int_equal(parse("A[x,Y,x]", &arena, &a, &err), 0);
	assert_int_equal(parse("a[y,X]", &arena, &b, &err), 0);
	assert_true(requirement_equal(&a, &b));
	assert_int_equal(a.extras_len, 2);
	assert_string_equal(a.normalized, "a");
	assert_int_equal(parse("a[y]", &arena, &b, &err), 0);
	assert_false(requirement_equal(&a, &b));
	arena_free(&arena);
}

/*
 * A message of packaging's layout that quotes outside text: no control character but its
 * two line breaks, no C1 control, valid UTF-8, not cut at the size of an Err, and the
 * caret within the shown line.
 */
static void
assert_clean_layout(const char *msg)
{
	const char *caret = strrchr(msg, '\n'), *line;
	size_t n = strlen(msg), i, width = 0, col;

	if (n >= sizeof(((Err *)0)->msg) - 1 || utf8_valid_prefix(msg, n) != n || !caret) {
		print_error("message cut short, not UTF-8 or without a caret line: %s\n", msg);
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
check_hostile(const char *input, size_t len, const char *want)
{
	Arena arena = { 0 };
	Requirement r;
	Err err;

	assert_int_equal(requirement_parse(input, len, &arena, &r, &err), -1);
	assert_clean_layout(err.msg);
	if (want && strcmp(err.msg, want) != 0) {
		print_error("wanted error\n%s\ngot\n%s\n", want, err.msg);
		fail();
	}
	arena_free(&arena);
}

static void
test_hostile_input(void **state)
{
	static const char nul[] = "foo\0bar";
	Buf b = { 0 }, want = { 0 };
	size_t i;

	(void)state;
	/* Escapes (here a CSI that would clear the screen), C1 controls, NUL bytes and
	 * bytes that are not UTF-8 are escaped; the caret stands under what is wrong. */
	check_hostile("name; os_name == 'a' \x1b[2J", strlen("name; os_name == 'a' \x1b[2J"),
		      "Expected end of dependency specifier\n"
		      "    name; os_name == 'a' \\x1b[2J\n"
		      "                         ^");
	check_hostile("name; os_name == 'a' \xC2\x9B" "2J", 25,
		      "Expected end of dependency specifier\n"
		      "    name; os_name == 'a' \\u009b2J\n"
		      "                         ^");
	check_hostile("n \xFF", 3, "Expected semicolon (after name with no version specifier) or "
				    "end\n    n \\xff\n      ^");
	check_hostile("\x1b[31mred", 8, "Expected package name at the start of dependency "
					"specifier\n    \\x1b[31mred\n    ^");
	check_hostile(nul, sizeof(nul) - 1, "Expected semicolon (after name with no version "
					   "specifier) or end\n    foo\\x00bar\n       ^");
	/* An escape before the error moves the caret by its width. */
	check_hostile("name[\x7f] x", 9, "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after "
					 "extras\n    name[\\x7f] x\n        ~^");

	/* A long requirement: a window of 240 shown bytes around the error, the rest "...";
	 * the span that begins before the window is marked from the "...". */
	buf_puts(&b, "name>=1");
	for (i = 0; i < 300; i++)
		buf_puts(&b, ",>=1");
	buf_puts(&b, " xx");
	buf_puts(&want, "Expected comma (within version specifier), semicolon (after version "
			"specifier) or end\n    ...");
	buf_append(&want, b.data + b.len - 2 - 238, 240);
	buf_puts(&want, "\n    ");
	for (i = 0; i < 3 + 238; i++)
		buf_putc(&want, '~');
	buf_putc(&want, '^');
	check_hostile(b.data, b.len, want.data);
	/* ... with as much after the error as fits when much follows. */
	buf_clear(&b);
	buf_puts(&b, "name;");
	for (i = 0; i < 200; i++)
		buf_puts(&b, " os_name == 'a' and");
	buf_puts(&b, " 'x' junk");
	for (i = 0; i < 200; i++)
		buf_puts(&b, " and os_name == 'a'");
	check_hostile(b.data, b.len, NULL);
	/* Wide escapes all along: the message still fits, nothing is cut. */
	buf_clear(&b);
	buf_puts(&b, "name @ ");
	for (i = 0; i < 2000; i++)
		buf_puts(&b, "\xC2\x9B");
	buf_puts(&b, "\x01");
	check_hostile(b.data, b.len, NULL);
	buf_free(&b);
	buf_free(&want);
}

/* Thousands of extras: repeats dropped and sets compared in O(n log n). */
static void
test_many_extras(void **state)
{
	enum { N = 100000 };
	Arena arena = { 0 };
	Buf b = { 0 }, c = { 0 };
	Requirement x, y;
	size_t i;
	Err err;

	(void)state;
	buf_puts(&b, "name[");
	buf_puts(&c, "name[");
	for (i = 0; i < N; i++) {
		buf_printf(&b, "%se%zu", i ? "," : "", i % (N / 2));
		buf_printf(&c, "%sE%zu", i ? "," : "", N / 2 - 1 - i % (N / 2));
	}
	buf_putc(&b, ']');
	buf_putc(&c, ']');
	assert_int_equal(requirement_parse(b.data, b.len, &arena, &x, &err), 0);
	assert_int_equal(requirement_parse(c.data, c.len, &arena, &y, &err), 0);
	assert_true(requirement_equal(&x, &y));
	assert_int_equal(x.extras_len, N / 2);
	assert_string_equal(x.extras[0], "e0");
	assert_string_equal(x.extras[N / 2 - 1], "e49999");
	assert_string_equal(y.extras[0], "E49999");
	/* (Compared pair by pair this took 47 s; make bench is where speed is measured.) */
	y.extras_len--;
	assert_false(requirement_equal(&x, &y));
	arena_free(&arena);
	buf_free(&b);
	buf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_valid),
		cmocka_unit_test(test_vectors_valid_other),
		cmocka_unit_test(test_vectors_str_roundtrip),
		cmocka_unit_test(test_vectors_pairs),
		cmocka_unit_test(test_vectors_invalid),
		cmocka_unit_test(test_grammar_edges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_specifier_errors),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_many_extras),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
