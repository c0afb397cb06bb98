/*
 * resolve.c - the kinds lock-inputs and resolve: PubGrub (pubgrub.h) run as an engine
 * node over index pages and wheel metadata (lockctx.h).
 *
 * The resolve node reads its inputs (lock-inputs:pylock.toml, a JSON document the
 * front end made: requirements by where they come from, constraints, overrides,
 * options, indexes, target, preferences from the existing lock), then drives the
 * solver: each PG_NEED_CANDIDATES needs the package's page (index by index, the first
 * index that has the project is the only one used: the safe default against
 * dependency confusion), each PG_NEED_DEPENDENCIES the metadata of the version's best
 * wheel. A node not built yet suspends the rule; the engine builds it in a net thread
 * and calls the rule again, which continues where the solver stopped. So that the
 * network is never idle while the solver waits, every package is prefetched the moment
 * it is first named (its page on every index), and once its page is read, the metadata
 * of the candidate most likely to be chosen.
 *
 * What is a candidate: a version with a wheel for the target interpreter (best tag,
 * then build tag) whose requires-python admits it and which is not yanked (a yanked
 * version stays a candidate only for a requirement that pins it with ==). Versions
 * with only sdists, or wheels for other platforms or Pythons, are given to the solver
 * as unavailable, with the reason, so that a failure explains itself. The candidates'
 * order carries every preference: highest (or lowest) first, final releases before
 * pre-releases unless pre-releases are allowed or a direct requirement asks for one,
 * the version in the existing lock first.
 *
 * Extras are packages of their own, "name[extra]", which depend on "name" at exactly
 * the same version and on the requirements that the extra's marker turns on.
 *
 * The value is the resolution as JSON (what lockfile.c writes as pylock.toml).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "lockctx.h"
#include "packaging/filename.h"
#include "packaging/metadata.h"
#include "packaging/name.h"
#include "packaging/range.h"
#include "packaging/requirement.h"
#include "packaging/simple.h"
#include "pubgrub.h"

typedef struct RootReq {
	Requirement req;
	const char *category;        /* "" main, "extra:x", "group:g" */
} RootReq;

typedef struct PkgInfo {
	const char *name;            /* normalized; "name[extra]" for an extra */
	PgPkg base;                  /* the distribution (itself when not an extra) */
	const char *extra;           /* NULL when not an extra */
	bool page_done;              /* base: page read (or found nowhere) */
	bool found;                  /* base: some index has it */
	size_t index;                /* base: the index that has it */
	CandVersion *vers;               /* base: sorted highest first */
	size_t nvers;
	const Version **order;       /* base: candidates in the order to try */
	size_t norder;
	PgPkg **deps;                /* per version index: the packages depended on */
	size_t *ndeps;
	bool candidates_set;
} PkgInfo;

typedef struct Resolve {
	Arena arena;
	LockCtx *lc;
	const char *project;
	RootReq *roots;
	size_t nroots;
	Requirement *constraints, *overrides;
	size_t nconstraints, noverrides;
	const char **pref_names, **pref_versions;
	size_t nprefs;
	const char *resolution, *prerelease;
	Version *root_version;
	const TagList *tags;         /* the target's, for ranking wheels */
	Pg *pg;
	PkgInfo *pkgs;
	size_t npkgs, cappkgs;
	bool have_req;
	PgStatus status;
	PgRequest req;
} Resolve;

static void
resolve_free(void *p)
{
	Resolve *r = p;

	if (!r)
		return;
	if (r->pg)
		pg_free(r->pg);
	free(r->pkgs);
	arena_free(&r->arena);
	free(r);
}

/* ---- inputs ------------------------------------------------------------------------- */

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
parse_req_list(Resolve *r, const cJSON *arr, Requirement **out, size_t *n, Err *err)
{
	const cJSON *x;
	size_t i = 0;

	*n = (size_t)cJSON_GetArraySize(arr);
	*out = arena_zalloc(&r->arena, (*n + 1) * sizeof(**out));
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsString(x) ||
		    requirement_parse(x->valuestring, strlen(x->valuestring), &r->arena, &(*out)[i++], err) != 0)
			return -1;
	}
	return 0;
}

static int
read_inputs(Resolve *r, const char *data, size_t len, Err *err)
{
	cJSON *o = cJSON_ParseWithLength(data, len);
	const cJSON *reqs, *x, *prefs;
	size_t i = 0;
	int rc = -1;

	if (!cJSON_IsObject(o)) {
		err_set(err, "the lock's inputs are damaged");
		goto out;
	}
	r->project = jstr(o, "project") ? arena_strdup(&r->arena, jstr(o, "project")) : NULL;
	r->resolution = arena_strdup(&r->arena, jstr(o, "resolution") ? jstr(o, "resolution") : "highest");
	r->prerelease = arena_strdup(&r->arena, jstr(o, "prerelease") ? jstr(o, "prerelease") : "if-necessary");
	reqs = cJSON_GetObjectItemCaseSensitive(o, "requirements");
	r->nroots = (size_t)cJSON_GetArraySize(reqs);
	r->roots = arena_zalloc(&r->arena, (r->nroots + 1) * sizeof(*r->roots));
	cJSON_ArrayForEach(x, reqs) {
		const char *text = jstr(x, "req"), *cat = jstr(x, "for");

		if (!text || !cat || requirement_parse(text, strlen(text), &r->arena, &r->roots[i].req, err) != 0)
			goto out;
		r->roots[i++].category = arena_strdup(&r->arena, cat);
	}
	if (parse_req_list(r, cJSON_GetObjectItemCaseSensitive(o, "constraints"), &r->constraints,
			   &r->nconstraints, err) != 0 ||
	    parse_req_list(r, cJSON_GetObjectItemCaseSensitive(o, "overrides"), &r->overrides,
			   &r->noverrides, err) != 0)
		goto out;
	prefs = cJSON_GetObjectItemCaseSensitive(o, "preferences");
	r->nprefs = (size_t)cJSON_GetArraySize(prefs);
	r->pref_names = arena_zalloc(&r->arena, (r->nprefs + 1) * sizeof(char *));
	r->pref_versions = arena_zalloc(&r->arena, (r->nprefs + 1) * sizeof(char *));
	i = 0;
	cJSON_ArrayForEach(x, prefs) {
		if (cJSON_IsString(x)) {
			r->pref_names[i] = arena_strdup(&r->arena, x->string);
			r->pref_versions[i++] = arena_strdup(&r->arena, x->valuestring);
		}
	}
	r->nprefs = i;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

/* ---- packages ----------------------------------------------------------------------- */

static PkgInfo *
info(Resolve *r, PgPkg id)
{
	return &r->pkgs[id];
}

/* The package for a distribution name (normalized) and an extra (normalized, or NULL). */
static PgPkg
intern(RuleCtx *ctx, Resolve *r, const char *name, const char *extra)
{
	const char *key = extra ? arena_printf(&r->arena, "%s[%s]", name, extra) : name;
	PgPkg id = pg_package(r->pg, key);

	if (id >= r->npkgs) {
		size_t old = r->npkgs;

		xgrow(&r->pkgs, &r->cappkgs, (size_t)id + 1, sizeof(*r->pkgs));
		memset(r->pkgs + old, 0, ((size_t)id + 1 - old) * sizeof(*r->pkgs));
		r->npkgs = (size_t)id + 1;
		info(r, id)->name = arena_strdup(&r->arena, key);
		info(r, id)->base = id;
		if (extra) {
			PgPkg base = intern(ctx, r, name, NULL);

			info(r, id)->base = base;
			info(r, id)->extra = arena_strdup(&r->arena, extra);
		} else if (id != PG_ROOT) {
			lockctx_prefetch_page(ctx, r->lc, info(r, id)->name);
		}
	}
	return id;
}

/* ---- candidates --------------------------------------------------------------------- */

static bool
direct_pin(const Resolve *r, const char *name, const Version *v)
{
	size_t i, k;

	for (i = 0; i < r->nroots; i++) {
		const Requirement *q = &r->roots[i].req;

		if (strcmp(q->normalized, name) != 0)
			continue;
		for (k = 0; k < q->spec.len; k++)
			if (q->spec.items[k].op == SPEC_EQ && !q->spec.items[k].wildcard &&
			    version_cmp(&q->spec.items[k].version, v) == 0)
				return true;
	}
	return false;
}

static bool
is_direct(const Resolve *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nroots; i++)
		if (!strcmp(r->roots[i].req.normalized, name))
			return true;
	return false;
}

static bool
explicit_prerelease(const Resolve *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nroots; i++)
		if (!strcmp(r->roots[i].req.normalized, name) &&
		    specset_implies_prereleases(&r->roots[i].req.spec))
			return true;
	return false;
}

static bool
constraint_allows(Resolve *r, const char *name, const Version *v)
{
	const MarkerEnv *env = &r->lc->target->env;
	size_t i;

	for (i = 0; i < r->nconstraints; i++) {
		const Requirement *c = &r->constraints[i];
		bool on = true;
		Range range;

		if (strcmp(c->normalized, name) != 0)
			continue;
		if (c->marker && (marker_evaluate(c->marker, env, &on, NULL) != 0 || !on))
			continue;
		if (range_from_specset(&c->spec, &r->arena, &range, NULL) == 0 && !range_contains(range, v))
			return false;
	}
	return true;
}

typedef struct PinCtx {
	const Resolve *r;
	const char *name;
} PinCtx;

static bool
pinned_by_root(void *ctx, const Version *v)
{
	const PinCtx *pc = ctx;

	return direct_pin(pc->r, pc->name, v);
}

/* What the page offers, version by version (candidates.h). */
static int
read_page(Resolve *r, PgPkg id, const char *json, size_t len, Err *err)
{
	PkgInfo *p = info(r, id);
	PinCtx pc = { r, p->name };
	SimplePage page;

	if (simple_parse(json, len, SIMPLE_JSON, r->lc->indexes[p->index].shown, &r->arena, &page,
			 err) != 0)
		return -1;
	candidates_read(&page, p->name, r->lc->target, r->tags, pinned_by_root, &pc, &r->arena,
			&p->vers, &p->nvers);
	return 0;
}

static bool
preferred_version(const Resolve *r, const char *name, const Version *v)
{
	size_t i;

	for (i = 0; i < r->nprefs; i++)
		if (!strcmp(r->pref_names[i], name) && !strcmp(r->pref_versions[i], v->str))
			return true;
	return false;
}

/* The order to try the versions in (see the header comment). The locked version goes
 * first only where the pre-release mode would let it compete with the others anyway: a
 * pre-release locked under --prerelease allow does not outrank finals afterwards. */
static void
order_candidates(Resolve *r, PgPkg id)
{
	PkgInfo *p = info(r, id);
	bool lowest = !strcmp(r->resolution, "lowest") ||
		      (!strcmp(r->resolution, "lowest-direct") && is_direct(r, p->name));
	bool mixed = !strcmp(r->prerelease, "allow") || explicit_prerelease(r, p->name);
	bool no_pre = !strcmp(r->prerelease, "disallow") && !explicit_prerelease(r, p->name);
	size_t pass, k, n = 0;

	p->order = arena_alloc(&r->arena, (p->nvers + 1) * sizeof(*p->order));
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < p->nvers; k++) {
			const CandVersion *vi = &p->vers[lowest ? p->nvers - 1 - k : k];
			bool pre = version_is_prerelease(&vi->v);

			if ((no_pre && pre) || (!mixed && pre != (pass == 1)) || (mixed && pass == 1) ||
			    !constraint_allows(r, p->name, &vi->v))
				continue;
			p->order[n++] = &vi->v;
		}
	}
	for (k = 0; k < n; k++) {
		const Version *v = p->order[k];

		if (preferred_version(r, p->name, v) && (mixed || !version_is_prerelease(v))) {
			memmove(p->order + 1, p->order, k * sizeof(*p->order));
			p->order[0] = v;
			break;
		}
	}
	p->norder = n;
}

static CandVersion *
find_version(PkgInfo *base, const Version *v, size_t *index)
{
	size_t k;

	for (k = 0; k < base->nvers; k++) {
		if (&base->vers[k].v == v) {
			*index = k;
			return &base->vers[k];
		}
	}
	return NULL;
}

static void
set_candidates(RuleCtx *ctx, Resolve *r, PgPkg id)
{
	PkgInfo *p = info(r, id), *b = info(r, p->base);
	Arena a = { 0 };
	size_t k;

	pg_set_candidates(r->pg, id, b->order, b->norder);
	p->deps = arena_zalloc(&r->arena, (b->nvers + 1) * sizeof(*p->deps));
	p->ndeps = arena_zalloc(&r->arena, (b->nvers + 1) * sizeof(*p->ndeps));
	for (k = 0; k < b->norder; k++) {
		size_t vi;
		CandVersion *v = find_version(b, b->order[k], &vi);

		if (v && v->unavailable)
			pg_set_unavailable(r->pg, id, b->order[k], v->unavailable);
	}
	/* the likely choice's metadata, before the solver asks */
	for (k = 0; k < b->norder; k++) {
		size_t vi;
		CandVersion *v = find_version(b, b->order[k], &vi);

		if (v && v->best) {
			rule_prefetch(ctx, "dist-metadata", lockctx_metadata_key(v->best, &a));
			break;
		}
	}
	p->candidates_set = true;
	arena_free(&a);
}

/* 1: the base package's page is read; 0: waiting for it; -1: failed (ctx failed). */
static int
ensure_page(RuleCtx *ctx, Resolve *r, PgPkg base)
{
	PkgInfo *p = info(r, base);
	Arena a = { 0 };
	Err err;

	while (!p->page_done && p->index < r->lc->nindexes) {
		const NodeValue *v = rule_need(ctx, "index-page",
					       lockctx_page_key(r->lc, p->index, p->name, &a));

		if (!v) {
			arena_free(&a);
			return 0;
		}
		if (!v->len || ((const char *)v->data)[0] == LOCK_NOT_FOUND) {
			p->index++;
			continue;
		}
		if (((const char *)v->data)[0] == LOCK_ERROR) {
			rule_fail(ctx, 1, "%.*s", (int)v->len - 1, (const char *)v->data + 1);
			arena_free(&a);
			return -1;
		}
		if (read_page(r, base, (const char *)v->data + 1, v->len - 1, &err) != 0) {
			rule_fail(ctx, 1, "%s", err.msg);
			arena_free(&a);
			return -1;
		}
		p->found = true;
		p->page_done = true;
	}
	p->page_done = true;
	if (!p->order)
		order_candidates(r, base);
	arena_free(&a);
	return 1;
}

/* ---- dependencies ------------------------------------------------------------------- */

typedef struct DepList {
	PgDep *items;
	size_t len, cap;
} DepList;

static void
dep_push(DepList *d, PgPkg pkg, Range range)
{
	xgrow(&d->items, &d->cap, d->len + 1, sizeof(*d->items));
	d->items[d->len++] = (PgDep){ pkg, range };
}

/* Add what requirement q asks for; -1 with err when it cannot be used. */
static int
add_requirement(RuleCtx *ctx, Resolve *r, const Requirement *q, DepList *d, bool override_ok,
		Err *err)
{
	Range range;
	size_t i;

	if (override_ok) {
		bool overridden = false;

		for (i = 0; i < r->noverrides; i++) {
			const Requirement *o = &r->overrides[i];
			bool on = true;

			if (strcmp(o->normalized, q->normalized) != 0)
				continue;
			overridden = true;
			if (o->marker && (marker_evaluate(o->marker, &r->lc->target->env, &on, NULL) != 0 || !on))
				continue;
			if (add_requirement(ctx, r, o, d, false, err) != 0)
				return -1;
		}
		if (overridden)
			return 0;
	}
	if (q->url)
		return err_set(err, "%s @ %s: direct URL requirements are not supported by bunpy lock yet",
			       q->name, q->url);
	if (range_from_specset(&q->spec, &r->arena, &range, err) != 0)
		return -1;
	dep_push(d, intern(ctx, r, q->normalized, NULL), range);
	for (i = 0; i < q->extras_len; i++) {
		char *e = name_normalize(q->extras[i], strlen(q->extras[i]), &r->arena);

		dep_push(d, intern(ctx, r, q->normalized, e), range);
	}
	return 0;
}

static void
remember_deps(Resolve *r, PgPkg id, size_t vi, const DepList *d)
{
	PkgInfo *p = info(r, id);
	size_t i;

	p->deps[vi] = arena_alloc(&r->arena, (d->len + 1) * sizeof(PgPkg));
	for (i = 0; i < d->len; i++)
		p->deps[vi][i] = d->items[i].pkg;
	p->ndeps[vi] = d->len;
}

/* 1 answered; 0 waiting for metadata; -1 failed (ctx failed). */
static int
answer_dependencies(RuleCtx *ctx, Resolve *r, PgPkg id, const Version *version)
{
	/* copies: interning new packages below may move r->pkgs */
	const char *extra = info(r, id)->extra, *name = info(r, id)->name;
	PgPkg base = info(r, id)->base;
	PkgInfo *b = info(r, base);
	const MarkerEnv *tenv = &r->lc->target->env;
	size_t vi, i;
	CandVersion *v = find_version(b, version, &vi);
	const NodeValue *val;
	DepList d = { 0 };
	Arena a = { 0 };
	Metadata md;
	const char *reason = NULL;
	Err err;

	if (!v) {
		rule_fail(ctx, 1, "internal error: %s has no version %s", name, version->str);
		return -1;
	}
	if (v->unavailable) {
		pg_set_unavailable(r->pg, id, version, v->unavailable);
		return 1;
	}
	val = rule_need(ctx, "dist-metadata", lockctx_metadata_key(v->best, &a));
	arena_free(&a);
	if (!val)
		return 0;
	if (!val->len || ((const char *)val->data)[0] != LOCK_FOUND) {
		rule_fail(ctx, 1, "%.*s", (int)val->len - (val->len > 0), (const char *)val->data + (val->len > 0));
		return -1;
	}
	if (metadata_parse((const char *)val->data + 1, val->len - 1, &r->arena, &md, &err) != 0) {
		rule_fail(ctx, 1, "%s %s: %s", info(r, base)->name, version->str, err.msg);
		return -1;
	}
	if (md.requires_python_text) {
		SpecCandidate c = { &r->lc->target->full_version, r->lc->target->full_version.str,
				    strlen(r->lc->target->full_version.str) };

		if (!specset_contains(&md.requires_python, &c, PRERELEASES_ALLOW, false)) {
			v->unavailable = candidates_python_reason(r->lc->target, md.requires_python_text, &r->arena);
			pg_set_unavailable(r->pg, id, version, v->unavailable);
			return 1;
		}
	}
	if (extra)
		dep_push(&d, base, range_point(version, &r->arena));
	for (i = 0; i < md.requires_dist_len; i++) {
		const Requirement *q = &md.requires_dist[i];
		MarkerEnv env = *tenv;
		bool base_on = true, extra_on = false;

		env.extra = "";
		if (q->marker && marker_evaluate(q->marker, &env, &base_on, NULL) != 0)
			base_on = false;
		if (extra) {
			env.extra = extra;
			if (q->marker && marker_evaluate(q->marker, &env, &extra_on, NULL) != 0)
				extra_on = false;
			if (!q->marker || base_on || !extra_on)
				continue;
		} else if (!base_on) {
			continue;
		}
		/* the project is not a package of the index: its published copy there (if
		 * any) must not slip into the lock */
		if (r->project && !strcmp(q->normalized, r->project))
			reason = arena_printf(&r->arena, "depends on the project itself (%s), which"
					      " bunpy cannot lock yet", q->name);
		else if (add_requirement(ctx, r, q, &d, true, &err) != 0)
			reason = arena_printf(&r->arena, "cannot be used: %s", err.msg);
		if (reason) {
			free(d.items);
			if (!extra)   /* the version itself; an extra's own deps say nothing of it */
				v->unavailable = reason;
			pg_set_unavailable(r->pg, id, version, reason);
			return 1;
		}
	}
	remember_deps(r, id, vi, &d);
	pg_set_dependencies(r->pg, id, version, d.items, d.len);
	free(d.items);
	return 1;
}

static int
root_dependencies(RuleCtx *ctx, Resolve *r, Err *err)
{
	DepList d = { 0 };
	size_t i;

	for (i = 0; i < r->nroots; i++) {
		const Requirement *q = &r->roots[i].req;
		bool on = true;

		if (q->marker && marker_evaluate(q->marker, &r->lc->target->env, &on, err) != 0)
			goto fail;
		if (!on)
			continue;
		if (r->project && !strcmp(q->normalized, r->project)) {
			err_set(err, "%s: the project cannot depend on itself here; list the extras'"
				" requirements instead", q->name);
			goto fail;
		}
		if (add_requirement(ctx, r, q, &d, true, err) != 0)
			goto fail;
	}
	pg_set_dependencies(r->pg, PG_ROOT, r->root_version, d.items, d.len);
	free(d.items);
	return 0;
fail:
	free(d.items);
	return -1;
}

/* ---- the result --------------------------------------------------------------------- */

static cJSON *
file_json(const SimpleFile *f)
{
	cJSON *o = cJSON_CreateObject();
	const char *sha = simple_file_sha256(f);

	cJSON_AddStringToObject(o, "name", f->filename);
	cJSON_AddStringToObject(o, "url", f->url);
	if (sha)
		cJSON_AddStringToObject(o, "sha256", sha);
	if (f->size >= 0)
		cJSON_AddNumberToObject(o, "size", (double)f->size);
	if (f->upload_time)
		cJSON_AddStringToObject(o, "upload-time", f->upload_time);
	return o;
}

/* Which of the project's requirement groups reach each package: "" (the main
 * dependencies) makes a package unconditional; else the extras and groups that need it. */
static void
reach(Resolve *r, const char *category, PgPkg start, bool *seen, cJSON **reached)
{
	PgPkg *stack = xmalloc((r->npkgs + 1) * sizeof(*stack));
	size_t top = 0;

	if (seen[start])
		goto out;
	seen[start] = true;
	stack[top++] = start;
	while (top) {
		PgPkg id = stack[--top];
		PkgInfo *p = info(r, id), *b = info(r, p->base);
		const Version *v = pg_solution(r->pg, id);
		size_t vi, i;
		cJSON *list = reached[p->base];

		if (!v || !find_version(b, v, &vi))
			continue;
		if (!list)
			list = reached[p->base] = cJSON_CreateArray();
		{
			bool have = false;
			const cJSON *x;

			cJSON_ArrayForEach(x, list)
				have = have || !strcmp(x->valuestring, category);
			if (!have)
				cJSON_AddItemToArray(list, cJSON_CreateString(category));
		}
		for (i = 0; p->deps && i < p->ndeps[vi]; i++) {
			PgPkg dep = p->deps[vi][i];

			if (!seen[dep]) {
				seen[dep] = true;
				stack[top++] = dep;
			}
		}
	}
out:
	free(stack);
}

static char *
resolution_json(Resolve *r)
{
	cJSON *doc = cJSON_CreateObject(), *pkgs = cJSON_AddArrayToObject(doc, "packages");
	cJSON **reached = xcalloc(r->npkgs + 1, sizeof(*reached));
	bool *seen = xcalloc(r->npkgs + 1, sizeof(*seen));
	size_t i, k, c;
	char *out;

	/* each category separately, so each package learns every category reaching it */
	for (c = 0; c < r->nroots; c++) {
		const char *cat = r->roots[c].category;
		bool done_before = false;

		for (k = 0; k < c; k++)
			done_before = done_before || !strcmp(r->roots[k].category, cat);
		if (done_before)
			continue;
		memset(seen, 0, (r->npkgs + 1) * sizeof(*seen));
		for (k = 0; k < r->nroots; k++) {
			const Requirement *q = &r->roots[k].req;
			bool on = true;
			PgPkg id;

			if (strcmp(r->roots[k].category, cat) != 0 || q->url ||
			    (q->marker && (marker_evaluate(q->marker, &r->lc->target->env, &on, NULL) != 0 || !on)))
				continue;
			id = pg_package(r->pg, q->normalized);
			if (id < r->npkgs && pg_solution(r->pg, id)) {
				reach(r, cat, id, seen, reached);
				for (i = 0; i < q->extras_len; i++) {
					const char *e = name_normalize(q->extras[i], strlen(q->extras[i]), &r->arena);
					PgPkg x = pg_package(r->pg, arena_printf(&r->arena, "%s[%s]", q->normalized, e));

					if (x < r->npkgs)
						reach(r, cat, x, seen, reached);
				}
			}
		}
	}
	for (i = 1; i < r->npkgs; i++) {
		PkgInfo *p = info(r, i);
		const Version *v = pg_solution(r->pg, (PgPkg)i);
		cJSON *o, *wheels, *deps;
		size_t vi, f, j;
		CandVersion *ver;

		if (p->extra || !v || !(ver = find_version(p, v, &vi)))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "version", v->str);
		cJSON_AddStringToObject(o, "index", r->lc->indexes[p->index].shown);
		wheels = cJSON_AddArrayToObject(o, "wheels");
		for (f = 0; f < ver->nfiles; f++) {
			const SimpleFile *sf = ver->files[f];

			if (candidates_is_wheel(sf->filename))
				cJSON_AddItemToArray(wheels, file_json(sf));
			else if (!cJSON_GetObjectItemCaseSensitive(o, "sdist"))
				cJSON_AddItemToObject(o, "sdist", file_json(sf));
		}
		/* dependencies: the distributions this one and its chosen extras depend on */
		deps = cJSON_AddArrayToObject(o, "dependencies");
		for (j = 0; j < r->npkgs; j++) {
			PkgInfo *q = info(r, j);
			size_t d;

			if (q->base != (PgPkg)i || !pg_solution(r->pg, (PgPkg)j) || !q->deps)
				continue;
			for (d = 0; d < q->ndeps[vi]; d++) {
				PkgInfo *dep = info(r, info(r, q->deps[vi][d])->base);
				const cJSON *x;
				bool have = dep == p;

				cJSON_ArrayForEach(x, deps)
					have = have || !strcmp(x->valuestring, dep->name);
				if (!have)
					cJSON_AddItemToArray(deps, cJSON_CreateString(dep->name));
			}
		}
		if (reached[i])
			cJSON_AddItemToObject(o, "reach", reached[i]);
		else
			cJSON_AddItemToObject(o, "reach", cJSON_CreateArray());
		reached[i] = NULL;
		cJSON_AddItemToArray(pkgs, o);
	}
	for (i = 0; i <= r->npkgs; i++)
		cJSON_Delete(reached[i]);
	free(reached);
	free(seen);
	out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return out;
}

static void
explain_failure(RuleCtx *ctx, Resolve *r)
{
	Buf msg = { 0 };
	size_t i;
	bool hinted = false;

	buf_puts(&msg, "no solution: the requirements conflict\n\n");
	pg_explain(r->pg, &msg);
	while (msg.len && msg.data[msg.len - 1] == '\n')
		msg.data[--msg.len] = '\0';
	for (i = 1; i < r->npkgs; i++) {
		PkgInfo *p = info(r, i);
		size_t k;

		if (p->extra || !p->page_done || p->found)
			continue;
		buf_printf(&msg, "%shint: %s was not found on ", hinted ? "\n" : "\n\n", p->name);
		for (k = 0; k < r->lc->nindexes; k++)
			buf_printf(&msg, "%s%s", k ? (k + 1 == r->lc->nindexes ? " or " : ", ") : "",
				   r->lc->indexes[k].shown);
		buf_puts(&msg, "; is the name right, or is an index missing (--index-url, --extra-index-url, --find-links)?");
		hinted = true;
	}
	while (msg.len && msg.data[msg.len - 1] == '\n')
		msg.data[--msg.len] = '\0';
	rule_fail(ctx, 1, "%s", msg.data);
	buf_free(&msg);
}

/* ---- the rules ---------------------------------------------------------------------- */

static RuleStatus
resolve_run(RuleCtx *ctx)
{
	Resolve **state = (Resolve **)rule_state(ctx);
	LockCtx *lc = rule_user(ctx);
	Resolve *r = *state;
	Err err;

	if (!lc || !lc->target)
		return rule_fail(ctx, 1, "resolve:%s: no lock is being made", rule_key(ctx));
	if (!r) {
		const NodeValue *in = rule_need(ctx, "lock-inputs", rule_key(ctx));

		if (!in)
			return RULE_SUSPEND;
		r = *state = xcalloc(1, sizeof(*r));
		r->lc = lc;
		if (read_inputs(r, in->data, in->len, &err) != 0)
			return rule_fail(ctx, 2, "%s", err.msg);
		r->root_version = arena_alloc(&r->arena, sizeof(*r->root_version));
		if (version_parse("0", 1, &r->arena, r->root_version, &err) != 0)
			return rule_fail(ctx, 1, "%s", err.msg);
		r->tags = lockctx_tags(lc);
		r->pg = pg_new("your project", r->root_version, NULL);
		xgrow(&r->pkgs, &r->cappkgs, 1, sizeof(*r->pkgs));
		memset(r->pkgs, 0, sizeof(*r->pkgs));
		r->pkgs[0].name = "your project";
		r->npkgs = 1;
		if (root_dependencies(ctx, r, &err) != 0)
			return rule_fail(ctx, 2, "%s", err.msg);
		rule_describe(ctx, "resolving");
	}
	for (;;) {
		int rc;

		if (!r->have_req) {
			r->status = pg_solve(r->pg, &r->req);
			r->have_req = true;
		}
		switch (r->status) {
		case PG_NEED_CANDIDATES: {
			PgPkg base = info(r, r->req.pkg)->base;

			if ((rc = ensure_page(ctx, r, base)) <= 0)
				return rc == 0 ? RULE_SUSPEND : RULE_FAIL;
			if (!info(r, r->req.pkg)->candidates_set)
				set_candidates(ctx, r, r->req.pkg);
			break;
		}
		case PG_NEED_DEPENDENCIES:
			if ((rc = answer_dependencies(ctx, r, r->req.pkg, r->req.version)) <= 0)
				return rc == 0 ? RULE_SUSPEND : RULE_FAIL;
			break;
		case PG_SOLVED: {
			char *json = resolution_json(r);

			rule_set_data(ctx, json, strlen(json));
			free(json);
			return RULE_DONE;
		}
		case PG_NO_SOLUTION:
		case PG_LIMIT:
			explain_failure(ctx, r);
			return RULE_FAIL;
		}
		r->have_req = false;
	}
}

const Rule rules_resolve_rule = {
	.kind = "resolve",
	.version = 1,
	.run = resolve_run,
	.free_state = resolve_free,
};

static RuleStatus
inputs_run(RuleCtx *ctx)
{
	LockCtx *lc = rule_user(ctx);

	if (!lc || !lc->inputs)
		return rule_fail(ctx, 1, "lock-inputs:%s: no lock is being made", rule_key(ctx));
	rule_set_data(ctx, lc->inputs, lc->inputs_len);
	return RULE_DONE;
}

const Rule rules_lock_inputs_rule = {
	.kind = "lock-inputs",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = inputs_run,
};
