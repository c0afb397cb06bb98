/*
 * test_name.c - project names (packaging/name.c) against pypa/packaging's vectors
 * (tests/packaging/vectors/names.json: canonicalize_name, canonicalize_name_invalid,
 * is_normalized_name), plus the agreement of name_equal, which never allocates, with
 * comparing normalized forms.
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
#include "packaging/name.h"
#include "vectors.h"

static cJSON *vectors;
static int rows_checked;

static void
check_normalizes(const char *in, const char *want)
{
	size_t n = strlen(in);
	char *buf = malloc(n + 1);
	size_t got_len = name_normalize_into(in, n, buf);
	Arena a = {0};

	if (strcmp(buf, want) != 0 || got_len != strlen(want))
		fail_msg("normalize '%s': got '%s', want '%s'", in, buf, want);
	assert_string_equal(name_normalize(in, n, &a), want);
	/* Equal to its own normal form, and the normal form is a fixed point. */
	assert_true(name_equal(in, n, want, strlen(want)));
	assert_true(name_equal(want, strlen(want), in, n));
	name_normalize_into(want, strlen(want), buf);
	assert_string_equal(buf, want);
	free(buf);
	arena_free(&a);
}

static void
test_canonicalize(void **state)
{
	const cJSON *row;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "canonicalize_name")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));

		/* canonicalize_name(name, validate=True) accepts these. */
		if (!name_is_valid(in, strlen(in)))
			fail_msg("'%s' should be a valid name", in);
		check_normalizes(in, vectors_str(cJSON_GetArrayItem(row, 1)));
		rows_checked++;
	}
}

static void
test_canonicalize_invalid(void **state)
{
	const cJSON *row;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "canonicalize_name_invalid")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));

		/* validate=True raises; without it the plain transformation applies. */
		if (name_is_valid(in, strlen(in)))
			fail_msg("'%s' should not be a valid name", in);
		assert_false(name_is_normalized(in, strlen(in)));
		check_normalizes(in, vectors_str(cJSON_GetArrayItem(row, 1)));
		rows_checked++;
	}
}

static void
test_is_normalized(void **state)
{
	const cJSON *row;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "is_normalized_name")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));
		bool want = cJSON_IsTrue(cJSON_GetArrayItem(row, 1));

		if (name_is_normalized(in, strlen(in)) != want)
			fail_msg("is_normalized('%s'): want %d", in, want);
		rows_checked++;
	}
}

/*
 * name_equal over every pair of the canonicalize_name inputs agrees with comparing the
 * vectors' expected normal forms.
 */
static void
test_equal_pairs(void **state)
{
	const cJSON *list = vectors_section(vectors, "canonicalize_name"), *x, *y;

	(void)state;
	cJSON_ArrayForEach(x, list) {
		cJSON_ArrayForEach(y, list) {
			const char *a = vectors_str(cJSON_GetArrayItem(x, 0));
			const char *b = vectors_str(cJSON_GetArrayItem(y, 0));
			bool want = strcmp(vectors_str(cJSON_GetArrayItem(x, 1)),
					   vectors_str(cJSON_GetArrayItem(y, 1))) == 0;

			if (name_equal(a, strlen(a), b, strlen(b)) != want)
				fail_msg("name_equal('%s', '%s'): want %d", a, b, want);
		}
	}
}

static void
test_edges(void **state)
{
	(void)state;
	/* The pattern is anchored with \Z: a single character is fine, nothing is not. */
	assert_true(name_is_valid("a", 1));
	assert_true(name_is_normalized("a", 1));
	assert_false(name_is_valid("", 0));
	assert_false(name_is_normalized("", 0));
	assert_false(name_is_valid("a-", 2));
	assert_false(name_is_valid(".a", 2));
	assert_false(name_is_valid("a b", 3));
	assert_false(name_is_valid("a\0b", 3));
	/* Length counts, not NUL: a prefix is not equal, a trailing separator is. */
	assert_false(name_equal("foo", 3, "foo-bar", 7));
	assert_false(name_equal("foo-", 4, "foo", 3));
	assert_true(name_equal("FOO_", 4, "foo.", 4));
	assert_true(name_equal("", 0, "", 0));
	assert_false(name_equal("a", 1, "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonicalize),
		cmocka_unit_test(test_canonicalize_invalid),
		cmocka_unit_test(test_is_normalized),
		cmocka_unit_test(test_equal_pairs),
		cmocka_unit_test(test_edges),
	};
	int rc;

	vectors = vectors_load("names.json");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	printf("names.json: %d name rows checked, 0 skipped\n", rows_checked);
	cJSON_Delete(vectors);
	return rc;
}
