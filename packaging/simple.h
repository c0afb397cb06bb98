/*
 * simple.h - a project's page of the Simple Repository API: PEP 691 JSON
 * (application/vnd.pypi.simple.v1+json) and PEP 503 HTML, with PEP 592 (yanked),
 * PEP 658/714 (core metadata), PEP 700 (versions, size, upload-time) and the
 * data-requires-python attribute of PEP 503.
 *
 * Both formats parse into the same SimplePage. File URLs are made absolute against the
 * page's URL (RFC 3986 section 5); a "#sha256=..." fragment on an HTML link becomes a
 * hash and is removed from the URL. Pure functions over bytes: no I/O, results in the
 * caller's arena, errors in Err naming the page URL and what is wrong (the JSON path or
 * the HTML line), e.g.
 *   https://host/simple/a/: files[3].hashes.sha256: not a hexadecimal string
 *
 * simple_page_write writes a page back as canonical PEP 691 JSON (keys sorted, only
 * the fields of the model): what the lock's index-page nodes keep, so that a page
 * revalidated with the same content has the same bytes whatever its source format.
 */
#ifndef BUNPY_SIMPLE_H
#define BUNPY_SIMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"

typedef enum SimpleFormat {
	SIMPLE_JSON,             /* PEP 691 */
	SIMPLE_HTML,             /* PEP 503 */
} SimpleFormat;

/* The Accept header that prefers JSON and takes HTML (PEP 691's recommendation). */
#define SIMPLE_ACCEPT \
	"application/vnd.pypi.simple.v1+json, " \
	"application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

typedef struct SimpleHash {
	const char *alg;         /* lower-case: "sha256", ... */
	const char *value;       /* lower-case hexadecimal */
} SimpleHash;

typedef struct SimpleFile {
	const char *filename;
	const char *url;         /* absolute, fragment removed */
	SimpleHash *hashes;
	size_t nhashes;
	const char *requires_python;   /* NULL when absent (HTML entities decoded) */
	bool yanked;
	const char *yanked_reason;     /* NULL when none given */
	/* PEP 658/714: core metadata at url + ".metadata"; its hashes (may be none) */
	bool has_metadata;
	SimpleHash *metadata_hashes;
	size_t nmetadata_hashes;
	int64_t size;                  /* -1 when unknown */
	const char *upload_time;       /* ISO 8601 as given, NULL when unknown */
} SimpleFile;

typedef struct SimplePage {
	const char *name;              /* "name" of a JSON page; NULL for HTML */
	const char *api_version;       /* meta.api-version ("1.1"); NULL when absent */
	SimpleFile *files;
	size_t nfiles;
	const char **versions;         /* PEP 700 "versions", NULL/0 when absent */
	size_t nversions;
} SimplePage;

/* Parse a page fetched from page_url (used to resolve relative links and in messages). */
int simple_parse(const char *data, size_t len, SimpleFormat fmt, const char *page_url,
		 Arena *arena, SimplePage *out, Err *err);

/* The format a Content-Type names (parameters ignored): 0 and *fmt set, or -1 when it
 * is neither (e.g. a login page served as text/plain). NULL is HTML (PEP 503 servers
 * that send none). */
int simple_format_of(const char *content_type, SimpleFormat *fmt);

/* Canonical PEP 691 JSON for page (see the header comment). */
void simple_page_write(const SimplePage *page, Buf *out);

/* A reference found on a page resolved against the page's URL (RFC 3986 section 5.2,
 * dot segments removed); the fragment is kept. */
char *simple_url_join(const char *base, const char *ref, Arena *arena);

/* The file's sha256 hash, lower-case hexadecimal, or NULL. */
const char *simple_file_sha256(const SimpleFile *f);

#endif
