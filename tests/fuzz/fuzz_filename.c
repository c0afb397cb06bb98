/*
 * fuzz_filename.c - libFuzzer target for wheel and sdist file names, tag sets and
 * project names (packaging/filename.c, tags.c, name.c).
 *
 * Each input is tried as all of them. Whatever is accepted must be well formed (names
 * normalized, tag values lower case and free of separators) and must survive a round
 * trip: written back in canonical form, parsed again (with sorted-order checking on),
 * it gives the same fields, and writing that out gives the same text. Ranking agrees
 * with looking every tag up, whichever way tags_list_rank takes. Names: normalizing is
 * idempotent, name_equal agrees with comparing normal forms. Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "packaging/filename.h"
#include "packaging/name.h"
#include "packaging/tags.h"
#include "packaging/version.h"
#include "fuzz.h"

/* Expanding a set costs its product; past this the per-tag checks are skipped. */
#define MAX_EXPAND 256

static void
check_values(const char *const *vals, uint32_t n, bool interpreter)
{
	uint32_t i;

	CHECK(n >= 1);
	for (i = 0; i < n; i++) {
		const char *v = vals[i];

		CHECK(v[0] != '\0');
		if (interpreter)
			CHECK(!(v[0] >= '0' && v[0] <= '9'));
		for (; *v; v++) {
			CHECK(*v != '-' && *v != '.');
			CHECK(!(*v >= 'A' && *v <= 'Z'));
		}
	}
}

static void
check_set(const TagSet *set, Arena *a)
{
	size_t count = tags_set_count(set), i;
	TagList all, last;
	long brute = TAGS_INCOMPATIBLE;

	check_values(set->interpreters, set->n_interpreters, true);
	check_values(set->abis, set->n_abis, false);
	check_values(set->platforms, set->n_platforms, false);
	CHECK(count >= 1);
	if (count > MAX_EXPAND)
		return;
	/* A list of the set's own tags: every tag is found at or before its place, and
	 * the set ranks first. */
	tags_list_init(&all, a);
	for (i = 0; i < count; i++) {
		Tag t = tags_set_at(set, i);

		tags_list_push(&all, t.interpreter, t.abi, t.platform);
	}
	for (i = 0; i < count; i++) {
		Tag t = tags_set_at(set, i);
		long r = tags_list_find(&all, t.interpreter, strlen(t.interpreter), t.abi,
					strlen(t.abi), t.platform, strlen(t.platform));

		CHECK(r >= 0 && (size_t)r <= i);
		CHECK(strcmp(all.tags[r].interpreter, t.interpreter) == 0);
		CHECK(strcmp(all.tags[r].abi, t.abi) == 0);
		CHECK(strcmp(all.tags[r].platform, t.platform) == 0);
	}
	CHECK(tags_list_rank(&all, set) == 0);
	/* A one-tag list (so a set of several is ranked by walking the list) with a tag
	 * of the set and one that is not in it. */
	tags_list_init(&last, a);
	tags_list_push(&last, "x-not-a-tag", "none", "any");
	tags_list_push(&last, set->interpreters[set->n_interpreters - 1], set->abis[0],
		       set->platforms[set->n_platforms - 1]);
	for (i = 0; i < count; i++) {
		Tag t = tags_set_at(set, i);
		long r = tags_list_find(&last, t.interpreter, strlen(t.interpreter), t.abi,
					strlen(t.abi), t.platform, strlen(t.platform));

		if (r != TAGS_INCOMPATIBLE && (brute == TAGS_INCOMPATIBLE || r < brute))
			brute = r;
	}
	CHECK(brute == 1);
	CHECK(tags_list_rank(&last, set) == brute);
}

static void
check_tag_parse(const char *s, size_t n)
{
	Arena a = {0};
	TagSet set, ordered, again;
	const char *canon;
	size_t count;
	Err err;
	int rc = tags_parse(s, n, 0, 0, &a, &set, &err);
	int rc_ordered = tags_parse(s, n, TAGS_VALIDATE_ORDER, 0, &a, &ordered, &err);

	CHECK(rc == 0 || rc == -1);
	CHECK(rc_ordered == -1 || rc == 0);   /* validate_order only refuses more */
	if (rc != 0) {
		CHECK(err.msg[0] != '\0');
		arena_free(&a);
		return;
	}
	check_set(&set, &a);
	count = tags_set_count(&set);
	CHECK(tags_parse(s, n, 0, count, &a, &again, &err) == 0);
	if (count > 1)
		CHECK(tags_parse(s, n, 0, count - 1, &a, &again, &err) == -1);
	canon = tags_set_format(&set, &a);
	CHECK(tags_parse(canon, strlen(canon), TAGS_VALIDATE_ORDER, 0, &a, &again, &err) == 0);
	CHECK(strcmp(tags_set_format(&again, &a), canon) == 0);
	CHECK(tags_set_count(&again) <= count);
	arena_free(&a);
}

static void
check_name(const char *s, size_t n)
{
	char *norm = malloc(n + 1), *norm2 = malloc(n + 1);
	size_t len = name_normalize_into(s, n, norm), len2;
	const char *nl = memchr(s, '\n', n);

	CHECK(len <= n && norm[len] == '\0');
	len2 = name_normalize_into(norm, len, norm2);
	CHECK(len2 == len && memcmp(norm, norm2, len) == 0);
	CHECK(name_equal(s, n, norm, len));
	CHECK(name_is_normalized(norm, len) == name_is_valid(s, n));
	if (name_is_normalized(s, n))
		CHECK(len == n && memcmp(s, norm, n) == 0);
	/* Two names, split at the first newline. */
	if (nl) {
		size_t an = (size_t)(nl - s), bn = n - an - 1;
		char *na = malloc(an + 1), *nb = malloc(bn + 1);
		size_t la = name_normalize_into(s, an, na), lb = name_normalize_into(nl + 1, bn, nb);
		bool eq = la == lb && memcmp(na, nb, la) == 0;

		CHECK(name_equal(s, an, nl + 1, bn) == eq);
		CHECK(name_equal(nl + 1, bn, s, an) == eq);
		free(na);
		free(nb);
	}
	free(norm);
	free(norm2);
}

static void
same_wheel(const WheelFilename *a, const WheelFilename *b, Arena *arena)
{
	CHECK(a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0);
	CHECK(strcmp(a->version.str, b->version.str) == 0);
	CHECK(version_cmp(&a->version, &b->version) == 0);
	CHECK(a->has_build == b->has_build);
	CHECK(filename_build_cmp(a, b) == 0);
	if (a->has_build) {
		CHECK(versionnum_cmp(a->build_num, b->build_num) == 0);
		CHECK(a->build_suffix_len == b->build_suffix_len &&
		      memcmp(a->build_suffix, b->build_suffix, a->build_suffix_len) == 0);
	}
	CHECK(strcmp(tags_set_format(&a->tags, arena), tags_set_format(&b->tags, arena)) == 0);
}

static void
check_wheel(const char *s, size_t n)
{
	Arena a = {0};
	WheelFilename w, ordered, again, third;
	const char *canon;
	Err err;
	int rc = filename_wheel_parse(s, n, 0, &a, &w, &err);
	int rc_ordered = filename_wheel_parse(s, n, FILENAME_VALIDATE_ORDER, &a, &ordered, &err);

	CHECK(rc_ordered == -1 || rc == 0);
	if (rc != 0) {
		CHECK(strstr(err.msg, "wheel file name") != NULL);
		arena_free(&a);
		return;
	}
	CHECK(w.name_len == strlen(w.name) && w.name_len >= 1);
	CHECK(name_equal(w.name, w.name_len, s, (size_t)(strchr(s, '-') - s)));
	check_set(&w.tags, &a);
	if (w.has_build) {
		CHECK(w.build_num.len >= 1);
		CHECK(w.build_num.digits[0] != '0' || w.build_num.len == 1);
		CHECK(w.build_suffix_len == strlen(w.build_suffix));
		CHECK(!(w.build_suffix[0] >= '0' && w.build_suffix[0] <= '9'));
	}
	canon = filename_wheel_format(&w, &a);
	if (filename_wheel_parse(canon, strlen(canon), FILENAME_VALIDATE_ORDER, &a, &again,
				 &err) != 0) {
		fprintf(stderr, "canonical form rejected: %s\n", err.msg);
		abort();
	}
	same_wheel(&w, &again, &a);
	CHECK(strcmp(filename_wheel_format(&again, &a), canon) == 0);
	CHECK(filename_wheel_parse(canon, strlen(canon), 0, &a, &third, &err) == 0);
	same_wheel(&w, &third, &a);
	arena_free(&a);
}

static void
check_sdist(const char *s, size_t n)
{
	Arena a = {0};
	SdistFilename sd, again;
	const char *canon;
	Err err;

	if (filename_sdist_parse(s, n, &a, &sd, &err) != 0) {
		CHECK(strstr(err.msg, "sdist file name") != NULL);
		arena_free(&a);
		return;
	}
	CHECK(sd.name_len == strlen(sd.name) && sd.name_len >= 1);
	CHECK(name_is_normalized(sd.name, sd.name_len) ||
	      !name_is_valid(sd.name, sd.name_len));
	canon = filename_sdist_format(&sd, &a);
	if (filename_sdist_parse(canon, strlen(canon), &a, &again, &err) != 0) {
		fprintf(stderr, "canonical form rejected: %s\n", err.msg);
		abort();
	}
	CHECK(again.name_len == sd.name_len && memcmp(again.name, sd.name, sd.name_len) == 0);
	CHECK(strcmp(again.version.str, sd.version.str) == 0);
	CHECK(again.format == sd.format);
	CHECK(strcmp(filename_sdist_format(&again, &a), canon) == 0);
	arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly the input's size (NUL-terminated for strchr above). */
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	check_wheel(s, size);
	check_sdist(s, size);
	check_tag_parse(s, size);
	check_name(s, size);
	free(s);
	return 0;
}
