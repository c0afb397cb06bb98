/*
 * candidates.h - what a project's index page offers the target interpreter, version by
 * version: which wheel would be installed, or why none can be.
 *
 * The resolver builds its candidate lists from this, and the page nodes use it to
 * guess, before the resolver asks, which version's metadata will be wanted.
 */
#ifndef BUNPY_CANDIDATES_H
#define BUNPY_CANDIDATES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/arena.h"
#include "packaging/simple.h"
#include "packaging/tags.h"
#include "packaging/version.h"
#include "target.h"

typedef struct CandVersion {
	Version v;
	const SimpleFile **files;    /* every file of the version on the page */
	size_t nfiles;
	const SimpleFile *best;      /* the wheel to install and read metadata from */
	const char *unavailable;     /* why it cannot be used, or NULL */
	bool yanked;                 /* every file is yanked */
} CandVersion;

/* Whether a file name is a wheel's (ends in ".whl"). */
bool candidates_is_wheel(const char *filename);

/* Whether a requirement pins v with "==": a yanked version is used only then (PEP 592). */
typedef bool (*CandPinned)(void *ctx, const Version *v);

/*
 * The versions of project name (normalized) on page, highest first. A version is usable
 * (best set, unavailable NULL) when one of its wheels has a tag in tags, a
 * requires-python that admits the target, and is not yanked unless pinned (pinned may
 * be NULL: nothing is). Files of other projects and eggs are ignored.
 */
void candidates_read(const SimplePage *page, const char *name, const Target *t,
		     const TagList *tags, CandPinned pinned, void *pin_ctx, Arena *arena,
		     CandVersion **out, size_t *n);

/* "requires Python SPEC (the target is 3.11.2)": why a version cannot be used. */
const char *candidates_python_reason(const Target *t, const char *spec, Arena *arena);

/* The version a highest-first resolution most likely takes: the highest usable final
 * release, else the highest usable one; NULL when none is usable. */
const CandVersion *candidates_likely(const CandVersion *vers, size_t n);

/* The newest version the target could install (outdated's "latest"): a usable wheel, or
 * a source distribution that is not yanked and whose requires-python admits the target;
 * pre-releases only when prereleases. NULL when there is none. */
const CandVersion *candidates_latest(const CandVersion *vers, size_t n, const Target *t,
				     bool prereleases, Arena *arena);

#endif
