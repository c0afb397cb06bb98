/*
 * test_range.c - version ranges (packaging/range.c) and the properties of the version
 * order, over generated versions.
 *
 * The vectors give satisfiability and set relations (specifiers.json). The properties:
 * the order is a total order; the canonical form round-trips; a specifier's range holds
 * exactly the versions the specifier matches (range.c and specifier.c are written
 * independently, one from intervals, one from PEP 440's sentences); union, intersection,
 * complement and difference agree with or, and, not on every version; ranges stay
 * normalized (sorted, disjoint, non-adjacent, non-empty intervals).
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
#include "packaging/range.h"
#include "packaging/specifier.h"
#include "vectors.h"

static cJSON *vectors;

/* The generated population: every combination of these parts. */
static const char *const epochs[] = {"", "1!"};
static const char *const releases[] = {"0", "0.0", "1", "1.0", "1.0.0", "1.0.1", "1.1", "1.2.3", "2", "10.0",
					 "1.0.0.0.1", "262143.1", "262144", "1.99999999999999999999"};
static const char *const pres[] = {"", "a0", "a1", "b2", "rc1"};
static const char *const posts[] = {"", ".post0", ".post1"};
static const char *const devs[] = {"", ".dev0", ".dev1"};
static const char *const locals[] = {"", "+abc", "+1", "+1.a", "+0"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct Population {
	Arena arena;
	Version *v;
	size_t len;
} Population;

static Version
parse_ok(Arena *a, const char *s)
{
	Version v;
	Err err;

	if (version_parse(s, strlen(s), a, &v, &err) != 0)
		fail_msg("'%s' should parse: %s", s, err.msg);
	return v;
}

static void
population(Population *p)
{
	size_t e, r, pr, po, d, l;

	memset(p, 0, sizeof(*p));
	p->v = malloc(COUNT(epochs) * COUNT(releases) * COUNT(pres) * COUNT(posts) * COUNT(devs) *
		      COUNT(locals) * sizeof(*p->v));
	for (e = 0; e < COUNT(epochs); e++)
		for (r = 0; r < COUNT(releases); r++)
			for (pr = 0; pr < COUNT(pres); pr++)
				for (po = 0; po < COUNT(posts); po++)
					for (d = 0; d < COUNT(devs); d++)
						for (l = 0; l < COUNT(locals); l++) {
							char *s = arena_printf(&p->arena, "%s%s%s%s%s%s", epochs[e],
									       releases[r], pres[pr], posts[po],
									       devs[d], locals[l]);

							p->v[p->len++] = parse_ok(&p->arena, s);
						}
}

static void
population_free(Population *p)
{
	free(p->v);
	arena_free(&p->arena);
}

/* The specifiers over a smaller set of versions: every operator each can take. */
static size_t
specifiers(Arena *a, Specifier **out)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=", "~="};
	static const char *const base[] = {
		"0", "1", "1.0", "1.0.0", "1.1", "1!1.0", "1.0a1", "1.0a0", "1.0b2", "1.0rc1",
		"1.0.dev0", "1.0.dev1", "1.0a1.dev1", "1.0.post0", "1.0.post1", "1.0.post1.dev0",
		"1.0a1.post0", "0.dev0", "2", "1.2.3", "10.0",
	};
	static const char *const local_base[] = {"1.0+abc", "1.0+1", "1.0+0", "1.0a1+abc", "0+1.a"};
	static const char *const wild[] = {"0", "1", "1.0", "1.0.0", "1!1", "2", "1.2", "10"};
	size_t cap = COUNT(ops) * COUNT(base) + 4 * (COUNT(local_base) + COUNT(wild)), n = 0, i, j;
	Specifier *sp = arena_alloc(a, cap * sizeof(*sp));
	char *text;

	for (i = 0; i < COUNT(ops); i++)
		for (j = 0; j < COUNT(base); j++) {
			text = arena_printf(a, "%s%s", ops[i], base[j]);
			if (specifier_parse(text, strlen(text), a, &sp[n], NULL) == 0)
				n++;
			else
				assert_true(strcmp(ops[i], "~=") == 0);   /* ~=1, ~=2, ~=0 */
		}
	for (i = 0; i < 2; i++) {
		for (j = 0; j < COUNT(local_base); j++) {
			text = arena_printf(a, "%s%s", ops[i], local_base[j]);
			assert_int_equal(specifier_parse(text, strlen(text), a, &sp[n++], NULL), 0);
		}
		for (j = 0; j < COUNT(wild); j++) {
			text = arena_printf(a, "%s%s.*", ops[i], wild[j]);
			assert_int_equal(specifier_parse(text, strlen(text), a, &sp[n++], NULL), 0);
		}
	}
	*out = sp;
	return n;
}

static void
check_normalized(Range r)
{
	size_t i;

	for (i = 0; i < r.len; i++) {
		const RangeInterval *iv = &r.iv[i];

		if (iv->lo.v && iv->hi.v) {
			int c = version_cmp(iv->lo.v, iv->hi.v);

			assert_true(c < 0 || (c == 0 && iv->lo.inclusive && iv->hi.inclusive));
		}
		if (i > 0) {
			const RangeBound *prev = &r.iv[i - 1].hi, *lo = &iv->lo;
			int c;

			assert_non_null(prev->v);
			assert_non_null(lo->v);
			c = version_cmp(prev->v, lo->v);
			/* strictly apart: not overlapping and not touching */
			assert_true(c < 0 || (c == 0 && !prev->inclusive && !lo->inclusive));
		}
	}
}

static int
cmp_version_ptr(const void *a, const void *b)
{
	return version_cmp(a, b);
}

static void
test_total_order(void **state)
{
	Population p;
	size_t i, j;
	unsigned seed = 1;

	population(&p);
	assert_int_equal(p.len, 2 * 14 * 5 * 3 * 3 * 5);
	/* antisymmetric and reflexive on every pair */
	for (i = 0; i < p.len; i++)
		for (j = i; j < p.len; j += 7) {
			int ab = version_cmp(&p.v[i], &p.v[j]), ba = version_cmp(&p.v[j], &p.v[i]);

			assert_int_equal((ab > 0) - (ab < 0), -((ba > 0) - (ba < 0)));
			if (i == j)
				assert_int_equal(ab, 0);
		}
	/* sorted, every pair in order: transitivity over the whole population */
	qsort(p.v, p.len, sizeof(*p.v), cmp_version_ptr);
	for (i = 0; i + 1 < p.len; i++)
		assert_true(version_cmp(&p.v[i], &p.v[i + 1]) <= 0);
	for (i = 0; i < 200000; i++) {
		size_t x, y;

		seed = seed * 1103515245u + 12345u;
		x = (seed >> 8) % p.len;
		seed = seed * 1103515245u + 12345u;
		y = (seed >> 8) % p.len;
		if (x < y)
			assert_true(version_cmp(&p.v[x], &p.v[y]) <= 0);
	}
	/* the packed order hint never changes an answer: compare without it too */
	for (i = 0; i < p.len; i++)
		for (j = i % 13; j < p.len; j += 13) {
			Version x = p.v[i], y = p.v[j];

			x.order_hint = y.order_hint = 0;
			assert_int_equal(version_cmp(&p.v[i], &p.v[j]) > 0, version_cmp(&x, &y) > 0);
			assert_int_equal(version_cmp(&p.v[i], &p.v[j]) < 0, version_cmp(&x, &y) < 0);
		}
	/* equal versions print the same up to release zeros */
	for (i = 0; i + 1 < p.len; i++)
		if (version_cmp(&p.v[i], &p.v[i + 1]) == 0)
			assert_true(p.v[i].release_sig == p.v[i + 1].release_sig);
	population_free(&p);
}

/* Permissive spellings parse to the same version as the canonical form, which is a fixed point. */
static void
test_canonical_round_trip(void **state)
{
	static const char *const pre_spell[][4] = {
		{"a", "alpha", ".A", "-alpha"}, {"b", "beta", "_B", ".beta"}, {"rc", "c", "-pre", ".preview"},
	};
	Population p;
	Arena a = {0};
	size_t i;

	population(&p);
	for (i = 0; i < p.len; i++) {
		const Version *v = &p.v[i];
		Version again = parse_ok(&a, v->str);
		char *spelled;

		assert_string_equal(again.str, v->str);
		assert_int_equal(version_cmp(&again, v), 0);
		/* spell it differently: v prefix, upper case, other labels and separators */
		spelled = arena_printf(&a, "V%.*s", (int)v->release[0].len, v->release[0].digits);
		if (v->epoch.digits[0] != '0')
			spelled = arena_printf(&a, "%s!%s", v->epoch.digits[0] == '1' ? "01" : "?", spelled + 1);
		{
			uint32_t k;

			for (k = 1; k < v->release_len; k++)
				spelled = arena_printf(&a, "%s.0%.*s", spelled, (int)v->release[k].len,
						       v->release[k].digits);
		}
		if (v->pre_kind)
			spelled = arena_printf(&a, "%s%s%.*s", spelled, pre_spell[v->pre_kind - 1][i % 4],
					       (int)v->pre.len, v->pre.digits);
		if (v->has_post)
			spelled = arena_printf(&a, "%s%s%.*s", spelled,
					       i % 3 == 0 ? "-" : i % 3 == 1 ? "_REV" : ".r",
					       (int)v->post.len, v->post.digits);
		if (v->has_dev)
			spelled = arena_printf(&a, "%s%s%.*s", spelled, i % 2 ? "-DEV" : "dev", (int)v->dev.len,
					       v->dev.digits);
		if (v->local_len)
			spelled = arena_printf(&a, "%s+%s", spelled, v->str + v->public_len + 1);
		if (spelled[0] == 'V' || spelled[0] == '0') {
			Version w = parse_ok(&a, spelled);

			if (strcmp(w.str, v->str) != 0)
				fail_msg("'%s' reads as %s, want %s", spelled, w.str, v->str);
		}
	}
	arena_free(&a);
	population_free(&p);
}

/* A specifier's range holds exactly what the specifier matches. */
static void
test_range_matches_specifier(void **state)
{
	Population p;
	Arena a = {0};
	Specifier *sp;
	size_t n, i, j, checks = 0;
	Err err;

	population(&p);
	n = specifiers(&a, &sp);
	for (i = 0; i < n; i++) {
		Range r;

		assert_int_equal(range_from_specifier(&sp[i], &a, &r, &err), 0);
		check_normalized(r);
		for (j = 0; j < p.len; j++, checks++) {
			bool in_range = range_contains(r, &p.v[j]);
			bool matches = specifier_matches(&sp[i], &p.v[j], p.v[j].str, p.v[j].str_len);

			if (in_range != matches)
				fail_msg("%s%s vs %s: range %s says %d, specifier says %d",
					 spec_op_str(sp[i].op), sp[i].text, p.v[j].str, range_format(r, &a),
					 in_range, matches);
		}
	}
	print_message("range/specifier agreement: %zu specifiers x %zu versions = %zu checks\n", n,
		      p.len, checks);
	arena_free(&a);
	population_free(&p);
}

/* Random sets of clauses; and the set operations against boolean logic. */
static void
test_algebra(void **state)
{
	Population p;
	Arena a = {0};
	Specifier *sp;
	size_t n, i, j;
	unsigned seed = 7;
	Err err;

	population(&p);
	n = specifiers(&a, &sp);
	for (i = 0; i < 3000; i++) {
		Specifier items[3];
		SpecifierSet set = {items, 1 + i % 3}, other = {items + 1, 1};
		Range rs, ro, u, x, c, d;

		for (j = 0; j < 3; j++) {
			seed = seed * 1103515245u + 12345u;
			items[j] = sp[(seed >> 8) % n];
		}
		assert_int_equal(range_from_specset(&set, &a, &rs, &err), 0);
		assert_int_equal(range_from_specset(&other, &a, &ro, &err), 0);
		u = range_union(rs, ro, &a);
		x = range_intersect(rs, ro, &a);
		c = range_complement(rs, &a);
		d = range_difference(rs, ro, &a);
		check_normalized(rs), check_normalized(u), check_normalized(x), check_normalized(c),
			check_normalized(d);
		assert_true(range_equal(range_complement(c, &a), rs));
		for (j = 0; j < p.len; j += 1 + i % 5) {
			const Version *v = &p.v[j];
			SpecCandidate cand = {v, v->str, v->str_len};
			bool in_s = specset_contains(&set, &cand, PRERELEASES_ALLOW, false);
			bool in_o = specset_contains(&other, &cand, PRERELEASES_ALLOW, false);

			assert_int_equal(range_contains(rs, v), in_s);
			assert_int_equal(range_contains(u, v), in_s || in_o);
			assert_int_equal(range_contains(x, v), in_s && in_o);
			assert_int_equal(range_contains(c, v), !in_s);
			assert_int_equal(range_contains(d, v), in_s && !in_o);
		}
		if (range_subset(rs, ro))
			assert_true(range_is_empty(d));
		assert_int_equal(range_disjoint(rs, ro), range_is_empty(x));
	}
	arena_free(&a);
	population_free(&p);
}

static void
check_satisfiable(const char *section, bool want, bool finals_only)
{
	const cJSON *row;
	Arena a = {0};
	SpecifierSet set;
	Err err;
	int n = 0;

	cJSON_ArrayForEach(row, vectors_section(vectors, section)) {
		const char *s = vectors_str(row);

		assert_int_equal(specset_parse(s, strlen(s), &a, &set, &err), 0);
		if (range_specset_satisfiable(&set, finals_only, &a) != want)
			fail_msg("'%s' (%s)", s, section);
		n++;
	}
	assert_true(n > 0);
	arena_free(&a);
}

static void
test_satisfiable(void **state)
{
	check_satisfiable("unsatisfiable", false, false);
	check_satisfiable("satisfiable", true, false);
	check_satisfiable("unsatisfiable_prereleases_false", false, true);
	check_satisfiable("satisfiable_prereleases_false", true, true);
}

/* Finals above "V.post*" have no smallest (1.0.0.1, 1.0.0.0.1, ...): still found. */
static void
test_satisfiable_between_releases(void **state)
{
	const char *sets[] = {">1.0,<1.0.1", ">1,<=1.0.2.2a1.post2.dev0", ">2,<2.0.2a0", ">1.0.0,<1.0.0.1"};
	Arena a = {0};
	SpecifierSet set;
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(*sets); i++) {
		assert_int_equal(specset_parse(sets[i], strlen(sets[i]), &a, &set, NULL), 0);
		if (!range_specset_satisfiable(&set, true, &a))
			fail_msg("'%s' holds a final release", sets[i]);
	}
	arena_free(&a);
}

static void
test_set_relations(void **state)
{
	const char *rels[] = {"is_subset", "is_superset", "is_disjoint"};
	const cJSON *row;
	Arena a = {0};
	size_t k;
	Err err;

	for (k = 0; k < 3; k++) {
		char path[64];

		snprintf(path, sizeof(path), "set_relations.%s", rels[k]);
		cJSON_ArrayForEach(row, vectors_section(vectors, path)) {
			const char *l = vectors_str(cJSON_GetArrayItem(row, 0));
			const char *r = vectors_str(cJSON_GetArrayItem(row, 1));
			bool want = cJSON_IsTrue(cJSON_GetArrayItem(row, 2)), got;
			SpecifierSet ls, rs;
			Range lr, rr;

			assert_int_equal(specset_parse(l, strlen(l), &a, &ls, &err), 0);
			assert_int_equal(specset_parse(r, strlen(r), &a, &rs, &err), 0);
			assert_int_equal(range_from_specset(&ls, &a, &lr, &err), 0);
			assert_int_equal(range_from_specset(&rs, &a, &rr, &err), 0);
			got = k == 0 ? range_subset(lr, rr) : k == 1 ? range_subset(rr, lr) : range_disjoint(lr, rr);
			if (got != want)
				fail_msg("%s('%s', '%s'): want %d", rels[k], l, r, want);
		}
	}
	arena_free(&a);
}

static void
test_format_and_errors(void **state)
{
	Arena a = {0};
	SpecifierSet set;
	Range r;
	Err err;

	assert_int_equal(specset_parse(">=1.0,<2,!=1.5.*", 16, &a, &set, &err), 0);
	assert_int_equal(range_from_specset(&set, &a, &r, &err), 0);
	assert_string_equal(range_format(r, &a), ">=1.0, <1.5.dev0 | >=1.6.dev0, <2.dev0");
	assert_int_equal(specset_parse(">1.7", 4, &a, &set, &err), 0);
	assert_int_equal(range_from_specset(&set, &a, &r, &err), 0);
	assert_string_equal(range_format(r, &a), ">1.7.post*");
	assert_string_equal(range_format(range_full(), &a), "*");
	assert_string_equal(range_format(range_empty(), &a), "<none>");
	assert_int_equal(specset_parse("===1.0", 6, &a, &set, &err), 0);
	assert_int_equal(range_from_specset(&set, &a, &r, &err), -1);
	assert_non_null(strstr(err.msg, "'===1.0' compares strings"));
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_total_order),
		cmocka_unit_test(test_canonical_round_trip),
		cmocka_unit_test(test_range_matches_specifier),
		cmocka_unit_test(test_algebra),
		cmocka_unit_test(test_satisfiable),
		cmocka_unit_test(test_satisfiable_between_releases),
		cmocka_unit_test(test_set_relations),
		cmocka_unit_test(test_format_and_errors),
	};
	int rc;

	vectors = vectors_load("specifiers.json");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cJSON_Delete(vectors);
	return rc;
}
