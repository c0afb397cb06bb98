/*
 * fuzz_wheelzip.c - libFuzzer target for reading wheels from pieces (packaging/wheelzip.c).
 *
 * The input is a whole file. Its directory is read from the whole of it, then from
 * tails of several lengths, following need_from as a client would: each request must
 * ask for bytes it has not had, and the chain must end where the whole file does (the
 * same directory, or an error on both). A directory that is read must keep its
 * promises: members within the file, ending before the directory, not overlapping.
 * Every member is extracted from exactly its span (a sanitizer sees any overread);
 * a success has the size the directory says. METADATA is looked for with and without
 * a name. Every message must show outside text only escaped, never cut short.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/wheelzip.h"
#include "fuzz.h"

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

/* The directory as a client reading tails finds it: rc, and dir on success. */
static int
read_by_tails(const uint8_t *data, size_t size, size_t tail, Arena *a, WheelzipDir *dir)
{
	uint64_t need = 0;
	size_t from = size - tail;
	Err err;
	int rc, rounds = 0;

	rc = wheelzip_read_dir(data + from, size - from, size, a, dir, &need, &err);
	while (rc == 1) {
		CHECK(need < from);   /* always more than it had */
		CHECK(++rounds <= 4);
		from = (size_t)need;
		rc = wheelzip_read_dir(data + from, size - from, size, a, dir, &need, &err);
	}
	if (rc != 0) {
		CHECK(rc == -1 && dir->nmembers == 0);
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t tails[] = { 1, 22, 64, 200, 1000, 4096, 65536 };
	WheelzipDir whole, part;
	Arena a = { 0 };
	uint64_t need = 0;
	size_t i;
	Err err;
	int rc;

	rc = wheelzip_read_dir(data, size, size, &a, &whole, &need, &err);
	CHECK(rc == 0 || rc == -1);   /* the whole file never asks for more */
	if (rc != 0) {
		CHECK(whole.nmembers == 0);
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
	}
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]) + 1; i++) {
		size_t tail = i < sizeof(tails) / sizeof(tails[0]) ? tails[i] : size / 2;

		if (tail == 0 || tail >= size)
			continue;
		CHECK(read_by_tails(data, size, tail, &a, &part) == rc);
		CHECK(rc != 0 || same_dir(&whole, &part));
	}
	if (rc != 0) {
		arena_free(&a);
		return 0;
	}

	CHECK(whole.dir_offset <= size);
	for (i = 0; i < whole.nmembers; i++) {
		const WheelzipMember *m = &whole.members[i];
		uint64_t span = m->end_offset - m->local_offset;
		Buf out = { 0 };
		uint8_t *copy;

		CHECK(m->local_offset < m->end_offset && m->end_offset <= whole.dir_offset);
		CHECK(span >= 30 + strlen(m->name) && span - 30 - strlen(m->name) >= m->compressed_size);
		copy = malloc(span ? (size_t)span : 1);
		memcpy(copy, data + m->local_offset, (size_t)span);
		if (wheelzip_extract(copy, (size_t)span, m, 1 << 20, &out, &err) == 0) {
			CHECK(out.len == m->uncompressed_size);
		} else {
			CHECK(out.len == 0);
			fuzz_check_shown(err.msg, false, sizeof(err.msg));
		}
		buf_free(&out);
		free(copy);
	}
	if (!wheelzip_find_metadata(&whole, NULL, NULL, &err))
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
	if (!wheelzip_find_metadata(&whole, "beagle-vote", "1.0", &err))
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
	arena_free(&a);
	return 0;
}
