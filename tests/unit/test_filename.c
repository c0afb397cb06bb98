/*
 * test_filename.c - wheel and sdist file names (packaging/filename.c) against
 * pypa/packaging's vectors (tests/packaging/vectors/names.json: wheel_filename,
 * sdist_filename). Every accepted name is also written back in canonical form and
 * parsed again, which must give the same fields; and wheels are ranked against a
 * supported-tag list, build tags breaking ties.
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
#include "packaging/filename.h"
#include "packaging/tags.h"
#include "vectors.h"

static cJSON *vectors;
static int rows_checked;

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The set's tags as sorted, distinct "i-a-p" strings; returns how many. */
static size_t
expand_sorted(const TagSet *set, Arena *a, const char ***out)
{
	size_t n = tags_set_count(set), i, k = 0;
	const char **v = arena_alloc(a, (n ? n : 1) * sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = tags_format(tags_set_at(set, i), a);
	qsort(v, n, sizeof(*v), str_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*out = v;
	return k;
}

static void
check_tags(const char *file, const TagSet *set, const cJSON *want, Arena *a)
{
	const char **got, **exp;
	size_t n = expand_sorted(set, a, &got), i = 0;
	size_t m = (size_t)cJSON_GetArraySize(want);
	const cJSON *t;

	exp = arena_alloc(a, (m ? m : 1) * sizeof(*exp));
	cJSON_ArrayForEach(t, want)
		exp[i++] = vectors_str(t);
	/* Order is not significant: a set. */
	qsort(exp, m, sizeof(*exp), str_cmp);
	if (n != m)
		fail_msg("%s: %zu tags, want %zu", file, n, m);
	for (i = 0; i < n; i++)
		if (strcmp(got[i], exp[i]) != 0)
			fail_msg("%s: tag %s, want %s", file, got[i], exp[i]);
}

static void
check_build(const char *file, const WheelFilename *w, const cJSON *want)
{
	uint64_t num;

	if (cJSON_GetArraySize(want) == 0) {
		if (w->has_build)
			fail_msg("%s: unexpected build tag", file);
		return;
	}
	if (!w->has_build)
		fail_msg("%s: build tag missing", file);
	assert_true(versionnum_to_u64(w->build_num, &num));
	assert_int_equal(num, (uint64_t)cJSON_GetArrayItem(want, 0)->valuedouble);
	assert_string_equal(w->build_suffix, vectors_str(cJSON_GetArrayItem(want, 1)));
	assert_int_equal(w->build_suffix_len, strlen(w->build_suffix));
}

static void
check_wheel(const char *file, const WheelFilename *w, const cJSON *row, Arena *a)
{
	if (strcmp(w->name, vectors_str(cJSON_GetObjectItem(row, "name"))) != 0)
		fail_msg("%s: name '%s'", file, w->name);
	assert_int_equal(w->name_len, strlen(w->name));
	if (strcmp(w->version.str, vectors_str(cJSON_GetObjectItem(row, "version"))) != 0)
		fail_msg("%s: version '%s'", file, w->version.str);
	check_build(file, w, cJSON_GetObjectItem(row, "build"));
	check_tags(file, &w->tags, cJSON_GetObjectItem(row, "tags"), a);
}

static void
test_wheel_valid(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "wheel_filename.valid")) {
		const char *file = vectors_str(cJSON_GetObjectItem(row, "filename"));
		WheelFilename w, again;
		const char *canon;
		Err err;

		if (filename_wheel_parse(file, strlen(file), 0, &a, &w, &err) != 0)
			fail_msg("%s: %s", file, err.msg);
		check_wheel(file, &w, row, &a);
		/* The canonical spelling parses back to the same fields, sorted sets and all. */
		canon = filename_wheel_format(&w, &a);
		if (filename_wheel_parse(canon, strlen(canon), FILENAME_VALIDATE_ORDER, &a, &again,
					 &err) != 0)
			fail_msg("%s -> %s: %s", file, canon, err.msg);
		check_wheel(canon, &again, row, &a);
		rows_checked++;
	}
	arena_free(&a);
}

static void
check_wheel_rejected(const char *file, unsigned flags)
{
	WheelFilename w;
	Arena a = {0};
	Err err;

	err.msg[0] = '\0';
	if (filename_wheel_parse(file, strlen(file), flags, &a, &w, &err) == 0)
		fail_msg("%s: accepted (flags %u)", file, flags);
	if (!strstr(err.msg, "wheel file name"))
		fail_msg("%s: message '%s' does not say what is wrong", file, err.msg);
	arena_free(&a);
	rows_checked++;
}

static void
test_wheel_invalid(void **state)
{
	const cJSON *row;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "wheel_filename.invalid"))
		check_wheel_rejected(vectors_str(row), 0);
}

static void
test_wheel_order(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "wheel_filename.unsorted_tags_valid_by_default")) {
		const char *file = vectors_str(row);
		WheelFilename w;
		Err err;

		if (filename_wheel_parse(file, strlen(file), 0, &a, &w, &err) != 0)
			fail_msg("%s: %s", file, err.msg);
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "wheel_filename.invalid_with_validate_order"))
		check_wheel_rejected(vectors_str(row), FILENAME_VALIDATE_ORDER);
	arena_free(&a);
}

static void
test_sdist(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "sdist_filename.valid")) {
		const char *file = vectors_str(cJSON_GetObjectItem(row, "filename"));
		const char *name = vectors_str(cJSON_GetObjectItem(row, "name"));
		const char *version = vectors_str(cJSON_GetObjectItem(row, "version"));
		SdistFilename s, again;
		const char *canon;
		Err err;

		if (filename_sdist_parse(file, strlen(file), &a, &s, &err) != 0)
			fail_msg("%s: %s", file, err.msg);
		assert_string_equal(s.name, name);
		assert_string_equal(s.version.str, version);
		canon = filename_sdist_format(&s, &a);
		if (filename_sdist_parse(canon, strlen(canon), &a, &again, &err) != 0)
			fail_msg("%s -> %s: %s", file, canon, err.msg);
		assert_string_equal(again.name, name);
		assert_string_equal(again.version.str, version);
		assert_int_equal(again.format, s.format);
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "sdist_filename.invalid")) {
		const char *file = vectors_str(row);
		SdistFilename s;
		Err err;

		err.msg[0] = '\0';
		if (filename_sdist_parse(file, strlen(file), &a, &s, &err) == 0)
			fail_msg("%s: accepted", file);
		assert_non_null(strstr(err.msg, "sdist file name"));
		rows_checked++;
	}
	arena_free(&a);
}

/* Legacy spellings that index pages carry, and what packaging makes of them. */
static void
test_lenient(void **state)
{
	WheelFilename w;
	SdistFilename s;
	Arena a = {0};
	Err err;

	(void)state;
	/* Legacy name and version spellings are normalized. */
	assert_int_equal(filename_wheel_parse("Foo.Bar-1.0.0RC1-007x-PY3-None-Any.whl", 38, 0,
					      &a, &w, &err), 0);
	assert_string_equal(w.name, "foo-bar");
	assert_string_equal(w.version.str, "1.0.0rc1");
	assert_true(w.has_build);
	assert_int_equal(w.build_num.len, 1);
	assert_memory_equal(w.build_num.digits, "7", 1);
	assert_string_equal(w.build_suffix, "x");
	assert_string_equal(w.tags.interpreters[0], "py3");
	assert_string_equal(w.tags.platforms[0], "any");
	/* A build tag of zeros is the number 0. */
	assert_int_equal(filename_wheel_parse("a-1-00-py3-none-any.whl", 23, 0, &a, &w, &err), 0);
	assert_int_equal(w.build_num.len, 1);
	assert_memory_equal(w.build_num.digits, "0", 1);
	/* Legacy sdists have '-' in their names: the last one separates the version. */
	assert_int_equal(filename_sdist_parse("Foo-Bar-2.0.tar.gz", 18, &a, &s, &err), 0);
	assert_string_equal(s.name, "foo-bar");
	assert_string_equal(s.version.str, "2.0");
	assert_int_equal(s.format, SDIST_TAR_GZ);
	/* NUL bytes never get through. */
	assert_int_equal(filename_wheel_parse("a-1-py3-none-a\0y.whl", 20, 0, &a, &w, &err), -1);
	assert_int_equal(filename_sdist_parse("a\0-1.tar.gz", 11, &a, &s, &err), -1);
	/* err may be NULL. */
	assert_int_equal(filename_wheel_parse("x.whl", 5, 0, &a, &w, NULL), -1);
	arena_free(&a);
}

static WheelFilename
wheel(Arena *a, const char *file)
{
	WheelFilename w;
	Err err;

	if (filename_wheel_parse(file, strlen(file), 0, a, &w, &err) != 0)
		fail_msg("%s: %s", file, err.msg);
	return w;
}

/*
 * Ranking against the supported list of the vectors (CPython 3.11, glibc 2.36,
 * x86_64): a wheel's rank is its best tag's index there; equal ranks go to the higher
 * build tag, as pip orders them.
 */
static void
test_rank(void **state)
{
	const cJSON *list = vectors_section(vectors, "supported_tags.packaging_26_4_dev0.tags");
	TagList supported;
	Arena a = {0};
	const cJSON *t;
	WheelFilename pure, many, both, nob, b1, b2, b10, b2a, win;
	long idx_py3_any = -1, idx_many = -1, i = 0;

	(void)state;
	tags_list_init(&supported, &a);
	cJSON_ArrayForEach(t, list) {
		const char *s = vectors_str(t);
		TagSet set;
		Err err;

		assert_int_equal(tags_parse(s, strlen(s), 0, 0, &a, &set, &err), 0);
		tags_list_push(&supported, set.interpreters[0], set.abis[0], set.platforms[0]);
		if (strcmp(s, "py3-none-any") == 0)
			idx_py3_any = i;
		if (strcmp(s, "cp311-cp311-manylinux_2_17_x86_64") == 0)
			idx_many = i;
		i++;
	}
	assert_true(idx_py3_any > 0 && idx_many > 0);
	pure = wheel(&a, "foo-1.0-py2.py3-none-any.whl");
	many = wheel(&a, "foo-1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl");
	both = wheel(&a, "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl");
	win = wheel(&a, "foo-1.0-cp311-cp311-win_amd64.whl");
	assert_int_equal(filename_wheel_rank(&pure, &supported), idx_py3_any);
	/* The first of its two tags in the list: manylinux_2_17 comes before 2014. */
	assert_int_equal(filename_wheel_rank(&many, &supported), idx_many);
	assert_int_equal(filename_wheel_rank(&both, &supported), idx_many);
	assert_int_equal(filename_wheel_rank(&win, &supported), TAGS_INCOMPATIBLE);
	assert_true(filename_wheel_prefer(&many, idx_many, &pure, idx_py3_any) < 0);
	assert_true(filename_wheel_prefer(&win, TAGS_INCOMPATIBLE, &pure, idx_py3_any) > 0);
	assert_int_equal(filename_wheel_prefer(&win, TAGS_INCOMPATIBLE, &win, TAGS_INCOMPATIBLE), 0);

	/* Build tags: none < 1 < 2 < 2a < 10 (numbers compare as numbers). */
	nob = wheel(&a, "foo-1.0-py3-none-any.whl");
	b1 = wheel(&a, "foo-1.0-1-py3-none-any.whl");
	b2 = wheel(&a, "foo-1.0-2-py3-none-any.whl");
	b2a = wheel(&a, "foo-1.0-2a-py3-none-any.whl");
	b10 = wheel(&a, "foo-1.0-10-py3-none-any.whl");
	assert_true(filename_build_cmp(&nob, &b1) < 0);
	assert_true(filename_build_cmp(&b1, &b2) < 0);
	assert_true(filename_build_cmp(&b2, &b2a) < 0);
	assert_true(filename_build_cmp(&b2a, &b10) < 0);
	assert_true(filename_build_cmp(&b10, &b10) == 0);
	assert_true(filename_build_cmp(&b10, &nob) > 0);
	/* Same rank: the higher build wins. */
	assert_true(filename_wheel_prefer(&b10, idx_py3_any, &b2, idx_py3_any) < 0);
	assert_true(filename_wheel_prefer(&nob, idx_py3_any, &b1, idx_py3_any) > 0);
	/* A better rank beats any build. */
	assert_true(filename_wheel_prefer(&both, idx_many, &b10, idx_py3_any) < 0);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wheel_valid),
		cmocka_unit_test(test_wheel_invalid),
		cmocka_unit_test(test_wheel_order),
		cmocka_unit_test(test_sdist),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_rank),
	};
	cJSON *tags_json;
	int rc;

	vectors = vectors_load("names.json");
	/* test_rank reads the supported list from tags.json; hang it under this root. */
	tags_json = vectors_load("tags.json");
	cJSON_AddItemToObject(vectors, "supported_tags",
			      cJSON_DetachItemFromObject(tags_json, "supported_tags"));
	cJSON_Delete(tags_json);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	printf("names.json: %d file name rows checked, 0 skipped\n", rows_checked);
	cJSON_Delete(vectors);
	return rc;
}
