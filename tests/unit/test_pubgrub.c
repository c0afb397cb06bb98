/*
 * test_pubgrub.c - unit tests of the PubGrub solver (rules/pubgrub.c).
 *
 * Universes are written as small tables, one line a version:
 *
 *   "foo 1.1.0: bar>=2,<3; baz"        foo 1.1.0 depends on bar>=2,<3 and on baz
 *   "foo 1.0.0:"                       no dependencies
 *   "foo 0.9! requires Python >=3.12"  unavailable, for that reason
 *
 * "root" is the project ("your project" in messages). A tiny driver answers the
 * solver's requests from the table, candidates highest first unless a test asks for
 * another order, and can prefetch everything before it is asked for.
 *
 * The examples of pub's solver.md come first, with their solutions and the sentences
 * their explanations must contain; then the properties every answer must have, checked
 * on a few hundred random universes against a brute-force search; then limits,
 * resumability and the text of ranges.
 */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "packaging/range.h"
#include "packaging/specifier.h"
#include "packaging/version.h"
#include "rules/pubgrub.h"

typedef struct Entry {
	const char *name;
	Version v;
	PgDep *deps;          /* pkg ids filled in when the solver is made */
	const char **dep_names;
	size_t ndeps;
	const char *unavailable;
} Entry;

typedef struct Uni {
	Arena arena;
	Entry *e;
	size_t n, cap;
	Pg *pg;
	bool lowest_first;
	bool prefetch;        /* give every candidate list and dependency up front */
	bool reverse_deps;    /* answer dependency requests only after a detour */
	size_t asked_candidates, asked_dependencies;
	Buf why;
} Uni;

static Version
parse_version(Arena *a, const char *s)
{
	Version v;

	if (version_parse(s, strlen(s), a, &v, NULL) != 0) {
		print_error("bad version in test: %s\n", s);
		fail();
	}
	return v;
}

static Range
parse_range(Arena *a, const char *spec)
{
	SpecifierSet set;
	Range r;

	if (specset_parse(spec, strlen(spec), a, &set, NULL) != 0 ||
	    range_from_specset(&set, a, &r, NULL) != 0) {
		print_error("bad specifier in test: %s\n", spec);
		fail();
	}
	return r;
}

static void
add_line(Uni *u, const char *line)
{
	const char *sp = strchr(line, ' '), *colon, *bang;
	Entry *e;

	xgrow(&u->e, &u->cap, u->n + 1, sizeof(*u->e));
	e = &u->e[u->n++];
	memset(e, 0, sizeof(*e));
	e->name = arena_strndup(&u->arena, line, (size_t)(sp - line));
	colon = strchr(sp, ':');
	bang = strchr(sp, '!');
	if (bang && (!colon || bang < colon)) {
		e->v = parse_version(&u->arena, arena_strndup(&u->arena, sp + 1, (size_t)(bang - sp - 1)));
		e->unavailable = bang[1] == ' ' ? bang + 2 : bang + 1;
		return;
	}
	e->v = parse_version(&u->arena, arena_strndup(&u->arena, sp + 1, (size_t)(colon - sp - 1)));
	for (const char *p = colon + 1; *p;) {
		const char *end = strchr(p, ';'), *q;
		size_t len;

		while (*p == ' ')
			p++;
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0) {
			char *dep = arena_strndup(&u->arena, p, len);

			for (q = dep; *q && (isalnum((unsigned char)*q) || strchr("_-.[]", *q)); q++)
				;
			e->dep_names = realloc(e->dep_names, (e->ndeps + 1) * sizeof(*e->dep_names));
			e->deps = realloc(e->deps, (e->ndeps + 1) * sizeof(*e->deps));
			e->dep_names[e->ndeps] = arena_strndup(&u->arena, dep, (size_t)(q - dep));
			e->deps[e->ndeps].range = parse_range(&u->arena, q);
			e->ndeps++;
		}
		if (!end)
			break;
		p = end + 1;
	}
}

static PgPkg
pkg_of(Uni *u, const char *name)
{
	return strcmp(name, "root") == 0 ? PG_ROOT : pg_package(u->pg, name);
}

static Entry *
find_entry(Uni *u, const char *name, const Version *v)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->e[i].name, name) == 0 && version_cmp(&u->e[i].v, v) == 0)
			return &u->e[i];
	return NULL;
}

static void
give_dependencies(Uni *u, Entry *e)
{
	PgPkg pkg = pkg_of(u, e->name);
	size_t i;

	if (e->unavailable) {
		pg_set_unavailable(u->pg, pkg, &e->v, e->unavailable);
		return;
	}
	for (i = 0; i < e->ndeps; i++)
		e->deps[i].pkg = pkg_of(u, e->dep_names[i]);
	pg_set_dependencies(u->pg, pkg, &e->v, e->deps, e->ndeps);
}

static int
by_version_desc(const void *a, const void *b)
{
	return -version_cmp(*(const Version *const *)a, *(const Version *const *)b);
}

static void
give_candidates(Uni *u, PgPkg pkg)
{
	const char *name = pg_package_name(u->pg, pkg);
	const Version **vs = calloc(u->n + 1, sizeof(*vs));
	size_t i, n = 0;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->e[i].name, name) == 0)
			vs[n++] = &u->e[i].v;
	qsort(vs, n, sizeof(*vs), by_version_desc);
	if (u->lowest_first)
		for (i = 0; i < n / 2; i++) {
			const Version *t = vs[i];

			vs[i] = vs[n - 1 - i];
			vs[n - 1 - i] = t;
		}
	pg_set_candidates(u->pg, pkg, vs, n);
	free(vs);
}

/* Make the solver: the root's line gives its version and dependencies. */
static void
uni_start(Uni *u, uint64_t max_steps)
{
	PgLimits lim = {max_steps};
	Entry *root = NULL;
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->e[i].name, "root") == 0)
			root = &u->e[i];
	assert_non_null(root);
	u->pg = pg_new("your project", &root->v, &lim);
	give_dependencies(u, root);
	if (u->prefetch) {
		for (i = 0; i < u->n; i++)
			if (u->e[i].name != root->name)
				pg_package(u->pg, u->e[i].name);
		for (i = 1; i < pg_package_count(u->pg); i++)
			give_candidates(u, (PgPkg)i);
		for (i = 0; i < u->n; i++)
			if (&u->e[i] != root)
				give_dependencies(u, &u->e[i]);
	}
}

static void
uni_load(Uni *u, const char *const *lines)
{
	memset(u, 0, sizeof(*u));
	for (; *lines; lines++)
		add_line(u, *lines);
}

static PgStatus
uni_run(Uni *u)
{
	PgRequest req;

	for (;;) {
		PgStatus st = pg_solve(u->pg, &req);
		Entry *e;

		switch (st) {
		case PG_NEED_CANDIDATES:
			u->asked_candidates++;
			assert_false(pg_has_candidates(u->pg, req.pkg));
			give_candidates(u, req.pkg);
			break;
		case PG_NEED_DEPENDENCIES:
			u->asked_dependencies++;
			e = find_entry(u, pg_package_name(u->pg, req.pkg), req.version);
			assert_non_null(e);
			give_dependencies(u, e);
			break;
		default:
			buf_clear(&u->why);
			pg_explain(u->pg, &u->why);
			return st;
		}
	}
}

static void
uni_free(Uni *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->e[i].deps);
		free(u->e[i].dep_names);
	}
	free(u->e);
	pg_free(u->pg);
	buf_free(&u->why);
	arena_free(&u->arena);
}

/* The solution as "bar 1.0.0, foo 1.0.0" (sorted by name, root left out). */
static char *
solution_text(Uni *u)
{
	Buf b = {0};
	const char **names = calloc(pg_package_count(u->pg) + 1, sizeof(*names));
	size_t i, n = 0, j;

	for (i = 1; i < pg_package_count(u->pg); i++)
		if (pg_solution(u->pg, (PgPkg)i))
			names[n++] = pg_package_name(u->pg, (PgPkg)i);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				const char *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s %s", i ? ", " : "", names[i],
			   pg_solution(u->pg, pg_package(u->pg, names[i]))->str);
	free(names);
	buf_putc(&b, '\0');
	return buf_detach(&b);
}

static void
expect_solution(const char *const *lines, const char *want)
{
	Uni u;
	char *got;

	uni_load(&u, lines);
	uni_start(&u, 0);
	if (uni_run(&u) != PG_SOLVED) {
		print_error("no solution; explanation:\n%s", u.why.data);
		fail();
	}
	got = solution_text(&u);
	if (strcmp(got, want) != 0) {
		print_error("solution: %s\nwanted:   %s\n", got, want);
		fail();
	}
	assert_non_null(pg_solution(u.pg, PG_ROOT));
	free(got);
	uni_free(&u);
}

/* Fail with explanation text containing every phrase (NULL-terminated). */
static void
expect_failure(const char *const *lines, ...)
{
	Uni u;
	va_list ap;
	const char *phrase;

	uni_load(&u, lines);
	uni_start(&u, 0);
	assert_int_equal(uni_run(&u), PG_NO_SOLUTION);
	va_start(ap, lines);
	while ((phrase = va_arg(ap, const char *)) != NULL) {
		if (!u.why.data || !strstr(u.why.data, phrase)) {
			print_error("explanation:\n%s\nlacks: %s\n", u.why.data ? u.why.data : "", phrase);
			fail();
		}
	}
	va_end(ap);
	assert_null(pg_solution(u.pg, PG_ROOT));
	uni_free(&u);
}

/* ---- the examples of pub's solver.md ---- */

static void
no_conflicts(void **state)
{
	static const char *const u[] = {
		"root 1.0.0: foo>=1.0.0,<2.0.0",
		"foo 1.0.0: bar>=1.0.0,<2.0.0",
		"bar 1.0.0:",
		"bar 2.0.0:",
		NULL,
	};
	(void)state;
	expect_solution(u, "bar 1.0.0, foo 1.0.0");
}

static void
avoiding_conflict_during_decision_making(void **state)
{
	static const char *const u[] = {
		"root 1.0.0: foo>=1.0.0,<2.0.0; bar>=1.0.0,<2.0.0",
		"foo 1.1.0: bar>=2.0.0,<3.0.0",
		"foo 1.0.0:",
		"bar 1.0.0:",
		"bar 1.1.0:",
		"bar 2.0.0:",
		NULL,
	};
	(void)state;
	expect_solution(u, "bar 1.1.0, foo 1.0.0");
}

static void
performing_conflict_resolution(void **state)
{
	static const char *const u[] = {
		"root 1.0.0: foo>=1.0.0",
		"foo 2.0.0: bar>=1.0.0,<2.0.0",
		"foo 1.0.0:",
		"bar 1.0.0: foo>=1.0.0,<2.0.0",
		NULL,
	};
	(void)state;
	expect_solution(u, "foo 1.0.0");
}

static const char *const partial_satisfier[] = {
	"root 1.0.0: foo>=1.0.0,<2.0.0; target>=2.0.0,<3.0.0",
	"foo 1.1.0: left>=1.0.0,<2.0.0; right>=1.0.0,<2.0.0",
	"foo 1.0.0:",
	"left 1.0.0: shared>=1.0.0",
	"right 1.0.0: shared<2.0.0",
	"shared 2.0.0:",
	"shared 1.0.0: target>=1.0.0,<2.0.0",
	"target 2.0.0:",
	"target 1.0.0:",
	NULL,
};

static void
conflict_resolution_with_partial_satisfier(void **state)
{
	(void)state;
	expect_solution(partial_satisfier, "foo 1.0.0, target 2.0.0");
}

static void
linear_error_reporting(void **state)
{
	static const char *const u[] = {
		"root 1.0.0: foo>=1.0.0,<2.0.0; baz>=1.0.0,<2.0.0",
		"foo 1.0.0: bar>=2.0.0,<3.0.0",
		"bar 2.0.0: baz>=3.0.0,<4.0.0",
		"baz 1.0.0:",
		"baz 3.0.0:",
		NULL,
	};
	(void)state;
	expect_failure(u, "Because every version of foo depends on bar and every version of bar "
			  "depends on baz==3.0.0, every version of foo depends on baz==3.0.0.\n",
		       "And because your project depends on both foo and baz==1.0.0, "
		       "version solving failed.\n", NULL);
}

static void
branching_error_reporting(void **state)
{
	static const char *const u[] = {
		"root 1.0.0: foo>=1.0.0,<2.0.0",
		"foo 1.0.0: a>=1.0.0,<2.0.0; b>=1.0.0,<2.0.0",
		"foo 1.1.0: x>=1.0.0,<2.0.0; y>=1.0.0,<2.0.0",
		"a 1.0.0: b>=2.0.0,<3.0.0",
		"b 1.0.0:",
		"b 2.0.0:",
		"x 1.0.0: y>=2.0.0,<3.0.0",
		"y 1.0.0:",
		"y 2.0.0:",
		NULL,
	};
	(void)state;
	/* The shape of solver.md's report: the first branch numbered, a blank line, the
	 * second branch, then the conclusion referring back to (1). */
	expect_failure(u, "Because foo<1.1.0 depends on a and every version of a depends on "
			  "b==2.0.0, foo<1.1.0 depends on b==2.0.0.\n"
			  "(1) And because foo<1.1.0 depends on b==1.0.0, foo<1.1.0 cannot be used.\n"
			  "\n"
			  "Because foo==1.1.0 depends on x and every version of x depends on y==2.0.0, "
			  "foo==1.1.0 depends on y==2.0.0.\n"
			  "And because foo==1.1.0 depends on y==1.0.0, foo==1.1.0 cannot be used.\n"
			  "And because foo<1.1.0 cannot be used (1), no version of foo can be used.\n"
			  "And because your project depends on foo, version solving failed.\n",
		       NULL);
}

/* ---- more shapes ---- */

static void
brief_example(void **state)
{
	/* The sentence of pubgrub.h's contract. */
	static const char *const u[] = {
		"root 1.0: a>=2; b>=1",
		"a 2.0: b<1",
		"a 1.0:",
		"b 0.5:",
		"b 1.0:",
		NULL,
	};
	(void)state;
	expect_failure(u, "Because a==2.0 depends on b<1 and your project depends on a>=2, "
			  "your project depends on b<1.\n",
		       "And because your project depends on b>=1, version solving failed.", NULL);
}

static void
backtracking_several_levels(void **state)
{
	/* d 3.0 needs a package that does not exist, so c>=2 (needing d>=3) and a>=2
	 * (needing c>=2) fail in turn; a 1.0 brings c 1.0 and d 1.0, and b must then go
	 * back to 1.0, the one that accepts d 1.0. */
	static const char *const u[] = {
		"root 1.0: a; b",
		"a 3.0: c>=3",
		"a 2.0: c>=2",
		"a 1.0: c<2",
		"b 3.0: d>=2",
		"b 2.0: d>=2",
		"b 1.0: d==1.0",
		"c 3.0: d>=3",
		"c 2.0: d>=3",
		"c 1.0: d<2",
		"d 3.0: e==9",
		"d 2.0:",
		"d 1.0:",
		NULL,
	};
	(void)state;
	expect_solution(u, "a 1.0, b 1.0, c 1.0, d 1.0");
}

static void
deeper_backjump(void **state)
{
	/* x's newest versions all fail through a chain three levels down. */
	static const char *const u[] = {
		"root 1.0: x; y",
		"x 3.0: p",
		"x 2.0: p",
		"x 1.0:",
		"p 1.0: q",
		"q 1.0: r",
		"r 1.0: y<1",
		"y 1.0:",
		"y 0.5:",
		"z 1.0:",
		NULL,
	};
	(void)state;
	/* y 1.0 is newest; p's chain wants y<1, so both x 3.0 and 2.0 would need y 0.5.
	 * The solver keeps the newest of whichever it decides first; either answer must
	 * satisfy every dependency (checked by the property test); here y has fewer
	 * candidates, so y 1.0 is decided first and x falls back to 1.0. */
	expect_solution(u, "x 1.0, y 1.0");
}

static void
diamond(void **state)
{
	static const char *const u[] = {
		"root 1.0: a; b",
		"a 2.0: c>=2",
		"a 1.0: c>=1",
		"b 2.0: c<2",
		"b 1.0: c>=1",
		"c 2.0:",
		"c 1.0:",
		NULL,
	};
	(void)state;
	/* a and b both have two candidates: a (seen first) is decided first, then b 2.0
	 * conflicts on c and b falls back to 1.0. */
	expect_solution(u, "a 2.0, b 1.0, c 2.0");
}

static void
unavailable_with_reason(void **state)
{
	static const char *const u[] = {
		"root 1.0: a>=2",
		"a 2.0! requires Python >=3.12",
		"a 1.0:",
		NULL,
	};
	static const char *const ok[] = {
		"root 1.0: a",
		"a 3.0! has no wheel for this platform",
		"a 2.0! has no wheel for this platform",
		"a 1.0:",
		NULL,
	};
	(void)state;
	expect_failure(u, "a==2.0 requires Python >=3.12", "your project depends on a>=2",
		       "version solving failed", NULL);
	expect_solution(ok, "a 1.0");
}

static void
unavailable_versions_share_a_sentence(void **state)
{
	/* Known up front, neighbouring versions unavailable for the same reason make one
	 * incompatibility, one sentence. */
	static const char *const u[] = {
		"root 1.0: a>=2",
		"a 3.0! has no wheel for this platform",
		"a 2.0! has no wheel for this platform",
		"a 1.0:",
		NULL,
	};
	Uni uni;

	(void)state;
	uni_load(&uni, u);
	uni.prefetch = true;
	uni_start(&uni, 0);
	assert_int_equal(uni_run(&uni), PG_NO_SOLUTION);
	assert_string_equal(uni.why.data, "Because a>=2.0 has no wheel for this platform and your "
					  "project depends on a>=2, version solving failed.\n");
	uni_free(&uni);
}

static void
unavailable_root(void **state)
{
	static const char *const u[] = {
		"root 1.0! requires Python >=4",
		NULL,
	};
	(void)state;
	expect_failure(u, "Because your project requires Python >=4, version solving failed.",
		       NULL);
}

static void
caller_order_is_respected(void **state)
{
	static const char *const lines[] = {
		"root 1.0: a>=1; b",
		"a 1.0:",
		"a 2.0:",
		"a 3.0:",
		"b 1.0: a>=2",
		"b 2.0:",
		NULL,
	};
	Uni u;
	char *got;

	(void)state;
	expect_solution(lines, "a 3.0, b 2.0");
	uni_load(&u, lines);
	u.lowest_first = true;
	uni_start(&u, 0);
	assert_int_equal(uni_run(&u), PG_SOLVED);
	got = solution_text(&u);
	/* b 1.0 (first in this order) needs a>=2; the lowest such a is 2.0. */
	assert_string_equal(got, "a 2.0, b 1.0");
	free(got);
	uni_free(&u);
}

static void
no_candidates_at_all(void **state)
{
	static const char *const u[] = {
		"root 1.0: a",
		"a 1.0: ghost>=1",
		NULL,
	};
	static const char *const v[] = {
		"root 1.0: c>1.0",
		"c 1.0:",
		"c 0.5:",
		NULL,
	};
	(void)state;
	expect_failure(u, "there are no versions of ghost", "a depends on ghost>=1",
		       "version solving failed", NULL);
	expect_failure(v, "no versions of c match >1.0", "your project depends on c>1.0", NULL);
}

static void
contradictory_requirements(void **state)
{
	static const char *const u[] = {
		"root 1.0: a>=2; a<1",
		"a 1.0:",
		"a 2.0:",
		NULL,
	};
	(void)state;
	expect_failure(u, "Because no version of a is allowed and your project depends on "
			  "a (an empty range), version solving failed.\n", NULL);
}

static void
repeated_dependency_intersects(void **state)
{
	static const char *const u[] = {
		"root 1.0: a>=1; a<3",
		"a 3.0:",
		"a 2.0:",
		"a 1.0:",
		NULL,
	};
	Arena a = {0};
	Version v1 = parse_version(&a, "1.0"), v2 = parse_version(&a, "2.0"), v3 = parse_version(&a, "3.0");
	const Version *cands[] = {&v3, &v2, &v1};
	Pg *pg;
	PgDep d;
	PgRequest req;

	(void)state;
	expect_solution(u, "a 2.0");
	/* Two calls for the same version add up the same way. */
	pg = pg_new("your project", &v1, NULL);
	d.pkg = pg_package(pg, "a");
	d.range = parse_range(&a, ">=1");
	pg_set_dependencies(pg, PG_ROOT, &v1, &d, 1);
	d.range = parse_range(&a, "<3");
	pg_set_dependencies(pg, PG_ROOT, &v1, &d, 1);
	pg_set_candidates(pg, d.pkg, cands, 3);
	pg_set_dependencies(pg, d.pkg, &v2, NULL, 0);
	assert_int_equal(pg_solve(pg, &req), PG_SOLVED);
	assert_string_equal(pg_solution(pg, d.pkg)->str, "2.0");
	pg_free(pg);
	arena_free(&a);
}

static void
extras_style_packages(void **state)
{
	/* "a[x]" depends on "a" at its own version, as the lock's resolve rule does. */
	static const char *const u[] = {
		"root 1.0: a[x]; a<2",
		"a[x] 2.0: a==2.0; b",
		"a[x] 1.0: a==1.0; b",
		"a 2.0:",
		"a 1.0:",
		"b 1.0:",
		NULL,
	};
	(void)state;
	expect_solution(u, "a 1.0, a[x] 1.0, b 1.0");
}

/* ---- properties on random universes ---- */

enum { RP = 5, RV = 4 };   /* packages (besides root) and versions: 5^5 assignments */

typedef struct RDep {
	int pkg;          /* 0..RP-1 */
	Range r;
	char text[32];
} RDep;

typedef struct RUni {
	int nver[RP];
	bool unavailable[RP][RV];
	RDep deps[RP][RV][3];
	int ndeps[RP][RV];
	RDep root[3];
	int nroot;
} RUni;

static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

static const char *const rnames[RP] = {"p0", "p1", "p2", "p3", "p4"};

static void
random_dep(RDep *d, Arena *a)
{
	int lo = (int)rnd(RV) + 1, hi = lo + (int)rnd(3);

	d->pkg = (int)rnd(RP);
	switch (rnd(6)) {
	case 0: snprintf(d->text, sizeof(d->text), ">=%d", lo); break;
	case 1: snprintf(d->text, sizeof(d->text), "<%d", lo); break;
	case 2: snprintf(d->text, sizeof(d->text), ">=%d,<%d", lo, hi); break;
	case 3: snprintf(d->text, sizeof(d->text), "==%d", lo); break;
	case 4: snprintf(d->text, sizeof(d->text), "!=%d", lo); break;
	default: d->text[0] = '\0'; break;
	}
	d->r = parse_range(a, d->text);
}

static void
random_universe(RUni *ru, Arena *a)
{
	int p, v, k;

	memset(ru, 0, sizeof(*ru));
	for (p = 0; p < RP; p++) {
		ru->nver[p] = rnd(8) == 0 ? 0 : 1 + (int)rnd(RV);
		for (v = 0; v < ru->nver[p]; v++) {
			ru->unavailable[p][v] = rnd(10) == 0;
			ru->ndeps[p][v] = (int)rnd(4);
			for (k = 0; k < ru->ndeps[p][v]; k++)
				random_dep(&ru->deps[p][v][k], a);
		}
	}
	ru->nroot = 1 + (int)rnd(3);
	for (k = 0; k < ru->nroot; k++)
		random_dep(&ru->root[k], a);
}

/* Version v (0-based) of any package is "v+1". */
static Version rversions[RV];

static bool
dep_met(const RDep *d, const int *choice)
{
	return choice[d->pkg] >= 0 && range_contains(d->r, &rversions[choice[d->pkg]]);
}

static bool
valid(const RUni *ru, const int *choice)
{
	int p, k;

	for (k = 0; k < ru->nroot; k++)
		if (!dep_met(&ru->root[k], choice))
			return false;
	for (p = 0; p < RP; p++) {
		int v = choice[p];

		if (v < 0)
			continue;
		if (v >= ru->nver[p] || ru->unavailable[p][v])
			return false;
		for (k = 0; k < ru->ndeps[p][v]; k++)
			if (!dep_met(&ru->deps[p][v][k], choice))
				return false;
	}
	return true;
}

static bool
brute_force(const RUni *ru)
{
	int choice[RP], p;

	for (p = 0; p < RP; p++)
		choice[p] = -1;
	for (;;) {
		if (valid(ru, choice))
			return true;
		for (p = 0; p < RP; p++) {
			if (++choice[p] < ru->nver[p])
				break;
			choice[p] = -1;
		}
		if (p == RP)
			return false;
	}
}

/* Every chosen package must be needed: reachable from the root by dependencies. */
static bool
reachable_only(const RUni *ru, const int *choice)
{
	bool seen[RP] = {false};
	int stack[RP], n = 0, k, p;

	for (k = 0; k < ru->nroot; k++)
		if (!seen[ru->root[k].pkg])
			seen[ru->root[k].pkg] = true, stack[n++] = ru->root[k].pkg;
	while (n > 0) {
		p = stack[--n];
		for (k = 0; k < ru->ndeps[p][choice[p]]; k++) {
			int q = ru->deps[p][choice[p]][k].pkg;

			if (!seen[q])
				seen[q] = true, stack[n++] = q;
		}
	}
	for (p = 0; p < RP; p++)
		if (choice[p] >= 0 && !seen[p])
			return false;
	return true;
}

static bool random_lowest_first;

static void
random_candidates(const RUni *ru, int p, const Version **vs)
{
	int v;

	for (v = 0; v < ru->nver[p]; v++)
		vs[v] = &rversions[random_lowest_first ? v : ru->nver[p] - 1 - v];
}

static PgStatus
solve_random(const RUni *ru, int *choice, Buf *why, PgStats *stats, bool prefetch)
{
	Version root_v = rversions[0];
	Pg *pg = pg_new("your project", &root_v, NULL);
	PgDep deps[3];
	PgPkg ids[RP];
	PgRequest req;
	PgStatus st;
	int p, k;

	for (p = 0; p < RP; p++)
		ids[p] = pg_package(pg, rnames[p]);
	for (k = 0; k < ru->nroot; k++)
		deps[k] = (PgDep){ids[ru->root[k].pkg], ru->root[k].r};
	pg_set_dependencies(pg, PG_ROOT, &root_v, deps, (size_t)ru->nroot);
	for (;;) {
		if (prefetch) {
			for (p = 0; p < RP; p++) {
				const Version *vs[RV];
				int v;

				random_candidates(ru, p, vs);
				pg_set_candidates(pg, ids[p], vs, (size_t)ru->nver[p]);
				for (v = ru->nver[p] - 1; v >= 0; v--) {
					if (ru->unavailable[p][v]) {
						pg_set_unavailable(pg, ids[p], &rversions[v], "is broken");
						continue;
					}
					for (k = 0; k < ru->ndeps[p][v]; k++)
						deps[k] = (PgDep){ids[ru->deps[p][v][k].pkg], ru->deps[p][v][k].r};
					pg_set_dependencies(pg, ids[p], &rversions[v], deps, (size_t)ru->ndeps[p][v]);
				}
			}
			prefetch = false;
		}
		st = pg_solve(pg, &req);
		if (st == PG_NEED_CANDIDATES) {
			const Version *vs[RV];

			for (p = 0; p < RP && ids[p] != req.pkg; p++)
				;
			assert_true(p < RP);
			random_candidates(ru, p, vs);
			pg_set_candidates(pg, req.pkg, vs, (size_t)ru->nver[p]);
		} else if (st == PG_NEED_DEPENDENCIES) {
			int v = -1;

			for (p = 0; p < RP && ids[p] != req.pkg; p++)
				;
			assert_true(p < RP);
			for (k = 0; k < ru->nver[p]; k++)
				if (version_cmp(&rversions[k], req.version) == 0)
					v = k;
			assert_true(v >= 0);
			if (ru->unavailable[p][v]) {
				pg_set_unavailable(pg, req.pkg, req.version, "is broken");
				continue;
			}
			for (k = 0; k < ru->ndeps[p][v]; k++)
				deps[k] = (PgDep){ids[ru->deps[p][v][k].pkg], ru->deps[p][v][k].r};
			pg_set_dependencies(pg, req.pkg, req.version, deps, (size_t)ru->ndeps[p][v]);
		} else {
			break;
		}
	}
	for (p = 0; p < RP; p++) {
		const Version *v = pg_solution(pg, ids[p]);

		choice[p] = -1;
		for (k = 0; v && k < RV; k++)
			if (version_cmp(&rversions[k], v) == 0)
				choice[p] = k;
		if (v)
			assert_true(choice[p] >= 0);
	}
	pg_explain(pg, why);
	pg_stats(pg, stats);
	pg_free(pg);
	return st;
}

static void
random_universes_agree_with_brute_force(void **state)
{
	Arena a = {0};
	int i, solved = 0, failed = 0;

	(void)state;
	rng_state = 20260101;
	for (i = 0; i < RV; i++) {
		char s[8];

		snprintf(s, sizeof(s), "%d", i + 1);
		rversions[i] = parse_version(&a, s);
	}
	for (i = 0; i < 600; i++) {
		RUni ru;
		int choice[RP], again[RP];
		Buf why = {0}, why2 = {0};
		PgStats st;
		PgStatus r, r2;
		bool exists;

		random_universe(&ru, &a);
		random_lowest_first = i % 3 == 2;   /* a third of them in the other order */
		exists = brute_force(&ru);
		r = solve_random(&ru, choice, &why, &st, false);
		if (r == PG_SOLVED) {
			solved++;
			if (!valid(&ru, choice) || !reachable_only(&ru, choice)) {
				print_error("universe %d: invalid or unneeded packages in the solution\n", i);
				fail();
			}
		} else {
			failed++;
			assert_int_equal(r, PG_NO_SOLUTION);
			if (exists) {
				print_error("universe %d: solver found none, brute force did\n%s", i, why.data);
				fail();
			}
			assert_non_null(strstr(why.data, "version solving failed"));
		}
		/* Everything given up front: the same answer. */
		r2 = solve_random(&ru, again, &why2, &st, true);
		assert_int_equal(r2, r);
		assert_memory_equal(choice, again, sizeof(choice));
		buf_free(&why);
		buf_free(&why2);
	}
	/* The seed gives both kinds in good number. */
	assert_true(solved > 50);
	assert_true(failed > 50);
	arena_free(&a);
}

/* ---- limits and resumability ---- */

/* Each a version needs its own b version, and all b's but the oldest need a c that
 * does not exist: the solver works down every version. */
static void
ladder(Uni *u)
{
	char line[64];
	int i;

	memset(u, 0, sizeof(*u));
	add_line(u, "root 1.0: a");
	for (i = 1; i <= 60; i++) {
		snprintf(line, sizeof(line), "a %d.0: b==%d.0", i, i);
		add_line(u, line);
		if (i == 1)
			snprintf(line, sizeof(line), "b %d.0:", i);
		else
			snprintf(line, sizeof(line), "b %d.0: c>=%d", i, i);
		add_line(u, line);
	}
}

static void
pathological_hits_limit(void **state)
{
	Uni u;
	PgRequest req;

	(void)state;
	ladder(&u);
	uni_start(&u, 40);
	assert_int_equal(uni_run(&u), PG_LIMIT);
	assert_non_null(strstr(u.why.data, "version solving stopped after 40 steps"));
	assert_null(pg_solution(u.pg, PG_ROOT));
	/* Sticky: asking again says the same. */
	assert_int_equal(pg_solve(u.pg, &req), PG_LIMIT);
	uni_free(&u);
	/* With room, the same universe is solved. */
	ladder(&u);
	uni_start(&u, 0);
	assert_int_equal(uni_run(&u), PG_SOLVED);
	assert_string_equal(pg_solution(u.pg, pg_package(u.pg, "a"))->str, "1.0");
	assert_string_equal(pg_solution(u.pg, pg_package(u.pg, "b"))->str, "1.0");
	uni_free(&u);
}

static void
prefetching_gives_the_same_solution(void **state)
{
	Uni u;
	char *asked, *given;

	(void)state;
	uni_load(&u, partial_satisfier);
	uni_start(&u, 0);
	assert_int_equal(uni_run(&u), PG_SOLVED);
	assert_true(u.asked_candidates > 0 && u.asked_dependencies > 0);
	asked = solution_text(&u);
	uni_free(&u);

	uni_load(&u, partial_satisfier);
	u.prefetch = true;
	uni_start(&u, 0);
	assert_int_equal(uni_run(&u), PG_SOLVED);
	/* Nothing left to ask for. */
	assert_int_equal(u.asked_candidates, 0);
	assert_int_equal(u.asked_dependencies, 0);
	given = solution_text(&u);
	assert_string_equal(asked, given);
	free(asked);
	free(given);
	uni_free(&u);
}

static void
answers_in_another_order(void **state)
{
	/* The driver answers each request only after first giving data nobody asked for
	 * (the dependencies of a version the solver never decides, the candidates of a
	 * package it never needs), and asks pg_solve again between pieces. */
	Uni u;
	PgRequest req;
	PgStatus st;
	char *got;
	PgPkg unused;
	Version v9;

	(void)state;
	uni_load(&u, partial_satisfier);
	uni_start(&u, 0);
	v9 = parse_version(&u.arena, "9.9");
	unused = pg_package(u.pg, "unused");
	{
		const Version *vs[] = {&v9};

		pg_set_candidates(u.pg, unused, vs, 1);
	}
	for (;;) {
		st = pg_solve(u.pg, &req);
		if (st == PG_NEED_CANDIDATES) {
			PgPkg pkg = req.pkg;

			/* Dependencies of shared 1.0.0 before its candidates, when asked
			 * about anything. */
			{
				Version sv = parse_version(&u.arena, "1.0.0");
				Entry *e = find_entry(&u, "shared", &sv);

				give_dependencies(&u, e);
			}
			/* The same request again must be the same request. */
			assert_int_equal(pg_solve(u.pg, &req), PG_NEED_CANDIDATES);
			assert_int_equal(req.pkg, pkg);
			give_candidates(&u, pkg);
		} else if (st == PG_NEED_DEPENDENCIES) {
			Entry *e = find_entry(&u, pg_package_name(u.pg, req.pkg), req.version);
			PgRequest again;

			assert_int_equal(pg_solve(u.pg, &again), PG_NEED_DEPENDENCIES);
			assert_int_equal(again.pkg, req.pkg);
			assert_int_equal(version_cmp(again.version, req.version), 0);
			give_dependencies(&u, e);
		} else {
			break;
		}
	}
	assert_int_equal(st, PG_SOLVED);
	got = solution_text(&u);
	assert_string_equal(got, "foo 1.0.0, target 2.0.0");
	assert_null(pg_solution(u.pg, unused));
	free(got);
	uni_free(&u);
}

static void
statistics_and_names(void **state)
{
	Uni u;
	PgStats st;

	(void)state;
	uni_load(&u, partial_satisfier);
	uni_start(&u, 0);
	assert_int_equal(uni_run(&u), PG_SOLVED);
	pg_stats(u.pg, &st);
	assert_true(st.decisions >= 3);
	assert_true(st.conflicts >= 1);
	assert_true(st.backjumps >= 1);
	assert_true(st.steps >= st.decisions + st.propagations);
	assert_string_equal(pg_package_name(u.pg, PG_ROOT), "your project");
	assert_int_equal(pg_package(u.pg, "foo"), pg_package(u.pg, "foo"));
	/* The root's display name is not a package name. */
	assert_int_not_equal(pg_package(u.pg, "your project"), PG_ROOT);
	assert_string_equal(pg_package_name(u.pg, pg_package(u.pg, "foo")), "foo");
	uni_free(&u);
}

/*
 * Universes of the lock's size: 300 packages of 25 versions, each version depending on
 * up to a few later packages. "Loose" constraints mostly fit (a lock of ordinary
 * projects); "tight" ones are narrow windows at random places, which makes the solver
 * back out of hundreds of conflicts, and throw away enough assignments to compact
 * their memory on the way. Either way every chosen version's dependencies must hold.
 */
enum { NP = 300, NV = 25 };

static struct {
	int pkg;
	Range r;
} big_dep[NP][NV][6];
static int big_ndep[NP][NV];

static void
big_universe(bool tight, uint64_t seed, PgStatus want)
{
	Arena a = {0};
	Version vers[NV];
	Pg *pg;
	PgPkg ids[NP];
	PgRequest req;
	PgStatus st;
	PgDep deps[6];
	int p, v, k, chosen = 0;
	char s[32];

	rng_state = seed;
	for (v = 0; v < NV; v++) {
		snprintf(s, sizeof(s), "%d.%d", 1 + v / 5, v % 5);
		vers[v] = parse_version(&a, s);
	}
	for (p = 0; p < NP; p++)
		for (v = 0; v < NV; v++) {
			big_ndep[p][v] = p + 1 < NP ? (int)rnd(tight ? 6 : 4) : 0;
			for (k = 0; k < big_ndep[p][v]; k++) {
				int q = p + 1 + (int)rnd((uint32_t)(NP - p - 1 < 20 ? NP - p - 1 : 20));
				int lo = (int)rnd(NV);

				big_dep[p][v][k].pkg = q;
				if (tight) {
					int w = 2 + (int)rnd(8), l = lo - (int)rnd((uint32_t)w), h;

					l = l < 0 ? 0 : l;
					h = l + w > NV - 1 ? NV - 1 : l + w;
					if (h == NV - 1)
						snprintf(s, sizeof(s), ">=%s", vers[l].str);
					else
						snprintf(s, sizeof(s), ">=%s,<%s", vers[l].str, vers[h].str);
					big_dep[p][v][k].r = parse_range(&a, s);
					continue;
				}
				/* Older versions of p accept older ranges. */
				snprintf(s, sizeof(s), ">=%s", vers[lo > v ? v : lo].str);
				big_dep[p][v][k].r = parse_range(&a, s);
				if (rnd(3) == 0) {
					snprintf(s, sizeof(s), "<%s", vers[(lo + 3 + (int)rnd(10)) % NV].str);
					big_dep[p][v][k].r = range_intersect(big_dep[p][v][k].r,
									     parse_range(&a, s), &a);
				}
			}
		}
	pg = pg_new("your project", &vers[0], NULL);
	for (p = 0; p < NP; p++) {
		snprintf(s, sizeof(s), "pkg%d", p);
		ids[p] = pg_package(pg, s);
	}
	for (k = 0; k < 6; k++)
		deps[k] = (PgDep){ids[k * 7], range_full()};
	pg_set_dependencies(pg, PG_ROOT, &vers[0], deps, 6);
	while ((st = pg_solve(pg, &req)) == PG_NEED_CANDIDATES || st == PG_NEED_DEPENDENCIES) {
		p = (int)req.pkg - 1;
		if (st == PG_NEED_CANDIDATES) {
			const Version *vs[NV];

			for (v = 0; v < NV; v++)
				vs[v] = &vers[NV - 1 - v];
			pg_set_candidates(pg, req.pkg, vs, NV);
			continue;
		}
		for (v = 0; v < NV && version_cmp(&vers[v], req.version) != 0; v++)
			;
		for (k = 0; k < big_ndep[p][v]; k++)
			deps[k] = (PgDep){ids[big_dep[p][v][k].pkg], big_dep[p][v][k].r};
		pg_set_dependencies(pg, req.pkg, req.version, deps, (size_t)big_ndep[p][v]);
	}
	assert_int_equal(st, want);
	for (p = 0; p < NP && st == PG_SOLVED; p++) {
		const Version *c = pg_solution(pg, ids[p]);

		if (!c)
			continue;
		chosen++;
		for (v = 0; version_cmp(&vers[v], c) != 0; v++)
			;
		for (k = 0; k < big_ndep[p][v]; k++) {
			const Version *d = pg_solution(pg, ids[big_dep[p][v][k].pkg]);

			assert_non_null(d);
			assert_true(range_contains(big_dep[p][v][k].r, d));
		}
	}
	if (getenv("PUBGRUB_STATS")) {
		PgStats stats;

		pg_stats(pg, &stats);
		print_message("%s universe: %d packages chosen; %llu decisions, %llu propagations, "
			      "%llu conflicts, %llu backjumps, %llu steps\n", tight ? "tight" : "loose",
			      chosen, (unsigned long long)stats.decisions,
			      (unsigned long long)stats.propagations, (unsigned long long)stats.conflicts,
			      (unsigned long long)stats.backjumps, (unsigned long long)stats.steps);
	}
	pg_free(pg);
	arena_free(&a);
}

static void
large_universes(void **state)
{
	(void)state;
	big_universe(false, 77, PG_SOLVED);
	big_universe(true, 1002, PG_SOLVED);
}

/* ---- text of ranges ---- */

static void
check_text(const char *spec, const char *want)
{
	Arena a = {0};
	const char *got = pg_range_text(parse_range(&a, spec), &a);

	if (strcmp(got, want) != 0) {
		print_error("range of \"%s\" printed as \"%s\", wanted \"%s\"\n", spec, got, want);
		fail();
	}
	arena_free(&a);
}

static void
range_text(void **state)
{
	Arena a = {0};
	Version v1;

	(void)state;
	check_text("<2", "<2");
	check_text(">1.7", ">1.7");
	check_text(">=1.0,<2.0", ">=1.0,<2.0");
	check_text("<=2", "<=2");
	check_text("==1.5", "==1.5");
	check_text("==2.*", "==2.*");
	check_text("!=1.5", "!=1.5");
	check_text("!=1.5,!=2.*", "!=1.5,!=2.*");
	check_text(">1.7,<2", ">1.7,<2");
	check_text("~=1.4.2", ">=1.4.2,<1.5");
	check_text("<2.0a1", "<2.0a1");
	check_text(">=1.0a1", ">=1.0a1");
	check_text(">1.0.post2", ">=1.0.post3.dev0");
	check_text("", "*");
	check_text(">2,<1", "<none>");
	/* The complement of >1.7 has an upper bound no specifier writes: said as it is. */
	{
		Range r = range_complement(parse_range(&a, ">1.7"), &a);

		assert_string_equal(pg_range_text(r, &a), "<=1.7.post*");
	}
	/* A single point. */
	v1 = parse_version(&a, "1.0");
	assert_string_equal(pg_range_text(range_point(&v1, &a), &a), "==1.0");
	/* Two separate pieces. */
	assert_string_equal(pg_range_text(range_union(parse_range(&a, "<1"), parse_range(&a, ">=2,<3"), &a), &a),
			    "<1 | >=2,<3");
	arena_free(&a);
}

static void
range_text_in_terms_of_candidates(void **state)
{
	/* A conflict whose derived terms only make sense in terms of the candidates. */
	static const char *const u[] = {
		"root 1.0: a; b>=3",
		"a 4.0: b<3",
		"a 3.0: b<3",
		"a 2.0: b<3",
		"a 1.0: b<3",
		"b 3.0:",
		"b 2.0:",
		NULL,
	};
	Uni uni;

	(void)state;
	uni_load(&uni, u);
	uni.prefetch = true;   /* every a depends on b<3: one span for all of them */
	uni_start(&uni, 0);
	assert_int_equal(uni_run(&uni), PG_NO_SOLUTION);
	assert_non_null(strstr(uni.why.data, "every version of a depends on b<3"));
	assert_non_null(strstr(uni.why.data, "your project depends on b>=3"));
	uni_free(&uni);
	/* Known one by one, the span grows from the newest down as each version is
	 * rejected, until it covers them all: the same explanation. */
	uni_load(&uni, u);
	uni_start(&uni, 0);
	assert_int_equal(uni_run(&uni), PG_NO_SOLUTION);
	assert_int_equal(uni.asked_dependencies, 1 + 4);   /* b 3.0, then each a */
	assert_non_null(strstr(uni.why.data, "every version of a depends on b<3"));
	uni_free(&uni);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_conflicts),
		cmocka_unit_test(avoiding_conflict_during_decision_making),
		cmocka_unit_test(performing_conflict_resolution),
		cmocka_unit_test(conflict_resolution_with_partial_satisfier),
		cmocka_unit_test(linear_error_reporting),
		cmocka_unit_test(branching_error_reporting),
		cmocka_unit_test(brief_example),
		cmocka_unit_test(backtracking_several_levels),
		cmocka_unit_test(deeper_backjump),
		cmocka_unit_test(diamond),
		cmocka_unit_test(unavailable_with_reason),
		cmocka_unit_test(unavailable_versions_share_a_sentence),
		cmocka_unit_test(unavailable_root),
		cmocka_unit_test(caller_order_is_respected),
		cmocka_unit_test(no_candidates_at_all),
		cmocka_unit_test(contradictory_requirements),
		cmocka_unit_test(repeated_dependency_intersects),
		cmocka_unit_test(extras_style_packages),
		cmocka_unit_test(random_universes_agree_with_brute_force),
		cmocka_unit_test(pathological_hits_limit),
		cmocka_unit_test(prefetching_gives_the_same_solution),
		cmocka_unit_test(answers_in_another_order),
		cmocka_unit_test(statistics_and_names),
		cmocka_unit_test(large_universes),
		cmocka_unit_test(range_text),
		cmocka_unit_test(range_text_in_terms_of_candidates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
