/*
 * test_metadata.c - unit tests of core metadata parsing (packaging/metadata.c).
 *
 * There are no conformance vectors for metadata, so the inputs are metadata files of
 * the kinds found in the wild, written out here: a 2.4 file using every field, the
 * PKG-INFO of distutils (1.0, 1.1) with the description in a folded field, a 1.2 file
 * with old-style "name (>=1)" requirements, a CRLF file with folded fields and a body,
 * and broken ones: not UTF-8, required fields missing, single-use fields repeated,
 * unknown versions, invalid requirements and extras.
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
#include "packaging/metadata.h"

typedef struct Doc {
	Arena arena;
	Metadata m;
	Err err;
} Doc;

static void
parse_ok(Doc *d, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	if (metadata_parse(text, len, &d->arena, &d->m, &d->err) != 0) {
		print_error("rejected: %s\n", d->err.msg);
		fail();
	}
}

#define PARSE(d, text) parse_ok(d, text, sizeof(text) - 1)

static void
done(Doc *d)
{
	arena_free(&d->arena);
}

/* The input must be rejected with a message containing each of the phrases. */
static void
check_error_n(const char *text, size_t len, const char *phrase1, const char *phrase2)
{
	Doc d;

	memset(&d, 0, sizeof(d));
	if (metadata_parse(text, len, &d.arena, &d.m, &d.err) != -1 ||
	    !strstr(d.err.msg, phrase1) || (phrase2 && !strstr(d.err.msg, phrase2))) {
		print_error("input:\n%s\nwanted an error with '%s' and '%s', got: %s\n", text,
			    phrase1, phrase2 ? phrase2 : "", d.err.msg);
		fail();
	}
	assert_null(d.m.name);
	done(&d);
}

#define ERR(text, p1, p2) check_error_n(text, sizeof(text) - 1, p1, p2)

static const char everything[] =
	"Metadata-Version: 2.4\n"
	"Name: Beagle_Vote\n"
	"Version: 1.0a2\n"
	"Dynamic: Obsoletes-Dist\n"
	"Platform: ObscureUnix\n"
	"Platform: RareDOS\n"
	"Supported-Platform: RedHat 7.2\n"
	"Supported-Platform: i386-win32-2791\n"
	"Summary: Collects votes from beagles.\n"
	"Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM\n"
	"Keywords: dog,puppy,voting,election\n"
	"Home-page: https://www.example.com/~cschultz/bvote/\n"
	"Download-URL: https://www.example.com/bvote/BeagleVote-1.0a2.tar.gz\n"
	"Author: C. Schultz, Universal Features Syndicate,\n"
	"        Los Angeles, CA <cschultz@peanuts.example.com>\n"
	"Author-email: \"C. Schultz\" <cschultz@example.com>\n"
	"Maintainer: Snoopy\n"
	"Maintainer-email: snoopy@example.com\n"
	"License: Send the author a postcard,\n"
	"        then do as you please.\n"
	"License-Expression: Apache-2.0 OR BSD-2-Clause\n"
	"License-File: LICENSE.APACHE\n"
	"License-File: licenses/LICENSE.BSD\n"
	"Classifier: Development Status :: 4 - Beta\n"
	"Classifier: Environment :: Console (Text Based)\n"
	"Requires-Dist: reportlab; extra == 'PDF'\n"
	"Requires-Dist: pkginfo\n"
	"Requires-Dist: PasteDeploy\n"
	"Requires-Dist: zope.interface (>3.5.0)\n"
	"Requires-Dist: pywin32 >1.0; sys_platform == 'win32'\n"
	"Requires-Python: >=3.8, <4\n"
	"Requires-External: C\n"
	"Requires-External: libpng (>=1.5)\n"
	"Requires-External: make; sys_platform != \"win32\"\n"
	"Project-URL: Bug Tracker, https://example.com/bvote/issues\n"
	"Project-URL: Documentation, https://example.com/bvote/docs\n"
	"Provides-Extra: pdf\n"
	"Provides-Extra: Test_Suite\n"
	"Provides-Dist: OtherProject\n"
	"Provides-Dist: AnotherProject (3.4)\n"
	"Provides-Dist: virtual_package; python_version >= \"3.4\"\n"
	"Obsoletes-Dist: Gorgon\n"
	"Obsoletes-Dist: OtherProject (<3.0)\n"
	"\n"
	"# Beagle Vote\n"
	"\n"
	"Votes, collected from beagles. Caf\xC3\xA9 included.\n";

static void
test_everything(void **state)
{
	Doc d;
	const char **all;
	size_t n;

	(void)state;
	PARSE(&d, everything);
	assert_string_equal(d.m.metadata_version, "2.4");
	assert_int_equal(d.m.version_major, 2);
	assert_int_equal(d.m.version_minor, 4);
	assert_false(d.m.newer_minor);
	assert_string_equal(d.m.name, "Beagle_Vote");
	assert_string_equal(d.m.normalized_name, "beagle-vote");
	assert_string_equal(d.m.version.str, "1.0a2");
	assert_string_equal(d.m.summary, "Collects votes from beagles.");
	assert_string_equal(d.m.description,
			    "# Beagle Vote\n\nVotes, collected from beagles. Caf\xC3\xA9 included.\n");
	assert_string_equal(d.m.requires_python_text, ">=3.8, <4");
	assert_int_equal(d.m.requires_python.len, 2);

	assert_int_equal(d.m.requires_dist_len, 5);
	assert_string_equal(d.m.requires_dist[0].name, "reportlab");
	assert_string_equal(marker_format(d.m.requires_dist[0].marker, &d.arena), "extra == \"pdf\"");
	assert_string_equal(d.m.requires_dist[3].name, "zope.interface");
	assert_string_equal(specset_format(&d.m.requires_dist[3].spec, &d.arena), ">3.5.0");
	assert_string_equal(requirement_format(&d.m.requires_dist[4], &d.arena),
			    "pywin32>1.0; sys_platform == \"win32\"");

	assert_int_equal(d.m.provides_extra_len, 2);
	assert_string_equal(d.m.provides_extra[0], "pdf");
	assert_string_equal(d.m.provides_extra[1], "test-suite");
	assert_int_equal(d.m.provides_extra_ignored, 0);

	/* Every header, in order; folded values keep their line breaks. */
	assert_int_equal(d.m.fields_len, 41);
	assert_string_equal(d.m.fields[0].name, "Metadata-Version");
	assert_int_equal(d.m.fields[13].line, 14);
	assert_string_equal(metadata_get(&d.m, "author"),
			    "C. Schultz, Universal Features Syndicate,\n"
			    "        Los Angeles, CA <cschultz@peanuts.example.com>");
	assert_int_equal(metadata_field(&d.m, "AUTHOR-EMAIL")->line, 16);
	assert_string_equal(metadata_get(&d.m, "license-expression"), "Apache-2.0 OR BSD-2-Clause");
	assert_null(metadata_get(&d.m, "Description"));
	assert_null(metadata_get(&d.m, "Import-Name"));
	all = metadata_get_all(&d.m, "project-url", &d.arena, &n);
	assert_int_equal(n, 2);
	assert_string_equal(all[1], "Documentation, https://example.com/bvote/docs");
	all = metadata_get_all(&d.m, "Requires-External", &d.arena, &n);
	assert_int_equal(n, 3);
	assert_string_equal(all[2], "make; sys_platform != \"win32\"");
	all = metadata_get_all(&d.m, "nothing", &d.arena, &n);
	assert_int_equal(n, 0);
	done(&d);
}

static void
test_distutils_pkg_info(void **state)
{
	Doc d;

	(void)state;
	/* distutils 1.0: the description is a field, continuation lines indented by 8
	 * spaces (an empty line is 8 spaces, so that it does not end the headers). */
	PARSE(&d, "Metadata-Version: 1.0\n"
		  "Name: oldpkg\n"
		  "Version: 0.9\n"
		  "Summary: An old package\n"
		  "Home-page: http://example.com/\n"
		  "Author: Someone\n"
		  "Author-email: someone@example.com\n"
		  "License: UNKNOWN\n"
		  "Description: First line.\n"
		  "        \n"
		  "        Second paragraph, with\n"
		  "            a code block\n"
		  "Platform: UNKNOWN\n");
	assert_int_equal(d.m.version_major, 1);
	assert_int_equal(d.m.version_minor, 0);
	assert_string_equal(d.m.description,
			    "First line.\n\nSecond paragraph, with\n    a code block");
	assert_string_equal(metadata_get(&d.m, "platform"), "UNKNOWN");
	assert_int_equal(d.m.requires_dist_len, 0);
	assert_int_equal(d.m.requires_python.len, 0);
	assert_null(d.m.requires_python_text);
	done(&d);

	/* 1.1 as older setuptools wrote it: 7 spaces and '|' before each continuation. */
	PARSE(&d, "Metadata-Version: 1.1\n"
		  "Name: pipe-style\n"
		  "Version: 2.0\n"
		  "Description: Line one\n"
		  "       |Line two\n"
		  "       |\n"
		  "       |Line four\n"
		  "Requires: os\n"
		  "Provides: pipe_style\n"
		  "Classifier: Programming Language :: Python\n");
	assert_string_equal(d.m.description, "Line one\nLine two\n\nLine four");
	assert_string_equal(metadata_get(&d.m, "requires"), "os");
	done(&d);
}

static void
test_metadata_1_2(void **state)
{
	Doc d;

	(void)state;
	PARSE(&d, "Metadata-Version: 1.2\n"
		  "Name: twelve\n"
		  "Version: 1.2.3\n"
		  "Requires-Python: >=2.6, !=3.0.*\n"
		  "Requires-Dist: foo (>=1.0,<2.0)\n"
		  "Requires-Dist: bar (==1.*); python_version < \"3\"\n"
		  "Requires-External: libxml2\n"
		  "Provides-Extra: Not A Valid Name!\n"
		  "Provides-Extra: fine\n");
	assert_int_equal(d.m.requires_python.len, 2);
	assert_int_equal(d.m.requires_dist_len, 2);
	assert_string_equal(requirement_format(&d.m.requires_dist[0], &d.arena), "foo<2.0,>=1.0");
	assert_string_equal(requirement_format(&d.m.requires_dist[1], &d.arena),
			    "bar==1.*; python_version < \"3\"");
	/* Before 2.3 an invalid extra is skipped, and counted. */
	assert_int_equal(d.m.provides_extra_len, 1);
	assert_string_equal(d.m.provides_extra[0], "fine");
	assert_int_equal(d.m.provides_extra_ignored, 1);
	done(&d);
}

static void
test_crlf_folding_body(void **state)
{
	Doc d;

	(void)state;
	PARSE(&d, "Metadata-Version: 2.1\r\n"
		  "Name: crlf\r\n"
		  "Version: 1\r\n"
		  "Summary: folded\r\n"
		  "  summary\r\n"
		  "Requires-Dist: a;\r\n"
		  "  python_version < \"4\"\r\n"
		  "Requires-Python:\r\n"
		  "\t>=3.9\r\n"
		  "Keywords:\r\n"
		  "X-Custom:   spaced value  \r\n"
		  "\r\n"
		  "Body line 1\r\n"
		  "Body line 2\r\n");
	/* Folded values are kept as written (compat32), except those we parse. */
	assert_string_equal(d.m.summary, "folded\r\n  summary");
	assert_string_equal(requirement_format(&d.m.requires_dist[0], &d.arena),
			    "a; python_version < \"4\"");
	assert_string_equal(d.m.requires_python_text, "\t>=3.9");
	assert_string_equal(metadata_get(&d.m, "keywords"), "");
	assert_string_equal(metadata_get(&d.m, "x-custom"), "spaced value  ");
	assert_string_equal(d.m.description, "Body line 1\nBody line 2\n");
	done(&d);

	/* Old Mac line ends, and a value whose first line is empty. */
	PARSE(&d, "Metadata-Version: 2.2\rName: cr\rVersion: 2\rLicense:\r  MIT\r\rtext\r");
	assert_string_equal(metadata_get(&d.m, "license"), "\r  MIT");
	assert_string_equal(d.m.description, "text\n");
	done(&d);
}

static void
test_header_block_edges(void **state)
{
	Doc d;

	(void)state;
	/* An mbox "From " line, a continuation before any field, an empty name: dropped. */
	PARSE(&d, "From nobody Mon Jan  1 00:00:00 2024\n"
		  "  stray continuation\n"
		  ": no name\n"
		  "  its continuation\n"
		  "Metadata-Version: 2.1\n"
		  "Name: edges\n"
		  "Version: 3\n");
	assert_int_equal(d.m.fields_len, 3);
	assert_null(d.m.description);
	done(&d);

	/* A line that is neither a field nor a continuation starts the body. */
	PARSE(&d, "Metadata-Version: 2.1\n"
		  "Name: nobreak\n"
		  "Version: 3\n"
		  "This is not a header\n"
		  "Name: not-a-field-any-more\n");
	assert_string_equal(d.m.name, "nobreak");
	assert_string_equal(d.m.description, "This is not a header\nName: not-a-field-any-more\n");
	done(&d);

	/* A line of white space is a continuation, not the end of the headers. */
	PARSE(&d, "Metadata-Version: 2.1\nName: ws\nVersion: 3\nSummary: a\n \nb: c\n\nbody");
	assert_string_equal(d.m.summary, "a\n ");
	assert_string_equal(metadata_get(&d.m, "B"), "c");
	assert_string_equal(d.m.description, "body");
	done(&d);

	/* No line break at the end, no body. */
	PARSE(&d, "Metadata-Version: 2.1\nName: end\nVersion: 3");
	assert_string_equal(d.m.version.str, "3");
	assert_null(d.m.description);
	done(&d);
}

static void
test_versions(void **state)
{
	Doc d;

	(void)state;
	PARSE(&d, "Metadata-Version: 2.0\nName: wheel-2013\nVersion: 1\n");
	assert_false(d.m.newer_minor);
	done(&d);
	PARSE(&d, "Metadata-Version: 2.5\nName: x\nVersion: 1\nImport-Name: x\n");
	assert_true(d.m.newer_minor);
	assert_string_equal(metadata_get(&d.m, "import-name"), "x");
	done(&d);
	PARSE(&d, "Metadata-Version: 2.6\nName: x\nVersion: 1\n");
	assert_true(d.m.newer_minor);
	assert_int_equal(d.m.version_minor, 6);
	done(&d);
	ERR("Metadata-Version: 3.0\nName: x\nVersion: 1\n", "line 1", "newer major version");
	ERR("Metadata-Version: 2\nName: x\nVersion: 1\n", "'2' is not a known Metadata-Version", NULL);
	ERR("Metadata-Version: 1.3\nName: x\nVersion: 1\n", "'1.3' is not a known", NULL);
	ERR("Metadata-Version: 2.1 \nName: x\nVersion: 1\n", "'2.1 ' is not a known", NULL);
	ERR("Metadata-Version: two\nName: x\nVersion: 1\n", "not a known Metadata-Version", NULL);
}

static void
test_required_and_repeated(void **state)
{
	(void)state;
	ERR("", "missing required field 'Metadata-Version'", NULL);
	ERR("\nMetadata-Version: 2.1\nName: x\nVersion: 1\n", "missing required field", NULL);
	ERR("Metadata-Version: 2.1\nVersion: 1\n", "missing required field 'Name'", NULL);
	ERR("Metadata-Version: 2.1\nName: x\n", "missing required field 'Version'", NULL);
	ERR("Metadata-Version: 2.1\nName:\nVersion: 1\n", "line 2: Name '' is not a valid", NULL);
	ERR("Metadata-Version: 2.1\nName: a b\nVersion: 1\n", "Name 'a b' is not a valid", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1.0-beta.final\n",
	    "line 3: Version '1.0-beta.final' is invalid", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nversion: 2\n",
	    "line 4: field 'version' given again (first at line 3)", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: a\nSummary: b\n",
	    "line 5: field 'Summary' given again", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: >=3\n"
	    "Requires-Python: <4\n",
	    "'Requires-Python' given again", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nDescription: a\n\nand a body\n",
	    "line 4: the description is given both", NULL);
}

static void
test_utf8(void **state)
{
	Doc d;

	(void)state;
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: caf\xE9\n",
	    "line 4: field 'Summary' is not valid UTF-8 (byte 0xe9)", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nAuthor: A\n  B\xC3\n",
	    "field 'Author' is not valid UTF-8", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\n\nbody \xED\xA0\x80\n",
	    "the description (the body after the headers) is not valid UTF-8", "byte 0xed");
	/* A name with bytes outside printable ASCII is no field name: the body starts. */
	PARSE(&d, "Metadata-Version: 2.1\nName: x\nVersion: 1\nN\xC3\xA4me: y\n");
	assert_string_equal(d.m.description, "N\xC3\xA4me: y\n");
	done(&d);
	/* NUL bytes are UTF-8; they stay in the value, whose length counts them. */
	{
		static const char text[] = "Metadata-Version: 2.1\nName: x\nVersion: 1\nX: a\0b\n";

		parse_ok(&d, text, sizeof(text) - 1);
		assert_int_equal(metadata_field(&d.m, "x")->value_len, 3);
		done(&d);
	}
	/* ... but not in a requirement, which is not cut short at the NUL either. */
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: foo\0bar\n",
	    "line 4: Requires-Dist 'foo' is invalid", "foo?bar");
}

static void
test_requirements_and_extras(void **state)
{
	Doc d;

	(void)state;
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: ok\nRequires-Dist: bad >>= 1\n",
	    "line 5: Requires-Dist 'bad >>= 1' is invalid", "Expected");
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: >=3.x\n",
	    "line 4: Requires-Python '>=3.x' is invalid", NULL);
	ERR("Metadata-Version: 2.3\nName: x\nVersion: 1\nProvides-Extra: not valid\n",
	    "line 4: Provides-Extra 'not valid' is not a valid name", NULL);
	ERR("Metadata-Version: 2.4\nName: x\nVersion: 1\nProvides-Extra: -dash\n",
	    "Provides-Extra '-dash'", NULL);
	PARSE(&d, "Metadata-Version: 2.2\nName: x\nVersion: 1\nProvides-Extra: not valid\n"
		  "Provides-Extra: Dev\nProvides-Extra: dev\n");
	assert_int_equal(d.m.provides_extra_ignored, 1);
	assert_int_equal(d.m.provides_extra_len, 1);
	assert_string_equal(d.m.provides_extra[0], "dev");
	done(&d);
	PARSE(&d, "Metadata-Version: 2.3\nName: x\nVersion: 1\nProvides-Extra: Foo_Bar\n"
		  "Requires-Dist: b[Foo_Bar]; extra == \"Foo.Bar\"\n");
	assert_string_equal(d.m.provides_extra[0], "foo-bar");
	assert_string_equal(requirement_format(&d.m.requires_dist[0], &d.arena),
			    "b[Foo_Bar]; extra == \"foo-bar\"");
	done(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_distutils_pkg_info),
		cmocka_unit_test(test_metadata_1_2),
		cmocka_unit_test(test_crlf_folding_body),
		cmocka_unit_test(test_header_block_edges),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_required_and_repeated),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_requirements_and_extras),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
