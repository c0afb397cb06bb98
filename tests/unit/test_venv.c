/*
 * test_venv.c - unit tests of virtual environments (rules/venv.c) and of finding the
 * interpreter (target_find in rules/target.c).
 *
 * The equivalence test is the one that matters: an environment made by venv_create and
 * one made by `/usr/bin/python3 -m venv --without-pip` at the same path must look the
 * same to the interpreter (sys.prefix, sys.path, site-packages, sysconfig's paths).
 * The activation scripts are run by every shell that is installed (bash always; zsh,
 * fish and tcsh when present: CI installs them).
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/fs.h"
#include "engine/proc.h"
#include "rules/target.h"
#include "rules/venv.h"

#define SYSTEM_PYTHON "/usr/bin/python3"

/* ---------------------------------------------------------------- helpers */

static char *
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t;
	char real[4096];

	t = xmalloc(4096);
	snprintf(t, 4096, "%s/bunpy-test-venv-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(t));
	/* the paths the interpreter reports are real ones: compare like with like */
	assert_non_null(realpath(t, real));
	snprintf(t, 4096, "%s", real);
	return t;
}

static void
remove_tmpdir(char *t)
{
	Err err;

	assert_int_equal(fs_remove_tree(t, &err), 0);
	free(t);
}

static void
write_text(const char *path, const char *text, unsigned mode)
{
	Err err;

	assert_int_equal(fs_mkdir_parent(path, &err), 0);
	assert_int_equal(fs_write_atomic(path, text, strlen(text), mode, &err), 0);
}

static bool
exists(const char *path)
{
	struct stat lb;

	return lstat(path, &lb) == 0;
}

/* Run argv; its standard output, and its exit status in *code. */
static char *
run(const char *const *argv, int *code, Arena *a)
{
	Buf out = { 0 };
	Err err;
	char *s;

	if (proc_output(argv, &out, code, &err) != 0)
		fail_msg("%s: %s", argv[0], err.msg);
	s = arena_strdup(a, out.data ? out.data : "");
	buf_free(&out);
	return s;
}

static char *
run_ok(const char *const *argv, Arena *a)
{
	int code = -1;
	char *s = run(argv, &code, a);

	if (code != 0)
		fail_msg("%s exited with %d; output:\n%s", argv[0], code, s);
	return s;
}

static bool
have(const char *prog, Arena *a)
{
	const char *argv[] = { "sh", "-c", arena_printf(a, "command -v %s", prog), NULL };
	int code = -1;

	run(argv, &code, a);
	return code == 0;
}

static char *
read_link(const char *path, Arena *a)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	return arena_strndup(a, buf, (size_t)n);
}

static char *
read_text(const char *path, Arena *a)
{
	Buf b = { 0 };
	Err err;
	char *s;

	if (fs_read_file(path, &b, &err) != 0)
		fail_msg("%s", err.msg);
	s = arena_strdup(a, b.data ? b.data : "");
	buf_free(&b);
	return s;
}

/* A target with the fields a venv needs, for an interpreter that is a script in dir
 * (no Python runs in the tests that use it). */
static void
fake_target(Target *t, const char *dir, Arena *a)
{
	memset(t, 0, sizeof(*t));
	t->base_executable = arena_printf(a, "%s/fakebin/python3.11", dir);
	t->home = arena_printf(a, "%s/fakebin", dir);
	t->python = t->base_executable;
	t->version = "3.11.2";
	t->purelib = "lib/python3.11/site-packages";
	t->platlib = "lib/python3.11/site-packages";
	t->include = "include/python3.11";
	t->scripts = "bin";
	t->cache_tag = "cpython-311";
	t->lib64 = true;
	t->env.values[MARKER_PLATFORM_PYTHON_IMPLEMENTATION] = "CPython";
	t->env.values[MARKER_PYTHON_VERSION] = "3.11";
	t->env.values[MARKER_PYTHON_FULL_VERSION] = "3.11.2";
	write_text(t->base_executable, "#!/bin/sh\necho fake python \"$@\"\n", 0755);
}

/* No entry of dir but the ones named (a NULL-terminated list): what a failed or
 * finished create leaves beside the environment. */
static void
assert_dir_holds(const char *dir, const char *const *names)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		const char *const *n;
		bool known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (n = names; *n && !known; n++)
			known = !strcmp(*n, e->d_name);
		if (!known)
			fail_msg("unexpected %s in %s", e->d_name, dir);
	}
	closedir(d);
}

/* ---------------------------------------------------------------- layout */

static void
test_layout(void **state)
{
	Arena a = { 0 };
	Target t;
	Venv v;
	char *dir = make_tmpdir();
	char cwd[4096];

	(void)state;
	fake_target(&t, dir, &a);
	venv_layout("/srv/proj/.venv", &t, &a, &v);
	assert_string_equal(v.root, "/srv/proj/.venv");
	assert_string_equal(v.bin, "/srv/proj/.venv/bin");
	assert_string_equal(v.python, "/srv/proj/.venv/bin/python");
	assert_string_equal(v.purelib, "/srv/proj/.venv/lib/python3.11/site-packages");
	assert_string_equal(v.platlib, "/srv/proj/.venv/lib/python3.11/site-packages");
	assert_string_equal(v.include, "/srv/proj/.venv/include/python3.11");
	assert_string_equal(v.data, "/srv/proj/.venv");
	assert_string_equal(v.state_dir, "/srv/proj/.venv/.bunpy");
	assert_string_equal(v.cache_tag, "cpython-311");

	/* a platlib of its own (lib64 systems without the symlink, free-threaded builds) */
	t.platlib = "lib64/python3.13t/site-packages";
	venv_layout("/srv/proj/.venv/", &t, &a, &v);
	assert_string_equal(v.root, "/srv/proj/.venv");
	assert_string_equal(v.platlib, "/srv/proj/.venv/lib64/python3.13t/site-packages");

	/* relative roots are made absolute against the working directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	venv_layout("sub/./.venv", &t, &a, &v);
	assert_string_equal(v.root, arena_printf(&a, "%s/sub/.venv", cwd));
	assert_string_equal(v.bin, arena_printf(&a, "%s/sub/.venv/bin", cwd));
	remove_tmpdir(dir);
	arena_free(&a);
}

/* ---------------------------------------------------------------- check and create */

static void
test_check_answers(void **state)
{
	Arena a = { 0 };
	Target t;
	Err err;
	const char *why = NULL;
	char *dir = make_tmpdir();
	const char *root = arena_printf(&a, "%s/proj/.venv", dir);

	(void)state;
	fake_target(&t, dir, &a);

	/* missing */
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_string_equal(why, "there is no .venv");

	/* a file in the way: neither checked as usable nor replaced */
	write_text(root, "not a venv\n", 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), -1);
	assert_non_null(strstr(err.msg, "is not a directory"));
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), -1);
	assert_non_null(strstr(err.msg, "is not a directory"));
	assert_string_equal(read_text(root, &a), "not a venv\n");
	assert_int_equal(unlink(root), 0);

	/* an empty directory may be replaced */
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_string_equal(why, ".venv is empty");

	/* a directory with something else in it is refused, and left alone */
	write_text(arena_printf(&a, "%s/notes.txt", root), "mine\n", 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), -1);
	assert_non_null(strstr(err.msg, "not a virtual environment"));
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), -1);
	assert_non_null(strstr(err.msg, "not a virtual environment"));
	assert_string_equal(read_text(arena_printf(&a, "%s/notes.txt", root), &a), "mine\n");
	assert_dir_holds(arena_printf(&a, "%s/proj", dir), (const char *[]){ ".venv", NULL });
	assert_int_equal(unlink(arena_printf(&a, "%s/notes.txt", root)), 0);

	/* pyvenv.cfg for another version */
	write_text(arena_printf(&a, "%s/pyvenv.cfg", root),
		   arena_printf(&a, "home = %s\ninclude-system-site-packages = false\n"
				"version = 3.10.4\n", t.home), 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_non_null(strstr(why, ".venv/pyvenv.cfg is for Python 3.10.4, the project needs 3.11.2"));
	assert_non_null(strstr(why, t.base_executable));

	/* a pyvenv.cfg with no version at all */
	write_text(arena_printf(&a, "%s/pyvenv.cfg", root), "home = /usr/bin\n", 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_non_null(strstr(why, "names no Python version"));

	/* the same version from another installation */
	write_text(arena_printf(&a, "%s/pyvenv.cfg", root),
		   "home = /opt/python/bin\nversion = 3.11.2\n", 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_non_null(strstr(why, "/opt/python/bin"));

	/* right version and home (uv's version_info key also counts), no interpreter */
	write_text(arena_printf(&a, "%s/pyvenv.cfg", root),
		   arena_printf(&a, "home=%s\r\nversion_info = 3.11.2\r\n", t.home), 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_string_equal(why, ".venv/bin/python3 is missing");

	/* virtualenv's spelling of the version */
	write_text(arena_printf(&a, "%s/pyvenv.cfg", root),
		   arena_printf(&a, "home = %s\nversion_info = 3.11.2.final.0\n", t.home), 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_string_equal(why, ".venv/bin/python3 is missing");
	write_text(arena_printf(&a, "%s/pyvenv.cfg", root),
		   arena_printf(&a, "home = %s\nversion_info = 3.11.20\n", t.home), 0644);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_non_null(strstr(why, "is for Python 3.11.20, the project needs 3.11.2"));

	/* a made environment is usable */
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), 0);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 1);
	assert_false(exists(arena_printf(&a, "%s/notes.txt", root)));

	/* its base interpreter gone: the link dangles, the environment is not usable */
	assert_int_equal(rename(t.base_executable, arena_printf(&a, "%s.moved", t.base_executable)), 0);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_string_equal(why, ".venv/bin/python3 is missing");
	assert_int_equal(rename(arena_printf(&a, "%s.moved", t.base_executable), t.base_executable), 0);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 1);

	/* site-packages removed */
	assert_int_equal(fs_remove_tree(arena_printf(&a, "%s/lib", root), &err), 0);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_string_equal(why, ".venv/lib/python3.11/site-packages is missing");

	/* another target version */
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), 0);
	t.version = "3.11.9";
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 0);
	assert_non_null(strstr(why, "is for Python 3.11.2, the project needs 3.11.9"));
	remove_tmpdir(dir);
	arena_free(&a);
}

static void
test_create_layout(void **state)
{
	Arena a = { 0 };
	Target t;
	Err err;
	const char *why;
	char *dir = make_tmpdir();
	const char *root = arena_printf(&a, "%s/my proj/.venv", dir);
	const char *cfg;

	(void)state;
	fake_target(&t, dir, &a);
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), 0);

	/* the interpreter: python3 -> the base, the other names -> python3 */
	assert_string_equal(read_link(arena_printf(&a, "%s/bin/python3", root), &a), t.base_executable);
	assert_string_equal(read_link(arena_printf(&a, "%s/bin/python", root), &a), "python3");
	assert_string_equal(read_link(arena_printf(&a, "%s/bin/python3.11", root), &a), "python3");
	assert_string_equal(read_link(arena_printf(&a, "%s/lib64", root), &a), "lib");
	assert_true(exists(arena_printf(&a, "%s/lib/python3.11/site-packages", root)));
	assert_true(exists(arena_printf(&a, "%s/include/python3.11", root)));
	assert_true(exists(arena_printf(&a, "%s/.bunpy", root)));
	assert_true(exists(arena_printf(&a, "%s/bin/activate", root)));
	assert_true(exists(arena_printf(&a, "%s/bin/activate.fish", root)));
	assert_true(exists(arena_printf(&a, "%s/bin/activate.csh", root)));
	assert_string_equal(strstr(read_text(arena_printf(&a, "%s/.gitignore", root), &a), "\n*\n"),
			    "\n*\n");

	cfg = read_text(arena_printf(&a, "%s/pyvenv.cfg", root), &a);
	assert_non_null(strstr(cfg, arena_printf(&a, "home = %s\n", t.home)));
	assert_true(!strncmp(cfg, "home = ", 7));
	assert_non_null(strstr(cfg, "\ninclude-system-site-packages = false\n"));
	assert_non_null(strstr(cfg, "\nversion = 3.11.2\n"));
	assert_non_null(strstr(cfg, "\nversion_info = 3.11.2\n"));
	assert_non_null(strstr(cfg, "\nimplementation = CPython\n"));
	assert_non_null(strstr(cfg, arena_printf(&a, "\nexecutable = %s\n", t.base_executable)));
	assert_non_null(strstr(cfg, "\nbunpy = " PACKAGE_VERSION "\n"));
	assert_null(strstr(cfg, "prompt"));
	/* the prompt is the project directory's name */
	assert_non_null(strstr(read_text(arena_printf(&a, "%s/bin/activate", root), &a),
			       "VIRTUAL_ENV_PROMPT='(my proj) '"));

	/* no lib64 where the target does not want one; a prompt given is written */
	t.lib64 = false;
	assert_int_equal(venv_create(root, &t, "it's mine", &a, &err), 0);
	assert_false(exists(arena_printf(&a, "%s/lib64", root)));
	cfg = read_text(arena_printf(&a, "%s/pyvenv.cfg", root), &a);
	assert_non_null(strstr(cfg, "\nprompt = \"it's mine\"\n"));
	assert_non_null(strstr(read_text(arena_printf(&a, "%s/bin/activate", root), &a),
			       "VIRTUAL_ENV_PROMPT='(it'\\''s mine) '"));

	/* replacing an environment leaves nothing of the old one, and nothing beside it */
	write_text(arena_printf(&a, "%s/lib/python3.11/site-packages/old.py", root), "x = 1\n", 0644);
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), 0);
	assert_false(exists(arena_printf(&a, "%s/lib/python3.11/site-packages/old.py", root)));
	assert_dir_holds(arena_printf(&a, "%s/my proj", dir), (const char *[]){ ".venv", NULL });
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 1);

	/* a root with the PATH separator or a newline is refused */
	assert_int_equal(venv_create(arena_printf(&a, "%s/a:b/.venv", dir), &t, NULL, &a, &err), -1);
	assert_non_null(strstr(err.msg, "':'"));
	assert_int_equal(venv_create(arena_printf(&a, "%s/a\nb/.venv", dir), &t, NULL, &a, &err), -1);
	assert_false(exists(arena_printf(&a, "%s/a:b", dir)));
	assert_int_equal(venv_create(root, &t, "two\nlines", &a, &err), -1);
	remove_tmpdir(dir);
	arena_free(&a);
}

/* A .venv that is a symlink stays one; the environment is made where it points. */
static void
test_create_through_symlink(void **state)
{
	Arena a = { 0 };
	Target t;
	Err err;
	const char *why;
	char *dir = make_tmpdir();
	const char *root = arena_printf(&a, "%s/proj/.venv", dir);
	const char *elsewhere = arena_printf(&a, "%s/envs/proj", dir);

	(void)state;
	fake_target(&t, dir, &a);
	assert_int_equal(fs_mkdir_p(elsewhere, &err), 0);
	assert_int_equal(fs_mkdir_p(arena_printf(&a, "%s/proj", dir), &err), 0);
	assert_int_equal(symlink(elsewhere, root), 0);
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), 0);
	assert_string_equal(read_link(root, &a), elsewhere);
	assert_true(exists(arena_printf(&a, "%s/pyvenv.cfg", elsewhere)));
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 1);
	/* the scripts name the environment by the path it was asked for */
	assert_non_null(strstr(read_text(arena_printf(&a, "%s/bin/activate", elsewhere), &a),
			       arena_printf(&a, "VIRTUAL_ENV='%s'", root)));
	assert_dir_holds(arena_printf(&a, "%s/envs", dir), (const char *[]){ "proj", NULL });

	/* a dangling symlink is not taken for nothing */
	assert_int_equal(fs_remove_tree(elsewhere, &err), 0);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), -1);
	assert_non_null(strstr(err.msg, "symlink"));
	remove_tmpdir(dir);
	arena_free(&a);
}

/* ---------------------------------------------------------------- a real interpreter */

/* What the interpreter of an environment sees; one line per fact. */
static const char describe_py[] =
	"import site, sys, sysconfig\n"
	"print('prefix', sys.prefix)\n"
	"print('exec_prefix', sys.exec_prefix)\n"
	"print('base_prefix', sys.base_prefix)\n"
	"print('base_exec_prefix', sys.base_exec_prefix)\n"
	"print('executable', sys.executable)\n"
	"print('path', sys.path)\n"
	"print('sitepackages', site.getsitepackages())\n"
	"print('enable_user_site', site.ENABLE_USER_SITE)\n"
	"print('paths', sorted(sysconfig.get_paths().items()))\n"
	"print('venv', sys.prefix != sys.base_prefix)\n";

static char *
describe(const char *root, Arena *a)
{
	const char *argv[] = { "/usr/bin/env", "-u", "PYTHONPATH", "-u", "PYTHONHOME",
			       "-u", "VIRTUAL_ENV", arena_printf(a, "%s/bin/python", root), "-c",
			       describe_py, NULL };

	return run_ok(argv, a);
}

static void
test_same_as_venv_module(void **state)
{
	Arena a = { 0 };
	Target t, again;
	Err err;
	const char *why;
	char *dir, *cache, *ours, *theirs;
	const char *root;
	const char *names[] = { "bin/python", "bin/python3", "bin/python3.11", "lib64",
				"lib/python3.11/site-packages", "include/python3.11", "pyvenv.cfg" };
	size_t i;

	(void)state;
	if (access(SYSTEM_PYTHON, X_OK) != 0)
		skip();
	dir = make_tmpdir();
	cache = arena_printf(&a, "%s/cache", dir);
	root = arena_printf(&a, "%s/proj/.venv", dir);
	if (target_load(SYSTEM_PYTHON, cache, &a, &t, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(t.base_executable);
	assert_true(fs_path_is_abs(t.base_executable));
	assert_true(!strncmp(t.base_executable, t.home, strlen(t.home)));
	assert_true(!strncmp(t.version, t.env.values[MARKER_PYTHON_VERSION],
			     strlen(t.env.values[MARKER_PYTHON_VERSION])));
	assert_false(fs_path_is_abs(t.purelib));
	assert_string_equal(t.scripts, "bin");
	assert_non_null(t.cache_tag);

	/* the second load comes from the cache and has the same fields */
	if (target_load(SYSTEM_PYTHON, cache, &a, &again, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(again.base_executable, t.base_executable);
	assert_string_equal(again.home, t.home);
	assert_string_equal(again.version, t.version);
	assert_string_equal(again.purelib, t.purelib);
	assert_string_equal(again.platlib, t.platlib);
	assert_string_equal(again.include, t.include);
	assert_string_equal(again.cache_tag, t.cache_tag);
	assert_int_equal(again.lib64, t.lib64);

	if (venv_create(root, &t, NULL, &a, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 1);
	ours = describe(root, &a);
	assert_non_null(strstr(ours, "\nvenv True\n"));
	assert_non_null(strstr(ours, arena_printf(&a, "prefix %s\n", root)));
	assert_int_equal(fs_remove_tree(root, &err), 0);

	{
		const char *argv[] = { SYSTEM_PYTHON, "-m", "venv", "--without-pip", root, NULL };
		int code = -1;

		run(argv, &code, &a);
		if (code != 0) {
			/* Debian without python3-venv: ensurepip is missing, venv still
			 * refuses; nothing to compare with */
			remove_tmpdir(dir);
			arena_free(&a);
			skip();
		}
	}
	theirs = describe(root, &a);
	assert_string_equal(ours, theirs);
	/* what venv made, bunpy takes as usable */
	assert_int_equal(venv_check(root, &t, &a, &why, &err), 1);
	/* and the same names exist in both (checked on venv's; ours were made by create) */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(names[i], "lib64") && !t.lib64)
			continue;
		if (!strcmp(names[i], "bin/python3.11"))
			names[i] = arena_printf(&a, "bin/python%s", t.env.values[MARKER_PYTHON_VERSION]);
		if (!strcmp(names[i], "lib/python3.11/site-packages"))
			names[i] = t.purelib;
		if (!strcmp(names[i], "include/python3.11"))
			names[i] = t.include;
		assert_true(exists(arena_printf(&a, "%s/%s", root, names[i])));
	}
	/* venv_create replaces venv's environment too */
	assert_int_equal(venv_create(root, &t, NULL, &a, &err), 0);
	assert_string_equal(describe(root, &a), theirs);
	remove_tmpdir(dir);
	arena_free(&a);
}

/* ---------------------------------------------------------------- activation scripts */

/* An environment whose root has a space and a quote in it, for every shell. */
static const char *
activation_env(char *dir, Target *t, Arena *a)
{
	const char *root = arena_printf(a, "%s/it's here/.venv", dir);
	Err err;

	fake_target(t, dir, a);
	if (venv_create(root, t, NULL, a, &err) != 0)
		fail_msg("%s", err.msg);
	return root;
}

static const char sh_session[] =
	"PS1='old> '\n"
	"PYTHONHOME=/nowhere; export PYTHONHOME\n"
	"before=$PATH\n"
	". \"$ROOT/bin/activate\" && command -v python && echo \"$VIRTUAL_ENV\"\n"
	"echo \"[$PS1] [${PYTHONHOME-unset}] [$VIRTUAL_ENV_PROMPT]\"\n"
	"python --version\n"
	"# activating again, then leaving, comes back to where it started\n"
	". \"$ROOT/bin/activate\"\n"
	"deactivate\n"
	"echo \"${VIRTUAL_ENV-unset} [$PS1] [$PYTHONHOME]\"\n"
	"[ \"$PATH\" = \"$before\" ] && echo same-path\n"
	"typeset -f deactivate >/dev/null 2>&1 || echo no-deactivate\n";

static void
check_session(const char *out, const char *root, Arena *a)
{
	const char *want = arena_printf(a,
					"%s/bin/python\n"
					"%s\n"
					"[(it's here) old> ] [unset] [(it's here) ]\n"
					"fake python --version\n"
					"unset [old> ] [/nowhere]\n"
					"same-path\n"
					"no-deactivate\n", root, root);

	assert_string_equal(out, want);
}

static void
test_activate_sh(void **state)
{
	Arena a = { 0 };
	Target t;
	char *dir = make_tmpdir();
	const char *root = activation_env(dir, &t, &a);
	const char *shells[] = { "bash", "zsh" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const char *argv[] = { "/usr/bin/env", arena_printf(&a, "ROOT=%s", root), shells[i],
				       "-c", sh_session, NULL };

		if (!have(shells[i], &a)) {
			assert_string_not_equal(shells[i], "bash");
			continue;
		}
		check_session(run_ok(argv, &a), root, &a);
	}
	/* the short form, as a user types it */
	{
		const char *argv[] = {
			"/usr/bin/env", arena_printf(&a, "ROOT=%s", root), "bash", "-c",
			". \"$ROOT/bin/activate\" && command -v python && echo $VIRTUAL_ENV && deactivate "
			"&& echo ${VIRTUAL_ENV-unset}", NULL };

		assert_string_equal(run_ok(argv, &a),
				    arena_printf(&a, "%s/bin/python\n%s\nunset\n", root, root));
	}
	/* plain sh (dash on Debian) reads it too */
	{
		const char *argv[] = { "sh", "-n", arena_printf(&a, "%s/bin/activate", root), NULL };

		run_ok(argv, &a);
	}
	remove_tmpdir(dir);
	arena_free(&a);
}

static void
test_activate_fish(void **state)
{
	Arena a = { 0 };
	Target t;
	char *dir;
	const char *root;
	const char *session =
		"function fish_prompt; echo -n \"old $status> \"; end\n"
		"set -gx PYTHONHOME /nowhere\n"
		"set before \"$PATH\"\n"
		"source $ROOT/bin/activate.fish; and command -v python; and echo $VIRTUAL_ENV\n"
		"echo \"[\"(fish_prompt)\"] [$PYTHONHOME] [$VIRTUAL_ENV_PROMPT]\"\n"
		"python --version\n"
		"# the saved prompt still sees the last command's status\n"
		"false; set p (fish_prompt); echo \"[$p]\"\n"
		"source $ROOT/bin/activate.fish\n"
		"deactivate\n"
		"if set -q VIRTUAL_ENV; echo set; else; echo unset; end\n"
		"echo \"[\"(fish_prompt)\"] [$PYTHONHOME]\"\n"
		"test \"$PATH\" = \"$before\"; and echo same-path\n"
		"functions -q deactivate; or echo no-deactivate\n";

	(void)state;
	if (!have("fish", &a)) {
		arena_free(&a);
		skip();
	}
	dir = make_tmpdir();
	root = activation_env(dir, &t, &a);
	{
		const char *argv[] = { "/usr/bin/env", arena_printf(&a, "ROOT=%s", root), "fish",
				       "--no-config", "-c", session, NULL };
		const char *want = arena_printf(&a,
						"%s/bin/python\n"
						"%s\n"
						"[(it's here) old 0> ] [] [(it's here) ]\n"
						"fake python --version\n"
						"[(it's here) old 1> ]\n"
						"unset\n"
						"[old 0> ] [/nowhere]\n"
						"same-path\n"
						"no-deactivate\n", root, root);

		assert_string_equal(run_ok(argv, &a), want);
	}
	remove_tmpdir(dir);
	arena_free(&a);
}

static void
test_activate_csh(void **state)
{
	Arena a = { 0 };
	Target t;
	char *dir;
	const char *root, *script;

	(void)state;
	if (!have("tcsh", &a)) {
		arena_free(&a);
		skip();
	}
	dir = make_tmpdir();
	root = activation_env(dir, &t, &a);
	/* csh reads aliases line by line: the session is a file, not -c */
	script = arena_printf(&a, "%s/session.csh", dir);
	write_text(script,
		   "set prompt='old> '\n"
		   "setenv PYTHONHOME /nowhere\n"
		   "set before=\"$PATH:q\"\n"
		   "source \"$ROOT/bin/activate.csh\"\n"
		   "which python\n"
		   "echo \"$VIRTUAL_ENV\"\n"
		   "echo \"[$prompt] [$?PYTHONHOME] [$VIRTUAL_ENV_PROMPT]\"\n"
		   "python --version\n"
		   "source \"$ROOT/bin/activate.csh\"\n"
		   "deactivate\n"
		   "echo \"$?VIRTUAL_ENV [$prompt] [$PYTHONHOME]\"\n"
		   "if (\"$PATH:q\" == \"$before:q\") echo same-path\n"
		   "alias deactivate\n"
		   "echo end\n", 0644);
	{
		const char *argv[] = { "/usr/bin/env", arena_printf(&a, "ROOT=%s", root), "tcsh", "-f",
				       script, NULL };
		const char *want = arena_printf(&a,
						"%s/bin/python\n"
						"%s\n"
						"[(it's here) old> ] [0] [(it's here) ]\n"
						"fake python --version\n"
						"0 [old> ] [/nowhere]\n"
						"same-path\n"
						"end\n", root, root);

		assert_string_equal(run_ok(argv, &a), want);
	}
	remove_tmpdir(dir);
	arena_free(&a);
}

/* ---------------------------------------------------------------- target_find */

typedef struct FindCase {
	const char *python_version;   /* .python-version's text, NULL: none */
	const char *out;              /* NULL: an error */
	const char *why;              /* or a fragment of the error */
} FindCase;

static void
test_target_find(void **state)
{
	Arena a = { 0 };
	Err err;
	char *dir = make_tmpdir();
	const char *bin = arena_printf(&a, "%s/bin", dir), *bin2 = arena_printf(&a, "%s/bin2", dir);
	const char *proj = arena_printf(&a, "%s/proj", dir);
	const char *execs[] = { "python3", "python3.9", "python3.11", "python3.12", "python3.13t",
				"python3.14-config", "pypy3.10" };
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	char *old_env = getenv("BUNPY_PYTHON") ? xstrdup(getenv("BUNPY_PYTHON")) : NULL;
	const char *out, *why;
	const FindCase cases[] = {
		{ "3.11\n", "python3.11", ".python-version:1" },
		{ "# pinned\n\n   3.12.1  \r\n3.9\n", "python3.12", ".python-version:3" },
		{ "cpython@3.11", "python3.11", ".python-version:1" },
		{ "cpython-3.9.18\n", "python3.9", ".python-version:1" },
		{ "pypy@3.10\n", "pypy3.10", ".python-version:1" },
		{ "system\n", "python3", ".python-version:1" },
		{ "/BIN/python3.11\n", "/BIN/python3.11", ".python-version:1" },
		{ "3.10\n", NULL, "no python3.10 on PATH" },
		{ "3.13\n", NULL, "no python3.13 on PATH" },       /* python3.13t is another */
		{ "/BIN/python9\n", NULL, ".python-version:1 names the interpreter" },
		{ "latest\n", NULL, "'latest' is not a Python version" },
		{ "3.11.x\n", NULL, "is not a Python version" },
		{ "# only a comment\n", "python3", "PATH" },
		{ NULL, "python3", "PATH" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(execs) / sizeof(execs[0]); i++)
		write_text(arena_printf(&a, "%s/%s", bin, execs[i]), "#!/bin/sh\nexit 0\n", 0755);
	/* found on PATH only when executable */
	write_text(arena_printf(&a, "%s/python3.14", bin), "#!/bin/sh\nexit 0\n", 0644);
	/* a later PATH directory adds what the first lacks */
	write_text(arena_printf(&a, "%s/python3.8", bin2), "#!/bin/sh\nexit 0\n", 0755);
	assert_int_equal(fs_mkdir_p(proj, &err), 0);
	setenv("PATH", arena_printf(&a, "%s:%s", bin, bin2), 1);
	unsetenv("BUNPY_PYTHON");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const FindCase *c = &cases[i];
		const char *pv = arena_printf(&a, "%s/.python-version", proj);
		char *text = c->python_version ? arena_strdup(&a, c->python_version) : NULL;
		const char *want = c->out;
		char *at;
		int rc;

		unlink(pv);
		if (text) {
			/* /BIN stands for the fake PATH directory */
			if ((at = strstr(text, "/BIN/")))
				text = arena_printf(&a, "%.*s%s%s", (int)(at - text), text, bin, at + 4);
			write_text(pv, text, 0644);
		}
		if (want && !strncmp(want, "/BIN/", 5))
			want = arena_printf(&a, "%s%s", bin, want + 4);
		out = why = NULL;
		rc = target_find(NULL, proj, &a, &out, &why, &err);
		if (want) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, err.msg);
			assert_string_equal(out, want);
			assert_string_equal(why, c->why);
		} else {
			assert_int_equal(rc, -1);
			if (!strstr(err.msg, c->why))
				fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, c->why);
		}
	}
	/* --python, then BUNPY_PYTHON, win over the project's file */
	write_text(arena_printf(&a, "%s/.python-version", proj), "3.11\n", 0644);
	setenv("BUNPY_PYTHON", "/opt/py/bin/python3", 1);
	assert_int_equal(target_find("python3.12", proj, &a, &out, &why, &err), 0);
	assert_string_equal(out, "python3.12");
	assert_string_equal(why, "--python");
	assert_int_equal(target_find(NULL, proj, &a, &out, &why, &err), 0);
	assert_string_equal(out, "/opt/py/bin/python3");
	assert_string_equal(why, "BUNPY_PYTHON");
	unsetenv("BUNPY_PYTHON");

	/* no project directory: PATH */
	assert_int_equal(target_find(NULL, NULL, &a, &out, &why, &err), 0);
	assert_string_equal(out, "python3");

	/* an unreadable .python-version (here: a directory) is an error */
	unlink(arena_printf(&a, "%s/.python-version", proj));
	assert_int_equal(mkdir(arena_printf(&a, "%s/.python-version", proj), 0755), 0);
	assert_int_equal(target_find(NULL, proj, &a, &out, &why, &err), -1);

	if (old_path)
		setenv("PATH", old_path, 1);
	if (old_env)
		setenv("BUNPY_PYTHON", old_env, 1);
	free(old_path);
	free(old_env);
	remove_tmpdir(dir);
	arena_free(&a);
}

/* ---------------------------------------------------------------- target_select */

typedef struct SelectCase {
	const char *requires;
	const char *command;          /* what is chosen: the basename of Target.python */
	const char *version;          /* its python_version */
	const char *why;
} SelectCase;

/* Fake interpreters: the real one's probe with its version rewritten, so that
 * target_select sees python3.N report 3.N. */
static void
write_fake_python(Arena *a, const char *dir, const char *name, int minor)
{
	const char *py = "/usr/bin/python3";

	write_text(arena_printf(a, "%s/%s", dir, name),
		   minor < 0 ? "#!/bin/sh\necho 'not installed' >&2\nexit 127\n" :
		   arena_printf(a, "#!/bin/sh\n%s \"$@\" | sed 's/3\\.11/3.%d/g'\n", py, minor), 0755);
}

static void
test_target_select(void **state)
{
	Arena a = { 0 };
	Err err;
	char *dir = make_tmpdir();
	const char *bin = arena_printf(&a, "%s/bin", dir), *bin2 = arena_printf(&a, "%s/bin2", dir);
	const char *cache = arena_printf(&a, "%s/cache", dir);
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	char *old_env = getenv("BUNPY_PYTHON") ? xstrdup(getenv("BUNPY_PYTHON")) : NULL;
	const SelectCase cases[] = {
		{ NULL, "python3", "3.11", "PATH" },
		{ ">=3.10", "python3", "3.11", "PATH" },         /* python3 does: it is kept */
		{ "<3.11", "python3.9", "3.9", "requires-python <3.11" },
		{ ">=3.12", "python3.12", "3.12", "requires-python >=3.12" },  /* 3.13 does not run */
		{ "==3.9.*", "python3.9", "3.9", "requires-python ==3.9.*" },
		{ "<3.9", "python3.8", "3.8", "requires-python <3.9" },       /* the second directory */
		{ ">=3.14", "python3", "3.11", "PATH" },        /* none does: the caller says so */
		{ "not a specifier", "python3", "3.11", "PATH" },
	};
	size_t i;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	write_fake_python(&a, bin, "python3", 11);
	write_fake_python(&a, bin, "python3.9", 9);
	write_fake_python(&a, bin, "python3.12", 12);
	write_fake_python(&a, bin, "python3.13", -1);   /* a pyenv shim of a missing version */
	write_fake_python(&a, bin2, "python3.8", 8);
	setenv("PATH", arena_printf(&a, "%s:%s:/usr/bin:/bin", bin, bin2), 1);
	unsetenv("BUNPY_PYTHON");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const SelectCase *c = &cases[i];
		const char *why = NULL, *base;
		Target t;

		if (target_select(NULL, NULL, c->requires, cache, &a, &t, &why, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		base = strrchr(t.python, '/') ? strrchr(t.python, '/') + 1 : t.python;
		assert_string_equal(base, c->command);
		assert_string_equal(t.env.values[MARKER_PYTHON_VERSION], c->version);
		assert_string_equal(why, c->why);
	}
	/* named explicitly: used even when requires-python does not admit it */
	{
		const char *why = NULL;
		Target t;

		assert_int_equal(target_select("python3.9", NULL, ">=3.12", cache, &a, &t, &why, &err), 0);
		assert_string_equal(t.env.values[MARKER_PYTHON_VERSION], "3.9");
		assert_string_equal(why, "--python");
		/* and an explicit interpreter that does not run is an error, not skipped */
		assert_int_equal(target_select("python3.13", NULL, NULL, cache, &a, &t, &why, &err), -1);
	}
	if (old_path)
		setenv("PATH", old_path, 1);
	if (old_env)
		setenv("BUNPY_PYTHON", old_env, 1);
	free(old_path);
	free(old_env);
	remove_tmpdir(dir);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_check_answers),
		cmocka_unit_test(test_create_layout),
		cmocka_unit_test(test_create_through_symlink),
		cmocka_unit_test(test_same_as_venv_module),
		cmocka_unit_test(test_activate_sh),
		cmocka_unit_test(test_activate_fish),
		cmocka_unit_test(test_activate_csh),
		cmocka_unit_test(test_target_find),
		cmocka_unit_test(test_target_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
