/*
 * cmd_init.c - `bunpy init`: a new project, ready for `bunpy add` and `bunpy run`.
 *
 * Writes pyproject.toml, src/PKG/__init__.py, tests/test_PKG.py, README.md, .gitignore
 * and .python-version, in the directory NAME (which must not exist or be empty) or in
 * the current one. requires-python and .python-version name the minor version of the
 * interpreter bunpy would use (the rules of rules/target.h: --python, $BUNPY_PYTHON,
 * an existing .python-version, python3), so the first `bunpy add` locks for the Python
 * the person already has.
 *
 * Everything that could make init refuse (a bad name, an existing pyproject.toml, a
 * directory in the way, no interpreter) is decided before the first byte is written,
 * so a refusal leaves the directory as it was. Each file is written atomically, and
 * pyproject.toml last: a run that fails half-way leaves no project behind, and running
 * init again finishes the job. In an existing directory, files other than
 * pyproject.toml that are already there (a README, a .gitignore) are kept as they are.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "engine/fs.h"
#include "packaging/name.h"
#include "packaging/pyproject.h"
#include "packaging/toml_write.h"
#include "project.h"
#include "rules/target.h"

enum { OPT_APP = 1, OPT_LIB, OPT_PYTHON, OPT_NAME };

static const CliOption init_options[] = {
	{ "app", 0, NULL, "an application with a console script NAME (the default)", OPT_APP },
	{ "lib", 0, NULL, "a library, with a [build-system] (setuptools)", OPT_LIB },
	{ "python", 'p', "PYTHON", "the interpreter whose version requires-python and .python-version name", OPT_PYTHON },
	{ "name", 0, "NAME", "the project's name (default: the directory's name)", OPT_NAME },
	{ NULL, 0, NULL, NULL, 0 },
};

/* One file of the new project: its path under the project directory and contents. */
typedef struct InitFile {
	const char *rel;
	Buf text;
	bool keep;               /* already there: left alone */
} InitFile;

enum { F_GITIGNORE, F_README, F_PYVERSION, F_INIT, F_TEST, F_PYPROJECT, F_COUNT };

/* The import package a project name gives ("My-App.x" -> "my_app_x"), or NULL with the
 * reason when Python could not import it. */
static const char *
import_name(const char *name, Arena *a, const char **why)
{
	static const char *const keywords[] = {
		"and", "as", "assert", "async", "await", "break", "class", "continue", "def",
		"del", "elif", "else", "except", "finally", "for", "from", "global", "if",
		"import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
		"return", "try", "while", "with", "yield", NULL,
	};
	char *pkg = name_normalize(name, strlen(name), a);

	for (char *p = pkg; *p; p++)
		if (*p == '-')
			*p = '_';
	if (*pkg >= '0' && *pkg <= '9') {
		*why = "a Python package name cannot start with a digit";
		return NULL;
	}
	for (size_t i = 0; keywords[i]; i++)
		if (!strcmp(pkg, keywords[i])) {
			*why = "it is a Python keyword";
			return NULL;
		}
	return pkg;
}

/* 0 when path is absent or an empty directory; else 1 after saying why not. */
static int
check_empty_dir(Cli *cli, const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	bool empty = true;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		term_error(&cli->term, "%s: %s", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		term_error(&cli->term, "%s already exists and is not a directory", path);
		return 1;
	}
	if (!(d = opendir(path))) {
		term_error(&cli->term, "%s: %s", path, strerror(errno));
		return 1;
	}
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	if (!empty) {
		term_error(&cli->term, "%s already exists and is not empty;"
			   " run bunpy init inside it to make it a project", path);
		return 1;
	}
	return 0;
}

/* Whether path exists; a directory the project needs that is something else is an
 * error (1), said before anything is written. */
static int
check_dir_free(Cli *cli, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		term_error(&cli->term, "%s is in the way: a directory is needed there", path);
		return 1;
	}
	return 0;
}

static int
put_str(Buf *b, const char *s, Err *err)
{
	return toml_write_str(b, s, strlen(s), err);
}

static int
make_pyproject(Buf *b, const char *name, const char *pkg, const char *minor, bool lib, Err *err)
{
	buf_puts(b, "[project]\nname = ");
	if (put_str(b, name, err) != 0)
		return -1;
	buf_puts(b, "\nversion = \"0.1.0\"\n"
		 "description = \"Add your description here\"\n"
		 "readme = \"README.md\"\n");
	buf_printf(b, "requires-python = \">=%s\"\n", minor);
	buf_puts(b, "dependencies = []\n");
	if (!lib) {
		buf_puts(b, "\n[project.scripts]\n");
		if (toml_write_key(b, name, strlen(name), err) != 0)
			return -1;
		buf_printf(b, " = \"%s:main\"\n", pkg);
	}
	/* a package: bunpy sync installs it into .venv, editable (the script above becomes
	 * a command, the tests import it) */
	buf_puts(b, "\n[build-system]\n"
		 "requires = [\"setuptools>=61\"]\n"
		 "build-backend = \"setuptools.build_meta\"\n");
	/* and pytest run outside the environment still finds it */
	buf_puts(b, "\n[tool.pytest.ini_options]\npythonpath = [\"src\"]\n");
	return 0;
}

static void
make_sources(InitFile *f, const char *name, const char *pkg, const char *minor, bool lib)
{
	buf_puts(&f[F_GITIGNORE].text, ".venv/\n__pycache__/\n.bunpy/\n*.pyc\ndist/\n");
	buf_printf(&f[F_README].text, "# %s\n\nAdd your description here.\n", name);
	buf_printf(&f[F_PYVERSION].text, "%s\n", minor);
	if (lib) {
		buf_printf(&f[F_INIT].text,
			   "def hello() -> str:\n"
			   "    return \"Hello from %s!\"\n", name);
		buf_printf(&f[F_TEST].text,
			   "from %s import hello\n"
			   "\n"
			   "\n"
			   "def test_hello():\n"
			   "    assert hello() == \"Hello from %s!\"\n", pkg, name);
	} else {
		buf_printf(&f[F_INIT].text,
			   "def main() -> None:\n"
			   "    print(\"Hello from %s!\")\n", name);
		buf_printf(&f[F_TEST].text,
			   "from %s import main\n"
			   "\n"
			   "\n"
			   "def test_main(capsys):\n"
			   "    main()\n"
			   "    assert capsys.readouterr().out == \"Hello from %s!\\n\"\n", pkg, name);
	}
}

/* "3.11" from the interpreter's "3.11.2". */
static const char *
minor_version(const Target *t, Arena *a)
{
	const char *v = t->version, *dot = strchr(v, '.');
	size_t n = dot ? (size_t)(dot + 1 - v) + strspn(dot + 1, "0123456789") : strlen(v);

	return arena_strndup(a, v, n);
}

static int
init_main(Cli *cli, int argc, char **argv)
{
	const char *arg, *python = NULL, *name = NULL, *operand = NULL, *dir, *cache, *pkg,
		   *why, *minor, *shown;
	char *cache_owned = NULL;
	bool lib = false, app = false;
	InitFile files[F_COUNT] = { { 0 } };
	char real[PATH_MAX];
	Pyproject py;
	Target target;
	Arena a = { 0 };
	Err err;
	int id, rc = 1;

	cli_begin(cli, &cmd_init, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: rc = 2; goto done;
		case OPT_APP: app = true; break;
		case OPT_LIB: lib = true; break;
		case OPT_PYTHON: python = arg; break;
		case OPT_NAME: name = arg; break;
		}
	}
	if (app && lib) {
		rc = cli_usage_error(cli, "--app and --lib exclude each other");
		goto done;
	}
	if (cli->noperands > 1) {
		rc = cli_usage_error(cli, "init takes at most one NAME ('%s' too)", cli->operands[1]);
		goto done;
	}
	if (cli->noperands == 1) {
		char *clean, *slash;

		operand = cli->operands[0];
		if (!*operand) {
			rc = cli_usage_error(cli, "the project's NAME is empty");
			goto done;
		}
		clean = cli->directory && !fs_path_is_abs(operand) ?
			fs_path_join(&a, cli->directory, operand) : arena_strdup(&a, operand);
		fs_path_clean(clean);
		dir = clean;
		if (!name) {
			char *last = arena_strdup(&a, operand);

			fs_path_clean(last);
			slash = strrchr(last, '/');
			name = slash ? slash + 1 : last;
		}
	} else {
		dir = cli->directory ? cli->directory : ".";
		if (!realpath(dir, real)) {
			term_error(&cli->term, "cannot use directory %s: %s", dir, strerror(errno));
			rc = 2;
			goto done;
		}
		dir = arena_strdup(&a, real);
		if (!name)
			name = strcmp(real, "/") ? strrchr(real, '/') + 1 : "";
	}
	if (!name_is_valid(name, strlen(name))) {
		term_error(&cli->term, "'%s' is not a valid project name: use letters, digits, '-', '_'"
			   " and '.', starting and ending with a letter or digit%s", name,
			   operand ? "" : " (choose one with --name NAME)");
		rc = 2;
		goto done;
	}
	if (!(pkg = import_name(name, &a, &why))) {
		term_error(&cli->term, "'%s' cannot be the project's name: %s", name, why);
		rc = 2;
		goto done;
	}

	/* Everything that can refuse, before anything is written. */
	files[F_GITIGNORE].rel = ".gitignore";
	files[F_README].rel = "README.md";
	files[F_PYVERSION].rel = ".python-version";
	files[F_INIT].rel = arena_printf(&a, "src/%s/__init__.py", pkg);
	files[F_TEST].rel = arena_printf(&a, "tests/test_%s.py", pkg);
	files[F_PYPROJECT].rel = "pyproject.toml";
	{
		const char *pp = fs_path_join(&a, dir, "pyproject.toml");
		struct stat st;

		if (lstat(pp, &st) == 0) {
			term_error(&cli->term, "%s already has a pyproject.toml", dir);
			goto done;
		}
	}
	if (operand && check_empty_dir(cli, dir) != 0)
		goto done;
	if (check_dir_free(cli, dir) != 0 ||
	    check_dir_free(cli, fs_path_join(&a, dir, "src")) != 0 ||
	    check_dir_free(cli, fs_path_join(&a, dir, arena_printf(&a, "src/%s", pkg))) != 0 ||
	    check_dir_free(cli, fs_path_join(&a, dir, "tests")) != 0)
		goto done;
	for (int i = 0; i < F_PYPROJECT; i++) {
		struct stat st;

		files[i].keep = lstat(fs_path_join(&a, dir, files[i].rel), &st) == 0;
	}
	if (!(cache_owned = project_cache_dir(cli))) {
		term_error(&cli->term, "no cache directory for the interpreter's probe" ERR_HINT
			   "use --cache-dir DIR, or set BUNPY_CACHE_DIR or HOME");
		goto done;
	}
	cache = cache_owned;
	if (target_select(python, dir, NULL, cache, &a, &target, &why, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto done;
	}
	minor = minor_version(&target, &a);
	term_debug(&cli->term, "Python %s: %s (from %s)", minor, target.python, why);

	make_sources(files, name, pkg, minor, lib);
	if (make_pyproject(&files[F_PYPROJECT].text, name, pkg, minor, lib, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		goto done;
	}
	/* What init writes, bunpy itself must read back. */
	if (pyproject_parse(files[F_PYPROJECT].text.data, files[F_PYPROJECT].text.len,
			    "pyproject.toml", &a, &py, &err) != 0 ||
	    (strcmp(py.project.name, name) != 0 &&
	     err_set(&err, "it names the project '%s'", py.project.name))) {
		term_error(&cli->term, "internal error: the pyproject.toml made for '%s' does not read"
			   " back: %s", name, err.msg);
		goto done;
	}

	for (int i = 0; i < F_COUNT; i++) {
		const char *path = fs_path_join(&a, dir, files[i].rel);

		if (files[i].keep) {
			term_debug(&cli->term, "kept the existing %s", files[i].rel);
			continue;
		}
		if (fs_mkdir_parent(path, &err) != 0 ||
		    fs_write_atomic(path, files[i].text.data, files[i].text.len, 0644, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			goto done;
		}
	}
	shown = realpath(dir, real) ? real : dir;
	term_note(&cli->term, "Initialized project %s in %s", name, shown);
	rc = 0;
done:
	for (int i = 0; i < F_COUNT; i++)
		buf_free(&files[i].text);
	free(cache_owned);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_init = {
	.name = "init",
	.usage = "[OPTIONS] [NAME]",
	.summary = "create a new project: pyproject.toml, src/, tests/",
	.description = "Create a new project: pyproject.toml, src/PKG/__init__.py, tests/, README.md,\n"
		".gitignore and .python-version. With NAME, in a new directory NAME (which must not\n"
		"exist or be empty); without, in the current directory, named after it.\n"
		"requires-python and .python-version name the interpreter's minor version\n"
		"(--python, $BUNPY_PYTHON, .python-version, python3). An existing pyproject.toml is\n"
		"never overwritten: init then refuses and writes nothing.",
	.options = init_options,
	.run = init_main,
};
