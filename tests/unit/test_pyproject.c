/*
 * test_pyproject.c - unit tests of pyproject.toml reading (packaging/pyproject.c).
 *
 * There are no upstream vectors for pyproject.toml in tests/packaging/vectors, so the
 * cases are written here from the specifications (packaging-specs.md section 8): a
 * document using every field, the legacy build-system default, PEP 735's own include
 * example, normalization, cycles, lazily checked groups, and error cases that assert the
 * exact "FILE:LINE:COL: KEY:" prefix and the gist of what was expected.
 */
#include "config.h"

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
#include "packaging/marker.h"
#include "packaging/name.h"
#include "packaging/pyproject.h"
#include "packaging/toml_doc.h"
#include "rules/taskdef.h"

#define FILE_NAME "pyproject.toml"

typedef struct Doc {
	Arena arena;
	Pyproject p;
	Err err;
	int rc;
} Doc;

static int error_cases;

static void
parse(Doc *d, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->rc = pyproject_parse(text, strlen(text), FILE_NAME, &d->arena, &d->p, &d->err);
}

static void
done(Doc *d)
{
	arena_free(&d->arena);
}

static void
must_parse(Doc *d, const char *text)
{
	parse(d, text);
	if (d->rc != 0) {
		print_error("input:\n%s\nunexpected error: %s\n", text, d->err.msg);
		fail();
	}
}

/* The message must start with prefix ("pyproject.toml:L:C: key: ") and contain phrase. */
static void
expect_msg(const char *what, int rc, const char *msg, const char *prefix, const char *phrase)
{
	if (rc != -1 || strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, phrase)) {
		print_error("%s\nwanted: %s...%s...\n   got: rc %d, %s\n", what, prefix, phrase, rc,
			    rc ? msg : "(accepted)");
		fail();
	}
	error_cases++;
}

static void
expect_error(const char *text, const char *prefix, const char *phrase)
{
	Doc d;

	parse(&d, text);
	expect_msg(text, d.rc, d.err.msg, prefix, phrase);
	done(&d);
}

/* ------------------------------------------------------------------ valid documents */

static const char full_doc[] =
	"[build-system]\n"
	"requires = [\"hatchling>=1.20\", \"hatch-vcs\"]\n"
	"build-backend = \"hatchling.build\"\n"
	"backend-path = [\"tools/backend\", \"./x/../y\"]\n"
	"\n"
	"[project]\n"
	"name = \"My_Project.Name\"\n"
	"version = \"v1.0-RC.1\"\n"
	"description = \"A thing\"\n"
	"readme = \"README.MD\"\n"
	"requires-python = \">=3.9, <4\"\n"
	"license = \"MIT OR Apache-2.0\"\n"
	"license-files = [\"LICENSE*\"]\n"
	"authors = [{ name = \"Ada\", email = \"ada@example.org\" }, { email = \"b@example.org\" }]\n"
	"maintainers = [{ name = \"Bob\" }]\n"
	"keywords = [\"a\", \"b\"]\n"
	"classifiers = [\"Programming Language :: Python\"]\n"
	"dependencies = [\n"
	"  \"requests>=2.31\",\n"
	"  \"tomli; python_version < '3.11'\",\n"
	"  \"pkg @ https://example.org/pkg-1.0.tar.gz\",\n"
	"]\n"
	"dynamic = [\"classifiers\"]\n"
	"import-names = [\"my_project\"]\n"
	"\n"
	"[project.optional-dependencies]\n"
	"Cli_Tools = [\"click>=8\"]\n"
	"all = [\"my-project[cli-tools]\"]\n"
	"\n"
	"[project.urls]\n"
	"Homepage = \"https://example.org\"\n"
	"\n"
	"[project.scripts]\n"
	"my-tool = \"my_project.cli:main\"\n"
	"other = \"my_project.cli:main.run [extra]\"\n"
	"\n"
	"[project.gui-scripts]\n"
	"my-gui = \"my_project.gui\"\n"
	"\n"
	"[project.entry-points.\"my.plugins\"]\n"
	"one = \"my_project.plugins : One\"\n"
	"\n"
	"[dependency-groups]\n"
	"Test = [\"pytest>=8\", { include-group = \"lint\" }]\n"
	"lint = [\"ruff\"]\n"
	"\n"
	"[tool.bunpy]\n"
	"index-url = \"https://pypi.example/simple\"\n"
	"extra-index-url = [\"https://a.example/simple\", \"https://b.example/simple\"]\n"
	"find-links = [\"./wheels\"]\n"
	"constraint-dependencies = [\"urllib3<2\"]\n"
	"override-dependencies = [\"idna==3.6\"]\n"
	"prerelease = \"if-necessary-or-explicit\"\n"
	"resolution = \"lowest-direct\"\n"
	"\n"
	"[tool.bunpy.tasks]\n"
	"test = \"python -m pytest\"\n"
	"\n"
	"[tool.other]\n"
	"anything = 1\n";

static void
test_full_document(void **state)
{
	Doc d;
	const PyprojectProject *pr;
	const PyprojectBuildSystem *bs;
	const PyprojectBunpy *b;

	(void)state;
	must_parse(&d, full_doc);
	pr = &d.p.project;
	assert_true(pr->present);
	assert_string_equal(pr->name, "My_Project.Name");
	assert_string_equal(pr->normalized, "my-project-name");
	assert_true(pr->has_version);
	assert_string_equal(pr->version.str, "1.0rc1");
	assert_true(pr->has_requires_python);
	assert_string_equal(pr->requires_python_text, ">=3.9, <4");
	assert_int_equal(pr->requires_python.len, 2);
	assert_string_equal(pr->description, "A thing");
	assert_string_equal(pr->readme_file, "README.MD");
	assert_string_equal(pr->readme_content_type, "text/markdown");
	assert_string_equal(pr->license_expression, "MIT OR Apache-2.0");
	assert_int_equal(pr->license_files.len, 1);
	assert_int_equal(pr->authors_len, 2);
	assert_string_equal(pr->authors[0].name, "Ada");
	assert_string_equal(pr->authors[0].email, "ada@example.org");
	assert_null(pr->authors[1].name);
	assert_int_equal(pr->maintainers_len, 1);
	assert_int_equal(pr->keywords.len, 2);
	assert_string_equal(pr->keywords.items[1], "b");
	assert_int_equal(pr->classifiers.len, 1);
	assert_int_equal(pr->import_names.len, 1);

	assert_int_equal(pr->dependencies.len, 3);
	assert_string_equal(pr->dependencies.items[0].req.normalized, "requests");
	assert_string_equal(pr->dependencies.items[0].text, "requests>=2.31");
	assert_int_equal(pr->dependencies.items[0].line, 19);
	assert_int_equal(pr->dependencies.items[0].col, 3);
	assert_non_null(pr->dependencies.items[1].req.marker);
	assert_string_equal(pr->dependencies.items[2].req.url, "https://example.org/pkg-1.0.tar.gz");

	assert_int_equal(pr->extras_len, 2);
	assert_string_equal(pr->extras[0].name, "Cli_Tools");
	assert_string_equal(pr->extras[0].normalized, "cli-tools");
	assert_int_equal(pr->extras[0].deps.len, 1);
	assert_string_equal(pr->extras[1].deps.items[0].req.normalized, "my-project");
	assert_int_equal(pr->extras[1].deps.items[0].req.extras_len, 1);

	assert_int_equal(pr->urls.len, 1);
	assert_string_equal(pr->urls.items[0].name, "Homepage");
	assert_int_equal(pr->scripts.len, 2);
	assert_string_equal(pr->scripts.items[0].name, "my-tool");
	assert_string_equal(pr->scripts.items[0].value, "my_project.cli:main");
	assert_int_equal(pr->gui_scripts.len, 1);
	assert_int_equal(pr->entry_points_len, 1);
	assert_string_equal(pr->entry_points[0].group, "my.plugins");
	assert_string_equal(pr->entry_points[0].entries.items[0].value, "my_project.plugins : One");

	assert_int_equal(pr->dynamic.len, 1);
	assert_true(pyproject_is_dynamic(&d.p, "classifiers"));
	assert_false(pyproject_is_dynamic(&d.p, "version"));

	bs = &d.p.build_system;
	assert_true(bs->present);
	assert_true(bs->backend_given);
	assert_string_equal(bs->backend, "hatchling.build");
	assert_int_equal(bs->requires.len, 2);
	assert_string_equal(bs->requires.items[1].req.normalized, "hatch-vcs");
	assert_int_equal(bs->backend_path.len, 2);

	assert_int_equal(d.p.groups_len, 2);
	assert_string_equal(d.p.groups[0].name, "Test");
	assert_string_equal(d.p.groups[0].normalized, "test");
	assert_ptr_equal(pyproject_group_find(&d.p, "TEST"), &d.p.groups[0]);
	assert_null(pyproject_group_find(&d.p, "docs"));

	b = &d.p.bunpy;
	assert_ptr_equal(b->table, toml_get_path(d.p.root, "tool.bunpy"));
	assert_non_null(toml_get(b->table, "tasks"));
	assert_string_equal(b->index_url, "https://pypi.example/simple");
	assert_int_equal(b->extra_index_urls.len, 2);
	assert_string_equal(b->extra_index_urls.items[1], "https://b.example/simple");
	assert_int_equal(b->find_links.len, 1);
	assert_int_equal(b->constraint_dependencies.len, 1);
	assert_string_equal(b->constraint_dependencies.items[0].req.normalized, "urllib3");
	assert_int_equal(b->override_dependencies.len, 1);
	assert_int_equal(b->prerelease, PYPROJECT_PRERELEASE_IF_NECESSARY_OR_EXPLICIT);
	assert_int_equal(b->resolution, PYPROJECT_RESOLUTION_LOWEST_DIRECT);
	done(&d);
}

/* The task table keeps working on a document pyproject.c reads: both see [tool.bunpy]. */
static void
test_tasks_still_read(void **state)
{
	Buf table = { 0 };
	Err err;

	(void)state;
	assert_int_equal(taskdef_parse_pyproject(full_doc, strlen(full_doc), FILE_NAME, &table,
						 &err), 0);
	assert_int_equal(taskdef_count(table.data, table.len), 1);
	buf_free(&table);
}

static void
test_minimal_and_legacy(void **state)
{
	Doc d;

	(void)state;
	/* no [project], no [build-system]: the legacy setuptools defaults */
	must_parse(&d, "[tool.black]\nline-length = 100\n");
	assert_false(d.p.project.present);
	assert_false(d.p.build_system.present);
	assert_false(d.p.build_system.backend_given);
	assert_string_equal(d.p.build_system.backend, "setuptools.build_meta:__legacy__");
	assert_int_equal(d.p.build_system.requires.len, 1);
	assert_string_equal(d.p.build_system.requires.items[0].text, "setuptools>=40.8.0");
	assert_string_equal(d.p.build_system.requires.items[0].req.normalized, "setuptools");
	assert_null(d.p.bunpy.table);
	assert_int_equal(d.p.bunpy.prerelease, PYPROJECT_PRERELEASE_UNSET);
	assert_int_equal(d.p.bunpy.resolution, PYPROJECT_RESOLUTION_UNSET);
	assert_int_equal(d.p.groups_len, 0);
	done(&d);

	/* a table with requires but no backend: the legacy backend, the given requires */
	must_parse(&d, "[build-system]\nrequires = []\n");
	assert_true(d.p.build_system.present);
	assert_false(d.p.build_system.backend_given);
	assert_string_equal(d.p.build_system.backend, "setuptools.build_meta:__legacy__");
	assert_int_equal(d.p.build_system.requires.len, 0);
	done(&d);

	/* the empty document */
	must_parse(&d, "");
	assert_false(d.p.project.present);
	done(&d);

	/* dynamic version; list fields may be both static and dynamic */
	must_parse(&d, "[project]\nname = \"a\"\ndynamic = [\"version\", \"dependencies\","
		   " \"optional-dependencies\"]\ndependencies = [\"b\"]\n"
		   "optional-dependencies = { x = [\"c\"] }\n");
	assert_false(d.p.project.has_version);
	assert_true(pyproject_is_dynamic(&d.p, "version"));
	assert_int_equal(d.p.project.dependencies.len, 1);
	done(&d);

	/* readme as a table; the legacy license table */
	must_parse(&d, "[project]\nname = \"a\"\nversion = \"1\"\n"
		   "readme = { text = \"hi\", content-type = \"text/plain\" }\n"
		   "license = { file = \"LICENSE\" }\n");
	assert_string_equal(d.p.project.readme_text, "hi");
	assert_string_equal(d.p.project.readme_content_type, "text/plain");
	assert_string_equal(d.p.project.license_file, "LICENSE");
	done(&d);

	/* a readme path of another kind has no known content type: an error
	 * (packaging-specs.md 8.2), with the table form as the way out */
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nreadme = \"README.txt\"\n",
		     FILE_NAME ":4:10: project.readme: ", "\"README.txt\" ends in neither .md nor"
		     " .rst, so its content type is unknown");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nreadme = \"README\"\n",
		     FILE_NAME ":4:10: project.readme: ", "ends in neither .md nor .rst");
	must_parse(&d, "[project]\nname = \"a\"\nversion = \"1\"\n"
		   "readme = { file = \"README.txt\", content-type = \"text/plain\" }\n");
	assert_string_equal(d.p.project.readme_content_type, "text/plain");
	done(&d);
	must_parse(&d, "[project]\nname = \"a\"\nversion = \"1\"\nreadme = \"docs/README.rst\"\n");
	assert_string_equal(d.p.project.readme_content_type, "text/x-rst");
	done(&d);
}

/* ------------------------------------------------------------------ errors */

static void
test_project_errors(void **state)
{
	(void)state;
	expect_error("[project]\nversion = \"1\"\n", FILE_NAME ":1:1: project.name: ",
		     "missing; expected the project's name");
	expect_error("[project]\nname = \"-bad\"\nversion = \"1\"\n",
		     FILE_NAME ":2:8: project.name: ", "\"-bad\" is not a valid project name");
	expect_error("[project]\nname = 3\n", FILE_NAME ":2:8: project.name: ",
		     "expected a project name, found an integer");
	expect_error("[project]\nname = \"a\"\ndynamic = [\"version\", \"name\"]\n",
		     FILE_NAME ":3:23: project.dynamic[1]: ", "\"name\" may never be dynamic");
	expect_error("[project]\nname = \"a\"\n", FILE_NAME ":1:1: project.version: ",
		     "missing; expected a version string, or \"version\" listed in project.dynamic");
	expect_error("[project]\nname = \"a\"\nversion = \"1.0-foo\"\n",
		     FILE_NAME ":3:11: project.version: ",
		     "\"1.0-foo\" is not a valid version (PEP 440)");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"version\"]\n",
		     FILE_NAME ":4:12: project.dynamic[0]: ",
		     "\"version\" is also given statically (line 3)");
	expect_error("[project]\nname = \"a\"\ndescription = \"x\"\n"
		     "dynamic = [\"version\", \"description\"]\n",
		     FILE_NAME ":4:23: project.dynamic[1]: ",
		     "\"description\" is also given statically (line 3)");
	expect_error("[project]\nname = \"a\"\ndynamic = [\"version\", \"colour\"]\n",
		     FILE_NAME ":3:23: project.dynamic[1]: ", "\"colour\" is not a [project] field");
	expect_error("[project]\nname = \"a\"\ndynamic = \"version\"\n",
		     FILE_NAME ":3:11: project.dynamic: ", "expected an array of [project] field"
		     " names, found a string");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\ndependancies = []\n",
		     FILE_NAME ":4:16: project.dependancies: ", "unknown key; expected one of: name,"
		     " version");
	/* the brief's own example: the third dependency, index 2 */
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n"
		     "  \"idna\",\n  \"six\",\n  \"requests>=\",\n]\n",
		     FILE_NAME ":7:3: project.dependencies[2]: ",
		     "\"requests>=\" is not a valid requirement: ");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\ndependencies = \"requests\"\n",
		     FILE_NAME ":4:16: project.dependencies: ",
		     "expected an array of requirement strings (PEP 508), found a string");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"a\", 1]\n",
		     FILE_NAME ":4:22: project.dependencies[1]: ",
		     "expected a requirement string (PEP 508), found an integer");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nrequires-python = \">=3.x\"\n",
		     FILE_NAME ":4:19: project.requires-python: ",
		     "\">=3.x\" is not a valid version specifier");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\n"
		     "\"bad extra\" = []\n",
		     FILE_NAME ":5:15: project.optional-dependencies.\"bad extra\": ",
		     "\"bad extra\" is not a valid extra name");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\n"
		     "Dev_Tools = []\ndev-tools = []\n",
		     FILE_NAME ":6:13: project.optional-dependencies.dev-tools: ",
		     "extra \"dev-tools\" is the same as \"Dev_Tools\" (line 5) once normalized");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\n"
		     "x = [\"ok\", \"also-ok\", \"b[\"]\n",
		     FILE_NAME ":5:23: project.optional-dependencies.x[2]: ",
		     "\"b[\" is not a valid requirement");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\noptional-dependencies = [\"x\"]\n",
		     FILE_NAME ":4:25: project.optional-dependencies: ", "expected a table of extra"
		     " names");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.scripts]\nt = \"1mod:f\"\n",
		     FILE_NAME ":5:5: project.scripts.t: ", "\"1mod:f\" is not an object reference");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.scripts]\nt = \"m:\"\n",
		     FILE_NAME ":5:5: project.scripts.t: ", "\"m:\" is not an object reference");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.scripts]\n"
		     "\"bin/t\" = \"m:f\"\n",
		     FILE_NAME ":5:11: project.scripts.\"bin/t\": ", "is not a usable script name");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.gui-scripts]\nt = 1\n",
		     FILE_NAME ":5:5: project.gui-scripts.t: ", "expected an object reference");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n"
		     "[project.entry-points.console_scripts]\nt = \"m:f\"\n",
		     FILE_NAME ":4:1: project.entry-points.console_scripts: ",
		     "not allowed here; expected [project.scripts] instead");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n"
		     "[project.entry-points.gui_scripts]\nt = \"m:f\"\n",
		     FILE_NAME ":4:1: project.entry-points.gui_scripts: ",
		     "expected [project.gui-scripts] instead");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n[project.entry-points]\ng = 1\n",
		     FILE_NAME ":5:5: project.entry-points.g: ", "expected a table of names to object"
		     " references");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n"
		     "readme = { file = \"R.md\", text = \"x\", content-type = \"text/markdown\" }\n",
		     FILE_NAME ":4:10: project.readme: ",
		     "expected exactly one of file and text, found both");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nreadme = { file = \"R.md\" }\n",
		     FILE_NAME ":4:10: project.readme.content-type: ", "missing; expected a content type");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nreadme = [\"R.md\"]\n",
		     FILE_NAME ":4:10: project.readme: ", "found an array");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nlicense = 1\n",
		     FILE_NAME ":4:11: project.license: ", "expected an SPDX license expression");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\n"
		     "authors = [{ name = \"x\" }, { name = \"y\", url = \"z\" }]\n",
		     FILE_NAME ":4:48: project.authors[1].url: ", "unknown key; expected one of: name,"
		     " email");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nauthors = [\"Ada\"]\n",
		     FILE_NAME ":4:12: project.authors[0]: ", "expected a {name = ..., email = ...}"
		     " table, found a string");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nkeywords = [\"a\", false]\n",
		     FILE_NAME ":4:18: project.keywords[1]: ", "expected a string, found a boolean");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\ndescription = \"a\\u0000b\"\n",
		     FILE_NAME ":4:15: project.description: ", "the string holds a NUL byte");
	expect_error("[project]\nname = \"a\"\nversion = \"1\"\nurls = { home = 1 }\n",
		     FILE_NAME ":4:17: project.urls.home: ", "expected a URL string, found an integer");
	expect_error("project = 1\n", FILE_NAME ":1:11: project: ", "expected a table");
}

static void
test_build_system_errors(void **state)
{
	(void)state;
	expect_error("[build-system]\nbuild-backend = \"x\"\n",
		     FILE_NAME ":1:1: build-system.requires: ", "missing; expected an array of the"
		     " requirements needed to build");
	expect_error("[build-system]\nrequires = [\"setuptools>=\"]\n",
		     FILE_NAME ":2:13: build-system.requires[0]: ",
		     "\"setuptools>=\" is not a valid requirement");
	expect_error("[build-system]\nrequires = []\nbuild-backend = \"a b\"\n",
		     FILE_NAME ":3:17: build-system.build-backend: ",
		     "\"a b\" is not an object reference");
	expect_error("[build-system]\nrequires = []\nbuild-backend = \"a:b [x]\"\n",
		     FILE_NAME ":3:17: build-system.build-backend: ", "is not an object reference");
	expect_error("[build-system]\nrequires = []\nbackend-path = [\".\", \"../up\"]\n",
		     FILE_NAME ":3:22: build-system.backend-path[1]: ",
		     "\"../up\" is not inside the project");
	expect_error("[build-system]\nrequires = []\nbackend-path = [\"/abs\"]\n",
		     FILE_NAME ":3:17: build-system.backend-path[0]: ", "is not inside the project");
	expect_error("[build-system]\nrequires = []\nbackend-path = [\"a/../../b\"]\n",
		     FILE_NAME ":3:17: build-system.backend-path[0]: ", "is not inside the project");
	expect_error("build-system = []\n", FILE_NAME ":1:16: build-system: ",
		     "expected a table, found an array");
}

static void
test_tool_bunpy_errors(void **state)
{
	(void)state;
	expect_error("tool = 1\n", FILE_NAME ":1:8: tool: ", "expected a table of tool tables");
	expect_error("[tool]\nbunpy = \"x\"\n", FILE_NAME ":2:9: tool.bunpy: ",
		     "expected a table, found a string");
	expect_error("[tool.bunpy]\nindex-url = [\"x\"]\n", FILE_NAME ":2:13: tool.bunpy.index-url: ",
		     "expected a URL string, found an array");
	expect_error("[tool.bunpy]\nindex-url = \"\"\n", FILE_NAME ":2:13: tool.bunpy.index-url: ",
		     "empty; expected the URL of a simple repository");
	expect_error("[tool.bunpy]\nextra-index-url = \"https://x\"\n",
		     FILE_NAME ":2:19: tool.bunpy.extra-index-url: ",
		     "expected an array of URL strings, found a string");
	expect_error("[tool.bunpy]\nfind-links = [1]\n", FILE_NAME ":2:15: tool.bunpy.find-links[0]: ",
		     "expected a string, found an integer");
	expect_error("[tool.bunpy]\nconstraint-dependencies = [\"a<\"]\n",
		     FILE_NAME ":2:28: tool.bunpy.constraint-dependencies[0]: ",
		     "\"a<\" is not a valid requirement");
	expect_error("[tool.bunpy]\noverride-dependencies = \"a\"\n",
		     FILE_NAME ":2:25: tool.bunpy.override-dependencies: ",
		     "expected an array of requirement strings");
	expect_error("[tool.bunpy]\nprerelease = \"sometimes\"\n",
		     FILE_NAME ":2:14: tool.bunpy.prerelease: ",
		     "\"sometimes\" is not a known value; expected one of \"disallow\", \"allow\","
		     " \"if-necessary\", \"explicit\", \"if-necessary-or-explicit\"");
	expect_error("[tool.bunpy]\nresolution = true\n", FILE_NAME ":2:14: tool.bunpy.resolution: ",
		     "expected a string, found a boolean");
	expect_error("[tool.bunpy]\nresolution = \"newest\"\n",
		     FILE_NAME ":2:14: tool.bunpy.resolution: ",
		     "expected one of \"highest\", \"lowest\", \"lowest-direct\"");
	/* TOML syntax errors keep the parser's own position */
	expect_error("[project]\nname = \"a\"\nversion = 1.0.0\n", FILE_NAME ":3:", "");
}

/* ------------------------------------------------------------------ dependency groups */

static void
expect_group(const char *text, const char *group, const char *const *want, size_t n)
{
	Doc d;
	PyprojectReqList out;
	size_t i;

	must_parse(&d, text);
	if (pyproject_group_expand(&d.p, group, &d.arena, &out, &d.err) != 0) {
		print_error("input:\n%s\ngroup %s: %s\n", text, group, d.err.msg);
		fail();
	}
	assert_int_equal(out.len, n);
	for (i = 0; i < n; i++)
		assert_string_equal(out.items[i].text, want[i]);
	done(&d);
}

static void
expect_group_error(const char *text, const char *group, const char *prefix,
		   const char *phrase)
{
	Doc d;
	PyprojectReqList out;
	int rc;

	must_parse(&d, text);
	rc = pyproject_group_expand(&d.p, group, &d.arena, &out, &d.err);
	expect_msg(text, rc, d.err.msg, prefix, phrase);
	done(&d);
}

static void
test_groups_expand(void **state)
{
	/* PEP 735's example (packaging-specs.md 8.3): in place, in order, no dedup */
	static const char pep[] =
		"[dependency-groups]\n"
		"a = [\"foo\"]\n"
		"b = [\"foo>1.0\"]\n"
		"c = [\"foo\", {include-group = \"a\"}, {include-group = \"b\"}]\n";
	static const char *const pep_c[] = { "foo", "foo", "foo>1.0" };
	/* names compare normalized, both in includes and in requests */
	static const char norm[] =
		"[dependency-groups]\n"
		"Test_Group = [\"pytest\", { include-group = \"LINT.tools\" }]\n"
		"lint-tools = [\"ruff\", \"mypy>=1\"]\n"
		"\"all\" = [{ include-group = \"test.group\" }, \"coverage\"]\n";
	static const char *const norm_all[] = { "pytest", "ruff", "mypy>=1", "coverage" };
	/* a diamond keeps both copies of the shared group */
	static const char diamond[] =
		"[dependency-groups]\n"
		"base = [\"x\", \"y\"]\n"
		"left = [{include-group = \"base\"}, \"l\"]\n"
		"right = [\"r\", {include-group = \"base\"}]\n"
		"top = [{include-group = \"left\"}, {include-group = \"right\"}]\n"
		"empty = []\n";
	static const char *const diamond_top[] = { "x", "y", "l", "r", "x", "y" };
	Doc d;
	PyprojectReqList *all;
	size_t i;

	(void)state;
	expect_group(pep, "c", pep_c, 3);
	expect_group(pep, "C", pep_c, 3);
	expect_group(norm, "ALL", norm_all, 4);
	expect_group(norm, "test-group", norm_all, 3);
	expect_group(diamond, "top", diamond_top, 6);
	expect_group(diamond, "empty", NULL, 0);

	/* expand all: one list per group, in document order */
	must_parse(&d, diamond);
	assert_int_equal(pyproject_groups_expand_all(&d.p, &d.arena, &all, &d.err), 0);
	assert_int_equal(all[0].len, 2);
	assert_int_equal(all[1].len, 3);
	assert_int_equal(all[2].len, 3);
	assert_int_equal(all[3].len, 6);
	assert_int_equal(all[4].len, 0);
	for (i = 0; i < 6; i++)
		assert_string_equal(all[3].items[i].text, diamond_top[i]);
	/* positions lead back to the group that wrote the requirement */
	assert_int_equal(all[3].items[2].line, 3);
	assert_int_equal(all[3].items[0].line, 2);
	done(&d);
}

static void
test_groups_errors(void **state)
{
	static const char cyc[] =
		"[dependency-groups]\n"
		"a = [\"x\", {include-group = \"b\"}]\n"
		"b = [{include-group = \"c\"}]\n"
		"c = [\"y\", {include-group = \"A\"}]\n"
		"ok = [\"z\"]\n";
	/* a broken group that nobody uses does not matter */
	static const char lazy[] =
		"[dependency-groups]\n"
		"good = [\"pytest\"]\n"
		"bad-shape = \"pytest\"\n"
		"bad-item = [\"ok\", 42]\n"
		"bad-table = [{include-group = \"good\", extra = 1}]\n"
		"bad-req = [\"pytest>=\"]\n"
		"unknown = [{include-group = \"missing\"}]\n"
		"uses-bad = [\"a\", {include-group = \"bad-shape\"}]\n"
		"inc-type = [{include-group = 3}]\n";
	static const char *const good[] = { "pytest" };
	Doc d;
	PyprojectReqList *all;

	(void)state;
	expect_group_error(cyc, "a", FILE_NAME ":4:28: dependency-groups.c[1].include-group: ",
			   "include-group makes a cycle: a -> b -> c -> a");
	expect_group_error(cyc, "b", FILE_NAME ":2:28: dependency-groups.a[1].include-group: ",
			   "cycle: b -> c -> a -> b");
	expect_group(cyc, "ok", (const char *const[]){ "z" }, 1);
	expect_group_error("[dependency-groups]\nself = [{include-group = \"Self\"}]\n", "self",
			   FILE_NAME ":2:26: dependency-groups.self[0].include-group: ",
			   "cycle: self -> self");

	must_parse(&d, lazy);
	assert_int_equal(d.p.groups_len, 8);
	done(&d);
	expect_group(lazy, "good", good, 1);
	expect_group_error(lazy, "bad-shape", FILE_NAME ":3:13: dependency-groups.bad-shape: ",
			   "expected an array of requirement strings and {include-group = \"name\"}"
			   " tables, found a string");
	expect_group_error(lazy, "bad-item", FILE_NAME ":4:19: dependency-groups.bad-item[1]: ",
			   "expected a requirement string or a table of exactly {include-group ="
			   " \"name\"}, found an integer");
	expect_group_error(lazy, "bad-table", FILE_NAME ":5:14: dependency-groups.bad-table[0]: ",
			   "found a table with other keys");
	expect_group_error(lazy, "bad-req", FILE_NAME ":6:12: dependency-groups.bad-req[0]: ",
			   "\"pytest>=\" is not a valid requirement");
	expect_group_error(lazy, "unknown",
			   FILE_NAME ":7:29: dependency-groups.unknown[0].include-group: ",
			   "no group named \"missing\"");
	expect_group_error(lazy, "uses-bad", FILE_NAME ":3:13: dependency-groups.bad-shape: ",
			   "found a string");
	expect_group_error(lazy, "inc-type",
			   FILE_NAME ":9:30: dependency-groups.inc-type[0].include-group: ",
			   "expected the name of a group, found an integer");
	expect_group_error(lazy, "nope", FILE_NAME ":1:1: dependency-groups: ",
			   "no group named \"nope\"; expected one of: good, bad-shape");
	expect_group_error("[project]\nname = \"a\"\nversion = \"1\"\n", "dev",
			   FILE_NAME ":1:1: dependency-groups: ",
			   "no group named \"dev\"; expected a [dependency-groups] table");

	must_parse(&d, lazy);
	expect_msg("expand all", pyproject_groups_expand_all(&d.p, &d.arena, &all, &d.err),
		   d.err.msg, FILE_NAME ":3:13: dependency-groups.bad-shape: ", "found a string");
	done(&d);

	/* eager checks: names, duplicates after normalization */
	expect_error("[dependency-groups]\n\"not valid!\" = []\n",
		     FILE_NAME ":2:16: dependency-groups.\"not valid!\": ",
		     "\"not valid!\" is not a valid group name");
	expect_error("[dependency-groups]\nDev = []\nother = []\n\"d_e_v\" = []\ndev = []\n",
		     FILE_NAME ":5:7: dependency-groups.dev: ",
		     "group \"dev\" is the same as \"Dev\" (line 2) once normalized (\"dev\")");
	expect_error("dependency-groups = [\"a\"]\n", FILE_NAME ":1:21: dependency-groups: ",
		     "expected a table of group names to arrays, found an array");
}

/* Many groups: a long chain must not overflow the stack; a doubling ladder must be
 * refused once it grows past the limit, and a ladder of empty groups must be quick. */
static void
test_groups_big(void **state)
{
	Buf text = { 0 };
	Doc d;
	PyprojectReqList out;
	int i;

	(void)state;
	buf_puts(&text, "[dependency-groups]\ng0 = [\"leaf\"]\n");
	for (i = 1; i < 20000; i++)
		buf_printf(&text, "g%d = [{include-group = \"g%d\"}, \"r%d\"]\n", i, i - 1, i);
	must_parse(&d, text.data);
	assert_int_equal(pyproject_group_expand(&d.p, "g19999", &d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, 20000);
	assert_string_equal(out.items[0].text, "leaf");
	assert_string_equal(out.items[19999].text, "r19999");
	done(&d);

	buf_clear(&text);
	buf_puts(&text, "[dependency-groups]\nd0 = [\"x\"]\n");
	for (i = 1; i < 30; i++)
		buf_printf(&text, "d%d = [{include-group = \"d%d\"}, {include-group = \"d%d\"}]\n", i,
			   i - 1, i - 1);
	must_parse(&d, text.data);
	assert_int_equal(pyproject_group_expand(&d.p, "d16", &d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, 65536);
	expect_msg("ladder", pyproject_group_expand(&d.p, "d29", &d.arena, &out, &d.err),
		   d.err.msg, FILE_NAME ":31:7: dependency-groups.d29: ", "expands to more than 100000 requirements");
	done(&d);

	buf_clear(&text);
	buf_puts(&text, "[dependency-groups]\ne0 = []\n");
	for (i = 1; i < 60; i++)
		buf_printf(&text, "e%d = [{include-group = \"e%d\"}, {include-group = \"e%d\"}]\n", i,
			   i - 1, i - 1);
	must_parse(&d, text.data);
	/* 2^59 visits if each include were expanded anew */
	assert_int_equal(pyproject_group_expand(&d.p, "e59", &d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, 0);
	done(&d);
	buf_free(&text);
}

/* Extras built from other extras by naming the project itself (PEP 621). */
static void
test_extras_expand(void **state)
{
	static const char doc[] =
		"[project]\n"
		"name = \"My.Proj\"\n"
		"version = \"1\"\n"
		"dependencies = [\"base\", \"My-Proj ; os_name == 'nt'\"]\n"
		"[project.optional-dependencies]\n"
		"cli = [\"click\"]\n"
		"gui = [\"tk; os_name == 'nt'\"]\n"
		"all = [\"my_proj[CLI,gui]\", \"rich\"]\n"
		"loop1 = [\"my-proj[loop2]\", \"a\"]\n"
		"loop2 = [\"my-proj[loop1] ; python_version < '3.10'\", \"b\"]\n"
		"twice = [\"my-proj[cli]\", \"my-proj[cli]\", \"my-proj[gui]; sys_platform == 'win32'\"]\n"
		"bad = [\"my-proj[nope]\"]\n"
		"url = [\"my-proj[cli] @ https://example.org/x.whl\"]\n";
	Doc d;
	PyprojectReqList out;
	Arena *a;

	(void)state;
	must_parse(&d, doc);
	a = &d.arena;
	assert_int_equal(pyproject_requirements(&d.p, (const char *const[]){ "ALL" }, 1, a, &out,
						&d.err), 0);
	assert_int_equal(out.len, 4);
	assert_string_equal(out.items[0].text, "base");
	assert_string_equal(out.items[1].text, "click");
	assert_string_equal(out.items[2].text, "tk; os_name == 'nt'");
	assert_string_equal(marker_format(out.items[2].req.marker, a), "os_name == \"nt\"");
	assert_string_equal(out.items[3].text, "rich");
	assert_int_equal(out.items[3].line, 8);

	/* a cycle of self-references ends; markers are joined along the way */
	assert_int_equal(pyproject_requirements(&d.p, (const char *const[]){ "loop1" }, 1, a, &out,
						&d.err), 0);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.items[0].text, "base");
	assert_string_equal(out.items[1].text, "b");
	assert_null(out.items[1].req.marker);
	assert_string_equal(out.items[2].text, "a");
	assert_null(out.items[2].req.marker);
	assert_int_equal(pyproject_requirements(&d.p, (const char *const[]){ "loop2" }, 1, a, &out,
						&d.err), 0);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.items[1].text, "a");
	assert_string_equal(marker_format(out.items[1].req.marker, a), "python_version < \"3.10\"");
	assert_string_equal(out.items[2].text, "b");
	assert_null(out.items[2].req.marker);

	/* the same extra under the same marker once; under another marker again */
	assert_int_equal(pyproject_requirements(&d.p, (const char *const[]){ "twice", "cli" }, 2, a,
						&out, &d.err), 0);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.items[1].text, "click");
	assert_string_equal(out.items[2].text, "tk; os_name == 'nt'");
	assert_string_equal(marker_format(out.items[2].req.marker, a),
			    "sys_platform == \"win32\" and os_name == \"nt\"");

	/* no extras: the dependencies, where naming the project itself without extras adds
	 * nothing; a URL requirement on the project is left alone */
	assert_int_equal(pyproject_requirements(&d.p, NULL, 0, a, &out, &d.err), 0);
	assert_int_equal(out.len, 1);
	assert_int_equal(pyproject_requirements(&d.p, (const char *const[]){ "url" }, 1, a, &out,
						&d.err), 0);
	assert_int_equal(out.len, 2);
	assert_non_null(out.items[1].req.url);

	expect_msg("bad", pyproject_requirements(&d.p, (const char *const[]){ "bad" }, 1, a, &out,
						 &d.err), d.err.msg,
		   FILE_NAME ":12:8: project.optional-dependencies.bad[0]: ",
		   "\"my-proj[nope]\" names the extra \"nope\", which project.optional-dependencies"
		   " does not define");
	expect_msg("unknown", pyproject_requirements(&d.p, (const char *const[]){ "docs" }, 1, a,
						     &out, &d.err), d.err.msg,
		   FILE_NAME ":1:1: project.optional-dependencies: ",
		   "no extra named \"docs\"; expected one of: cli, gui, all");
	done(&d);

	must_parse(&d, "[tool.x]\n");
	expect_msg("no project", pyproject_requirements(&d.p, NULL, 0, &d.arena, &out, &d.err),
		   d.err.msg, FILE_NAME ":1:1: project: ", "missing; expected a [project] table");
	done(&d);
}

/* ------------------------------------------------------------------ review fixes */

/* Whether msg holds a byte a terminal could act on: a C0 control (the caret layout of
 * requirement messages aside, which starts at the first '\n'), DEL, or a C1 control
 * in UTF-8 (U+0080-U+009F: CSI is U+009B). */
static bool
has_raw_control(const char *msg, bool stop_at_newline)
{
	const unsigned char *p;

	for (p = (const unsigned char *)msg; *p; p++) {
		if (*p == '\n' && stop_at_newline)
			return false;
		if (*p < 0x20 || *p == 0x7F || (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
			return true;
	}
	return false;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/*
 * Outside text in messages goes through buf_put_quoted: escape sequences, C1 controls
 * (the old local quoting let U+009B through) and long values never reach the terminal
 * raw.
 */
static void
test_messages_quote_outside_text(void **state)
{
	static const char *const docs[] = {
		/* a key with ESC and CSI: an invalid extra name */
		"[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\n"
		"\"x\\u001b[31m\\u009b2J\" = []\n",
		/* the same in a group name, an unknown [project] key, a bad script name */
		"[dependency-groups]\n\"g\\u009b\\u007f\" = []\n",
		"[project]\nname = \"a\"\nversion = \"1\"\n\"k\\u009bey\" = 1\n",
		"[project]\nname = \"a\"\nversion = \"1\"\n[project.scripts]\n\"\\u009b/x\" = \"m:f\"\n",
		/* values: a version, a requirement, a backend */
		"[project]\nname = \"a\"\nversion = \"1\\u009b\\r\"\n",
		"[build-system]\nrequires = []\nbuild-backend = \"m\\u009b\\u0007\"\n",
	};
	Buf big = { 0 };
	Doc d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		parse(&d, docs[i]);
		assert_int_equal(d.rc, -1);
		if (has_raw_control(d.err.msg, false) || !strstr(d.err.msg, "\\u009b")) {
			print_error("%s\nraw control characters or no \\u009b escape in: %s\n", docs[i],
				    d.err.msg);
			fail();
		}
		error_cases++;
		done(&d);
	}
	/* a long value is cut: the message keeps its point */
	buf_puts(&big, "[project]\nname = \"");
	for (i = 0; i < 5000; i++)
		buf_putc(&big, i % 2 ? 'x' : '!');
	buf_puts(&big, "\"\n");
	parse(&d, big.data);
	assert_int_equal(d.rc, -1);
	assert_true(strlen(d.err.msg) < 400);
	assert_non_null(strstr(d.err.msg, "\"... is not a valid project name"));
	done(&d);
	buf_free(&big);
}

/* The toml_doc API itself: paths, quoting, reasons, lenient keys. */
static void
test_toml_doc(void **state)
{
	static const char *const allowed[] = { "a", "b", NULL };
	Arena a = { 0 };
	TomlValue *root;
	const TomlValue *t;
	TomlDoc d;
	Err err;
	const char *s;

	(void)state;
	assert_string_equal(toml_doc_key(&a, "", "plain-key_1", 11), "plain-key_1");
	assert_string_equal(toml_doc_key(&a, "", "a b", 3), "\"a b\"");
	assert_string_equal(toml_doc_key(&a, "tool", "x.y", 3), "tool.\"x.y\"");
	assert_string_equal(toml_doc_key(&a, "tool", "", 0), "tool.\"\"");
	assert_string_equal(toml_doc_key(&a, "t", "new\nline\"", 9), "t.\"new\\nline\\\"\"");
	assert_string_equal(toml_doc_index(&a, "packages", 3), "packages[3]");
	assert_string_equal(toml_doc_quote(&a, "\x1b[0m\xff", 5), "\"\\x1b[0m\\xff\"");
	assert_string_equal(toml_type_desc(TOML_DATETIME_LOCAL), "a local date-time");
	assert_string_equal(toml_type_desc(TOML_INTEGER), "an integer");

	/* the reason alone; a named part of the value is kept; unknown layouts kept whole */
	s = "\"1.0-x\" is not a valid version (PEP 440): unexpected text after the version";
	assert_string_equal(toml_doc_reason(&a, s, VERSION_ERROR_PHRASE, "1.0-x", 5),
			    "unexpected text after the version");
	/* the parsers strip white space around the value: still the whole value */
	assert_string_equal(toml_doc_reason(&a, s, VERSION_ERROR_PHRASE, " 1.0-x\t", 7),
			    "unexpected text after the version");
	s = "\">=3.x\" is not a valid version specifier: the version is not valid";
	assert_string_equal(toml_doc_reason(&a, s, SPECIFIER_ERROR_PHRASE, ">=3.9, >=3.x", 12),
			    "in \">=3.x\": the version is not valid");
	assert_string_equal(toml_doc_reason(&a, s, SPECIFIER_ERROR_PHRASE, ">=3.x", 5),
			    "the version is not valid");
	assert_string_equal(toml_doc_reason(&a, "something else", VERSION_ERROR_PHRASE, "x", 1),
			    "something else");

	s = "[t]\na = 1\nc = \"x\"\nd = \"n\\u0000ul\"\n";
	assert_int_equal(toml_parse(s, strlen(s), "f.toml", &a, &root, &err), 0);
	t = toml_get(root, "t");
	toml_doc_init(&d, "f.toml", &a, &err);
	assert_int_equal(toml_doc_only_keys(&d, t, "t", allowed), -1);
	assert_string_equal(err.msg, "f.toml:3:5: t.c: unknown key; expected one of: a, b");
	d.lenient = true;
	assert_int_equal(toml_doc_only_keys(&d, t, "t", allowed), 0);
	assert_int_equal(d.warnings_len, 2);
	assert_string_equal(d.warnings[0], "f.toml:3:5: t.c: unknown key, ignored (known: a, b)");
	assert_true(!strncmp(d.warnings[1], "f.toml:4:5: t.d: unknown key", 28));
	assert_int_equal(toml_doc_req_str(&d, t, "t", "zz", "a thing", &s), -1);
	assert_string_equal(err.msg, "f.toml:1:1: t.zz: missing; expected a thing");
	assert_int_equal(toml_doc_opt_str(&d, t, "t", "zz", "a thing", &s), 0);
	assert_null(s);
	assert_int_equal(toml_doc_opt_str(&d, t, "t", "a", "a thing", &s), -1);
	assert_string_equal(err.msg, "f.toml:2:5: t.a: expected a thing, found an integer");
	assert_int_equal(toml_doc_opt_str(&d, t, "t", "d", "a thing", &s), -1);
	assert_string_equal(err.msg, "f.toml:4:5: t.d: the string holds a NUL byte; expected a"
			    " thing");
	assert_int_equal(toml_doc_opt_str(&d, t, "t", "c", "a thing", &s), 0);
	assert_string_equal(s, "x");
	arena_free(&a);
}

/* Version and specifier messages name the value once, quoted, then the reason. */
static void
test_version_messages(void **state)
{
	static const struct { const char *doc, *prefix, *value, *mark, *reason; } cases[] = {
		{ "[project]\nname = \"a\"\nversion = \"1.0\\nfoo\"\n",
		  FILE_NAME ":3:11: project.version: ", "\"1.0\\nfoo\"",
		  "is not a valid version", "unexpected text after the version" },
		{ "[project]\nname = \"a\"\nversion = \"1.0-foo\"\n",
		  FILE_NAME ":3:11: project.version: ", "\"1.0-foo\"",
		  "is not a valid version", "unexpected text after the version" },
		{ "[project]\nname = \"a\"\nversion = \"1\"\nrequires-python = \">=3.x\"\n",
		  FILE_NAME ":4:19: project.requires-python: ", "\">=3.x\"",
		  "is not a valid version specifier", NULL },
		{ "[project]\nname = \"a\"\nversion = \"1\"\nrequires-python = \">=3.9\\n, >=3.x\"\n",
		  FILE_NAME ":4:19: project.requires-python: ", "\">=3.9\\n, >=3.x\"",
		  "is not a valid version specifier", "in \">=3.x\": " },
	};
	size_t i;
	Doc d;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[256];

		parse(&d, cases[i].doc);
		snprintf(want, sizeof(want), "%s%s %s", cases[i].prefix, cases[i].value,
			 cases[i].mark);
		if (d.rc != -1 || strncmp(d.err.msg, want, strlen(want)) != 0 ||
		    count(d.err.msg, cases[i].mark) != 1 || strchr(d.err.msg, '\n') ||
		    strchr(d.err.msg, '\'') || (cases[i].reason && !strstr(d.err.msg, cases[i].reason))) {
			print_error("%s\nwanted: %s ... once, no raw newline, no second quoting\n"
				    "   got: %s\n", cases[i].doc, want, d.err.msg);
			fail();
		}
		error_cases++;
		done(&d);
	}
}

/* Dynamic dependencies belong to the build backend: asking for them is an error. */
static void
test_dynamic_requirements(void **state)
{
	static const char deps[] =
		"[project]\nname = \"a\"\nversion = \"1\"\n"
		"dynamic = [\"readme\", \"dependencies\"]\n"
		"dependencies = [\"b\"]\n";
	static const char extras[] =
		"[project]\nname = \"a\"\nversion = \"1\"\n"
		"dynamic = [\"optional-dependencies\"]\n"
		"dependencies = [\"b\"]\n"
		"[project.optional-dependencies]\ncli = [\"click\"]\n";
	static const char selfref[] =
		"[project]\nname = \"a\"\nversion = \"1\"\n"
		"dynamic = [\"optional-dependencies\"]\n"
		"dependencies = [\"b\", \"a[cli]\"]\n";
	PyprojectReqList out;
	Doc d;

	(void)state;
	must_parse(&d, deps);
	expect_msg("dynamic dependencies", pyproject_requirements(&d.p, NULL, 0, &d.arena, &out,
								  &d.err), d.err.msg,
		   FILE_NAME ":4:22: project.dynamic[1]: ", "\"dependencies\" is dynamic: the"
		   " project's metadata comes from its build backend, which has to be asked for the"
		   " project's requirements");
	done(&d);

	must_parse(&d, extras);
	/* without extras the static dependencies are all there is to read */
	assert_int_equal(pyproject_requirements(&d.p, NULL, 0, &d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, 1);
	expect_msg("dynamic extras", pyproject_requirements(&d.p, (const char *const[]){ "cli" }, 1,
							    &d.arena, &out, &d.err), d.err.msg,
		   FILE_NAME ":4:12: project.dynamic[0]: ", "\"optional-dependencies\" is dynamic");
	done(&d);

	/* a self-reference names extras, which the backend has */
	must_parse(&d, selfref);
	expect_msg("dynamic extras via a self-reference",
		   pyproject_requirements(&d.p, NULL, 0, &d.arena, &out, &d.err), d.err.msg,
		   FILE_NAME ":4:12: project.dynamic[0]: ", "\"optional-dependencies\" is dynamic");
	done(&d);
}

/* Listing a dynamic field twice; version specifiers on self-references. */
static void
test_dynamic_and_self_specifiers(void **state)
{
	static const char doc[] =
		"[project]\nname = \"Proj\"\nversion = \"2.1\"\n"
		"[project.optional-dependencies]\n"
		"cli = [\"click\"]\n"
		"ok = [\"proj[cli]>=2\"]\n"
		"pre = [\"proj[cli]>=2.1rc1,<3\"]\n"
		"bad = [\"x\", \"proj[cli]>=3\"]\n";
	PyprojectReqList out;
	Doc d;

	(void)state;
	expect_error("[project]\nname = \"a\"\ndynamic = [\"version\", \"readme\", \"version\"]\n",
		     FILE_NAME ":3:33: project.dynamic[2]: ", "\"version\" is listed twice (also at"
		     " project.dynamic[0]); expected each field once");

	must_parse(&d, doc);
	/* satisfied by the project's own version: expanded, nothing dropped silently */
	assert_int_equal(pyproject_requirements(&d.p, (const char *const[]){ "ok", "pre" }, 2,
						&d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, 1);
	assert_string_equal(out.items[0].text, "click");
	expect_msg("unsatisfied", pyproject_requirements(&d.p, (const char *const[]){ "bad" }, 1,
							 &d.arena, &out, &d.err), d.err.msg,
		   FILE_NAME ":8:13: project.optional-dependencies.bad[1]: ",
		   "\"proj[cli]>=3\" asks for a version of the project itself that its version 2.1"
		   " does not satisfy");
	done(&d);

	must_parse(&d, "[project]\nname = \"p\"\ndynamic = [\"version\"]\n"
		   "dependencies = [\"p[x]==1\"]\n[project.optional-dependencies]\nx = [\"y\"]\n");
	expect_msg("dynamic version", pyproject_requirements(&d.p, NULL, 0, &d.arena, &out,
							     &d.err), d.err.msg,
		   FILE_NAME ":4:17: project.dependencies[0]: ", "\"p[x]==1\" puts a version"
		   " specifier on the project itself, whose version is dynamic");
	done(&d);
}

/* Many extras and groups: duplicates and lookups by sorting, not by comparing pairs. */
static void
test_many_names(void **state)
{
	enum { N = 50000 };
	Buf text = { 0 };
	const char **names;
	PyprojectReqList out;
	Doc d;
	int i;

	(void)state;
	names = calloc(N, sizeof(*names));
	buf_puts(&text, "[project]\nname = \"p\"\nversion = \"1\"\n[project.optional-dependencies]\n");
	for (i = 0; i < N; i++)
		buf_printf(&text, "e%d = [\"r%d\"]\n", i, i);
	buf_puts(&text, "[dependency-groups]\n");
	for (i = 0; i < N; i++)
		buf_printf(&text, "g-%d = [\"q%d\"%s]\n", i, i, i ? ", {include-group = \"G.0\"}" : "");
	must_parse(&d, text.data);
	for (i = 0; i < N; i++)
		names[i] = d.p.project.extras[N - 1 - i].name;
	assert_int_equal(pyproject_requirements(&d.p, names, N, &d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, N);
	assert_string_equal(out.items[0].text, "r49999");
	assert_ptr_equal(pyproject_group_find(&d.p, "G_.49999"), &d.p.groups[N - 1]);
	assert_null(pyproject_group_find(&d.p, "g49999"));
	assert_int_equal(pyproject_group_expand(&d.p, "g-49999", &d.arena, &out, &d.err), 0);
	assert_int_equal(out.len, 2);
	done(&d);

	/* two late extras repeat early ones: the first repetition in document order is
	 * named, with the earliest name it repeats, as a check of each against those
	 * before it would */
	buf_clear(&text);
	buf_puts(&text, "[project]\nname = \"p\"\nversion = \"1\"\n[project.optional-dependencies]\n");
	for (i = 0; i < N; i++)
		buf_printf(&text, "e-%d = []\n", i);
	buf_puts(&text, "\"E.1\" = []\nE_0 = []\n");
	parse(&d, text.data);
	expect_msg("duplicate extras", d.rc, d.err.msg,
		   FILE_NAME ":50005:9: project.optional-dependencies.\"E.1\": ",
		   "extra \"E.1\" is the same as \"e-1\" (line 6) once normalized (\"e-1\")");
	done(&d);
	buf_clear(&text);
	buf_puts(&text, "[dependency-groups]\n");
	for (i = 0; i < N; i++)
		buf_printf(&text, "g-%d = []\n", i);
	buf_puts(&text, "G-7 = []\n");
	parse(&d, text.data);
	expect_msg("duplicate groups", d.rc, d.err.msg, FILE_NAME ":50002:7: dependency-groups.G-7: ",
		   "group \"G-7\" is the same as \"g-7\" (line 9) once normalized (\"g-7\")");
	done(&d);
	free(names);
	buf_free(&text);
}

static int
report(void **state)
{
	(void)state;
	printf("test_pyproject: %d error cases checked (file:line:col: key prefix and message)\n",
	       error_cases);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_document),
		cmocka_unit_test(test_tasks_still_read),
		cmocka_unit_test(test_minimal_and_legacy),
		cmocka_unit_test(test_project_errors),
		cmocka_unit_test(test_build_system_errors),
		cmocka_unit_test(test_tool_bunpy_errors),
		cmocka_unit_test(test_groups_expand),
		cmocka_unit_test(test_groups_errors),
		cmocka_unit_test(test_groups_big),
		cmocka_unit_test(test_extras_expand),
		cmocka_unit_test(test_messages_quote_outside_text),
		cmocka_unit_test(test_toml_doc),
		cmocka_unit_test(test_version_messages),
		cmocka_unit_test(test_dynamic_requirements),
		cmocka_unit_test(test_dynamic_and_self_specifiers),
		cmocka_unit_test(test_many_names),
	};

	return cmocka_run_group_tests(tests, NULL, report);
}
