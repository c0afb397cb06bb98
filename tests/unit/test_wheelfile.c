/*
 * test_wheelfile.c - unit tests of a wheel's WHEEL file (packaging/wheelfile.c).
 *
 * The inputs are WHEEL files as bdist_wheel, flit, hatchling and maturin write them,
 * then the variations the header format allows (CRLF, field names in any case, white
 * space, a body), then every refusal with its exact message.
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
#include "engine/err.h"
#include "packaging/wheelfile.h"

#define WHAT "demo-1.0.dist-info/WHEEL"

typedef struct Doc {
	Arena arena;
	WheelFile w;
	Err err;
} Doc;

static void
parse_ok(Doc *d, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	if (wheelfile_parse(text, len, WHAT, &d->arena, &d->w, &d->err) != 0) {
		print_error("rejected: %s\n", d->err.msg);
		fail();
	}
}

#define PARSE(d, text) parse_ok(d, text, sizeof(text) - 1)

static void
check_error_n(const char *text, size_t len, const char *want)
{
	Doc d;

	memset(&d, 0, sizeof(d));
	if (wheelfile_parse(text, len, WHAT, &d.arena, &d.w, &d.err) != -1 ||
	    strcmp(d.err.msg, want) != 0) {
		print_error("input:\n%s\nwanted: %s\ngot:    %s\n", text, want, d.err.msg);
		fail();
	}
	assert_int_equal(d.w.version_major, 0);
	assert_int_equal(d.w.tags_len, 0);
	assert_null(d.w.generator);
	arena_free(&d.arena);
}

#define ERR(text, want) check_error_n(text, sizeof(text) - 1, want)

static void
test_writers(void **state)
{
	Doc d;

	(void)state;
	/* bdist_wheel, for a binary wheel with two tags. */
	PARSE(&d, "Wheel-Version: 1.0\n"
		  "Generator: bdist_wheel (0.40.0)\n"
		  "Root-Is-Purelib: false\n"
		  "Tag: cp311-cp311-manylinux_2_17_x86_64\n"
		  "Tag: cp311-cp311-manylinux2014_x86_64\n"
		  "\n");
	assert_int_equal(d.w.version_major, 1);
	assert_int_equal(d.w.version_minor, 0);
	assert_false(d.w.newer_minor);
	assert_false(d.w.root_is_purelib);
	assert_string_equal(d.w.generator, "bdist_wheel (0.40.0)");
	assert_int_equal(d.w.tags_len, 2);
	assert_string_equal(d.w.tags[0], "cp311-cp311-manylinux_2_17_x86_64");
	assert_string_equal(d.w.tags[1], "cp311-cp311-manylinux2014_x86_64");
	assert_null(d.w.build);
	arena_free(&d.arena);

	/* flit: no blank line at the end; hatchling: a build number. */
	PARSE(&d, "Wheel-Version: 1.0\nGenerator: flit 3.9.0\nRoot-Is-Purelib: true\n"
		  "Tag: py3-none-any");
	assert_true(d.w.root_is_purelib);
	assert_string_equal(d.w.generator, "flit 3.9.0");
	assert_int_equal(d.w.tags_len, 1);
	assert_string_equal(d.w.tags[0], "py3-none-any");
	arena_free(&d.arena);
	PARSE(&d, "Wheel-Version: 1.0\r\nGenerator: hatchling 1.18.0\r\nRoot-Is-Purelib: true\r\n"
		  "Tag: py2-none-any\r\nTag: py3-none-any\r\nBuild: 1foo\r\n");
	assert_string_equal(d.w.build, "1foo");
	assert_string_equal(d.w.tags[1], "py3-none-any");
	arena_free(&d.arena);
}

static void
test_variations(void **state)
{
	static const struct {
		const char *version;
		unsigned major, minor;
		bool newer;
	} versions[] = {
		{ "1.0", 1, 0, false }, { "1", 1, 0, false },     { "1.1", 1, 1, true },
		{ "1.0.1", 1, 0, true }, { " 1.0 ", 1, 0, false }, { "1.12", 1, 12, true },
		{ "01.0", 1, 0, false },
	};
	char text[200];
	size_t i;
	Doc d;

	(void)state;
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		snprintf(text, sizeof(text), "Wheel-Version: %s\nRoot-Is-Purelib: true\n",
			 versions[i].version);
		parse_ok(&d, text, strlen(text));
		assert_int_equal(d.w.version_major, versions[i].major);
		assert_int_equal(d.w.version_minor, versions[i].minor);
		assert_int_equal(d.w.newer_minor, versions[i].newer);
		arena_free(&d.arena);
	}
	/* Field names in any case, the value in any case with white space around it. */
	PARSE(&d, "wheel-version:1.0\nROOT-IS-PURELIB:   True  \ntag: py3-none-any\n");
	assert_true(d.w.root_is_purelib);
	assert_int_equal(d.w.tags_len, 1);
	arena_free(&d.arena);
	PARSE(&d, "Wheel-Version: 1.0\nRoot-Is-Purelib: FALSE\n");
	assert_false(d.w.root_is_purelib);
	assert_int_equal(d.w.tags_len, 0);
	arena_free(&d.arena);
	/* What follows the first blank line is a body, not fields; unknown fields are
	 * ignored, and only the first Generator counts. */
	PARSE(&d, "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nX-Other: 1\nGenerator: a\n"
		  "Generator: b\n\nTag: py3-none-any\nRoot-Is-Purelib: false\n");
	assert_true(d.w.root_is_purelib);
	assert_int_equal(d.w.tags_len, 0);
	assert_string_equal(d.w.generator, "a");
	arena_free(&d.arena);
}

static void
test_errors(void **state)
{
	(void)state;
	ERR("Root-Is-Purelib: true\n", WHAT ": missing required field 'Wheel-Version'");
	ERR("", WHAT ": missing required field 'Wheel-Version'");
	ERR("Wheel-Version: 1.0\nTag: py3-none-any\n",
	    WHAT ": missing required field 'Root-Is-Purelib'");
	ERR("Generator: x\nWheel-Version: 2.0\nRoot-Is-Purelib: true\n",
	    WHAT ":2: Wheel-Version \"2.0\" is not supported (only 1.x is)");
	ERR("Wheel-Version: 0.9\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \"0.9\" is not supported (only 1.x is)");
	ERR("Wheel-Version: 1.0a\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \"1.0a\" is not a version (it should read \"1.0\")");
	ERR("Wheel-Version: 1.\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \"1.\" is not a version (it should read \"1.0\")");
	ERR("Wheel-Version: .1\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \".1\" is not a version (it should read \"1.0\")");
	ERR("Wheel-Version:\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \"\" is not a version (it should read \"1.0\")");
	ERR("Wheel-Version: 1.99999999999\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \"1.99999999999\" is not a version (it should read \"1.0\")");
	ERR("Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n",
	    WHAT ":2: Root-Is-Purelib \"yes\" is neither true nor false");
	ERR("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nwheel-version: 1.0\n",
	    WHAT ":3: field \"wheel-version\" given again (first at line 1); it may appear only "
		 "once");
	ERR("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nRoot-Is-Purelib: false\n",
	    WHAT ":3: field \"Root-Is-Purelib\" given again (first at line 2); it may appear "
		 "only once");
	ERR("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nGenerator: \xff\n",
	    WHAT ":3: field \"Generator\" is not valid UTF-8 (byte 0xff)");
	/* An escape sequence in a value is shown escaped. */
	ERR("Wheel-Version: \x1b[2J\nRoot-Is-Purelib: true\n",
	    WHAT ":1: Wheel-Version \"\\x1b[2J\" is not a version (it should read \"1.0\")");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writers),
		cmocka_unit_test(test_variations),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
