/*
 * test_simple.c - unit tests of Simple Repository API pages (packaging/simple.c).
 *
 * The pages are written out here in the shapes real servers produce: PyPI's JSON
 * (PEP 691, with its null fields, private keys and the legacy metadata key) and HTML,
 * a devpi page with relative links, Apache's and nginx's directory listings. Then every
 * attribute and JSON field alone, character references, relative and absolute links,
 * the yanked and metadata variants, broken JSON, wrong types and api-versions, with
 * the message each gives; every example of RFC 3986 section 5.4 for simple_url_join;
 * and the canonical JSON of simple_page_write, byte for byte and read back.
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
#include "packaging/simple.h"

#define PAGE "https://pypi.org/simple/beagle-vote/"
#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define HEX_B_UPPER "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"
#define MD5 "00112233445566778899aabbccddeeff"

typedef struct Doc {
	Arena arena;
	SimplePage p;
	Err err;
} Doc;

static void check_round_trip(const SimplePage *p, const char *page_url);

static void
parse_ok_n(Doc *d, const char *text, size_t len, SimpleFormat fmt, const char *url)
{
	memset(d, 0, sizeof(*d));
	if (simple_parse(text, len, fmt, url, &d->arena, &d->p, &d->err) != 0) {
		print_error("rejected: %s\n", d->err.msg);
		fail();
	}
	check_round_trip(&d->p, url);
}

#define JSON_OK(d, text) parse_ok_n(d, text, strlen(text), SIMPLE_JSON, PAGE)
#define HTML_OK(d, text, url) parse_ok_n(d, text, strlen(text), SIMPLE_HTML, url)

static void
done(Doc *d)
{
	arena_free(&d->arena);
}

/* The page must be rejected with a message that starts with start and contains phrase. */
static void
check_error(const char *text, SimpleFormat fmt, const char *url, const char *start,
	    const char *phrase)
{
	Doc d;

	memset(&d, 0, sizeof(d));
	if (simple_parse(text, strlen(text), fmt, url, &d.arena, &d.p, &d.err) != -1 ||
	    strncmp(d.err.msg, start, strlen(start)) != 0 || !strstr(d.err.msg, phrase)) {
		print_error("page:\n%s\nwanted an error starting '%s' with '%s', got: %s\n", text,
			    start, phrase, d.err.msg);
		fail();
	}
	assert_int_equal(d.p.nfiles, 0);
	assert_null(d.p.files);
	done(&d);
}

#define JSON_ERR(text, where, phrase) check_error(text, SIMPLE_JSON, PAGE, PAGE ": " where, phrase)
#define HTML_ERR(text, line, phrase) check_error(text, SIMPLE_HTML, PAGE, PAGE ":" line ": ", phrase)

static bool
same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool
same_hashes(const SimpleHash *a, size_t na, const SimpleHash *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].alg, b[i].alg) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return false;
	return true;
}

static bool
same_page(const SimplePage *a, const SimplePage *b)
{
	size_t i;

	if (!same_str(a->name, b->name) || !same_str(a->api_version, b->api_version) ||
	    a->nfiles != b->nfiles || a->nversions != b->nversions)
		return false;
	for (i = 0; i < a->nversions; i++)
		if (strcmp(a->versions[i], b->versions[i]) != 0)
			return false;
	for (i = 0; i < a->nfiles; i++) {
		const SimpleFile *x = &a->files[i], *y = &b->files[i];

		if (strcmp(x->filename, y->filename) != 0 || strcmp(x->url, y->url) != 0 ||
		    !same_hashes(x->hashes, x->nhashes, y->hashes, y->nhashes) ||
		    !same_str(x->requires_python, y->requires_python) || x->yanked != y->yanked ||
		    !same_str(x->yanked_reason, y->yanked_reason) ||
		    x->has_metadata != y->has_metadata ||
		    !same_hashes(x->metadata_hashes, x->nmetadata_hashes, y->metadata_hashes,
				 y->nmetadata_hashes) ||
		    x->size != y->size || !same_str(x->upload_time, y->upload_time))
			return false;
	}
	return true;
}

/* Written as JSON and read back: the same page, and the same bytes when written again. */
static void
check_round_trip(const SimplePage *p, const char *page_url)
{
	Buf one = { 0 }, two = { 0 };
	Arena a = { 0 };
	SimplePage again;
	Err err;

	simple_page_write(p, &one);
	if (simple_parse(one.data, one.len, SIMPLE_JSON, page_url, &a, &again, &err) != 0) {
		print_error("written page rejected: %s\n%s\n", err.msg, one.data);
		fail();
	}
	assert_true(same_page(p, &again));
	simple_page_write(&again, &two);
	assert_string_equal(one.data, two.data);
	buf_free(&one);
	buf_free(&two);
	arena_free(&a);
}

/* ---------------------------------------------------------------- URL joins */

static void
check_join(const char *base, const char *ref, const char *want)
{
	Arena a = { 0 };
	char *got = simple_url_join(base, ref, &a);

	if (strcmp(got, want) != 0) {
		print_error("join(%s, %s): wanted %s, got %s\n", base, ref, want, got);
		fail();
	}
	arena_free(&a);
}

static void
test_rfc3986_normal(void **state)
{
	/* RFC 3986 section 5.4.1 */
	static const char *const cases[][2] = {
		{ "g:h", "g:h" },
		{ "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" },
		{ "//g", "http://g" },
		{ "?y", "http://a/b/c/d;p?y" },
		{ "g?y", "http://a/b/c/g?y" },
		{ "#s", "http://a/b/c/d;p?q#s" },
		{ "g#s", "http://a/b/c/g#s" },
		{ "g?y#s", "http://a/b/c/g?y#s" },
		{ ";x", "http://a/b/c/;x" },
		{ "g;x", "http://a/b/c/g;x" },
		{ "g;x?y#s", "http://a/b/c/g;x?y#s" },
		{ "", "http://a/b/c/d;p?q" },
		{ ".", "http://a/b/c/" },
		{ "./", "http://a/b/c/" },
		{ "..", "http://a/b/" },
		{ "../", "http://a/b/" },
		{ "../g", "http://a/b/g" },
		{ "../..", "http://a/" },
		{ "../../", "http://a/" },
		{ "../../g", "http://a/g" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_join("http://a/b/c/d;p?q", cases[i][0], cases[i][1]);
}

static void
test_rfc3986_abnormal(void **state)
{
	/* RFC 3986 section 5.4.2 (the strict parser's answer for "http:g") */
	static const char *const cases[][2] = {
		{ "../../../g", "http://a/g" },
		{ "../../../../g", "http://a/g" },
		{ "/./g", "http://a/g" },
		{ "/../g", "http://a/g" },
		{ "g.", "http://a/b/c/g." },
		{ ".g", "http://a/b/c/.g" },
		{ "g..", "http://a/b/c/g.." },
		{ "..g", "http://a/b/c/..g" },
		{ "./../g", "http://a/b/g" },
		{ "./g/.", "http://a/b/c/g/" },
		{ "g/./h", "http://a/b/c/g/h" },
		{ "g/../h", "http://a/b/c/h" },
		{ "g;x=1/./y", "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", "http://a/b/c/y" },
		{ "g?y/./x", "http://a/b/c/g?y/./x" },
		{ "g?y/../x", "http://a/b/c/g?y/../x" },
		{ "g#s/./x", "http://a/b/c/g#s/./x" },
		{ "g#s/../x", "http://a/b/c/g#s/../x" },
		{ "http:g", "http:g" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_join("http://a/b/c/d;p?q", cases[i][0], cases[i][1]);
}

static void
test_join_index_shapes(void **state)
{
	(void)state;
	/* PyPI-style and devpi-style relative file links */
	check_join(PAGE, "../../packages/ab/cd/beagle_vote-1.0.tar.gz#sha256=" HEX_A,
		   "https://pypi.org/packages/ab/cd/beagle_vote-1.0.tar.gz#sha256=" HEX_A);
	check_join("http://localhost:3141/root/pypi/+simple/beagle-vote/",
		   "../../+f/a1b/2c3d/beagle_vote-1.0.tar.gz",
		   "http://localhost:3141/root/pypi/+f/a1b/2c3d/beagle_vote-1.0.tar.gz");
	/* a page URL without its final slash loses its last segment */
	check_join("https://host/simple/beagle-vote", "beagle_vote-1.0.tar.gz",
		   "https://host/simple/beagle_vote-1.0.tar.gz");
	/* an authority with an empty path merges under "/" */
	check_join("https://host", "f.whl", "https://host/f.whl");
	check_join("https://host?q", "f.whl", "https://host/f.whl");
	/* scheme-relative and absolute references */
	check_join(PAGE, "//files.example/p/f.whl", "https://files.example/p/f.whl");
	check_join(PAGE, "http://other/x/../f.whl", "http://other/f.whl");
	check_join(PAGE, "/packages/f.whl?x=1#md5=" MD5, "https://pypi.org/packages/f.whl?x=1#md5=" MD5);
	check_join("file:///srv/simple/a/", "../../files/a-1.tar.gz", "file:///srv/files/a-1.tar.gz");
	/* userinfo and ports are kept */
	check_join("https://u:p@host:8443/simple/a/", "a-1.whl", "https://u:p@host:8443/simple/a/a-1.whl");
	/* a path that would read back as an authority is kept as a path */
	check_join("x:/a/b", "..//c", "x:/.//c");
	check_join("x:/a/b", "", "x:/a/b");
}

/* ---------------------------------------------------------------- formats */

static void
test_format_of(void **state)
{
	SimpleFormat f = SIMPLE_HTML;

	(void)state;
	assert_int_equal(simple_format_of("application/vnd.pypi.simple.v1+json", &f), 0);
	assert_int_equal(f, SIMPLE_JSON);
	f = SIMPLE_JSON;
	assert_int_equal(simple_format_of("application/vnd.pypi.simple.v1+html", &f), 0);
	assert_int_equal(f, SIMPLE_HTML);
	f = SIMPLE_JSON;
	assert_int_equal(simple_format_of("text/html; charset=utf-8", &f), 0);
	assert_int_equal(f, SIMPLE_HTML);
	f = SIMPLE_HTML;
	assert_int_equal(simple_format_of(" Application/VND.PyPI.Simple.V1+JSON ; q=1", &f), 0);
	assert_int_equal(f, SIMPLE_JSON);
	f = SIMPLE_HTML;
	assert_int_equal(simple_format_of("application/vnd.pypi.simple.latest+json", &f), 0);
	assert_int_equal(f, SIMPLE_JSON);
	f = SIMPLE_JSON;
	assert_int_equal(simple_format_of(NULL, &f), 0);
	assert_int_equal(f, SIMPLE_HTML);
	assert_int_equal(simple_format_of("text/plain", &f), -1);
	assert_int_equal(simple_format_of("application/json", &f), -1);
	assert_int_equal(simple_format_of("", &f), -1);
	assert_int_equal(simple_format_of("text/htmlx", &f), -1);
	assert_int_equal(simple_format_of("application/vnd.pypi.simple.v2+json", &f), -1);
}

/* ---------------------------------------------------------------- JSON */

static const char pypi_json[] =
	"{\"files\":[{\"core-metadata\":{\"sha256\":\"" HEX_B_UPPER "\"},"
	"\"data-dist-info-metadata\":{\"sha256\":\"" HEX_B_UPPER "\"},"
	"\"filename\":\"beagle_vote-1.0-py3-none-any.whl\",\"hashes\":{\"sha256\":\"" HEX_A "\"},"
	"\"provenance\":null,\"requires-python\":\">=3.8\",\"size\":12345,"
	"\"upload-time\":\"2024-01-02T03:04:05.123456Z\","
	"\"url\":\"https://files.pythonhosted.org/packages/aa/bb/beagle_vote-1.0-py3-none-any.whl\","
	"\"yanked\":false},\n"
	"{\"core-metadata\":false,\"data-dist-info-metadata\":false,"
	"\"filename\":\"beagle_vote-1.0.tar.gz\",\"hashes\":{\"sha256\":\"" HEX_B "\"},"
	"\"provenance\":null,\"requires-python\":null,\"size\":0,"
	"\"upload-time\":\"2024-01-02T03:04:06.000000Z\","
	"\"url\":\"../../packages/cc/dd/beagle_vote-1.0.tar.gz#sha256=" HEX_B "\","
	"\"yanked\":\"broken build\"},\n"
	"{\"dist-info-metadata\":true,\"filename\":\"beagle_vote-1.1-py3-none-any.whl\","
	"\"hashes\":{\"sha512\":\"" HEX_A HEX_B "\",\"MD5\":\"" MD5 "\"},"
	"\"url\":\"/packages/ee/ff/beagle_vote-1.1-py3-none-any.whl\",\"yanked\":true,"
	"\"gpg-sig\":false,\"_private\":{\"x\":[1,2]}}],"
	"\"meta\":{\"_last-serial\":123,\"api-version\":\"1.1\"},"
	"\"name\":\"beagle-vote\",\"versions\":[\"1.0\",\"1.1\",\"2.0-not-pep440\"],"
	"\"project-status\":{\"status\":\"active\"}}";

static void
test_json_pypi(void **state)
{
	const SimpleFile *f;
	Doc d;

	(void)state;
	JSON_OK(&d, pypi_json);
	assert_string_equal(d.p.name, "beagle-vote");
	assert_string_equal(d.p.api_version, "1.1");
	assert_int_equal(d.p.nversions, 3);
	assert_string_equal(d.p.versions[2], "2.0-not-pep440");
	assert_int_equal(d.p.nfiles, 3);

	f = &d.p.files[0];
	assert_string_equal(f->filename, "beagle_vote-1.0-py3-none-any.whl");
	assert_string_equal(f->url,
			    "https://files.pythonhosted.org/packages/aa/bb/beagle_vote-1.0-py3-none-any.whl");
	assert_int_equal(f->nhashes, 1);
	assert_string_equal(f->hashes[0].alg, "sha256");
	assert_string_equal(simple_file_sha256(f), HEX_A);
	assert_string_equal(f->requires_python, ">=3.8");
	assert_false(f->yanked);
	assert_null(f->yanked_reason);
	assert_true(f->has_metadata);
	assert_int_equal(f->nmetadata_hashes, 1);
	assert_string_equal(f->metadata_hashes[0].value, HEX_B);   /* lower-cased */
	assert_int_equal(f->size, 12345);
	assert_string_equal(f->upload_time, "2024-01-02T03:04:05.123456Z");

	f = &d.p.files[1];
	/* relative, fragment dropped (JSON hashes come from "hashes" only) */
	assert_string_equal(f->url, "https://pypi.org/packages/cc/dd/beagle_vote-1.0.tar.gz");
	assert_null(f->requires_python);
	assert_true(f->yanked);
	assert_string_equal(f->yanked_reason, "broken build");
	assert_false(f->has_metadata);
	assert_int_equal(f->size, 0);

	f = &d.p.files[2];
	assert_string_equal(f->url, "https://pypi.org/packages/ee/ff/beagle_vote-1.1-py3-none-any.whl");
	assert_int_equal(f->nhashes, 2);
	assert_string_equal(f->hashes[0].alg, "md5");   /* sorted, lower-cased */
	assert_string_equal(f->hashes[0].value, MD5);
	assert_string_equal(f->hashes[1].alg, "sha512");
	assert_null(simple_file_sha256(f));
	assert_true(f->yanked);
	assert_null(f->yanked_reason);
	assert_true(f->has_metadata);   /* from the old key */
	assert_int_equal(f->nmetadata_hashes, 0);
	assert_int_equal(f->size, -1);
	assert_null(f->upload_time);
	done(&d);
}

static void
test_json_fields(void **state)
{
	Doc d;

	(void)state;
	/* the smallest page: no meta, no name; an empty "yanked" is false */
	JSON_OK(&d, "{\"files\":[{\"filename\":\"a-1.tar.gz\",\"url\":\"a-1.tar.gz\","
		    "\"yanked\":\"\",\"requires-python\":\"\"}]}");
	assert_null(d.p.name);
	assert_null(d.p.api_version);
	assert_null(d.p.versions);
	assert_int_equal(d.p.files[0].nhashes, 0);
	assert_false(d.p.files[0].yanked);
	assert_null(d.p.files[0].yanked_reason);
	assert_null(d.p.files[0].requires_python);
	assert_string_equal(d.p.files[0].url, PAGE "a-1.tar.gz");
	done(&d);

	/* no files at all, empty versions, a newer minor api-version */
	JSON_OK(&d, "  {\"meta\":{\"api-version\":\"1.99\"},\"files\":[],\"versions\":[]}\n\t ");
	assert_int_equal(d.p.nfiles, 0);
	assert_int_equal(d.p.nversions, 0);
	assert_string_equal(d.p.api_version, "1.99");
	done(&d);

	/* PEP 714: "core-metadata" wins even when false; the old keys are fallbacks */
	JSON_OK(&d, "{\"files\":[{\"filename\":\"a\",\"url\":\"a\",\"core-metadata\":false,"
		    "\"dist-info-metadata\":true},"
		    "{\"filename\":\"b\",\"url\":\"b\",\"core-metadata\":null,"
		    "\"dist-info-metadata\":{\"sha256\":\"" HEX_A "\"}},"
		    "{\"filename\":\"c\",\"url\":\"c\",\"data-dist-info-metadata\":true},"
		    "{\"filename\":\"d\",\"url\":\"d\",\"core-metadata\":{}},"
		    "{\"filename\":\"e\",\"url\":\"e\",\"core-metadata\":true,"
		    "\"dist-info-metadata\":{\"sha256\":\"" HEX_A "\"}}]}");
	assert_false(d.p.files[0].has_metadata);
	assert_true(d.p.files[1].has_metadata);
	assert_string_equal(d.p.files[1].metadata_hashes[0].value, HEX_A);
	assert_true(d.p.files[2].has_metadata);
	assert_true(d.p.files[3].has_metadata);
	assert_int_equal(d.p.files[3].nmetadata_hashes, 0);
	assert_true(d.p.files[4].has_metadata);
	assert_int_equal(d.p.files[4].nmetadata_hashes, 0);
	done(&d);

	/* hash names of hashlib other than PEP 503's: kept, checked as hex only */
	JSON_OK(&d, "{\"files\":[{\"filename\":\"a\",\"url\":\"a\",\"hashes\":{"
		    "\"blake2b_256\":\"ABCD\",\"SHA256\":\"" HEX_A "\"}}]}");
	assert_string_equal(d.p.files[0].hashes[0].alg, "blake2b_256");
	assert_string_equal(d.p.files[0].hashes[0].value, "abcd");
	assert_string_equal(simple_file_sha256(&d.p.files[0]), HEX_A);
	done(&d);

	/* sizes up to 2^53, written without exponent; UTF-8 text kept */
	JSON_OK(&d, "{\"name\":\"caf\\u00e9\",\"files\":[{\"filename\":\"caf\xc3\xa9-1.tar.gz\","
		    "\"url\":\"https://h/caf%C3%A9-1.tar.gz\",\"size\":9007199254740992,"
		    "\"yanked\":\"\xe2\x9c\x97 \\\"broken\\\"\"}]}");
	assert_string_equal(d.p.name, "caf\xc3\xa9");
	assert_int_equal(d.p.files[0].size, 9007199254740992LL);
	assert_string_equal(d.p.files[0].yanked_reason, "\xe2\x9c\x97 \"broken\"");
	done(&d);
}

static void
test_json_errors(void **state)
{
	(void)state;
	JSON_ERR("{", "", "not valid JSON (line 1");
	JSON_ERR("{\"files\":[]}\n{}", "", "not valid JSON (line 2");
	JSON_ERR("", "", "not valid JSON");
	JSON_ERR("{\"files\":[], \"name\":\"\xff\"}", "", "not UTF-8 (byte 21)");
	JSON_ERR("[]", "", "expected an object, got an array");
	JSON_ERR("{}", "files: ", "missing");
	JSON_ERR("{\"files\":null}", "files: ", "missing");
	JSON_ERR("{\"files\":{}}", "files: ", "expected an array, got an object");
	JSON_ERR("{\"files\":[1]}", "files[0]: ", "expected an object, got a number");
	JSON_ERR("{\"files\":[{\"url\":\"a\"}]}", "files[0].filename: ", "missing");
	JSON_ERR("{\"files\":[{\"filename\":5,\"url\":\"a\"}]}", "files[0].filename: ",
		 "expected a string, got a number");
	JSON_ERR("{\"files\":[{\"filename\":\"\",\"url\":\"a\"}]}", "files[0].filename: ", "empty");
	JSON_ERR("{\"files\":[{\"filename\":\"../x\",\"url\":\"a\"}]}", "files[0].filename: ",
		 "contains '/': \"../x\"");
	JSON_ERR("{\"files\":[{\"filename\":\"..\",\"url\":\"a\"}]}", "files[0].filename: ",
		 "not a file name");
	JSON_ERR("{\"files\":[{\"filename\":\"a\"}]}", "files[0].url: ", "missing");
	JSON_ERR("{\"files\":[{\"filename\":\"a\",\"url\":[]}]}", "files[0].url: ",
		 "expected a string, got an array");
	JSON_ERR("{\"files\":[{\"filename\":\"a\",\"url\":\"\"}]}", "files[0].url: ", "empty");
	JSON_ERR("{\"files\":[{\"filename\":\"a\",\"url\":\"a\"},{\"filename\":\"b\",\"url\":\"b\","
		 "\"hashes\":[]}]}", "files[1].hashes: ", "expected an object of hexadecimal digests");
	JSON_ERR("{\"files\":[{\"filename\":\"a\",\"url\":\"a\"},{},{},{\"filename\":\"b\",\"url\":\"b\","
		 "\"hashes\":{\"sha256\":\"xyz\"}}]}", "files[1].filename: ", "missing");
	JSON_ERR("{\"files\":[{\"filename\":\"a\",\"url\":\"a\"},{\"filename\":\"a\",\"url\":\"a\"},"
		 "{\"filename\":\"a\",\"url\":\"a\"},{\"filename\":\"b\",\"url\":\"b\","
		 "\"hashes\":{\"sha256\":\"xyz\"}}]}", "files[3].hashes.sha256: ",
		 "not a hexadecimal string: \"xyz\"");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"hashes\":{\"sha256\":\"abc\"}}]}",
		 "files[0].hashes.sha256: ", "a sha256 digest has 64 hexadecimal digits, not 3");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"hashes\":{\"sha256\":\"\"}}]}",
		 "files[0].hashes.sha256: ", "not a hexadecimal string");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"hashes\":{\"sha256\":1}}]}",
		 "files[0].hashes.sha256: ", "expected a string, got a number");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"hashes\":{\"sha 256\":\"ab\"}}]}",
		 "files[0].hashes.\"sha 256\": ", "not a hash name");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"hashes\":{\"sha256\":\"" HEX_A
		 "\",\"SHA256\":\"" HEX_B "\"}}]}", "files[0].hashes: ", "hash sha256 given twice");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"requires-python\":3}]}",
		 "files[0].requires-python: ", "expected a string, got a number");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"yanked\":1}]}",
		 "files[0].yanked: ", "expected a boolean or a string, got a number");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"core-metadata\":\"true\"}]}",
		 "files[0].core-metadata: ", "expected a boolean or an object of hashes, got a string");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"dist-info-metadata\":"
		 "{\"sha256\":\"zz\"}}]}", "files[0].dist-info-metadata.sha256: ",
		 "not a hexadecimal string");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"size\":-1}]}",
		 "files[0].size: ", "not an integer from 0 to 2^53");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"size\":1.5}]}",
		 "files[0].size: ", "not an integer");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"size\":1e300}]}",
		 "files[0].size: ", "not an integer");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"size\":\"12\"}]}",
		 "files[0].size: ", "expected an integer, got a string");
	JSON_ERR("{\"files\":[{\"filename\":\"b\",\"url\":\"b\",\"upload-time\":true}]}",
		 "files[0].upload-time: ", "expected a string, got a boolean");
	JSON_ERR("{\"files\":[],\"meta\":[]}", "meta: ", "expected an object, got an array");
	JSON_ERR("{\"files\":[],\"meta\":{\"api-version\":1.0}}", "meta.api-version: ",
		 "expected a string, got a number");
	JSON_ERR("{\"files\":[],\"meta\":{\"api-version\":\"2.0\"}}", "meta.api-version: ",
		 "unsupported major version (this reader knows version 1): \"2.0\"");
	JSON_ERR("{\"files\":[],\"meta\":{\"api-version\":\"11.0\"}}", "meta.api-version: ",
		 "unsupported major version");
	JSON_ERR("{\"files\":[],\"meta\":{\"api-version\":\"1\"}}", "meta.api-version: ",
		 "not a version of the form MAJOR.MINOR");
	JSON_ERR("{\"files\":[],\"meta\":{\"api-version\":\"1.0a\"}}", "meta.api-version: ",
		 "not a version of the form MAJOR.MINOR");
	JSON_ERR("{\"files\":[],\"name\":[]}", "name: ", "expected a string, got an array");
	JSON_ERR("{\"files\":[],\"versions\":\"1.0\"}", "versions: ",
		 "expected an array of strings, got a string");
	JSON_ERR("{\"files\":[],\"versions\":[\"1.0\",2]}", "versions[1]: ",
		 "expected a string, got a number");
}

static void
test_messages(void **state)
{
	char big[400];
	Buf text = { 0 };
	Doc d;

	(void)state;
	/* the password of the page URL is masked */
	check_error("{}", SIMPLE_JSON, "https://user:s3cret@host/simple/a/",
		    "https://user:****@host/simple/a/: files: ", "missing");
	check_error("<a href=\"a.whl#sha256=zz\">", SIMPLE_HTML, "https://u:p%40ss@host/simple/a/",
		    "https://u:****@host/simple/a/:1: ", "not a hexadecimal string");
	/* outside text is escaped: no terminal escape reaches a message */
	memset(&d, 0, sizeof(d));
	assert_int_equal(simple_parse("{\"files\":[{\"filename\":\"\\u001b[31m/x\",\"url\":\"a\"}]}",
				      strlen("{\"files\":[{\"filename\":\"\\u001b[31m/x\",\"url\":\"a\"}]}"),
				      SIMPLE_JSON, "https://h/\x1b[2J/", &d.arena, &d.p, &d.err), -1);
	assert_string_equal(d.err.msg,
			    "https://h/\\x1b[2J/: files[0].filename: contains '/': \"\\x1b[31m/x\"");
	done(&d);
	/* long values are cut, the message stays whole */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&text, "{\"files\":[{\"filename\":\"a\",\"url\":\"a\",\"hashes\":{\"sha256\":\"%s\"}}]}",
		   big);
	check_error(text.data, SIMPLE_JSON, PAGE, PAGE ": files[0].hashes.sha256: ",
		    "zzzzzzzzzz\"...");
	memset(&d, 0, sizeof(d));
	assert_int_equal(simple_parse(text.data, text.len, SIMPLE_JSON, PAGE, &d.arena, &d.p, &d.err), -1);
	assert_true(strlen(d.err.msg) < 400);
	done(&d);
	buf_free(&text);
}

static void
test_limits(void **state)
{
	size_t n = ((size_t)64 << 20) + 1, i;
	char *huge = calloc(n, 1);
	Buf many = { 0 };
	Doc d;

	(void)state;
	assert_non_null(huge);
	memset(&d, 0, sizeof(d));
	assert_int_equal(simple_parse(huge, n, SIMPLE_JSON, PAGE, &d.arena, &d.p, &d.err), -1);
	assert_string_equal(d.err.msg, PAGE ": the page has 67108865 bytes, more than the 64 MiB a page may have");
	assert_int_equal(simple_parse(huge, n, SIMPLE_HTML, PAGE, &d.arena, &d.p, &d.err), -1);
	assert_non_null(strstr(d.err.msg, "more than the 64 MiB"));
	free(huge);

	/* a million files is fine, one more is not */
	buf_puts(&many, "{\"files\":[");
	for (i = 0; i < 1000001; i++)
		buf_puts(&many, i ? ",{}" : "{}");
	buf_puts(&many, "]}");
	check_error(many.data, SIMPLE_JSON, PAGE, PAGE ": files: ",
		    "1000001 files, more than the 1000000 a page may have");
	buf_clear(&many);
	for (i = 0; i < 1000001; i++)
		buf_puts(&many, "<a href=f>\n");
	check_error(many.data, SIMPLE_HTML, PAGE, PAGE ":1000001: ",
		    "more than the 1000000 files a page may have");
	many.len -= strlen("<a href=f>\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(simple_parse(many.data, many.len, SIMPLE_HTML, PAGE, &d.arena, &d.p, &d.err), 0);
	assert_int_equal(d.p.nfiles, 1000000);
	assert_string_equal(d.p.files[999999].url, PAGE "f");
	done(&d);
	buf_free(&many);
}

/* ---------------------------------------------------------------- HTML */

static const char pypi_html[] =
	"<!DOCTYPE html>\n"
	"<html>\n"
	"  <head>\n"
	"    <meta name=\"pypi:repository-version\" content=\"1.1\">\n"
	"    <title>Links for beagle-vote</title>\n"
	"  </head>\n"
	"  <body>\n"
	"    <h1>Links for beagle-vote</h1>\n"
	"    <a href=\"https://files.pythonhosted.org/packages/aa/bb/beagle_vote-1.0.tar.gz#sha256=" HEX_A "\" "
	"data-requires-python=\"&gt;=3.8\" >beagle_vote-1.0.tar.gz</a><br />\n"
	"    <a href=\"https://files.pythonhosted.org/packages/cc/dd/beagle_vote-1.0-py3-none-any.whl#sha256=" HEX_B "\" "
	"data-requires-python=\"&gt;=3.8\" data-dist-info-metadata=\"sha256=" HEX_A "\" "
	"data-core-metadata=\"sha256=" HEX_A "\">beagle_vote-1.0-py3-none-any.whl</a><br />\n"
	"    <a href=\"https://files.pythonhosted.org/packages/ee/ff/beagle_vote-1.1.tar.gz#sha256=" HEX_A "\" "
	"data-requires-python=\"&gt;=3.8,&lt;4\" data-yanked=\"\" >beagle_vote-1.1.tar.gz</a><br />\n"
	"    <a href=\"https://files.pythonhosted.org/packages/11/22/beagle_vote-1.2.tar.gz#sha256=" HEX_A "\" "
	"data-yanked=\"bad &amp; broken &quot;release&quot;\" >beagle_vote-1.2.tar.gz</a><br />\n"
	"  </body>\n"
	"</html>\n"
	"<!--SERIAL 21512392-->\n";

static void
test_html_pypi(void **state)
{
	const SimpleFile *f;
	Doc d;

	(void)state;
	HTML_OK(&d, pypi_html, PAGE);
	assert_null(d.p.name);
	assert_string_equal(d.p.api_version, "1.1");
	assert_int_equal(d.p.nfiles, 4);
	f = &d.p.files[0];
	assert_string_equal(f->filename, "beagle_vote-1.0.tar.gz");
	assert_string_equal(f->url, "https://files.pythonhosted.org/packages/aa/bb/beagle_vote-1.0.tar.gz");
	assert_string_equal(simple_file_sha256(f), HEX_A);
	assert_string_equal(f->requires_python, ">=3.8");
	assert_false(f->yanked);
	assert_false(f->has_metadata);
	assert_int_equal(f->size, -1);
	assert_null(f->upload_time);
	f = &d.p.files[1];
	assert_string_equal(simple_file_sha256(f), HEX_B);
	assert_true(f->has_metadata);
	assert_int_equal(f->nmetadata_hashes, 1);
	assert_string_equal(f->metadata_hashes[0].alg, "sha256");
	assert_string_equal(f->metadata_hashes[0].value, HEX_A);
	f = &d.p.files[2];
	assert_string_equal(f->requires_python, ">=3.8,<4");
	assert_true(f->yanked);
	assert_null(f->yanked_reason);
	f = &d.p.files[3];
	assert_null(f->requires_python);
	assert_true(f->yanked);
	assert_string_equal(f->yanked_reason, "bad & broken \"release\"");
	done(&d);
}

static void
test_html_devpi(void **state)
{
	static const char page[] =
		"<html><head><title>devpi: links for beagle-vote</title></head><body>"
		"<h1>devpi: links for beagle-vote</h1>\n"
		"<a href=\"../../+f/a1b/2c3d4e5f6a7b8/beagle_vote-1.0.tar.gz#sha256=" HEX_A "\">"
		"root/pypi/beagle_vote-1.0.tar.gz</a><br/>\n"
		"<a href=\"../../+e/https_files.pythonhosted.org_packages_cc/beagle_vote-1.1-py3-none-any.whl#sha256="
		HEX_B "\" data-requires-python=\"&gt;=3.7\">root/pypi/beagle_vote-1.1-py3-none-any.whl</a><br/>\n"
		"</body></html>\n";
	Doc d;

	(void)state;
	HTML_OK(&d, page, "http://localhost:3141/root/pypi/+simple/beagle-vote/");
	assert_int_equal(d.p.nfiles, 2);
	assert_null(d.p.api_version);
	/* the file name is the URL's, not the anchor text */
	assert_string_equal(d.p.files[0].filename, "beagle_vote-1.0.tar.gz");
	assert_string_equal(d.p.files[0].url,
			    "http://localhost:3141/root/pypi/+f/a1b/2c3d4e5f6a7b8/beagle_vote-1.0.tar.gz");
	assert_string_equal(d.p.files[1].url,
			    "http://localhost:3141/root/pypi/+e/https_files.pythonhosted.org_packages_cc/"
			    "beagle_vote-1.1-py3-none-any.whl");
	assert_string_equal(d.p.files[1].requires_python, ">=3.7");
	done(&d);
}

static void
test_html_autoindex(void **state)
{
	static const char apache[] =
		"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
		"<html>\n"
		" <head>\n"
		"  <title>Index of /simple/beagle-vote</title>\n"
		" </head>\n"
		" <body>\n"
		"<h1>Index of /simple/beagle-vote</h1>\n"
		"  <table>\n"
		"   <tr><th valign=\"top\"><img src=\"/icons/blank.gif\" alt=\"[ICO]\"></th>"
		"<th><a href=\"?C=N;O=D\">Name</a></th><th><a href=\"?C=M;O=A\">Last modified</a></th>"
		"<th><a href=\"?C=S;O=A\">Size</a></th><th><a href=\"?C=D;O=A\">Description</a></th></tr>\n"
		"   <tr><th colspan=\"5\"><hr></th></tr>\n"
		"<tr><td valign=\"top\"><img src=\"/icons/back.gif\" alt=\"[PARENTDIR]\"></td>"
		"<td><a href=\"/simple/\">Parent Directory</a></td><td>&nbsp;</td><td align=\"right\">  - </td>"
		"<td>&nbsp;</td></tr>\n"
		"<tr><td valign=\"top\"><img src=\"/icons/compressed.gif\" alt=\"[   ]\"></td>"
		"<td><a href=\"beagle_vote-1.0%2Blocal.tar.gz\">beagle_vote-1.0+local.tar.gz</a></td>"
		"<td align=\"right\">2024-01-02 03:04  </td><td align=\"right\">1.2K</td><td>&nbsp;</td></tr>\n"
		"<tr><td valign=\"top\"><img src=\"/icons/unknown.gif\" alt=\"[   ]\"></td>"
		"<td><a href=\"beagle_vote-1.0-py3-none-any.whl\">beagle_vote-1.0-py3-none-any.whl</a></td>"
		"<td align=\"right\">2024-01-02 03:04  </td><td align=\"right\"> 12K</td><td>&nbsp;</td></tr>\n"
		"   <tr><th colspan=\"5\"><hr></th></tr>\n"
		"</table>\n"
		"<address>Apache/2.4.57 (Debian) Server at host Port 80</address>\n"
		"</body></html>\n";
	static const char nginx[] =
		"<html>\r\n"
		"<head><title>Index of /simple/beagle-vote/</title></head>\r\n"
		"<body>\r\n"
		"<h1>Index of /simple/beagle-vote/</h1><hr><pre><a href=\"../\">../</a>\r\n"
		"<a href=\"sub/\">sub/</a>                                               02-Jan-2024 03:04                   -\r\n"
		"<a href=\"beagle_vote-1.0-py3-none-any.whl\">beagle_vote-1.0-py3-none-any.whl</a>"
		"                   02-Jan-2024 03:04               12345\r\n"
		"<a href=\"beagle_vote-2.0.tar.gz\">beagle_vote-2.0.tar.gz</a>"
		"                             02-Jan-2024 03:04               12345\r\n"
		"</pre><hr></body>\r\n"
		"</html>\r\n";
	Doc d;

	(void)state;
	HTML_OK(&d, apache, "http://host/simple/beagle-vote/");
	assert_int_equal(d.p.nfiles, 2);
	assert_string_equal(d.p.files[0].filename, "beagle_vote-1.0+local.tar.gz");
	assert_string_equal(d.p.files[0].url, "http://host/simple/beagle-vote/beagle_vote-1.0%2Blocal.tar.gz");
	assert_int_equal(d.p.files[0].nhashes, 0);
	assert_string_equal(d.p.files[1].filename, "beagle_vote-1.0-py3-none-any.whl");
	done(&d);

	HTML_OK(&d, nginx, "http://host/simple/beagle-vote/");
	assert_int_equal(d.p.nfiles, 2);
	assert_string_equal(d.p.files[0].url, "http://host/simple/beagle-vote/beagle_vote-1.0-py3-none-any.whl");
	assert_string_equal(d.p.files[1].filename, "beagle_vote-2.0.tar.gz");
	done(&d);
}

static void
test_html_attributes(void **state)
{
	static const char page[] =
		/* 1: any order, any quoting, any case */
		"<A data-requires-python='&gt;=3.9' HREF=a-1.tar.gz#SHA256=" HEX_B_UPPER ">x</A>\n"
		/* 2: references in href and values: &amp; &#NN; &#xNN; */
		"<a\thref = \"/dl?f=1&amp;g=2/b-1.tar.gz\"\ndata-requires-python=\"&#62;=3.8,&#x3C;4,&#x3c;5\">\n"
		/* 4: duplicate attributes: the first wins; unknown ones are ignored */
		"<a class=x href=\"c-1.whl\" href=\"ignored.whl\" data-yanked data-gpg-sig=\"false\">\n"
		/* 5: a comment hides links; so does a script */
		"<!-- <a href=\"hidden-1.whl\"> --><script>var s = '<a href=\"js-1.whl\">';</script>\n"
		/* 6: the old metadata attribute, and "true" */
		"<a href=\"d-1.whl\" data-dist-info-metadata=\"true\">\n"
		/* 7: the new attribute wins over the old one, even with "false" */
		"<a href=\"e-1.whl\" data-core-metadata=\"false\" data-dist-info-metadata=\"true\">\n"
		/* 8: a fragment that is not a hash is dropped; md5 is a hash; no-href anchors are no files */
		"<a href=\"f-1.tar.gz#egg=f\"><a href=\"g-1.tar.gz#md5=" MD5 "\"><a name=\"top\"><abbr href=\"x.whl\">\n"
		/* 9: unquoted values end at '>'; self-closing slash */
		"<a href=h-1.whl data-yanked=old/>\n"
		/* 10: references that are not (unknown, cut, uppercase) stay or decode as HTML does */
		"<a href=\"i-1.whl\" data-requires-python=\"&ge;3 &amp &AMP; &#0; &#xD800; &#1114112;\">\n"
		/* 11: leading/trailing white space and line breaks inside a URL are dropped */
		"<a href=\"  j-1\n.whl \">\n"
		/* 12: data-core-metadata with another algorithm */
		"<a href=\"k-1.whl\" data-core-metadata=\"SHA512=" HEX_A HEX_B "\">\n"
		/* 13: a tag cut by the end of the page is not read */
		"<a href=\"cut-1.whl\"";
	const SimpleFile *f;
	Doc d;

	(void)state;
	HTML_OK(&d, page, PAGE);
	assert_int_equal(d.p.nfiles, 11);
	f = &d.p.files[0];
	assert_string_equal(f->url, PAGE "a-1.tar.gz");
	assert_string_equal(f->filename, "a-1.tar.gz");
	assert_string_equal(f->requires_python, ">=3.9");
	assert_int_equal(f->nhashes, 0);   /* "SHA256" is not a hash name in a fragment */
	f = &d.p.files[1];
	assert_string_equal(f->url, "https://pypi.org/dl?f=1&g=2/b-1.tar.gz");
	assert_string_equal(f->filename, "dl");
	assert_string_equal(f->requires_python, ">=3.8,<4,<5");
	f = &d.p.files[2];
	assert_string_equal(f->filename, "c-1.whl");
	assert_true(f->yanked);
	assert_null(f->yanked_reason);
	f = &d.p.files[3];
	assert_string_equal(f->filename, "d-1.whl");
	assert_true(f->has_metadata);
	assert_int_equal(f->nmetadata_hashes, 0);
	f = &d.p.files[4];
	assert_string_equal(f->filename, "e-1.whl");
	assert_false(f->has_metadata);
	f = &d.p.files[5];
	assert_string_equal(f->url, PAGE "f-1.tar.gz");
	assert_int_equal(f->nhashes, 0);
	f = &d.p.files[6];
	assert_string_equal(f->url, PAGE "g-1.tar.gz");
	assert_int_equal(f->nhashes, 1);
	assert_string_equal(f->hashes[0].alg, "md5");
	assert_string_equal(f->hashes[0].value, MD5);
	f = &d.p.files[7];
	assert_string_equal(f->filename, "h-1.whl");
	assert_string_equal(f->yanked_reason, "old/");
	f = &d.p.files[8];
	assert_string_equal(f->requires_python,
			    "&ge;3 &amp & \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd");
	f = &d.p.files[9];
	assert_string_equal(f->filename, "j-1.whl");
	f = &d.p.files[10];
	assert_string_equal(f->metadata_hashes[0].alg, "sha512");
	assert_string_equal(f->metadata_hashes[0].value, HEX_A HEX_B);
	done(&d);

	/* <base href> moves the base of later links (pip honours it) */
	HTML_OK(&d, "<a href=a.whl><base href=\"https://mirror.example/files/x/\"><base href=\"/no\">"
		    "<a href=\"../b.whl\"><a href=\"//cdn.example/c.whl\">", PAGE);
	assert_int_equal(d.p.nfiles, 3);
	assert_string_equal(d.p.files[0].url, PAGE "a.whl");
	assert_string_equal(d.p.files[1].url, "https://mirror.example/files/b.whl");
	assert_string_equal(d.p.files[2].url, "https://cdn.example/c.whl");
	done(&d);

	/* odd markup: '<' in text, comments of every shape, end tags with '>' */
	HTML_OK(&d, "a < b <3 <!----> <!--> <a href=x-1.whl> <!---> <a href=y-1.whl> -->"
		    "<![CDATA[ x ]]> <?php ?> </a title=\">\"> <STYLE><a href=s.whl></style >"
		    "<a href=z-1.whl><!-- never closed <a href=w.whl>", PAGE);
	assert_int_equal(d.p.nfiles, 3);
	assert_string_equal(d.p.files[0].filename, "x-1.whl");
	assert_string_equal(d.p.files[1].filename, "y-1.whl");
	assert_string_equal(d.p.files[2].filename, "z-1.whl");
	done(&d);

	/* NUL bytes in values become U+FFFD, as HTML5 has it, so no value is cut short */
	{
		static const char nul[] = "<a href=\"n\0.whl\" data-requires-python=\"\0>=3\" data-yanked=\"\0\">";

		parse_ok_n(&d, nul, sizeof(nul) - 1, SIMPLE_HTML, PAGE);
		assert_int_equal(d.p.nfiles, 1);
		assert_string_equal(d.p.files[0].filename, "n\xef\xbf\xbd.whl");
		assert_string_equal(d.p.files[0].requires_python, "\xef\xbf\xbd>=3");
		assert_string_equal(d.p.files[0].yanked_reason, "\xef\xbf\xbd");
		done(&d);
	}

	/* an empty page, and one with no anchors */
	HTML_OK(&d, "", PAGE);
	assert_int_equal(d.p.nfiles, 0);
	done(&d);
	HTML_OK(&d, "<html><body>Nothing here</body></html>", PAGE);
	assert_int_equal(d.p.nfiles, 0);
	done(&d);
}

static void
test_html_errors(void **state)
{
	(void)state;
	HTML_ERR("<html>\n\n<a href=\"a.whl#sha256=abc\">", "3",
		 "href: \"sha256\" hash: a sha256 digest has 64 hexadecimal digits, not 3: \"abc\"");
	HTML_ERR("\n<a href=\"a.whl#sha256=\">", "2", "href: \"sha256\" hash: not a hexadecimal string");
	HTML_ERR("<a href=\"a.whl#md5=xyz\">", "1", "not a hexadecimal string: \"xyz\"");
	HTML_ERR("\r\n\n<a\nhref=a.whl data-core-metadata=\"sha256=xyz\">", "3",
		 "data-core-metadata: not a hexadecimal string: \"sha256=xyz\"");
	HTML_ERR("<a href=a.whl data-core-metadata=yes>", "1",
		 "data-core-metadata: expected \"true\" or ALGORITHM=DIGEST, got \"yes\"");
	HTML_ERR("<a href=a.whl data-dist-info-metadata=\"=" HEX_A "\">", "1",
		 "data-dist-info-metadata: not a hash name");
	HTML_ERR("<meta name=\"pypi:repository-version\" content=\"2.0\">", "1",
		 "pypi:repository-version: unsupported major version");
	HTML_ERR("<meta NAME=pypi:repository-version CONTENT=one>", "1",
		 "pypi:repository-version: not a version of the form MAJOR.MINOR: \"one\"");
	HTML_ERR("<a href=\"caf\xe9.whl\">", "1", "href: not UTF-8: \"caf\\xe9.whl\"");
	HTML_ERR("<a href=\"caf%E9.whl\">", "1", "href: the file name is not UTF-8: \"caf\\xe9.whl\"");
	HTML_ERR("<a href=a.whl data-requires-python=\"\xff\">", "1", "data-requires-python: not UTF-8");
	HTML_ERR("<a href=a.whl data-yanked=\"\xc0\xaf\">", "1", "data-yanked: not UTF-8");
	/* names that cannot be files are not files, not errors */
	{
		Doc d;

		HTML_OK(&d, "<a href=\"%2e%2e\"><a href=\"x%2Fy\"><a href=\"n%00\"><a href=\"\"><a href=\"d/\">",
			PAGE);
		assert_int_equal(d.p.nfiles, 0);
		done(&d);
	}
}

/* ---------------------------------------------------------------- writing */

static void
test_write_canonical(void **state)
{
	static const char want[] =
		"{\"files\":[{\"core-metadata\":{\"sha256\":\"" HEX_B "\"},"
		"\"filename\":\"beagle_vote-1.0-py3-none-any.whl\",\"hashes\":{\"sha256\":\"" HEX_A "\"},"
		"\"requires-python\":\">=3.8\",\"size\":12345,\"upload-time\":\"2024-01-02T03:04:05.123456Z\","
		"\"url\":\"https://files.pythonhosted.org/packages/aa/bb/beagle_vote-1.0-py3-none-any.whl\","
		"\"yanked\":false},"
		"{\"filename\":\"beagle_vote-1.0.tar.gz\",\"hashes\":{\"sha256\":\"" HEX_B "\"},"
		"\"size\":0,\"upload-time\":\"2024-01-02T03:04:06.000000Z\","
		"\"url\":\"https://pypi.org/packages/cc/dd/beagle_vote-1.0.tar.gz\",\"yanked\":\"broken build\"},"
		"{\"core-metadata\":true,\"filename\":\"beagle_vote-1.1-py3-none-any.whl\","
		"\"hashes\":{\"md5\":\"" MD5 "\",\"sha512\":\"" HEX_A HEX_B "\"},"
		"\"url\":\"https://pypi.org/packages/ee/ff/beagle_vote-1.1-py3-none-any.whl\",\"yanked\":true}],"
		"\"meta\":{\"api-version\":\"1.1\"},\"name\":\"beagle-vote\","
		"\"versions\":[\"1.0\",\"1.1\",\"2.0-not-pep440\"]}";
	Buf out = { 0 };
	Doc d;

	(void)state;
	JSON_OK(&d, pypi_json);
	simple_page_write(&d.p, &out);
	assert_string_equal(out.data, want);
	done(&d);
	buf_clear(&out);

	/* the HTML page writes to the JSON of the same content */
	HTML_OK(&d, "<meta name=pypi:repository-version content=1.0>"
		    "<a href=\"x/a-1.tar.gz#sha256=" HEX_A "\" data-yanked=\"a \\ &quot;b&quot;\x01\">", PAGE);
	simple_page_write(&d.p, &out);
	assert_string_equal(out.data, "{\"files\":[{\"filename\":\"a-1.tar.gz\",\"hashes\":{\"sha256\":\"" HEX_A
			    "\"},\"url\":\"" PAGE "x/a-1.tar.gz\",\"yanked\":\"a \\\\ \\\"b\\\"\\u0001\"}],"
			    "\"meta\":{\"api-version\":\"1.0\"}}");
	done(&d);
	buf_free(&out);

	/* an empty page */
	{
		SimplePage empty = { 0 };

		simple_page_write(&empty, &out);
		assert_string_equal(out.data, "{\"files\":[],\"meta\":{}}");
		check_round_trip(&empty, PAGE);
		buf_free(&out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3986_normal),
		cmocka_unit_test(test_rfc3986_abnormal),
		cmocka_unit_test(test_join_index_shapes),
		cmocka_unit_test(test_format_of),
		cmocka_unit_test(test_json_pypi),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_html_pypi),
		cmocka_unit_test(test_html_devpi),
		cmocka_unit_test(test_html_autoindex),
		cmocka_unit_test(test_html_attributes),
		cmocka_unit_test(test_html_errors),
		cmocka_unit_test(test_write_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
