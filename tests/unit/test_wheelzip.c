/*
 * test_wheelzip.c - unit tests of reading wheels from pieces (packaging/wheelzip.c).
 *
 * The zips are made at test time: by a small writer here that lays out exactly the
 * records asked for (stored and deflated members, data descriptors, zip64 extra
 * fields and end records, comments, and every kind of damage), and by libarchive's
 * own zip writer (deflated and stored, with and without zip64), so that the reader is
 * checked against bytes it did not make itself. The deflated METADATA below was made
 * once with zlib (raw deflate, level 9).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/wheelzip.h"

static const char metadata_text[] =
	"Metadata-Version: 2.1\nName: beagle-vote\nVersion: 1.0\nSummary: Votes, by beagles.\n"
	"Requires-Dist: requests>=2\nRequires-Dist: idna; extra == \"intl\"\n\n"
	"Beagles vote. Beagles vote. Beagles vote. Beagles vote.\n";

static const unsigned char metadata_deflated[] = {
	0x8d, 0x8d, 0xb1, 0x0a, 0xc2, 0x40, 0x10, 0x05, 0xfb, 0xfd, 0x8a, 0x25, 0xb5, 0x77, 0x98,
	0x94, 0x27, 0x67, 0x21, 0xb6, 0xb1, 0x50, 0x48, 0xbf, 0x21, 0x8b, 0x1c, 0xe4, 0x2e, 0xb8,
	0xbb, 0x11, 0xf3, 0xf7, 0x46, 0x14, 0x0b, 0x2b, 0xcb, 0x61, 0x1e, 0xf3, 0x5a, 0x36, 0x1a,
	0xc8, 0xc8, 0x75, 0x2c, 0x9a, 0xa6, 0x12, 0xb0, 0xf1, 0x35, 0x9c, 0x28, 0x73, 0xc0, 0x9e,
	0xe9, 0x3a, 0xb2, 0xbb, 0x4f, 0xc6, 0xf0, 0xd5, 0xb5, 0xdf, 0xc2, 0x65, 0xce, 0x99, 0x64,
	0x09, 0xd8, 0xad, 0x4a, 0x37, 0xd8, 0x2f, 0x9f, 0xad, 0x7a, 0x38, 0xf3, 0x6d, 0x4e, 0xc2,
	0xea, 0x8e, 0x49, 0x2d, 0xa0, 0xac, 0xc8, 0x6a, 0xba, 0x8f, 0xcd, 0xaf, 0x4a, 0x43, 0xa1,
	0x1d, 0xf2, 0xc3, 0x84, 0x30, 0x46, 0xac, 0x52, 0xb1, 0xb1, 0x02, 0x38, 0xbc, 0x4b, 0xf8,
	0xba, 0xf5, 0xf8, 0x37, 0xc1, 0x13,
};
#define METADATA_CRC 0x7b6a4760u

/* ---------------------------------------------------------------- a zip writer */

typedef struct ZMember {
	const char *name;
	const void *data;        /* as stored: compressed when method is 8 */
	size_t len;
	uint16_t method;
	const char *plain;       /* the uncompressed bytes (NULL: data) */
	size_t plain_len;
	bool descriptor;         /* bit 3: sizes and CRC after the data */
	bool zip64;              /* sizes and offset in zip64 extra fields */
} ZMember;

typedef struct ZOptions {
	const char *comment;
	size_t comment_len;
	bool zip64_end;          /* zip64 end record and locator */
	size_t prefix;           /* bytes of padding before the first member */
} ZOptions;

/* CRC-32 bit by bit, independent of the reader's table */
static uint32_t
test_crc32(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= b[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
put16(Buf *b, uint16_t v)
{
	buf_putc(b, (char)(v & 0xFF));
	buf_putc(b, (char)(v >> 8));
}

static void
put32(Buf *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b, (uint16_t)(v >> 16));
}

static void
put64(Buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void
zip_build(Buf *out, const ZMember *m, size_t n, const ZOptions *o)
{
	uint64_t *offsets = calloc(n ? n : 1, sizeof(*offsets)), dir_at, dir_len, rec_at;
	size_t i;

	for (i = 0; o && i < o->prefix; i++)
		buf_putc(out, 'x');
	for (i = 0; i < n; i++) {
		const char *plain = m[i].plain ? m[i].plain : m[i].data;
		size_t plain_len = m[i].plain ? m[i].plain_len : m[i].len;
		uint32_t crc = test_crc32(plain, plain_len);

		offsets[i] = out->len;
		put32(out, 0x04034b50);
		put16(out, m[i].zip64 ? 45 : 20);
		put16(out, m[i].descriptor ? 8 : 0);
		put16(out, m[i].method);
		put16(out, 0);
		put16(out, 0x21);
		put32(out, m[i].descriptor ? 0 : crc);
		put32(out, m[i].descriptor ? 0 : m[i].zip64 ? 0xFFFFFFFFu : (uint32_t)m[i].len);
		put32(out, m[i].descriptor ? 0 : m[i].zip64 ? 0xFFFFFFFFu : (uint32_t)plain_len);
		put16(out, (uint16_t)strlen(m[i].name));
		put16(out, m[i].zip64 ? 20 : 0);
		buf_puts(out, m[i].name);
		if (m[i].zip64) {
			put16(out, 1);
			put16(out, 16);
			put64(out, m[i].descriptor ? 0 : plain_len);
			put64(out, m[i].descriptor ? 0 : m[i].len);
		}
		buf_append(out, m[i].data, m[i].len);
		if (m[i].descriptor) {
			put32(out, 0x08074b50);
			put32(out, crc);
			if (m[i].zip64) {
				put64(out, m[i].len);
				put64(out, plain_len);
			} else {
				put32(out, (uint32_t)m[i].len);
				put32(out, (uint32_t)plain_len);
			}
		}
	}
	dir_at = out->len;
	for (i = 0; i < n; i++) {
		const char *plain = m[i].plain ? m[i].plain : m[i].data;
		size_t plain_len = m[i].plain ? m[i].plain_len : m[i].len;

		put32(out, 0x02014b50);
		put16(out, 0x031e);
		put16(out, m[i].zip64 ? 45 : 20);
		put16(out, m[i].descriptor ? 8 : 0);
		put16(out, m[i].method);
		put16(out, 0);
		put16(out, 0x21);
		put32(out, test_crc32(plain, plain_len));
		put32(out, m[i].zip64 ? 0xFFFFFFFFu : (uint32_t)m[i].len);
		put32(out, m[i].zip64 ? 0xFFFFFFFFu : (uint32_t)plain_len);
		put16(out, (uint16_t)strlen(m[i].name));
		put16(out, m[i].zip64 ? 28 : 0);
		put16(out, 0);
		put16(out, 0);
		put16(out, 0);
		put32(out, 0644u << 16);
		put32(out, m[i].zip64 ? 0xFFFFFFFFu : (uint32_t)offsets[i]);
		buf_puts(out, m[i].name);
		if (m[i].zip64) {
			put16(out, 1);
			put16(out, 24);
			put64(out, plain_len);
			put64(out, m[i].len);
			put64(out, offsets[i]);
		}
	}
	dir_len = out->len - dir_at;
	if (o && o->zip64_end) {
		rec_at = out->len;
		put32(out, 0x06064b50);
		put64(out, 44);
		put16(out, 45);
		put16(out, 45);
		put32(out, 0);
		put32(out, 0);
		put64(out, n);
		put64(out, n);
		put64(out, dir_len);
		put64(out, dir_at);
		put32(out, 0x07064b50);
		put32(out, 0);
		put64(out, rec_at);
		put32(out, 1);
	}
	put32(out, 0x06054b50);
	put16(out, 0);
	put16(out, 0);
	put16(out, o && o->zip64_end ? 0xFFFF : (uint16_t)n);
	put16(out, o && o->zip64_end ? 0xFFFF : (uint16_t)n);
	put32(out, o && o->zip64_end ? 0xFFFFFFFFu : (uint32_t)dir_len);
	put32(out, o && o->zip64_end ? 0xFFFFFFFFu : (uint32_t)dir_at);
	put16(out, o && o->comment ? (uint16_t)o->comment_len : 0);
	if (o && o->comment)
		buf_append(out, o->comment, o->comment_len);
	free(offsets);
}

#define STORED(n, text) { n, text, sizeof(text) - 1, 0, NULL, 0, false, false }
#define DEFLATED_METADATA(n) \
	{ n, metadata_deflated, sizeof(metadata_deflated), 8, metadata_text, sizeof(metadata_text) - 1, false, false }

static const ZMember wheel[] = {
	STORED("beagle_vote/__init__.py", "def vote():\n    return 'woof'\n"),
	DEFLATED_METADATA("beagle_vote-1.0.dist-info/METADATA"),
	STORED("beagle_vote-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
	STORED("beagle_vote-1.0.dist-info/RECORD", "beagle_vote/__init__.py,,\n"),
};

/* ---------------------------------------------------------------- helpers */

typedef struct Dir {
	Arena arena;
	WheelzipDir d;
	Err err;
} Dir;

static void
read_whole(Dir *d, const Buf *zip)
{
	uint64_t need = 12345;

	memset(d, 0, sizeof(*d));
	if (wheelzip_read_dir(zip->data, zip->len, zip->len, &d->arena, &d->d, &need, &d->err) != 0) {
		print_error("rejected: %s\n", d->err.msg);
		fail();
	}
	assert_int_equal(need, 12345);
}

static void
read_dir_error(const Buf *zip, size_t tail_len, const char *phrase)
{
	Arena a = { 0 };
	WheelzipDir d;
	uint64_t need = 0;
	Err err;

	if (wheelzip_read_dir(zip->data + zip->len - tail_len, tail_len, zip->len, &a, &d, &need, &err) != -1 ||
	    !strstr(err.msg, phrase)) {
		print_error("wanted an error with '%s', got: %s\n", phrase, err.msg);
		fail();
	}
	assert_int_equal(d.nmembers, 0);
	arena_free(&a);
}

static const WheelzipMember *
member(const WheelzipDir *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nmembers; i++)
		if (strcmp(d->members[i].name, name) == 0)
			return &d->members[i];
	fail_msg("no member %s", name);
	return NULL;
}

/* The member's contents, read from the bytes of its span only (exactly sized, for ASan). */
static int
extract(const Buf *zip, const WheelzipMember *m, uint64_t max, Buf *out, Err *err)
{
	size_t span = (size_t)(m->end_offset - m->local_offset);
	char *copy = malloc(span ? span : 1);
	int rc;

	memcpy(copy, zip->data + m->local_offset, span);
	rc = wheelzip_extract(copy, span, m, max, out, err);
	free(copy);
	return rc;
}

static void
check_extract(const Buf *zip, const WheelzipMember *m, const char *want, size_t want_len)
{
	Buf out = { 0 };
	Err err;

	buf_puts(&out, "kept:");
	if (extract(zip, m, 0, &out, &err) != 0) {
		print_error("%s: %s\n", m->name, err.msg);
		fail();
	}
	assert_int_equal(out.len, 5 + want_len);
	assert_memory_equal(out.data, "kept:", 5);
	assert_memory_equal(out.data + 5, want, want_len);
	buf_free(&out);
}

static void
check_extract_error(const Buf *zip, const WheelzipMember *m, size_t len, uint64_t max,
		    const char *phrase)
{
	Buf out = { 0 };
	Err err;

	buf_puts(&out, "kept");
	if (wheelzip_extract(zip->data + m->local_offset, len, m, max, &out, &err) != -1 ||
	    !strstr(err.msg, phrase)) {
		print_error("%s: wanted an error with '%s', got: %s\n", m->name, phrase,
			    err.msg);
		fail();
	}
	/* nothing of the member is left behind */
	assert_string_equal(out.data, "kept");
	buf_free(&out);
}

static bool
same_dir(const WheelzipDir *a, const WheelzipDir *b)
{
	size_t i;

	if (a->nmembers != b->nmembers || a->dir_offset != b->dir_offset)
		return false;
	for (i = 0; i < a->nmembers; i++) {
		const WheelzipMember *x = &a->members[i], *y = &b->members[i];

		if (strcmp(x->name, y->name) != 0 || x->local_offset != y->local_offset ||
		    x->end_offset != y->end_offset || x->compressed_size != y->compressed_size ||
		    x->uncompressed_size != y->uncompressed_size || x->crc32 != y->crc32 ||
		    x->method != y->method)
			return false;
	}
	return true;
}

/* Reading from tails: 1 while the directory is not in view, then the whole file's answer. */
static void
check_tails(const Buf *zip)
{
	Dir whole, part;
	size_t tail, from;
	int round;

	read_whole(&whole, zip);
	for (tail = 1; tail < zip->len; tail += 1 + tail / 7) {
		uint64_t need = 0;
		int rc;

		memset(&part, 0, sizeof(part));
		rc = wheelzip_read_dir(zip->data + zip->len - tail, tail, zip->len, &part.arena, &part.d,
				       &need, &part.err);
		/* at most three more rounds: the locator, the zip64 record, the directory */
		for (round = 0, from = zip->len - tail; rc == 1 && round < 3; round++) {
			assert_true(need < from);
			from = (size_t)need;
			rc = wheelzip_read_dir(zip->data + from, zip->len - from, zip->len, &part.arena,
					       &part.d, &need, &part.err);
		}
		if (rc != 0) {
			print_error("tail %zu: %d %s\n", tail, rc, part.err.msg);
			fail();
		}
		assert_true(same_dir(&whole.d, &part.d));
		arena_free(&part.arena);
	}
	arena_free(&whole.arena);
}

/* ---------------------------------------------------------------- tests */

static void
test_read_wheel(void **state)
{
	const WheelzipMember *m;
	Buf zip = { 0 };
	size_t i;
	Dir d;

	(void)state;
	zip_build(&zip, wheel, 4, NULL);
	read_whole(&d, &zip);
	assert_int_equal(d.d.nmembers, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(d.d.members[i].name, wheel[i].name);
	assert_int_equal(d.d.members[0].local_offset, 0);
	for (i = 0; i + 1 < 4; i++)
		assert_int_equal(d.d.members[i].end_offset, d.d.members[i + 1].local_offset);
	assert_int_equal(d.d.members[3].end_offset, d.d.dir_offset);
	m = &d.d.members[1];
	assert_int_equal(m->method, 8);
	assert_int_equal(m->compressed_size, sizeof(metadata_deflated));
	assert_int_equal(m->uncompressed_size, sizeof(metadata_text) - 1);
	assert_int_equal(m->crc32, METADATA_CRC);
	assert_int_equal(d.d.members[0].method, 0);

	m = wheelzip_find_metadata(&d.d, "beagle_vote", "1.0", &d.err);
	assert_ptr_equal(m, &d.d.members[1]);
	check_extract(&zip, m, metadata_text, sizeof(metadata_text) - 1);
	check_extract(&zip, &d.d.members[0], "def vote():\n    return 'woof'\n", 30);
	check_extract(&zip, member(&d.d, "beagle_vote-1.0.dist-info/RECORD"),
		      "beagle_vote/__init__.py,,\n", 26);
	check_tails(&zip);
	arena_free(&d.arena);
	buf_free(&zip);
}

static void
test_tail_too_short(void **state)
{
	Buf zip = { 0 }, big = { 0 };
	ZMember many[40];
	char names[40][64];
	WheelzipDir d;
	Arena a = { 0 };
	uint64_t need = 0, dir_at;
	size_t i, tail;
	Err err;

	(void)state;
	/* a directory larger than the tail: 1 with its offset, then success */
	for (i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "beagle_vote/module_with_a_long_name_%02zu.py", i);
		many[i] = (ZMember)STORED(names[i], "x = 1\n");
	}
	many[39] = (ZMember)DEFLATED_METADATA("beagle_vote-1.0.dist-info/METADATA");
	zip_build(&zip, many, 40, NULL);
	tail = 200;
	assert_int_equal(wheelzip_read_dir(zip.data + zip.len - tail, tail, zip.len, &a, &d, &need, &err), 1);
	dir_at = need;
	assert_true(dir_at < zip.len - tail);
	assert_int_equal(d.nmembers, 0);
	assert_int_equal(wheelzip_read_dir(zip.data + dir_at, zip.len - dir_at, zip.len, &a, &d, &need,
					   &err), 0);
	assert_int_equal(d.dir_offset, dir_at);
	assert_int_equal(d.nmembers, 40);
	check_extract(&zip, wheelzip_find_metadata(&d, "beagle-vote", "1.0", &err), metadata_text,
		      sizeof(metadata_text) - 1);
	/* a tail that cannot even hold the end record */
	assert_int_equal(wheelzip_read_dir(zip.data + zip.len - 10, 10, zip.len, &a, &d, &need, &err), 1);
	assert_int_equal(need, 0);   /* the file is smaller than the widest search */
	check_tails(&zip);

	/* a comment of 65535 bytes: the end record is 65557 bytes from the end */
	{
		char *comment = malloc(65535);
		ZOptions o = { comment, 65535, false, 0 };

		memset(comment, 'c', 65535);
		zip_build(&big, wheel, 4, &o);
		free(comment);
	}
	tail = WHEELZIP_TAIL_GUESS;
	assert_int_equal(wheelzip_read_dir(big.data + big.len - tail, tail, big.len, &a, &d, &need, &err), 1);
	assert_int_equal(need, big.len - 65577);
	assert_int_equal(wheelzip_read_dir(big.data + need, big.len - need, big.len, &a, &d, &need, &err), 1);
	dir_at = need;
	assert_true(dir_at < big.len - 65577);
	assert_int_equal(wheelzip_read_dir(big.data + dir_at, big.len - dir_at, big.len, &a, &d, &need,
					   &err), 0);
	assert_int_equal(d.nmembers, 4);
	assert_int_equal(d.dir_offset, dir_at);
	arena_free(&a);
	buf_free(&zip);
	buf_free(&big);
}

static void
test_comment(void **state)
{
	/* a comment that holds something like an end record, with a length that does not fit */
	static const char comment[] = "built by hand PK\x05\x06\0\0\0\0\x09\0\x09\0\0\0\0\0\0\0\0\0\x30\0 end";
	ZOptions o = { comment, sizeof(comment) - 1, false, 0 };
	Buf zip = { 0 };
	Dir d;

	(void)state;
	zip_build(&zip, wheel, 4, &o);
	read_whole(&d, &zip);
	assert_int_equal(d.d.nmembers, 4);
	check_extract(&zip, wheelzip_find_metadata(&d.d, NULL, NULL, &d.err), metadata_text,
		      sizeof(metadata_text) - 1);
	check_tails(&zip);
	arena_free(&d.arena);

	/* bytes after the comment: not a zip file we read */
	buf_puts(&zip, "junk");
	read_dir_error(&zip, zip.len, "not a zip file (no end of central directory record)");
	buf_free(&zip);
}

static void
test_zip64(void **state)
{
	ZMember m[4];
	ZOptions o = { "zip64", 5, true, 0 };
	Buf zip = { 0 };
	WheelzipDir d;
	Arena a = { 0 };
	uint64_t need = 0, eocd_at;
	size_t i;
	Err err;
	Dir whole;

	(void)state;
	for (i = 0; i < 4; i++) {
		m[i] = wheel[i];
		m[i].zip64 = true;
		m[i].descriptor = i == 1;
	}
	zip_build(&zip, m, 4, &o);
	read_whole(&whole, &zip);
	assert_int_equal(whole.d.nmembers, 4);
	assert_int_equal(whole.d.members[1].compressed_size, sizeof(metadata_deflated));
	assert_int_equal(whole.d.members[2].local_offset, whole.d.members[1].end_offset);
	check_extract(&zip, wheelzip_find_metadata(&whole.d, "beagle_vote", "1.0", &err), metadata_text,
		      sizeof(metadata_text) - 1);
	check_extract(&zip, &whole.d.members[0], "def vote():\n    return 'woof'\n", 30);
	check_tails(&zip);

	/* the tail begins between the locator and the end record: it must look further back */
	eocd_at = zip.len - 22 - 5;
	assert_int_equal(wheelzip_read_dir(zip.data + eocd_at - 4, zip.len - eocd_at + 4, zip.len, &a, &d,
					   &need, &err), 1);
	assert_int_equal(need, eocd_at - 20);
	/* the locator in view, the zip64 record not */
	assert_int_equal(wheelzip_read_dir(zip.data + eocd_at - 20, zip.len - eocd_at + 20, zip.len, &a,
					   &d, &need, &err), 1);
	assert_int_equal(need, eocd_at - 20 - 56);
	assert_int_equal(wheelzip_read_dir(zip.data + need, zip.len - need, zip.len, &a, &d, &need, &err), 1);
	assert_int_equal(need, whole.d.dir_offset);

	/* a locator pointing after itself, or at no record */
	for (i = 0; i < 8; i++)
		zip.data[eocd_at - 20 + 8 + i] = (char)((eocd_at - 20 - 56 - 1) >> (8 * i));
	read_dir_error(&zip, zip.len, "no zip64 end of central directory record at");
	for (i = 0; i < 8; i++)
		zip.data[eocd_at - 20 + 8 + i] = (char)((eocd_at - 20 - 55) >> (8 * i));
	read_dir_error(&zip, zip.len, "the zip64 locator points to");
	arena_free(&whole.arena);
	arena_free(&a);
	buf_free(&zip);
}

static void
test_data_descriptors(void **state)
{
	ZMember m[4];
	Buf zip = { 0 };
	size_t i;
	Dir d;

	(void)state;
	for (i = 0; i < 4; i++) {
		m[i] = wheel[i];
		m[i].descriptor = true;
	}
	zip_build(&zip, m, 4, NULL);
	read_whole(&d, &zip);
	for (i = 0; i < 4; i++)
		assert_int_equal(d.d.members[i].compressed_size, m[i].len);
	check_extract(&zip, &d.d.members[1], metadata_text, sizeof(metadata_text) - 1);
	check_extract(&zip, &d.d.members[0], "def vote():\n    return 'woof'\n", 30);
	check_extract(&zip, &d.d.members[3], "beagle_vote/__init__.py,,\n", 26);
	/* with the sizes deferred, only the directory's count: here, too many */
	{
		WheelzipMember x = d.d.members[1];

		x.compressed_size = x.end_offset - x.local_offset;
		check_extract_error(&zip, &x, zip.len - x.local_offset, 0, "run past the member's end");
	}
	arena_free(&d.arena);
	buf_free(&zip);
}

static void
check_find(const ZMember *m, size_t n, const char *name, const char *version, const char *want)
{
	Buf zip = { 0 };
	const WheelzipMember *got;
	Dir d;

	zip_build(&zip, m, n, NULL);
	read_whole(&d, &zip);
	got = wheelzip_find_metadata(&d.d, name, version, &d.err);
	if (!got || strcmp(got->name, want) != 0) {
		print_error("find(%s, %s): wanted %s, got %s (%s)\n", name ? name : "NULL",
			    version ? version : "NULL", want, got ? got->name : "none", d.err.msg);
		fail();
	}
	arena_free(&d.arena);
	buf_free(&zip);
}

static void
check_find_error(const ZMember *m, size_t n, const char *name, const char *version,
		 const char *phrase)
{
	Buf zip = { 0 };
	Dir d;

	zip_build(&zip, m, n, NULL);
	read_whole(&d, &zip);
	if (wheelzip_find_metadata(&d.d, name, version, &d.err) != NULL ||
	    strcmp(d.err.msg, phrase) != 0) {
		print_error("find(%s, %s): wanted the error\n  %s\ngot\n  %s\n", name ? name : "NULL",
			    version ? version : "NULL", phrase, d.err.msg);
		fail();
	}
	arena_free(&d.arena);
	buf_free(&zip);
}

static void
test_find_metadata(void **state)
{
	static const ZMember lookalikes[] = {
		STORED("a/b.dist-info/METADATA", "x"),
		STORED("beagle_vote-1.0.data/purelib/beagle_vote-1.0.dist-info/METADATA", "x"),
		STORED("beagle_vote-1.0.dist-info/METADATA.bak", "x"),
		STORED("beagle_vote-1.0.dist-info/sub/METADATA", "x"),
		STORED("beagle_vote-1.0.dist-info/metadata", "x"),
		STORED("beagle_vote-1.0.dist-infox/METADATA", "x"),
		STORED("other_pkg-2.0.dist-info/METADATA", "x"),
		STORED("beagle_vote-1.0.dist-info/METADATA", "the one"),
		STORED("/beagle_vote-1.0.dist-info/METADATA", "x"),
	};
	static const ZMember two_same[] = {
		STORED("beagle_vote-1.0.dist-info/METADATA", "x"),
		STORED("Beagle.Vote-1.0.dist-info/METADATA", "y"),
	};
	static const ZMember legacy[] = {
		STORED("beagle-vote-1.0rc1.dist-info/METADATA", "x"),
		STORED("beagle_vote-1.0_post1.dist-info/METADATA", "y"),
		STORED("beagle_vote-1.0.dist-info/RECORD", "z"),
	};
	static const ZMember none[] = {
		STORED("beagle_vote/__init__.py", ""),
		STORED("nested/x-1.dist-info/METADATA", ""),
	};

	(void)state;
	check_find(lookalikes, 9, "beagle_vote", "1.0", "beagle_vote-1.0.dist-info/METADATA");
	check_find(lookalikes, 9, "Beagle-Vote", "1.0", "beagle_vote-1.0.dist-info/METADATA");
	check_find(lookalikes, 9, "beagle..vote", NULL, "beagle_vote-1.0.dist-info/METADATA");
	check_find(lookalikes, 9, NULL, "2.0", "other_pkg-2.0.dist-info/METADATA");
	check_find(lookalikes, 9, "other-pkg", NULL, "other_pkg-2.0.dist-info/METADATA");
	check_find_error(lookalikes, 9, NULL, NULL,
			 "2 METADATA files in the wheel; found \"other_pkg-2.0.dist-info/METADATA\", "
			 "\"beagle_vote-1.0.dist-info/METADATA\"");
	check_find_error(lookalikes, 9, "beagle_vote", "1.1",
			 "no METADATA in the wheel for beagle_vote 1.1; found "
			 "\"other_pkg-2.0.dist-info/METADATA\", \"beagle_vote-1.0.dist-info/METADATA\"");
	check_find_error(two_same, 2, "beagle-vote", "1.0",
			 "2 METADATA files in the wheel for beagle-vote 1.0; found "
			 "\"beagle_vote-1.0.dist-info/METADATA\", \"Beagle.Vote-1.0.dist-info/METADATA\"");
	check_find(legacy, 3, "beagle-vote", "1.0RC1", "beagle-vote-1.0rc1.dist-info/METADATA");
	check_find(legacy, 3, "beagle_vote", "1.0-post1", "beagle_vote-1.0_post1.dist-info/METADATA");
	check_find_error(legacy, 3, "beagle_vote", "1.0",
			 "no METADATA in the wheel for beagle_vote 1.0; found "
			 "\"beagle-vote-1.0rc1.dist-info/METADATA\", "
			 "\"beagle_vote-1.0_post1.dist-info/METADATA\"");
	check_find_error(none, 2, "x", NULL,
			 "no METADATA in the wheel for x; found no NAME-VERSION.dist-info/METADATA "
			 "at the top level");
	/* hostile names: escaped, and the list stops before the message would be cut */
	{
		ZMember many[30];
		char names[30][128];
		Buf zip = { 0 };
		Dir d;
		size_t i;

		for (i = 0; i < 30; i++) {
			snprintf(names[i], sizeof(names[i]), "\x1b[2J%02zu-%s-1.dist-info/METADATA", i,
				 "\x9b\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14"
				 "\x15\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f\x7f");
			many[i] = (ZMember)STORED(names[i], "x");
		}
		zip_build(&zip, many, 30, NULL);
		read_whole(&d, &zip);
		assert_null(wheelzip_find_metadata(&d.d, "bad\x1bname", "1\n0", &d.err));
		assert_true(strlen(d.err.msg) < sizeof(d.err.msg) - 100);
		assert_true(strncmp(d.err.msg, "no METADATA in the wheel for ", 29) == 0);
		assert_non_null(strstr(d.err.msg, "for \"bad\\x1bname\" \"1\\n0\"; found \"\\x1b[2J00-"));
		assert_string_equal(d.err.msg + strlen(d.err.msg) - 5, ", ...");
		for (i = 0; d.err.msg[i]; i++)
			assert_true((unsigned char)d.err.msg[i] >= 0x20 && (unsigned char)d.err.msg[i] < 0x7F);
		arena_free(&d.arena);
		buf_free(&zip);
	}
	check_find_error(none, 0, NULL, NULL,
			 "no METADATA in the wheel; found no NAME-VERSION.dist-info/METADATA at "
			 "the top level");
}

static void
test_extract_errors(void **state)
{
	Buf zip = { 0 };
	WheelzipMember m;
	const WheelzipMember *md, *st;
	size_t data_at;
	Dir d;

	(void)state;
	zip_build(&zip, wheel, 4, NULL);
	read_whole(&d, &zip);
	md = &d.d.members[1];
	st = &d.d.members[0];

	/* truncated: fewer bytes than the member spans */
	check_extract_error(&zip, md, (size_t)(md->end_offset - md->local_offset) - 1, 0,
			    "bytes given, the member spans");
	check_extract_error(&zip, md, 3, 0, "bytes given, the member spans");
	/* too large for the caller */
	check_extract_error(&zip, md, zip.len - md->local_offset, 100, "202 bytes, more than the 100 allowed");

	/* the directory says otherwise than the data */
	m = *md;
	m.crc32 ^= 1;
	check_extract_error(&zip, &m, zip.len - m.local_offset, 0, "the local header disagrees");
	m = *md;
	m.method = 0;
	check_extract_error(&zip, &m, zip.len - m.local_offset, 0, "the local header says method 8, the directory 0");
	m = *md;
	m.name = "beagle_vote-1.0.dist-info/METADATX";
	check_extract_error(&zip, &m, zip.len - m.local_offset, 0, "the local header names another member");
	m = *md;
	m.local_offset = st->local_offset;
	check_extract_error(&zip, &m, zip.len, 0, "the local header names another member");
	m = *md;
	m.local_offset += 1;
	check_extract_error(&zip, &m, zip.len - m.local_offset, 0, "no local file header at");
	m = *st;
	m.uncompressed_size += 1;
	check_extract_error(&zip, &m, zip.len - m.local_offset, 0, "the local header disagrees");
	m = *md;
	m.compressed_size = m.end_offset - m.local_offset;
	check_extract_error(&zip, &m, zip.len - m.local_offset, 0, "the local header disagrees");

	/* corrupt data: a stored byte changed, a deflated byte changed */
	data_at = (size_t)st->local_offset + 30 + strlen(st->name);
	zip.data[data_at] ^= 0x20;
	check_extract_error(&zip, st, zip.len - st->local_offset, 0, "CRC-32 mismatch");
	zip.data[data_at] ^= 0x20;
	data_at = (size_t)md->local_offset + 30 + strlen(md->name);
	zip.data[data_at + 40] ^= 0x01;
	check_extract_error(&zip, md, zip.len - md->local_offset, 0, "member \"beagle_vote-1.0.dist-info/METADATA\": ");
	zip.data[data_at + 40] ^= 0x01;
	buf_free(&zip);
	arena_free(&d.arena);

	/* local flags and methods */
	{
		static const char text[] = "some text";
		ZMember enc[1] = { STORED("e.txt", "some text") };
		Buf z = { 0 };
		Dir e;

		zip_build(&z, enc, 1, NULL);
		read_whole(&e, &z);
		z.data[6] = 1;  /* encrypted */
		check_extract_error(&z, &e.d.members[0], z.len, 0, "encrypted");
		z.data[6] = 0;
		z.data[8] = 12;  /* bzip2, in both headers */
		e.d.members[0].method = 12;
		check_extract_error(&z, &e.d.members[0], z.len, 0, "compression method 12 is not supported");
		z.data[8] = 0;
		e.d.members[0].method = 0;
		check_extract(&z, &e.d.members[0], text, sizeof(text) - 1);
		/* a stored member whose sizes differ */
		e.d.members[0].compressed_size -= 1;
		z.data[18] -= 1;
		check_extract_error(&z, &e.d.members[0], z.len, 0, "stored, but 8 bytes become 9");
		arena_free(&e.arena);
		buf_free(&z);
	}
}

static void
test_deflate_damage(void **state)
{
	ZMember m[1] = { DEFLATED_METADATA("x-1.dist-info/METADATA") };
	Buf zip = { 0 };
	Dir d;

	(void)state;
	/* a deflate stream cut short */
	m[0].len -= 30;
	zip_build(&zip, m, 1, NULL);
	read_whole(&d, &zip);
	check_extract_error(&zip, &d.d.members[0], zip.len, 0, "member \"x-1.dist-info/METADATA\": ");
	arena_free(&d.arena);
	buf_free(&zip);

	/* more output than the directory promises */
	m[0] = (ZMember)DEFLATED_METADATA("x-1.dist-info/METADATA");
	m[0].plain_len = 100;
	zip_build(&zip, m, 1, NULL);
	read_whole(&d, &zip);
	check_extract_error(&zip, &d.d.members[0], zip.len, 0, "member \"x-1.dist-info/METADATA\": ");
	arena_free(&d.arena);
	buf_free(&zip);

	/* fewer: the CRC of the promised text, 300 bytes promised */
	m[0] = (ZMember)DEFLATED_METADATA("x-1.dist-info/METADATA");
	zip_build(&zip, m, 1, NULL);
	read_whole(&d, &zip);
	d.d.members[0].uncompressed_size = 300;
	zip.data[22] = 0x2c;   /* 300 = 0x12c in the local header too */
	zip.data[23] = 0x01;
	check_extract_error(&zip, &d.d.members[0], zip.len, 0, "member \"x-1.dist-info/METADATA\": ");
	arena_free(&d.arena);
	buf_free(&zip);

	/* garbage instead of deflate data */
	{
		static const char junk[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
		ZMember g[1] = { { "g", junk, 10, 8, "0123456789", 10, false, false } };

		zip_build(&zip, g, 1, NULL);
		read_whole(&d, &zip);
		check_extract_error(&zip, &d.d.members[0], zip.len, 0, "member \"g\": ");
		arena_free(&d.arena);
		buf_free(&zip);
	}
}

/* Patch a little-endian field of the central directory entry i (fields by offset). */
static void
patch_entry(Buf *zip, const WheelzipDir *d, size_t i, size_t field, uint32_t value, size_t width)
{
	size_t at = (size_t)d->dir_offset, k;

	for (k = 0; k < i; k++)
		at += 46 + strlen(d->members[k].name);
	for (k = 0; k < width; k++)
		zip->data[at + field + k] = (char)(value >> (8 * k));
}

static void
test_dir_errors(void **state)
{
	Buf zip = { 0 }, copy = { 0 };
	Arena a = { 0 };
	WheelzipDir d;
	uint64_t need;
	size_t eocd;
	Err err;
	Dir ok;

	(void)state;
	zip_build(&zip, wheel, 4, NULL);
	read_whole(&ok, &zip);
	eocd = zip.len - 22;

#define WITH(field_patch, phrase)                                    \
	do {                                                         \
		buf_clear(&copy);                                    \
		buf_append(&copy, zip.data, zip.len);                \
		field_patch;                                         \
		read_dir_error(&copy, copy.len, phrase);             \
	} while (0)

	/* members outside the file or overlapping */
	WITH(patch_entry(&copy, &ok.d, 2, 42, (uint32_t)ok.d.dir_offset, 4), "central directory entry 2: local header at");
	WITH(patch_entry(&copy, &ok.d, 2, 42, 0xFFFFFFF0u, 4), "central directory entry 2: local header at 4294967280, past the directory");
	WITH(patch_entry(&copy, &ok.d, 2, 42, 0, 4), "central directory entries 0 and 2 share the local header at 0");
	WITH(patch_entry(&copy, &ok.d, 1, 20, 5000, 4), "central directory entry 1: 5000 bytes of data at");
	WITH(patch_entry(&copy, &ok.d, 3, 20, 0xFFFFFFFFu, 4), "central directory entry 3: 4294967295 bytes of data");
	/* entries themselves */
	WITH(patch_entry(&copy, &ok.d, 1, 0, 0x12345678u, 4), "central directory entry 1: bad signature");
	WITH(patch_entry(&copy, &ok.d, 3, 28, 200, 2), "central directory entry 3: name runs past the directory");
	WITH(patch_entry(&copy, &ok.d, 3, 30, 4, 2), "central directory entry 3: name runs past the directory");
	WITH(patch_entry(&copy, &ok.d, 2, 46 + 3, 0, 1), "central directory entry 2: the name contains a NUL byte");
	WITH(patch_entry(&copy, &ok.d, 0, 34, 1, 2), "central directory entry 0: on disk 1");
	WITH(patch_entry(&copy, &ok.d, 1, 42, 0xFFFFFFFFu, 4), "central directory entry 1: zip64 extra field missing");
	/* the end record */
	WITH(copy.data[eocd + 10] = 5; copy.data[eocd + 8] = 5, "central directory entry 4 runs past the directory");
	WITH(copy.data[eocd + 10] = 3; copy.data[eocd + 8] = 3, "the central directory has");
	WITH(copy.data[eocd + 10] = 100; copy.data[eocd + 8] = 100, "counts 100 entries, more than a directory of");
	WITH(copy.data[eocd + 8] = 3, "spanned archive");
	WITH(copy.data[eocd + 4] = 1, "spanned archive");
	WITH(copy.data[eocd + 12] += 1, "runs past the end record");
	WITH(copy.data[eocd + 16] += 1, "runs past the end record");
	WITH(copy.data[eocd + 20] = 1, "not a zip file");
	WITH(copy.data[eocd] = 'x', "not a zip file");

	/* not a zip at all; tails longer than the file */
	buf_clear(&copy);
	buf_puts(&copy, "just some text, with no zip in it at all, none");
	read_dir_error(&copy, copy.len, "not a zip file (no end of central directory record)");
	buf_clear(&copy);
	buf_puts(&copy, "tiny");
	read_dir_error(&copy, copy.len, "not a zip file (4 bytes)");
	assert_int_equal(wheelzip_read_dir(zip.data, zip.len, zip.len - 1, &a, &d, &need, &err), -1);
	assert_non_null(strstr(err.msg, "bytes of the end of a file of"));
	/* an empty archive is a zip with no members */
	buf_clear(&copy);
	zip_build(&copy, NULL, 0, NULL);
	assert_int_equal(wheelzip_read_dir(copy.data, copy.len, copy.len, &a, &d, &need, &err), 0);
	assert_int_equal(d.nmembers, 0);
	assert_null(wheelzip_find_metadata(&d, NULL, NULL, &err));
#undef WITH
	arena_free(&a);
	arena_free(&ok.arena);
	buf_free(&zip);
	buf_free(&copy);
}

/* ---------------------------------------------------------------- libarchive's writer */

static int
libarchive_zip(Buf *out, const char *options, const char *const *names, const char *const *texts,
	       size_t n)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20, used = 0, i;
	char *mem = malloc(cap);

	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	if (options && archive_write_set_options(a, options) != ARCHIVE_OK) {
		archive_write_free(a);
		free(mem);
		return -1;
	}
	assert_int_equal(archive_write_open_memory(a, mem, cap, &used), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_size(e, (la_int64_t)strlen(texts[i]));
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 315532800, 0);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, texts[i], strlen(texts[i])), (la_ssize_t)strlen(texts[i]));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	buf_append(out, mem, used);
	free(mem);
	return 0;
}

static void
test_libarchive_written(void **state)
{
	static const char *const options[] = {
		"zip:compression=deflate", "zip:compression=store", "zip:compression=deflate,zip:zip64",
		"zip:compression=store,zip:zip64", NULL,
	};
	static const char *const names[] = {
		"beagle_vote/__init__.py", "beagle_vote-1.0.dist-info/METADATA",
		"beagle_vote-1.0.dist-info/WHEEL", "beagle_vote-1.0.dist-info/RECORD",
	};
	const char *texts[4];
	char *big = malloc(300001);
	size_t k, i;

	(void)state;
	for (i = 0; i < 300000; i++)
		big[i] = (char)('a' + (i * 7919 % 26));
	big[300000] = '\0';
	texts[0] = big;
	texts[1] = metadata_text;
	texts[2] = "Wheel-Version: 1.0\n";
	texts[3] = "";
	for (k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
		Buf zip = { 0 };
		const WheelzipMember *m;
		Dir d;

		if (libarchive_zip(&zip, options[k], names, texts, 4) != 0) {
			print_message("libarchive does not take %s, skipped\n", options[k]);
			continue;
		}
		read_whole(&d, &zip);
		assert_int_equal(d.d.nmembers, 4);
		m = wheelzip_find_metadata(&d.d, "beagle-vote", "1.0", &d.err);
		assert_non_null(m);
		check_extract(&zip, m, metadata_text, sizeof(metadata_text) - 1);
		for (i = 0; i < 4; i++) {
			assert_string_equal(d.d.members[i].name, names[i]);
			check_extract(&zip, &d.d.members[i], texts[i], strlen(texts[i]));
		}
		check_tails(&zip);
		arena_free(&d.arena);
		buf_free(&zip);
	}
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_wheel),
		cmocka_unit_test(test_tail_too_short),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_zip64),
		cmocka_unit_test(test_data_descriptors),
		cmocka_unit_test(test_find_metadata),
		cmocka_unit_test(test_extract_errors),
		cmocka_unit_test(test_deflate_damage),
		cmocka_unit_test(test_dir_errors),
		cmocka_unit_test(test_libarchive_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
