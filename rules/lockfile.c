/*
 * lockfile.c - the lock's inputs, pylock.toml from a resolution, requirements.txt
 * (see lockfile.h).
 */
#include "config.h"

#include "lockfile.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "engine/fs.h"
#include "engine/hash.h"
#include "packaging/name.h"
#include "packaging/toml_write.h"

/* ---- the previous lock -------------------------------------------------------------- */

static const char tool_header[] = "\n[tool.bunpy]\n";

static void
digest_text(const char *text, size_t len, char digest[LOCKFILE_DIGEST_SIZE])
{
	Digest d = hash_bytes(text, len);

	memcpy(digest, "xxh3:", 5);
	hash_hex(d.b, sizeof(d.b), digest + 5);
}

void
lockfile_content_digest(const char *text, size_t len, char digest[LOCKFILE_DIGEST_SIZE])
{
	const char *end = memmem(text, len, tool_header, sizeof(tool_header) - 1);

	digest_text(text, end ? (size_t)(end - text) + 1 : len, digest);
}

int
lockfile_previous(const char *path, Arena *arena, LockPrevious *out, Err *err)
{
	Buf text = { 0 };
	const TomlValue *d;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (fs_read_file(path, &text, NULL) != 0)
		return 0;
	if (pylock_read(text.data, text.len, path, arena, &out->lock, err) != 0) {
		buf_free(&text);
		return -1;
	}
	out->present = true;
	out->text = arena_strndup(arena, text.data, text.len);
	out->text_len = text.len;
	d = out->lock.tool ? toml_get_path(out->lock.tool, "bunpy.input-digest") : NULL;
	if (d && d->type == TOML_STRING)
		out->digest = d->u.str.ptr;
	d = out->lock.tool ? toml_get_path(out->lock.tool, "bunpy.lock-digest") : NULL;
	if (d && d->type == TOML_STRING) {
		char now[LOCKFILE_DIGEST_SIZE];

		lockfile_content_digest(text.data, text.len, now);
		out->content_ok = !strcmp(now, d->u.str.ptr);
	}
	buf_free(&text);
	out->names = arena_alloc(arena, (out->lock.packages_len + 1) * sizeof(char *));
	out->versions = arena_alloc(arena, (out->lock.packages_len + 1) * sizeof(char *));
	for (i = 0; i < out->lock.packages_len; i++) {
		const PylockPackage *pk = &out->lock.packages[i];

		if (!pk->has_version)
			continue;
		out->names[out->n] = pk->name;
		out->versions[out->n++] = pk->version.str;
	}
	return 0;
}

/* ---- inputs ------------------------------------------------------------------------- */

static void
add_req(cJSON *list, const Requirement *r, const char *category, Arena *a)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "req", requirement_format(r, a));
	cJSON_AddStringToObject(o, "for", category);
	cJSON_AddItemToArray(list, o);
}

static void
add_strings(cJSON *doc, const char *key, const PyprojectReqList *l, Arena *a)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, key);
	size_t i;

	for (i = 0; i < l->len; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(requirement_format(&l->items[i].req, a)));
}

static bool
is_self(const Pyproject *p, const Requirement *r)
{
	return p->project.present && p->project.normalized &&
	       !strcmp(r->normalized, p->project.normalized);
}

/* The requirements an extra adds to the project's own. */
static int
extra_requirements(const Pyproject *p, const char *const *extras, size_t n, size_t nmain,
		   const char *category, cJSON *list, Arena *a, Err *err)
{
	PyprojectReqList l;
	size_t i;

	if (pyproject_requirements(p, extras, n, a, &l, err) != 0)
		return -1;
	for (i = nmain; i < l.len; i++)
		add_req(list, &l.items[i].req, category, a);
	return 0;
}

static int
requirements_json(const Pyproject *p, const Target *target, cJSON *doc, Arena *a, Err *err)
{
	cJSON *list = cJSON_AddArrayToObject(doc, "requirements");
	PyprojectReqList main_reqs = { 0 }, *groups;
	size_t i, k;

	if (p->project.present && pyproject_requirements(p, NULL, 0, a, &main_reqs, err) != 0)
		return -1;
	for (i = 0; i < main_reqs.len; i++)
		add_req(list, &main_reqs.items[i].req, "", a);
	for (i = 0; i < p->project.extras_len; i++) {
		const char *e = p->project.extras[i].normalized;

		if (extra_requirements(p, &e, 1, main_reqs.len,
				       arena_printf(a, "extra:%s", e), list, a, err) != 0)
			return -1;
	}
	if (p->groups_len && pyproject_groups_expand_all(p, a, &groups, err) != 0)
		return -1;
	for (i = 0; i < p->groups_len; i++) {
		const char *cat = arena_printf(a, "group:%s", p->groups[i].normalized);

		for (k = 0; k < groups[i].len; k++) {
			const Requirement *r = &groups[i].items[k].req;

			/* "myproject[cli]" in a group: the extras' requirements, when its own
			 * marker holds for the target (it cannot be carried onto theirs) */
			if (is_self(p, r)) {
				bool on = true;

				if (r->marker && marker_evaluate(r->marker, &target->env, &on, err) != 0)
					return -1;
				if (on && extra_requirements(p, r->extras, r->extras_len, main_reqs.len, cat,
							     list, a, err) != 0)
					return -1;
				continue;
			}
			add_req(list, r, cat, a);
		}
	}
	return 0;
}

static cJSON *
index_list(const LockOptions *o, bool flat)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < o->nindexes; i++)
		if (o->indexes[i].flat == flat)
			cJSON_AddItemToArray(arr, cJSON_CreateString(o->indexes[i].shown));
	return arr;
}

int
lockfile_inputs(const Pyproject *p, const LockOptions *o, const LockPrevious *prev,
		bool upgrade_all, const char *const *upgrade, size_t nupgrade,
		Buf *json, char digest[LOCKFILE_DIGEST_SIZE], Err *err)
{
	cJSON *doc = cJSON_CreateObject(), *prefs;
	Arena a = { 0 };
	char *text;
	size_t i;
	int rc = -1;

	cJSON_AddNumberToObject(doc, "bunpy-lock-inputs", 1);
	if (p->project.present && p->project.normalized)
		cJSON_AddStringToObject(doc, "project", p->project.normalized);
	if (p->project.has_requires_python)
		cJSON_AddStringToObject(doc, "requires-python", specset_format(&p->project.requires_python, &a));
	cJSON_AddStringToObject(doc, "target", o->target->identity);
	cJSON_AddItemToObject(doc, "indexes", index_list(o, false));
	cJSON_AddItemToObject(doc, "find-links", index_list(o, true));
	if (requirements_json(p, o->target, doc, &a, err) != 0)
		goto out;
	add_strings(doc, "constraints", &p->bunpy.constraint_dependencies, &a);
	add_strings(doc, "overrides", &p->bunpy.override_dependencies, &a);
	cJSON_AddStringToObject(doc, "resolution", o->resolution);
	cJSON_AddStringToObject(doc, "prerelease", o->prerelease);
	text = cJSON_PrintUnformatted(doc);
	digest_text(text, strlen(text), digest);
	free(text);
	prefs = cJSON_AddObjectToObject(doc, "preferences");
	for (i = 0; prev && !upgrade_all && i < prev->n; i++)
		if (!name_in(prev->names[i], upgrade, nupgrade))
			cJSON_AddStringToObject(prefs, prev->names[i], prev->versions[i]);
	text = cJSON_PrintUnformatted(doc);
	buf_puts(json, text);
	free(text);
	rc = 0;
out:
	cJSON_Delete(doc);
	arena_free(&a);
	return rc;
}

/* ---- pylock.toml -------------------------------------------------------------------- */

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
file_from_json(const cJSON *o, Arena *a, PylockFile *f, Err *err)
{
	const char *sha = jstr(o, "sha256"), *up = jstr(o, "upload-time");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");

	memset(f, 0, sizeof(*f));
	f->name = arena_strdup(a, jstr(o, "name"));
	f->url = arena_strdup(a, jstr(o, "url"));
	if (!sha)
		return err_set(err, "%s: the index gives no sha256 hash, which a lock needs", f->url);
	f->hashes = arena_alloc(a, sizeof(*f->hashes));
	f->hashes[0] = (PylockHash){ "sha256", arena_strdup(a, sha) };
	f->hashes_len = 1;
	if (cJSON_IsNumber(size) && size->valuedouble >= 0) {
		f->has_size = true;
		f->size = (uint64_t)size->valuedouble;
	}
	if (up) {
		/* PEP 700's upload-time is an RFC 3339 date-time in UTC: TOML reads it */
		const char *doc = arena_printf(a, "t = %s\n", up);
		TomlValue *root;
		const TomlValue *t;

		if (!strpbrk(up, "\n\"'") && toml_parse(doc, strlen(doc), "upload-time", a, &root, NULL) == 0 &&
		    (t = toml_get(root, "t")) && t->type == TOML_DATETIME && t->u.dt.offset_minutes == 0) {
			f->has_upload_time = true;
			f->upload_time = t->u.dt;
		}
	}
	return 0;
}

/* The marker of a package only some extras or groups need. */
static Marker *
reach_marker(const cJSON *reach, Arena *a)
{
	const cJSON *x;
	Buf text = { 0 };
	Marker *m = NULL;

	cJSON_ArrayForEach(x, reach) {
		const char *c = x->valuestring;

		if (!*c) {
			buf_free(&text);
			return NULL;
		}
		if (text.len)
			buf_puts(&text, " or ");
		if (!strncmp(c, "extra:", 6))
			buf_printf(&text, "'%s' in extras", c + 6);
		else
			buf_printf(&text, "'%s' in dependency_groups", c + 6);
	}
	if (text.len)
		(void)marker_parse(text.data, text.len, a, &m, NULL);
	buf_free(&text);
	return m;
}

static void
tool_table(const LockOptions *o, const char *digest, const char *content, Arena *a, Buf *t)
{
	size_t i;

	buf_puts(t, "[bunpy]\ninput-digest = ");
	(void)toml_write_str(t, digest, strlen(digest), NULL);
	buf_puts(t, "\nlock-digest = ");
	(void)toml_write_str(t, content, strlen(content), NULL);
	buf_puts(t, "\nresolution = ");
	(void)toml_write_str(t, o->resolution, strlen(o->resolution), NULL);
	buf_puts(t, "\nprerelease = ");
	(void)toml_write_str(t, o->prerelease, strlen(o->prerelease), NULL);
	buf_puts(t, "\ntarget = ");
	(void)toml_write_str(t, o->target->identity, strlen(o->target->identity), NULL);
	buf_puts(t, "\nindexes = [");
	for (i = 0; i < o->nindexes; i++) {
		const char *s = o->indexes[i].flat ?
				arena_printf(a, "find-links:%s", o->indexes[i].shown) : o->indexes[i].shown;

		if (i)
			buf_puts(t, ", ");
		(void)toml_write_str(t, s, strlen(s), NULL);
	}
	buf_puts(t, "]\n");
}

int
lockfile_render(const Pyproject *p, const LockOptions *o, const char *digest,
		const char *resolution, size_t len, Buf *out, Err *err)
{
	cJSON *doc = cJSON_ParseWithLength(resolution, len);
	const cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(doc, "packages"), *x;
	Pylock lock = { 0 };
	Arena a = { 0 };
	Buf tool = { 0 };
	TomlValue *tool_root;
	size_t i = 0;
	int rc = -1;

	if (!cJSON_IsArray(pkgs)) {
		err_set(err, "the resolution is damaged" ERR_HINT "delete .bunpy and lock again");
		goto out;
	}
	lock.lock_version = "1.0";
	lock.created_by = "bunpy";
	if (p->project.has_requires_python) {
		lock.has_requires_python = true;
		lock.requires_python = p->project.requires_python;
	}
	lock.extras = arena_alloc(&a, (p->project.extras_len + 1) * sizeof(char *));
	for (i = 0; i < p->project.extras_len; i++)
		((const char **)lock.extras)[i] = p->project.extras[i].normalized;
	lock.extras_len = p->project.extras_len;
	lock.dependency_groups = arena_alloc(&a, (p->groups_len + 1) * sizeof(char *));
	for (i = 0; i < p->groups_len; i++)
		((const char **)lock.dependency_groups)[i] = p->groups[i].normalized;
	lock.dependency_groups_len = p->groups_len;
	lock.packages = arena_zalloc(&a, ((size_t)cJSON_GetArraySize(pkgs) + 1) * sizeof(*lock.packages));
	cJSON_ArrayForEach(x, pkgs) {
		PylockPackage *pk = &lock.packages[lock.packages_len++];
		const cJSON *w, *deps = cJSON_GetObjectItemCaseSensitive(x, "dependencies"), *d;
		const cJSON *wheels = cJSON_GetObjectItemCaseSensitive(x, "wheels");
		const cJSON *sdist = cJSON_GetObjectItemCaseSensitive(x, "sdist");
		const char *ver = jstr(x, "version");
		size_t k = 0;

		pk->name = arena_strdup(&a, jstr(x, "name"));
		pk->has_version = true;
		if (version_parse(ver, strlen(ver), &a, &pk->version, err) != 0)
			goto out;
		pk->marker = reach_marker(cJSON_GetObjectItemCaseSensitive(x, "reach"), &a);
		pk->index = arena_strdup(&a, jstr(x, "index"));
		pk->source = PYLOCK_SOURCE_DISTS;
		pk->dependencies = arena_zalloc(&a, ((size_t)cJSON_GetArraySize(deps) + 1) * sizeof(*pk->dependencies));
		cJSON_ArrayForEach(d, deps)
			pk->dependencies[pk->dependencies_len++].name = arena_strdup(&a, d->valuestring);
		pk->wheels = arena_zalloc(&a, ((size_t)cJSON_GetArraySize(wheels) + 1) * sizeof(*pk->wheels));
		cJSON_ArrayForEach(w, wheels) {
			if (file_from_json(w, &a, &pk->wheels[k++], err) != 0)
				goto out;
		}
		pk->wheels_len = k;
		if (cJSON_IsObject(sdist)) {
			pk->sdist = arena_zalloc(&a, sizeof(*pk->sdist));
			if (file_from_json(sdist, &a, pk->sdist, err) != 0)
				goto out;
		}
	}
	/* the text before [tool.bunpy] does not depend on what the table holds: write it
	 * once to learn its digest, then for good with the digest in the table */
	{
		char content[LOCKFILE_DIGEST_SIZE] = "";
		Buf first = { 0 };
		int pass;

		for (pass = 0; pass < 2; pass++) {
			buf_clear(&tool);
			tool_table(o, digest, content, &a, &tool);
			if (toml_parse(tool.data, tool.len, "[tool.bunpy]", &a, &tool_root, err) != 0) {
				buf_free(&first);
				goto out;
			}
			lock.tool = tool_root;
			if (pylock_write(&lock, pass ? out : &first, err) != 0) {
				buf_free(&first);
				goto out;
			}
			if (!pass)
				lockfile_content_digest(first.data, first.len, content);
		}
		buf_free(&first);
	}
	rc = 0;
out:
	buf_free(&tool);
	cJSON_Delete(doc);
	arena_free(&a);
	return rc;
}

/* ---- requirements.txt --------------------------------------------------------------- */

bool
lockfile_selects(const Pylock *lock, const ExportOptions *o, const MarkerEnv *target,
		 const PylockPackage *pk)
{
	static const char *const none[1] = { NULL };
	MarkerEnv env = { 0 };
	bool on = false;

	if (!pk->marker)
		return true;
	/* bunpy's own markers only ask about extras and groups (the rest of the target's
	 * environment was applied when locking); another tool's lock may ask more */
	if (target)
		env = *target;
	env.extras = o->all_extras ? lock->extras : o->extras ? o->extras : none;
	env.extras_len = o->all_extras ? lock->extras_len : o->nextras;
	env.dependency_groups = o->all_groups ? lock->dependency_groups : o->groups ? o->groups : none;
	env.dependency_groups_len = o->all_groups ? lock->dependency_groups_len : o->ngroups;
	env.extra = "";
	if (marker_evaluate(pk->marker, &env, &on, NULL) != 0)
		return true;
	return on;
}

int
lockfile_export_requirements(const Pylock *lock, const ExportOptions *o, Buf *out, Err *err)
{
	size_t i, k;

	(void)err;
	buf_puts(out, "# This file was generated by bunpy from pylock.toml (bunpy export).\n");
	for (i = 0; i < lock->packages_len; i++) {
		const PylockPackage *pk = &lock->packages[i];

		if (!pk->has_version || !lockfile_selects(lock, o, NULL, pk))
			continue;
		buf_printf(out, "%s==%s", pk->name, pk->version.str);
		if (!o->no_hashes) {
			for (k = 0; k < pk->wheels_len; k++)
				if (pylock_file_hash(&pk->wheels[k], "sha256"))
					buf_printf(out, " \\\n    --hash=sha256:%s",
						   pylock_file_hash(&pk->wheels[k], "sha256"));
			if (pk->sdist && pylock_file_hash(pk->sdist, "sha256"))
				buf_printf(out, " \\\n    --hash=sha256:%s", pylock_file_hash(pk->sdist, "sha256"));
		}
		buf_putc(out, '\n');
	}
	return 0;
}
