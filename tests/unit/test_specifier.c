/*
 * test_specifier.c - PEP 440 specifiers (packaging/specifier.c) against pypa/packaging's
 * test vectors (tests/packaging/vectors/specifiers.json): membership with every
 * pre-release setting, candidate filtering, valid and invalid clauses, canonical text,
 * equality. The "generated" section is packaging 26.4's own output over a grid, not an
 * upstream assertion; it is checked too, in its own test.
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

#include <cmocka.h>

#include "engine/arena.h"
#include "packaging/specifier.h"
#include "vectors.h"

static cJSON *vectors;

static SpecifierSet
set_ok(Arena *a, const char *s)
{
	SpecifierSet set;
	Err err;

	if (specset_parse(s, strlen(s), a, &set, &err) != 0)
		fail_msg("'%s' should parse: %s", s, err.msg);
	return set;
}

static Prereleases
flag(const cJSON *item)
{
	if (cJSON_IsTrue(item))
		return PRERELEASES_ALLOW;
	if (cJSON_IsFalse(item))
		return PRERELEASES_DENY;
	return PRERELEASES_DEFAULT;
}

/* A candidate from a string (as given) or, with as_object, from its parsed form. */
static SpecCandidate
candidate(Arena *a, const char *s, bool as_object)
{
	Version *v = arena_alloc(a, sizeof(*v));
	SpecCandidate c = {NULL, s, strlen(s)};

	if (version_parse(s, strlen(s), a, v, NULL) == 0) {
		c.version = v;
		if (as_object)
			c.raw = v->str, c.raw_len = v->str_len;
	} else if (as_object) {
		fail_msg("'%s' is used as a Version object but does not parse", s);
	}
	return c;
}

static int
check_contains(const cJSON *rows, bool as_object)
{
	const cJSON *row;
	Arena a = {0};
	int n = 0;

	cJSON_ArrayForEach(row, rows) {
		const char *ver = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *spec = vectors_str(cJSON_GetArrayItem(row, 1));
		bool want = cJSON_IsTrue(cJSON_GetArrayItem(row, 2));
		Prereleases pre = flag(cJSON_GetArrayItem(row, 3));
		SpecifierSet set = set_ok(&a, spec);
		SpecCandidate c = candidate(&a, ver, as_object);

		if (specset_contains(&set, &c, pre, false) != want)
			fail_msg("'%s' in '%s' (prereleases %d): want %s", ver, spec, (int)pre,
				 want ? "true" : "false");
		n++;
	}
	arena_free(&a);
	return n;
}

static void
test_contains(void **state)
{
	assert_int_equal(check_contains(vectors_section(vectors, "contains"), false), 608);
	assert_int_equal(check_contains(vectors_section(vectors, "contains_version_object"), true), 16);
}

static void
test_contains_installed(void **state)
{
	const cJSON *row;
	Arena a = {0};
	int n = 0;

	cJSON_ArrayForEach(row, vectors_section(vectors, "contains_installed")) {
		const char *ver = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *spec = vectors_str(cJSON_GetArrayItem(row, 1));
		bool want = cJSON_IsTrue(cJSON_GetArrayItem(row, 2));
		const cJSON *ctor = cJSON_GetArrayItem(row, 3), *call = cJSON_GetArrayItem(row, 4);
		/* the call's argument wins over the constructor's */
		Prereleases pre = flag(cJSON_IsNull(call) ? ctor : call);
		bool installed = cJSON_IsTrue(cJSON_GetArrayItem(row, 5));
		SpecifierSet set = set_ok(&a, spec);
		SpecCandidate c = candidate(&a, ver, false);

		if (specset_contains(&set, &c, pre, installed) != want)
			fail_msg("'%s' in '%s' (prereleases %d, installed %d): want %d", ver, spec,
				 (int)pre, installed, want);
		n++;
	}
	assert_int_equal(n, 42);
	arena_free(&a);
}

static const char *
item_text(const cJSON *item, bool *as_object)
{
	const cJSON *obj = cJSON_GetObjectItem(item, "Version");

	*as_object = obj != NULL;
	return vectors_str(obj ? obj : item);
}

static int
check_filter(const cJSON *rows)
{
	const cJSON *row, *item;
	Arena a = {0};
	int n = 0;

	cJSON_ArrayForEach(row, rows) {
		const char *spec = vectors_str(cJSON_GetArrayItem(row, 0));
		const cJSON *ctor = cJSON_GetArrayItem(row, 1), *call = cJSON_GetArrayItem(row, 2);
		const cJSON *input = cJSON_GetArrayItem(row, 3), *want = cJSON_GetArrayItem(row, 4);
		Prereleases pre = flag(cJSON_IsNull(call) ? ctor : call);
		SpecifierSet set = set_ok(&a, spec);
		size_t count = (size_t)cJSON_GetArraySize(input), i = 0, kept, k = 0;
		SpecCandidate *c = arena_alloc(&a, (count + 1) * sizeof(*c));
		bool *keep = arena_alloc(&a, count + 1);
		const char **texts = arena_alloc(&a, (count + 1) * sizeof(*texts));

		cJSON_ArrayForEach(item, input) {
			bool obj;

			texts[i] = item_text(item, &obj);
			c[i] = candidate(&a, texts[i], obj);
			i++;
		}
		kept = specset_filter(&set, c, count, pre, keep);
		if (kept != (size_t)cJSON_GetArraySize(want))
			fail_msg("filter '%s' (prereleases %d): kept %zu, want %d", spec, (int)pre, kept,
				 cJSON_GetArraySize(want));
		cJSON_ArrayForEach(item, want) {
			bool obj;
			const char *w = item_text(item, &obj);

			while (k < count && !keep[k])
				k++;
			if (k == count || strcmp(texts[k], w) != 0)
				fail_msg("filter '%s': expected '%s' next", spec, w);
			k++;
		}
		n++;
	}
	arena_free(&a);
	return n;
}

static void
test_filter(void **state)
{
	assert_int_equal(check_filter(vectors_section(vectors, "filter")), 144);
	assert_int_equal(check_filter(vectors_section(vectors, "filter_with_version_objects")), 6);
}

/* packaging 26.4's output over its equivalence grid (reference behaviour, not asserted upstream). */
static void
test_generated(void **state)
{
	assert_int_equal(check_contains(vectors_section(vectors, "generated.contains"), false), 1914);
	assert_int_equal(check_filter(vectors_section(vectors, "generated.filter")), 87);
}

static void
test_valid_invalid(void **state)
{
	const cJSON *row;
	Arena a = {0};
	Specifier sp;
	SpecifierSet set;
	Err err;
	int n = 0;

	cJSON_ArrayForEach(row, vectors_section(vectors, "valid")) {
		const char *s = vectors_str(row);

		if (specifier_parse(s, strlen(s), &a, &sp, &err) != 0)
			fail_msg("'%s' should parse: %s", s, err.msg);
		n++;
	}
	assert_int_equal(n, 671);
	cJSON_ArrayForEach(row, vectors_section(vectors, "invalid")) {
		const char *s = vectors_str(row);

		err.msg[0] = 0;
		if (specifier_parse(s, strlen(s), &a, &sp, &err) == 0)
			fail_msg("'%s' should be rejected", s);
		assert_non_null(strstr(err.msg, "is not a valid version specifier"));
		assert_int_equal(specset_parse(s, strlen(s), &a, &set, NULL), -1);
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "invalid_specifier_set")) {
		const char *s = vectors_str(row);

		assert_int_equal(specset_parse(s, strlen(s), &a, &set, NULL), -1);
	}
	arena_free(&a);
}

static void
test_normalized(void **state)
{
	const cJSON *row;
	Arena a = {0};
	Specifier sp;

	cJSON_ArrayForEach(row, vectors_section(vectors, "normalized_specifier")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));

		assert_int_equal(specifier_parse(in, strlen(in), &a, &sp, NULL), 0);
		assert_string_equal(specifier_format(&sp, &a), vectors_str(cJSON_GetArrayItem(row, 1)));
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "normalized_specifier_set")) {
		SpecifierSet set = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 0)));

		assert_string_equal(specset_format(&set, &a), vectors_str(cJSON_GetArrayItem(row, 1)));
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "operator_version")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));

		assert_int_equal(specifier_parse(in, strlen(in), &a, &sp, NULL), 0);
		assert_string_equal(spec_op_str(sp.op), vectors_str(cJSON_GetArrayItem(row, 1)));
		/* .version is the text after the operator, wildcard included */
		assert_string_equal(sp.text, vectors_str(cJSON_GetArrayItem(row, 2)));
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "prereleases_property")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));

		assert_int_equal(specifier_parse(in, strlen(in), &a, &sp, NULL), 0);
		assert_int_equal(specifier_implies_prereleases(&sp),
				 cJSON_IsTrue(cJSON_GetArrayItem(row, 1)));
	}
	arena_free(&a);
}

static void
test_iteration(void **state)
{
	const cJSON *row, *item;
	Arena a = {0};

	cJSON_ArrayForEach(row, vectors_section(vectors, "iteration")) {
		SpecifierSet set = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 0)));
		const cJSON *items = cJSON_GetArrayItem(row, 1);
		size_t i;

		assert_int_equal(set.len, (size_t)cJSON_GetArraySize(items));
		cJSON_ArrayForEach(item, items) {
			for (i = 0; i < set.len; i++)
				if (strcmp(specifier_format(&set.items[i], &a), vectors_str(item)) == 0)
					break;
			assert_true(i < set.len);
		}
	}
	arena_free(&a);
}

static void
test_equality(void **state)
{
	const cJSON *row;
	Arena a = {0};
	int unequal = 0;

	cJSON_ArrayForEach(row, vectors_section(vectors, "equal_pairs")) {
		SpecifierSet x = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 0)));
		SpecifierSet y = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 1)));

		assert_true(specset_equal(&x, &y));
		assert_true(specifier_equal(&x.items[0], &y.items[0]));
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "unequal_pairs")) {
		SpecifierSet x = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 0)));
		SpecifierSet y = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 1)));

		if (specset_equal(&x, &y))
			fail_msg("'%s' and '%s' must differ", vectors_str(cJSON_GetArrayItem(row, 0)),
				 vectors_str(cJSON_GetArrayItem(row, 1)));
		unequal++;
	}
	assert_int_equal(unequal, 73);
	/* "a & b": the clauses of both, compared as a set */
	cJSON_ArrayForEach(row, vectors_section(vectors, "combine")) {
		char *both = arena_printf(&a, "%s,%s", vectors_str(cJSON_GetArrayItem(row, 0)),
					  vectors_str(cJSON_GetArrayItem(row, 1)));
		SpecifierSet x = set_ok(&a, both);
		SpecifierSet y = set_ok(&a, vectors_str(cJSON_GetArrayItem(row, 2)));

		assert_true(specset_equal(&x, &y));
	}
	arena_free(&a);
}

/* Error messages name the clause and the problem. */
static void
test_messages(void **state)
{
	Arena a = {0};
	SpecifierSet set;
	Err err;

	assert_int_equal(specset_parse(">=1.0, ~=1", 10, &a, &set, &err), -1);
	assert_string_equal(err.msg, "\"~=1\" is not a valid version specifier: ~= needs at least two "
				     "release numbers, e.g. ~=1.4");
	assert_int_equal(specset_parse("=>2", 3, &a, &set, &err), -1);
	assert_non_null(strstr(err.msg, "\"=>2\" is not a valid version specifier: it must start with an operator"));
	assert_int_equal(specset_parse(">=1.0+local", 11, &a, &set, &err), -1);
	assert_non_null(strstr(err.msg, "local version"));
	/* empty clauses are ignored: trailing commas are fine */
	assert_int_equal(specset_parse(" >=1 , , <2 ,", 13, &a, &set, &err), 0);
	assert_int_equal(set.len, 2);
	/* white space is whatever Python's \s is, Unicode too, and is not kept */
	set = set_ok(&a, "\xe2\x80\xaf<=0.9.dev0,>=\xe2\x80\xa8" "0.9\x1f");
	assert_string_equal(specset_format(&set, &a), "<=0.9.dev0,>=0.9");
	set = set_ok(&a, "===\xe2\x80\x82" "1!10.dev-1");
	assert_string_equal(specset_format(&set, &a), "===1!10.dev-1");
	assert_int_equal(specset_parse("==1.0\xe2\x80\x82" "1", 9, &a, &set, NULL), -1);
	/* outside text is quoted with its control characters escaped */
	assert_int_equal(specset_parse(">=1.0\x1b[31m", 10, &a, &set, &err), -1);
	assert_string_equal(err.msg, "\">=1.0\\x1b[31m\" is not a valid version specifier: the version "
				     "contains a control character");
	assert_int_equal(specset_parse("===a\0b", 6, &a, &set, &err), -1);
	assert_non_null(strstr(err.msg, "control character"));
	assert_int_equal(specset_parse("===a\x1b", 5, &a, &set, NULL), -1);
	/* wildcards compare by text: trailing zeros change the set */
	set = set_ok(&a, "==1.0.1.*,==1.0.1.0.*");
	assert_string_equal(specset_format(&set, &a), "==1.0.1.*,==1.0.1.0.*");
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_contains_installed),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_valid_invalid),
		cmocka_unit_test(test_normalized),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_messages),
	};
	int rc;

	vectors = vectors_load("specifiers.json");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cJSON_Delete(vectors);
	return rc;
}
