/*
 * fuzz_specifier.c - libFuzzer target for PEP 440 specifier sets (packaging/specifier.c)
 * and version ranges (packaging/range.c).
 *
 * The input is a specifier set, optionally followed by a NUL byte and candidate
 * versions separated by newlines. A set that parses must print to a canonical text that
 * parses to an equal set (and prints the same); unless it uses "===", its range must be
 * normalized, must survive a double complement, and must hold a candidate exactly when
 * the set contains it (pre-releases allowed). Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "packaging/range.h"
#include "packaging/specifier.h"
#include "fuzz.h"

static void
check_range(Range r)
{
	size_t i;

	for (i = 0; i < r.len; i++) {
		const RangeInterval *iv = &r.iv[i];

		if (iv->lo.v && iv->hi.v) {
			int c = version_cmp(iv->lo.v, iv->hi.v);

			CHECK(c < 0 || (c == 0 && iv->lo.inclusive && iv->hi.inclusive));
		}
		if (i > 0) {
			int c;

			CHECK(r.iv[i - 1].hi.v && iv->lo.v);
			c = version_cmp(r.iv[i - 1].hi.v, iv->lo.v);
			CHECK(c < 0 || (c == 0 && !r.iv[i - 1].hi.inclusive && !iv->lo.inclusive));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - s) : size;
	Arena a = {0};
	SpecifierSet set, again;
	Range r;
	Err err;
	char *text;
	bool has_range;

	if (specset_parse(s, n, &a, &set, &err) != 0) {
		CHECK(strstr(err.msg, SPECIFIER_ERROR_PHRASE) != NULL);
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
		arena_free(&a);
		return 0;
	}
	text = specset_format(&set, &a);
	CHECK(specset_parse(text, strlen(text), &a, &again, NULL) == 0);
	CHECK(specset_equal(&set, &again));
	CHECK(strcmp(specset_format(&again, &a), text) == 0);
	has_range = range_from_specset(&set, &a, &r, &err) == 0;
	if (has_range) {
		check_range(r);
		check_range(range_complement(r, &a));
		CHECK(range_equal(range_complement(range_complement(r, &a), &a), r));
		CHECK(range_specset_satisfiable(&set, false, &a) == !range_is_empty(r));
	}
	if (nul) {
		const char *p = nul + 1, *end = s + size;

		while (p < end) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
			Version v;
			SpecCandidate c = {NULL, p, len};
			bool in;

			if (version_parse(p, len, &a, &v, NULL) == 0)
				c.version = &v;
			in = specset_contains(&set, &c, PRERELEASES_ALLOW, false);
			CHECK(specset_contains(&again, &c, PRERELEASES_ALLOW, false) == in);
			if (has_range && c.version)
				CHECK(range_contains(r, &v) == in);
			if (!c.version && set.len)
				CHECK(!in || strstr(text, "===") != NULL);
			p += len + 1;
		}
	}
	arena_free(&a);
	return 0;
}
