/*
 * range.c - version sets as unions of intervals (range.h).
 *
 * Each specifier clause is one interval, or the complement of one (!=); a set is their
 * intersection. The intervals are those of packaging >= 26.1:
 *
 *   ==V      [V, V')            V' = the first version after V and all of V+local
 *   ==V+l    [V+l, V+l]
 *   ==P.*    [P.dev0, P+1.dev0) P+1 = P with its last release number incremented
 *   <=V      (-inf, V')
 *   >=V      [V, inf)
 *   <V       (-inf, V)          when V is a pre-release, else (-inf, V.dev0)
 *   >V       [V.dev(N+1), inf)  when V is V.devN; [V.post(N+1).dev0, inf) when V is
 *                               V.postN; else (V.post*, inf), after every V.postN
 *   ~=V      [V, P+1.dev0)      P = V's release without its last number
 *
 * Versions are dense almost everywhere (between 1.0 and 1.0.0.1 lie 1.0.0.0.1, ...),
 * but not quite: nothing lies between "1.0a1 and all its post-releases" and 1.0a2.dev0,
 * and nothing before 0.dev0. Bounds are normalized so that these gaps show as empty
 * intervals (">1.0a1,<1.0a2.dev0" is empty): a bound at X.post* where X has a
 * pre-release part becomes the bound at X's next pre-release's dev0. Gaps between local
 * labels (1.0+a and 1.0+a.a) are not modelled; no specifier can name one.
 */
#include "config.h"

#include "range.h"

#include <string.h>

Range
range_empty(void)
{
	return (Range){NULL, 0};
}

Range
range_full(void)
{
	static const RangeInterval all = {{NULL, false}, {NULL, false}};

	return (Range){&all, 1};
}

static bool is_min_version(const Version *v);

/* A lower bound at 0.dev0, inclusive, is no bound: keeps equal ranges equal in form. */
static RangeBound
norm_lo(RangeBound lo)
{
	if (lo.v && lo.inclusive && is_min_version(lo.v))
		return (RangeBound){NULL, false};
	return lo;
}

static Range
one(RangeBound lo, RangeBound hi, Arena *arena)
{
	RangeInterval *iv = arena_alloc(arena, sizeof(*iv));

	iv->lo = norm_lo(lo);
	iv->hi = hi;
	return (Range){iv, 1};
}

Range
range_point(const Version *v, Arena *arena)
{
	return one((RangeBound){v, true}, (RangeBound){v, true}, arena);
}

static Version *
copy(const Version *v, Arena *arena)
{
	Version *c = arena_alloc(arena, sizeof(*c));

	*c = *v;
	c->local = NULL;
	c->local_len = 0;
	return c;
}

static Version *
finish(Version *v, Arena *arena)
{
	version_format(v, arena);
	return v;
}

static VersionNum
zero(void)
{
	return (VersionNum){"0", 1};
}

/* The first version after v and all of v+local. */
static const Version *
after_locals(const Version *v, Arena *arena)
{
	Version *s = copy(v, arena);

	if (v->has_dev) {
		s->dev = versionnum_succ(v->dev, arena);
	} else if (v->has_post) {
		s->post = versionnum_succ(v->post, arena);
		s->has_dev = true, s->dev = zero();
	} else {
		s->has_post = true, s->post = zero();
		s->has_dev = true, s->dev = zero();
	}
	return finish(s, arena);
}

/* The release (epoch kept) of its first n numbers, as X.dev0; with bump, the last +1. */
static const Version *
release_dev0(const Version *v, uint32_t n, bool bump, Arena *arena)
{
	Version *s = copy(v, arena);
	VersionNum *rel = arena_alloc(arena, n * sizeof(*rel));

	memcpy(rel, v->release, n * sizeof(*rel));
	if (bump)
		rel[n - 1] = versionnum_succ(rel[n - 1], arena);
	s->release = rel;
	s->release_len = n;
	for (s->release_sig = n; s->release_sig > 0; s->release_sig--)
		if (!(rel[s->release_sig - 1].len == 1 && rel[s->release_sig - 1].digits[0] == '0'))
			break;
	s->pre_kind = VERSION_PRE_NONE;
	s->has_post = false;
	s->has_dev = true, s->dev = zero();
	return finish(s, arena);
}

/* A bound at "X.post*": after X and all its post and local versions. */
static RangeBound
after_posts(const Version *v, bool lower, Arena *arena)
{
	Version *s = copy(v, arena);

	s->has_post = s->has_dev = false;
	if (v->pre_kind != VERSION_PRE_NONE) {
		/* Nothing lies between X's post-releases and the next pre-release's dev0. */
		s->pre = versionnum_succ(v->pre, arena);
		s->has_dev = true, s->dev = zero();
		return (RangeBound){finish(s, arena), lower};
	}
	s->synthetic = VERSION_POST_MAX;
	return (RangeBound){finish(s, arena), false};
}

static const RangeBound unbounded = {NULL, false};

static int
positive_interval(const Specifier *sp, Arena *arena, RangeBound *lo, RangeBound *hi)
{
	const Version *v = &sp->version;
	Version *s;

	*lo = *hi = unbounded;
	switch (sp->op) {
	case SPEC_EQ:
	case SPEC_NE:
		if (sp->wildcard) {
			*lo = (RangeBound){release_dev0(v, v->release_len, false, arena), true};
			*hi = (RangeBound){release_dev0(v, v->release_len, true, arena), false};
		} else if (v->local_len) {
			*lo = *hi = (RangeBound){v, true};
		} else {
			*lo = (RangeBound){v, true};
			*hi = (RangeBound){after_locals(v, arena), false};
		}
		return 0;
	case SPEC_LE:
		*hi = (RangeBound){after_locals(v, arena), false};
		return 0;
	case SPEC_GE:
		*lo = (RangeBound){v, true};
		return 0;
	case SPEC_LT:
		if (version_is_prerelease(v)) {
			*hi = (RangeBound){v, false};
		} else {
			s = copy(v, arena);
			s->has_dev = true, s->dev = zero();
			*hi = (RangeBound){finish(s, arena), false};
		}
		return 0;
	case SPEC_GT:
		if (v->has_dev) {
			s = copy(v, arena);
			s->dev = versionnum_succ(v->dev, arena);
			*lo = (RangeBound){finish(s, arena), true};
		} else if (v->has_post) {
			s = copy(v, arena);
			s->post = versionnum_succ(v->post, arena);
			s->has_dev = true, s->dev = zero();
			*lo = (RangeBound){finish(s, arena), true};
		} else {
			*lo = after_posts(v, true, arena);
		}
		return 0;
	case SPEC_COMPATIBLE:
		*lo = (RangeBound){v, true};
		*hi = (RangeBound){release_dev0(v, v->release_len - 1, true, arena), false};
		return 0;
	case SPEC_ARBITRARY:
		break;
	}
	return -1;
}

/* 0.dev0 (any spelling: 0.0.dev0, 0!0.dev0) sorts before every other version. */
static bool
is_min_version(const Version *v)
{
	return v->epoch.len == 1 && v->epoch.digits[0] == '0' && v->release_sig == 0 &&
	       v->pre_kind == VERSION_PRE_NONE && !v->has_post && v->has_dev &&
	       v->dev.len == 1 && v->dev.digits[0] == '0' && v->local_len == 0 && !v->synthetic;
}

static bool
nonempty(RangeBound lo, RangeBound hi)
{
	int c;

	if (hi.v && !hi.inclusive && is_min_version(hi.v))
		return false;
	if (!lo.v || !hi.v)
		return true;
	c = version_cmp(lo.v, hi.v);
	return c < 0 || (c == 0 && lo.inclusive && hi.inclusive);
}

/* Order of lower bounds: -inf first; at the same version inclusive starts first. */
static int
cmp_lo(RangeBound a, RangeBound b)
{
	int c;

	if (!a.v || !b.v)
		return (a.v != NULL) - (b.v != NULL);
	if ((c = version_cmp(a.v, b.v)) != 0)
		return c;
	return (!a.inclusive) - (!b.inclusive);
}

/* Order of upper bounds: +inf last; at the same version exclusive ends first. */
static int
cmp_hi(RangeBound a, RangeBound b)
{
	int c;

	if (!a.v || !b.v)
		return (a.v == NULL) - (b.v == NULL);
	if ((c = version_cmp(a.v, b.v)) != 0)
		return c;
	return a.inclusive - b.inclusive;
}

/* Whether an interval ending at hi and one starting at lo overlap or touch. */
static bool
touches(RangeBound hi, RangeBound lo)
{
	int c;

	if (!hi.v || !lo.v)
		return true;
	c = version_cmp(hi.v, lo.v);
	return c > 0 || (c == 0 && (hi.inclusive || lo.inclusive));
}

int
range_from_specifier(const Specifier *sp, Arena *arena, Range *out, Err *err)
{
	RangeBound lo, hi;
	Range r;

	if (positive_interval(sp, arena, &lo, &hi) != 0)
		return err_set(err, "'===%s' compares strings, not versions: it has no version range",
			       sp->text);
	r = nonempty(lo, hi) ? one(lo, hi, arena) : range_empty();
	*out = sp->op == SPEC_NE ? range_complement(r, arena) : r;
	return 0;
}

int
range_from_specset(const SpecifierSet *set, Arena *arena, Range *out, Err *err)
{
	Range acc = range_full(), r;
	size_t i;

	for (i = 0; i < set->len; i++) {
		if (range_from_specifier(&set->items[i], arena, &r, err) != 0)
			return -1;
		acc = range_intersect(acc, r, arena);
	}
	*out = acc;
	return 0;
}

Range
range_intersect(Range a, Range b, Arena *arena)
{
	RangeInterval *out = arena_alloc(arena, (a.len + b.len + 1) * sizeof(*out));
	size_t i = 0, j = 0, n = 0;

	while (i < a.len && j < b.len) {
		RangeBound lo = cmp_lo(a.iv[i].lo, b.iv[j].lo) >= 0 ? a.iv[i].lo : b.iv[j].lo;
		RangeBound hi = cmp_hi(a.iv[i].hi, b.iv[j].hi) <= 0 ? a.iv[i].hi : b.iv[j].hi;

		if (nonempty(lo, hi))
			out[n++] = (RangeInterval){lo, hi};
		if (cmp_hi(a.iv[i].hi, b.iv[j].hi) <= 0)
			i++;
		else
			j++;
	}
	return (Range){out, n};
}

Range
range_union(Range a, Range b, Arena *arena)
{
	RangeInterval *out = arena_alloc(arena, (a.len + b.len + 1) * sizeof(*out));
	size_t i = 0, j = 0, n = 0;

	while (i < a.len || j < b.len) {
		RangeInterval next;

		if (j >= b.len || (i < a.len && cmp_lo(a.iv[i].lo, b.iv[j].lo) <= 0))
			next = a.iv[i++];
		else
			next = b.iv[j++];
		if (n > 0 && touches(out[n - 1].hi, next.lo)) {
			if (cmp_hi(next.hi, out[n - 1].hi) > 0)
				out[n - 1].hi = next.hi;
		} else {
			out[n++] = next;
		}
	}
	return (Range){out, n};
}

Range
range_complement(Range a, Arena *arena)
{
	RangeInterval *out = arena_alloc(arena, (a.len + 1) * sizeof(*out));
	RangeBound lo = unbounded;
	size_t i, n = 0;

	for (i = 0; i < a.len; i++) {
		const RangeInterval *iv = &a.iv[i];

		if (iv->lo.v) {
			RangeBound hi = {iv->lo.v, !iv->lo.inclusive};

			if (nonempty(lo, hi))
				out[n++] = (RangeInterval){lo, hi};
		}
		if (!iv->hi.v)
			return (Range){out, n};
		lo = norm_lo((RangeBound){iv->hi.v, !iv->hi.inclusive});
	}
	out[n++] = (RangeInterval){lo, unbounded};
	return (Range){out, n};
}

Range
range_difference(Range a, Range b, Arena *arena)
{
	return range_intersect(a, range_complement(b, arena), arena);
}

bool
range_contains(Range r, const Version *v)
{
	size_t lo = 0, hi = r.len;

	/* Binary search for the last interval whose lower bound admits v. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const RangeBound *b = &r.iv[mid].lo;
		int c = b->v ? version_cmp(v, b->v) : 1;

		if (c > 0 || (c == 0 && b->inclusive))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	{
		const RangeBound *b = &r.iv[lo - 1].hi;
		int c = b->v ? version_cmp(v, b->v) : -1;

		return c < 0 || (c == 0 && b->inclusive);
	}
}

bool
range_is_empty(Range r)
{
	return r.len == 0;
}

bool
range_is_full(Range r)
{
	return r.len == 1 && !r.iv[0].lo.v && !r.iv[0].hi.v;
}

static bool
bound_equal(RangeBound a, RangeBound b)
{
	if (!a.v || !b.v)
		return a.v == b.v;
	return a.inclusive == b.inclusive && version_cmp(a.v, b.v) == 0;
}

bool
range_equal(Range a, Range b)
{
	size_t i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++)
		if (!bound_equal(a.iv[i].lo, b.iv[i].lo) || !bound_equal(a.iv[i].hi, b.iv[i].hi))
			return false;
	return true;
}

bool
range_subset(Range a, Range b)
{
	Arena arena = {0};
	bool sub = range_is_empty(range_difference(a, b, &arena));

	arena_free(&arena);
	return sub;
}

bool
range_disjoint(Range a, Range b)
{
	Arena arena = {0};
	bool dis = range_is_empty(range_intersect(a, b, &arena));

	arena_free(&arena);
	return dis;
}

/*
 * Some non-pre-release version in r. A non-empty interval that holds one holds one of:
 * its lower bound itself, that stripped of pre-release parts, that with a local label,
 * or a later release ("X.1").
 */
static bool
has_final(Range r, Arena *arena)
{
	static const VersionLocal zero_local = {"0", 1, true};
	size_t i, k;

	for (i = 0; i < r.len; i++) {
		const Version *lo = r.iv[i].lo.v;
		Version c[4];
		VersionNum *rel;

		if (!lo) {
			Version z;

			if (version_parse("0", 1, arena, &z, NULL) == 0 && range_contains(r, &z))
				return true;
			continue;
		}
		c[0] = *lo;
		c[0].pre_kind = VERSION_PRE_NONE;
		c[0].has_dev = false;
		c[0].synthetic = 0;
		c[0].local = NULL, c[0].local_len = 0;
		if (lo->pre_kind != VERSION_PRE_NONE)
			c[0].has_post = false;
		c[1] = c[0];
		c[1].local = &zero_local, c[1].local_len = 1;
		c[2] = c[0];
		c[2].has_post = false;
		rel = arena_alloc(arena, (lo->release_len + 1) * sizeof(*rel));
		memcpy(rel, lo->release, lo->release_len * sizeof(*rel));
		rel[lo->release_len] = (VersionNum){"1", 1};
		c[2].release = rel, c[2].release_len = c[2].release_sig = lo->release_len + 1;
		c[3] = *lo;
		for (k = 0; k < 4; k++) {
			if (k < 3)
				version_format(&c[k], arena);
			if (!c[k].synthetic && !version_is_prerelease(&c[k]) && range_contains(r, &c[k]))
				return true;
		}
	}
	return false;
}

bool
range_specset_satisfiable(const SpecifierSet *set, bool finals_only, Arena *arena)
{
	const Specifier *arbitrary = NULL;
	SpecifierSet rest = {arena_alloc(arena, (set->len + 1) * sizeof(Specifier)), 0};
	Range r;
	size_t i;

	for (i = 0; i < set->len; i++) {
		const Specifier *sp = &set->items[i];

		if (sp->op != SPEC_ARBITRARY) {
			rest.items[rest.len++] = *sp;
		} else if (!arbitrary) {
			arbitrary = sp;
		} else if (!specifier_matches(sp, NULL, arbitrary->text, arbitrary->text_len)) {
			return false;       /* two different strings */
		}
	}
	if (arbitrary) {
		/* The one candidate is the string itself: the other clauses must take it. */
		SpecCandidate c = {NULL, arbitrary->text, arbitrary->text_len};
		Version *v = arena_alloc(arena, sizeof(*v));

		if (version_parse(c.raw, c.raw_len, arena, v, NULL) == 0)
			c.version = v;
		if (finals_only && c.version && version_is_prerelease(c.version))
			return false;
		return specset_contains(&rest, &c, PRERELEASES_ALLOW, false) &&
		       (rest.len == 0 || c.version);
	}
	if (range_from_specset(&rest, arena, &r, NULL) != 0)
		return false;
	return finals_only ? has_final(r, arena) : !range_is_empty(r);
}

char *
range_format(Range r, Arena *arena)
{
	char *s = "";
	size_t i;

	if (r.len == 0)
		return "<none>";
	if (range_is_full(r))
		return "*";
	for (i = 0; i < r.len; i++) {
		const RangeInterval *iv = &r.iv[i];
		const char *sep = i ? " | " : "";

		if (iv->lo.v && iv->hi.v && iv->lo.inclusive && iv->hi.inclusive &&
		    version_cmp(iv->lo.v, iv->hi.v) == 0) {
			s = arena_printf(arena, "%s%s==%s", s, sep, iv->lo.v->str);
			continue;
		}
		s = arena_printf(arena, "%s%s", s, sep);
		if (iv->lo.v)
			s = arena_printf(arena, "%s%s%s", s, iv->lo.inclusive ? ">=" : ">", iv->lo.v->str);
		if (iv->hi.v)
			s = arena_printf(arena, "%s%s%s%s", s, iv->lo.v ? ", " : "",
					 iv->hi.inclusive ? "<=" : "<", iv->hi.v->str);
	}
	return s;
}
