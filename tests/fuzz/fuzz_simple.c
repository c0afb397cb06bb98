/*
 * fuzz_simple.c - libFuzzer target for Simple API pages (packaging/simple.c).
 *
 * The first byte picks the format (low bit 0: JSON, 1: HTML), the rest is the page,
 * fetched from a page URL with a password in it. A rejected page must leave an empty
 * result and a message that starts with the URL, password masked, and shows outside
 * text only escaped, never cut at the size of an Err. An accepted page must keep the
 * model's promises: every file URL absolute (the base is) with no fragment, and
 * already joined (joining it again changes nothing); file names without '/'; hashes
 * lower-case hexadecimal, sorted, unique; text UTF-8; a yank reason only on a yanked
 * file, never empty. Written as canonical JSON it must parse back to the same page,
 * and write again to the same bytes. Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/utf8.h"
#include "packaging/simple.h"
#include "fuzz.h"

#define PAGE_URL "https://user:pw@example.org/simple/a/"
#define PAGE_SHOWN "https://user:****@example.org/simple/a/"

static bool
utf8(const char *s)
{
	return s == NULL || utf8_valid_prefix(s, strlen(s)) == strlen(s);
}

static bool
has_scheme(const char *u)
{
	size_t i = 1;

	if (!((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
		return false;
	while ((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
	       (u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-' || u[i] == '.')
		i++;
	return u[i] == ':';
}

static void
check_hashes(const SimpleHash *h, size_t n)
{
	size_t i;
	const char *c;

	for (i = 0; i < n; i++) {
		CHECK(h[i].alg[0] != '\0' && h[i].value[0] != '\0');
		for (c = h[i].alg; *c; c++)
			CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-');
		for (c = h[i].value; *c; c++)
			CHECK((*c >= 'a' && *c <= 'f') || (*c >= '0' && *c <= '9'));
		CHECK(i == 0 || strcmp(h[i - 1].alg, h[i].alg) < 0);
	}
}

static void
check_page(const SimplePage *p, Arena *a)
{
	size_t i;

	CHECK(utf8(p->name) && utf8(p->api_version));
	CHECK((p->versions == NULL) == (p->nversions == 0));
	for (i = 0; i < p->nversions; i++)
		CHECK(utf8(p->versions[i]));
	for (i = 0; i < p->nfiles; i++) {
		const SimpleFile *f = &p->files[i];
		const char *sha = simple_file_sha256(f);

		CHECK(f->filename[0] != '\0' && !strchr(f->filename, '/') && utf8(f->filename));
		CHECK(has_scheme(f->url) && !strchr(f->url, '#') && utf8(f->url));
		CHECK(strcmp(simple_url_join(PAGE_URL, f->url, a), f->url) == 0);
		check_hashes(f->hashes, f->nhashes);
		check_hashes(f->metadata_hashes, f->nmetadata_hashes);
		CHECK(f->nmetadata_hashes == 0 || f->has_metadata);
		CHECK(!f->yanked_reason || (f->yanked && f->yanked_reason[0] && utf8(f->yanked_reason)));
		CHECK(!f->requires_python || (f->requires_python[0] && utf8(f->requires_python)));
		CHECK(utf8(f->upload_time));
		CHECK(f->size >= -1);
		CHECK(!sha || strlen(sha) == 64);
	}
}

static bool
same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SimpleFormat fmt;
	SimplePage p, again;
	Arena a = { 0 };
	Buf one = { 0 }, two = { 0 }, ct = { 0 };
	Err err;
	size_t i;

	if (size == 0)
		return 0;
	fmt = data[0] & 1 ? SIMPLE_HTML : SIMPLE_JSON;
	/* the Content-Type reader sees the same bytes, as a header value */
	buf_append(&ct, data + 1, size - 1 < 200 ? size - 1 : 200);
	if (simple_format_of(ct.data, &fmt) == 0)
		CHECK(fmt == SIMPLE_JSON || fmt == SIMPLE_HTML);
	fmt = data[0] & 1 ? SIMPLE_HTML : SIMPLE_JSON;
	buf_free(&ct);

	if (simple_parse((const char *)data + 1, size - 1, fmt, PAGE_URL, &a, &p, &err) != 0) {
		CHECK(p.nfiles == 0 && p.files == NULL && p.name == NULL);
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
		/* the URL's password masked (the page's own text may say anything) */
		CHECK(strncmp(err.msg, PAGE_SHOWN ":", strlen(PAGE_SHOWN ":")) == 0);
		arena_free(&a);
		return 0;
	}
	check_page(&p, &a);

	simple_page_write(&p, &one);
	CHECK(utf8_valid_prefix(one.data, one.len) == one.len);
	if (simple_parse(one.data, one.len, SIMPLE_JSON, PAGE_URL, &a, &again, &err) != 0) {
		fprintf(stderr, "written back, rejected: %s\n%s\n", err.msg, one.data);
		abort();
	}
	CHECK(same_str(p.name, again.name) && same_str(p.api_version, again.api_version));
	CHECK(p.nfiles == again.nfiles && p.nversions == again.nversions);
	for (i = 0; i < p.nfiles; i++) {
		const SimpleFile *x = &p.files[i], *y = &again.files[i];

		CHECK(strcmp(x->filename, y->filename) == 0 && strcmp(x->url, y->url) == 0);
		CHECK(x->nhashes == y->nhashes && x->nmetadata_hashes == y->nmetadata_hashes);
		CHECK(x->yanked == y->yanked && same_str(x->yanked_reason, y->yanked_reason));
		CHECK(x->has_metadata == y->has_metadata && x->size == y->size);
		CHECK(same_str(x->requires_python, y->requires_python));
		CHECK(same_str(x->upload_time, y->upload_time));
	}
	simple_page_write(&again, &two);
	CHECK(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
	buf_free(&one);
	buf_free(&two);
	arena_free(&a);
	return 0;
}
