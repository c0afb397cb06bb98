/*
 * test_pyproject_edit.c - unit tests of the pyproject.toml editor (packaging/pyproject_edit.c).
 *
 * The round trip runs over every file of tests/fixtures/pyprojects (poetry-, hatch-,
 * setuptools-, pdm-, uv- and flit-shaped, with comments in and after arrays, CRLF,
 * tabs, single-quoted and multi-line strings, missing and empty arrays and tables,
 * unicode) and over each kind of array: adding must leave every byte outside the array
 * alone (or, when the array is created, only insert), the parsed array must hold the
 * old items in order with the new one among them, and removing it again must give back
 * the original bytes; replacing an entry changes only that entry. Then the style of
 * what is written (indentation, quotes, commas, line endings, sorted places) is checked
 * on chosen files, and the errors name FILE:LINE:COL and the key.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/fs.h"
#include "packaging/name.h"
#include "packaging/pyproject_edit.h"
#include "packaging/requirement.h"
#include "packaging/toml.h"

#define FILE_NAME "pyproject.toml"

typedef struct Kind {
	PyprojectArray which;
	const char *name;
} Kind;

static const Kind kinds[] = {
	{ PYPROJECT_ARRAY_DEPENDENCIES, NULL },
	{ PYPROJECT_ARRAY_OPTIONAL, "cli" },
	{ PYPROJECT_ARRAY_OPTIONAL, "docs" },
	{ PYPROJECT_ARRAY_OPTIONAL, "Extra_One" },
	{ PYPROJECT_ARRAY_GROUP, "dev" },
	{ PYPROJECT_ARRAY_GROUP, "lint" },
	{ PYPROJECT_ARRAY_GROUP, "docs" },
};

/* Requirements added in turn: last and first place in sorted arrays, then the middle,
 * with an extra and a marker holding both quote characters. */
static const char *const additions[] = {
	"zzz-new>=1.0",
	"AAA_New",
	"mmm.new[fast]>=2; python_version >= '3.8' and sys_platform != \"win32\"",
	"pkg @ https://example.com/pkg-1.0-py3-none-any.whl",
};

/* Creating a key in an inline table is refused, not attempted. */
static bool
refusal_expected(const char *file, const Kind *k)
{
	return strstr(file, "20-inline-optional") && k->which == PYPROJECT_ARRAY_OPTIONAL &&
	       strcmp(k->name, "cli") != 0;
}

static size_t
common_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	while (i < an && i < bn && a[i] == b[i])
		i++;
	return i;
}

static size_t
common_suffix(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	while (i < an && i < bn && a[an - 1 - i] == b[bn - 1 - i])
		i++;
	return i;
}

/* The array's strings as parsed (NULL entries for include tables); NULL when absent. */
static const TomlValue *
parsed_array(const char *text, size_t len, const Kind *k, Arena *a)
{
	TomlValue *root;
	const TomlValue *t;
	Err err;

	if (toml_parse(text, len, FILE_NAME, a, &root, &err) != 0)
		fail_msg("the result does not parse: %s\n%.*s", err.msg, (int)len, text);
	if (k->which == PYPROJECT_ARRAY_DEPENDENCIES)
		return toml_get_path(root, "project.dependencies");
	t = k->which == PYPROJECT_ARRAY_OPTIONAL ? toml_get_path(root, "project.optional-dependencies") :
	    toml_get(root, "dependency-groups");
	for (size_t i = 0; t && t->type == TOML_TABLE && i < t->u.table.len; i++)
		if (name_equal(t->u.table.entries[i].key, t->u.table.entries[i].key_len, k->name,
			       strlen(k->name)))
			return t->u.table.entries[i].value;
	return NULL;
}

static bool
item_is(const TomlValue *v, const char *s)
{
	return v->type == TOML_STRING && v->u.str.len == strlen(s) && !memcmp(v->u.str.ptr, s, v->u.str.len);
}

static bool
same_item(const TomlValue *x, const TomlValue *y)
{
	if (x->type != y->type)
		return false;
	if (x->type != TOML_STRING)
		return true;
	return x->u.str.len == y->u.str.len && !memcmp(x->u.str.ptr, y->u.str.ptr, x->u.str.len);
}

static size_t
offset_of(const char *t, size_t n, unsigned line, unsigned col)
{
	size_t p = 0;

	for (unsigned l = 1; l < line && p < n; p++)
		if (t[p] == '\n')
			l++;
	return p + col - 1;
}

static int roundtrips, creations, replacements, refusals;

/* Add, check, remove, check; for one file, one kind of array, one requirement. */
static void
roundtrip(const char *file, const char *text, size_t len, const Kind *k, const char *req)
{
	Arena a = { 0 };
	Buf out = { 0 }, back = { 0 };
	Requirement r;
	size_t open = 0, close = 0, removed = 0, found = 0;
	const TomlValue *before, *after;
	int exists;
	Err err;

	assert_int_equal(requirement_parse(req, strlen(req), &a, &r, NULL), 0);
	exists = pyproject_edit_locate(text, len, FILE_NAME, k->which, k->name, &open, &close, &err);
	if (exists < 0)
		fail_msg("%s: %s", file, err.msg);
	if (pyproject_edit_add(text, len, FILE_NAME, k->which, k->name, req, &out, &err) != 0) {
		if (refusal_expected(file, k) && strstr(err.msg, "inline table")) {
			refusals++;
			arena_free(&a);
			return;
		}
		fail_msg("%s: adding %s to %s: %s", file, req, k->name ? k->name : "dependencies",
			 err.msg);
	}
	if (refusal_expected(file, k))
		fail_msg("%s: adding to an inline table should be refused", file);
	before = exists ? parsed_array(text, len, k, &a) : NULL;
	after = parsed_array(out.data, out.len, k, &a);
	assert_non_null(after);
	assert_int_equal(after->type, TOML_ARRAY);
	/* the old items in order, the new one once among them */
	for (size_t i = 0, j = 0; i < after->u.arr.len; i++) {
		if (item_is(after->u.arr.items[i], req)) {
			found++;
			continue;
		}
		assert_non_null(before);
		assert_true(j < before->u.arr.len);
		if (!same_item(after->u.arr.items[i], before->u.arr.items[j++]))
			fail_msg("%s: item %zu changed", file, i);
	}
	assert_int_equal(found, 1);
	assert_int_equal(after->u.arr.len, (before ? before->u.arr.len : 0) + 1);
	if (exists) {
		size_t pre = common_prefix(text, len, out.data, out.len);
		size_t suf = common_suffix(text, len, out.data, out.len);

		/* nothing outside the brackets moved */
		if (pre < open + 1 || suf < len - close)
			fail_msg("%s: bytes outside the array changed (prefix %zu < %zu or suffix %zu < %zu)\n%s",
				 file, pre, open + 1, suf, len - close, out.data);
		assert_int_equal(pyproject_edit_remove(out.data, out.len, FILE_NAME, k->which, k->name,
						       r.normalized, &back, &removed, &err), 0);
		assert_int_equal(removed, 1);
		if (back.len != len || memcmp(back.data, text, len) != 0)
			fail_msg("%s: add then remove of %s is not the original:\n%s\n---\n%s", file, req,
				 out.data, back.data);
		roundtrips++;
	} else {
		/* only an insertion */
		if (common_prefix(text, len, out.data, out.len) + common_suffix(text, len, out.data, out.len) < len)
			fail_msg("%s: creating the array changed existing bytes:\n%s", file, out.data);
		assert_int_equal(pyproject_edit_remove(out.data, out.len, FILE_NAME, k->which, k->name,
						       r.normalized, &back, &removed, &err), 0);
		assert_int_equal(removed, 1);
		after = parsed_array(back.data, back.len, k, &a);
		assert_non_null(after);
		assert_int_equal(after->u.arr.len, 0);
		creations++;
	}
	buf_free(&out);
	buf_free(&back);
	arena_free(&a);
}

/* Replacing the first string entry changes only its bytes. */
static void
replace_first(const char *file, const char *text, size_t len, const Kind *k)
{
	Arena a = { 0 };
	Buf out = { 0 };
	const TomlValue *before = parsed_array(text, len, k, &a), *after, *first = NULL;
	size_t idx = 0, start;
	Requirement r;
	char *req;
	Err err;

	if (!before || before->type != TOML_ARRAY)
		goto out;
	for (idx = 0; idx < before->u.arr.len && !first; idx++)
		if (before->u.arr.items[idx]->type == TOML_STRING)
			first = before->u.arr.items[idx];
	if (!first)
		goto out;
	idx--;
	if (requirement_parse(first->u.str.ptr, first->u.str.len, &a, &r, NULL) != 0)
		goto out;
	req = arena_printf(&a, "%s[added]>=99; os_name == 'posix'", r.name);
	if (pyproject_edit_add(text, len, FILE_NAME, k->which, k->name, req, &out, &err) != 0)
		fail_msg("%s: replacing %s: %s", file, r.name, err.msg);
	after = parsed_array(out.data, out.len, k, &a);
	assert_int_equal(after->u.arr.len, before->u.arr.len);
	for (size_t i = 0; i < after->u.arr.len; i++)
		if (i == idx)
			assert_true(item_is(after->u.arr.items[i], req));
		else
			assert_true(same_item(after->u.arr.items[i], before->u.arr.items[i]));
	start = offset_of(text, len, first->line, first->col);
	if (common_prefix(text, len, out.data, out.len) < start)
		fail_msg("%s: bytes before the replaced entry changed:\n%s", file, out.data);
	/* only the entry's own token changed (single-line strings: find its end) */
	if (text[start + 1] != text[start] || text[start + 2] != text[start]) {
		size_t end = start + 1, suf = common_suffix(text, len, out.data, out.len);

		while (end < len && text[end] != text[start])
			end += text[start] == '"' && text[end] == '\\' ? 2 : 1;
		end++;
		if (len - suf > end)
			fail_msg("%s: more than the entry changed:\n%s", file, out.data);
	}
	replacements++;
out:
	buf_free(&out);
	arena_free(&a);
}

static void
test_roundtrip_fixtures(void **state)
{
	const char *fixtures = getenv("FIXTURES_DIR");
	char *dir;
	struct dirent *e;
	DIR *d;
	size_t nfiles = 0;

	(void)state;
	assert_non_null(fixtures);
	assert_true(asprintf(&dir, "%s/pyprojects", fixtures) > 0);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d))) {
		char *path;
		Buf text = { 0 };
		Err err;

		if (!strstr(e->d_name, ".toml"))
			continue;
		assert_true(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
		if (fs_read_file(path, &text, &err) != 0)
			fail_msg("%s", err.msg);
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			for (size_t i = 0; i < sizeof(additions) / sizeof(additions[0]); i++)
				roundtrip(e->d_name, text.data ? text.data : "", text.len, &kinds[k], additions[i]);
			replace_first(e->d_name, text.data ? text.data : "", text.len, &kinds[k]);
		}
		nfiles++;
		buf_free(&text);
		free(path);
	}
	closedir(d);
	free(dir);
	assert_true(nfiles >= 20);
	print_message("%zu files: %d round trips, %d arrays created, %d replacements, %d refusals\n",
		      nfiles, roundtrips, creations, replacements, refusals);
	assert_true(roundtrips > 100 && creations > 50 && replacements > 20 && refusals > 0);
}

/* ------------------------------------------------------------------ exact output */

static void
expect_add(const char *text, PyprojectArray which, const char *name, const char *req,
	   const char *want)
{
	Buf out = { 0 };
	Err err;

	if (pyproject_edit_add(text, strlen(text), FILE_NAME, which, name, req, &out, &err) != 0)
		fail_msg("adding %s: %s", req, err.msg);
	if (strcmp(out.data, want) != 0)
		fail_msg("adding %s to\n%s\ngave\n%s\nwanted\n%s", req, text, out.data, want);
	buf_free(&out);
}

static void
expect_remove(const char *text, PyprojectArray which, const char *name, const char *norm,
	      size_t n, const char *want)
{
	Buf out = { 0 };
	size_t removed = 99;
	Err err;

	if (pyproject_edit_remove(text, strlen(text), FILE_NAME, which, name, norm, &out, &removed,
				  &err) != 0)
		fail_msg("removing %s: %s", norm, err.msg);
	assert_int_equal(removed, n);
	if (strcmp(out.data, want) != 0)
		fail_msg("removing %s from\n%s\ngave\n%s\nwanted\n%s", norm, text, out.data, want);
	buf_free(&out);
}

/* A byte-order mark before the first line changes nothing but itself: the array or
 * table on line 1 is found where the parser put it (its offset counts the mark). */
static void
test_bom(void **state)
{
	static const char *const texts[] = {
		"[project]\nname = \"x\"\n",
		"project.dependencies = []\n",
		"[project]\ndependencies = [\"a\"]\n",
		"[dependency-groups]\ndev = [\"pytest\", \"rich\"]\n",
	};
	static const PyprojectArray where[] = {
		PYPROJECT_ARRAY_DEPENDENCIES, PYPROJECT_ARRAY_DEPENDENCIES, PYPROJECT_ARRAY_DEPENDENCIES,
		PYPROJECT_ARRAY_GROUP,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		const char *name = where[i] == PYPROJECT_ARRAY_GROUP ? "dev" : NULL;
		Buf plain = { 0 }, marked = { 0 }, with_bom = { 0 }, want = { 0 };
		size_t removed = 0;
		Err err;

		buf_printf(&with_bom, "\xEF\xBB\xBF%s", texts[i]);
		if (pyproject_edit_add(texts[i], strlen(texts[i]), FILE_NAME, where[i], name, "requests",
				       &plain, &err) != 0 ||
		    pyproject_edit_add(with_bom.data, with_bom.len, FILE_NAME, where[i], name, "requests",
				       &marked, &err) != 0)
			fail_msg("adding to case %zu: %s", i, err.msg);
		buf_printf(&want, "\xEF\xBB\xBF%s", plain.data);
		assert_string_equal(marked.data, want.data);
		/* and removed again, the same as without the mark */
		buf_clear(&want);
		buf_append(&want, plain.data, plain.len);
		buf_clear(&plain);
		assert_int_equal(pyproject_edit_remove(want.data, want.len, FILE_NAME, where[i], name,
						       "requests", &plain, &removed, &err), 0);
		assert_int_equal(removed, 1);
		buf_clear(&want);
		buf_printf(&want, "\xEF\xBB\xBF%s", plain.data);
		buf_clear(&plain);
		assert_int_equal(pyproject_edit_remove(marked.data, marked.len, FILE_NAME, where[i], name,
						       "requests", &plain, &removed, &err), 0);
		assert_int_equal(removed, 1);
		assert_string_equal(plain.data, want.data);
		buf_free(&plain);
		buf_free(&marked);
		buf_free(&with_bom);
		buf_free(&want);
	}
}

static void
test_style(void **state)
{
	(void)state;
	/* sorted: in its place, indented like its neighbours, trailing comma kept */
	expect_add("[project]\ndependencies = [\n    \"anyio\",\n    \"rich\",\n]\n",
		   PYPROJECT_ARRAY_DEPENDENCIES, NULL, "httpx>=0.27",
		   "[project]\ndependencies = [\n    \"anyio\",\n    \"httpx>=0.27\",\n    \"rich\",\n]\n");
	/* unsorted: at the end */
	expect_add("[project]\ndependencies = [\n  \"rich\",\n  \"anyio\",\n]\n",
		   PYPROJECT_ARRAY_DEPENDENCIES, NULL, "httpx",
		   "[project]\ndependencies = [\n  \"rich\",\n  \"anyio\",\n  \"httpx\",\n]\n");
	/* no trailing comma stays without one; the comment stays on its line */
	expect_add("[project]\ndependencies = [\n    \"a\",\n    \"b\"  # last\n]\n",
		   PYPROJECT_ARRAY_DEPENDENCIES, NULL, "c",
		   "[project]\ndependencies = [\n    \"a\",\n    \"b\",  # last\n    \"c\"\n]\n");
	/* inline */
	expect_add("[project]\ndependencies = [\"b\", \"d\"]\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		   "c", "[project]\ndependencies = [\"b\", \"c\", \"d\"]\n");
	expect_add("[project]\ndependencies = [\"b\",\"d\"]\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		   "e", "[project]\ndependencies = [\"b\",\"d\",\"e\"]\n");
	expect_add("[project]\ndependencies = []\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL, "x",
		   "[project]\ndependencies = [\"x\"]\n");
	/* the array's quote character; a marker with double quotes in single quotes */
	expect_add("[project]\ndependencies = ['a']\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		   "b; os_name == \"nt\"", "[project]\ndependencies = ['a', 'b; os_name == \"nt\"']\n");
	expect_add("[project]\ndependencies = [\"a\"]\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		   "b; os_name == \"nt\"", "[project]\ndependencies = [\"a\", 'b; os_name == \"nt\"']\n");
	expect_add("[project]\ndependencies = ['a']\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		   "b; os_name == 'nt'", "[project]\ndependencies = ['a', \"b; os_name == 'nt'\"]\n");
	/* tabs and CRLF */
	expect_add("[project]\r\ndependencies = [\r\n\t\"a\",\r\n]\r\n", PYPROJECT_ARRAY_DEPENDENCIES,
		   NULL, "b", "[project]\r\ndependencies = [\r\n\t\"a\",\r\n\t\"b\",\r\n]\r\n");
	expect_add("[project]\r\ndependencies = [\r\n]\r\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL, "b",
		   "[project]\r\ndependencies = [\r\n    \"b\",\r\n]\r\n");
	/* an existing entry is replaced where it stands, others of the same name go */
	expect_add("[project]\ndependencies = [\n    \"Foo<1; python_version < '3'\",\n    \"bar\",\n    \"foo>=1\",\n]\n",
		   PYPROJECT_ARRAY_DEPENDENCIES, NULL, "foo>=2",
		   "[project]\ndependencies = [\n    \"foo>=2\",\n    \"bar\",\n]\n");
	/* missing array inside [project], after its last key, before the comments */
	expect_add("[project]\nname = \"x\"\n\n# tools\n[tool.x]\na = 1\n", PYPROJECT_ARRAY_DEPENDENCIES,
		   NULL, "b", "[project]\nname = \"x\"\ndependencies = [\"b\"]\n\n# tools\n[tool.x]\na = 1\n");
	/* missing [dependency-groups] and [project.optional-dependencies] tables */
	expect_add("[project]\nname = \"x\"\n\n[tool.x]\na = 1\n", PYPROJECT_ARRAY_GROUP, "dev", "pytest",
		   "[project]\nname = \"x\"\n\n[tool.x]\na = 1\n\n[dependency-groups]\ndev = [\"pytest\"]\n");
	expect_add("[project]\nname = \"x\"\n\n[tool.x]\na = 1\n", PYPROJECT_ARRAY_OPTIONAL, "cli", "click",
		   "[project]\nname = \"x\"\n\n[project.optional-dependencies]\ncli = [\"click\"]\n\n[tool.x]\na = 1\n");
	/* a group key is found by its normalized name and kept as written */
	expect_add("[dependency-groups]\nMy_Group = [\"a\"]\n", PYPROJECT_ARRAY_GROUP, "my-group", "b",
		   "[dependency-groups]\nMy_Group = [\"a\", \"b\"]\n");
	/* dotted keys: one more beside the first */
	expect_add("[project]\nname = \"x\"\noptional-dependencies.cli = [\"click\"]\n[tool.x]\n",
		   PYPROJECT_ARRAY_OPTIONAL, "web", "flask",
		   "[project]\nname = \"x\"\noptional-dependencies.cli = [\"click\"]\noptional-dependencies.web = [\"flask\"]\n[tool.x]\n");
}

static void
test_remove(void **state)
{
	(void)state;
	/* a multi-line entry goes with its line and its comment */
	expect_remove("[project]\ndependencies = [\n    \"a\",  # the a\n    \"b\",\n]\n",
		      PYPROJECT_ARRAY_DEPENDENCIES, NULL, "a", 1,
		      "[project]\ndependencies = [\n    \"b\",\n]\n");
	/* emptied, the array stays */
	expect_remove("[project]\ndependencies = [\"a\"]\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL, "a", 1,
		      "[project]\ndependencies = []\n");
	/* every entry naming the project, whatever its spelling */
	expect_remove("[dependency-groups]\ndev = [\"Py_Test>=8\", \"ruff\", \"pytest; os_name == 'nt'\"]\n",
		      PYPROJECT_ARRAY_GROUP, "dev", "py-test", 1,
		      "[dependency-groups]\ndev = [\"ruff\", \"pytest; os_name == 'nt'\"]\n");
	expect_remove("[dependency-groups]\ndev = [\"Pytest>=8\", \"ruff\", \"pytest; os_name == 'nt'\"]\n",
		      PYPROJECT_ARRAY_GROUP, "dev", "pytest", 2, "[dependency-groups]\ndev = [\"ruff\"]\n");
	/* not there: the text unchanged */
	expect_remove("[project]\ndependencies = [\"a\"]\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL, "b", 0,
		      "[project]\ndependencies = [\"a\"]\n");
	expect_remove("[project]\nname = \"x\"\n", PYPROJECT_ARRAY_GROUP, "dev", "b", 0,
		      "[project]\nname = \"x\"\n");
	/* an include-group table is left alone */
	expect_remove("[dependency-groups]\ndev = [{include-group = \"lint\"}, \"a\"]\nlint = [\"r\"]\n",
		      PYPROJECT_ARRAY_GROUP, "dev", "a", 1,
		      "[dependency-groups]\ndev = [{include-group = \"lint\"}]\nlint = [\"r\"]\n");
}

/* ------------------------------------------------------------------ errors */

static void
expect_error(const char *text, PyprojectArray which, const char *name, const char *want1,
	     const char *want2)
{
	Buf out = { 0 };
	size_t removed;
	Err err;

	if (pyproject_edit_add(text, strlen(text), FILE_NAME, which, name, "x", &out, &err) == 0)
		fail_msg("adding to\n%s\nshould fail", text);
	if (!strstr(err.msg, want1) || !strstr(err.msg, want2))
		fail_msg("message '%s' lacks '%s' or '%s'", err.msg, want1, want2);
	if (pyproject_edit_remove(text, strlen(text), FILE_NAME, which, name, "x", &out, &removed, &err) == 0)
		fail_msg("removing from\n%s\nshould fail", text);
	if (!strstr(err.msg, want1) || !strstr(err.msg, want2))
		fail_msg("message '%s' lacks '%s' or '%s'", err.msg, want1, want2);
	buf_free(&out);
}

static void
test_errors(void **state)
{
	Buf out = { 0 };
	Err err;

	(void)state;
	expect_error("[project]\nname = \"x\"\ndependencies = [\"a\",\n", PYPROJECT_ARRAY_DEPENDENCIES,
		     NULL, "pyproject.toml:3:16: ", "project.dependencies: not valid TOML");
	expect_error("[project]\ndependencies = \"httpx\"\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		     "pyproject.toml:2:16: project.dependencies: ", "expected an array");
	expect_error("[project]\ndependencies = [\"a\",\n  1]\n", PYPROJECT_ARRAY_DEPENDENCIES, NULL,
		     "pyproject.toml:3:3: project.dependencies[1]: ", "expected a string");
	expect_error("project = 3\n", PYPROJECT_ARRAY_OPTIONAL, "cli", "pyproject.toml:1:11: project: ",
		     "expected a table");
	expect_error("[dependency-groups]\ndev = [\"a\", [\"b\"]]\n", PYPROJECT_ARRAY_GROUP, "dev",
		     "pyproject.toml:2:13: dependency-groups.dev[1]: ", "expected a string");
	expect_error("[project.optional-dependencies]\ncli = {a = 1}\n", PYPROJECT_ARRAY_OPTIONAL, "cli",
		     "pyproject.toml:2:7: project.optional-dependencies.cli: ", "found a table");
	/* inline table: a new key is refused, saying so */
	assert_int_equal(pyproject_edit_add("[project]\noptional-dependencies = {cli = [\"a\"]}\n", 48,
					    FILE_NAME, PYPROJECT_ARRAY_OPTIONAL, "web", "x", &out, &err), -1);
	assert_non_null(strstr(err.msg, "pyproject.toml:2:25: project.optional-dependencies: "));
	assert_non_null(strstr(err.msg, "inline table"));
	/* a bad requirement or name */
	assert_int_equal(pyproject_edit_add("", 0, FILE_NAME, PYPROJECT_ARRAY_DEPENDENCIES, NULL, "a b c",
					    &out, &err), -1);
	assert_non_null(strstr(err.msg, "\"a b c\" is not a valid requirement"));
	assert_int_equal(pyproject_edit_add("", 0, FILE_NAME, PYPROJECT_ARRAY_GROUP, "-bad", "a", &out,
					    &err), -1);
	assert_non_null(strstr(err.msg, "not a valid group name"));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_fixtures),
		cmocka_unit_test(test_style),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
