/*
 * range.h - sets of versions as unions of intervals, for the resolver.
 *
 * PubGrub reasons with "the versions of a that ..." as sets it can intersect, unite
 * and complement; a specifier set converts to exactly the Range of versions it admits
 * (pre-releases included: the policy about them is applied to candidate lists, not to
 * sets). Bounds are Versions, some synthetic (version.h: VERSION_POST_MAX) where no
 * real version sits exactly at the edge, e.g. ">1.7" starts after every 1.7.postN.
 *
 * A Range is a value: a sorted array of disjoint, non-adjacent, non-empty intervals
 * allocated from an arena; operations return new ranges and never modify their inputs.
 */
#ifndef BUNPY_RANGE_H
#define BUNPY_RANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "specifier.h"
#include "version.h"

typedef struct RangeBound {
	const Version *v;     /* NULL: unbounded (minus or plus infinity) */
	bool inclusive;
} RangeBound;

typedef struct RangeInterval {
	RangeBound lo, hi;
} RangeInterval;

typedef struct Range {
	const RangeInterval *iv;
	size_t len;           /* 0: the empty set */
} Range;

Range range_empty(void);
Range range_full(void);
Range range_point(const Version *v, Arena *arena);           /* exactly v */

/* The versions a specifier (set) admits. "===" has no range: -1 with err. */
int range_from_specifier(const Specifier *sp, Arena *arena, Range *out, Err *err);
int range_from_specset(const SpecifierSet *set, Arena *arena, Range *out, Err *err);

Range range_intersect(Range a, Range b, Arena *arena);
Range range_union(Range a, Range b, Arena *arena);
Range range_complement(Range a, Arena *arena);
/* a \ b */
Range range_difference(Range a, Range b, Arena *arena);

bool range_contains(Range r, const Version *v);
bool range_is_empty(Range r);
bool range_is_full(Range r);
bool range_equal(Range a, Range b);
bool range_subset(Range a, Range b);       /* a within b */
bool range_disjoint(Range a, Range b);

/*
 * Whether any version satisfies set (finals_only: any version that is not a
 * pre-release). "===" clauses admit just their own string, so they are handled too.
 */
bool range_specset_satisfiable(const SpecifierSet *set, bool finals_only, Arena *arena);

/* Text for messages: ">=1.0, <2.0.dev0 | ==3.1", "*" for full, "∅" never: "<none>". */
char *range_format(Range r, Arena *arena);

#endif
