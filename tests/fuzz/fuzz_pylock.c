/*
 * fuzz_pylock.c - libFuzzer target for pylock.toml reading and writing
 * (packaging/pylock.c).
 *
 * Any bytes are a pylock.toml. A rejected input must carry an error that starts
 * "pylock.toml:LINE:COL: " with LINE inside the input (so must every warning of an
 * accepted one). An accepted lock must be writable (what the reader accepts, the
 * writer accepts); the text written must read back, and writing that again must give
 * the same bytes. A file name taken from a URL is percent-decoded into a plain name:
 * no '/', '\\' or NUL, not "." or "..", UTF-8. Any breach aborts.
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
#include "packaging/name.h"
#include "packaging/pylock.h"
#include "fuzz.h"

#define NAME "pylock.toml"

static size_t
count_in(const char *s, size_t n, const char *what)
{
	size_t k = strlen(what), c = 0, i;

	for (i = 0; i + k <= n; i++)
		c += !memcmp(s + i, what, k);
	return c;
}

static void
check_file_name(const PylockFile *f, Arena *a)
{
	const char *n = pylock_file_name(f, a);
	size_t len;

	if (f->name || f->path)
		return;
	/* the reader refuses a file whose URL gives no usable name */
	CHECK(n != NULL && *n);
	len = strlen(n);
	CHECK(!strchr(n, '/') && !strchr(n, '\\') && strcmp(n, ".") && strcmp(n, ".."));
	CHECK(utf8_valid_prefix(n, len) == len);
}

static void
check_lock(const Pylock *l, Arena *a)
{
	size_t i, j;

	CHECK(l->created_by != NULL);
	for (i = 0; i < l->packages_len; i++) {
		const PylockPackage *p = &l->packages[i];

		CHECK(name_is_normalized(p->name, strlen(p->name)));
		CHECK(p->source != PYLOCK_SOURCE_DISTS || p->sdist || p->wheels_len);
		if (p->sdist)
			check_file_name(p->sdist, a);
		for (j = 0; j < p->wheels_len; j++)
			check_file_name(&p->wheels[j], a);
	}
	for (i = 0; i < l->extras_len; i++)
		CHECK(name_is_normalized(l->extras[i], strlen(l->extras[i])));
	for (i = 0; i < l->dependency_groups_len; i++)
		CHECK(name_is_normalized(l->dependency_groups[i], strlen(l->dependency_groups[i])));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena a1 = { 0 }, a2 = { 0 };
	Pylock l1, l2;
	Buf w1 = { 0 }, w2 = { 0 };
	Err err;
	size_t i;

	if (pylock_read((const char *)data, size, NAME, &a1, &l1, &err) != 0) {
		fuzz_check_located(err.msg, NAME, data, size);
		/* the value is named once: the inner parser's naming is not repeated (the
		 * value may hold the phrase itself, and be named whole and by the clause at
		 * fault) */
		CHECK(count_in(err.msg, strlen(err.msg), "is not a valid version") <=
		      1 + 2 * count_in((const char *)data, size, "is not a valid version"));
		arena_free(&a1);
		return 0;
	}
	check_lock(&l1, &a1);
	for (i = 0; i < l1.warnings_len; i++)
		fuzz_check_located(l1.warnings[i], NAME, data, size);
	if (pylock_write(&l1, &w1, &err) != 0) {
		fprintf(stderr, "read but not written: %s\n", err.msg);
		abort();
	}
	if (pylock_read(w1.data, w1.len, NAME, &a2, &l2, &err) != 0) {
		fprintf(stderr, "written but not read back: %s\n%s\n", err.msg, w1.data);
		abort();
	}
	CHECK(l2.packages_len == l1.packages_len && l2.warnings_len == 0);
	check_lock(&l2, &a2);
	if (pylock_write(&l2, &w2, &err) != 0) {
		fprintf(stderr, "read back but not written again: %s\n", err.msg);
		abort();
	}
	if (w1.len != w2.len || memcmp(w1.data, w2.data, w1.len) != 0) {
		fprintf(stderr, "not byte-identical:\n--- first\n%s\n--- second\n%s\n", w1.data,
			w2.data);
		abort();
	}
	buf_free(&w1);
	buf_free(&w2);
	arena_free(&a1);
	arena_free(&a2);
	return 0;
}
