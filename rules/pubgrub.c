/*
 * pubgrub.c - the PubGrub version solver (pubgrub.h).
 *
 * The state is the one of Dart pub's solver.md:
 *
 *   terms            "a in R" (positive) or "not a in R" (negative); a negative term is
 *                    also true when a is not selected at all.
 *   incompatibilities sets of terms that may not all be true: a dependency
 *                    {a span, not b R}, "no versions" {a R}, "unavailable" {a span},
 *                    the root {not root}, and those derived by conflict resolution, which
 *                    remember their two causes (the derivation graph pg_explain walks).
 *   partial solution the assignments in order: decisions (a == v) and derivations (a
 *                    term with the incompatibility that forced it), each at a decision
 *                    level. Every assignment also stores the intersection of all
 *                    assignments of its package up to it ("acc"), so the current state of
 *                    a package is one lookup and the satisfier search walks only that
 *                    package's own assignments, never the whole solution.
 *
 * The loop (pg_solve): unit propagation from the packages in the "changed" queue, over
 * the incompatibilities that mention them (indexed by package, newest first); a
 * satisfied incompatibility goes to conflict resolution, which finds the satisfier and
 * the previous satisfier, derives prior causes until the satisfier is a decision or
 * alone at its level, records what it learned and backjumps. Then decision making: the
 * undecided package with a positive derivation and the fewest candidates in its allowed
 * range, its first candidate (caller's order) in that range. Dependencies become
 * incompatibilities only when a version is about to be decided; they are widened to the
 * run of neighbouring candidates (in version order) known to have the same dependency,
 * so one conflict can rule out many versions at once, and explanations read
 * "a>=2.0 depends on b<1" rather than listing versions.
 *
 * pg_solve returns when it lacks data (candidates of a package, dependencies of a
 * version). No state is lost: propagation has reached its fixpoint at that point and
 * decision making has changed nothing yet, so calling again redoes the same choice
 * with the new data. Data given early (prefetched) is stored and used when needed.
 *
 * Memory: three arenas. `perm` holds what lives as long as the solver (names, the
 * dependencies given, incompatibilities, which explanations need). `asg` holds the
 * accumulated ranges of assignments; backjumping throws assignments away, so `asg` is
 * copied (live ranges only) into a fresh arena when it has grown well past what is
 * live. `scratch` holds the temporaries of set relations and is freed every few
 * thousand uses; nothing allocated there is ever kept.
 */
#include "config.h"

#include "pubgrub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/err.h"
#include "packaging/specifier.h"

#define NONE UINT32_MAX
#define DEFAULT_MAX_STEPS 1000000
#define SCRATCH_RESET 1024
#define COMPACT_AFTER 4096
#define EXPLAIN_MAX_DEPTH 1000

typedef struct Term {
	PgPkg pkg;
	bool pos;
	Range r;
} Term;

typedef enum IncKind {
	INC_ROOT,          /* {not root==version}: the root must be selected */
	INC_DEP,           /* {a span, not b R} */
	INC_NO_VERSIONS,   /* {a R}: no candidate of a in R */
	INC_UNAVAILABLE,   /* {a span}: these versions cannot be used, for reason */
	INC_DERIVED,       /* from causes c1 (the conflict) and c2 (the satisfier's cause) */
} IncKind;

typedef struct Incompat {
	Term *terms;       /* sorted by package, one term per package */
	uint32_t n;
	IncKind kind;
	uint32_t c1, c2;
	const char *reason;
	uint32_t contra;   /* decision level at which propagation found it contradicted */
} Incompat;

typedef struct Assign {
	Term term;
	Term acc;          /* intersection of this package's assignments up to this one */
	uint32_t level;
	uint32_t cause;    /* NONE: a decision */
	uint32_t prev;     /* the previous assignment of the same package */
} Assign;

typedef enum InfoState { INFO_DEPS, INFO_UNAVAILABLE } InfoState;

/* What is known of one version: its dependencies, or why it cannot be used. */
typedef struct VInfo {
	const Version *v;
	InfoState state;
	PgDep *deps;       /* sorted by package, one per package */
	size_t ndeps;
	const char *reason;
} VInfo;

typedef struct Package {
	const char *name;
	uint32_t last;             /* its last assignment, NONE when it has none */
	const Version *decision;
	bool has_cands, queued;
	const Version **sorted;    /* candidates by version, duplicates removed */
	uint32_t ncands;
	uint32_t *order;           /* the caller's order, as indices into sorted */
	uint32_t *info_of;         /* per sorted candidate: index into infos, or NONE */
	VInfo *infos;
	size_t ninfos, infocap;
	uint32_t *incs;            /* incompatibilities that mention it, oldest first */
	size_t nincs, inccap;
	uint64_t stamp, count_stamp;
	uint32_t count;            /* candidates in range, valid when count_stamp == stamp */
} Package;

struct Pg {
	const char *root_name;
	const Version *root_version;
	uint64_t max_steps;
	Arena perm, asg, scratch;
	size_t scratch_uses, asg_since;
	Package *pkgs;
	size_t npkgs, pkgcap;
	uint32_t *slots;           /* name hash table: package id + 1, 0 when free */
	size_t nslots;
	Incompat *incs;
	size_t nincs, inccap;
	Assign *as;
	size_t nas, ascap;
	uint32_t level;
	uint32_t *queue;
	size_t nqueue, queuecap;
	uint32_t *contra;          /* incompatibilities with a contra level set */
	size_t ncontra, contracap;
	uint64_t stamp;
	bool done;
	PgStatus final;
	uint32_t failure;
	PgStats stats;
};

/* ---- sets and terms ---- */

static void
scratch_point(Pg *pg)
{
	/* Called only where no scratch range is alive. */
	if (++pg->scratch_uses >= SCRATCH_RESET) {
		arena_free(&pg->scratch);
		pg->scratch_uses = 0;
	}
}

static const Version *
point_of(Range r)
{
	if (r.len == 1 && r.iv[0].lo.v && r.iv[0].lo.v == r.iv[0].hi.v && r.iv[0].lo.inclusive &&
	    r.iv[0].hi.inclusive)
		return r.iv[0].lo.v;
	return NULL;
}

static bool
same_range(Range a, Range b)
{
	return (a.iv == b.iv && a.len == b.len) || range_equal(a, b);
}

/* a within b, with the common cases answered without allocating. */
static bool
subset(Pg *pg, Range a, Range b)
{
	const Version *v;

	if (a.len == 0 || range_is_full(b) || (a.iv == b.iv && a.len == b.len))
		return true;
	if ((v = point_of(a)) != NULL)
		return range_contains(b, v);
	if (b.len == 0 || range_is_full(a))
		return false;
	return range_is_empty(range_difference(a, b, &pg->scratch));
}

static bool
disjoint(Pg *pg, Range a, Range b)
{
	const Version *v;

	if (a.len == 0 || b.len == 0)
		return true;
	if ((v = point_of(a)) != NULL)
		return !range_contains(b, v);
	if ((v = point_of(b)) != NULL)
		return !range_contains(a, v);
	if (range_is_full(a) || range_is_full(b))
		return false;
	return range_is_empty(range_intersect(a, b, &pg->scratch));
}

/*
 * Set relations of terms, a negative term including "not selected": S satisfies t when
 * S is within t, contradicts it when they are disjoint.
 */
static bool
term_satisfies(Pg *pg, const Term *s, const Term *t)
{
	if (s->pos)
		return t->pos ? subset(pg, s->r, t->r) : disjoint(pg, s->r, t->r);
	return t->pos ? false : subset(pg, t->r, s->r);
}

static bool
term_contradicts(Pg *pg, const Term *s, const Term *t)
{
	if (s->pos)
		return t->pos ? disjoint(pg, s->r, t->r) : subset(pg, s->r, t->r);
	return t->pos ? subset(pg, t->r, s->r) : false;
}

static Term
term_intersect(Term a, Term b, Arena *arena)
{
	Term t = {a.pkg, true, {0}};

	if (a.pos && b.pos) {
		t.r = range_intersect(a.r, b.r, arena);
	} else if (!a.pos && !b.pos) {
		t.pos = false;
		t.r = range_union(a.r, b.r, arena);
	} else {
		t.r = a.pos ? range_difference(a.r, b.r, arena) : range_difference(b.r, a.r, arena);
	}
	return t;
}

static Term
term_union(Term a, Term b, Arena *arena)
{
	Term t = {a.pkg, false, {0}};

	if (a.pos && b.pos) {
		t.pos = true;
		t.r = range_union(a.r, b.r, arena);
	} else if (!a.pos && !b.pos) {
		t.r = range_intersect(a.r, b.r, arena);
	} else {
		t.r = a.pos ? range_difference(b.r, a.r, arena) : range_difference(a.r, b.r, arena);
	}
	return t;
}

static Range
range_copy(Range r, Arena *arena)
{
	RangeInterval *iv;

	if (r.len == 0 || range_is_full(r))
		return r.len ? range_full() : range_empty();
	iv = arena_alloc(arena, r.len * sizeof(*iv));
	memcpy(iv, r.iv, r.len * sizeof(*iv));
	return (Range){iv, r.len};
}

/* ---- packages and candidates ---- */

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The root is not in the table: root_name only names it in messages. */
static void
rehash(Pg *pg)
{
	size_t n = pg->nslots ? pg->nslots * 2 : 64, i;

	free(pg->slots);
	pg->slots = xcalloc(n, sizeof(*pg->slots));
	pg->nslots = n;
	for (i = 1; i < pg->npkgs; i++) {
		size_t s = name_hash(pg->pkgs[i].name) & (n - 1);

		while (pg->slots[s])
			s = (s + 1) & (n - 1);
		pg->slots[s] = (uint32_t)i + 1;
	}
}

static PgPkg
new_package(Pg *pg, const char *name)
{
	Package *p;

	xgrow(&pg->pkgs, &pg->pkgcap, pg->npkgs + 1, sizeof(*pg->pkgs));
	p = &pg->pkgs[pg->npkgs];
	memset(p, 0, sizeof(*p));
	p->name = arena_strdup(&pg->perm, name);
	p->last = NONE;
	p->stamp = ++pg->stamp;
	return (PgPkg)pg->npkgs++;
}

PgPkg
pg_package(Pg *pg, const char *name)
{
	size_t s;
	PgPkg id;

	if ((pg->npkgs + 1) * 2 > pg->nslots)
		rehash(pg);
	s = name_hash(name) & (pg->nslots - 1);
	for (; pg->slots[s]; s = (s + 1) & (pg->nslots - 1))
		if (strcmp(pg->pkgs[pg->slots[s] - 1].name, name) == 0)
			return pg->slots[s] - 1;
	id = new_package(pg, name);
	pg->slots[s] = (uint32_t)id + 1;
	return id;
}

const char *
pg_package_name(const Pg *pg, PgPkg pkg)
{
	if (pkg == PG_ROOT)
		return pg->root_name;
	return pkg < pg->npkgs ? pg->pkgs[pkg].name : NULL;
}

size_t
pg_package_count(const Pg *pg)
{
	return pg->npkgs;
}

bool
pg_has_candidates(const Pg *pg, PgPkg pkg)
{
	return pkg < pg->npkgs && pg->pkgs[pkg].has_cands;
}

/* The index in p->sorted of a version equal to v, or NONE. */
static uint32_t
find_candidate(const Package *p, const Version *v)
{
	uint32_t lo = 0, hi = p->ncands;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = version_cmp(p->sorted[mid], v);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

/* How many candidates sort before v (with or_equal: up to and including v). */
static uint32_t
count_below(const Package *p, const Version *v, bool or_equal)
{
	uint32_t a = 0, b = p->ncands;

	while (a < b) {
		uint32_t mid = a + (b - a) / 2;
		int c = version_cmp(p->sorted[mid], v);

		if (c < 0 || (c == 0 && or_equal))
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/*
 * The candidates of p in r: how many, and whether they form one run [*first, *end) of
 * the version order.
 */
static uint32_t
candidates_in(const Package *p, Range r, uint32_t *first, uint32_t *end, bool *run)
{
	uint32_t n = 0, runs = 0;
	size_t i;

	*first = *end = 0;
	for (i = 0; i < r.len; i++) {
		const RangeBound *lo = &r.iv[i].lo, *hi = &r.iv[i].hi;
		uint32_t a = lo->v ? count_below(p, lo->v, !lo->inclusive) : 0;
		uint32_t b = hi->v ? count_below(p, hi->v, hi->inclusive) : p->ncands;

		if (b > a) {
			if (runs == 0)
				*first = a;
			else if (a != *end)
				runs++;
			if (runs == 0)
				runs = 1;
			*end = b;
			n += b - a;
		}
	}
	*run = runs == 1;
	return n;
}

static int
cmp_version_ptr(const void *a, const void *b)
{
	return version_cmp(*(const Version *const *)a, *(const Version *const *)b);
}

void
pg_set_candidates(Pg *pg, PgPkg pkg, const Version *const *versions, size_t n)
{
	Package *p;
	const Version **sorted;
	size_t i, m = 0;

	if (pkg >= pg->npkgs || pg->pkgs[pkg].has_cands)
		return;   /* once per package: the first list stands */
	p = &pg->pkgs[pkg];
	sorted = arena_alloc(&pg->perm, (n + 1) * sizeof(*sorted));
	memcpy(sorted, versions, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_version_ptr);
	for (i = 0; i < n; i++)
		if (m == 0 || version_cmp(sorted[m - 1], sorted[i]) != 0)
			sorted[m++] = sorted[i];
	p->sorted = sorted;
	p->ncands = (uint32_t)m;
	p->order = arena_alloc(&pg->perm, (m + 1) * sizeof(*p->order));
	p->info_of = arena_alloc(&pg->perm, (m + 1) * sizeof(*p->info_of));
	for (i = 0; i < m; i++)
		p->info_of[i] = NONE;
	{
		/* The caller's order, each version once (its first place). */
		bool *seen = xcalloc(m + 1, 1);
		uint32_t k = 0;

		for (i = 0; i < n; i++) {
			uint32_t at = find_candidate(p, versions[i]);

			if (at != NONE && !seen[at]) {
				seen[at] = true;
				p->order[k++] = at;
			}
		}
		free(seen);
	}
	for (i = 0; i < p->ninfos; i++) {
		uint32_t at = find_candidate(p, p->infos[i].v);

		if (at != NONE && p->info_of[at] == NONE)
			p->info_of[at] = (uint32_t)i;
	}
	p->has_cands = true;
	p->stamp = ++pg->stamp;
}

static VInfo *
find_info(Package *p, const Version *v)
{
	size_t i;

	if (p->has_cands) {
		uint32_t at = find_candidate(p, v);

		if (at != NONE)
			return p->info_of[at] == NONE ? NULL : &p->infos[p->info_of[at]];
	}
	for (i = 0; i < p->ninfos; i++)
		if (version_cmp(p->infos[i].v, v) == 0)
			return &p->infos[i];
	return NULL;
}

static VInfo *
new_info(Package *p, const Version *v)
{
	VInfo *info;

	xgrow(&p->infos, &p->infocap, p->ninfos + 1, sizeof(*p->infos));
	info = &p->infos[p->ninfos];
	memset(info, 0, sizeof(*info));
	info->v = v;
	if (p->has_cands) {
		uint32_t at = find_candidate(p, v);

		if (at != NONE)
			p->info_of[at] = (uint32_t)p->ninfos;
	}
	p->ninfos++;
	return info;
}

static int
cmp_dep(const void *a, const void *b)
{
	const PgDep *x = a, *y = b;

	return (x->pkg > y->pkg) - (x->pkg < y->pkg);
}

/*
 * Dependencies are stored sorted, one entry per package (ranges of repeated packages
 * intersected), so that comparing the dependencies of neighbouring versions is a
 * binary search.
 */
void
pg_set_dependencies(Pg *pg, PgPkg pkg, const Version *version, const PgDep *deps, size_t n)
{
	Package *p;
	VInfo *info;
	PgDep *all;
	size_t i, m = 0, old = 0;

	if (pkg >= pg->npkgs || !version)
		return;
	p = &pg->pkgs[pkg];
	info = find_info(p, version);
	if (info && info->state == INFO_UNAVAILABLE)
		return;
	if (!info)
		info = new_info(p, version);
	else
		old = info->ndeps;
	/* A second call adds to the first: the ranges of a package met twice intersect. */
	all = arena_alloc(&pg->perm, (old + n + 1) * sizeof(*all));
	if (old)
		memcpy(all, info->deps, old * sizeof(*all));
	for (i = 0; i < n; i++)
		if (deps[i].pkg < pg->npkgs)
			all[old + m++] = deps[i];
	m += old;
	qsort(all, m, sizeof(*all), cmp_dep);
	n = m, m = 0;
	for (i = 0; i < n; i++) {
		if (m > 0 && all[m - 1].pkg == all[i].pkg)
			all[m - 1].range = range_intersect(all[m - 1].range, all[i].range, &pg->perm);
		else
			all[m++] = all[i];
	}
	info->state = INFO_DEPS;
	info->deps = all;
	info->ndeps = m;
}

void
pg_set_unavailable(Pg *pg, PgPkg pkg, const Version *version, const char *reason)
{
	Package *p;
	VInfo *info;

	if (pkg >= pg->npkgs || !version)
		return;
	p = &pg->pkgs[pkg];
	info = find_info(p, version);
	if (!info)
		info = new_info(p, version);
	info->state = INFO_UNAVAILABLE;
	info->deps = NULL;
	info->ndeps = 0;
	info->reason = arena_strdup(&pg->perm, reason ? reason : "cannot be used");
}

/* ---- incompatibilities ---- */

static int
cmp_term(const void *a, const void *b)
{
	const Term *x = a, *y = b;

	return (x->pkg > y->pkg) - (x->pkg < y->pkg);
}

static void
index_incompat(Pg *pg, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < pg->incs[id].n; i++) {
		Package *p = &pg->pkgs[pg->incs[id].terms[i].pkg];

		xgrow(&p->incs, &p->inccap, p->nincs + 1, sizeof(*p->incs));
		p->incs[p->nincs++] = id;
	}
}

/*
 * Add an incompatibility of terms (copied; ranges must already live in perm), with
 * terms of one package intersected. Indexed ones are seen by propagation; the
 * intermediate steps of a conflict resolution are kept for explanations only.
 */
static uint32_t
add_incompat(Pg *pg, Term *terms, uint32_t n, IncKind kind, uint32_t c1, uint32_t c2,
	     const char *reason, bool index)
{
	Incompat *inc;
	Term *t = arena_alloc(&pg->perm, (n + 1) * sizeof(*t));
	uint32_t i, m = 0, id;

	memcpy(t, terms, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_term);
	for (i = 0; i < n; i++) {
		if (m > 0 && t[m - 1].pkg == t[i].pkg)
			t[m - 1] = term_intersect(t[m - 1], t[i], &pg->perm);
		else
			t[m++] = t[i];
	}
	xgrow(&pg->incs, &pg->inccap, pg->nincs + 1, sizeof(*pg->incs));
	id = (uint32_t)pg->nincs++;
	inc = &pg->incs[id];
	inc->terms = t;
	inc->n = m;
	inc->kind = kind;
	inc->c1 = c1;
	inc->c2 = c2;
	inc->reason = reason;
	inc->contra = NONE;
	if (index)
		index_incompat(pg, id);
	return id;
}

static const Term *
term_for(const Incompat *inc, PgPkg pkg)
{
	uint32_t i;

	for (i = 0; i < inc->n; i++)
		if (inc->terms[i].pkg == pkg)
			return &inc->terms[i];
	return NULL;
}

/* ---- the partial solution ---- */

static bool
count_step(Pg *pg)
{
	return ++pg->stats.steps > pg->max_steps;
}

static void
enqueue(Pg *pg, PgPkg pkg)
{
	if (pg->pkgs[pkg].queued)
		return;
	pg->pkgs[pkg].queued = true;
	xgrow(&pg->queue, &pg->queuecap, pg->nqueue + 1, sizeof(*pg->queue));
	pg->queue[pg->nqueue++] = pkg;
}

static void
clear_queue(Pg *pg)
{
	while (pg->nqueue > 0)
		pg->pkgs[pg->queue[--pg->nqueue]].queued = false;
}

static void
assign(Pg *pg, Term term, uint32_t cause)
{
	Package *p = &pg->pkgs[term.pkg];
	Assign *a;

	xgrow(&pg->as, &pg->ascap, pg->nas + 1, sizeof(*pg->as));
	a = &pg->as[pg->nas];
	a->term = term;
	a->acc = p->last == NONE ? term : term_intersect(pg->as[p->last].acc, term, &pg->asg);
	a->level = pg->level;
	a->cause = cause;
	a->prev = p->last;
	p->last = (uint32_t)pg->nas++;
	p->stamp = ++pg->stamp;
	pg->asg_since++;
}

/* Copy the ranges of the live assignments into a fresh arena and drop the old one. */
static void
compact_assignments(Pg *pg)
{
	Arena fresh = {0};
	size_t i;

	for (i = 0; i < pg->nas; i++) {
		Assign *a = &pg->as[i];
		bool shared = a->acc.r.iv == a->term.r.iv;

		if (a->cause == NONE)   /* a decision's point range lives in asg too */
			a->term.r = range_copy(a->term.r, &fresh);
		if (shared)
			a->acc.r = a->term.r;
		else
			a->acc.r = range_copy(a->acc.r, &fresh);
	}
	arena_free(&pg->asg);
	pg->asg = fresh;
	pg->asg_since = 0;
}

static void
backtrack(Pg *pg, uint32_t level)
{
	size_t i, k = 0;

	while (pg->nas > 0 && pg->as[pg->nas - 1].level > level) {
		Assign *a = &pg->as[--pg->nas];
		Package *p = &pg->pkgs[a->term.pkg];

		p->last = a->prev;
		if (a->cause == NONE)
			p->decision = NULL;
		p->stamp = ++pg->stamp;
	}
	pg->level = level;
	for (i = 0; i < pg->ncontra; i++) {
		Incompat *inc = &pg->incs[pg->contra[i]];

		if (inc->contra > level)
			inc->contra = NONE;
		else
			pg->contra[k++] = pg->contra[i];
	}
	pg->ncontra = k;
	pg->stats.backjumps++;
	if (pg->asg_since > COMPACT_AFTER && pg->asg_since > 4 * pg->nas)
		compact_assignments(pg);
}

static void
mark_contradicted(Pg *pg, uint32_t id)
{
	if (pg->incs[id].contra != NONE)
		return;
	pg->incs[id].contra = pg->level;
	xgrow(&pg->contra, &pg->contracap, pg->ncontra + 1, sizeof(*pg->contra));
	pg->contra[pg->ncontra++] = id;
}

enum { REL_SATISFIED, REL_CONTRADICTED, REL_ALMOST, REL_INCONCLUSIVE };

/* The relation of the partial solution to one term. */
static int
term_relation(Pg *pg, const Term *t)
{
	const Package *p = &pg->pkgs[t->pkg];
	const Term *acc;

	if (p->last == NONE)
		return REL_INCONCLUSIVE;
	acc = &pg->as[p->last].acc;
	if (term_satisfies(pg, acc, t))
		return REL_SATISFIED;
	if (term_contradicts(pg, acc, t))
		return REL_CONTRADICTED;
	return REL_INCONCLUSIVE;
}

/* Satisfied, contradicted, almost satisfied (*unsat: the one inconclusive term), or neither. */
static int
incompat_relation(Pg *pg, uint32_t id, uint32_t *unsat)
{
	const Incompat *inc = &pg->incs[id];
	uint32_t i, open = NONE;

	for (i = 0; i < inc->n; i++) {
		int r = term_relation(pg, &inc->terms[i]);

		if (r == REL_CONTRADICTED)
			return REL_CONTRADICTED;
		if (r == REL_INCONCLUSIVE) {
			if (open != NONE)
				return REL_INCONCLUSIVE;
			open = i;
		}
	}
	*unsat = open;
	return open == NONE ? REL_SATISFIED : REL_ALMOST;
}

/* The earliest assignment of t's package from which on the solution satisfies t. */
static uint32_t
earliest_satisfier(Pg *pg, const Term *t)
{
	uint32_t at = NONE, i;

	for (i = pg->pkgs[t->pkg].last; i != NONE; i = pg->as[i].prev) {
		if (!term_satisfies(pg, &pg->as[i].acc, t))
			break;
		at = i;
	}
	return at;
}

static bool
is_terminal(const Pg *pg, const Incompat *inc)
{
	return inc->n == 0 ||
	       (inc->n == 1 && inc->terms[0].pkg == PG_ROOT && inc->terms[0].pos &&
		range_contains(inc->terms[0].r, pg->root_version));
}

/*
 * The prior cause of a conflict: {q, r, t1 u t2} from the conflict {t1, q} and the
 * satisfier's cause {t2, r}, where t1 and t2 are the terms of the satisfier's package.
 */
static uint32_t
prior_cause(Pg *pg, uint32_t conflict, uint32_t cause, PgPkg pkg)
{
	const Incompat *a = &pg->incs[conflict], *b = &pg->incs[cause];
	Term *terms = arena_alloc(&pg->scratch, (a->n + b->n + 1) * sizeof(*terms));
	const Term *t1 = term_for(a, pkg), *t2 = term_for(b, pkg);
	uint32_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if (a->terms[i].pkg != pkg)
			terms[n++] = a->terms[i];
	for (i = 0; i < b->n; i++)
		if (b->terms[i].pkg != pkg)
			terms[n++] = b->terms[i];
	if (t1 && t2) {
		Term u = term_union(*t1, *t2, &pg->scratch);

		/* "not pkg in {}" is true of every solution: leave it out. */
		if (u.pos || u.r.len > 0) {
			u.r = range_copy(u.r, &pg->perm);
			terms[n++] = u;
		}
	} else if (t1 || t2) {
		terms[n++] = t1 ? *t1 : *t2;
	}
	return add_incompat(pg, terms, n, INC_DERIVED, conflict, cause, NULL, false);
}

enum { RESOLVED, FAILED, LIMITED };

/*
 * Conflict resolution: from a satisfied incompatibility, derive prior causes until the
 * satisfier is a decision or the only assignment of its level that matters, learn that
 * incompatibility and backjump to the previous satisfier's level.
 */
static int
resolve_conflict(Pg *pg, uint32_t id, uint32_t *learned)
{
	bool derived = false;

	pg->stats.conflicts++;
	for (;;) {
		const Incompat *inc = &pg->incs[id];
		uint32_t i, sat = NONE, sat_term = 0, prev = NONE, prev_level;
		uint32_t *first;
		const Term *t;
		const Assign *s;

		scratch_point(pg);
		first = arena_alloc(&pg->scratch, (inc->n + 1) * sizeof(*first));
		if (count_step(pg))
			return LIMITED;
		if (is_terminal(pg, inc)) {
			pg->failure = id;
			return FAILED;
		}
		for (i = 0; i < inc->n; i++) {
			first[i] = earliest_satisfier(pg, &inc->terms[i]);
			if (first[i] == NONE)
				first[i] = 0;   /* cannot happen for a satisfied incompatibility */
			if (sat == NONE || first[i] > sat)
				sat = first[i], sat_term = i;
		}
		for (i = 0; i < inc->n; i++)
			if (i != sat_term && (prev == NONE || first[i] > prev))
				prev = first[i];
		s = &pg->as[sat];
		t = &inc->terms[sat_term];
		/* The satisfier may satisfy its term only together with earlier assignments
		 * of the same package: the earliest of those is a previous satisfier too. */
		if (!term_satisfies(pg, &s->term, t)) {
			uint32_t j, at = NONE;

			for (j = s->prev; j != NONE; j = pg->as[j].prev) {
				Term both = term_intersect(pg->as[j].acc, s->term, &pg->scratch);

				if (!term_satisfies(pg, &both, t))
					break;
				at = j;
			}
			if (at != NONE && (prev == NONE || at > prev))
				prev = at;
		}
		prev_level = prev == NONE ? 1 : pg->as[prev].level;
		if (prev_level < 1)
			prev_level = 1;
		if (s->cause == NONE || prev_level != s->level) {
			if (derived)
				index_incompat(pg, id);
			backtrack(pg, prev_level);
			*learned = id;
			return RESOLVED;
		}
		id = prior_cause(pg, id, s->cause, t->pkg);
		derived = true;
	}
}

/* Add "not t" for the one term t of incompatibility id the solution leaves open. */
static int
derive(Pg *pg, uint32_t id, uint32_t unsat)
{
	const Term *t = &pg->incs[id].terms[unsat];
	Term neg = {t->pkg, !t->pos, t->r};

	if (count_step(pg))
		return LIMITED;
	pg->stats.propagations++;
	assign(pg, neg, id);
	mark_contradicted(pg, id);
	enqueue(pg, neg.pkg);
	return RESOLVED;
}

/* Unit propagation from the queued packages. */
static int
propagate(Pg *pg)
{
	while (pg->nqueue > 0) {
		PgPkg pkg = pg->queue[--pg->nqueue];
		size_t k;

		pg->pkgs[pkg].queued = false;
		/* Newest first: learned incompatibilities are the more general ones. */
		for (k = pg->pkgs[pkg].nincs; k-- > 0;) {
			uint32_t id = pg->pkgs[pkg].incs[k], unsat;
			int rel;

			if (pg->incs[id].contra != NONE)
				continue;
			scratch_point(pg);
			rel = incompat_relation(pg, id, &unsat);
			if (rel == REL_CONTRADICTED) {
				mark_contradicted(pg, id);
				continue;
			}
			if (rel == REL_INCONCLUSIVE)
				continue;
			if (rel == REL_SATISFIED) {
				/* After the backjump the learned incompatibility is almost
				 * satisfied: derive from it, and start again from its package
				 * (what was queued belonged to the levels just undone). */
				uint32_t learned, i;
				int r = resolve_conflict(pg, id, &learned);

				if (r != RESOLVED)
					return r;
				clear_queue(pg);
				if (incompat_relation(pg, learned, &unsat) == REL_ALMOST) {
					if (derive(pg, learned, unsat) != RESOLVED)
						return LIMITED;
				} else {
					for (i = 0; i < pg->incs[learned].n; i++)
						enqueue(pg, pg->incs[learned].terms[i].pkg);
				}
				break;
			}
			if (derive(pg, id, unsat) != RESOLVED)
				return LIMITED;
		}
	}
	return RESOLVED;
}

/* ---- decisions ---- */

static bool
same_dep(const VInfo *info, const PgDep *dep)
{
	size_t lo = 0, hi;

	if (!info || info->state != INFO_DEPS)
		return false;
	hi = info->ndeps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (info->deps[mid].pkg == dep->pkg)
			return same_range(info->deps[mid].range, dep->range);
		if (info->deps[mid].pkg < dep->pkg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool
same_unavailable(const VInfo *info, const char *reason)
{
	return info && info->state == INFO_UNAVAILABLE && strcmp(info->reason, reason) == 0;
}

static const VInfo *
info_at(const Package *p, uint32_t k)
{
	return p->info_of[k] == NONE ? NULL : &p->infos[p->info_of[k]];
}

/*
 * The run of candidates around sorted index k that share a fact, as a range from the
 * first of them to the next candidate after the run; open-ended at either end of the
 * candidate list (pub does the same, and it reads as people write requirements).
 */
static Range
span(Pg *pg, const Package *p, uint32_t k, const PgDep *dep, const char *reason)
{
	uint32_t lo = k, hi = k;
	RangeInterval *iv;

#define SAME(j) (dep ? same_dep(info_at(p, j), dep) : same_unavailable(info_at(p, j), reason))
	while (lo > 0 && SAME(lo - 1))
		lo--;
	while (hi + 1 < p->ncands && SAME(hi + 1))
		hi++;
#undef SAME
	if (lo == 0 && hi + 1 == p->ncands)
		return range_full();
	iv = arena_alloc(&pg->perm, sizeof(*iv));
	iv->lo = lo == 0 ? (RangeBound){NULL, false} : (RangeBound){p->sorted[lo], true};
	iv->hi = hi + 1 == p->ncands ? (RangeBound){NULL, false}
				     : (RangeBound){p->sorted[hi + 1], false};
	return (Range){iv, 1};
}

/* An existing dependency incompatibility of pkg on dep covering v, or NONE. */
static uint32_t
find_dep_incompat(Pg *pg, PgPkg pkg, const Version *v, const PgDep *dep)
{
	const Package *p = &pg->pkgs[pkg];
	size_t k;

	for (k = 0; k < p->nincs; k++) {
		const Incompat *inc = &pg->incs[p->incs[k]];
		const Term *a, *b;

		if (inc->kind != INC_DEP || inc->n != 2)
			continue;
		a = term_for(inc, pkg);
		b = term_for(inc, dep->pkg);
		if (a && b && a != b && a->pos && !b->pos && range_contains(a->r, v) &&
		    same_range(b->r, dep->range))
			return p->incs[k];
	}
	return NONE;
}

static uint32_t
dep_incompat(Pg *pg, PgPkg pkg, uint32_t k, const PgDep *dep)
{
	const Package *p = &pg->pkgs[pkg];
	uint32_t id = find_dep_incompat(pg, pkg, p->sorted[k], dep);
	Term t[2];

	if (id != NONE)
		return id;
	if (dep->pkg == pkg) {
		/* A version that needs another version of itself cannot be used. */
		if (range_contains(dep->range, p->sorted[k]))
			return NONE;
		t[0] = (Term){pkg, true, range_point(p->sorted[k], &pg->perm)};
		return add_incompat(pg, t, 1, INC_UNAVAILABLE, NONE, NONE,
				    "depends on another version of itself", true);
	}
	t[0] = (Term){pkg, true, span(pg, p, k, dep, NULL)};
	t[1] = (Term){dep->pkg, false, dep->range};
	return add_incompat(pg, t, 2, INC_DEP, NONE, NONE, NULL, true);
}

/* Whether deciding pkg == v would satisfy incompatibility id outright. */
static bool
would_conflict(Pg *pg, uint32_t id, PgPkg pkg, const Version *v)
{
	const Incompat *inc = &pg->incs[id];
	uint32_t i;

	for (i = 0; i < inc->n; i++) {
		const Term *t = &inc->terms[i];

		if (t->pkg == pkg) {
			if (t->pos != range_contains(t->r, v))
				return false;
		} else if (term_relation(pg, t) != REL_SATISFIED) {
			return false;
		}
	}
	return true;
}

enum { DECIDE_CONTINUE, DECIDE_RETURN, DECIDE_LIMIT };

static int
decide(Pg *pg, PgRequest *req, PgStatus *status)
{
	PgPkg best = NONE, id;
	uint32_t best_count = 0, i, k = NONE;
	Package *p;
	const Term *acc;
	const VInfo *info;
	bool conflict = false;

	for (id = 0; id < pg->npkgs; id++) {
		uint32_t first, end;
		bool run;

		p = &pg->pkgs[id];
		if (p->decision || p->last == NONE || !pg->as[p->last].acc.pos)
			continue;
		if (!p->has_cands) {
			req->pkg = id;
			req->version = NULL;
			*status = PG_NEED_CANDIDATES;
			return DECIDE_RETURN;
		}
		if (p->count_stamp != p->stamp) {
			p->count = candidates_in(p, pg->as[p->last].acc.r, &first, &end, &run);
			p->count_stamp = p->stamp;
		}
		if (best == NONE || p->count < best_count)
			best = id, best_count = p->count;
	}
	if (best == NONE) {
		*status = PG_SOLVED;
		pg->done = true;
		pg->final = PG_SOLVED;
		return DECIDE_RETURN;
	}
	p = &pg->pkgs[best];
	acc = &pg->as[p->last].acc;
	if (best_count == 0) {
		Term t = {best, true, range_copy(acc->r, &pg->perm)};

		if (count_step(pg))
			return DECIDE_LIMIT;
		add_incompat(pg, &t, 1, INC_NO_VERSIONS, NONE, NONE, NULL, true);
		enqueue(pg, best);
		return DECIDE_CONTINUE;
	}
	for (i = 0; i < p->ncands; i++) {
		if (range_contains(acc->r, p->sorted[p->order[i]])) {
			k = p->order[i];
			break;
		}
	}
	if (k == NONE)   /* the count said otherwise; cannot happen */
		k = p->order[0];
	info = info_at(p, k);
	if (!info) {
		req->pkg = best;
		req->version = p->sorted[k];
		*status = PG_NEED_DEPENDENCIES;
		return DECIDE_RETURN;
	}
	if (count_step(pg))
		return DECIDE_LIMIT;
	if (info->state == INFO_UNAVAILABLE) {
		Term t = {best, true, span(pg, p, k, NULL, info->reason)};

		add_incompat(pg, &t, 1, INC_UNAVAILABLE, NONE, NONE, info->reason, true);
		enqueue(pg, best);
		return DECIDE_CONTINUE;
	}
	for (i = 0; i < info->ndeps; i++) {
		uint32_t dep = dep_incompat(pg, best, k, &info->deps[i]);

		scratch_point(pg);
		if (dep != NONE && would_conflict(pg, dep, best, p->sorted[k]))
			conflict = true;
	}
	if (!conflict) {
		Term t = {best, true, range_point(p->sorted[k], &pg->asg)};

		pg->level++;
		pg->stats.decisions++;
		assign(pg, t, NONE);
		p->decision = p->sorted[k];
	}
	enqueue(pg, best);
	return DECIDE_CONTINUE;
}

/* ---- the API ---- */

Pg *
pg_new(const char *root_name, const Version *root_version, const PgLimits *limits)
{
	Pg *pg = xcalloc(1, sizeof(*pg));
	Term t;

	pg->root_name = root_name ? root_name : "the root";
	pg->root_version = root_version;
	pg->max_steps = limits && limits->max_steps ? limits->max_steps : DEFAULT_MAX_STEPS;
	pg->failure = NONE;
	new_package(pg, pg->root_name);
	pg_set_candidates(pg, PG_ROOT, &root_version, 1);
	t = (Term){PG_ROOT, false, range_point(root_version, &pg->perm)};
	add_incompat(pg, &t, 1, INC_ROOT, NONE, NONE, NULL, true);
	enqueue(pg, PG_ROOT);
	return pg;
}

void
pg_free(Pg *pg)
{
	size_t i;

	if (!pg)
		return;
	for (i = 0; i < pg->npkgs; i++) {
		free(pg->pkgs[i].infos);
		free(pg->pkgs[i].incs);
	}
	free(pg->pkgs);
	free(pg->slots);
	free(pg->incs);
	free(pg->as);
	free(pg->queue);
	free(pg->contra);
	arena_free(&pg->perm);
	arena_free(&pg->asg);
	arena_free(&pg->scratch);
	free(pg);
}

PgStatus
pg_solve(Pg *pg, PgRequest *req)
{
	PgStatus status = PG_SOLVED;

	req->pkg = PG_ROOT;
	req->version = NULL;
	if (pg->done)
		return pg->final;
	for (;;) {
		int r = propagate(pg);

		if (r == RESOLVED) {
			int d = decide(pg, req, &status);

			if (d == DECIDE_RETURN)
				return status;
			if (d == DECIDE_LIMIT)
				r = LIMITED;
		}
		if (r == FAILED || r == LIMITED) {
			pg->done = true;
			pg->final = r == FAILED ? PG_NO_SOLUTION : PG_LIMIT;
			return pg->final;
		}
	}
}

const Version *
pg_solution(const Pg *pg, PgPkg pkg)
{
	if (!pg->done || pg->final != PG_SOLVED || pkg >= pg->npkgs)
		return NULL;
	return pg->pkgs[pkg].decision;
}

void
pg_stats(const Pg *pg, PgStats *out)
{
	*out = pg->stats;
}

/* ---- explanations ---- */

static bool
bound_same(RangeBound a, RangeBound b)
{
	if (!a.v || !b.v)
		return a.v == b.v;
	return a.inclusive == b.inclusive && version_cmp(a.v, b.v) == 0;
}

/* The one interval a specifier stands for, when text parses to one. */
static bool
spec_interval(const char *text, Arena *arena, RangeInterval *out)
{
	/* In the arena: the range's bounds may point at the specifier's version. */
	Specifier *sp = arena_alloc(arena, sizeof(*sp));
	Range r;

	if (specifier_parse(text, strlen(text), arena, sp, NULL) != 0 ||
	    range_from_specifier(sp, arena, &r, NULL) != 0 || r.len != 1)
		return false;
	*out = r.iv[0];
	return true;
}

/* s without suffix, or NULL when s does not end with it (or is nothing else). */
static char *
without_suffix(const char *s, const char *suffix, Arena *arena)
{
	size_t n = strlen(s), k = strlen(suffix);

	if (n <= k || strcmp(s + n - k, suffix) != 0)
		return NULL;
	return arena_strndup(arena, s, n - k);
}

/*
 * Bounds as people write them. range.c stores ">1.7" as starting after the synthetic
 * "1.7.post*", "<2" as ending before 2.dev0 and "<=2" before 2.post0.dev0; each
 * spelling is kept only if parsing it back gives exactly the same bound.
 */
static const char *
lo_text(RangeBound lo, Arena *arena)
{
	char *base, *s;
	RangeInterval iv;

	if (lo.v->synthetic && (base = without_suffix(lo.v->str, ".post*", arena)) != NULL) {
		s = arena_printf(arena, ">%s", base);
		if (spec_interval(s, arena, &iv) && bound_same(iv.lo, lo))
			return s;
	}
	return arena_printf(arena, "%s%s", lo.inclusive ? ">=" : ">", lo.v->str);
}

static const char *
hi_text(RangeBound hi, Arena *arena)
{
	static const char *const suffix[] = {".post0.dev0", ".dev0"};
	static const char *const op[] = {"<=", "<"};
	char *base, *s;
	RangeInterval iv;
	size_t i;

	for (i = 0; i < 2 && !hi.inclusive; i++) {
		if ((base = without_suffix(hi.v->str, suffix[i], arena)) == NULL)
			continue;
		s = arena_printf(arena, "%s%s", op[i], base);
		if (spec_interval(s, arena, &iv) && bound_same(iv.hi, hi))
			return s;
	}
	return arena_printf(arena, "%s%s", hi.inclusive ? "<=" : "<", hi.v->str);
}

static const char *
interval_text(const RangeInterval *iv, Arena *arena)
{
	RangeInterval back;
	char *s, *base;

	if (!iv->lo.v && !iv->hi.v)
		return "*";
	if (iv->lo.v && iv->lo.v == iv->hi.v && iv->lo.inclusive && iv->hi.inclusive)
		return arena_printf(arena, "==%s", iv->lo.v->str);
	if (iv->lo.v && iv->hi.v) {
		s = arena_printf(arena, "==%s", iv->lo.v->str);
		if (spec_interval(s, arena, &back) && bound_same(back.lo, iv->lo) &&
		    bound_same(back.hi, iv->hi))
			return s;
		if ((base = without_suffix(iv->lo.v->str, ".dev0", arena)) != NULL) {
			s = arena_printf(arena, "==%s.*", base);
			if (spec_interval(s, arena, &back) && bound_same(back.lo, iv->lo) &&
			    bound_same(back.hi, iv->hi))
				return s;
		}
		return arena_printf(arena, "%s,%s", lo_text(iv->lo, arena), hi_text(iv->hi, arena));
	}
	return iv->lo.v ? lo_text(iv->lo, arena) : hi_text(iv->hi, arena);
}

char *
pg_range_text(Range r, Arena *arena)
{
	char *s = "";
	size_t i;

	if (r.len == 0)
		return "<none>";
	if (range_is_full(r))
		return "*";
	/* Everything but a few holes: "!=1.5,!=2.0.*", when each hole has an "==" name. */
	if (r.len >= 2 && !r.iv[0].lo.v && !r.iv[r.len - 1].hi.v) {
		Range holes = range_complement(r, arena);

		for (i = 0; i < holes.len; i++) {
			const char *h = interval_text(&holes.iv[i], arena);

			if (strncmp(h, "==", 2) != 0)
				break;
			s = arena_printf(arena, "%s%s!=%s", s, i ? "," : "", h + 2);
		}
		if (i == holes.len)
			return s;
		s = "";
	}
	for (i = 0; i < r.len; i++)
		s = arena_printf(arena, "%s%s%s", s, i ? " | " : "", interval_text(&r.iv[i], arena));
	return s;
}

/*
 * The versions of pkg in r as short text: in the candidates' own terms when that is
 * shorter ("==1.0" for the one candidate in range, ">=2.0" for a run up to the newest
 * one), "" when r holds every candidate.
 */
static const char *
versions_text(const Pg *pg, PgPkg pkg, Range r, Arena *arena)
{
	const Package *p = &pg->pkgs[pkg];
	const char *plain, *c = NULL;
	uint32_t first, end, n;
	bool run;

	if (pkg == PG_ROOT || range_is_full(r))
		return "";
	plain = pg_range_text(r, arena);
	if (!p->has_cands || p->ncands == 0)
		return plain;
	n = candidates_in(p, r, &first, &end, &run);
	if (n == p->ncands)
		return "";
	if (n == 1)
		c = arena_printf(arena, "==%s", p->sorted[first]->str);
	else if (n > 1 && run && end == p->ncands)
		c = arena_printf(arena, ">=%s", p->sorted[first]->str);
	else if (n > 1 && run && first == 0)
		c = arena_printf(arena, "<%s", p->sorted[end]->str);
	else if (n > 1 && run)
		c = arena_printf(arena, ">=%s,<%s", p->sorted[first]->str, p->sorted[end]->str);
	/* One candidate reads best as itself unless the range is said more briefly. */
	if (n == 1)
		return strlen(plain) < strlen(c) ? plain : c;
	return c && strlen(c) < strlen(plain) ? c : plain;
}

/* "a>=2.0"; "every version of a" as the subject of a sentence; the root by its name. */
static const char *
term_text(const Pg *pg, const Term *t, bool subject, Arena *arena)
{
	const char *v;

	if (t->pkg == PG_ROOT)
		return pg->root_name;
	if (t->r.len == 0)   /* requirements that contradict each other */
		return arena_printf(arena, "%s (an empty range)", pg->pkgs[t->pkg].name);
	v = versions_text(pg, t->pkg, t->r, arena);
	if (*v)
		return arena_printf(arena, "%s%s", pg->pkgs[t->pkg].name, v);
	return subject ? arena_printf(arena, "every version of %s", pg->pkgs[t->pkg].name)
		       : pg->pkgs[t->pkg].name;
}

static const char *
join_terms(const Pg *pg, const Term *const *t, size_t n, const char *last_sep, bool subject,
	   Arena *arena)
{
	const char *s = "";
	size_t i;

	for (i = 0; i < n; i++)
		s = arena_printf(arena, "%s%s%s", s, i == 0 ? "" : i + 1 == n ? last_sep : ", ",
				 term_text(pg, t[i], subject && i == 0, arena));
	return s;
}

/* What an incompatibility says, as a clause: "a>=2.0 depends on b<1". */
static const char *
describe(const Pg *pg, uint32_t id, Arena *arena)
{
	const Incompat *inc = &pg->incs[id];
	const Term **pos = arena_alloc(arena, (inc->n + 1) * sizeof(*pos));
	const Term **neg = arena_alloc(arena, (inc->n + 1) * sizeof(*neg));
	const Package *p;
	size_t np = 0, nn = 0, i;
	bool root = false;

	if (inc->kind == INC_DERIVED && is_terminal(pg, inc))
		return "version solving failed";
	for (i = 0; i < inc->n; i++) {
		const Term *t = &inc->terms[i];

		if (t->pkg == PG_ROOT && t->pos)
			root = true;   /* always true: said only when nothing else is */
		else if (t->pos)
			pos[np++] = t;
		else
			neg[nn++] = t;
	}
	switch (inc->kind) {
	case INC_ROOT:
		return arena_printf(arena, "%s is being resolved", pg->root_name);
	case INC_NO_VERSIONS:
		p = &pg->pkgs[inc->terms[0].pkg];
		if (p->ncands == 0)
			return arena_printf(arena, "there are no versions of %s", p->name);
		if (inc->terms[0].r.len == 0)
			return arena_printf(arena, "no version of %s is allowed", p->name);
		return arena_printf(arena, "no versions of %s match %s", p->name,
				    pg_range_text(inc->terms[0].r, arena));
	case INC_UNAVAILABLE:
		return arena_printf(arena, "%s %s", term_text(pg, &inc->terms[0], true, arena),
				    inc->reason);
	case INC_DEP:
	case INC_DERIVED:
		break;
	}
	if (np == 0 && nn == 0)
		return "version solving failed";
	if (nn == 0) {
		if (np == 1 && versions_text(pg, pos[0]->pkg, pos[0]->r, arena)[0] == '\0')
			return arena_printf(arena, "no version of %s can be used",
					    pg->pkgs[pos[0]->pkg].name);
		if (np == 1)
			return arena_printf(arena, "%s cannot be used",
					    term_text(pg, pos[0], true, arena));
		return arena_printf(arena, "%s are incompatible",
				    join_terms(pg, pos, np, " and ", false, arena));
	}
	if (np == 0 && !root)
		return arena_printf(arena, "%s %s required", join_terms(pg, neg, nn, " or ", false, arena),
				    nn == 1 ? "is" : "(one of them) is");
	if (np == 0)
		return arena_printf(arena, "%s depends on %s", pg->root_name,
				    join_terms(pg, neg, nn, " or ", false, arena));
	return arena_printf(arena, "%s %s on %s", join_terms(pg, pos, np, " and ", true, arena),
			    np == 1 ? "depends" : "together depend",
			    join_terms(pg, neg, nn, " or ", false, arena));
}

/* The positive term of a dependency (the depender), or NULL. */
static const Term *
depender(const Incompat *inc)
{
	if (inc->kind != INC_DEP || inc->n != 2)
		return NULL;
	return inc->terms[0].pos ? &inc->terms[0] : &inc->terms[1];
}

/* The other term of a dependency: what it depends on. */
static const Term *
dependency(const Incompat *inc)
{
	const Term *d = depender(inc);

	return d ? (d == &inc->terms[0] ? &inc->terms[1] : &inc->terms[0]) : NULL;
}

/*
 * "x and y", in the order that reads best: a chain of dependencies in its own order
 * ("a depends on b and b depends on c"), the project's own requirement last; two
 * dependencies of the same versions read "a depends on both b and c".
 */
static const char *
two_facts(const Pg *pg, uint32_t x, uint32_t y, Arena *arena)
{
	const Term *dx = depender(&pg->incs[x]), *dy = depender(&pg->incs[y]);

	bool root_x = dx && dx->pkg == PG_ROOT, root_y = dy && dy->pkg == PG_ROOT;

	if ((root_x && !root_y) ||
	    (dx && dy && !root_x && !root_y && dx->pkg != dy->pkg &&
	     dependency(&pg->incs[y])->pkg == dx->pkg)) {
		uint32_t t = x;
		const Term *tt = dx;

		x = y, y = t;
		dx = dy, dy = tt;
	}

	if (dx && dy && dx->pkg == dy->pkg && range_equal(dx->r, dy->r)) {
		const Term *nx = dependency(&pg->incs[x]), *ny = dependency(&pg->incs[y]);

		return arena_printf(arena, "%s depends on both %s and %s", term_text(pg, dx, true, arena),
				    term_text(pg, nx, false, arena), term_text(pg, ny, false, arena));
	}
	return arena_printf(arena, "%s and %s", describe(pg, x, arena), describe(pg, y, arena));
}

typedef struct Report {
	const Pg *pg;
	Buf *out;
	Arena *arena;
	uint32_t *refs;       /* per incompatibility: how many derived ones it causes */
	uint32_t *line;       /* its line number, 0 when it has none */
	uint32_t next_line;
	size_t last_start;    /* where the last line written starts in out */
	bool cut;
} Report;

static bool
is_derived(const Pg *pg, uint32_t id)
{
	return pg->incs[id].kind == INC_DERIVED;
}

static void
emit(Report *r, uint32_t id, const char *text)
{
	r->last_start = r->out->len;
	if (r->refs[id] > 1 && !r->line[id]) {
		r->line[id] = ++r->next_line;
		buf_printf(r->out, "(%u) ", r->line[id]);
	}
	buf_puts(r->out, text);
	buf_putc(r->out, '\n');
}

/* Give the line just written (which concluded id) a number, if it has none. */
static void
number_last(Report *r, uint32_t id)
{
	char tag[32];
	size_t n;

	if (r->line[id])
		return;
	r->line[id] = ++r->next_line;
	n = (size_t)snprintf(tag, sizeof(tag), "(%u) ", r->line[id]);
	buf_reserve(r->out, n);
	memmove(r->out->data + r->last_start + n, r->out->data + r->last_start,
		r->out->len - r->last_start + 1);
	memcpy(r->out->data + r->last_start, tag, n);
	r->out->len += n;
}

/* Both causes of id are external. */
static bool
is_simple(const Pg *pg, uint32_t id)
{
	return is_derived(pg, id) && !is_derived(pg, pg->incs[id].c1) &&
	       !is_derived(pg, pg->incs[id].c2);
}

/*
 * Error reporting as in pub's solver.md: each derived incompatibility becomes one
 * sentence saying why it holds; a chain reads as "Because ..., ... And because ...";
 * derivations used more than once get a line number to refer back to.
 */
static void
report(Report *r, uint32_t id, unsigned depth)
{
	const Pg *pg = r->pg;
	const Incompat *inc = &pg->incs[id];
	uint32_t c1 = inc->c1, c2 = inc->c2;
	Arena *a = r->arena;
	const char *me = describe(pg, id, a);

	if (depth > EXPLAIN_MAX_DEPTH) {
		if (!r->cut)
			buf_puts(r->out, "(the first steps of this derivation are left out)\n");
		r->cut = true;
		return;
	}
	if (is_derived(pg, c1) && is_derived(pg, c2)) {
		uint32_t l1 = r->line[c1], l2 = r->line[c2];

		if (l1 && l2) {
			emit(r, id, arena_printf(a, "Because %s (%u) and %s (%u), %s.", describe(pg, c1, a),
						 l1, describe(pg, c2, a), l2, me));
		} else if (l1 || l2) {
			uint32_t numbered = l1 ? c1 : c2;

			report(r, l1 ? c2 : c1, depth + 1);
			emit(r, id, arena_printf(a, "And because %s (%u), %s.", describe(pg, numbered, a),
						 r->line[numbered], me));
		} else if (is_simple(pg, c1) || is_simple(pg, c2)) {
			uint32_t simple = is_simple(pg, c2) ? c2 : c1;

			report(r, simple == c1 ? c2 : c1, depth + 1);
			report(r, simple, depth + 1);
			emit(r, id, arena_printf(a, "Thus, %s.", me));
		} else {
			report(r, c1, depth + 1);
			number_last(r, c1);
			buf_putc(r->out, '\n');
			report(r, c2, depth + 1);
			emit(r, id, arena_printf(a, "And because %s (%u), %s.", describe(pg, c1, a),
						 r->line[c1], me));
		}
	} else if (is_derived(pg, c1) || is_derived(pg, c2)) {
		uint32_t derived = is_derived(pg, c1) ? c1 : c2, ext = derived == c1 ? c2 : c1;
		const Incompat *d = &pg->incs[derived];

		if (r->line[derived]) {
			emit(r, id, arena_printf(a, "Because %s and %s (%u), %s.", describe(pg, ext, a),
						 describe(pg, derived, a), r->line[derived], me));
		} else if (r->refs[derived] <= 1 && is_derived(pg, d->c1) != is_derived(pg, d->c2) &&
			   !r->line[is_derived(pg, d->c1) ? d->c1 : d->c2]) {
			/* Fold the derived cause's own sentence into this one. */
			uint32_t prior = is_derived(pg, d->c1) ? d->c1 : d->c2;
			uint32_t prior_ext = prior == d->c1 ? d->c2 : d->c1;

			report(r, prior, depth + 1);
			emit(r, id, arena_printf(a, "And because %s, %s.",
						 two_facts(pg, prior_ext, ext, a), me));
		} else {
			report(r, derived, depth + 1);
			emit(r, id, arena_printf(a, "And because %s, %s.", describe(pg, ext, a), me));
		}
	} else {
		emit(r, id, arena_printf(a, "Because %s, %s.", two_facts(pg, c1, c2, a), me));
	}
}

void
pg_explain(const Pg *pg, Buf *out)
{
	Arena arena = {0};
	Report r;
	uint32_t *stack;
	size_t n = 0;

	if (!pg->done)
		return;
	if (pg->final == PG_LIMIT) {
		buf_printf(out, "version solving stopped after %llu steps, the limit set for it\n",
			   (unsigned long long)pg->max_steps);
		return;
	}
	if (pg->final != PG_NO_SOLUTION || pg->failure == NONE)
		return;
	if (!is_derived(pg, pg->failure)) {
		buf_printf(out, "Because %s, version solving failed.\n",
			   describe(pg, pg->failure, &arena));
		arena_free(&arena);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.pg = pg;
	r.out = out;
	r.arena = &arena;
	r.refs = xcalloc(pg->nincs, sizeof(*r.refs));
	r.line = xcalloc(pg->nincs, sizeof(*r.line));
	/* Count how often each incompatibility is used, without recursion: derivation
	 * chains can be long. */
	stack = xmalloc((pg->nincs + 1) * sizeof(*stack));
	stack[n++] = pg->failure;
	while (n > 0) {
		const Incompat *inc = &pg->incs[stack[--n]];

		if (inc->kind != INC_DERIVED)
			continue;
		if (r.refs[inc->c1]++ == 0)
			stack[n++] = inc->c1;
		if (r.refs[inc->c2]++ == 0)
			stack[n++] = inc->c2;
	}
	free(stack);
	report(&r, pg->failure, 0);
	free(r.refs);
	free(r.line);
	arena_free(&arena);
}
