/*
 * test_version.c - PEP 440 versions (packaging/version.c) against pypa/packaging's
 * test vectors (tests/packaging/vectors/versions.json), plus the properties the rest
 * of bunpy leans on: the order is total and consistent, the canonical form parses back
 * to an equal version, and numbers of any size compare exactly.
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
#include "packaging/version.h"
#include "vectors.h"

static cJSON *vectors;

static Version
parse_ok(Arena *a, const char *s)
{
	Version v;
	Err err;

	if (version_parse(s, strlen(s), a, &v, &err) != 0)
		fail_msg("'%s' should parse: %s", s, err.msg);
	return v;
}

static int
sign(int c)
{
	return (c > 0) - (c < 0);
}

/* Every ordered pair of the ascending list compares as its positions do. */
static void
test_ordered(void **state)
{
	const cJSON *list = vectors_section(vectors, "ordered");
	int n = cJSON_GetArraySize(list), i, j, pairs = 0;
	Arena a = {0};
	Version *v = calloc((size_t)n, sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = parse_ok(&a, vectors_str(cJSON_GetArrayItem(list, i)));
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++, pairs++)
			if (sign(version_cmp(&v[i], &v[j])) != sign(i - j))
				fail_msg("%s vs %s: got %d", v[i].str, v[j].str, version_cmp(&v[i], &v[j]));
	assert_int_equal(pairs, 92 * 92);
	free(v);
	arena_free(&a);
}

static void
test_equal_pairs(void **state)
{
	const cJSON *row;
	Arena a = {0};

	cJSON_ArrayForEach(row, vectors_section(vectors, "equal_pairs")) {
		Version x = parse_ok(&a, vectors_str(cJSON_GetArrayItem(row, 0)));
		Version y = parse_ok(&a, vectors_str(cJSON_GetArrayItem(row, 1)));

		assert_int_equal(version_cmp(&x, &y), 0);
	}
	arena_free(&a);
}

static void
test_normalized(void **state)
{
	const cJSON *row;
	Arena a = {0};
	int n = 0;

	cJSON_ArrayForEach(row, vectors_section(vectors, "normalized")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 1));
		Version v = parse_ok(&a, in), again;

		if (strcmp(v.str, want) != 0)
			fail_msg("'%s': canonical '%s', want '%s'", in, v.str, want);
		assert_int_equal(v.str_len, strlen(want));
		/* the canonical form is a fixed point and names the same version */
		again = parse_ok(&a, v.str);
		assert_string_equal(again.str, v.str);
		assert_int_equal(version_cmp(&v, &again), 0);
		n++;
	}
	assert_int_equal(n, 149);
	arena_free(&a);
}

static void
test_invalid(void **state)
{
	const cJSON *row;
	Arena a = {0};
	Version v;
	Err err;

	cJSON_ArrayForEach(row, vectors_section(vectors, "invalid")) {
		const char *in = vectors_str(row);

		err.msg[0] = 0;
		if (version_parse(in, strlen(in), &a, &v, &err) == 0)
			fail_msg("'%s' should be rejected, parsed as %s", in, v.str);
		assert_non_null(strstr(err.msg, "is not a valid version"));
	}
	arena_free(&a);
}

static char *
num_text(VersionNum n)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%.*s", (int)n.len, n.digits);
	return buf;
}

static long long
num_value(VersionNum n)
{
	uint64_t v;

	assert_true(versionnum_to_u64(n, &v));
	return (long long)v;
}

/* One attribute of v as packaging's JSON has it, printed compactly. */
static char *
attribute(const char *name, const Version *v, Arena *a)
{
	static const char *const pre_letter[] = {"", "a", "b", "rc"};
	uint32_t i;

	if (strcmp(name, "public") == 0)
		return arena_printf(a, "\"%.*s\"", (int)v->public_len, v->str);
	if (strcmp(name, "base_version") == 0) {
		char *s = num_value(v->epoch) ? arena_printf(a, "%s!", num_text(v->epoch)) : "";

		for (i = 0; i < v->release_len; i++)
			s = arena_printf(a, "%s%s%s", s, i ? "." : "", num_text(v->release[i]));
		return arena_printf(a, "\"%s\"", s);
	}
	if (strcmp(name, "epoch") == 0)
		return arena_printf(a, "%lld", num_value(v->epoch));
	if (strcmp(name, "release") == 0) {
		char *s = "[";

		for (i = 0; i < v->release_len; i++)
			s = arena_printf(a, "%s%s%lld", s, i ? "," : "", num_value(v->release[i]));
		return arena_printf(a, "%s]", s);
	}
	if (strcmp(name, "local") == 0)
		return v->local_len ? arena_printf(a, "\"%s\"", v->str + v->public_len + 1) : "null";
	if (strcmp(name, "pre") == 0)
		return v->pre_kind ? arena_printf(a, "[\"%s\",%lld]", pre_letter[v->pre_kind], num_value(v->pre))
				   : "null";
	if (strcmp(name, "dev") == 0)
		return v->has_dev ? arena_printf(a, "%lld", num_value(v->dev)) : "null";
	if (strcmp(name, "post") == 0)
		return v->has_post ? arena_printf(a, "%lld", num_value(v->post)) : "null";
	if (strcmp(name, "is_prerelease") == 0)
		return version_is_prerelease(v) ? "true" : "false";
	if (strcmp(name, "is_devrelease") == 0)
		return version_is_devrelease(v) ? "true" : "false";
	if (strcmp(name, "is_postrelease") == 0)
		return version_is_postrelease(v) ? "true" : "false";
	i = strcmp(name, "major") == 0 ? 0 : strcmp(name, "minor") == 0 ? 1 : 2;
	return i < v->release_len ? arena_printf(a, "%lld", num_value(v->release[i])) : "0";
}

static void
test_attributes(void **state)
{
	const cJSON *table, *row;
	Arena a = {0};
	int n = 0;

	cJSON_ArrayForEach(table, vectors_section(vectors, "attributes")) {
		cJSON_ArrayForEach(row, table) {
			const char *in = vectors_str(cJSON_GetArrayItem(row, 0));
			char *want = cJSON_PrintUnformatted(cJSON_GetArrayItem(row, 1));
			Version v = parse_ok(&a, in);
			char *got = attribute(table->string, &v, &a);

			if (strcmp(got, want) != 0)
				fail_msg("%s of '%s': got %s, want %s", table->string, in, got, want);
			free(want);
			n++;
		}
	}
	assert_int_equal(n, 29 * 8 + 22 + 29 + 5 + 1 + 2 + 3);
	arena_free(&a);
}

/* Versions built field by field (as range.c builds its bounds) print and compare right. */
static void
test_from_parts(void **state)
{
	const cJSON *row;
	Arena a = {0};

	cJSON_ArrayForEach(row, vectors_section(vectors, "from_parts")) {
		const cJSON *parts = cJSON_GetArrayItem(row, 0), *item, *x;
		Version want = parse_ok(&a, vectors_str(cJSON_GetArrayItem(row, 1))), v;
		VersionNum *release;
		int i = 0;

		memset(&v, 0, sizeof(v));
		v.epoch = versionnum_from_u64(0, &a);
		item = cJSON_GetObjectItem(parts, "release");
		release = arena_alloc(&a, (size_t)cJSON_GetArraySize(item) * sizeof(*release));
		cJSON_ArrayForEach(x, item)
			release[i++] = versionnum_from_u64((uint64_t)x->valuedouble, &a);
		v.release = release;
		v.release_len = v.release_sig = (uint32_t)i;
		if ((x = cJSON_GetObjectItem(parts, "epoch")) && cJSON_IsNumber(x))
			v.epoch = versionnum_from_u64((uint64_t)x->valuedouble, &a);
		if ((x = cJSON_GetObjectItem(parts, "pre")) && cJSON_IsArray(x)) {
			/* the letter in any spelling, as the version parser reads it */
			Version p;
			char *spelled = arena_printf(&a, "0%s%d", vectors_str(cJSON_GetArrayItem(x, 0)),
						     (int)cJSON_GetArrayItem(x, 1)->valuedouble);

			p = parse_ok(&a, spelled);
			v.pre_kind = p.pre_kind;
			v.pre = p.pre;
		}
		if ((x = cJSON_GetObjectItem(parts, "post")) && cJSON_IsNumber(x)) {
			v.has_post = true;
			v.post = versionnum_from_u64((uint64_t)x->valuedouble, &a);
		}
		if ((x = cJSON_GetObjectItem(parts, "dev")) && cJSON_IsNumber(x)) {
			v.has_dev = true;
			v.dev = versionnum_from_u64((uint64_t)x->valuedouble, &a);
		}
		if ((x = cJSON_GetObjectItem(parts, "local")) && cJSON_IsString(x)) {
			Version p = parse_ok(&a, arena_printf(&a, "0+%s", x->valuestring));

			v.local = p.local;
			v.local_len = p.local_len;
		}
		version_format(&v, &a);
		assert_string_equal(v.str, want.str);
		assert_int_equal(v.public_len, want.public_len);
		assert_int_equal(version_cmp(&v, &want), 0);
	}
	arena_free(&a);
}

static void
test_canonicalize_version(void **state)
{
	const cJSON *row;
	Arena a = {0};
	Version v;

	cJSON_ArrayForEach(row, vectors_section(vectors, "canonicalize_version")) {
		const char *in = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *want = vectors_str(cJSON_GetArrayItem(row, 1));

		/* strings that are not versions come back unchanged (the caller's choice) */
		if (version_parse(in, strlen(in), &a, &v, NULL) != 0) {
			assert_string_equal(in, want);
			continue;
		}
		assert_string_equal(version_canonical_stripped(&v, &a), want);
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "canonicalize_version_no_strip_trailing_zero")) {
		v = parse_ok(&a, vectors_str(row));
		assert_string_equal(v.str, vectors_str(row));
	}
	arena_free(&a);
}

/* Numbers of any length: compared as numbers, printed without leading zeros. */
static void
test_big_numbers(void **state)
{
	Arena a = {0};
	Version x = parse_ok(&a, "1.000123456789012345678901234567890");
	Version y = parse_ok(&a, "1.123456789012345678901234567891");
	Version z = parse_ok(&a, "1.99999999999999999999");
	VersionNum s;

	assert_string_equal(x.str, "1.123456789012345678901234567890");
	assert_true(version_cmp(&x, &y) < 0);
	assert_true(version_cmp(&z, &x) < 0);
	s = versionnum_succ(z.release[1], &a);
	assert_int_equal(s.len, 21);
	assert_memory_equal(s.digits, "100000000000000000000", 21);
	s = versionnum_succ(versionnum_from_u64(41, &a), &a);
	assert_memory_equal(s.digits, "42", 2);
	arena_free(&a);
}

/* Leading/trailing white space of any kind Python strips; none inside. */
static void
test_white_space(void **state)
{
	Arena a = {0};
	Version v;

	assert_string_equal(parse_ok(&a, " \t1.0\n").str, "1.0");
	assert_string_equal(parse_ok(&a, "\xe2\x80\xaf" "1.0\xe3\x80\x80").str, "1.0");
	assert_int_equal(version_parse("1.0\xc2", 4, &a, &v, NULL), -1);
	assert_int_equal(version_parse("1.0\x00", 4, &a, &v, NULL), -1);
	assert_int_equal(version_parse("", 0, &a, &v, NULL), -1);
	arena_free(&a);
}

/* A synthetic "V.post*" bound sits after all of V's post and local versions. */
static void
test_post_max(void **state)
{
	Arena a = {0};
	Version bound = parse_ok(&a, "1.7");
	const char *below[] = {"1.7", "1.7+zzz", "1.7.post99999999999999", "1.7.post3.dev1+x", "1.6.9"};
	const char *above[] = {"1.7.0.0.1.dev0", "1.7.1", "1!0.1", "1.8a1"};
	size_t i;

	bound.synthetic = VERSION_POST_MAX;
	version_format(&bound, &a);
	assert_string_equal(bound.str, "1.7.post*");
	for (i = 0; i < sizeof(below) / sizeof(*below); i++) {
		Version v = parse_ok(&a, below[i]);

		assert_true(version_cmp(&v, &bound) < 0);
		assert_true(version_cmp(&bound, &v) > 0);
	}
	for (i = 0; i < sizeof(above) / sizeof(*above); i++) {
		Version v = parse_ok(&a, above[i]);

		assert_true(version_cmp(&v, &bound) > 0);
	}
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordered),
		cmocka_unit_test(test_equal_pairs),
		cmocka_unit_test(test_normalized),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_from_parts),
		cmocka_unit_test(test_canonicalize_version),
		cmocka_unit_test(test_big_numbers),
		cmocka_unit_test(test_white_space),
		cmocka_unit_test(test_post_max),
	};
	int rc;

	vectors = vectors_load("versions.json");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cJSON_Delete(vectors);
	return rc;
}
