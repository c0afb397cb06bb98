/*
 * candidates.c - a page's versions and their usable wheels (see candidates.h).
 */
#include "config.h"

#include "candidates.h"

#include <stdlib.h>
#include <string.h>

#include "packaging/filename.h"
#include "packaging/specifier.h"

bool
candidates_is_wheel(const char *filename)
{
	size_t len = strlen(filename);

	return len > 4 && !strcmp(filename + len - 4, ".whl");
}

static int
cmp_desc(const void *a, const void *b)
{
	return version_cmp(&((const CandVersion *)b)->v, &((const CandVersion *)a)->v);
}

const char *
candidates_python_reason(const Target *t, const char *spec, Arena *arena)
{
	return arena_printf(arena, "requires Python %s (the target is %s)", spec,
			    t->env.values[MARKER_PYTHON_FULL_VERSION]);
}

/* Why no wheel of the version can be used: requires-python, tags, or only sdists. */
static const char *
unavailable_reason(const Target *t, bool saw_wheel, const char *py_spec, Arena *arena)
{
	if (py_spec)
		return candidates_python_reason(t, py_spec, arena);
	if (!saw_wheel)
		return "has no wheel, only a source distribution, which bunpy cannot build yet";
	return arena_printf(arena, "has no wheel for %s", t->summary);
}

static const char *
yank_reason(const CandVersion *cv, Arena *arena)
{
	size_t i;

	for (i = 0; i < cv->nfiles; i++)
		if (cv->files[i]->yanked_reason && *cv->files[i]->yanked_reason)
			return arena_printf(arena, "was yanked (%s); pin it with == to use it anyway",
					    cv->files[i]->yanked_reason);
	return "was yanked; pin it with == to use it anyway";
}

static bool
python_ok(const Target *t, const char *spec, Arena *arena)
{
	SpecifierSet rp;
	SpecCandidate c = { &t->full_version, t->full_version.str, strlen(t->full_version.str) };

	/* an unreadable requires-python excludes nothing, as pip treats it */
	return specset_parse(spec, strlen(spec), arena, &rp, NULL) != 0 ||
	       specset_contains(&rp, &c, PRERELEASES_ALLOW, false);
}

/* Decide best and unavailable for one version. */
static void
judge(CandVersion *cv, const Target *t, const TagList *tags, bool pinned, Arena *arena)
{
	const char *py_spec = NULL;
	bool saw_wheel = false;
	long best_rank = 0;
	WheelFilename best_w;
	size_t i;

	cv->yanked = true;
	for (i = 0; i < cv->nfiles; i++) {
		const SimpleFile *f = cv->files[i];
		size_t fl = strlen(f->filename);
		WheelFilename w;
		long rank;

		if (!f->yanked)
			cv->yanked = false;
		if ((f->yanked && !pinned) || !candidates_is_wheel(f->filename) ||
		    filename_wheel_parse(f->filename, fl, 0, arena, &w, NULL) != 0)
			continue;
		saw_wheel = true;
		if ((rank = filename_wheel_rank(&w, tags)) < 0)
			continue;
		if (f->requires_python && !python_ok(t, f->requires_python, arena)) {
			py_spec = f->requires_python;
			continue;
		}
		if (!cv->best || filename_wheel_prefer(&w, rank, &best_w, best_rank) < 0) {
			cv->best = f;
			best_w = w;
			best_rank = rank;
		}
	}
	if (cv->yanked && !pinned) {
		cv->best = NULL;
		cv->unavailable = yank_reason(cv, arena);
	} else if (!cv->best) {
		cv->unavailable = unavailable_reason(t, saw_wheel, py_spec, arena);
	}
}

void
candidates_read(const SimplePage *page, const char *name, const Target *t,
		const TagList *tags, CandPinned pinned, void *pin_ctx, Arena *arena,
		CandVersion **out, size_t *n)
{
	size_t nl = strlen(name), i, k, cap = 0;
	CandVersion *vers = NULL;

	*n = 0;
	for (i = 0; i < page->nfiles; i++) {
		const SimpleFile *f = &page->files[i];
		size_t fl = strlen(f->filename);
		WheelFilename w;
		SdistFilename s;
		const Version *v;
		CandVersion *cv = NULL;

		if (candidates_is_wheel(f->filename)) {
			if (filename_wheel_parse(f->filename, fl, 0, arena, &w, NULL) != 0 ||
			    w.name_len != nl || memcmp(w.name, name, nl) != 0)
				continue;
			v = &w.version;
		} else if (filename_sdist_parse(f->filename, fl, arena, &s, NULL) == 0 &&
			   s.name_len == nl && !memcmp(s.name, name, nl)) {
			v = &s.version;
		} else {
			continue;   /* eggs, other projects' files: not ours to use */
		}
		/* one version however it is spelled ("1.5" and "1.5.0"): a wheel and an sdist
		 * of it are one candidate */
		for (k = 0; k < *n && !cv; k++)
			if (version_cmp(&vers[k].v, v) == 0)
				cv = &vers[k];
		if (!cv) {
			if (*n == cap) {
				CandVersion *grown = arena_alloc(arena, (cap ? cap * 2 : 16) * sizeof(*grown));

				if (*n)
					memcpy(grown, vers, *n * sizeof(*grown));
				vers = grown;
				cap = cap ? cap * 2 : 16;
			}
			cv = &vers[(*n)++];
			memset(cv, 0, sizeof(*cv));
			cv->v = *v;
			cv->files = arena_alloc(arena, page->nfiles * sizeof(*cv->files));
		}
		for (k = 0; k < cv->nfiles && strcmp(cv->files[k]->filename, f->filename) != 0; k++)
			;
		if (k == cv->nfiles)   /* a file listed twice is one file */
			cv->files[cv->nfiles++] = f;
	}
	if (*n)
		qsort(vers, *n, sizeof(*vers), cmp_desc);
	for (k = 0; k < *n; k++)
		judge(&vers[k], t, tags, pinned && pinned(pin_ctx, &vers[k].v), arena);
	*out = vers;
}

const CandVersion *
candidates_likely(const CandVersion *vers, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (vers[k].best && !version_is_prerelease(&vers[k].v))
			return &vers[k];
	for (k = 0; k < n; k++)
		if (vers[k].best)
			return &vers[k];
	return NULL;
}

const CandVersion *
candidates_latest(const CandVersion *vers, size_t n, const Target *t, bool prereleases,
		  Arena *arena)
{
	for (size_t k = 0; k < n; k++) {
		if (!prereleases && version_is_prerelease(&vers[k].v))
			continue;
		if (vers[k].best)
			return &vers[k];
		for (size_t i = 0; i < vers[k].nfiles; i++) {
			const SimpleFile *f = vers[k].files[i];

			if (!f->yanked && !candidates_is_wheel(f->filename) &&
			    (!f->requires_python || python_ok(t, f->requires_python, arena)))
				return &vers[k];
		}
	}
	return NULL;
}
