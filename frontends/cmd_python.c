/*
 * cmd_python.c - `bunpy python find [REQUEST]` and `bunpy python list`: the interpreter
 * a project would use (rules/target.h decides, as lock and sync do), one matching a
 * request, or every python3.N on PATH.
 *
 * A REQUEST is a version ("3.11", "3"), a command ("python3.11"), a path, or a
 * specifier set (">=3.10"); a version or specifier is matched against what the
 * interpreters say when probed (the probe is cached), newest first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine/fs.h"
#include "packaging/pyproject.h"
#include "packaging/specifier.h"
#include "project.h"
#include "rules/rules.h"
#include "rules/target.h"

static const CliOption python_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

/* The project directory (nearest pyproject.toml upwards), NULL outside one. */
static const char *
project_dir(const Cli *cli, Arena *a)
{
	bool missing;
	char *root = project_root(cli->directory ? cli->directory : ".", &missing);
	const char *out = root ? arena_strdup(a, root) : NULL;

	free(root);
	return out;
}

/* requires-python of the project, NULL when none (or pyproject.toml is unreadable:
 * then lock would say so; finding an interpreter does without). */
static const char *
requires_python(const char *root, Arena *a)
{
	const char *path = arena_printf(a, "%s/%s", root, RULES_PYPROJECT);
	Pyproject py;
	Buf text = { 0 };
	Err err;
	const char *out = NULL;

	if (fs_read_file(path, &text, &err) == 0 &&
	    pyproject_parse(arena_strndup(a, text.data, text.len), text.len, path, a, &py, &err) == 0 &&
	    py.project.has_requires_python)
		out = py.project.requires_python_text;
	buf_free(&text);
	return out;
}

/* "python3" and each python3.N on PATH, newest first; n set. */
static const char **
path_pythons(Arena *a, size_t *n)
{
	bool seen[TARGET_MINOR_MAX];
	const char **out = arena_alloc(a, (TARGET_MINOR_MAX + 1) * sizeof(*out));

	*n = 0;
	target_minors_on_path(NULL, a, seen);
	for (int minor = TARGET_MINOR_MAX - 1; minor >= 0; minor--)
		if (seen[minor])
			out[(*n)++] = arena_printf(a, "python3.%d", minor);
	out[(*n)++] = "python3";
	return out;
}

/* The interpreter a REQUEST names: 0 (*out filled), 1 none matches (err says what was
 * looked for), 2 the request is malformed (err). */
static int
find_request(const char *req, const char *cache_dir, Arena *a, Target *out, Err *err)
{
	const char *spec_text = NULL, *v = req;
	SpecifierSet set;
	const char **cands;
	size_t n, i;
	unsigned major, minor;
	int used = 0;

	if (strchr(req, '/')) {
		if (target_load(req, cache_dir, a, out, err) != 0)
			return 1;
		return 0;
	}
	if (strchr("<>=!~", req[0])) {
		spec_text = req;
	} else {
		if (!strncmp(v, "python", 6))
			v += 6;
		else if (!strncmp(v, "cpython@", 8) || !strncmp(v, "cpython-", 8))
			v += 8;
		if (sscanf(v, "%u.%u%n", &major, &minor, &used) == 2 && !v[used])
			spec_text = arena_printf(a, "==%u.%u.*", major, minor);
		else if (sscanf(v, "%u%n", &major, &used) == 1 && !v[used])
			spec_text = arena_printf(a, "==%u.*", major);
		else if (sscanf(v, "%u.%u.%*u%n", &major, &minor, &used) == 2 && used && !v[used])
			spec_text = arena_printf(a, "==%s", v);
		else
			return err_set(err, "'%s' is not an interpreter request bunpy understands (write "
				       "3.11, python3.11, 3, >=3.10 or a path)", req), 2;
	}
	if (specset_parse(spec_text, strlen(spec_text), a, &set, err) != 0)
		return 2;
	cands = path_pythons(a, &n);
	for (i = 0; i < n; i++) {
		Target t;

		if (target_load(cands[i], cache_dir, a, &t, NULL) == 0 && target_admits(&t, &set)) {
			*out = t;
			return 0;
		}
	}
	err_set(err, "no interpreter matches '%s': looked at python3 and every python3.N on PATH (%s)",
		req, getenv("PATH") ? getenv("PATH") : "");
	return 1;
}

static int
do_find(Cli *cli, const char *req, const char *cache_dir, Arena *a)
{
	const char *root = project_dir(cli, a), *why;
	Target t;
	Err err;
	int rc;

	if (req) {
		if ((rc = find_request(req, cache_dir, a, &t, &err)) != 0) {
			term_error(&cli->term, "%s", err.msg);
			return rc;
		}
	} else if (target_select(NULL, root, root ? requires_python(root, a) : NULL, cache_dir, a,
				 &t, &why, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	} else {
		term_debug(&cli->term, "%s, from %s", t.summary, why);
	}
	printf("%s\n", t.python);
	return 0;
}

static int
do_list(Cli *cli, const char *cache_dir, Arena *a)
{
	const char *root = project_dir(cli, a), *why, **cands;
	const char **shown;
	Target chosen, t;
	bool have_chosen;
	size_t n, i, k, nshown = 0;
	Err err;

	have_chosen = target_select(NULL, root, root ? requires_python(root, a) : NULL, cache_dir, a,
				    &chosen, &why, &err) == 0;
	cands = path_pythons(a, &n);
	shown = arena_alloc(a, (n + 1) * sizeof(*shown));
	for (i = 0; i < n; i++) {
		if (target_load(cands[i], cache_dir, a, &t, NULL) != 0)
			continue;
		for (k = 0; k < nshown && strcmp(shown[k], t.python); k++)
			;
		if (k < nshown)
			continue;
		shown[nshown++] = t.python;
		printf("%s %-9s %s\n", have_chosen && !strcmp(chosen.python, t.python) ? "*" : " ",
		       t.full_version.str, t.python);
	}
	if (have_chosen) {
		for (k = 0; k < nshown && strcmp(shown[k], chosen.python); k++)
			;
		if (k == nshown)
			printf("* %-9s %s\n", chosen.full_version.str, chosen.python);
	}
	if (!nshown && !have_chosen) {
		term_error(&cli->term, "no python3 or python3.N on PATH (%s)",
			   getenv("PATH") ? getenv("PATH") : "");
		return 1;
	}
	return 0;
}

static int
python_main(Cli *cli, int argc, char **argv)
{
	Arena a = { 0 };
	const char *arg;
	char *cache_dir;
	int id, rc;

	cli_begin(cli, &cmd_python, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	if (!cli->noperands)
		return cli_usage_error(cli, "say what to do: bunpy python find [REQUEST] or bunpy python list");
	if (strcmp(cli->operands[0], "find") && strcmp(cli->operands[0], "list"))
		return cli_usage_error(cli, "no python subcommand '%s' (find, list)", cli->operands[0]);
	if (cli->noperands > (strcmp(cli->operands[0], "find") ? 1 : 2))
		return cli_usage_error(cli, "python %s: too many operands ('%s')", cli->operands[0],
				       cli->operands[cli->noperands - 1]);
	/* Probes are kept in the cache as for lock and sync; without one they run each time. */
	cache_dir = project_cache_dir(cli);
	if (!strcmp(cli->operands[0], "find"))
		rc = do_find(cli, cli->noperands > 1 ? cli->operands[1] : NULL, cache_dir, &a);
	else
		rc = do_list(cli, cache_dir, &a);
	free(cache_dir);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_python = {
	.name = "python",
	.usage = "find [REQUEST] | list",
	.summary = "find the interpreter a project would use",
	.description = "find: print the absolute path of the interpreter the project would use\n"
		"(--python, $BUNPY_PYTHON, .python-version, requires-python, python3), or of one\n"
		"matching REQUEST: a version (3.11, 3), a command (python3.11), a specifier set\n"
		"(>=3.10) or a path. Exit 1 when none matches.\n"
		"list: every python3.N on PATH with its version; the project's is marked '*'.",
	.options = python_options,
	.subcommands = "find list",
	.run = python_main,
};
