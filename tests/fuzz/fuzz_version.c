/*
 * fuzz_version.c - libFuzzer target for PEP 440 versions (packaging/version.c).
 *
 * The input is one or two versions separated by a NUL byte. A version that parses must
 * have a canonical form that parses to an equal version and prints the same (a fixed
 * point), must equal itself, and its stripped form must parse too. Two versions must
 * compare antisymmetrically, consistently with their public parts, and with the
 * successor of a number being greater. Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "packaging/version.h"
#include "fuzz.h"

static int
sign(int c)
{
	return (c > 0) - (c < 0);
}

static void
check_one(const Version *v, Arena *a)
{
	Version again, stripped;
	const char *s;

	CHECK(strlen(v->str) == v->str_len);
	CHECK(v->public_len <= v->str_len);
	CHECK(version_cmp(v, v) == 0);
	CHECK(version_parse(v->str, v->str_len, a, &again, NULL) == 0);
	CHECK(strcmp(again.str, v->str) == 0);
	CHECK(version_cmp(&again, v) == 0);
	s = version_canonical_stripped(v, a);
	CHECK(version_parse(s, strlen(s), a, &stripped, NULL) == 0);
	CHECK(version_cmp(&stripped, v) == 0);
	if (v->local_len == 0)
		CHECK(v->public_len == v->str_len);
	/* bumping the last release number gives a greater version */
	{
		Version next = *v;
		VersionNum *rel = arena_alloc(a, v->release_len * sizeof(*rel));

		memcpy(rel, v->release, v->release_len * sizeof(*rel));
		rel[v->release_len - 1] = versionnum_succ(rel[v->release_len - 1], a);
		next.release = rel;
		next.release_sig = v->release_len;
		version_format(&next, a);
		CHECK(version_cmp(&next, v) > 0);
		CHECK(version_cmp(v, &next) < 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - s) : size;
	Arena a = {0};
	Version x, y;
	Err err;
	int ok1, ok2 = -1;

	ok1 = version_parse(s, n1, &a, &x, &err);
	if (ok1 == 0) {
		check_one(&x, &a);
	} else {
		CHECK(strstr(err.msg, VERSION_ERROR_PHRASE) != NULL);
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
	}
	if (nul) {
		ok2 = version_parse(nul + 1, size - n1 - 1, &a, &y, NULL);
		if (ok2 == 0)
			check_one(&y, &a);
	}
	if (ok1 == 0 && ok2 == 0) {
		int c = version_cmp(&x, &y), p = version_cmp_public(&x, &y);

		CHECK(sign(c) == -sign(version_cmp(&y, &x)));
		/* the packed order hint only ever short-cuts the same answer */
		{
			Version hx = x, hy = y;

			hx.order_hint = hy.order_hint = 0;
			CHECK(sign(version_cmp(&hx, &hy)) == sign(c));
		}
		/* the local label only orders versions whose public parts are equal */
		CHECK(p == 0 || sign(p) == sign(c));
		if (c == 0)
			CHECK(strcmp(version_canonical_stripped(&x, &a), version_canonical_stripped(&y, &a)) == 0);
	}
	arena_free(&a);
	return 0;
}
