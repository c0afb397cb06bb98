/*
 * test_metadata.c - unit tests of core metadata parsing (packaging/metadata.c).
 *
 * There are no conformance vectors for metadata, so the inputs are metadata files of
 * the kinds found in the wild, written out here: a 2.4 file using every field, the
 * PKG-INFO of distutils (1.0, 1.1) with the description in a folded field, a 1.2 file
 * with old-style "name (>=1)" requirements, a CRLF file with folded fields and a body,
 * and broken ones: not UTF-8, required fields missing, single-use fields repeated,
 * unknown versions, invalid requirements and extras. "From " lines are checked against
 * what Python's email parser (compat32) makes of the same bytes, and every message
 * that quotes a value against hostile values: escapes, NUL bytes, C1 controls, and
 * values longer than a message can hold.
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
	/* 2.5 (PEP 794) and 2.6 (PEP 808) are known versions; 2.7 is newer. */
	PARSE(&d, "Metadata-Version: 2.5\nName: x\nVersion: 1\nImport-Name: x\n");
	assert_false(d.m.newer_minor);
	assert_int_equal(d.m.version_minor, 5);
	assert_string_equal(metadata_get(&d.m, "import-name"), "x");
	done(&d);
	PARSE(&d, "Metadata-Version: 2.6\nName: x\nVersion: 1\n");
	assert_false(d.m.newer_minor);
	assert_int_equal(d.m.version_minor, 6);
	done(&d);
	PARSE(&d, "Metadata-Version: 2.7\nName: x\nVersion: 1\n");
	assert_true(d.m.newer_minor);
	assert_int_equal(d.m.version_minor, 7);
	done(&d);
	ERR("Metadata-Version: 3.0\nName: x\nVersion: 1\n", "line 1: Metadata-Version \"3.0\"",
	    "newer major version");
	ERR("Metadata-Version: 2\nName: x\nVersion: 1\n",
	    "Metadata-Version \"2\" is not a known version (1.0, 1.1, 1.2, 2.0 to 2.6, or a later "
	    "2.x)", NULL);
	ERR("Metadata-Version: 1.3\nName: x\nVersion: 1\n", "\"1.3\" is not a known", NULL);
	ERR("Metadata-Version: 2.1 \nName: x\nVersion: 1\n", "\"2.1 \" is not a known", NULL);
	ERR("Metadata-Version: two\nName: x\nVersion: 1\n", "\"two\" is not a known version", NULL);
	/* A NUL byte does not end the value: "2.1\0x" is not 2.1. */
	{
		static const char text[] = "Metadata-Version: 2.1\0x\nName: x\nVersion: 1\n";

		check_error_n(text, sizeof(text) - 1, "\"2.1\\x00x\" is not a known version", NULL);
	}
}

static void
test_required_and_repeated(void **state)
{
	(void)state;
	ERR("", "missing required field 'Metadata-Version'", NULL);
	ERR("\nMetadata-Version: 2.1\nName: x\nVersion: 1\n", "missing required field", NULL);
	ERR("Metadata-Version: 2.1\nVersion: 1\n", "missing required field 'Name'", NULL);
	ERR("Metadata-Version: 2.1\nName: x\n", "missing required field 'Version'", NULL);
	ERR("Metadata-Version: 2.1\nName:\nVersion: 1\n", "line 2: Name \"\" is not a valid", NULL);
	ERR("Metadata-Version: 2.1\nName: a b\nVersion: 1\n", "Name \"a b\" is not a valid", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nversion: 2\n",
	    "line 4: field \"version\" given again (first at line 3)", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: a\nSummary: b\n",
	    "line 5: field \"Summary\" given again", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: >=3\n"
	    "Requires-Python: <4\n",
	    "\"Requires-Python\" given again", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nDescription: a\n\nand a body\n",
	    "line 4: the description is given both", NULL);
}

static void
test_utf8(void **state)
{
	Doc d;

	(void)state;
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: caf\xE9\n",
	    "line 4: field \"Summary\" is not valid UTF-8 (byte 0xe9)", NULL);
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nAuthor: A\n  B\xC3\n",
	    "field \"Author\" is not valid UTF-8", NULL);
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
	{
		static const char text[] = "Metadata-Version: 2.1\nName: x\nVersion: 1\n"
					   "Requires-Dist: foo\0bar\n";

		check_error_n(text, sizeof(text) - 1,
			      "line 4: Requires-Dist is not a valid requirement (PEP 508): Expected "
			      "semicolon (after name with no version specifier) or end\n"
			      "    foo\\x00bar\n       ^",
			      NULL);
	}
}

static void
test_requirements_and_extras(void **state)
{
	Doc d;

	(void)state;
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: ok\nRequires-Dist: bad >>= 1\n",
	    "line 5: Requires-Dist is not a valid requirement (PEP 508): Expected semicolon "
	    "(after name with no version specifier) or end\n    bad >>= 1\n        ^", NULL);
	/* Provides-Extra from 2.3 on: a valid name that is not in the normalized form the
	 * specification asks for is normalized, as packaging and pip do; what is no name at
	 * all is refused. */
	ERR("Metadata-Version: 2.3\nName: x\nVersion: 1\nProvides-Extra: not valid\n",
	    "line 4: Provides-Extra \"not valid\" is not a valid name", NULL);
	ERR("Metadata-Version: 2.4\nName: x\nVersion: 1\nProvides-Extra: -dash\n",
	    "Provides-Extra \"-dash\" is not a valid name", NULL);
	ERR("Metadata-Version: 2.6\nName: x\nVersion: 1\nProvides-Extra: tail_\n",
	    "Provides-Extra \"tail_\" is not a valid name", NULL);
	ERR("Metadata-Version: 2.4\nName: x\nVersion: 1\nProvides-Extra: caf\xC3\xA9\n",
	    "Provides-Extra \"caf\xC3\xA9\" is not a valid name", NULL);
	PARSE(&d, "Metadata-Version: 2.4\nName: x\nVersion: 1\nProvides-Extra: Test.Suite\n"
		  "Provides-Extra: PDF__export\nProvides-Extra: test-suite\n");
	assert_int_equal(d.m.provides_extra_len, 2);
	assert_string_equal(d.m.provides_extra[0], "test-suite");
	assert_string_equal(d.m.provides_extra[1], "pdf-export");
	assert_int_equal(d.m.provides_extra_ignored, 0);
	done(&d);
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

/* How often needle occurs in hay. */
static size_t
occurrences(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_version_messages(void **state)
{
	static const char *const inputs[] = {
		"Metadata-Version: 2.1\nName: x\nVersion: 1.0-beta.final\n",
		"Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: >=3.x\n",
		"Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: >=3.6, >=3.x\n",
	};
	static const char *const starts[] = {
		"line 3: Version \"1.0-beta.final\" is not a valid version (PEP 440): ",
		"line 4: Requires-Python \">=3.x\" is not a valid version specifier: ",
		"line 4: Requires-Python \">=3.6, >=3.x\" is not a valid version specifier: "
		"clause \">=3.x\": ",
	};
	static const char *const values[] = { "1.0-beta.final", ">=3.x", ">=3.6, >=3.x" };
	static const char *const phrases[] = { "is not a valid version (PEP 440)",
						"is not a valid version specifier",
						"is not a valid version specifier" };
	size_t i;

	(void)state;
	/* The value and "is not a valid ..." are said once (version.c and specifier.c
	 * say both too: only their reason is taken), and a reason follows. */
	for (i = 0; i < 3; i++) {
		Doc d;

		memset(&d, 0, sizeof(d));
		assert_int_equal(metadata_parse(inputs[i], strlen(inputs[i]), &d.arena, &d.m, &d.err), -1);
		if (strncmp(d.err.msg, starts[i], strlen(starts[i])) != 0 ||
		    strlen(d.err.msg) <= strlen(starts[i]) || occurrences(d.err.msg, phrases[i]) != 1 ||
		    occurrences(d.err.msg, values[i]) != 1) {
			print_error("wanted \"%s\" and a reason, each said once; got %s\n", starts[i],
				    d.err.msg);
			fail();
		}
		done(&d);
	}
}

/*
 * A message that quotes outside text holds no control character but its line breaks,
 * no C1 control, no byte that is not UTF-8, and was not cut at the size of an Err.
 */
static void
assert_clean(const char *msg)
{
	size_t n = strlen(msg), i;

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
}

/* The file (len bytes) is rejected with a clean message that contains want. */
static void
check_hostile(const char *text, size_t len, const char *want)
{
	Doc d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(metadata_parse(text, len, &d.arena, &d.m, &d.err), -1);
	assert_clean(d.err.msg);
	if (!strstr(d.err.msg, want)) {
		print_error("wanted '%s' in: %s\n", want, d.err.msg);
		fail();
	}
	done(&d);
}

#define HOSTILE(text, want) check_hostile(text, sizeof(text) - 1, want)
#define HEAD "Metadata-Version: 2.3\nName: x\nVersion: 1\n"

static void
test_hostile_values(void **state)
{
	Buf b = { 0 };
	size_t i;

	(void)state;
	/* Terminal escapes (CSI, OSC), a C1 CSI, NUL bytes: escaped, nothing cut. */
	HOSTILE("Metadata-Version: 2.1\nName: a\x1b[31mred\nVersion: 1\n",
		"line 2: Name \"a\\x1b[31mred\" is not a valid project name");
	HOSTILE("Metadata-Version: 2.1\nName: foo\0x\nVersion: 1\n", "Name \"foo\\x00x\" is not");
	HOSTILE("Metadata-Version: 2.1\nName: a\xC2\x9B" "31m\nVersion: 1\n",
		"Name \"a\\u009b31m\" is not");
	HOSTILE("Metadata-Version: 2.1\x1b[0m\nName: x\nVersion: 1\n",
		"Metadata-Version \"2.1\\x1b[0m\" is not a known version");
	HOSTILE("Metadata-Version: 2.1\nName: x\nVersion: 1\x1b]0;title\x07\n",
		"Version \"1\\x1b]0;title\\x07\" is not a valid version (PEP 440): ");
	HOSTILE(HEAD "Requires-Python: >=3\x1b[2J\n",
		"Requires-Python \">=3\\x1b[2J\" is not a valid version specifier: ");
	HOSTILE(HEAD "Requires-Python: >=3, <4\x7f\n", "clause \"<4\\x7f\": ");
	HOSTILE(HEAD "Provides-Extra: x\x1b[2J\n", "Provides-Extra \"x\\x1b[2J\" is not a valid name");
	HOSTILE(HEAD "Requires-Dist: foo; os_name == 'a' \x1b[2J\n",
		"Expected end of dependency specifier\n"
		"    foo; os_name == 'a' \\x1b[2J\n"
		"                        ^");

	/* Long values: quoted up to a character boundary, then "...". */
	buf_puts(&b, "Metadata-Version: 2.1\nName: ");
	for (i = 0; i < 3000; i++)
		buf_puts(&b, "\xC3\xA9");
	buf_puts(&b, " \nVersion: 1\n");
	{
		Buf want = { 0 };

		buf_puts(&want, "Name \"");
		for (i = 0; i < 60; i++)
			buf_puts(&want, "\xC3\xA9");
		buf_puts(&want, "\"... is not a valid project name");
		check_hostile(b.data, b.len, want.data);
		buf_free(&want);
	}
	/* A long requirement: the caret line survives (a window of the text is shown). */
	buf_clear(&b);
	buf_puts(&b, HEAD "Requires-Dist: name>=1");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, ",>=1");
	buf_puts(&b, " !\n");
	check_hostile(b.data, b.len, " !\n    ");
	{
		Doc d;

		memset(&d, 0, sizeof(d));
		assert_int_equal(metadata_parse(b.data, b.len, &d.arena, &d.m, &d.err), -1);
		assert_int_equal(d.err.msg[strlen(d.err.msg) - 1], '^');
		done(&d);
	}
	buf_free(&b);
}
#undef HEAD

/*
 * "From " lines, where Python's email parser (compat32, as packaging and pip use it)
 * drops them and where it takes one for the body. Each row is the input, its fields as
 * [name, value] pairs, and the payload, as printed by Python 3.11's
 * email.parser.Parser(policy=compat32).parsestr(); the description here has "\n" line
 * breaks where the payload keeps "\r\n".
 */
static const struct {
	const char *input;
	const char *fields[5][2];
	const char *body; /* NULL: no body */
} from_rows[] = {
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom x\n\nbody\n", { { NULL } },
	  "From x\nbody\n" },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom x\n", { { NULL } }, "From x\n" },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom x", { { NULL } }, "From x" },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom x\nnot header\nmore\n", { { NULL } },
	  "From x\nnot header\nmore\n" },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: a\nFrom x\n  cont\nKeywords: d\n\nbody",
	  { { "Summary", "a" }, { "Keywords", "d" } }, "body" },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom x\nSummary: s\n\nbody",
	  { { "Summary", "s" } }, "body" },
	{ "From x\nMetadata-Version: 2.1\nName: x\nVersion: 1\n\nbody", { { NULL } }, "body" },
	{ "Metadata-Version: 2.1\r\nName: x\r\nVersion: 1\r\nFrom x\r\n\r\nbody", { { NULL } },
	  "From x\nbody" },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: a\nFrom x\n  cont\n\nbody",
	  { { "Summary", "a" } }, "body" },
	{ "From x\nMetadata-Version: 2.1\nName: x\nVersion: 1\n", { { NULL } }, NULL },
	{ "Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom y\nFrom x\n\nb", { { NULL } },
	  "From x\nb" },
};

static void
test_from_lines(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(from_rows) / sizeof(from_rows[0]); i++) {
		Doc d;

		parse_ok(&d, from_rows[i].input, strlen(from_rows[i].input));
		for (k = 0; k < 5 && from_rows[i].fields[k][0]; k++) {
			assert_true(d.m.fields_len > 3 + k);
			assert_string_equal(d.m.fields[3 + k].name, from_rows[i].fields[k][0]);
			assert_string_equal(d.m.fields[3 + k].value, from_rows[i].fields[k][1]);
		}
		if (d.m.fields_len != 3 + k) {
			print_error("row %zu: %zu fields, wanted %zu\n", i, d.m.fields_len, 3 + k);
			fail();
		}
		if (from_rows[i].body)
			assert_string_equal(d.m.description, from_rows[i].body);
		else
			assert_null(d.m.description);
		done(&d);
	}
	/* A "From " line taken for the body is a body: not with a Description field too. */
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nDescription: d\nFrom x\n",
	    "line 4: the description is given both", NULL);
	/* ... and must be UTF-8 like the rest of the body. */
	ERR("Metadata-Version: 2.1\nName: x\nVersion: 1\nFrom \xFF\n\nbody",
	    "the description (the body after the headers) is not valid UTF-8", "byte 0xff at offset 46");
}

/* Thousands of Provides-Extra lines: the duplicates go in O(n log n), first ones kept. */
static void
test_many_extras(void **state)
{
	enum { N = 100000 };
	Buf b = { 0 };
	size_t i;
	Doc d;

	(void)state;
	buf_puts(&b, "Metadata-Version: 2.1\nName: x\nVersion: 1\n");
	for (i = 0; i < N; i++)
		buf_printf(&b, "Provides-Extra: E_%zu\n", i < N / 2 ? N / 2 - 1 - i : i - N / 2);
	parse_ok(&d, b.data, b.len);
	assert_int_equal(d.m.provides_extra_len, N / 2);
	assert_string_equal(d.m.provides_extra[0], "e-49999");
	assert_string_equal(d.m.provides_extra[N / 2 - 1], "e-0");
	done(&d);
	buf_free(&b);
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
		cmocka_unit_test(test_version_messages),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_from_lines),
		cmocka_unit_test(test_many_extras),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
