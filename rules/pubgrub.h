/*
 * pubgrub.h - the PubGrub version solver (Natalie Weizenbaum, 2018; the algorithm of
 * Dart's pub, of pubgrub-rs and of uv): incompatibilities, unit propagation, decisions,
 * conflict resolution that learns new incompatibilities and backjumps, and an
 * explanation of failure as a derivation in plain sentences.
 *
 * The solver knows packages only as names the caller interns (the lock's resolve rule
 * uses "name" for a distribution and "name[extra]" for an extra, which it makes depend
 * on "name" at the same version) and versions as packaging/version.h Versions; sets of
 * versions are packaging/range.h Ranges. It does no I/O and never waits: pg_solve runs
 * until it needs something it was not given (the candidate versions of a package, or
 * the dependencies of one version) and returns to say so; the caller supplies it and
 * calls pg_solve again. This is what lets the resolver run as an engine node that
 * suspends while pages and metadata are fetched.
 *
 * Preferences are the caller's: pg_set_candidates lists the versions in the order they
 * should be tried (highest first, lowest first, the locked version first, finals before
 * pre-releases...). A version not listed does not exist for the solver.
 *
 * Deciding: among the packages with a positive undecided derivation, the solver picks
 * the one with the fewest candidates left in its allowed range (ties: the one seen
 * first), and within it the first candidate, in the caller's order, inside that range.
 *
 * Work is bounded (PgLimits): past the bound pg_solve returns PG_LIMIT with a message
 * that says which bound was hit, so resolution never hangs.
 *
 * Memory: everything the solver allocates is its own (freed by pg_free). Versions,
 * Ranges and strings given to it must outlive it.
 */
#ifndef BUNPY_PUBGRUB_H
#define BUNPY_PUBGRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/buf.h"
#include "../packaging/range.h"
#include "../packaging/version.h"

typedef struct Pg Pg;
typedef uint32_t PgPkg;          /* 0 is the root package */

#define PG_ROOT ((PgPkg)0)

typedef struct PgLimits {
	uint64_t max_steps;          /* propagations + decisions + conflict steps; 0: 1,000,000 */
} PgLimits;

typedef struct PgDep {
	PgPkg pkg;
	Range range;                 /* the versions of pkg that are acceptable */
} PgDep;

typedef enum PgStatus {
	PG_NEED_CANDIDATES,          /* call pg_set_candidates(req.pkg), then pg_solve */
	PG_NEED_DEPENDENCIES,        /* call pg_set_dependencies or pg_set_unavailable for (req.pkg, req.version) */
	PG_SOLVED,
	PG_NO_SOLUTION,              /* pg_explain says why */
	PG_LIMIT,                    /* pg_explain says which bound */
} PgStatus;

typedef struct PgRequest {
	PgPkg pkg;
	const Version *version;      /* for PG_NEED_DEPENDENCIES */
} PgRequest;

/* root_name is how messages name the root ("your project"; a string the caller owns). */
Pg *pg_new(const char *root_name, const Version *root_version, const PgLimits *limits);
void pg_free(Pg *pg);

/* The package called name (interned: the same name gives the same id). */
PgPkg pg_package(Pg *pg, const char *name);
const char *pg_package_name(const Pg *pg, PgPkg pkg);

/* The versions of pkg that exist, in the order to try them. Called once per package,
 * when PG_NEED_CANDIDATES asks (or earlier). */
void pg_set_candidates(Pg *pg, PgPkg pkg, const Version *const *versions, size_t n);
bool pg_has_candidates(const Pg *pg, PgPkg pkg);

/* pkg at version depends on deps (a package may appear more than once: the ranges
 * intersect). For the root, call it before the first pg_solve. */
void pg_set_dependencies(Pg *pg, PgPkg pkg, const Version *version, const PgDep *deps, size_t n);
/* pkg at version cannot be used, for the reason given ("requires Python >=3.12",
 * "has no wheel for this platform"), which explanations quote. */
void pg_set_unavailable(Pg *pg, PgPkg pkg, const Version *version, const char *reason);

/* Run until the solver needs something, is solved, or fails. */
PgStatus pg_solve(Pg *pg, PgRequest *req);

/* After PG_SOLVED: the version chosen for pkg, or NULL when pkg is not in the solution.
 * The root is in it. */
const Version *pg_solution(const Pg *pg, PgPkg pkg);
size_t pg_package_count(const Pg *pg);   /* ids are 0 .. count-1 */

/* After PG_NO_SOLUTION or PG_LIMIT: the explanation, as numbered sentences where a
 * derivation is used twice, e.g.
 *   Because a>=2 depends on b<1 and your project depends on a>=2, your project depends on b<1.
 *   And because your project depends on b>=1, version solving failed.
 * Ranges are written in the terms of the candidates the solver was given where that
 * is shorter ("a>=2", "a==1.0", "every version of c"). */
void pg_explain(const Pg *pg, Buf *out);

/*
 * A range as PEP 440-looking text for messages: ">1.7", "<2", ">=1.0,<2.0", "==2.*",
 * "!=1.5", unions joined by " | "; "*" for every version, "<none>" for none. Bounds are
 * written as a user would write them whenever that spelling parses back to exactly the
 * same bound (range.c keeps "<2" as "<2.dev0", ">1.7" after a synthetic "1.7.post*").
 */
char *pg_range_text(Range r, Arena *arena);

/* Statistics for --verbose and benchmarks. */
typedef struct PgStats {
	uint64_t decisions, propagations, conflicts, backjumps, steps;
} PgStats;
void pg_stats(const Pg *pg, PgStats *out);

#endif
