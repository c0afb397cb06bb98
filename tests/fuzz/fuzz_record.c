/*
 * fuzz_record.c - libFuzzer target for RECORD files (packaging/record.c).
 *
 * A rejected input must leave an empty Record and a message that names the file and a
 * line within the input, showing outside text only escaped. An accepted one must be
 * consistent: paths non-empty UTF-8, a digest of its algorithm's length, lines in
 * order, by_path strictly sorted, record_find finding each row itself. Written back by
 * record_write, it must parse to the same rows, and writing those again must give the
 * same text. The input is also decoded as base64: what decodes must encode to text that
 * decodes to the same bytes.
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
#include "packaging/record.h"
#include "fuzz.h"

#define WHAT "x-1.dist-info/RECORD"

static size_t
digest_len(const char *alg)
{
	static const struct {
		const char *name;
		size_t len;
	} algs[] = { { "sha224", 28 },   { "sha256", 32 },   { "sha384", 48 },
		     { "sha512", 64 },   { "sha3_224", 28 }, { "sha3_256", 32 },
		     { "sha3_384", 48 }, { "sha3_512", 64 }, { "blake2b", 64 },
		     { "blake2s", 32 } };
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i].name) == 0)
			return algs[i].len;
	return 0;
}

static bool
same_row(const RecordRow *a, const RecordRow *b)
{
	return strcmp(a->path, b->path) == 0 && (a->alg == NULL) == (b->alg == NULL) &&
	       (!a->alg || (strcmp(a->alg, b->alg) == 0 && a->digest_len == b->digest_len &&
			    memcmp(a->digest, b->digest, a->digest_len) == 0)) &&
	       a->has_size == b->has_size && (!a->has_size || a->size == b->size);
}

static void
check_error(const char *msg, const uint8_t *data, size_t size)
{
	unsigned long line, lines = 1;
	char *end;
	size_t i;

	CHECK(strncmp(msg, WHAT ":", strlen(WHAT) + 1) == 0);
	line = strtoul(msg + strlen(WHAT) + 1, &end, 10);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && !(i + 1 < size && data[i + 1] == '\n'));
	CHECK(line >= 1 && line <= lines && end[0] == ':' && end[1] == ' ');
	fuzz_check_shown(msg, false, sizeof(((Err *)0)->msg));
}

static void
check_b64(const uint8_t *data, size_t size)
{
	unsigned char bytes[RECORD_DIGEST_MAX], again[RECORD_DIGEST_MAX];
	size_t n, m;
	Buf b = { 0 };

	if (record_b64_decode((const char *)data, size, bytes, sizeof(bytes), &n) != 0)
		return;
	CHECK(n <= sizeof(bytes) && n == size * 6 / 8);
	record_b64_encode(bytes, n, &b);
	CHECK(b.len == size);
	CHECK(record_b64_decode(b.data ? b.data : "", b.len, again, sizeof(again), &m) == 0);
	CHECK(m == n && memcmp(again, bytes, n) == 0);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena a = { 0 };
	Record r, again;
	Buf out = { 0 }, out2 = { 0 };
	size_t i;
	Err err;

	check_b64(data, size);
	if (record_parse((const char *)data, size, WHAT, &a, &r, &err) != 0) {
		CHECK(r.nrows == 0 && r.rows == NULL && r.by_path == NULL);
		check_error(err.msg, data, size);
		arena_free(&a);
		return 0;
	}
	for (i = 0; i < r.nrows; i++) {
		const RecordRow *row = &r.rows[i];
		size_t n = strlen(row->path);

		CHECK(n > 0 && utf8_valid_prefix(row->path, n) == n);
		CHECK(!row->alg || (digest_len(row->alg) == row->digest_len));
		CHECK(i == 0 || row->line > r.rows[i - 1].line);
		CHECK(record_find(&r, row->path) == row);
		CHECK(i == 0 || strcmp(r.by_path[i - 1]->path, r.by_path[i]->path) < 0);
	}

	record_write(r.rows, r.nrows, &out);
	if (record_parse(out.data ? out.data : "", out.len, WHAT, &a, &again, &err) != 0) {
		fprintf(stderr, "written back, rejected: %s\n", err.msg);
		abort();
	}
	CHECK(again.nrows == r.nrows);
	/* record_write sorts by path: the rows come back in by_path order. */
	for (i = 0; i < r.nrows; i++)
		CHECK(same_row(&again.rows[i], r.by_path[i]));
	record_write(again.rows, again.nrows, &out2);
	CHECK(out.len == out2.len && (out.len == 0 || memcmp(out.data, out2.data, out.len) == 0));
	buf_free(&out);
	buf_free(&out2);
	arena_free(&a);
	return 0;
}
