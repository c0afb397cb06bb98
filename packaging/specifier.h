/*
 * specifier.h - PEP 440 version specifiers ("~=1.4.2", ">=2,<3,!=2.5.*") and the
 * pre-release policy that goes with them.
 *
 * A specifier set is a comma-separated conjunction of clauses; the empty set matches
 * every version. Matching a single candidate (specset_contains) is PEP 440's membership
 * test. Which pre-releases a resolver may use is a property of the whole candidate list
 * (specset_filter): pre-releases are used when the set names one, when the user allows
 * them, or when no final release matches at all.
 *
 * Semantics are those of packaging >= 26.1 (the current PEP 440 text): ">V" excludes
 * V's own post-releases and local versions only, "<V" excludes V's own pre-releases
 * unless V is itself a pre-release, and "===" compares raw strings case-insensitively.
 */
#ifndef BUNPY_SPECIFIER_H
#define BUNPY_SPECIFIER_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/err.h"
#include "version.h"

typedef enum SpecOp {
	SPEC_EQ,         /* ==  */
	SPEC_NE,         /* !=  */
	SPEC_LT,         /* <   */
	SPEC_LE,         /* <=  */
	SPEC_GT,         /* >   */
	SPEC_GE,         /* >=  */
	SPEC_COMPATIBLE, /* ~=  */
	SPEC_ARBITRARY,  /* === */
} SpecOp;

typedef struct Specifier {
	SpecOp op;
	bool wildcard;        /* "==V.*" or "!=V.*" */
	Version version;      /* unset for === */
	const char *text;     /* the version as written, white space trimmed; for === the raw string */
	size_t text_len;
} Specifier;

typedef struct SpecifierSet {
	Specifier *items;
	size_t len;
} SpecifierSet;

/* Whether pre-releases are allowed: by default (the policy above), always, or never. */
typedef enum Prereleases {
	PRERELEASES_DEFAULT,
	PRERELEASES_ALLOW,
	PRERELEASES_DENY,
} Prereleases;

/* A candidate version: its text as found, and the parsed form (NULL when invalid). */
typedef struct SpecCandidate {
	const Version *version;
	const char *raw;
	size_t raw_len;
} SpecCandidate;

/* Errors read "\"CLAUSE\"" SPECIFIER_ERROR_PHRASE "REASON" (err_reason finds REASON). */
#define SPECIFIER_ERROR_PHRASE " is not a valid version specifier: "

const char *spec_op_str(SpecOp op);

/* Parse one clause / a set. Errors name the clause and say what is wrong. */
int specifier_parse(const char *s, size_t len, Arena *arena, Specifier *out, Err *err);
int specset_parse(const char *s, size_t len, Arena *arena, SpecifierSet *out, Err *err);

/*
 * Whether the candidate satisfies the clause, pre-releases allowed. v may be NULL for a
 * string that is not a valid version; only "===" can match one.
 */
bool specifier_matches(const Specifier *sp, const Version *v, const char *raw, size_t raw_len);

/* True when the clause names a pre-release (not for != and ==V.*). */
bool specifier_implies_prereleases(const Specifier *sp);
bool specset_implies_prereleases(const SpecifierSet *set);

/*
 * Membership of one candidate. With PRERELEASES_DEFAULT a matching pre-release is
 * accepted (a single candidate has nothing better to prefer, packaging >= 26.0);
 * PRERELEASES_DENY rejects every pre-release unless installed is true (an installed
 * version is kept if the clauses admit it).
 */
bool specset_contains(const SpecifierSet *set, const SpecCandidate *c, Prereleases pre,
		      bool installed);

/*
 * Filter a candidate list, keeping order: keep[i] tells whether cands[i] survives; the
 * count kept is returned. Default policy: matching pre-releases are kept only if the
 * set implies pre-releases or if no final (or post) release matches. Invalid versions
 * are kept only by "===" clauses, or by the empty set.
 */
size_t specset_filter(const SpecifierSet *set, const SpecCandidate *cands, size_t n,
		      Prereleases pre, bool *keep);

/* Canonical text: "op" + version as written ("~=1.0"); a set's clauses sorted, unique. */
char *specifier_format(const Specifier *sp, Arena *arena);
char *specset_format(const SpecifierSet *set, Arena *arena);

/* Equality as packaging defines it: same operator, versions equal (==2.8.0 is ==2.8). */
bool specifier_equal(const Specifier *a, const Specifier *b);
bool specset_equal(const SpecifierSet *a, const SpecifierSet *b);

#endif
