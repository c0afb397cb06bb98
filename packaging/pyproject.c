/*
 * pyproject.c - reading pyproject.toml (see pyproject.h).
 *
 * The TOML tree is walked once, table by table; every check fails with the file, the
 * position of the value and its dotted key, so that a user can go straight to it.
 * Choices where the specifications leave room, or where tools differ:
 *  - Unknown keys in [project] are errors (a misspelt "dependancies" must not silently
 *    drop the dependencies); unknown keys in [build-system] and [tool.bunpy] are
 *    ignored, as pip does for the former and because other parts of bunpy own further
 *    [tool.bunpy] keys (tasks).
 *  - readme/license/authors/... are type-checked only, except that a readme path must
 *    end in .md or .rst (case-insensitive) for its content type to be known: another
 *    is an error, as the specification says (a table with content-type is the way).
 *  - A field listed twice in dynamic is an error.
 *  - A self-reference with a version specifier ("myproj[cli]>=2") is checked against
 *    the project's own version and then expanded like one without; a specifier the
 *    version does not satisfy, or one next to a dynamic version, is an error. The
 *    specifier is never silently dropped.
 *  - pyproject_requirements refuses dynamic dependencies (and dynamic
 *    optional-dependencies when extras are asked for): the build backend has them.
 *  - Script names may not contain '/' or '\\' (they become file names) and follow the
 *    entry-point name rules (no '=', no surrounding white space, no leading '[').
 *  - Group and extra names must be valid names (PEP 685, PEP 735); packaging only
 *    normalizes group names without checking them.
 *
 * The tree is read through toml_doc.c, which builds the located messages.
 */
#include "config.h"

#include "pyproject.h"

#include "ascii.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/buf.h"
#include "name.h"
#include "toml_doc.h"

#define LEGACY_BACKEND "setuptools.build_meta:__legacy__"
#define LEGACY_REQUIRES "setuptools>=40.8.0"

/* ------------------------------------------------------------------ typed getters */

static int
get_str_list(TomlDoc *p, const TomlValue *v, const char *key, const char *expected,
	     PyprojectStrList *out)
{
	return toml_doc_str_array(p, v, key, expected, &out->items, &out->len);
}


static int
parse_req(TomlDoc *p, const TomlValue *v, const char *key, PyprojectReq *out)
{
	const char *s;
	Err e;

	if (toml_doc_str(p, v, key, "a requirement string (PEP 508)", &s) != 0)
		return -1;
	if (requirement_parse(s, v->u.str.len, p->arena, &out->req, &e) != 0)
		return toml_doc_fail(p, v, key, "%s is not a valid requirement: %s",
				     toml_doc_quote(p->arena, s, v->u.str.len), e.msg);
	out->text = s;
	out->line = v->line;
	out->col = v->col;
	return 0;
}

static int
parse_req_list(TomlDoc *p, const TomlValue *v, const char *key, PyprojectReqList *out)
{
	size_t i;

	if (toml_doc_want(p, v, key, TOML_ARRAY, "an array of requirement strings (PEP 508)") != 0)
		return -1;
	out->items = arena_zalloc(p->arena, (v->u.arr.len + 1) * sizeof(*out->items));
	out->len = v->u.arr.len;
	for (i = 0; i < v->u.arr.len; i++)
		if (parse_req(p, v->u.arr.items[i], toml_doc_index(p->arena, key, i),
			      &out->items[i]) != 0)
			return -1;
	return 0;
}

/* Keys of t must be among allowed (NULL-terminated). */

/* ------------------------------------------------------------------ name indexes */

static int
cmp_name_only(const void *x, const void *y)
{
	return strcmp(((const PyprojectNameRef *)x)->normalized,
		      ((const PyprojectNameRef *)y)->normalized);
}

static int
cmp_nameref(const void *x, const void *y)
{
	const PyprojectNameRef *a = x, *b = y;
	int c = strcmp(a->normalized, b->normalized);

	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Sort refs by name. When some names repeat, *dup is the first (in document order) that
 * repeats an earlier one and *first the earliest it repeats, as a check of each name
 * against those before it would find; comparing every pair took seconds at 20,000.
 */
static bool
sort_names(PyprojectNameRef *refs, size_t n, size_t *dup, size_t *first)
{
	size_t i;
	bool found = false;

	qsort(refs, n, sizeof(*refs), cmp_nameref);
	for (i = 1; i < n; i++) {
		/* the second of a run of equal names: the run's earliest repetition */
		if (strcmp(refs[i].normalized, refs[i - 1].normalized) != 0 ||
		    (i >= 2 && !strcmp(refs[i - 1].normalized, refs[i - 2].normalized)))
			continue;
		if (!found || refs[i].index < *dup) {
			*dup = refs[i].index;
			*first = refs[i - 1].index;
			found = true;
		}
	}
	return found;
}

/* The index of the entry named name (compared normalized), or (size_t)-1. */
static size_t
find_name(const PyprojectNameRef *sorted, size_t n, const char *name, size_t len)
{
	PyprojectNameRef key;
	const PyprojectNameRef *hit;
	char *norm;

	if (!sorted || memchr(name, '\0', len))
		return (size_t)-1;
	norm = xmalloc(len + 1);
	norm[name_normalize_into(name, len, norm)] = '\0';
	key.normalized = norm;
	key.index = 0;
	/* names are unique (duplicates are refused when read): compare names alone */
	hit = bsearch(&key, sorted, n, sizeof(*sorted), cmp_name_only);
	free(norm);
	return hit ? hit->index : (size_t)-1;
}

/* ------------------------------------------------------------------ object references */

static bool
ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
ident_char(unsigned char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* A dotted Python name ("pkg.mod"); returns the bytes used, 0 when there is none. */
static size_t
dotted_name(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i >= n || !ident_start((unsigned char)s[i]))
			return 0;
		while (i < n && ident_char((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == '.') {
			i++;
			continue;
		}
		return i;
	}
}

static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/*
 * "module", "module:qualname", and for entry points an optional "[extras]" after
 * (deprecated, still accepted), white space allowed around ':' and '[' as
 * importlib.metadata allows.
 */
static bool
object_ref_ok(const char *s, size_t n, bool extras)
{
	size_t i = 0, k;

	if ((k = dotted_name(s, n)) == 0)
		return false;
	i = skip_ws(s, k, n);
	if (i < n && s[i] == ':') {
		i = skip_ws(s, i + 1, n);
		if ((k = dotted_name(s + i, n - i)) == 0)
			return false;
		i = skip_ws(s, i + k, n);
	}
	if (extras && i < n && s[i] == '[') {
		const char *close = memchr(s + i, ']', n - i);

		if (!close)
			return false;
		i = skip_ws(s, (size_t)(close - s) + 1, n);
	}
	return i == n;
}

/* Entry point names: no '=', no white space at either end, not starting with '['. */
static bool
entry_name_ok(const char *s, size_t n, bool file_name)
{
	if (n == 0 || s[0] == '[' || memchr(s, '=', n) || memchr(s, '\0', n))
		return false;
	if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[0] == '\n' || s[n - 1] == '\n')
		return false;
	if (file_name && (memchr(s, '/', n) || memchr(s, '\\', n)))
		return false;
	return true;
}

/* ------------------------------------------------------------------ [project] */

static const char *const project_keys[] = {
	"name", "version", "description", "readme", "requires-python", "license",
	"license-files", "authors", "maintainers", "keywords", "classifiers", "urls",
	"scripts", "gui-scripts", "entry-points", "dependencies", "optional-dependencies",
	"import-names", "import-namespaces", "dynamic", NULL
};

/* Keys a backend may still add to when they are given statically too (list/table keys). */
static const char *const appendable_keys[] = {
	"authors", "classifiers", "dependencies", "entry-points", "gui-scripts",
	"import-names", "import-namespaces", "keywords", "license-files", "maintainers",
	"optional-dependencies", "scripts", "urls", NULL
};

static bool
in_list(const char *const *list, const char *s, size_t n)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == n && !memcmp(list[i], s, n))
			return true;
	return false;
}

static int
parse_entries(TomlDoc *p, const TomlValue *v, const char *key, bool scripts,
	      PyprojectEntryList *out)
{
	size_t i;

	if (toml_doc_want(p, v, key, TOML_TABLE,
			  "a table of names to object references (\"module:function\")") != 0)
		return -1;
	out->items = arena_zalloc(p->arena, (v->u.table.len + 1) * sizeof(*out->items));
	out->len = v->u.table.len;
	for (i = 0; i < v->u.table.len; i++) {
		const TomlEntry *e = &v->u.table.entries[i];
		const char *k = toml_doc_key(p->arena, key, e->key, e->key_len);
		PyprojectEntry *pe = &out->items[i];

		if (!entry_name_ok(e->key, e->key_len, scripts))
			return toml_doc_fail(
				p, e->value, k,
				"%s is not a usable %s name (expected no '='%s,"
				" no white space at either end, not starting with '[')",
				toml_doc_quote(p->arena, e->key, e->key_len),
				scripts ? "script" : "entry point", scripts ? ", '/' or '\\'" : "");
		if (toml_doc_str(p, e->value, k, "an object reference (\"module:function\")",
				 &pe->value) != 0)
			return -1;
		if (!object_ref_ok(pe->value, e->value->u.str.len, true))
			return toml_doc_fail(
				p, e->value, k,
				"%s is not an object reference; expected"
				" \"module\" or \"module:attribute\" (dotted Python names)",
				toml_doc_quote(p->arena, pe->value, e->value->u.str.len));
		pe->name = e->key;
		pe->line = e->value->line;
		pe->col = e->value->col;
	}
	return 0;
}

static int
parse_entry_points(TomlDoc *p, const TomlValue *v, PyprojectProject *pr)
{
	const char *key = "project.entry-points";
	size_t i;

	if (toml_doc_want(p, v, key, TOML_TABLE, "a table of entry-point groups") != 0)
		return -1;
	pr->entry_points = arena_zalloc(p->arena, (v->u.table.len + 1) * sizeof(*pr->entry_points));
	pr->entry_points_len = v->u.table.len;
	for (i = 0; i < v->u.table.len; i++) {
		const TomlEntry *e = &v->u.table.entries[i];
		const char *k = toml_doc_key(p->arena, key, e->key, e->key_len);

		if (!strcmp(e->key, "console_scripts") || !strcmp(e->key, "gui_scripts"))
			return toml_doc_fail(p, e->value, k,
					     "not allowed here; expected [project.%s] instead",
					     e->key[0] == 'c' ? "scripts" : "gui-scripts");
		if (!entry_name_ok(e->key, e->key_len, false))
			return toml_doc_fail(p, e->value, k,
					     "%s is not a usable entry-point group name",
					     toml_doc_quote(p->arena, e->key, e->key_len));
		pr->entry_points[i].group = e->key;
		if (parse_entries(p, e->value, k, false, &pr->entry_points[i].entries) != 0)
			return -1;
	}
	return 0;
}

static int
parse_extras(TomlDoc *p, const TomlValue *v, PyprojectProject *pr)
{
	const char *key = "project.optional-dependencies";
	PyprojectNameRef *sorted;
	size_t i, dup, first;

	if (toml_doc_want(p, v, key, TOML_TABLE,
			  "a table of extra names to arrays of requirement strings") != 0)
		return -1;
	pr->extras = arena_zalloc(p->arena, (v->u.table.len + 1) * sizeof(*pr->extras));
	pr->extras_len = v->u.table.len;
	sorted = arena_alloc(p->arena, (v->u.table.len + 1) * sizeof(*sorted));
	for (i = 0; i < v->u.table.len; i++) {
		const TomlEntry *e = &v->u.table.entries[i];
		PyprojectExtra *x = &pr->extras[i];

		if (!name_is_valid(e->key, e->key_len))
			return toml_doc_fail(p, e->value,
					     toml_doc_key(p->arena, key, e->key, e->key_len),
					     "%s is not a valid extra name (expected ASCII letters,"
					     " digits, '.', '-', '_', starting and ending with a"
					     " letter or digit)",
					     toml_doc_quote(p->arena, e->key, e->key_len));
		x->name = e->key;
		x->normalized = name_normalize(e->key, e->key_len, p->arena);
		x->line = e->value->line;
		x->col = e->value->col;
		sorted[i].normalized = x->normalized;
		sorted[i].index = i;
	}
	if (sort_names(sorted, pr->extras_len, &dup, &first)) {
		const PyprojectExtra *x = &pr->extras[dup], *y = &pr->extras[first];

		return toml_doc_fail(
			p, v->u.table.entries[dup].value,
			toml_doc_key(p->arena, key, x->name, strlen(x->name)),
			"extra %s is the same as %s (line %u) once normalized (\"%s\");"
			" expected each extra once",
			toml_doc_quote(p->arena, x->name, strlen(x->name)),
			toml_doc_quote(p->arena, y->name, strlen(y->name)), y->line, x->normalized);
	}
	pr->extras_sorted = sorted;
	for (i = 0; i < v->u.table.len; i++) {
		const TomlEntry *e = &v->u.table.entries[i];

		if (parse_req_list(p, e->value, toml_doc_key(p->arena, key, e->key, e->key_len),
				   &pr->extras[i].deps) != 0)
			return -1;
	}
	return 0;
}

static int
parse_people(TomlDoc *p, const TomlValue *v, const char *key, PyprojectPerson **out,
	     size_t *n)
{
	static const char *const person_keys[] = { "name", "email", NULL };
	size_t i;

	if (toml_doc_want(p, v, key, TOML_ARRAY,
			  "an array of {name = ..., email = ...} tables") != 0)
		return -1;
	*out = arena_zalloc(p->arena, (v->u.arr.len + 1) * sizeof(**out));
	*n = v->u.arr.len;
	for (i = 0; i < v->u.arr.len; i++) {
		const TomlValue *t = v->u.arr.items[i], *f;
		const char *k = toml_doc_index(p->arena, key, i);

		if (toml_doc_want(p, t, k, TOML_TABLE, "a {name = ..., email = ...} table") != 0 ||
		    toml_doc_only_keys(p, t, k, person_keys) != 0)
			return -1;
		if ((f = toml_get(t, "name")) &&
		    toml_doc_str(p, f, toml_doc_key(p->arena, k, "name", 4), "a string",
				 &(*out)[i].name) != 0)
			return -1;
		if ((f = toml_get(t, "email")) &&
		    toml_doc_str(p, f, toml_doc_key(p->arena, k, "email", 5), "a string",
				 &(*out)[i].email) != 0)
			return -1;
	}
	return 0;
}

static bool
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && ascii_equal_fold(s + n - m, suffix, m);
}

static int
parse_readme(TomlDoc *p, const TomlValue *v, PyprojectProject *pr)
{
	static const char *const readme_keys[] = { "file", "text", "content-type", NULL };
	const char *key = "project.readme";
	const TomlValue *f, *t, *ct;

	if (v->type == TOML_STRING) {
		if (toml_doc_str(p, v, key, "a file path", &pr->readme_file) != 0)
			return -1;
		if (ends_with_ci(pr->readme_file, ".md"))
			pr->readme_content_type = "text/markdown";
		else if (ends_with_ci(pr->readme_file, ".rst"))
			pr->readme_content_type = "text/x-rst";
		else
			return toml_doc_fail(
				p, v, key,
				"%s ends in neither .md nor .rst, so its"
				" content type is unknown; expected such a path, or a"
				" table with file and content-type (e.g. { file = %s,"
				" content-type = \"text/plain\" })",
				toml_doc_quote(p->arena, pr->readme_file, v->u.str.len),
				toml_doc_quote(p->arena, pr->readme_file, v->u.str.len));
		return 0;
	}
	if (v->type != TOML_TABLE)
		return toml_doc_fail(p, v, key,
				     "expected a file path or a table with file or text and"
				     " content-type, found %s",
				     toml_type_desc(v->type));
	if (toml_doc_only_keys(p, v, key, readme_keys) != 0)
		return -1;
	f = toml_get(v, "file");
	t = toml_get(v, "text");
	ct = toml_get(v, "content-type");
	if ((f != NULL) == (t != NULL))
		return toml_doc_fail(p, v, key, "expected exactly one of file and text, found %s",
				     f ? "both" : "neither");
	if (f && toml_doc_str(p, f, "project.readme.file", "a file path", &pr->readme_file) != 0)
		return -1;
	if (t && toml_doc_str(p, t, "project.readme.text", "a string", &pr->readme_text) != 0)
		return -1;
	if (!ct)
		return toml_doc_fail(p, v, "project.readme.content-type",
				     "missing; expected a content type"
				     " such as \"text/markdown\"");
	return toml_doc_str(p, ct, "project.readme.content-type",
			    "a content type such as"
			    " \"text/markdown\"",
			    &pr->readme_content_type);
}

static int
parse_license(TomlDoc *p, const TomlValue *v, PyprojectProject *pr)
{
	static const char *const license_keys[] = { "file", "text", NULL };
	const TomlValue *f, *t;

	if (v->type == TOML_STRING)
		return toml_doc_str(p, v, "project.license", "an SPDX license expression",
				    &pr->license_expression);
	if (v->type != TOML_TABLE)
		return toml_doc_fail(p, v, "project.license",
				     "expected an SPDX license expression (or the"
				     " legacy table with file or text), found %s",
				     toml_type_desc(v->type));
	if (toml_doc_only_keys(p, v, "project.license", license_keys) != 0)
		return -1;
	f = toml_get(v, "file");
	t = toml_get(v, "text");
	if ((f != NULL) == (t != NULL))
		return toml_doc_fail(p, v, "project.license",
				     "expected exactly one of file and text,"
				     " found %s",
				     f ? "both" : "neither");
	if (f)
		return toml_doc_str(p, f, "project.license.file", "a file path", &pr->license_file);
	return toml_doc_str(p, t, "project.license.text", "a string", &pr->license_text);
}

static int
parse_dynamic(TomlDoc *p, const TomlValue *proj, const TomlValue *v, PyprojectProject *pr)
{
	size_t i, j;

	if (get_str_list(p, v, "project.dynamic", "an array of [project] field names",
			 &pr->dynamic) != 0)
		return -1;
	for (i = 0; i < pr->dynamic.len; i++) {
		const TomlValue *item = v->u.arr.items[i], *stat;
		const char *f = pr->dynamic.items[i];
		size_t n = item->u.str.len;
		const char *k = toml_doc_index(p->arena, "project.dynamic", i);

		if (!strcmp(f, "name"))
			return toml_doc_fail(p, item, k,
					     "\"name\" may never be dynamic; expected it given"
					     " statically as project.name");
		if (!in_list(project_keys, f, n) || !strcmp(f, "dynamic"))
			return toml_doc_fail(
				p, item, k,
				"%s is not a [project] field; expected one of"
				" version, description, readme, requires-python, license,"
				" license-files, authors, maintainers, keywords, classifiers,"
				" urls, scripts, gui-scripts, entry-points, dependencies,"
				" optional-dependencies, import-names, import-namespaces",
				toml_doc_quote(p->arena, f, n));
		/* at most 19 names are valid, so this loop is short before it finds a repeat */
		for (j = 0; j < i; j++)
			if (!strcmp(pr->dynamic.items[j], f))
				return toml_doc_fail(
					p, item, k,
					"%s is listed twice (also at"
					" project.dynamic[%zu]); expected each field once",
					toml_doc_quote(p->arena, f, n), j);
		if ((stat = toml_get(proj, f)) && !in_list(appendable_keys, f, n))
			return toml_doc_fail(
				p, item, k,
				"%s is also given statically (line %u); expected"
				" either a value or an entry in dynamic, not both (only list and"
				" table fields may be both)",
				toml_doc_quote(p->arena, f, n), stat->line);
	}
	return 0;
}

static int
parse_project(TomlDoc *p, const TomlValue *proj, PyprojectProject *pr)
{
	const TomlValue *v;
	Err e;

	if (toml_doc_want(p, proj, "project", TOML_TABLE, "a table") != 0 ||
	    toml_doc_only_keys(p, proj, "project", project_keys) != 0)
		return -1;
	pr->present = true;
	pr->line = proj->line;
	pr->col = proj->col;

	if (!(v = toml_get(proj, "name")))
		return toml_doc_fail(p, proj, "project.name",
				     "missing; expected the project's name (it"
				     " may never be dynamic)");
	if (toml_doc_str(p, v, "project.name", "a project name", &pr->name) != 0)
		return -1;
	if (!name_is_valid(pr->name, v->u.str.len))
		return toml_doc_fail(
			p, v, "project.name",
			"%s is not a valid project name (expected ASCII"
			" letters, digits, '.', '-', '_', starting and ending with a letter or"
			" digit)",
			toml_doc_quote(p->arena, pr->name, v->u.str.len));
	pr->normalized = name_normalize(pr->name, v->u.str.len, p->arena);

	/* dynamic first: whether version may be missing depends on it */
	if ((v = toml_get(proj, "dynamic")) && parse_dynamic(p, proj, v, pr) != 0)
		return -1;

	if ((v = toml_get(proj, "version"))) {
		const char *s;

		if (toml_doc_str(p, v, "project.version", "a version string (PEP 440)", &s) != 0)
			return -1;
		if (version_parse(s, v->u.str.len, p->arena, &pr->version, &e) != 0)
			return toml_doc_fail(p, v, "project.version",
					     "%s" VERSION_ERROR_PHRASE "%s",
					     toml_doc_quote(p->arena, s, v->u.str.len),
					     toml_doc_reason(p->arena, e.msg, VERSION_ERROR_PHRASE,
							     s, v->u.str.len));
		pr->has_version = true;
	} else {
		size_t i;
		bool dyn = false;

		for (i = 0; i < pr->dynamic.len; i++)
			dyn |= !strcmp(pr->dynamic.items[i], "version");
		if (!dyn)
			return toml_doc_fail(p, proj, "project.version",
					     "missing; expected a version string,"
					     " or \"version\" listed in project.dynamic");
	}

	if ((v = toml_get(proj, "requires-python"))) {
		if (toml_doc_str(p, v, "project.requires-python",
				 "a version specifier such as"
				 " \">=3.9\"",
				 &pr->requires_python_text) != 0)
			return -1;
		if (specset_parse(pr->requires_python_text, v->u.str.len, p->arena,
				  &pr->requires_python, &e) != 0)
			return toml_doc_fail(
				p, v, "project.requires-python", "%s" SPECIFIER_ERROR_PHRASE "%s",
				toml_doc_quote(p->arena, pr->requires_python_text, v->u.str.len),
				toml_doc_reason(p->arena, e.msg, SPECIFIER_ERROR_PHRASE,
						pr->requires_python_text, v->u.str.len));
		pr->has_requires_python = true;
	}
	if ((v = toml_get(proj, "dependencies")) &&
	    parse_req_list(p, v, "project.dependencies", &pr->dependencies) != 0)
		return -1;
	if ((v = toml_get(proj, "optional-dependencies")) && parse_extras(p, v, pr) != 0)
		return -1;
	if ((v = toml_get(proj, "scripts")) &&
	    parse_entries(p, v, "project.scripts", true, &pr->scripts) != 0)
		return -1;
	if ((v = toml_get(proj, "gui-scripts")) &&
	    parse_entries(p, v, "project.gui-scripts", true, &pr->gui_scripts) != 0)
		return -1;
	if ((v = toml_get(proj, "entry-points")) && parse_entry_points(p, v, pr) != 0)
		return -1;

	if ((v = toml_get(proj, "description")) &&
	    toml_doc_str(p, v, "project.description", "a one-line summary string",
			 &pr->description) != 0)
		return -1;
	if ((v = toml_get(proj, "readme")) && parse_readme(p, v, pr) != 0)
		return -1;
	if ((v = toml_get(proj, "license")) && parse_license(p, v, pr) != 0)
		return -1;
	if ((v = toml_get(proj, "license-files")) &&
	    get_str_list(p, v, "project.license-files", "an array of glob patterns",
			 &pr->license_files) != 0)
		return -1;
	if ((v = toml_get(proj, "authors")) &&
	    parse_people(p, v, "project.authors", &pr->authors, &pr->authors_len) != 0)
		return -1;
	if ((v = toml_get(proj, "maintainers")) &&
	    parse_people(p, v, "project.maintainers", &pr->maintainers, &pr->maintainers_len) != 0)
		return -1;
	if ((v = toml_get(proj, "keywords")) &&
	    get_str_list(p, v, "project.keywords", "an array of strings", &pr->keywords) != 0)
		return -1;
	if ((v = toml_get(proj, "classifiers")) &&
	    get_str_list(p, v, "project.classifiers", "an array of strings",
			 &pr->classifiers) != 0)
		return -1;
	if ((v = toml_get(proj, "import-names")) &&
	    get_str_list(p, v, "project.import-names", "an array of strings",
			 &pr->import_names) != 0)
		return -1;
	if ((v = toml_get(proj, "import-namespaces")) &&
	    get_str_list(p, v, "project.import-namespaces", "an array of strings",
			 &pr->import_namespaces) != 0)
		return -1;
	if ((v = toml_get(proj, "urls"))) {
		size_t i;

		if (toml_doc_want(p, v, "project.urls", TOML_TABLE,
				  "a table of labels to URLs") != 0)
			return -1;
		pr->urls.items =
			arena_zalloc(p->arena, (v->u.table.len + 1) * sizeof(*pr->urls.items));
		pr->urls.len = v->u.table.len;
		for (i = 0; i < v->u.table.len; i++) {
			const TomlEntry *u = &v->u.table.entries[i];

			pr->urls.items[i].name = u->key;
			pr->urls.items[i].line = u->value->line;
			pr->urls.items[i].col = u->value->col;
			if (toml_doc_str(p, u->value,
					 toml_doc_key(p->arena, "project.urls", u->key, u->key_len),
					 "a URL string", &pr->urls.items[i].value) != 0)
				return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ [build-system] */

/* An in-tree directory: relative, and not climbing out with "..". */
static bool
in_tree_path(const char *s, size_t n)
{
	size_t i = 0;
	int depth = 0;

	if (n == 0 || s[0] == '/' || s[0] == '\\' || (n >= 2 && s[1] == ':'))
		return false;
	while (i < n) {
		size_t j = i;

		while (j < n && s[j] != '/' && s[j] != '\\')
			j++;
		if (j - i == 2 && s[i] == '.' && s[i + 1] == '.') {
			if (--depth < 0)
				return false;
		} else if (j - i > 0 && !(j - i == 1 && s[i] == '.')) {
			depth++;
		}
		i = j + 1;
	}
	return true;
}

static int
parse_build_system(TomlDoc *p, const TomlValue *bs, PyprojectBuildSystem *out)
{
	const TomlValue *v;
	size_t i;

	if (!bs) {
		out->requires.items = arena_zalloc(p->arena, sizeof(*out->requires.items));
		out->requires.len = 1;
		out->requires.items[0].text = LEGACY_REQUIRES;
		if (requirement_parse(LEGACY_REQUIRES, strlen(LEGACY_REQUIRES), p->arena,
				      &out->requires.items[0].req, p->err) != 0)
			return -1;
		out->backend = LEGACY_BACKEND;
		return 0;
	}
	if (toml_doc_want(p, bs, "build-system", TOML_TABLE, "a table") != 0)
		return -1;
	out->present = true;
	out->line = bs->line;
	out->col = bs->col;
	if (!(v = toml_get(bs, "requires")))
		return toml_doc_fail(p, bs, "build-system.requires",
				     "missing; expected an array of the"
				     " requirements needed to build (e.g. [\"setuptools>=61\"])");
	if (parse_req_list(p, v, "build-system.requires", &out->requires) != 0)
		return -1;
	out->backend = LEGACY_BACKEND;
	if ((v = toml_get(bs, "build-backend"))) {
		if (toml_doc_str(p, v, "build-system.build-backend",
				 "an object reference"
				 " (\"module\" or \"module:object\")",
				 &out->backend) != 0)
			return -1;
		if (!object_ref_ok(out->backend, v->u.str.len, false))
			return toml_doc_fail(
				p, v, "build-system.build-backend",
				"%s is not an object"
				" reference; expected \"module\" or \"module:object\" (dotted"
				" Python names)",
				toml_doc_quote(p->arena, out->backend, v->u.str.len));
		out->backend_given = true;
	}
	if ((v = toml_get(bs, "backend-path"))) {
		if (get_str_list(p, v, "build-system.backend-path", "an array of directories"
				 " inside the project", &out->backend_path) != 0)
			return -1;
		for (i = 0; i < out->backend_path.len; i++) {
			const TomlValue *item = v->u.arr.items[i];

			if (!in_tree_path(item->u.str.ptr, item->u.str.len))
				return toml_doc_fail(
					p, item,
					toml_doc_index(p->arena, "build-system.backend-path", i),
					"%s is not inside the project; expected a relative"
					" directory that does not climb out with \"..\"",
					toml_doc_quote(p->arena, item->u.str.ptr, item->u.str.len));
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ [dependency-groups] */

static int
parse_groups(TomlDoc *p, const TomlValue *dg, Pyproject *out)
{
	const char *key = "dependency-groups";
	PyprojectNameRef *sorted;
	size_t i, dup, first;

	if (toml_doc_want(p, dg, key, TOML_TABLE, "a table of group names to arrays") != 0)
		return -1;
	out->groups = arena_zalloc(p->arena, (dg->u.table.len + 1) * sizeof(*out->groups));
	out->groups_len = dg->u.table.len;
	sorted = arena_alloc(p->arena, (dg->u.table.len + 1) * sizeof(*sorted));
	for (i = 0; i < dg->u.table.len; i++) {
		const TomlEntry *e = &dg->u.table.entries[i];
		PyprojectGroup *g = &out->groups[i];

		if (!name_is_valid(e->key, e->key_len))
			return toml_doc_fail(p, e->value,
					     toml_doc_key(p->arena, key, e->key, e->key_len),
					     "%s is not a valid group name (expected ASCII letters,"
					     " digits, '.', '-', '_', starting and ending with a"
					     " letter or digit)",
					     toml_doc_quote(p->arena, e->key, e->key_len));
		g->name = e->key;
		g->normalized = name_normalize(e->key, e->key_len, p->arena);
		g->value = e->value;
		sorted[i].normalized = g->normalized;
		sorted[i].index = i;
	}
	if (sort_names(sorted, out->groups_len, &dup, &first)) {
		const PyprojectGroup *g = &out->groups[dup], *h = &out->groups[first];

		return toml_doc_fail(p, g->value,
				     toml_doc_key(p->arena, key, g->name, strlen(g->name)),
				     "group %s is the same as %s (line %u) once normalized"
				     " (\"%s\"); expected each group once",
				     toml_doc_quote(p->arena, g->name, strlen(g->name)),
				     toml_doc_quote(p->arena, h->name, strlen(h->name)),
				     h->value->line, g->normalized);
	}
	out->groups_sorted = sorted;
	return 0;
}

/* ------------------------------------------------------------------ [tool.bunpy] */

static int
parse_enum(TomlDoc *p, const TomlValue *v, const char *key, const char *const *names,
	   int *out)
{
	const char *s;
	Buf list = { 0 };
	size_t i;
	int rc;

	if (toml_doc_str(p, v, key, "a string", &s) != 0)
		return -1;
	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], s)) {
			*out = (int)i + 1;
			return 0;
		}
	for (i = 0; names[i]; i++)
		buf_printf(&list, "%s\"%s\"", i ? ", " : "", names[i]);
	rc = toml_doc_fail(p, v, key, "%s is not a known value; expected one of %s",
			   toml_doc_quote(p->arena, s, v->u.str.len), list.data);
	buf_free(&list);
	return rc;
}

static int
parse_bunpy(TomlDoc *p, const TomlValue *root, PyprojectBunpy *out)
{
	static const char *const prerelease_names[] = {
		"disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit", NULL
	};
	static const char *const resolution_names[] = {
		"highest", "lowest", "lowest-direct", NULL
	};
	static const char *const link_mode_names[] = { "clone", "hardlink", "copy", NULL };
	const TomlValue *tool = toml_get(root, "tool"), *b, *v;
	int e;

	if (!tool)
		return 0;
	if (toml_doc_want(p, tool, "tool", TOML_TABLE, "a table of tool tables") != 0)
		return -1;
	if (!(b = toml_get(tool, "bunpy")))
		return 0;
	if (toml_doc_want(p, b, "tool.bunpy", TOML_TABLE, "a table") != 0)
		return -1;
	out->table = b;
	if ((v = toml_get(b, "index-url"))) {
		if (toml_doc_str(p, v, "tool.bunpy.index-url", "a URL string",
				 &out->index_url) != 0)
			return -1;
		if (!*out->index_url)
			return toml_doc_fail(
				p, v, "tool.bunpy.index-url",
				"empty; expected the URL of a"
				" simple repository (e.g. \"https://pypi.org/simple\")");
	}
	if ((v = toml_get(b, "extra-index-url")) &&
	    get_str_list(p, v, "tool.bunpy.extra-index-url", "an array of URL strings",
			 &out->extra_index_urls) != 0)
		return -1;
	if ((v = toml_get(b, "find-links")) &&
	    get_str_list(p, v, "tool.bunpy.find-links", "an array of URLs or directories",
			 &out->find_links) != 0)
		return -1;
	if ((v = toml_get(b, "constraint-dependencies")) &&
	    parse_req_list(p, v, "tool.bunpy.constraint-dependencies",
			   &out->constraint_dependencies) != 0)
		return -1;
	if ((v = toml_get(b, "override-dependencies")) &&
	    parse_req_list(p, v, "tool.bunpy.override-dependencies",
			   &out->override_dependencies) != 0)
		return -1;
	if ((v = toml_get(b, "prerelease"))) {
		if (parse_enum(p, v, "tool.bunpy.prerelease", prerelease_names, &e) != 0)
			return -1;
		out->prerelease = (PyprojectPrerelease)e;
	}
	if ((v = toml_get(b, "resolution"))) {
		if (parse_enum(p, v, "tool.bunpy.resolution", resolution_names, &e) != 0)
			return -1;
		out->resolution = (PyprojectResolution)e;
	}
	if ((v = toml_get(b, "link-mode"))) {
		if (parse_enum(p, v, "tool.bunpy.link-mode", link_mode_names, &e) != 0)
			return -1;
		out->link_mode = (PyprojectLinkMode)e;
	}
	if ((v = toml_get(b, "package"))) {
		if (toml_doc_want(p, v, "tool.bunpy.package", TOML_BOOL, "true or false") != 0)
			return -1;
		out->package = v->u.boolean ? PYPROJECT_PACKAGE_YES : PYPROJECT_PACKAGE_NO;
	}
	return 0;
}

/* ------------------------------------------------------------------ the document */

int
pyproject_parse(const char *data, size_t len, const char *filename, Arena *arena,
		Pyproject *out, Err *err)
{
	TomlDoc p;
	TomlValue *root;
	const TomlValue *v;

	memset(out, 0, sizeof(*out));
	toml_doc_init(&p, filename, arena, err);
	out->filename = filename;
	if (toml_parse(data, len, filename, arena, &root, err) != 0)
		return -1;
	out->root = root;
	if ((v = toml_get(root, "project")) && parse_project(&p, v, &out->project) != 0)
		return -1;
	if (parse_build_system(&p, toml_get(root, "build-system"), &out->build_system) != 0)
		return -1;
	if ((v = toml_get(root, "dependency-groups")) && parse_groups(&p, v, out) != 0)
		return -1;
	return parse_bunpy(&p, root, &out->bunpy);
}

bool
pyproject_is_dynamic(const Pyproject *p, const char *field)
{
	size_t i;

	for (i = 0; i < p->project.dynamic.len; i++)
		if (!strcmp(p->project.dynamic.items[i], field))
			return true;
	return false;
}

const PyprojectGroup *
pyproject_group_find(const Pyproject *p, const char *name)
{
	size_t g = find_name(p->groups_sorted, p->groups_len, name, strlen(name));

	return g == (size_t)-1 ? NULL : &p->groups[g];
}

/* ------------------------------------------------------------------ group expansion */

/*
 * Expansion has two passes. The first walks the include graph from the requested group
 * with an explicit stack (a file may chain thousands of groups), checks each group it
 * reaches once, parses its requirements once, detects cycles, and computes how long
 * each group's expansion is (saturating past the limit); includes of empty groups are
 * dropped. The second pass writes the expansion out, so the work is proportional to
 * the document plus the output: a ladder of groups that each include the one below
 * twice is neither exponential to walk (when empty) nor copied at every rung.
 */

enum { G_NEW, G_ACTIVE, G_DONE };

typedef struct GItem {
	size_t target;             /* an include (of a non-empty group), or (size_t)-1 */
	PyprojectReq req;
} GItem;

typedef struct GInfo {
	GItem *items;
	size_t n;
	size_t len;                /* expansion length, at most PYPROJECT_GROUP_MAX + 1 */
	unsigned char state;
} GInfo;

typedef struct Frame {
	size_t group;
	size_t item;
} Frame;

typedef struct Expander {
	const Pyproject *pp;
	TomlDoc p;
	GInfo *info;
	Frame *stack;
	size_t depth;
	size_t emitted;            /* requirements written out by this expander */
} Expander;

static size_t
group_index(const Pyproject *pp, const char *name, size_t n)
{
	return find_name(pp->groups_sorted, pp->groups_len, name, n);
}

static const char *
group_key(const Expander *x, size_t g)
{
	const char *name = x->pp->groups[g].name;

	return toml_doc_key(x->p.arena, "dependency-groups", name, strlen(name));
}

static void
add_len(GInfo *gi, size_t n)
{
	gi->len += n;
	if (gi->len > PYPROJECT_GROUP_MAX)
		gi->len = PYPROJECT_GROUP_MAX + 1;
}

static int
push(Expander *x, size_t g)
{
	const TomlValue *v = x->pp->groups[g].value;

	if (v->type != TOML_ARRAY)
		return toml_doc_fail(&x->p, v, group_key(x, g),
				     "expected an array of requirement strings"
				     " and {include-group = \"name\"} tables, found %s",
				     toml_type_desc(v->type));
	x->info[g].state = G_ACTIVE;
	x->info[g].items = arena_alloc(x->p.arena, (v->u.arr.len + 1) * sizeof(GItem));
	x->stack[x->depth].group = g;
	x->stack[x->depth++].item = 0;
	return 0;
}

static int
cycle_error(Expander *x, size_t target, const TomlValue *at, const char *key)
{
	Buf path = { 0 };
	size_t i, from = 0;
	int rc;

	for (i = 0; i < x->depth; i++)
		if (x->stack[i].group == target)
			from = i;
	for (i = from; i < x->depth; i++)
		buf_printf(&path, "%s -> ", x->pp->groups[x->stack[i].group].name);
	buf_puts(&path, x->pp->groups[target].name);
	rc = toml_doc_fail(&x->p, at, key,
			   "include-group makes a cycle: %s; expected groups that do"
			   " not include themselves",
			   path.data);
	buf_free(&path);
	return rc;
}

static void
add_include(GInfo *gi, size_t target, const GInfo *ti)
{
	if (ti->len == 0)
		return;
	gi->items[gi->n].target = target;
	gi->n++;
	add_len(gi, ti->len);
}

/* One step of the first pass on the top frame: an item handled, or the frame finished. */
static int
step(Expander *x)
{
	Frame *f = &x->stack[x->depth - 1];
	GInfo *gi = &x->info[f->group];
	const TomlValue *arr = x->pp->groups[f->group].value, *item, *inc;
	const char *key;
	size_t target;

	if (f->item == arr->u.arr.len) {
		size_t done = f->group;

		gi->state = G_DONE;
		if (--x->depth > 0)
			add_include(&x->info[x->stack[x->depth - 1].group], done, gi);
		return 0;
	}
	item = arr->u.arr.items[f->item];
	key = toml_doc_index(x->p.arena, group_key(x, f->group), f->item);
	f->item++;
	if (item->type == TOML_STRING) {
		GItem *it = &gi->items[gi->n];

		if (parse_req(&x->p, item, key, &it->req) != 0)
			return -1;
		it->target = (size_t)-1;
		gi->n++;
		add_len(gi, 1);
		return 0;
	}
	if (item->type != TOML_TABLE || item->u.table.len != 1 ||
	    item->u.table.entries[0].key_len != strlen("include-group") ||
	    strcmp(item->u.table.entries[0].key, "include-group") != 0)
		return toml_doc_fail(&x->p, item, key,
				     "expected a requirement string or a table of exactly"
				     " {include-group = \"name\"}, found %s",
				     item->type == TOML_TABLE ? "a table with other keys"
							      : toml_type_desc(item->type));
	inc = item->u.table.entries[0].value;
	key = toml_doc_key(x->p.arena, key, "include-group", strlen("include-group"));
	if (toml_doc_want(&x->p, inc, key, TOML_STRING, "the name of a group") != 0)
		return -1;
	target = group_index(x->pp, inc->u.str.ptr, inc->u.str.len);
	if (target == (size_t)-1)
		return toml_doc_fail(&x->p, inc, key,
				     "no group named %s; expected one of the groups in"
				     " [dependency-groups]",
				     toml_doc_quote(x->p.arena, inc->u.str.ptr, inc->u.str.len));
	if (x->info[target].state == G_DONE) {
		add_include(gi, target, &x->info[target]);
		return 0;
	}
	if (x->info[target].state == G_ACTIVE)
		return cycle_error(x, target, inc, key);
	return push(x, target);
}

static int
analyse(Expander *x, size_t g)
{
	if (x->info[g].state == G_DONE)
		return 0;
	if (push(x, g) != 0)
		return -1;
	while (x->depth > 0)
		if (step(x) != 0)
			return -1;
	return 0;
}

/* The second pass: the expansion of an analysed group, written out in order. */
static int
emit(Expander *x, size_t g, PyprojectReqList *out)
{
	const GInfo *gi = &x->info[g];
	const TomlValue *v = x->pp->groups[g].value;

	if (gi->len > PYPROJECT_GROUP_MAX)
		return toml_doc_fail(&x->p, v, group_key(x, g),
				     "the group expands to more than %d"
				     " requirements; expected fewer (are includes repeated?)",
				     PYPROJECT_GROUP_MAX);
	if ((x->emitted += gi->len) > 10 * (size_t)PYPROJECT_GROUP_MAX)
		return toml_doc_fail(&x->p, v, group_key(x, g),
				     "the groups expand to more than %d"
				     " requirements in all; expected fewer",
				     10 * PYPROJECT_GROUP_MAX);
	out->items = arena_alloc(x->p.arena, (gi->len + 1) * sizeof(PyprojectReq));
	out->len = 0;
	x->depth = 0;
	x->stack[x->depth].group = g;
	x->stack[x->depth++].item = 0;
	while (x->depth > 0) {
		Frame *f = &x->stack[x->depth - 1];
		const GInfo *fi = &x->info[f->group];
		const GItem *it;

		if (f->item == fi->n) {
			x->depth--;
			continue;
		}
		it = &fi->items[f->item++];
		if (it->target == (size_t)-1) {
			out->items[out->len++] = it->req;
		} else {
			x->stack[x->depth].group = it->target;
			x->stack[x->depth++].item = 0;
		}
	}
	return 0;
}

static void
expander_init(Expander *x, const Pyproject *pp, Arena *arena, Err *err)
{
	memset(x, 0, sizeof(*x));
	x->pp = pp;
	toml_doc_init(&x->p, pp->filename, arena, err);
	x->info = xcalloc(pp->groups_len + 1, sizeof(*x->info));
	x->stack = xcalloc(pp->groups_len + 1, sizeof(*x->stack));
}

static void
expander_free(Expander *x)
{
	free(x->info);
	free(x->stack);
}

int
pyproject_group_expand(const Pyproject *p, const char *name, Arena *arena,
		       PyprojectReqList *out, Err *err)
{
	const TomlValue *dg = p->root ? toml_get(p->root, "dependency-groups") : NULL;
	size_t g = group_index(p, name, strlen(name));
	Expander x;
	int rc;

	if (g == (size_t)-1) {
		Buf names = { 0 };
		size_t i;

		for (i = 0; i < p->groups_len && i < 20; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", p->groups[i].name);
		if (p->groups_len > 20)
			buf_printf(&names, ", ... (%zu in all)", p->groups_len);
		toml_doc_init(&x.p, p->filename, arena, err);
		rc = toml_doc_fail(
			&x.p, dg, "dependency-groups", "no group named %s; expected %s%s",
			toml_doc_quote(arena, name, strlen(name)),
			p->groups_len ? "one of: " : "a [dependency-groups] table with it",
			p->groups_len ? names.data : "");
		buf_free(&names);
		return rc;
	}
	expander_init(&x, p, arena, err);
	rc = analyse(&x, g);
	if (rc == 0)
		rc = emit(&x, g, out);
	expander_free(&x);
	return rc;
}

int
pyproject_groups_expand_all(const Pyproject *p, Arena *arena, PyprojectReqList **out,
			    Err *err)
{
	Expander x;
	size_t g;
	int rc = 0;

	expander_init(&x, p, arena, err);
	*out = arena_zalloc(arena, (p->groups_len + 1) * sizeof(**out));
	for (g = 0; g < p->groups_len && rc == 0; g++)
		if ((rc = analyse(&x, g)) == 0)
			rc = emit(&x, g, &(*out)[g]);
	expander_free(&x);
	return rc;
}

/* ------------------------------------------------------------------ extras */

/*
 * A path of self-references that comes back to an extra being expanded adds nothing:
 * markers only grow along a path (joined with "and"), so the extra's requirements are
 * already there under a weaker marker. Apart from that, an extra is expanded once per
 * distinct marker: without a marker (asked for directly, or named without one) noted
 * per extra, under a marker looked up among at most EXTRA_CONTEXTS_MAX combinations,
 * the limit of what self-references may multiply.
 */
#define EXTRA_CONTEXTS_MAX 1024

typedef struct Seen {
	size_t extra;
	const char *marker;        /* canonical text of the marker it was expanded under */
} Seen;

typedef struct XState {
	const Pyproject *pp;
	TomlDoc d;
	Buf out;                   /* PyprojectReq records */
	Seen *seen;
	size_t nseen, capseen;
	bool *on_path;             /* per extra: being expanded on the current path */
	bool *plain;               /* per extra: expanded without a marker */
} XState;

/*
 * When [project] field is listed in project.dynamic, its value comes from the build
 * backend: pyproject.toml does not hold it (or not all of it), and only running the
 * backend tells.
 */
static int
dynamic_fail(XState *x, const char *field, const char *what)
{
	const TomlValue *dyn = toml_get(toml_get(x->pp->root, "project"), "dynamic");
	size_t i;

	for (i = 0; dyn && dyn->type == TOML_ARRAY && i < dyn->u.arr.len; i++) {
		const TomlValue *it = dyn->u.arr.items[i];

		if (it->type == TOML_STRING && !strcmp(it->u.str.ptr, field))
			return toml_doc_fail(
				&x->d, it, toml_doc_index(x->d.arena, "project.dynamic", i),
				"\"%s\" is dynamic: the project's metadata comes from its"
				" build backend, which has to be asked for %s (PEP 517"
				" prepare_metadata_for_build_wheel); expected them listed"
				" statically to read them from %s",
				field, what, x->pp->filename);
	}
	return toml_doc_fail(&x->d, NULL, "project.dynamic",
			     "\"%s\" is dynamic: the build"
			     " backend has to be asked for %s",
			     field, what);
}

/*
 * A self-reference with a version specifier ("myproj[cli]>=2"): the project itself is
 * what would satisfy it, so the specifier is checked against the project's own version
 * and then the extras are expanded as usual. A specifier the version does not satisfy
 * could never be installed, and one next to a dynamic version cannot be checked: both
 * are errors rather than a silently dropped constraint.
 */
static int
check_self_spec(XState *x, const PyprojectReq *r, const char *key)
{
	const PyprojectProject *pr = &x->pp->project;
	SpecCandidate c;

	if (!pr->has_version)
		return toml_doc_fail_at(
			&x->d, r->line, r->col, key,
			"%s puts a version specifier on"
			" the project itself, whose version is dynamic, so it cannot be"
			" checked; expected no specifier (\"%s[...]\")",
			toml_doc_quote(x->d.arena, r->text, strlen(r->text)), r->req.name);
	c.version = &pr->version;
	c.raw = pr->version.str;
	c.raw_len = pr->version.str_len;
	if (!specset_contains(&r->req.spec, &c, PRERELEASES_DEFAULT, false))
		return toml_doc_fail_at(
			&x->d, r->line, r->col, key,
			"%s asks for a version of the"
			" project itself that its version %s does not satisfy; expected"
			" a specifier that %s satisfies, or none",
			toml_doc_quote(x->d.arena, r->text, strlen(r->text)), pr->version.str,
			pr->version.str);
	return 0;
}

static int expand_extra(XState *x, size_t e, Marker *outer, const PyprojectReq *via,
			const char *via_key);

/* Append deps (written at base[i]) under the marker outer. */
static int
add_reqs(XState *x, const PyprojectReqList *deps, const char *base, Marker *outer)
{
	const PyprojectProject *pr = &x->pp->project;
	Arena *a = x->d.arena;
	size_t i, j;

	for (i = 0; i < deps->len; i++) {
		const PyprojectReq *r = &deps->items[i];
		PyprojectReq copy;

		if (!r->req.url && !strcmp(r->req.normalized, pr->normalized)) {
			Marker *m = marker_combine(MARKER_AND, outer, r->req.marker, a);
			const char *key = toml_doc_index(a, base, i);

			if (r->req.spec.len && check_self_spec(x, r, key) != 0)
				return -1;
			if (r->req.extras_len &&
			    pyproject_is_dynamic(x->pp, "optional-dependencies"))
				return dynamic_fail(x, "optional-dependencies",
						    "the requirements of"
						    " its extras");
			for (j = 0; j < r->req.extras_len; j++) {
				const char *name = r->req.extras[j];
				size_t e = find_name(pr->extras_sorted, pr->extras_len, name,
						     strlen(name));

				if (e == (size_t)-1)
					return toml_doc_fail_at(
						&x->d, r->line, r->col, key,
						"%s names the extra %s, which"
						" project.optional-dependencies does"
						" not define",
						toml_doc_quote(a, r->text, strlen(r->text)),
						toml_doc_quote(a, name, strlen(name)));
				if (expand_extra(x, e, m, r, key) != 0)
					return -1;
			}
			continue;
		}
		if (x->out.len / sizeof(PyprojectReq) >= PYPROJECT_GROUP_MAX)
			return toml_doc_fail_at(&x->d, r->line, r->col, toml_doc_index(a, base, i),
						"the extras expand to more than %d requirements;"
						" expected fewer",
						PYPROJECT_GROUP_MAX);
		copy = *r;
		copy.req.marker = marker_combine(MARKER_AND, outer, r->req.marker, a);
		buf_append(&x->out, &copy, sizeof(copy));
	}
	return 0;
}

static int
expand_extra(XState *x, size_t e, Marker *outer, const PyprojectReq *via, const char *via_key)
{
	const PyprojectExtra *ex = &x->pp->project.extras[e];
	const char *m = outer ? marker_format(outer, x->d.arena) : "";
	size_t i;
	int rc;

	if (x->on_path[e])
		return 0;
	if (!*m) {
		if (x->plain[e])
			return 0;
		x->plain[e] = true;
	} else {
		for (i = 0; i < x->nseen; i++)
			if (x->seen[i].extra == e && !strcmp(x->seen[i].marker, m))
				return 0;
		if (x->nseen >= EXTRA_CONTEXTS_MAX) {
			if (via)
				return toml_doc_fail_at(
					&x->d, via->line, via->col, via_key,
					"self-referencing extras make more than %d"
					" combinations of extra and marker; expected"
					" fewer",
					EXTRA_CONTEXTS_MAX);
			return toml_doc_fail_at(&x->d, ex->line, ex->col,
						"project.optional-dependencies",
						"more than %d"
						" combinations of extra and marker; expected fewer",
						EXTRA_CONTEXTS_MAX);
		}
		xgrow(&x->seen, &x->capseen, x->nseen + 1, sizeof(*x->seen));
		x->seen[x->nseen].extra = e;
		x->seen[x->nseen++].marker = m;
	}
	x->on_path[e] = true;
	rc = add_reqs(x, &ex->deps,
		      toml_doc_key(x->d.arena, "project.optional-dependencies", ex->name,
				   strlen(ex->name)),
		      outer);
	x->on_path[e] = false;
	return rc;
}

int
pyproject_requirements(const Pyproject *p, const char *const *extras, size_t n, Arena *arena,
		       PyprojectReqList *out, Err *err)
{
	const PyprojectProject *pr = &p->project;
	XState x = { .pp = p };
	size_t i, e;
	int rc = 0;

	toml_doc_init(&x.d, p->filename, arena, err);
	if (!pr->present)
		return toml_doc_fail(&x.d, NULL, "project", "missing; expected a [project] table");
	if (pyproject_is_dynamic(p, "dependencies"))
		return dynamic_fail(&x, "dependencies", "the project's requirements");
	if (n && pyproject_is_dynamic(p, "optional-dependencies"))
		return dynamic_fail(&x, "optional-dependencies", "the requirements of its extras");
	x.on_path = xcalloc(pr->extras_len + 1, sizeof(*x.on_path));
	x.plain = xcalloc(pr->extras_len + 1, sizeof(*x.plain));
	rc = add_reqs(&x, &pr->dependencies, "project.dependencies", NULL);
	for (i = 0; i < n && rc == 0; i++) {
		e = find_name(pr->extras_sorted, pr->extras_len, extras[i], strlen(extras[i]));
		if (e == (size_t)-1) {
			Buf names = { 0 };
			size_t j;

			for (j = 0; j < pr->extras_len && j < 20; j++)
				buf_printf(&names, "%s%s", j ? ", " : "", pr->extras[j].name);
			if (pr->extras_len > 20)
				buf_printf(&names, ", ... (%zu in all)", pr->extras_len);
			rc = toml_doc_fail_at(
				&x.d, pr->line, pr->col, "project.optional-dependencies",
				"no extra named %s; expected %s%s",
				toml_doc_quote(arena, extras[i], strlen(extras[i])),
				pr->extras_len ? "one of: " : "an extra defined there",
				pr->extras_len ? names.data : "");
			buf_free(&names);
			break;
		}
		rc = expand_extra(&x, e, NULL, NULL, NULL);
	}
	if (rc == 0) {
		out->len = x.out.len / sizeof(PyprojectReq);
		out->items = arena_alloc(arena, x.out.len + sizeof(PyprojectReq));
		if (x.out.len)
			memcpy(out->items, x.out.data, x.out.len);
	}
	buf_free(&x.out);
	free(x.seen);
	free(x.on_path);
	free(x.plain);
	return rc;
}
