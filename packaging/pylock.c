/*
 * pylock.c - reading, checking and writing pylock.toml (see pylock.h).
 *
 * Choices where PEP 751 leaves room, or where tools differ:
 *  - Unknown keys are errors under lock-version 1.0 (every key is known) and warnings
 *    under a newer 1.x, as the specification asks; a major version other than 1 is an
 *    error. packaging ignores unknown keys altogether.
 *  - packages.name and the names in extras must be normalized (as packaging checks);
 *    dependency-groups and default-groups only need to be valid names and are
 *    normalized when read, since markers compare them normalized anyway.
 *  - upload-time is an offset date-time converted to UTC, or a local date-time taken to
 *    be UTC already (the specification says the time is recorded in UTC); a date or a
 *    time alone is an error. Fractions are read to the nanosecond but written to the
 *    microsecond, all that Python's datetime holds, so that tomllib reads the written
 *    file as this reader does. For the same reason a year before 0001 or a leap second
 *    (:60), which TOML allows and Python cannot hold, is refused anywhere in the file.
 *  - Hash algorithms must be lower-case names; values are hexadecimal (any case,
 *    stored lower-case), sha256 required and 64 digits long.
 *  - packages.dependencies entries must have a valid name: an entry that cannot name a
 *    package cannot say which entry it refers to.
 *  - A version is not refused for directory or vcs sources (PEP 751 says it MUST NOT be
 *    written when it cannot be guaranteed; whether it can is the locker's call).
 *  - The writer writes sources and files as inline tables, and [tool] tables as
 *    headers with their keys sorted (a TOML table has no order, so the content is the
 *    same); arrays of the lock's own data (environments, extras, groups, dependencies,
 *    attestation identities) are sorted, arrays inside tool tables keep their order.
 *  - A file's name taken from its URL is the last path component percent-decoded (as
 *    pip and uv do: "x-1.0%2Blocal-py3-none-any.whl" is "x-1.0+local-..."); one that
 *    decodes to something that cannot be a file name (a '/', '\\', NUL, "." or "..",
 *    bytes that are not UTF-8) gives no name, and the reader refuses the file.
 *
 * This file holds the lock model's rules, the reader and the writer's layout; the TOML
 * text itself is written by toml_write.c, and the tree is read through toml_doc.c.
 */
#include "config.h"

#include "pylock.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/utf8.h"
#include "ascii.h"
#include "name.h"
#include "toml_doc.h"
#include "toml_write.h"

/* ------------------------------------------------------------------ small checks */

static bool
is_hex_digit(int c, bool upper_ok)
{
	return ascii_is_digit(c) || (c >= 'a' && c <= 'f') || (upper_ok && c >= 'A' && c <= 'F');
}

static bool
is_hex(const char *s, size_t n, bool upper_ok)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_hex_digit((unsigned char)s[i], upper_ok))
			return false;
	return n > 0;
}

/* Hash algorithm names as hashlib spells them: lower-case letters, digits, '_', '-'. */
static bool
hash_alg_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(ascii_is_digit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return n > 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* Does the marker compare the variable "extra" anywhere? Lock files use "extras". */
static bool
marker_uses_extra(const Marker *m)
{
	size_t i;

	if (!m)
		return false;
	if (m->kind == MARKER_COMPARE)
		return (m->u.cmp.lhs.is_var && m->u.cmp.lhs.var == MARKER_EXTRA) ||
		       (m->u.cmp.rhs.is_var && m->u.cmp.rhs.var == MARKER_EXTRA);
	for (i = 0; i < m->u.group.len; i++)
		if (marker_uses_extra(m->u.group.items[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ reading */

static int
name_list(const TomlDoc *r, const TomlValue *v, const char *key, bool must_be_normalized,
	  const char *const **out, size_t *n)
{
	const char **items;
	size_t i;

	if (toml_doc_want(r, v, key, TOML_ARRAY, "an array of names") != 0)
		return -1;
	items = arena_alloc(r->arena, (v->u.arr.len + 1) * sizeof(*items));
	for (i = 0; i < v->u.arr.len; i++) {
		const TomlValue *it = v->u.arr.items[i];
		const char *k = toml_doc_index(r->arena, key, i), *s;

		if (toml_doc_str(r, it, k, "a name", &s) != 0)
			return -1;
		if (!name_is_valid(s, it->u.str.len))
			return toml_doc_fail(
				r, it, k,
				"%s is not a valid name (expected ASCII letters,"
				" digits, '.', '-', '_', starting and ending with a letter or"
				" digit)",
				toml_doc_quote(r->arena, s, it->u.str.len));
		if (must_be_normalized && !name_is_normalized(s, it->u.str.len))
			return toml_doc_fail(r, it, k, "%s is not normalized; expected \"%s\"",
					     toml_doc_quote(r->arena, s, it->u.str.len),
					     name_normalize(s, it->u.str.len, r->arena));
		items[i] = must_be_normalized ? s : name_normalize(s, it->u.str.len, r->arena);
	}
	items[i] = NULL;
	*out = items;
	*n = v->u.arr.len;
	return 0;
}

/*
 * Data kept as TOML (tool tables, attestation identities, dependency entries) is
 * written back as it is; the only values that could then fail to read in Python are
 * datetimes its datetime cannot hold, so those are refused here.
 */
static int
check_tree(const TomlDoc *r, const TomlValue *v, const char *key)
{
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		for (i = 0; i < v->u.table.len; i++) {
			const TomlEntry *e = &v->u.table.entries[i];

			if ((e->value->type == TOML_TABLE || e->value->type == TOML_ARRAY ||
			     e->value->type >= TOML_DATETIME) &&
			    check_tree(r, e->value,
				       toml_doc_key(r->arena, key, e->key, e->key_len)) != 0)
				return -1;
		}
		return 0;
	case TOML_ARRAY:
		for (i = 0; i < v->u.arr.len; i++) {
			const TomlValue *it = v->u.arr.items[i];

			if ((it->type == TOML_TABLE || it->type == TOML_ARRAY ||
			     it->type >= TOML_DATETIME) &&
			    check_tree(r, it, toml_doc_index(r->arena, key, i)) != 0)
				return -1;
		}
		return 0;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		if (!toml_write_datetime_python_ok(&v->u.dt, v->type))
			return toml_doc_fail(r, v, key,
					     "a year outside 0001-9999 or a leap second; expected a"
					     " date or time Python's datetime can hold");
		return 0;
	default:
		return 0;
	}
}

static int
read_marker(const TomlDoc *r, const TomlValue *v, const char *key, Marker **out)
{
	const char *s;
	Err e;

	if (toml_doc_str(r, v, key, "an environment marker", &s) != 0)
		return -1;
	if (marker_parse(s, v->u.str.len, r->arena, out, &e) != 0)
		return toml_doc_fail(r, v, key, "%s is not a valid environment marker: %s",
				     toml_doc_quote(r->arena, s, v->u.str.len), e.msg);
	if (marker_uses_extra(*out))
		return toml_doc_fail(r, v, key,
				     "%s compares \"extra\", which lock files do not define;"
				     " expected \"'name' in extras\"",
				     toml_doc_quote(r->arena, s, v->u.str.len));
	return 0;
}

static int
read_specset(const TomlDoc *r, const TomlValue *v, const char *key, SpecifierSet *out)
{
	const char *s;
	Err e;

	if (toml_doc_str(r, v, key, "a version specifier such as \">=3.9\"", &s) != 0)
		return -1;
	if (specset_parse(s, v->u.str.len, r->arena, out, &e) != 0)
		return toml_doc_fail(
			r, v, key, "%s" SPECIFIER_ERROR_PHRASE "%s",
			toml_doc_quote(r->arena, s, v->u.str.len),
			toml_doc_reason(r->arena, e.msg, SPECIFIER_ERROR_PHRASE, s, v->u.str.len));
	return 0;
}

static int
read_hashes(const TomlDoc *r, const TomlValue *v, const char *key, PylockFile *f)
{
	size_t i;
	bool sha256 = false;

	if (toml_doc_want(r, v, key, TOML_TABLE,
			  "a table of hash algorithm names to hex digests") != 0)
		return -1;
	if (v->u.table.len == 0)
		return toml_doc_fail(r, v, key, "empty; expected at least a sha256 digest");
	f->hashes = arena_zalloc(r->arena, v->u.table.len * sizeof(*f->hashes));
	f->hashes_len = v->u.table.len;
	for (i = 0; i < v->u.table.len; i++) {
		const TomlEntry *e = &v->u.table.entries[i];
		const char *k = toml_doc_key(r->arena, key, e->key, e->key_len), *s;
		char *low;
		size_t j, n;

		if (!hash_alg_ok(e->key, e->key_len))
			return toml_doc_fail(r, e->value, k,
					     "%s is not a hash algorithm name; expected a"
					     " lower-case name such as \"sha256\"",
					     toml_doc_quote(r->arena, e->key, e->key_len));
		if (toml_doc_str(r, e->value, k, "a hex digest", &s) != 0)
			return -1;
		n = e->value->u.str.len;
		if (!is_hex(s, n, true))
			return toml_doc_fail(r, e->value, k,
					     "%s is not a hex digest; expected hexadecimal"
					     " digits",
					     toml_doc_quote(r->arena, s, n));
		if (!strcmp(e->key, "sha256")) {
			if (n != 64)
				return toml_doc_fail(r, e->value, k,
						     "the sha256 digest has %zu digits;"
						     " expected 64",
						     n);
			sha256 = true;
		}
		low = arena_strndup(r->arena, s, n);
		for (j = 0; j < n; j++)
			if (low[j] >= 'A' && low[j] <= 'F')
				low[j] = (char)(low[j] - 'A' + 'a');
		f->hashes[i].alg = e->key;
		f->hashes[i].value = low;
	}
	if (!sha256)
		return toml_doc_fail(r, v, key,
				     "no sha256 digest; expected one (other algorithms may be"
				     " given too)");
	return 0;
}

typedef enum FileKind { F_SDIST, F_WHEEL, F_ARCHIVE } FileKind;

static int
read_file(TomlDoc *r, const TomlValue *t, const char *key, FileKind kind, PylockFile *f)
{
	static const char *const dist_keys[] = {
		"name", "upload-time", "url", "path", "size", "hashes", NULL
	};
	static const char *const archive_keys[] = {
		"url", "path", "size", "upload-time", "hashes", "subdirectory", NULL
	};
	const TomlValue *v;
	const char *fname;

	if (toml_doc_want(r, t, key, TOML_TABLE, "a table") != 0 ||
	    toml_doc_only_keys(r, t, key, kind == F_ARCHIVE ? archive_keys : dist_keys) != 0)
		return -1;
	memset(f, 0, sizeof(*f));
	if (kind != F_ARCHIVE && toml_doc_opt_str(r, t, key, "name", "a file name", &f->name) != 0)
		return -1;
	if (toml_doc_opt_str(r, t, key, "url", "a URL", &f->url) != 0 ||
	    toml_doc_opt_str(r, t, key, "path", "a path", &f->path) != 0)
		return -1;
	if (!f->url && !f->path)
		return toml_doc_fail(r, t, key,
				     "neither url nor path; expected at least one of them");
	if (kind == F_ARCHIVE &&
	    toml_doc_opt_str(r, t, key, "subdirectory", "a path", &f->subdirectory) != 0)
		return -1;
	if ((v = toml_get(t, "size"))) {
		const char *k = toml_doc_key(r->arena, key, "size", 4);

		if (toml_doc_want(r, v, k, TOML_INTEGER, "a size in bytes") != 0)
			return -1;
		if (v->u.integer < 0)
			return toml_doc_fail(r, v, k,
					     "%" PRId64 " is negative; expected a size in bytes",
					     v->u.integer);
		f->has_size = true;
		f->size = (uint64_t)v->u.integer;
	}
	if ((v = toml_get(t, "upload-time"))) {
		const char *k = toml_doc_key(r->arena, key, "upload-time", 11);

		if (v->type != TOML_DATETIME && v->type != TOML_DATETIME_LOCAL)
			return toml_doc_fail(r, v, k,
					     "expected a date-time in UTC (e.g."
					     " 2024-10-09T07:38:00Z), found %s",
					     toml_type_desc(v->type));
		if (!toml_write_datetime_to_utc(&v->u.dt, &f->upload_time) ||
		    !toml_write_datetime_python_ok(&f->upload_time, TOML_DATETIME))
			return toml_doc_fail(
				r, v, k,
				"the date-time in UTC falls outside the years 0001-9999"
				" or is a leap second; expected one Python's datetime can hold");
		f->has_upload_time = true;
	}
	if (!(v = toml_get(t, "hashes")))
		return toml_doc_fail(
			r, t, toml_doc_key(r->arena, key, "hashes", 6),
			"missing; expected a table of"
			" digests with at least sha256 (e.g. hashes = { sha256 = \"...\" })");
	if (read_hashes(r, v, toml_doc_key(r->arena, key, "hashes", 6), f) != 0)
		return -1;
	if (kind == F_ARCHIVE)
		return 0;
	fname = pylock_file_name(f, r->arena);
	if (!fname)
		return toml_doc_fail(r, t, key,
				     "the last path component of url %s does not decode"
				     " to a file name (it holds '/', '\\' or NUL, is \".\" or"
				     " \"..\", or is not UTF-8); expected a name key or such a url",
				     toml_doc_quote(r->arena, f->url, strlen(f->url)));
	if (!*fname)
		return toml_doc_fail(r, t, key,
				     "no file name: expected a name, or a url or path"
				     " that ends in one");
	if (kind == F_WHEEL && !ends_with(fname, ".whl"))
		return toml_doc_fail(r, t, key,
				     "%s is not a wheel file name; expected a name ending in"
				     " \".whl\"",
				     toml_doc_quote(r->arena, fname, strlen(fname)));
	if (kind == F_SDIST && !ends_with(fname, ".tar.gz") && !ends_with(fname, ".zip"))
		return toml_doc_fail(r, t, key,
				     "%s is not an sdist file name; expected a name ending in"
				     " \".tar.gz\" or \".zip\"",
				     toml_doc_quote(r->arena, fname, strlen(fname)));
	return 0;
}

static int
read_vcs(TomlDoc *r, const TomlValue *t, const char *key, PylockVcs *vcs)
{
	static const char *const keys[] = {
		"type", "url", "path", "requested-revision", "commit-id", "subdirectory", NULL
	};

	if (toml_doc_want(r, t, key, TOML_TABLE, "a table") != 0 ||
	    toml_doc_only_keys(r, t, key, keys) != 0)
		return -1;
	if (toml_doc_req_str(r, t, key, "type", "a version control system (\"git\", \"hg\", ...)",
			     &vcs->type) != 0 ||
	    toml_doc_opt_str(r, t, key, "url", "a URL", &vcs->url) != 0 ||
	    toml_doc_opt_str(r, t, key, "path", "a path", &vcs->path) != 0 ||
	    toml_doc_opt_str(r, t, key, "requested-revision", "a string",
			     &vcs->requested_revision) != 0 ||
	    toml_doc_req_str(r, t, key, "commit-id", "the exact commit to install",
			     &vcs->commit_id) != 0 ||
	    toml_doc_opt_str(r, t, key, "subdirectory", "a path", &vcs->subdirectory) != 0)
		return -1;
	if (!vcs->url && !vcs->path)
		return toml_doc_fail(r, t, key,
				     "neither url nor path; expected at least one of them");
	return 0;
}

static int
read_directory(TomlDoc *r, const TomlValue *t, const char *key, PylockDirectory *d)
{
	static const char *const keys[] = { "path", "editable", "subdirectory", NULL };
	const TomlValue *v;

	if (toml_doc_want(r, t, key, TOML_TABLE, "a table") != 0 ||
	    toml_doc_only_keys(r, t, key, keys) != 0)
		return -1;
	if (toml_doc_req_str(r, t, key, "path", "the directory's path", &d->path) != 0 ||
	    toml_doc_opt_str(r, t, key, "subdirectory", "a path", &d->subdirectory) != 0)
		return -1;
	if ((v = toml_get(t, "editable"))) {
		if (toml_doc_want(r, v, toml_doc_key(r->arena, key, "editable", 8), TOML_BOOL,
				  "true or false") != 0)
			return -1;
		d->editable = v->u.boolean;
	}
	return 0;
}

static int
read_dependencies(TomlDoc *r, const TomlValue *v, const char *key, PylockPackage *pk)
{
	size_t i, j;

	if (toml_doc_want(r, v, key, TOML_ARRAY, "an array of tables") != 0)
		return -1;
	pk->dependencies = arena_zalloc(r->arena, (v->u.arr.len + 1) * sizeof(*pk->dependencies));
	pk->dependencies_len = v->u.arr.len;
	for (i = 0; i < v->u.arr.len; i++) {
		const TomlValue *t = v->u.arr.items[i], *nv;
		const char *k = toml_doc_index(r->arena, key, i);
		PylockDep *d = &pk->dependencies[i];
		TomlValue *rest;

		if (toml_doc_want(r, t, k, TOML_TABLE, "a table such as { name = \"...\" }") != 0 ||
		    check_tree(r, t, k) != 0 ||
		    toml_doc_req_str(r, t, k, "name", "the name of the package depended on",
				     &d->name) != 0 ||
		    toml_doc_opt_str(r, t, k, "version", "a version", &d->version) != 0)
			return -1;
		nv = toml_get(t, "name");
		if (!name_is_valid(d->name, nv->u.str.len))
			return toml_doc_fail(r, nv, toml_doc_key(r->arena, k, "name", 4),
					     "%s is not a valid name",
					     toml_doc_quote(r->arena, d->name, nv->u.str.len));
		if (t->u.table.len == (size_t)(1 + (d->version != NULL)))
			continue;
		rest = arena_zalloc(r->arena, sizeof(*rest));
		rest->type = TOML_TABLE;
		rest->line = t->line;
		rest->col = t->col;
		rest->u.table.entries = arena_zalloc(r->arena, t->u.table.len * sizeof(TomlEntry));
		for (j = 0; j < t->u.table.len; j++) {
			const TomlEntry *e = &t->u.table.entries[j];

			if ((e->key_len == 4 && !memcmp(e->key, "name", 4)) ||
			    (e->key_len == 7 && !memcmp(e->key, "version", 7)))
				continue;
			rest->u.table.entries[rest->u.table.len++] = *e;
		}
		d->rest = rest;
	}
	return 0;
}

static int
read_package(TomlDoc *r, const TomlValue *t, const char *key, PylockPackage *pk)
{
	static const char *const keys[] = {
		"name", "version", "marker", "requires-python", "dependencies", "vcs",
		"directory", "archive", "index", "sdist", "wheels", "attestation-identities",
		"tool", NULL
	};
	const TomlValue *v, *nv;
	const char *s;
	size_t i, families = 0;
	Err e;

	if (toml_doc_want(r, t, key, TOML_TABLE, "a table") != 0 ||
	    toml_doc_only_keys(r, t, key, keys) != 0)
		return -1;
	memset(pk, 0, sizeof(*pk));
	pk->line = t->line;
	if (toml_doc_req_str(r, t, key, "name", "the package's normalized name", &pk->name) != 0)
		return -1;
	nv = toml_get(t, "name");
	if (!name_is_valid(pk->name, nv->u.str.len))
		return toml_doc_fail(
			r, nv, toml_doc_key(r->arena, key, "name", 4),
			"%s is not a valid name (expected"
			" ASCII letters, digits, '.', '-', '_', starting and ending with a"
			" letter or digit)",
			toml_doc_quote(r->arena, pk->name, nv->u.str.len));
	if (!name_is_normalized(pk->name, nv->u.str.len))
		return toml_doc_fail(r, nv, toml_doc_key(r->arena, key, "name", 4),
				     "%s is not normalized; expected"
				     " \"%s\"",
				     toml_doc_quote(r->arena, pk->name, nv->u.str.len),
				     name_normalize(pk->name, nv->u.str.len, r->arena));
	if ((v = toml_get(t, "version"))) {
		const char *k = toml_doc_key(r->arena, key, "version", 7);

		if (toml_doc_str(r, v, k, "a version (PEP 440)", &s) != 0)
			return -1;
		if (version_parse(s, v->u.str.len, r->arena, &pk->version, &e) != 0)
			return toml_doc_fail(r, v, k, "%s" VERSION_ERROR_PHRASE "%s",
					     toml_doc_quote(r->arena, s, v->u.str.len),
					     toml_doc_reason(r->arena, e.msg, VERSION_ERROR_PHRASE,
							     s, v->u.str.len));
		pk->has_version = true;
	}
	if ((v = toml_get(t, "marker")) &&
	    read_marker(r, v, toml_doc_key(r->arena, key, "marker", 6), &pk->marker) != 0)
		return -1;
	if ((v = toml_get(t, "requires-python"))) {
		if (read_specset(r, v, toml_doc_key(r->arena, key, "requires-python", 15),
				 &pk->requires_python) != 0)
			return -1;
		pk->has_requires_python = true;
	}
	if ((v = toml_get(t, "dependencies")) &&
	    read_dependencies(r, v, toml_doc_key(r->arena, key, "dependencies", 12), pk) != 0)
		return -1;
	if (toml_doc_opt_str(r, t, key, "index", "the URL of a simple repository", &pk->index) != 0)
		return -1;

	if ((v = toml_get(t, "vcs"))) {
		families++;
		pk->source = PYLOCK_SOURCE_VCS;
		if (read_vcs(r, v, toml_doc_key(r->arena, key, "vcs", 3), &pk->vcs) != 0)
			return -1;
	}
	if ((v = toml_get(t, "directory"))) {
		families++;
		pk->source = PYLOCK_SOURCE_DIRECTORY;
		if (read_directory(r, v, toml_doc_key(r->arena, key, "directory", 9),
				   &pk->directory) != 0)
			return -1;
	}
	if ((v = toml_get(t, "archive"))) {
		families++;
		pk->source = PYLOCK_SOURCE_ARCHIVE;
		if (read_file(r, v, toml_doc_key(r->arena, key, "archive", 7), F_ARCHIVE,
			      &pk->archive) != 0)
			return -1;
	}
	if ((v = toml_get(t, "sdist"))) {
		pk->sdist = arena_zalloc(r->arena, sizeof(*pk->sdist));
		if (read_file(r, v, toml_doc_key(r->arena, key, "sdist", 5), F_SDIST,
			      pk->sdist) != 0)
			return -1;
	}
	if ((v = toml_get(t, "wheels"))) {
		const char *k = toml_doc_key(r->arena, key, "wheels", 6);

		if (toml_doc_want(r, v, k, TOML_ARRAY, "an array of tables") != 0)
			return -1;
		pk->wheels = arena_zalloc(r->arena, (v->u.arr.len + 1) * sizeof(*pk->wheels));
		pk->wheels_len = v->u.arr.len;
		for (i = 0; i < v->u.arr.len; i++)
			if (read_file(r, v->u.arr.items[i], toml_doc_index(r->arena, k, i), F_WHEEL,
				      &pk->wheels[i]) != 0)
				return -1;
	}
	if (pk->sdist || pk->wheels_len) {
		families++;
		pk->source = PYLOCK_SOURCE_DISTS;
	}
	if (families != 1) {
		Buf found = { 0 };
		int rc;

		if (toml_get(t, "vcs"))
			buf_puts(&found, ", vcs");
		if (toml_get(t, "directory"))
			buf_puts(&found, ", directory");
		if (toml_get(t, "archive"))
			buf_puts(&found, ", archive");
		if (pk->sdist)
			buf_puts(&found, ", sdist");
		if (pk->wheels_len)
			buf_puts(&found, ", wheels");
		rc = toml_doc_fail(r, t, key,
				   "expected exactly one source: sdist and/or wheels, or vcs, or"
				   " directory, or archive; found %s",
				   families ? found.data + 2 : "none");
		buf_free(&found);
		return rc;
	}
	if ((v = toml_get(t, "attestation-identities"))) {
		const char *k = toml_doc_key(r->arena, key, "attestation-identities", 22);
		const TomlValue **items;

		if (toml_doc_want(r, v, k, TOML_ARRAY, "an array of tables") != 0)
			return -1;
		items = arena_alloc(r->arena, (v->u.arr.len + 1) * sizeof(*items));
		for (i = 0; i < v->u.arr.len; i++) {
			const char *ki = toml_doc_index(r->arena, k, i), *kind;

			items[i] = v->u.arr.items[i];
			if (toml_doc_want(r, items[i], ki, TOML_TABLE,
					  "a table with a kind") != 0 ||
			    check_tree(r, items[i], ki) != 0 ||
			    toml_doc_req_str(r, items[i], ki, "kind",
					     "the Trusted Publisher's kind", &kind) != 0)
				return -1;
		}
		pk->attestation_identities = items;
		pk->attestation_identities_len = v->u.arr.len;
	}
	if ((v = toml_get(t, "tool"))) {
		if (toml_doc_want(r, v, toml_doc_key(r->arena, key, "tool", 4), TOML_TABLE,
				  "a table") != 0 ||
		    check_tree(r, v, toml_doc_key(r->arena, key, "tool", 4)) != 0)
			return -1;
		pk->tool = v;
	}
	return 0;
}

static int
read_lock_version(TomlDoc *r, const TomlValue *root, Pylock *out)
{
	const TomlValue *v = toml_get(root, "lock-version");
	Version ver, one, two, one0;
	Err e;

	if (!v)
		return toml_doc_fail(r, root, "lock-version",
				     "missing; expected lock-version = \"1.0\"");
	if (toml_doc_str(r, v, "lock-version", "a version string such as \"1.0\"",
			 &out->lock_version) != 0)
		return -1;
	if (version_parse(out->lock_version, v->u.str.len, r->arena, &ver, &e) != 0)
		return toml_doc_fail(r, v, "lock-version",
				     "%s is not a version (PEP 440): %s;"
				     " expected \"1.0\"",
				     toml_doc_quote(r->arena, out->lock_version, v->u.str.len),
				     toml_doc_reason(r->arena, e.msg, VERSION_ERROR_PHRASE,
						     out->lock_version, v->u.str.len));
	if (version_parse("1", 1, r->arena, &one, NULL) != 0 ||
	    version_parse("2", 1, r->arena, &two, NULL) != 0 ||
	    version_parse("1.0", 3, r->arena, &one0, NULL) != 0)
		return toml_doc_fail(r, v, "lock-version", "cannot compare versions");
	if (version_cmp(&ver, &one) < 0 || version_cmp(&ver, &two) >= 0)
		return toml_doc_fail(r, v, "lock-version",
				     "%s is not supported; expected a 1.x version"
				     " (bunpy reads lock-version 1.0)",
				     toml_doc_quote(r->arena, out->lock_version, v->u.str.len));
	if (version_cmp(&ver, &one0) > 0) {
		out->newer_minor = true;
		r->lenient = true;
		toml_doc_warn(r, v, "lock-version",
			      "%s is newer than 1.0, which bunpy reads; keys it"
			      " does not know are ignored",
			      toml_doc_quote(r->arena, out->lock_version, v->u.str.len));
	}
	return 0;
}

int
pylock_read(const char *data, size_t len, const char *filename, Arena *arena, Pylock *out,
	    Err *err)
{
	static const char *const keys[] = {
		"lock-version", "environments", "requires-python", "extras", "dependency-groups",
		"default-groups", "created-by", "packages", "tool", NULL
	};
	TomlDoc r;
	TomlValue *root;
	const TomlValue *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	toml_doc_init(&r, filename, arena, err);
	if (toml_parse(data, len, filename, arena, &root, err) != 0)
		return -1;
	if (read_lock_version(&r, root, out) != 0 || toml_doc_only_keys(&r, root, "", keys) != 0)
		return -1;
	if (toml_doc_req_str(&r, root, "", "created-by", "the name of the tool that wrote the lock",
			     &out->created_by) != 0)
		return -1;
	if (!*out->created_by) {
		return toml_doc_fail(&r, toml_get(root, "created-by"), "created-by",
				     "empty;"
				     " expected the name of the tool that wrote the lock");
	}
	if ((v = toml_get(root, "requires-python"))) {
		if (read_specset(&r, v, "requires-python", &out->requires_python) != 0)
			return -1;
		out->has_requires_python = true;
	}
	if ((v = toml_get(root, "environments"))) {
		if (toml_doc_want(&r, v, "environments", TOML_ARRAY,
				  "an array of environment markers") != 0)
			return -1;
		out->has_environments = true;
		out->environments = arena_zalloc(arena, (v->u.arr.len + 1) * sizeof(Marker *));
		out->environments_len = v->u.arr.len;
		for (i = 0; i < v->u.arr.len; i++)
			if (read_marker(&r, v->u.arr.items[i],
					toml_doc_index(arena, "environments", i),
					&out->environments[i]) != 0)
				return -1;
	}
	if ((v = toml_get(root, "extras")) &&
	    name_list(&r, v, "extras", true, &out->extras, &out->extras_len) != 0)
		return -1;
	if ((v = toml_get(root, "dependency-groups")) &&
	    name_list(&r, v, "dependency-groups", false, &out->dependency_groups,
		      &out->dependency_groups_len) != 0)
		return -1;
	if ((v = toml_get(root, "default-groups")) &&
	    name_list(&r, v, "default-groups", false, &out->default_groups,
		      &out->default_groups_len) != 0)
		return -1;
	if (!(v = toml_get(root, "packages"))) {
		return toml_doc_fail(&r, root, "packages",
				     "missing; expected [[packages]] tables"
				     " (possibly packages = [])");
	}
	if (toml_doc_want(&r, v, "packages", TOML_ARRAY, "an array of tables ([[packages]])") != 0)
		return -1;
	out->packages = arena_zalloc(arena, (v->u.arr.len + 1) * sizeof(*out->packages));
	out->packages_len = v->u.arr.len;
	for (i = 0; i < v->u.arr.len; i++)
		if (read_package(&r, v->u.arr.items[i], toml_doc_index(arena, "packages", i),
				 &out->packages[i]) != 0)
			return -1;
	if ((v = toml_get(root, "tool"))) {
		if (toml_doc_want(&r, v, "tool", TOML_TABLE, "a table") != 0 ||
		    check_tree(&r, v, "tool") != 0)
			return -1;
		out->tool = v;
	}
	out->warnings = r.warnings;
	out->warnings_len = r.warnings_len;
	return 0;
}

/* ------------------------------------------------------------------ file names */

bool
pylock_is_valid_filename(const char *name)
{
	size_t n = strlen(name), i;

	if (!strcmp(name, "pylock.toml"))
		return true;
	if (n <= strlen("pylock..toml") || strncmp(name, "pylock.", 7) != 0 ||
	    !ends_with(name, ".toml"))
		return false;
	for (i = 7; i < n - 5; i++)
		if (name[i] == '.' || name[i] == '/')
			return false;
	return true;
}

static int
hex_value(int c)
{
	if (ascii_is_digit(c))
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The last path component of a URL, percent-decoded; NULL when it is not a usable name. */
static const char *
url_file_name(const char *url, Arena *arena)
{
	const char *s, *end, *slash;
	char *out;
	size_t n = 0;

	/* the URL's path: after "scheme://authority", before '?' or '#' */
	s = strstr(url, "://");
	s = s ? strchr(s + 3, '/') : url;
	if (!s)
		return "";
	end = s + strcspn(s, "?#");
	for (slash = end; slash > s && slash[-1] != '/'; slash--)
		;
	out = arena_alloc(arena, (size_t)(end - slash) + 1);
	for (s = slash; s < end; s++) {
		int hi, lo;

		/* a '%' not followed by two hex digits stays as it is (as urllib's unquote) */
		if (*s == '%' && end - s >= 3 && (hi = hex_value((unsigned char)s[1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	if (memchr(out, '\0', n) || memchr(out, '/', n) || memchr(out, '\\', n) ||
	    !strcmp(out, ".") || !strcmp(out, "..") || utf8_valid_prefix(out, n) != n)
		return NULL;
	return out;
}

const char *
pylock_file_name(const PylockFile *f, Arena *arena)
{
	if (f->name)
		return f->name;
	if (f->path) {
		const char *a = strrchr(f->path, '/'), *b = strrchr(f->path, '\\');

		if (b > a)
			a = b;
		return a ? a + 1 : f->path;
	}
	if (!f->url)
		return NULL;
	return url_file_name(f->url, arena);
}

const char *
pylock_file_hash(const PylockFile *f, const char *alg)
{
	size_t i;

	for (i = 0; i < f->hashes_len; i++)
		if (!strcmp(f->hashes[i].alg, alg))
			return f->hashes[i].value;
	return NULL;
}

/* ------------------------------------------------------------------ writing */

typedef struct W {
	Arena *a;                  /* scratch */
	Err *err;
	const char *ctx;           /* what is being written, for messages */
	int bad;
} W;

static int wfail(W *w, const char *fmt, ...) ERR_PRINTF(2, 3);

static int
wfail(W *w, const char *fmt, ...)
{
	char what[1536];
	va_list ap;

	if (w->bad)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	w->bad = 1;
	return err_set(w->err, "cannot write pylock.toml: %s: %s", w->ctx, what);
}

/*
 * A TOML string. A literal string ('...') when the text holds '"' or '\\' and could
 * be one (no "'" and no control characters), which keeps markers readable; otherwise
 * a basic string with the escapes TOML 1.0 defines.
 */
/* toml_write's failures become the writer's first error. */
static void
w_check(W *w, int rc, const Err *e)
{
	if (rc != 0)
		wfail(w, "%s", e->msg);
}

static void
w_str(W *w, Buf *b, const char *s, size_t n)
{
	Err e;

	w_check(w, toml_write_str(b, s, n, &e), &e);
}

static void
w_cstr(W *w, Buf *b, const char *s)
{
	w_str(w, b, s, strlen(s));
}

static void
w_key(W *w, Buf *b, const char *k, size_t n)
{
	Err e;

	w_check(w, toml_write_key(b, k, n, &e), &e);
}

static void
w_member(Buf *b, bool *first, const char *key)
{
	buf_puts(b, *first ? " " : ", ");
	*first = false;
	buf_puts(b, key);
	buf_puts(b, " = ");
}

/*
 * A datetime, its fraction cut to microseconds: Python's datetime (and so tomllib) keeps
 * no more, and what both parsers read back must be the same.
 */
static void
w_datetime(W *w, Buf *b, const TomlDatetime *d, TomlType t)
{
	Err e;

	w_check(w, toml_write_datetime(b, d, t, &e), &e);
}

static void
w_value(W *w, Buf *b, const TomlValue *v)
{
	Err e;

	w_check(w, toml_write_value(b, v, &e), &e);
}

static void
w_tool_table(W *w, Buf *b, const char *path, const TomlValue *t)
{
	Err e;

	w_check(w, toml_write_table(b, path, t, &e), &e);
}

/* A piece of written text and what it was written from, for sorting. */
typedef struct Item {
	const void *obj;
	char *text;
	size_t len;
	const char *sortkey;     /* compared first, when set */
} Item;

static int
cmp_items(const void *x, const void *y)
{
	const Item *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (a->sortkey && b->sortkey && (c = strcmp(a->sortkey, b->sortkey)))
		return c;
	if ((c = memcmp(a->text, b->text, n)))
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static void
items_free(Item *it, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(it[i].text);
	free(it);
}

/* A sorted array of already written values: "[a, b]" or one per line. */
static void
w_sorted(Buf *b, Item *it, size_t n, bool multiline)
{
	size_t i;

	qsort(it, n, sizeof(*it), cmp_items);
	if (n == 0) {
		buf_puts(b, "[]");
		return;
	}
	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (multiline)
			buf_puts(b, "\n    ");
		else if (i)
			buf_puts(b, ", ");
		buf_append(b, it[i].text, it[i].len);
		if (multiline)
			buf_putc(b, ',');
	}
	buf_puts(b, multiline ? "\n]" : "]");
}

static char *
take(Buf *b, size_t *len)
{
	*len = b->len;
	if (!b->data)
		return xstrdup("");
	return buf_detach(b);
}

static void
w_name_array(W *w, Buf *b, const char *key, const char *const *names, size_t n)
{
	Item *it = xcalloc(n + 1, sizeof(*it));
	size_t i;

	for (i = 0; i < n; i++) {
		Buf t = { 0 };

		if (!names[i] || !name_is_normalized(names[i], strlen(names[i])))
			wfail(w, "%s[%zu]: %s is not a normalized name", key, i,
			      names[i] ? toml_doc_quote(w->a, names[i], strlen(names[i])) : "NULL");
		else
			w_cstr(w, &t, names[i]);
		it[i].text = take(&t, &it[i].len);
	}
	buf_printf(b, "%s = ", key);
	w_sorted(b, it, n, false);
	buf_putc(b, '\n');
	items_free(it, n);
}

static void
w_marker(W *w, Buf *b, const Marker *m)
{
	char *s = marker_format(m, w->a);

	if (marker_uses_extra(m))
		wfail(w, "the marker %s compares \"extra\"; expected \"'name' in extras\"",
		      toml_doc_quote(w->a, s, strlen(s)));
	w_cstr(w, b, s);
}

static void
w_hashes(W *w, Buf *b, const PylockFile *f)
{
	Item *it;
	size_t i;
	bool sha256 = false;

	if (f->hashes_len == 0) {
		wfail(w, "a file without hashes; expected at least sha256");
		return;
	}
	it = xcalloc(f->hashes_len, sizeof(*it));
	for (i = 0; i < f->hashes_len; i++) {
		const PylockHash *h = &f->hashes[i];
		Buf t = { 0 };

		if (!h->alg || !hash_alg_ok(h->alg, strlen(h->alg)))
			wfail(w, "hash algorithm %s: expected a lower-case name",
			      h->alg ? toml_doc_quote(w->a, h->alg, strlen(h->alg)) : "NULL");
		else if (!h->value || !is_hex(h->value, strlen(h->value), false))
			wfail(w, "the %s digest is not lower-case hexadecimal", h->alg);
		else if (!strcmp(h->alg, "sha256") && strlen(h->value) != 64)
			wfail(w, "the sha256 digest has %zu digits; expected 64", strlen(h->value));
		else {
			sha256 |= !strcmp(h->alg, "sha256");
			buf_printf(&t, "%s = ", h->alg);
			w_cstr(w, &t, h->value);
		}
		it[i].text = take(&t, &it[i].len);
	}
	if (!sha256)
		wfail(w, "a file without a sha256 digest");
	qsort(it, f->hashes_len, sizeof(*it), cmp_items);
	buf_putc(b, '{');
	for (i = 0; i < f->hashes_len; i++) {
		if (i && it[i].len == it[i - 1].len &&
		    !memcmp(it[i].text, it[i - 1].text, it[i].len))
			wfail(w, "the same hash twice");
		buf_puts(b, i ? ", " : " ");
		buf_append(b, it[i].text, it[i].len);
	}
	buf_puts(b, " }");
	items_free(it, f->hashes_len);
}

static void
w_upload_time(W *w, Buf *b, const TomlDatetime *d)
{
	TomlDatetime utc;

	if (!toml_write_datetime_valid(d, TOML_DATETIME) || !toml_write_datetime_to_utc(d, &utc)) {
		wfail(w, "upload-time is not a valid date-time in the years 0001-9999");
		return;
	}
	w_datetime(w, b, &utc, TOML_DATETIME);
}

/* A file as an inline table; keys in the specification's order for its kind. */
static void
w_file(W *w, Buf *b, const PylockFile *f, FileKind kind)
{
	bool first = true;
	const char *fname;

	if (!f->url && !f->path)
		wfail(w, "a file with neither url nor path");
	if (kind != F_ARCHIVE) {
		fname = pylock_file_name(f, w->a);
		if (!fname || !*fname)
			wfail(w, "a file without a name, url or path that gives one (a url's last"
			      " component must decode to a file name)");
		else if (kind == F_WHEEL && !ends_with(fname, ".whl"))
			wfail(w, "%s is not a wheel file name",
			      toml_doc_quote(w->a, fname, strlen(fname)));
		else if (kind == F_SDIST && !ends_with(fname, ".tar.gz") &&
			 !ends_with(fname, ".zip"))
			wfail(w, "%s is not an sdist file name",
			      toml_doc_quote(w->a, fname, strlen(fname)));
	}
	if (f->has_size && f->size > INT64_MAX)
		wfail(w, "size %" PRIu64 " does not fit in a TOML integer", f->size);
	buf_putc(b, '{');
	if (kind != F_ARCHIVE) {
		if (f->name) {
			w_member(b, &first, "name");
			w_cstr(w, b, f->name);
		}
		if (f->has_upload_time) {
			w_member(b, &first, "upload-time");
			w_upload_time(w, b, &f->upload_time);
		}
	}
	if (f->url) {
		w_member(b, &first, "url");
		w_cstr(w, b, f->url);
	}
	if (f->path) {
		w_member(b, &first, "path");
		w_cstr(w, b, f->path);
	}
	if (f->has_size) {
		w_member(b, &first, "size");
		buf_printf(b, "%" PRIu64, f->size);
	}
	if (kind == F_ARCHIVE && f->has_upload_time) {
		w_member(b, &first, "upload-time");
		w_upload_time(w, b, &f->upload_time);
	}
	w_member(b, &first, "hashes");
	w_hashes(w, b, f);
	if (kind == F_ARCHIVE && f->subdirectory) {
		w_member(b, &first, "subdirectory");
		w_cstr(w, b, f->subdirectory);
	}
	buf_puts(b, " }");
}

static void
w_dependencies(W *w, Buf *b, const PylockPackage *pk)
{
	Item *it = xcalloc(pk->dependencies_len + 1, sizeof(*it));
	size_t i, j;

	for (i = 0; i < pk->dependencies_len; i++) {
		const PylockDep *d = &pk->dependencies[i];
		Buf t = { 0 };
		bool first = true;

		if (!d->name || !name_is_valid(d->name, strlen(d->name)))
			wfail(w, "dependencies[%zu]: not a valid name", i);
		buf_putc(&t, '{');
		w_member(&t, &first, "name");
		w_cstr(w, &t, d->name ? d->name : "");
		if (d->version) {
			w_member(&t, &first, "version");
			w_cstr(w, &t, d->version);
		}
		if (d->rest) {
			const TomlEntry **e;

			if (d->rest->type != TOML_TABLE) {
				wfail(w, "dependencies[%zu]: rest is not a table", i);
			} else {
				e = toml_write_sorted_entries(d->rest);
				for (j = 0; j < d->rest->u.table.len; j++) {
					if ((e[j]->key_len == 4 && !memcmp(e[j]->key, "name", 4)) ||
					    (e[j]->key_len == 7 &&
					     !memcmp(e[j]->key, "version", 7)))
						wfail(w,
						      "dependencies[%zu]: name or version in rest",
						      i);
					buf_puts(&t, ", ");
					w_key(w, &t, e[j]->key, e[j]->key_len);
					buf_puts(&t, " = ");
					w_value(w, &t, e[j]->value);
				}
				free(e);
			}
		}
		buf_puts(&t, " }");
		it[i].text = take(&t, &it[i].len);
	}
	buf_puts(b, "dependencies = ");
	w_sorted(b, it, pk->dependencies_len, true);
	buf_putc(b, '\n');
	items_free(it, pk->dependencies_len);
}

static void
w_package(W *w, Buf *b, const PylockPackage *pk)
{
	size_t i;

	w->ctx = arena_printf(w->a, "package %s",
			      pk->name ? toml_doc_quote(w->a, pk->name, strlen(pk->name))
				       : "(no name)");
	if (!pk->name || !name_is_normalized(pk->name, strlen(pk->name))) {
		wfail(w, "expected a normalized package name");
		return;
	}
	buf_puts(b, "[[packages]]\nname = ");
	w_cstr(w, b, pk->name);
	buf_putc(b, '\n');
	if (pk->has_version) {
		buf_puts(b, "version = ");
		w_cstr(w, b, pk->version.str);
		buf_putc(b, '\n');
	}
	if (pk->marker) {
		buf_puts(b, "marker = ");
		w_marker(w, b, pk->marker);
		buf_putc(b, '\n');
	}
	if (pk->has_requires_python) {
		buf_puts(b, "requires-python = ");
		w_cstr(w, b, specset_format(&pk->requires_python, w->a));
		buf_putc(b, '\n');
	}
	if (pk->dependencies_len)
		w_dependencies(w, b, pk);
	switch (pk->source) {
	case PYLOCK_SOURCE_VCS: {
		const PylockVcs *v = &pk->vcs;
		bool first = true;

		if (!v->type || !v->commit_id || (!v->url && !v->path)) {
			wfail(w, "vcs needs a type, a commit-id, and a url or path");
			break;
		}
		buf_puts(b, "vcs = {");
		w_member(b, &first, "type");
		w_cstr(w, b, v->type);
		if (v->url) {
			w_member(b, &first, "url");
			w_cstr(w, b, v->url);
		}
		if (v->path) {
			w_member(b, &first, "path");
			w_cstr(w, b, v->path);
		}
		if (v->requested_revision) {
			w_member(b, &first, "requested-revision");
			w_cstr(w, b, v->requested_revision);
		}
		w_member(b, &first, "commit-id");
		w_cstr(w, b, v->commit_id);
		if (v->subdirectory) {
			w_member(b, &first, "subdirectory");
			w_cstr(w, b, v->subdirectory);
		}
		buf_puts(b, " }\n");
		break;
	}
	case PYLOCK_SOURCE_DIRECTORY: {
		const PylockDirectory *d = &pk->directory;
		bool first = true;

		if (!d->path) {
			wfail(w, "directory needs a path");
			break;
		}
		buf_puts(b, "directory = {");
		w_member(b, &first, "path");
		w_cstr(w, b, d->path);
		if (d->editable)
			w_member(b, &first, "editable"), buf_puts(b, "true");
		if (d->subdirectory) {
			w_member(b, &first, "subdirectory");
			w_cstr(w, b, d->subdirectory);
		}
		buf_puts(b, " }\n");
		break;
	}
	case PYLOCK_SOURCE_ARCHIVE:
		buf_puts(b, "archive = ");
		w_file(w, b, &pk->archive, F_ARCHIVE);
		buf_putc(b, '\n');
		break;
	case PYLOCK_SOURCE_DISTS:
		break;
	}
	if (pk->index) {
		buf_puts(b, "index = ");
		w_cstr(w, b, pk->index);
		buf_putc(b, '\n');
	}
	if (pk->source == PYLOCK_SOURCE_DISTS) {
		if (!pk->sdist && !pk->wheels_len)
			wfail(w,
			      "no source: expected an sdist or wheels (or vcs, directory, archive)");
		if (pk->sdist) {
			buf_puts(b, "sdist = ");
			w_file(w, b, pk->sdist, F_SDIST);
			buf_putc(b, '\n');
		}
		if (pk->wheels_len) {
			Item *it = xcalloc(pk->wheels_len, sizeof(*it));

			for (i = 0; i < pk->wheels_len; i++) {
				Buf t = { 0 };

				w_file(w, &t, &pk->wheels[i], F_WHEEL);
				it[i].text = take(&t, &it[i].len);
				it[i].sortkey = pylock_file_name(&pk->wheels[i], w->a);
			}
			buf_puts(b, "wheels = ");
			w_sorted(b, it, pk->wheels_len, true);
			buf_putc(b, '\n');
			items_free(it, pk->wheels_len);
		}
	} else if (pk->sdist || pk->wheels_len) {
		wfail(w, "an sdist or wheels next to a vcs, directory or archive source");
	}
	if (pk->attestation_identities_len) {
		Item *it = xcalloc(pk->attestation_identities_len, sizeof(*it));

		for (i = 0; i < pk->attestation_identities_len; i++) {
			const TomlValue *t = pk->attestation_identities[i], *kind;
			Buf tb = { 0 };

			kind = t && t->type == TOML_TABLE ? toml_get(t, "kind") : NULL;
			if (!kind || kind->type != TOML_STRING ||
			    memchr(kind->u.str.ptr, '\0', kind->u.str.len))
				wfail(w,
				      "attestation-identities[%zu]: expected a table with a string"
				      " kind",
				      i);
			else
				w_value(w, &tb, t);
			it[i].text = take(&tb, &it[i].len);
		}
		buf_puts(b, "attestation-identities = ");
		w_sorted(b, it, pk->attestation_identities_len, true);
		buf_putc(b, '\n');
		items_free(it, pk->attestation_identities_len);
	}
	if (pk->tool) {
		if (pk->tool->type != TOML_TABLE)
			wfail(w, "tool is not a table");
		else
			w_tool_table(w, b, "packages.tool", pk->tool);
	}
}

static int
cmp_packages(const void *x, const void *y)
{
	const Item *a = x, *b = y;
	const PylockPackage *p = a->obj, *q = b->obj;
	int c = strcmp(p->name, q->name);

	if (c)
		return c;
	if (p->has_version != q->has_version)
		return p->has_version ? 1 : -1;
	if (p->has_version && (c = version_cmp(&p->version, &q->version)))
		return c;
	return cmp_items(a, b);
}

int
pylock_write(const Pylock *lock, Buf *out, Err *err)
{
	Arena scratch = { 0 };
	W w = { .a = &scratch, .err = err, .ctx = "top level" };
	Buf b = { 0 };
	Item *it;
	size_t i;
	int rc = -1;

	buf_puts(&b, "lock-version = \"1.0\"\n");
	if (lock->has_environments) {
		it = xcalloc(lock->environments_len + 1, sizeof(*it));
		for (i = 0; i < lock->environments_len; i++) {
			Buf t = { 0 };

			if (!lock->environments[i])
				wfail(&w, "environments[%zu] is NULL", i);
			else
				w_marker(&w, &t, lock->environments[i]);
			it[i].text = take(&t, &it[i].len);
		}
		buf_puts(&b, "environments = ");
		w_sorted(&b, it, lock->environments_len, false);
		buf_putc(&b, '\n');
		items_free(it, lock->environments_len);
	}
	if (lock->has_requires_python) {
		buf_puts(&b, "requires-python = ");
		w_cstr(&w, &b, specset_format(&lock->requires_python, &scratch));
		buf_putc(&b, '\n');
	}
	w_name_array(&w, &b, "extras", lock->extras, lock->extras_len);
	w_name_array(&w, &b, "dependency-groups", lock->dependency_groups,
		     lock->dependency_groups_len);
	w_name_array(&w, &b, "default-groups", lock->default_groups, lock->default_groups_len);
	if (!lock->created_by || !*lock->created_by)
		wfail(&w, "created-by is missing");
	else {
		buf_puts(&b, "created-by = ");
		w_cstr(&w, &b, lock->created_by);
		buf_putc(&b, '\n');
	}

	if (lock->packages_len == 0)
		buf_puts(&b, "packages = []\n");
	it = xcalloc(lock->packages_len + 1, sizeof(*it));
	for (i = 0; i < lock->packages_len && !w.bad; i++) {
		Buf t = { 0 };

		w_package(&w, &t, &lock->packages[i]);
		it[i].obj = &lock->packages[i];
		it[i].text = take(&t, &it[i].len);
	}
	if (!w.bad) {
		qsort(it, lock->packages_len, sizeof(*it), cmp_packages);
		for (i = 0; i < lock->packages_len; i++) {
			buf_putc(&b, '\n');
			buf_append(&b, it[i].text, it[i].len);
		}
	}
	items_free(it, lock->packages_len);
	if (!w.bad && lock->tool) {
		w.ctx = "tool";
		if (lock->tool->type != TOML_TABLE)
			wfail(&w, "expected a table");
		else
			w_tool_table(&w, &b, "tool", lock->tool);
	}
	if (!w.bad) {
		buf_append(out, b.data, b.len);
		rc = 0;
	}
	buf_free(&b);
	arena_free(&scratch);
	return rc;
}
