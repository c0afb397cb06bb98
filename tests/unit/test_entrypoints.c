/*
 * test_entrypoints.c - unit tests of entry_points.txt and the scripts made from it
 * (packaging/entrypoints.c).
 *
 * The expected launchers, shebangs and rewritten scripts are the bytes pip 23.0.1
 * (Debian 12's python3-pip, distlib's ScriptMaker inside) wrote when installing a small
 * wheel with `VENV/bin/pip install --no-deps --no-index demo-1.0-py3-none-any.whl` into
 * venvs made by `python3 -m venv` at /tmp/pkgpip/v1, at "/tmp/pkgpip/sp ace/v" and at
 * paths of 123 and 126 bytes; the wheel had
 *     [console_scripts]
 *     demo = demo:main
 *     demo-run = demo:C.run [extra]
 * and .data/scripts/ files starting "#!python -u\r\n", "#!pythonw\n", "#!python" (no
 * line break) and "#!/usr/bin/env python\n". The one expected difference from pip is the
 * "#!python" rewrite for a path with a space, where pip writes a shebang that cannot
 * run (see entrypoints.c).
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
#include "packaging/entrypoints.h"

#define WHAT "demo-1.0.dist-info/entry_points.txt"

typedef struct Doc {
	Arena arena;
	EntryPoint *eps;
	size_t n;
	Err err;
} Doc;

static void
parse_ok(Doc *d, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	if (entrypoints_parse(text, len, WHAT, &d->arena, &d->eps, &d->n, &d->err) != 0) {
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
	if (entrypoints_parse(text, len, WHAT, &d.arena, &d.eps, &d.n, &d.err) != -1 ||
	    strcmp(d.err.msg, want) != 0) {
		print_error("input:\n%s\nwanted: %s\ngot:    %s\n", text, want, d.err.msg);
		fail();
	}
	assert_null(d.eps);
	assert_int_equal(d.n, 0);
	arena_free(&d.arena);
}

#define ERR(text, want) check_error_n(text, sizeof(text) - 1, want)

static void
check_ep(const EntryPoint *ep, const char *group, const char *name, const char *value,
	 const char *module, const char *attr, unsigned line)
{
	assert_string_equal(ep->group, group);
	assert_string_equal(ep->name, name);
	assert_string_equal(ep->value, value);
	assert_string_equal(ep->module, module);
	if (attr)
		assert_string_equal(ep->attr, attr);
	else
		assert_null(ep->attr);
	assert_int_equal(ep->line, line);
}

static void
test_parse(void **state)
{
	Doc d;

	(void)state;
	/* As setuptools writes it. */
	PARSE(&d, "[console_scripts]\n"
		  "demo = demo:main\n"
		  "demo-run = demo:C.run [extra]\n"
		  "\n"
		  "[gui_scripts]\n"
		  "demo-gui = demo.gui:App.main\n"
		  "\n"
		  "[demo.plugins]\n"
		  "plain = demo.plugin\n");
	assert_int_equal(d.n, 4);
	check_ep(&d.eps[0], "console_scripts", "demo", "demo:main", "demo", "main", 2);
	check_ep(&d.eps[1], "console_scripts", "demo-run", "demo:C.run [extra]", "demo", "C.run", 3);
	check_ep(&d.eps[2], "gui_scripts", "demo-gui", "demo.gui:App.main", "demo.gui", "App.main",
		 6);
	check_ep(&d.eps[3], "demo.plugins", "plain", "demo.plugin", "demo.plugin", NULL, 9);
	arena_free(&d.arena);

	/* CRLF and CR, comments (indented too), white space everywhere, a name with inner
	 * spaces and case kept, spaces around ':', extras with spaces, non-ASCII names, a
	 * section given twice, '=' inside the value, a last line without a break. */
	PARSE(&d, "# made by hand\r\n"
		  "[console_scripts]\r\n"
		  "  ; a comment\r\n"
		  "\t My Tool\t=\t pkg.cli : main  \r\n"
		  "Tool = pkg:run[ a , b ]\r"
		  "\xc3\xa9t\xc3\xa9 = p\xc3\xa9kg:f\xc3\xbcn\n"
		  "[other]\n"
		  "x=m\n"
		  "[console_scripts]\n"
		  "tool = _m._n:_f9.g");
	assert_int_equal(d.n, 5);
	check_ep(&d.eps[0], "console_scripts", "My Tool", "pkg.cli : main", "pkg.cli", "main", 4);
	check_ep(&d.eps[1], "console_scripts", "Tool", "pkg:run[ a , b ]", "pkg", "run", 5);
	check_ep(&d.eps[2], "console_scripts", "\xc3\xa9t\xc3\xa9", "p\xc3\xa9kg:f\xc3\xbcn",
		 "p\xc3\xa9kg", "f\xc3\xbcn", 6);
	check_ep(&d.eps[3], "other", "x", "m", "m", NULL, 8);
	check_ep(&d.eps[4], "console_scripts", "tool", "_m._n:_f9.g", "_m._n", "_f9.g", 10);
	arena_free(&d.arena);

	/* A section name is kept as written; empty files and sections are fine. */
	PARSE(&d, "[ spaced ]\na = b:c\n[empty]\n");
	check_ep(&d.eps[0], " spaced ", "a", "b:c", "b", "c", 2);
	arena_free(&d.arena);
	PARSE(&d, "");
	assert_int_equal(d.n, 0);
	arena_free(&d.arena);
	PARSE(&d, "\n# only a comment\n\n");
	assert_int_equal(d.n, 0);
	arena_free(&d.arena);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	ERR("main = a:b\n", WHAT ":1: \"main = a:b\" is outside any [section]");
	ERR("[console_scripts\n", WHAT ":1: the section header \"[console_scripts\" has no ']'");
	ERR("[a] junk\n", WHAT ":1: text after the section header \"[a] junk\"");
	ERR("[]\n", WHAT ":1: the section header '[]' has no name");
	ERR("[a]\nx = y:z\njust text\n",
	    WHAT ":3: \"just text\" has no '=' (entries read \"name = module:object\")");
	ERR("[a]\n = y:z\n", WHAT ":2: an entry without a name before '='");
	ERR("[a]\n\nmain =  \n", WHAT ":3: \"main\" has no value");
	ERR("[a]\nx = y:z\nx = y:w\n", WHAT ":3: \"x\" given again in section \"a\" (first at "
					"line 2)");
	ERR("[a]\nx = y:z\n[b]\nx = y:z\n[a]\nx = q:r\n",
	    WHAT ":6: \"x\" given again in section \"a\" (first at line 2)");
	ERR("[a]\nx = 1y:z\n", WHAT ":2: \"x\" = \"1y:z\": the module is not a dotted Python name");
	ERR("[a]\nx = my-mod:z\n",
	    WHAT ":2: \"x\" = \"my-mod:z\": the module is not a dotted Python name");
	ERR("[a]\nx = a..b:z\n", WHAT ":2: \"x\" = \"a..b:z\": the module is not a dotted Python "
				 "name");
	ERR("[a]\nx = .a:z\n", WHAT ":2: \"x\" = \".a:z\": the module is not a dotted Python name");
	ERR("[a]\nx = :z\n", WHAT ":2: \"x\" = \":z\": the module is not a dotted Python name");
	ERR("[a]\nx = a b:z\n", WHAT ":2: \"x\" = \"a b:z\": the module is not a dotted Python "
				"name");
	ERR("[a]\nx = a:\n", WHAT ":2: \"x\" = \"a:\": the object after ':' is not a dotted "
			     "Python name");
	ERR("[a]\nx = a:b.\n", WHAT ":2: \"x\" = \"a:b.\": the object after ':' is not a dotted "
			       "Python name");
	ERR("[a]\nx = a:b:c\n", WHAT ":2: \"x\" = \"a:b:c\": the object after ':' is not a "
				"dotted Python name");
	ERR("[a]\nx = a:b()\n", WHAT ":2: \"x\" = \"a:b()\": the object after ':' is not a "
				"dotted Python name");
	ERR("[a]\nx = a:b [e\n", WHAT ":2: \"x\" = \"a:b [e\": the extras are not closed by a "
				 "final ']'");
	ERR("[a]\nx = a:b [e] c\n", WHAT ":2: \"x\" = \"a:b [e] c\": the extras are not closed by "
				    "a final ']'");
	ERR("[a]\r\nx = a:b\r\n\xff = c\r\n", WHAT ":3: not valid UTF-8 (byte 0xff)");
	check_error_n("[a]\r\n\r\nx = a\0:b\n", 16, WHAT ":3: a NUL byte");
	/* Escape sequences in messages are shown escaped. */
	ERR("[a]\n\x1b[2J\n", WHAT ":2: \"\\x1b[2J\" has no '=' (entries read \"name = "
			      "module:object\")");
}

static void
test_script_name(void **state)
{
	(void)state;
	assert_true(entrypoints_script_name_ok("demo"));
	assert_true(entrypoints_script_name_ok("demo-run"));
	assert_true(entrypoints_script_name_ok("My Tool"));
	assert_true(entrypoints_script_name_ok("\xc3\xa9t\xc3\xa9"));
	assert_true(entrypoints_script_name_ok("a..b"));
	assert_true(entrypoints_script_name_ok(".hidden"));
	assert_false(entrypoints_script_name_ok(""));
	assert_false(entrypoints_script_name_ok("."));
	assert_false(entrypoints_script_name_ok(".."));
	assert_false(entrypoints_script_name_ok("../evil"));
	assert_false(entrypoints_script_name_ok("a/b"));
	assert_false(entrypoints_script_name_ok("/abs"));
	assert_false(entrypoints_script_name_ok("-rf"));
	assert_false(entrypoints_script_name_ok("new\nline"));
	assert_false(entrypoints_script_name_ok("esc\x1b[2J"));
	assert_false(entrypoints_script_name_ok("del\x7f"));
}

/* The interpreter paths of the venvs pip installed into. */
#define PY_PLAIN "/tmp/pkgpip/v1/bin/python3"
#define PY_SPACE "/tmp/pkgpip/sp ace/v/bin/python3"
#define X10 "xxxxxxxxxx"
#define Y10 "yyyyyyyyyy"
/* 126 bytes: too long for a "#!" line; and 123 bytes, not too long. */
#define PY_LONG "/tmp/pkgpip/" X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 "/v/bin/python3"
#define PY_123 "/tmp/pkgpip/" Y10 Y10 Y10 Y10 Y10 Y10 Y10 Y10 Y10 "yyyyyyy/v/bin/python3"

#define TEMPLATE_AFTER_SHEBANG(import, call)                                              \
	"# -*- coding: utf-8 -*-\n"                                                       \
	"import re\n"                                                                     \
	"import sys\n"                                                                    \
	"from demo import " import "\n"                                                   \
	"if __name__ == '__main__':\n"                                                    \
	"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"        \
	"    sys.exit(" call ")\n"

static void
test_shebang(void **state)
{
	static const struct {
		const char *python, *want;
	} cases[] = {
		{ PY_PLAIN, "#!" PY_PLAIN "\n" },
		{ PY_123, "#!" PY_123 "\n" },
		{ PY_SPACE, "#!/bin/sh\n'''exec' \"" PY_SPACE "\" \"$0\" \"$@\"\n' '''\n" },
		{ PY_LONG, "#!/bin/sh\n'''exec' " PY_LONG " \"$0\" \"$@\"\n' '''\n" },
	};
	size_t i;

	(void)state;
	assert_int_equal(strlen(PY_LONG), 126);
	assert_int_equal(strlen(PY_123), 123);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Buf b = { 0 };

		entrypoints_shebang(cases[i].python, &b);
		assert_string_equal(b.data, cases[i].want);
		buf_free(&b);
	}
}

static void
test_launcher(void **state)
{
	static const char demo_plain[] = "#!" PY_PLAIN "\n" TEMPLATE_AFTER_SHEBANG("main", "main()");
	static const char run_plain[] = "#!" PY_PLAIN "\n" TEMPLATE_AFTER_SHEBANG("C", "C.run()");
	static const char demo_space[] =
		"#!/bin/sh\n'''exec' \"" PY_SPACE "\" \"$0\" \"$@\"\n' '''\n"
		TEMPLATE_AFTER_SHEBANG("main", "main()");
	static const char demo_long[] = "#!/bin/sh\n'''exec' " PY_LONG " \"$0\" \"$@\"\n' '''\n"
		TEMPLATE_AFTER_SHEBANG("main", "main()");
	Buf b = { 0 };
	Err err;
	Doc d;

	(void)state;
	PARSE(&d, "[console_scripts]\ndemo = demo:main\ndemo-run = demo:C.run [extra]\n"
		  "[gui_scripts]\nbare = demo\n");
	assert_int_equal(entrypoints_launcher(&d.eps[0], PY_PLAIN, &b, &err), 0);
	assert_string_equal(b.data, demo_plain);
	buf_clear(&b);
	assert_int_equal(entrypoints_launcher(&d.eps[1], PY_PLAIN, &b, &err), 0);
	assert_string_equal(b.data, run_plain);
	buf_clear(&b);
	assert_int_equal(entrypoints_launcher(&d.eps[0], PY_SPACE, &b, &err), 0);
	assert_string_equal(b.data, demo_space);
	buf_clear(&b);
	assert_int_equal(entrypoints_launcher(&d.eps[0], PY_LONG, &b, &err), 0);
	assert_string_equal(b.data, demo_long);
	buf_clear(&b);
	/* No object to call: refused, nothing written. */
	assert_int_equal(entrypoints_launcher(&d.eps[2], PY_PLAIN, &b, &err), -1);
	assert_int_equal(b.len, 0);
	assert_string_equal(err.msg, "entry point \"bare\" = \"demo\" names no object to call "
				     "(it should read \"module:function\")");
	buf_free(&b);
	arena_free(&d.arena);
}

static void
test_rewrite_script(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *python;
		int rc;
		const char *want;
	} cases[] = {
		/* What pip 23.0.1 wrote (the interpreter arguments and the CR are dropped). */
		{ "#!python -u\r\nprint('tool')\n", 27, PY_PLAIN, 1,
		  "#!" PY_PLAIN "\nprint('tool')\n" },
		{ "#!pythonw\nprint('toolw')\n", 25, PY_PLAIN, 1, "#!" PY_PLAIN "\nprint('toolw')\n" },
		{ "#!python", 8, PY_PLAIN, 1, "#!" PY_PLAIN "\n" },
		{ "#!python\n\0binary\n", 17, PY_PLAIN, 1, NULL },
		/* Left alone, as pip leaves them. */
		{ "#!/usr/bin/env python\nprint(1)\n", 31, PY_PLAIN, 0, "" },
		{ "#!pytho", 7, PY_PLAIN, 0, "" },
		{ "", 0, PY_PLAIN, 0, "" },
		{ " #!python\n", 10, PY_PLAIN, 0, "" },
		/* Ours, not pip's: a path with a space gets the portable lines. */
		{ "#!python\nprint(2)\n", 18, PY_SPACE, 1,
		  "#!/bin/sh\n'''exec' \"" PY_SPACE "\" \"$0\" \"$@\"\n' '''\nprint(2)\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Buf b = { 0 };

		assert_int_equal(strlen(cases[i].in) <= cases[i].len, 1);
		assert_int_equal(entrypoints_rewrite_script(cases[i].in, cases[i].len,
							    cases[i].python, &b),
				 cases[i].rc);
		if (cases[i].want) {
			assert_int_equal(b.len, strlen(cases[i].want));
			assert_memory_equal(b.data ? b.data : "", cases[i].want, b.len);
		} else {
			/* Bytes after the first line are kept as they are, NUL included. */
			static const char want[] = "#!" PY_PLAIN "\n\0binary\n";

			assert_int_equal(b.len, sizeof(want) - 1);
			assert_memory_equal(b.data, want, b.len);
		}
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_script_name),
		cmocka_unit_test(test_shebang),
		cmocka_unit_test(test_launcher),
		cmocka_unit_test(test_rewrite_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
